"""Coverage aggregates per cadre, so that a county's report by cadre reads tens of thousands of rows,
not a million households and their links.

They hold each household's share under its standing link (the assignment with no valid_to):
- coverage_cadre_keys: per named period, cadre and village, the active households linked to the
  cadre that the cadre visited (a counted visit in the period) and the cadre's flagged visits there;
- coverage_cadre_households / coverage_cadre_sizes: the active linked households per category and
  UTC month of their last counted visit, and per village.
The summary's upkeep (coverage.aggregates.upkeep) applies the difference of a change of summary
rows; triggers on households (moves, (de)activation, category, last counted visit) and on
assignments (links opened, closed, moved; every writer: relink, bulk relink, import, SQL) do the
rest. A report for a period whose end falls before a link's valid_from or valid_to (a household
relinked since, or linked ahead) corrects those households from the raw links in force at the
period's end (coverage.services), so the rule stays DESIGN's: the assignment in force at the
period's end. `flask coverage rebuild-summary` rebuilds them, `check-summary` compares them."""
from datetime import timedelta, timezone

from sqlalchemy import case, delete, except_, func, insert, literal, or_, select, true, union_all

from ..auth.models import User
from ..extensions import db
from ..households.models import CATEGORIES, Assignment, Household
from ..models_base import UtcDateTime
from .aggregate_keys import month_keys, month_of, month_start, next_month, other_than, summary_keys
from .models import CoverageCadreHousehold, CoverageCadreKey, CoverageCadreSize, CoverageMonth

H, ASG, U = Household.__table__, Assignment.__table__, User.__table__
M, CK, CB, CZ = (CoverageMonth.__table__, CoverageCadreKey.__table__, CoverageCadreHousehold.__table__,
                 CoverageCadreSize.__table__)


def _standing():
    """Active households with their standing link: (household_id, cadre_id, area_id, category, last)."""
    return (select(H.c.id.label("household_id"), ASG.c.cadre_id, H.c.area_id, H.c.category,
                   H.c.last_counted_visit_at)
            .select_from(H.join(ASG, (ASG.c.household_id == H.c.id) & ASG.c.valid_to.is_(None)))
            .where(H.c.is_active == true()).subquery("standing"))


def _cadre_keys():
    """(period_key, cadre_id, area_id, visited, flagged) as the summary, households and links say."""
    keys, link = summary_keys(), _standing()
    per = (select(keys.c.k, link.c.cadre_id, link.c.area_id, func.max(keys.c.c).label("v"),
                  func.sum(keys.c.f).label("f"))
           .select_from(keys.join(link, (link.c.household_id == keys.c.household_id)
                                  & (link.c.cadre_id == keys.c.submitter_id)))
           .group_by(keys.c.household_id, keys.c.k, link.c.cadre_id, link.c.area_id).subquery("per"))
    return (select(per.c.k.label("period_key"), per.c.cadre_id, per.c.area_id, func.sum(per.c.v).label("visited"),
                   func.sum(per.c.f).label("flagged"))
            .group_by(per.c.k, per.c.cadre_id, per.c.area_id))


def _cadre_households(dialect: str):
    link = _standing()
    month = month_of(link.c.last_counted_visit_at, dialect)
    category = func.coalesce(link.c.category, "")
    return (select(link.c.cadre_id, link.c.area_id, category.label("category"), month.label("last_month"),
                   func.count().label("households"))
            .group_by(link.c.cadre_id, link.c.area_id, category, month))


def _cadre_sizes():
    link = _standing()
    return (select(link.c.cadre_id, link.c.area_id, func.count().label("households"))
            .group_by(link.c.cadre_id, link.c.area_id))


def rebuild_cadre_aggregates(connection=None) -> int:
    """Recompute the per-cadre aggregates from the summary, households and links; returns the key rows."""
    connection = connection if connection is not None else db.session.connection()
    connection.execute(delete(CK))
    connection.execute(insert(CK).from_select(["period_key", "cadre_id", "area_id", "visited", "flagged"],
                                              _cadre_keys()))
    connection.execute(delete(CB))
    connection.execute(insert(CB).from_select(["cadre_id", "area_id", "category", "last_month", "households"],
                                              _cadre_households(connection.dialect.name)))
    connection.execute(delete(CZ))
    connection.execute(insert(CZ).from_select(["cadre_id", "area_id", "households"], _cadre_sizes()))
    for table in (CK, CB, CZ):  # the planner's statistics
        connection.exec_driver_sql(f"ANALYZE {table.name}")
    return connection.scalar(select(func.count()).select_from(CK))


def check_cadre_aggregates(connection) -> dict:
    """Rows of each per-cadre aggregate that differ from a recomputation (all-zero rows ignored)."""
    out = {}
    for name, table, fresh, values in (
            ("cadre_keys", CK, _cadre_keys(), ("visited", "flagged")),
            ("cadre_households", CB, _cadre_households(connection.dialect.name), ("households",)),
            ("cadre_sizes", CZ, _cadre_sizes(), ("households",))):
        stored = select(*table.c).where(or_(*(table.c[v] != 0 for v in values)))
        fresh = fresh.subquery()
        fresh = select(*fresh.c).where(or_(*(fresh.c[v] != 0 for v in values)))
        wrong = except_(stored, fresh).subquery()
        missing = except_(fresh, stored).subquery()
        out[name] = (connection.scalar(select(func.count()).select_from(missing))
                     + connection.scalar(select(func.count()).select_from(wrong)))
    return out


