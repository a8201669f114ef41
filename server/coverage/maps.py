"""The coverage map's data, scoped to the acting user: the GeoJSON that DESIGN names, and the compact
form the map page loads (a third of the bytes, no per-feature keys).

Both read the households (the status decided by the database from the summary) from a server-side
cursor as the driver's tuples: GeoJSON as Feature text the database builds, the compact form as plain
values orjson writes. Admins' and managers' maps keep each area's rows in this worker's cache
(coverage.map_cache) and read again only the areas where something changed. The query starts when
the response starts, in its own transaction."""
import json

import orjson

from .. import epochs
from ..auth.services import require_role
from ..extensions import db
from ..models_base import utcnow
from . import map_cache, map_queries
from .map_cache import Layout, cached_rows
from .map_queries import FEATURE_FIELDS, MAP_POINT_FIELDS, MAP_STATUSES
from .queries import H
from .services import ROLES, household_where, is_small, requested_area, tune_for_reports

BATCH = 5000
#: actors whose maps are read through the cache: theirs is every household of the areas they ask for
CACHED_ROLES = ("admin", "manager")


def _compact_text(rows) -> bytes:
    """Compact rows as JSON arrays (comma-separated): MAP_POINT_FIELDS, coordinates to 6 decimals."""
    return orjson.dumps([(round(lon, 6), round(lat, 6), *rest[:7]) for lon, lat, *rest in rows])[1:-1]


def _feature_text(rows) -> bytes:
    return ",".join([row[0] for row in rows]).encode()


#: the one place the status "overdue" can stand unescaped in a Feature's text
OVERDUE_FEATURE = ',"status":"overdue",'
OVERDUE_INDEX = MAP_STATUSES.index("overdue")
COMPACT = Layout(*(MAP_POINT_FIELDS.index(name) for name in ("id", "area_id")),
                 overdue=lambda row: row[5] == OVERDUE_INDEX, last=MAP_POINT_FIELDS.index("last_visit"),
                 category=len(MAP_POINT_FIELDS), cadre=MAP_POINT_FIELDS.index("cadre"), encode=_compact_text)
GEOJSON = Layout(id=FEATURE_FIELDS.index("id"), area=FEATURE_FIELDS.index("area_id"),
                 overdue=lambda row: OVERDUE_FEATURE in row[0], last=FEATURE_FIELDS.index("last_visit"),
                 category=FEATURE_FIELDS.index("category"), cadre=FEATURE_FIELDS.index("cadre"), encode=_feature_text)


def _batches(query):
    """The query's rows BATCH at a time, from a server-side cursor. SQLite's driver steps through the
    rows as they are fetched, so its own tuples are taken (the map's values need no conversion, and a
    Row per household costs more than the rest of the work); PostgreSQL's through a named cursor."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        yield from connection.execute(query.execution_options(yield_per=BATCH)).partitions()
        return
    result = connection.execute(query)
    try:
        while part := result.cursor.fetchmany(BATCH):
            yield part
    finally:
        result.close()


def _map_rows(form, build, layout, actor, period, area_id, now):
    """Byte chunks of the map's rows (comma-separated) and the set of cadre ids they name, filled as
    they go. Admins' and managers' maps go through the cache (coverage.map_cache); a cadre's (their own
    households) is read directly. The query starts when the chunks are first asked for."""
    require_role(actor, *ROLES)
    area = requested_area(actor, area_id)
    now = now or utcnow()
    # the conditions are built now: the request's objects (actor, area) are gone from the session when
    # the chunks run
    if actor.role in CACHED_ROLES and map_cache.fits(area):
        scope = household_where(actor, None)

        def read(area_ids):
            """The rows of these few areas (each probed household by household)."""
            for part in _batches(build(period, now, [*scope, H.c.area_id.in_(area_ids)], True)):
                yield from part
        # GeoJSON holds the cadres' names: its entries are stale too when a user changes
        names_epoch = (lambda: epochs.current("auth")) if form == "geojson" else None
        chunks, cadres = cached_rows(form, layout, area, period, now, read, names_epoch)
    else:
        small = is_small(actor, area)
        chunks, cadres = _direct(build(period, now, household_where(actor, area, scan=not small), small), layout)

    def tuned():
        tune_for_reports()
        yield from chunks
    return tuned(), cadres


def _direct(query, layout):
    """The query's rows as byte chunks, BATCH rows each, and the cadre ids they name."""
    cadres = set()

    def chunks():
        separator = b""
        for part in _batches(query):
            yield separator + layout.encode(part)
            cadres.update(row[layout.cadre] for row in part)
            separator = b","
        cadres.discard(None)
    return chunks(), cadres


def _names(ids) -> dict:
    """{cadre id: display name} of these users (a thousand per statement)."""
    names, ids = {}, sorted(ids)
    for at in range(0, len(ids), 1000):
        names.update(db.session.execute(map_queries.cadre_names(ids[at:at + 1000])).all())
    return names


def map_geojson(actor, period, *, area_id=None, now=None):
    """The map as GeoJSON byte chunks: a FeatureCollection of located households (DESIGN section 6)."""
    rows, _ = _map_rows("geojson", map_queries.map_features, GEOJSON, actor, period, area_id, now)

    def chunks():
        yield b'{"type":"FeatureCollection","features":['
        yield from rows
        yield b"]}"
    return chunks()


def map_compact(actor, period, *, area_id=None, now=None):
    """The map as compact JSON byte chunks, the same households and values as map_geojson:

        {"fields": ["lon", "lat", "id", "code", "head", "status", "last_visit", "cadre", "area_id"],
         "statuses": ["overdue", "visited", "flagged", "unvisited"],
         "rows": [[121.4301, 29.2901, 7, "SZ01-001", "王五", 1, "2026-12-31T16:30:00Z", 12, 3], ...],
         "cadres": {"12": "李四", ...}}

    status is an index into statuses; cadre the id of the household's cadre (null: none), whose name is
    in cadres; coordinates have 6 decimals (about 0.1 m)."""
    rows, cadres = _map_rows("compact", map_queries.map_points, COMPACT, actor, period, area_id, now)

    def chunks():
        yield (f'{{"fields":{json.dumps(MAP_POINT_FIELDS)},'
               f'"statuses":{json.dumps(MAP_STATUSES)},"rows":[').encode()
        yield from rows
        yield b"]," + orjson.dumps({"cadres": {str(k): v for k, v in _names(cadres).items()}})[1:]
    return chunks()
