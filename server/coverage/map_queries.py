"""The SQL of the coverage map: per located household its point and status, as GeoJSON Feature text or
as a compact JSON array, built by the database in one pass (see queries for the building blocks)."""
from sqlalchemy import case, cast, literal, literal_column, select, true
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import Float, Text

from ..models_base import UtcDateTime
from ..submissions.models import FLAGGED_GEO_STATUSES
from .queries import H, S, U, in_force_at, joined_text, json_text, key, overdue_clause, utc_text, visited_in
from .summary import M, is_whole_months, month_range


class coordinate(FunctionElement):  # noqa: N801
    """A coordinate rounded to 6 decimals (about 0.1 m), as a float."""
    type, inherit_cache, name = Float(), True, "coordinate"


@compiles(coordinate)
def _coordinate(element, compiler, **kw):
    return f"round({compiler.process(element.clauses, **kw)}, 6)"


@compiles(coordinate, "postgresql")
def _coordinate_pg(element, compiler, **kw):
    return f"round(({compiler.process(element.clauses, **kw)})::numeric, 6)::float8"


#: the map's statuses, in the order they are decided (the compact map gives their index)
MAP_STATUSES = ("overdue", "visited", "flagged", "unvisited")


def _map_status(period, now, small: bool, values):
    """A household's status on the map: overdue, else visited in the period, else with a flagged
    visit in it, else unvisited; as the given SQL values (in MAP_STATUSES order)."""
    flagged = (select(literal_column("1"))  # looked up only for the few neither overdue nor visited
               .where(M.c.household_id == H.c.id, month_range(period), M.c.flagged > 0).exists()
               if is_whole_months(period) else
               select(literal_column("1"))
               .where(S.c.household_id == H.c.id, S.c.captured_at >= literal(period.start, UtcDateTime()),
                      S.c.captured_at < literal(period.end, UtcDateTime()), S.c.kind == "visit",
                      S.c.is_current == true(), S.c.geo_status.in_(FLAGGED_GEO_STATUSES)).exists())
    overdue, visited, flagged_value, unvisited = values
    return case((overdue_clause(now), overdue), (visited_in(period, small), visited),
                (flagged, flagged_value), else_=unvisited)


def map_features(period, now, household_where, small: bool):
    """One GeoJSON Feature (text) per located household, built by the database in one pass."""
    asg = in_force_at(period.end)
    status = _map_status(period, now, small, [key(s) for s in MAP_STATUSES])
    # Built with || (PostgreSQL's json_build_object takes twice as long); coordinates and ids are numbers
    feature = joined_text('{"type":"Feature","geometry":{"type":"Point","coordinates":[', json_text(H.c.lon), ",",
                          json_text(H.c.lat), ']},"properties":{"id":', json_text(H.c.id), ',"code":',
                          json_text(H.c.code), ',"head":', json_text(H.c.head_name), ',"status":', json_text(status),
                          ',"last_visit":', json_text(utc_text(H.c.last_counted_visit_at)), ',"cadre":',
                          json_text(U.c.display_name), ',"area_id":', json_text(H.c.area_id), "}}")
    return (select(cast(feature, Text).label("feature"))
            .select_from(H.outerjoin(asg, asg.c.household_id == H.c.id)
                         .outerjoin(U, U.c.id == asg.c.cadre_id))
            .where(*household_where, H.c.lat.is_not(None), H.c.lon.is_not(None)))


#: the columns of a compact map row (MAP_STATUSES index for status, the cadre's user id)
MAP_POINT_FIELDS = ("lon", "lat", "id", "code", "head", "status", "last_visit", "cadre", "area_id")


def map_points(period, now, household_where, small: bool):
    """The compact map: per located household the MAP_POINT_FIELDS as plain values (serialized by the
    caller). Coordinates to 6 decimals, the status as its index, the cadre by id, the last visit as
    ISO text (no datetime parsing per row)."""
    asg = in_force_at(period.end)
    status = _map_status(period, now, small, [literal_column(str(i)) for i in range(len(MAP_STATUSES))])
    return (select(coordinate(H.c.lon), coordinate(H.c.lat), H.c.id, H.c.code, H.c.head_name, status,
                   utc_text(H.c.last_counted_visit_at), asg.c.cadre_id, H.c.area_id)
            .select_from(H.outerjoin(asg, asg.c.household_id == H.c.id))
            .where(*household_where, H.c.lat.is_not(None), H.c.lon.is_not(None)))


def cadre_names(ids):
    """{user id: display name} of these users."""
    return select(U.c.id, U.c.display_name).where(U.c.id.in_(ids))
