"""Cache epochs: counters that database triggers move on whenever what a worker caches changes.

Each gunicorn worker (and each app server) caches device tokens with their users, and form versions,
per process. Triggers on users and devices (revoked, re-keyed, moved to another user, deleted) move
the `auth` epoch on; triggers on forms and form_versions move `forms` on; every writer, the CLI and
bulk SQL included, goes through them. A request reads both counters once and uses a cached entry
only when it was loaded at the epoch read now, so a revoked token or a deactivated user stops
working in every worker at the commit that changed it.

The counters are read when the request takes its database connection from the pool (`install`): the
read is also the check that the connection still works, which `pool_pre_ping` made with a statement
of its own (a round trip on PostgreSQL), and it costs no SQLAlchemy statement. A request that finds
no such read on its connection (its connection was taken before the request began) reads them with
a statement of its own, as before.
"""
import secrets

from flask import current_app, g, has_request_context, request
from sqlalchemy import BigInteger, String, event, exc, select
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
_CHECKOUT_READ = "SELECT name, value FROM cache_epochs"
#: where a checkout leaves the counters it read, in the pooled connection's info (gone at check-in)
_AT_CHECKOUT = "lianhu.epochs"
_IDLE, _UNKNOWN = 0, 4  # psycopg.pq.TransactionStatus (psycopg is not imported on SQLite)


def install(engine) -> None:
    """Read the counters whenever a connection leaves the pool, as the ping that proves it alive
    (instead of pool_pre_ping's): a connection that fails it is discarded and another one taken,
    as pool_pre_ping does. PostgreSQL: read outside a transaction (autocommit for the one
    statement, as SQLAlchemy's own ping), so the request's transaction starts as it did."""
    dialect = engine.dialect

    @event.listens_for(engine, "checkout")
    def read_at_checkout(dbapi_connection, record, _proxy):
        # PostgreSQL: autocommit for this read unless it is on already. A connection a connect hook
        # left in a transaction is not read (a failed read would abort that transaction; the
        # connection is new, so alive): the request reads the counters itself
        postgresql = dialect.name == "postgresql"
        if postgresql and (dbapi_connection.closed or dbapi_connection.info.transaction_status == _UNKNOWN):
            raise exc.InvalidatePoolError()  # a broken connection: the pool takes another
        if postgresql and dbapi_connection.info.transaction_status != _IDLE:
            record.info.pop(_AT_CHECKOUT, None)
            return
        toggle = postgresql and not dbapi_connection.autocommit
        cursor = None
        try:
            if toggle:
                dbapi_connection.autocommit = True
            cursor = dbapi_connection.cursor()
            cursor.execute(_CHECKOUT_READ)
            values = dict(cursor.fetchall())
            # only the request that took the connection may use them (see _read)
            record.info[_AT_CHECKOUT] = (request._get_current_object() if has_request_context() else None, values)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, dbapi_connection, cursor):
                # the pool takes another connection, and (as pool_pre_ping) drops the ones made
                # before: after a database restart every pooled one is gone
                raise exc.InvalidatePoolError() from error
            record.info.pop(_AT_CHECKOUT, None)  # no table yet (before the migrations): read later
        finally:
            if cursor is not None:
                cursor.close()
            if toggle and not dbapi_connection.closed:
                dbapi_connection.autocommit = False

    @event.listens_for(engine, "checkin")
    def forget_at_checkin(_dbapi_connection, record):
        record.info.pop(_AT_CHECKOUT, None)

    @event.listens_for(engine, "before_cursor_execute")
    def forget_on_write(conn, _cursor, statement, _parameters, _context, _many):
        """A request that writes before it first reads the counters reads them again, inside its
        transaction: it may have moved them on (a token revoked, a form closed), and what it then
        loads must not be kept under the counters read before."""
        if not statement.lstrip()[:6].upper().startswith("SELECT"):
            conn.info.pop(_AT_CHECKOUT, None)


def current(name: str) -> int | None:
    """The epoch of `name` as the database holds it now (read once per request); an emptied table
    gets its counters back at random values."""
    return _read().get(name)


def _read() -> dict:
    memo = g.get("cache_epochs") if has_request_context() else None
    if memo is not None and memo[0] is request._get_current_object():
        return memo[1]
    connection = db.session.connection()
    # the read made when this request took its connection; a connection taken before the request
    # began (outside requests, or kept from an earlier one) is read again
    at_checkout = connection.info.get(_AT_CHECKOUT)
    if at_checkout is not None and has_request_context() and at_checkout[0] is request._get_current_object():
        values = at_checkout[1]
    else:
        values = dict(connection.execute(_READ).all())
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
