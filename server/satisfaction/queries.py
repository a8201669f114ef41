"""Satisfaction aggregates, computed in SQL: by cadre, by area, over the last periods."""
from sqlalchemy import Integer, cast

from ..areas import services as areas
from ..coverage.sql_hints import unindexed
from ..areas.models import Area
from ..auth.models import User
from ..auth.services import require_role
from ..errors import Forbidden
from ..extensions import db
from ..households.models import Assignment, Household
from ..submissions.models import Submission
from .periods import period_of, previous_periods

MIN_CADRE_N = 5
SCORES = ("attitude", "help", "frequency")
OVERALL = ("satisfied", "basic", "unsatisfied")
TREND_PERIODS = 4


def _answers(period, *, self_rated=False):
    """Where-clauses of counted satisfaction answers in a period."""
    return (Submission.kind == "satisfaction", Submission.is_current.is_(True),
            Submission.review_state.notin_(("rejected", "has_issues")), Submission.captured_at >= period.start,
            Submission.captured_at < period.end, Submission.is_self_rated.is_(self_rated))


def _metric_columns():
    overall = Submission.answers["overall"].as_string()
    columns = [db.func.count(Submission.id).label("responses")]
    columns += [db.func.sum(db.case((overall == name, 1), else_=0)).label(name) for name in OVERALL]
    for name in SCORES:
        value = Submission.answers[name].as_string()
        columns.append(db.func.avg(db.case((value.in_(("1", "2", "3", "4", "5")), cast(value, Integer)))).label(name))
    return columns


def _in_force(period):
    """Assignments in force at the period's end."""
    return (Assignment.valid_from < period.end,
            db.or_(Assignment.valid_to.is_(None), Assignment.valid_to >= period.end))


def _metrics(row, linked) -> dict:
    n = int(row.responses or 0) if row is not None else 0
    out = {"responses": n, "linked_households": linked,
           "response_rate": round(n / linked, 4) if linked else None}
    for name in OVERALL:
        count = int(getattr(row, name) or 0) if row is not None else 0
        out[name] = count
        out[f"share_{name}"] = round(count / n, 4) if n else None
    for name in SCORES:
        value = getattr(row, name) if row is not None else None
        out[f"mean_{name}"] = round(float(value), 2) if value is not None else None
    return out


def empty_metrics() -> dict:
    """The metrics of a cadre nobody rated."""
    return _metrics(None, 0)


def masked(metrics: dict) -> dict:
    """What a cadre sees of their own aggregate: all of it from n >= 5, else nothing but the reason."""
    if metrics["responses"] >= MIN_CADRE_N:
        return dict(metrics, enough_responses=True)
    return dict({key: None for key in metrics}, enough_responses=False,
                message=f"Not enough responses yet: a score is shown from {MIN_CADRE_N} responses.")


