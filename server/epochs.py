"""Cache epochs: counters that database triggers move on whenever what a worker caches changes.

Each gunicorn worker (and each app server) caches device tokens with their users, and form versions,
per process. Triggers on users and devices (revoked, re-keyed, moved to another user, deleted) move
the `auth` epoch on; triggers on forms and form_versions move `forms` on; every writer, the CLI and
bulk SQL included, goes through them. A request reads both counters in one statement (once per
request) and uses a cached entry only when it was loaded at the epoch read now, so a revoked token
or a deactivated user stops working in every worker at the commit that changed it.
"""
import secrets

from flask import current_app, g, has_request_context, request
from sqlalchemy import BigInteger, String, select
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db

NAMES = ("auth", "forms")
#: entries per cache (devices, form versions); over it the cache starts again
CACHE_MAX = 20000


class CacheEpoch(db.Model):
    """One counter per cache; moved on by triggers (migration s3_h4_cache_epochs)."""
    __tablename__ = "cache_epochs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


_READ = select(CacheEpoch.name, CacheEpoch.value)


def current(name: str) -> int | None:
    """The epoch of `name` as the database holds it now (read once per request); an emptied table
    gets its counters back at random values."""
    return _read().get(name)


def _read() -> dict:
    memo = g.get("cache_epochs") if has_request_context() else None
    if memo is not None and memo[0] is request._get_current_object():
        return memo[1]
    values = dict(db.session.connection().execute(_READ).all())
    missing = [n for n in NAMES if n not in values]
    if missing:  # what this transaction put back (or a concurrent one did): should it roll back, the
        _seed(missing)  # next seed is another random value, which no entry cached now can match
        values = dict(db.session.connection().execute(_READ).all())
    if has_request_context():
        g.cache_epochs = (request._get_current_object(), values)
    return values


def _seed(names) -> None:
    """Put missing counters back at a random value, so that no entry cached before can match."""
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    db.session.connection().execute(
        insert(CacheEpoch.__table__).on_conflict_do_nothing(),
        [{"name": n, "value": secrets.randbelow(2**62)} for n in names])


def cache(name: str) -> dict:
    """This app's (this worker's) cache called `name`: {key: (epoch, value)}."""
    caches = current_app.extensions.setdefault("lianhu.caches", {})
    found = caches.get(name)
    if found is None or len(found) > CACHE_MAX:
        found = caches[name] = {}
    return found


def cached(name: str, key, load):
    """The value of `key` in cache `name` if loaded at the current epoch, else load() (and keep it)."""
    epoch = current(name.split(".", 1)[0])
    entries = cache(name)
    hit = entries.get(key)
    if hit is not None and epoch is not None and hit[0] == epoch:
        return hit[1]
    value = load()
    if epoch is not None:
        entries[key] = (epoch, value)
    return value
