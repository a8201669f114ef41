"""The coverage map's data, scoped to the acting user: the GeoJSON that DESIGN names, and the compact
form the map page loads (a third of the bytes, no per-feature keys).

Both are text built by the database and streamed in chunks as the server-side cursor yields rows;
the query starts when the response starts, in its own transaction."""
import json

import orjson

from ..auth.services import require_role
from ..extensions import db
from ..models_base import utcnow
from . import map_queries
from .services import ROLES, _area, _household_where, _is_small, tune_for_reports

BATCH = 5000
CADRE = map_queries.MAP_POINT_FIELDS.index("cadre")


def _rows(query):
    tune_for_reports()
    return db.session.connection().execute(query.execution_options(yield_per=BATCH))


def _query(build, actor, period, area_id, now):
    require_role(actor, *ROLES)
    area = _area(actor, area_id)
    return build(period, now or utcnow(), _household_where(actor, area), _is_small(actor, area))


def map_geojson(actor, period, *, area_id=None, now=None):
    """The map as GeoJSON text chunks: a FeatureCollection of located households (DESIGN section 6)."""
    query = _query(map_queries.map_features, actor, period, area_id, now)

    def chunks():
        yield '{"type":"FeatureCollection","features":['
        separator = ""
        for part in _rows(query).scalars().partitions():
            yield separator + ",".join(part)
            separator = ","
        yield "]}"
    return chunks()


def map_compact(actor, period, *, area_id=None, now=None):
    """The map as compact JSON text chunks, the same households and values as map_geojson:

        {"fields": ["lon", "lat", "id", "code", "head", "status", "last_visit", "cadre", "area_id"],
         "statuses": ["overdue", "visited", "flagged", "unvisited"],
         "rows": [[121.4301, 29.2901, 7, "SZ01-001", "王五", 1, "2026-12-31T16:30:00Z", 12, 3], ...],
         "cadres": {"12": "李四", ...}}

    status is an index into statuses; cadre the id of the household's cadre (null: none), whose name is
    in cadres; coordinates have 6 decimals (about 0.1 m)."""
    query = _query(map_queries.map_points, actor, period, area_id, now)

    def chunks():
        yield (f'{{"fields":{json.dumps(map_queries.MAP_POINT_FIELDS)},'
               f'"statuses":{json.dumps(map_queries.MAP_STATUSES)},"rows":[')
        separator, cadres = "", set()
        for part in _rows(query).partitions():
            rows = [tuple(row) for row in part]
            yield separator + orjson.dumps(rows).decode()[1:-1]
            cadres.update(row[CADRE] for row in rows)
            separator = ","
        cadres.discard(None)
        names, ids = {}, sorted(cadres)
        for at in range(0, len(ids), 1000):
            names.update(db.session.execute(map_queries.cadre_names(ids[at:at + 1000])).all())
        yield "]," + json.dumps({"cadres": {str(k): v for k, v in names.items()}}, ensure_ascii=False)[1:]
    return chunks()
