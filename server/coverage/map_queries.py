"""The SQL of the coverage map: per located household its point, status, last counted visit, cadre
and village, as GeoJSON Feature text built by the database or as plain values for the compact form."""
from sqlalchemy import case, cast, literal, literal_column, select, true
from sqlalchemy.types import Text

from ..models_base import UtcDateTime
from ..submissions.models import FLAGGED_GEO_STATUSES
from .queries import H, S, U, in_force_at, joined_text, json_text, key, overdue_clause, utc_text, visited_in
from .summary import M, is_whole_months, month_range

#: the map's statuses, in the order they are decided (a map row gives the index)
MAP_STATUSES = ("overdue", "visited", "flagged", "unvisited")
#: the columns of a map row (MAP_STATUSES index for status, the cadre's user id)
MAP_POINT_FIELDS = ("lon", "lat", "id", "code", "head", "status", "last_visit", "cadre", "area_id")
#: the columns of a GeoJSON row: the Feature's text, then what the map cache reads
FEATURE_FIELDS = ("feature", "id", "area_id", "last_visit", "category", "cadre")


def _flagged(period, small: bool):
    """Whether the household has a flagged visit in the period: summary rows for whole months, else the
    submissions. A large area matches against the period's few flagged households read once; a small
    one looks up each of its households."""
    if is_whole_months(period):
        column, conditions = M.c.household_id, [month_range(period), M.c.flagged > 0]
    else:
        column, conditions = S.c.household_id, [
            S.c.captured_at >= literal(period.start, UtcDateTime()), S.c.captured_at < literal(period.end, UtcDateTime()),
            S.c.kind == "visit", S.c.is_current == true(), S.c.geo_status.in_(FLAGGED_GEO_STATUSES)]
    if not small:
        return H.c.id.in_(select(column).where(*conditions))
    return select(literal_column("1")).where(column == H.c.id, *conditions).exists()


def map_status(period, now, small: bool, values):
    """A household's status on the map: overdue, else visited in the period, else with a flagged visit
    in it, else unvisited; as the given SQL values (in MAP_STATUSES order)."""
    overdue, visited, flagged, unvisited = values
    return case((overdue_clause(now), overdue), (visited_in(period, small), visited),
                (_flagged(period, small), flagged), else_=unvisited)


def map_features(period, now, household_where, small: bool):
    """One GeoJSON Feature (text) per located household, built by the database (faster than building
    a hundred thousand dicts in Python), then the columns the map cache reads (FEATURE_FIELDS). The
    status is decided once per row: the cache reads it from the Feature's text."""
    asg = in_force_at(period.end)
    status = map_status(period, now, small, [key(s) for s in MAP_STATUSES])
    last = utc_text(H.c.last_counted_visit_at)
    # Built with || (PostgreSQL's json_build_object takes twice as long); coordinates and ids are numbers
    feature = joined_text('{"type":"Feature","geometry":{"type":"Point","coordinates":[', json_text(H.c.lon), ",",
                          json_text(H.c.lat), ']},"properties":{"id":', json_text(H.c.id), ',"code":',
                          json_text(H.c.code), ',"head":', json_text(H.c.head_name), ',"status":', json_text(status),
                          ',"last_visit":', json_text(last), ',"cadre":', json_text(U.c.display_name),
                          ',"area_id":', json_text(H.c.area_id), "}}")
    return (select(cast(feature, Text).label("feature"), H.c.id, H.c.area_id, last.label("last_visit"), H.c.category,
                   asg.c.cadre_id.label("cadre"))
            .select_from(H.outerjoin(asg, asg.c.household_id == H.c.id)
                         .outerjoin(U, U.c.id == asg.c.cadre_id))
            .where(*household_where, H.c.lat.is_not(None), H.c.lon.is_not(None)))


def map_points(period, now, household_where, small: bool):
    """Per located household the MAP_POINT_FIELDS as plain values, then its category: the coordinates
    as stored, the status as its index, the cadre (assignment in force at the period's end) by id, the
    last counted visit as ISO text (no datetime parsing per row)."""
    asg = in_force_at(period.end)
    status = map_status(period, now, small, [literal_column(str(i)) for i in range(len(MAP_STATUSES))])
    joined = H.outerjoin(asg, asg.c.household_id == H.c.id)
    columns = [H.c.lon, H.c.lat, H.c.id, H.c.code, H.c.head_name.label("head"), status.label("status"),
               utc_text(H.c.last_counted_visit_at).label("last_visit"), asg.c.cadre_id.label("cadre"), H.c.area_id,
               H.c.category]
    return (select(*columns).select_from(joined)
            .where(*household_where, H.c.lat.is_not(None), H.c.lon.is_not(None)))


def cadre_names(ids):
    """{user id: display name} of these users."""
    return select(U.c.id, U.c.display_name).where(U.c.id.in_(ids))
