"""Row building for the streamed exports, fast enough for 100,000 rows/s: the same cells as
columns.row_values and columns.local_text, with the per-row work done once per export.

- answers are read as JSON text and parsed with orjson (stdlib json for what orjson refuses);
- times are read as the database gives them (SQLite: text, whose local minute is worked out once per
  minute; PostgreSQL: a datetime) and moved to the zone with an offset looked up once per UTC hour;
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

    minutes = {}

    def text(value):
        if value is None:
            return ""
        if isinstance(value, str):
            if len(value) >= 19 and value[16] == ":" and (len(value) == 19 or value[19] == "."):
                # SQLite's 'YYYY-MM-DD HH:MM:SS[.ffffff]': the minute's local text, worked out once
                # (below) when its offset holds all minute and has no seconds, then this second
                minute = minutes.get(value[:16])
                if minute is None:
                    if len(minutes) > 4096:  # rows come in time order: the recent minutes are enough
                        minutes.clear()
                    minute = minutes[value[:16]] = whole_minute(value[:16])
                if minute:
                    return minute + value[17:19]
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

    def whole_minute(prefix) -> str:
        """'YYYY-MM-DD HH:MM:' in local time for this UTC minute, '' when the offset changes in it or
        has seconds (then each moment is converted alone)."""
        try:
            start = datetime.fromisoformat(prefix + ":00")
        except ValueError:
            return ""
        first = start.replace(tzinfo=UTC).astimezone(tz).utcoffset()
        last = (start + timedelta(seconds=59, microseconds=999999)).replace(tzinfo=UTC).astimezone(tz).utcoffset()
        if first != last or first.total_seconds() % 60:
            return ""
        local = start + first
        if local.year < 1000:  # isoformat pads the year, strftime does not
            return local.strftime("%Y-%m-%d %H:%M:")
        return local.isoformat(" ", "minutes") + ":"
    return text


#: answer types written as they are (anything else goes through the column's rule)
SCALARS = frozenset({str, int, float, bool, type(None)})


def _simple(value):
    if value is None or isinstance(value, (list, dict)):
        return None if value in (None, [], {}) else str(value)
    return value


def cells(columns, lang=None):
    """A function: an item's answers (a dict) as the cells of these columns, as columns.row_values.

    Every column's answer is taken in one pass (map over the keys); only geopoints (split once, into
    their four columns), choices shown as labels and, rarely, lists or dicts are then rewritten."""
    joiner = JOINERS.get(lang, " ")
    keys = [c.key for c in columns]
    points = [(at, c.key) for at, c in enumerate(columns) if c.part == 0]
    parts = [(at, c.key, c.part) for at, c in enumerate(columns) if c.part is not None]
    whole = all(columns[at + i].part == i and columns[at + i].key == key for at, key in points for i in range(4)) \
        and len(parts) == 4 * len(points)
    choices = [(at, c.key, c.type != "select_one", c.choices) for at, c in enumerate(columns)
               if c.part is None and c.choices is not None]

    def row(item):
        get = item.get
        out = list(map(get, keys))
        if not SCALARS.issuperset(map(type, out)):
            out = [_simple(value) for value in out]
        if whole:
            for at, key in points:
                out[at:at + 4] = split_geopoint(get(key))
        else:  # a geopoint's parts not side by side: each from its own split
            for at, key, part in parts:
                out[at] = split_geopoint(get(key))[part]
        for at, key, many, labels in choices:
            value = get(key)
            if value is None or isinstance(value, (list, dict)):
                continue  # already _simple
            codes = str(value).split() if many else [str(value)]
            out[at] = joiner.join(labels.get(code, code) for code in codes)
        return out
    return row
