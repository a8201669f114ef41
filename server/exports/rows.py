"""Row building for the streamed exports, fast enough for 100,000 rows/s: the same cells as
columns.row_values and columns.local_text, with the per-row work done once per export.

- answers are read as JSON text and parsed with orjson (stdlib json for what orjson refuses);
- times are read as the database gives them (SQLite: text, parsed with fromisoformat; PostgreSQL: a
  datetime) and moved to the zone with an offset looked up once per UTC hour;
- cells come from a plan made once per table instead of per-cell type tests."""
import json
from datetime import datetime, timedelta, timezone

import orjson
from sqlalchemy import type_coerce
from sqlalchemy.engine import processors
from sqlalchemy.types import String, Text

from forms.tables import split_geopoint

from ..coverage.periods import zone
from .columns import JOINERS

UTC = timezone.utc
HOUR = timedelta(hours=1)


def answers_text(column):
    """The answers column undecoded by SQLAlchemy: JSON text on SQLite, for loads; on PostgreSQL what
    psycopg decodes from jsonb (json.loads, as before)."""
    return type_coerce(column, Text())


def stamp(column):
    """A UTC datetime column as the driver gives it, without SQLAlchemy's parsing (see local_texts)."""
    return type_coerce(column, String())


def loads(text):
    """answers_text() as Python values ({} for NULL), as json.loads reads them.

    SQLite keeps the text json.dumps wrote, in which a float always has a point or an exponent, so
    orjson reads the same values; it would read an integer beyond 64 bits as a float, but none is
    stored (sync/batch.py refuses them; OpenRosa answers are text). PostgreSQL rewrites numbers
    (1e+20 comes back as 100000000000000000000): its values come decoded by the driver instead."""
    if text is None:
        return {}
    if not isinstance(text, str):
        return text
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:  # NaN, unpaired surrogates: json.loads reads them
        return json.loads(text)


def json_loads_for(dialect: str):
    """The reader for JSON text the database extracted (json_extract, ->>): orjson for SQLite's
    (see loads), json.loads for PostgreSQL's."""
    return loads if dialect == "sqlite" else json.loads


def local_texts(tz=None):
    """A function: a stamp() value (SQLite text, or a datetime) as local 'YYYY-MM-DD HH:MM:SS', '' for
    None; what columns.local_text gives for the same moment."""
    tz = tz or zone()
    offsets = {}

    def offset(naive):  # the zone's offset at this UTC moment, cached per hour when constant over it
        key = (naive.year, naive.month, naive.day, naive.hour)
        known = offsets.get(key)
        if known is None:
            start = naive.replace(minute=0, second=0, microsecond=0, tzinfo=UTC)
            first, last = start.astimezone(tz).utcoffset(), (start + HOUR - timedelta(microseconds=1)).astimezone(tz).utcoffset()
            if first != last:  # a change of offset inside this hour: decide this moment alone
                return naive.replace(tzinfo=UTC).astimezone(tz).utcoffset()
            known = offsets[key] = first
        return known

    def text(value):
        if value is None:
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)
            except ValueError:
                value = processors.str_to_datetime(value)
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        local = value + offset(value)
        if local.year < 1000:  # isoformat pads the year, strftime does not
            return local.strftime("%Y-%m-%d %H:%M:%S")
        return local.isoformat(" ", "seconds")
    return text


def cells(columns, lang=None):
    """A function: an item's answers (a dict) as the cells of these columns, as columns.row_values."""
    joiner = JOINERS.get(lang, " ")
    plan = []
    for c in columns:
        if c.part is not None:
            plan.append((2, c.key, c.part, None))
        elif c.choices is not None:
            plan.append((1, c.key, c.type != "select_one", c.choices))
        else:
            plan.append((0, c.key, None, None))
    plain = all(kind == 0 for kind, *_ in plan)
    keys = [key for _, key, _, _ in plan]

    def simple(value):
        if value is None or isinstance(value, (list, dict)):
            return None if value in (None, [], {}) else str(value)
        return value

    def row(item):
        get = item.get
        if plain:
            out = [get(key) for key in keys]
            for at, value in enumerate(out):
                if value is not None and isinstance(value, (list, dict)):
                    out[at] = str(value) if value else None
            return out
        out, points = [], {}
        for kind, key, extra, choices in plan:
            value = get(key)
            if kind == 0:
                out.append(simple(value))
            elif kind == 2:
                point = points.get(key)
                if point is None:
                    point = points[key] = split_geopoint(value)
                out.append(point[extra])
            elif value is None or isinstance(value, (list, dict)):
                out.append(simple(value))
            else:
                codes = str(value).split() if extra else [str(value)]
                out.append(joiner.join(choices.get(code, code) for code in codes))
        return out
    return row
