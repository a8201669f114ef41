"""The coverage map's data, scoped to the acting user: the GeoJSON that DESIGN names, and the compact
form the map page loads (a third of the bytes, no per-feature keys).

Both are one read of the households (the status decided by the database from the summary), streamed
from a server-side cursor as the driver's tuples: GeoJSON as Feature text the database builds, the
compact form as plain values orjson writes a batch at a time. The query starts when the response
starts, in its own transaction."""
import json

import orjson

from ..auth.services import require_role
from ..extensions import db
from ..models_base import utcnow
from . import map_queries
from .map_queries import MAP_POINT_FIELDS, MAP_STATUSES
from .services import ROLES, household_where, is_small, requested_area, tune_for_reports

BATCH = 5000
CADRE = MAP_POINT_FIELDS.index("cadre")


def _query(build, actor, period, area_id, now):
    require_role(actor, *ROLES)
    area = requested_area(actor, area_id)
    small = is_small(actor, area)
    where = household_where(actor, area, scan=not small)
    return build(period, now or utcnow(), where, small)


def _batches(query):
    """The query's rows BATCH at a time, from a server-side cursor. SQLite's driver steps through the
    rows as they are fetched, so its own tuples are taken (the map's values need no conversion, and a
    Row per household costs more than the rest of the work); PostgreSQL's through a named cursor."""
    tune_for_reports()
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


def _names(ids) -> dict:
    """{cadre id: display name} of these users (a thousand per statement)."""
    names, ids = {}, sorted(ids)
    for at in range(0, len(ids), 1000):
        names.update(db.session.execute(map_queries.cadre_names(ids[at:at + 1000])).all())
    return names


def map_geojson(actor, period, *, area_id=None, now=None):
    """The map as GeoJSON byte chunks: a FeatureCollection of located households (DESIGN section 6)."""
    query = _query(map_queries.map_features, actor, period, area_id, now)

    def chunks():
        yield b'{"type":"FeatureCollection","features":['
        separator = ""
        for part in _batches(query):
            yield (separator + ",".join([feature for feature, in part])).encode()
            separator = ","
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
    query = _query(map_queries.map_points, actor, period, area_id, now)

    def chunks():
        yield (f'{{"fields":{json.dumps(MAP_POINT_FIELDS)},'
               f'"statuses":{json.dumps(MAP_STATUSES)},"rows":[').encode()
        separator, cadres = b"", set()
        for part in _batches(query):
            rows = [(round(lon, 6), round(lat, 6), *rest) for lon, lat, *rest in part]
            yield separator + orjson.dumps(rows)[1:-1]
            cadres.update(row[CADRE] for row in part)
            separator = b","
        cadres.discard(None)
        yield b"]," + orjson.dumps({"cadres": {str(k): v for k, v in _names(cadres).items()}})[1:]
    return chunks()