def shares(households: dict, rows) -> dict:
    """{(period_key, cadre_id, area_id): [visited, flagged]} of summary rows (household, month,
    counted, flagged, submitter), households: {id: (village, standing cadre)} of the active ones."""
    visited, flagged = set(), {}
    for household, month, counted, flags, submitter in rows:
        village, cadre = households.get(household, (None, None))
        if cadre is None or submitter != cadre:  # inactive, unlinked, or another visitor's visit
            continue
        for key in month_keys(month):
            if counted > 0:
                visited.add((key, cadre, village, household))
            flagged[key, cadre, village] = flagged.get((key, cadre, village), 0) + flags
    out = {key: [0, f] for key, f in flagged.items()}
    for key, cadre, village, _ in visited:
        out[key, cadre, village][0] += 1
    return out


# ---- reading them -----------------------------------------------------------

def cadre_rows(key: int, now, areas_select, policy: dict):
    """A select of one finished row per cadre of the standing links in these villages (areas_select:
    a select of area ids, or None for all): id, username, display_name, households, visited,
    overdue, flagged, by username. Overdue as coverage.aggregates.area_totals reads the villages':
    households less those counted since their category's cut-off. One statement; the database sums."""

    def where(table):
        return [table.c.area_id.in_(areas_select)] if areas_select is not None else []
    default = policy.get("ordinary", 90)
    known = sorted(set(policy) | set(CATEGORIES))
    link = ASG.alias("link")
    # each household's standing cadre, looked up by its one open link (uq_assignments_open_household;
    # None when unlinked, which no cadre's row matches): a join here let PostgreSQL's planner hash a
    # million links for a few thousand households
    standing_cadre = (select(link.c.cadre_id).where(link.c.household_id == H.c.id, link.c.valid_to.is_(None))
                      .scalar_subquery())
    groups = [(c, (CB.c.category == c, H.c.category == c)) for c in known]
    groups.append((None, (other_than(CB.c.category, known), other_than(H.c.category, known))))
    parts = []
    for category, clause in groups:
        moment = (now - timedelta(days=policy.get(category, default))).astimezone(timezone.utc)
        month = moment.year * 100 + moment.month
        first, after = month_start(moment), next_month(moment)
        early = moment - first < after - moment  # read the shorter side of the cut-off's month
        counted = case((CB.c.last_month > month, CB.c.households), else_=0)
        if early:
            counted = counted + case((CB.c.last_month == month, CB.c.households), else_=0)
        parts.append(select(CB.c.cadre_id, counted.label("households"))
                     .where(clause[0], CB.c.last_month >= month, *where(CB)))
        lo, hi = (first, moment) if early else (moment, after)
        parts.append(select(standing_cadre.label("cadre_id"), literal(-1 if early else 1).label("households"))
                     .where(clause[1], H.c.last_counted_visit_at >= literal(lo, UtcDateTime()),
                            H.c.last_counted_visit_at < literal(hi, UtcDateTime()), H.c.is_active == true(),
                            *where(H)))
    fresh = union_all(*parts).subquery("fresh")  # counted since the cut-off: not overdue
    since = (select(fresh.c.cadre_id, func.sum(fresh.c.households).label("n"))
             .group_by(fresh.c.cadre_id).subquery("since"))
    sizes = (select(CZ.c.cadre_id, func.sum(CZ.c.households).label("n"))
             .where(*where(CZ)).group_by(CZ.c.cadre_id).subquery("sizes"))
    keys = (select(CK.c.cadre_id, func.sum(CK.c.visited).label("v"), func.sum(CK.c.flagged).label("f"))
            .where(CK.c.period_key == key, *where(CK)).group_by(CK.c.cadre_id).subquery("keys"))
    return (select(U.c.id, U.c.username, U.c.display_name, sizes.c.n.label("households"),
                   func.coalesce(keys.c.v, 0).label("visited"),
                   (sizes.c.n - func.coalesce(since.c.n, 0)).label("overdue"),
                   func.coalesce(keys.c.f, 0).label("flagged"))
            .select_from(sizes.join(U, U.c.id == sizes.c.cadre_id)
                         .outerjoin(since, since.c.cadre_id == sizes.c.cadre_id)
                         .outerjoin(keys, keys.c.cadre_id == sizes.c.cadre_id))
            .where(sizes.c.n != 0).order_by(U.c.username))


def relinked_since(moment):
    """Households whose link in force at the moment may differ from their standing link: some link of
    theirs starts or ends at or after it (a select of household ids)."""
    at = literal(moment, UtcDateTime())
    return (select(ASG.c.household_id).where(ASG.c.valid_from >= at)
            .union(select(ASG.c.household_id).where(ASG.c.valid_to >= at)))
