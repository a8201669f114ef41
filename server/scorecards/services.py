"""Cadre scorecards (考核): coverage, visits, satisfaction and cases per cadre and period, and a composite score.

Coverage numbers come from the coverage service and satisfaction numbers from the satisfaction
queries, so the scorecard always equals those APIs for the same period."""
from flask import current_app

from ..areas import services as areas
from ..areas.models import Area
from ..audit import services as audit
from ..auth.models import User
from ..auth.services import require_role
from ..cases.models import Case
from ..coverage import queries as coverage_queries
from ..coverage import services as coverage
from ..coverage import summary as coverage_summary
from ..errors import ValidationFailed
from ..extensions import db
from ..models_base import utcnow
from ..satisfaction import queries as satisfaction
from ..submissions import review
from .models import ScorecardWeight

DEFAULT_WEIGHTS = {"coverage": 0.4, "verified": 0.2, "satisfaction": 0.3, "cases": 0.1}
#: how a satisfaction answer scores (0-100) in the satisfaction component
OVERALL_POINTS = {"satisfied": 100, "basic": 60, "unsatisfied": 0}


def get_weights() -> dict:
    """Weights of the composite score (stored, else config SCORECARD_WEIGHTS, else defaults)."""
    weights = dict(current_app.config.get("SCORECARD_WEIGHTS") or DEFAULT_WEIGHTS)
    weights.update({w.name: w.weight for w in db.session.scalars(db.select(ScorecardWeight))})
    return weights


def set_weights(actor, data: dict) -> dict:
    """Admins set the composite's weights (components left out keep theirs)."""
    require_role(actor, "admin")
    unknown = set(data) - set(DEFAULT_WEIGHTS)
    if unknown:
        raise ValidationFailed(f"Unknown components: {', '.join(sorted(unknown))}.", field="weights")
    for name, weight in data.items():
        row = db.session.get(ScorecardWeight, name) or ScorecardWeight(name=name)
        row.weight, row.updated_by_id = float(weight), actor.id
        db.session.add(row)
    db.session.flush()
    audit.record(actor, "scorecard.weights", "scorecard_weights", "all", **{k: float(v) for k, v in data.items()})
    return get_weights()


def _visits(period, cadre_ids) -> dict:
    """Per submitter: visits, counted visits in the period (coverage's definitions; from the summary for
    whole months)."""
    if coverage_summary.is_whole_months(period):
        M = coverage_summary.M
        query = (db.select(M.c.submitter_id, db.func.sum(M.c.visits).label("visits"),
                           db.func.sum(M.c.counted).label("counted"))
                 .where(coverage_summary.month_range(period), M.c.submitter_id.in_(cadre_ids))
                 .group_by(M.c.submitter_id))
        return {r.submitter_id: r for r in db.session.execute(query)}
    S = coverage_queries.S
    query = (db.select(S.c.submitter_id, db.func.count().label("visits"),
                       db.func.sum(db.case((coverage_queries.counted_clause(), 1), else_=0)).label("counted"))
             .where(coverage_queries.visits_in(period), S.c.submitter_id.in_(cadre_ids)).group_by(S.c.submitter_id))
    return {r.submitter_id: r for r in db.session.execute(query)}


def _cases(period, cadre_ids, now) -> dict:
    """Per assignee: cases raised in the period, resolved on time / late in it, overdue now, micro-wishes fulfilled."""
    done = db.and_(Case.status.in_(("resolved", "confirmed")), Case.resolved_at >= period.start,
                   Case.resolved_at < period.end)
    one = lambda cond: db.func.sum(db.case((cond, 1), else_=0))  # noqa: E731
    query = (db.select(Case.assignee_id,
                       one(db.and_(Case.created_at >= period.start, Case.created_at < period.end)).label("raised"),
                       one(db.and_(done, Case.resolved_at <= Case.due_at)).label("on_time"),
                       one(db.and_(done, Case.resolved_at > Case.due_at)).label("late"),
                       one(db.and_(Case.status.in_(("open", "claimed", "reopened")), Case.due_at < now)).label("overdue"),
                       one(db.and_(done, Case.is_micro_wish.is_(True))).label("wishes"))
             .where(Case.assignee_id.in_(cadre_ids), Case.category != "satisfaction").group_by(Case.assignee_id))
    return {r.assignee_id: r for r in db.session.execute(query)}


def _composite(components: dict, weights: dict) -> float | None:
    parts = [(weights.get(k, 0), v) for k, v in components.items() if v is not None and weights.get(k, 0) > 0]
    total = sum(w for w, _ in parts)
    return round(sum(w * v for w, v in parts) / total, 1) if total else None


