"""Visits' demands become cases once; a later visit's answer confirms or reopens them."""
from datetime import timedelta

from server.audit.models import AuditEntry
from server.cases.models import Case, CaseEvent
from server.models_base import utcnow

DEMANDS = [
    {"category": "housing", "text": "修缮屋顶", "is_micro_wish": "no"},
    {"category": "education", "text": "想要一个新书包", "is_micro_wish": "yes"},
]


def _cases(db, household):
    return db.session.scalars(db.select(Case).filter_by(household_id=household.id).order_by(Case.id)).all()


def test_visit_with_two_demands_creates_two_cases(db, world, make_submission, ingest_hook):
    visit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS})
    ingest_hook(visit)
    cases = _cases(db, world.h1)
    assert [(c.category, c.text, c.is_micro_wish, c.status) for c in cases] == [
        ("housing", "修缮屋顶", False, "open"), ("education", "想要一个新书包", True, "open")]
    assert [c.source_key for c in cases] == [f"{visit.instance_id}#0", f"{visit.instance_id}#1"]
    assert all(c.assignee_id == world.cadre.id and c.area_id == world.v1.id for c in cases)
    assert all(c.submission_id == visit.id and c.created_by_id == world.cadre.id for c in cases)


def test_due_dates_follow_category_defaults(db, world, make_submission, ingest_hook):
    visit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS})
    ingest_hook(visit)
    ordinary, wish = _cases(db, world.h1)
    assert ordinary.due_at - visit.captured_at == timedelta(days=15)
    assert wish.due_at - visit.captured_at == timedelta(days=30)


def test_due_days_are_configurable(app, db, world, make_submission, ingest_hook):
    app.config["CASE_DUE_DAYS"] = {"housing": 7, "default": 20}
    try:
        visit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS[:1]})
        ingest_hook(visit)
    finally:
        app.config.pop("CASE_DUE_DAYS")
    assert _cases(db, world.h1)[0].due_at - visit.captured_at == timedelta(days=7)


def test_resending_a_visit_creates_no_cases(db, world, make_submission, ingest_hook):
    visit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS})
    ingest_hook(visit)
    ingest_hook(visit)
    assert len(_cases(db, world.h1)) == 2


def test_an_edit_does_not_duplicate_cases_and_adds_only_new_items(db, world, make_submission, ingest_hook):
    first = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS})
    ingest_hook(first)
    edit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS}, replaces=first,
                           review_state="edited")
    ingest_hook(edit)
    assert len(_cases(db, world.h1)) == 2
    third = {"category": "medical", "text": "预约体检", "is_micro_wish": "no"}
    second_edit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS + [third]}, replaces=edit)
    ingest_hook(second_edit)
    cases = _cases(db, world.h1)
    assert len(cases) == 3
    assert cases[2].source_key == f"{first.instance_id}#2"


def test_visits_without_demands_and_other_forms_create_nothing(db, world, make_submission, ingest_hook):
    ingest_hook(make_submission(world.h1, world.cadre, answers={"concerns": "一切正常"}))
    ingest_hook(make_submission(world.h1, world.cadre, answers={"demands": [{"category": "other", "text": " "}]}))
    assert _cases(db, world.h1) == []


def _resolved_case(db, world, make_submission, ingest_hook, ago=timedelta(days=2)):
    visit = make_submission(world.h1, world.cadre, answers={"demands": DEMANDS[:1]},
                            captured_at=utcnow() - timedelta(days=5))
    ingest_hook(visit)
    case = _cases(db, world.h1)[0]
    case.status, case.resolved_at = "resolved", utcnow() - ago
    db.session.commit()
    return case


def test_later_visit_yes_confirms_resolved_cases(db, world, make_submission, ingest_hook):
    case = _resolved_case(db, world, make_submission, ingest_hook)
    household_changed = world.h1.updated_at
    visit = make_submission(world.h1, world.cadre, answers={"cases_confirmed": "yes"})
    ingest_hook(visit)
    # the session's own case object shows the change (no refresh needed)
    assert case.status == "confirmed" and case.confirmed_at is not None
    event = db.session.scalars(db.select(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id.desc())).first()
    assert (event.action, event.from_status, event.to_status, event.actor_id, event.note) == (
        "confirm", "resolved", "confirmed", world.cadre.id, f"visit {visit.instance_id}")
    entry = db.session.scalars(db.select(AuditEntry).filter_by(action="case.confirm", target_id=str(case.id))).one()
    assert entry.actor_id == world.cadre.id and entry.details == {"from_status": "resolved", "to_status": "confirmed"}
    db.session.refresh(world.h1)
    assert world.h1.updated_at > household_changed  # devices pull the household's cases again


def test_later_visit_no_reopens_resolved_cases(db, world, make_submission, ingest_hook):
    case = _resolved_case(db, world, make_submission, ingest_hook)
    ingest_hook(make_submission(world.h1, world.cadre, answers={"cases_confirmed": "no"}))
    db.session.refresh(case)
    assert case.status == "reopened" and case.confirmed_at is None
    event = db.session.scalars(db.select(CaseEvent).filter_by(case_id=case.id).order_by(CaseEvent.id.desc())).first()
    assert (event.action, event.from_status, event.to_status) == ("reopen", "resolved", "reopened")


def test_a_visit_captured_before_the_resolution_confirms_nothing(db, world, make_submission, ingest_hook):
    case = _resolved_case(db, world, make_submission, ingest_hook, ago=timedelta(hours=1))
    ingest_hook(make_submission(world.h1, world.cadre, answers={"cases_confirmed": "yes"},
                                captured_at=utcnow() - timedelta(days=1)))
    db.session.refresh(case)
    assert case.status == "resolved"


def test_confirmation_touches_only_that_households_resolved_cases(db, world, make_submission, ingest_hook):
    case = _resolved_case(db, world, make_submission, ingest_hook)
    ingest_hook(make_submission(world.h2, world.cadre, answers={"cases_confirmed": "yes"}))
    db.session.refresh(case)
    assert case.status == "resolved"