def by_cadre(period, in_area, cadre_id=None) -> list[dict]:
    answers = (db.select(Submission.rated_cadre_id.label("cadre_id"), *_metric_columns())
               .where(*_answers(period), Submission.area_id.in_(in_area), Submission.rated_cadre_id.is_not(None))
               .group_by(Submission.rated_cadre_id))
    linked = (db.select(Assignment.cadre_id, db.func.count(db.distinct(Assignment.household_id)))
              .join(Household, Household.id == Assignment.household_id)
              .where(*_in_force(period), Household.area_id.in_(in_area), Household.is_active.is_(True))
              .group_by(Assignment.cadre_id))
    if cadre_id is not None:
        answers = answers.where(Submission.rated_cadre_id == cadre_id)
        linked = linked.where(Assignment.cadre_id == cadre_id)
    rows = {row.cadre_id: row for row in db.session.execute(answers)}
    counts = dict(db.session.execute(linked).all())
    ids = sorted(set(rows) | set(counts))
    names = dict(db.session.execute(db.select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    return [dict(cadre_id=i, cadre_name=names.get(i), **_metrics(rows.get(i), counts.get(i, 0))) for i in ids]


def _by_area(period, area: Area | None, children) -> list[dict]:
    """One row per child area, each rolling up its subtree."""
    SubArea = db.aliased(Area)
    child_ids = [c.id for c in children]
    if not child_ids:
        return []
    under = SubArea.path.like(Area.path.concat("%"))
    answers = (db.select(Area.id.label("area_id"), *_metric_columns())
               .select_from(Submission).join(SubArea, SubArea.id == Submission.area_id).join(Area, under)
               .where(*_answers(period), Area.id.in_(child_ids)).group_by(Area.id))
    linked = (db.select(Area.id, db.func.count(db.distinct(Assignment.household_id)))
              .select_from(Assignment).join(Household, Household.id == Assignment.household_id)
              .join(SubArea, SubArea.id == Household.area_id).join(Area, under)
              .where(*_in_force(period), Household.is_active.is_(True), Area.id.in_(child_ids)).group_by(Area.id))
    rows = {row.area_id: row for row in db.session.execute(answers)}
    counts = dict(db.session.execute(linked).all())
    return [dict(area_id=c.id, area_code=c.code, area_name=c.name, **_metrics(rows.get(c.id), counts.get(c.id, 0)))
            for c in children]


def _total(period, in_area, cadre_id=None) -> dict:
    query = db.select(*_metric_columns()).where(*_answers(period), Submission.area_id.in_(in_area))
    linked = (db.select(db.func.count(db.distinct(Assignment.household_id)))
              .join(Household, Household.id == Assignment.household_id)
              .where(*_in_force(period), Household.area_id.in_(in_area), Household.is_active.is_(True)))
    if cadre_id is not None:
        query = query.where(Submission.rated_cadre_id == cadre_id)
        linked = linked.where(Assignment.cadre_id == cadre_id)
    return _metrics(db.session.execute(query).one(), db.session.scalar(linked) or 0)


def _self_rated(period, in_area, cadre_id=None) -> int:
    query = db.select(db.func.count(Submission.id)).where(*_answers(period, self_rated=True),
                                                           Submission.area_id.in_(in_area))
    if cadre_id is not None:
        query = query.where(Submission.rated_cadre_id == cadre_id)
    return db.session.scalar(query) or 0


def summarize(actor, *, period_key=None, area_id=None, by="area") -> dict:
    """Aggregates for a period: managers over their scope by area or cadre; a cadre only their own (n >= 5)."""
    period = period_of(period_key)
    trend_periods = previous_periods(period, TREND_PERIODS)
    if actor.role == "cadre":
        return _cadre_view(actor, period, trend_periods)
    require_role(actor, "admin", "manager")
    area = areas.get_in_scope(actor, area_id) if area_id is not None else actor.area
    in_area = areas.subtree_ids(area) if area is not None else db.select(Area.id)
    if by == "cadre":
        rows = by_cadre(period, in_area)
    else:
        children = db.session.scalars(db.select(Area).filter_by(parent_id=area.id if area else None)
                                      .order_by(Area.code)).all() if area is None or area.level != "grid" else []
        rows = _by_area(period, area, children or ([area] if area is not None else []))
    return {"period": period.label, "by": by, "area": _area(area), "total": _total(period, in_area),
            "excluded": {"self_rated": _self_rated(period, in_area)}, "rows": rows,
            "trend": [dict(period=p.label, **_total(p, in_area)) for p in trend_periods]}


def _cadre_view(actor, period, trend_periods) -> dict:
    everywhere = db.select(Area.id)
    own = masked(_total(period, everywhere, cadre_id=actor.id))
    return {"period": period.label, "by": "cadre", "area": None,
            "total": own, "rows": [dict(cadre_id=actor.id, cadre_name=actor.display_name, **own)],
            "excluded": None,
            "trend": [dict(period=p.label, **masked(_total(p, everywhere, cadre_id=actor.id))) for p in trend_periods]}


def _area(area):
    return {"id": area.id, "code": area.code, "name": area.name} if area is not None else None


def list_answers(actor, *, period_key=None, area_id=None, cadre_id=None, include_self_rated=True):
    """A select of individual answers in scope: managers and admins only, never cadres."""
    if actor.role not in ("admin", "manager"):
        raise Forbidden("Only managers see individual satisfaction answers.")
    query = db.select(Submission).where(Submission.kind == "satisfaction", Submission.is_current.is_(True))
    if actor.role == "manager":
        query = query.where(Submission.area_id.in_(areas.subtree_ids(actor.area)))
    if period_key:
        period = period_of(period_key)
        query = query.where(Submission.captured_at >= period.start, Submission.captured_at < period.end)
    if area_id is not None:
        query = query.where(Submission.area_id.in_(areas.subtree_ids(areas.get_in_scope(actor, area_id))))
    if cadre_id is not None:
        query = query.where(Submission.rated_cadre_id == cadre_id)
    if not include_self_rated:
        query = query.where(Submission.is_self_rated.is_(False))
    return query.options(db.selectinload(Submission.household)).order_by(Submission.captured_at.desc(),
                                                                         Submission.id.desc())


def register_count(area: Area) -> int:
    """Active households in an area's subtree: the QR sheet's register."""
    return db.session.scalar(db.select(db.func.count(Household.id)).where(
        Household.area_id.in_(areas.subtree_ids(area)), Household.is_active.is_(True)))


def sheet_areas(actor) -> list[Area]:
    """Areas in scope that hold households (villages and below), by path: what the QR sheet offers by name."""
    with_households = db.select(Household.area_id).where(Household.is_active.is_(True)).distinct()
    return db.session.scalars(areas.scoped_areas(actor).where(Area.id.in_(with_households))
                              .order_by(Area.path)).all()


def household_answers(household_id: int) -> dict:
    """A household's satisfaction answers in aggregate (never one answer): responses and overall counts."""
    overall = Submission.answers["overall"].as_string()
    rows = db.session.execute(
        db.select(overall, db.func.count()).where(Submission.household_id == household_id,
                                                  unindexed(Submission.kind) == "satisfaction",
                                                  Submission.is_current.is_(True),
                                                  Submission.review_state != "rejected")
        .group_by(overall)).all()
    counts = {k: 0 for k in OVERALL}
    for answer, n in rows:
        if answer in counts:
            counts[answer] += n
    return {"responses": sum(n for _a, n in rows), **counts}


def household_of(link) -> Household:
    """The household a resident link was printed for."""
    return db.session.get(Household, link.household_id)