def enough_responses(s: dict) -> bool:
    """Satisfaction enters a score only from MIN_CADRE_N responses, as on the satisfaction page."""
    return bool(s) and (s.get("responses") or 0) >= satisfaction.MIN_CADRE_N


def _sat_index(s: dict) -> float | None:
    if not s or not s.get("responses"):
        return None
    return round(sum(OVERALL_POINTS[k] * s[k] for k in OVERALL_POINTS) / s["responses"], 1)


def scorecards(actor, period, *, area_id=None) -> dict:
    """One scorecard per cadre of the area (assignments in force at the period's end), plus per-area roll-ups."""
    require_role(actor, "admin", "manager", "cadre")
    now = utcnow()
    report = coverage.coverage_report(actor, period, area_id=area_id, by="cadre", now=now)
    area = areas.get_in_scope(actor, area_id) if area_id is not None else (actor.area if actor.role == "manager"
                                                                            else None)
    in_area = areas.subtree_ids(area) if area is not None else db.select(Area.id)
    rows = report["rows"]
    ids = [r["cadre"]["id"] for r in rows]
    visits, cases = _visits(period, ids), _cases(period, ids, now)
    anomalies = review.anomaly_counts(ids, period.start, period.end) if ids else {}
    sat = {s["cadre_id"]: s for s in satisfaction.by_cadre(period, in_area)} if ids else {}
    weights = get_weights()
    cards = []
    for r in rows:
        cid = r["cadre"]["id"]
        v, c = visits.get(cid), cases.get(cid)
        s = sat.get(cid) or satisfaction.empty_metrics()
        if actor.role == "cadre":
            s = satisfaction.masked(s)
        n_visits, counted = int(v.visits) if v else 0, int(v.counted or 0) if v else 0
        card = {
            "cadre": r["cadre"], "households": r["households"], "visits": n_visits, "counted_visits": counted,
            "visited_households": r["visited"], "coverage": r["coverage"],
            "verified_share": round(100.0 * counted / n_visits, 1) if n_visits else None,
            "flagged_visits": r["flagged"], "overdue_households": r["overdue"],
            "anomalies": anomalies.get(cid, {"flagged": 0, "by_reason": {}}),
            "satisfaction": {k: s.get(k) for k in ("responses", "share_satisfied", "share_basic", "share_unsatisfied",
                                                   "mean_attitude", "mean_help", "mean_frequency", "enough_responses")
                             if k in s},
            "cases_raised": int(c.raised or 0) if c else 0, "cases_resolved_on_time": int(c.on_time or 0) if c else 0,
            "cases_resolved_late": int(c.late or 0) if c else 0, "cases_overdue": int(c.overdue or 0) if c else 0,
            "micro_wishes_fulfilled": int(c.wishes or 0) if c else 0,
        }
        handled = card["cases_resolved_on_time"] + card["cases_resolved_late"] + card["cases_overdue"]
        components = {"coverage": card["coverage"], "verified": card["verified_share"],
                      "satisfaction": _sat_index(s) if enough_responses(s) else None,
                      "cases": round(100.0 * card["cases_resolved_on_time"] / handled, 1) if handled else None}
        card["components"], card["score"] = components, _composite(components, weights)
        cards.append(card)
    return {**period.as_dict(), "area": coverage.area_ref(area), "weights": weights, "rows": cards,
            "areas": _roll_up(actor, cards) if actor.role != "cadre" else []}


def _roll_up(actor, cards) -> list[dict]:
    """Cards summed per the cadres' home area (households, visits, cases, satisfaction responses)."""
    homes = dict(db.session.execute(db.select(User.id, User.area_id).where(
        User.id.in_([c["cadre"]["id"] for c in cards]))).all()) if cards else {}
    keys = ("households", "visits", "counted_visits", "visited_households", "flagged_visits", "cases_raised",
            "cases_resolved_on_time", "cases_overdue", "micro_wishes_fulfilled")
    out: dict = {}
    for card in cards:
        bucket = out.setdefault(homes.get(card["cadre"]["id"]), {"cadres": 0, **{k: 0 for k in keys},
                                                                  "responses": 0})
        bucket["cadres"] += 1
        for k in keys:
            bucket[k] += card[k]
        bucket["responses"] += card["satisfaction"].get("responses") or 0
    names = {a.id: a for a in db.session.scalars(db.select(Area).where(Area.id.in_(
        [k for k in out if k is not None])))} if out else {}
    rows = []
    for area_id, bucket in out.items():
        bucket["coverage"] = coverage.percent(bucket["visited_households"], bucket["households"])
        rows.append({"area": coverage.area_ref(names.get(area_id)), **bucket})
    return sorted(rows, key=lambda r: (r["area"] or {}).get("code", ""))

