"""/api/v1/cases: creation by hand, filters, scope, the state machine and who may move it."""
from datetime import timedelta

import pytest

from server.audit.models import AuditEntry
from server.cases.models import Case
from server.cases.services import open_case
from server.models_base import utcnow


@pytest.fixture
def case_of(db, world):
    """Open a case on a household (owner: its cadre) with a due date `days` from now."""
    def make(household=None, days=15, is_micro_wish=False, category="housing", status="open", **fields):
        case = open_case(None, household or world.h1, text="修缮屋顶", category=category,
                         is_micro_wish=is_micro_wish, due_at=utcnow() + timedelta(days=days), **fields)
        case.status = status
        db.session.commit()
        return case
    return make


def test_manager_creates_a_case_owned_by_the_households_cadre(client, world, token_for):
    response = client.post("/api/v1/cases", headers=token_for(world.v1_manager),
                           json={"household_id": world.h1.id, "text": "路灯坏了", "category": "infrastructure"})
    assert response.status_code == 201, response.json
    body = response.json
    assert (body["status"], body["assignee_id"], body["household_code"]) == ("open", world.cadre.id, "SZ01-001")
    assert [e["action"] for e in body["events"]] == ["create"]
    assert body["is_overdue"] is False


def test_manager_cannot_create_a_case_outside_the_subtree(client, world, token_for):
    response = client.post("/api/v1/cases", headers=token_for(world.v2_manager),
                           json={"household_id": world.h1.id, "text": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("who", ["cadre", "surveyor"])
def test_only_managers_create_cases_by_hand(client, world, token_for, who):
    response = client.post("/api/v1/cases", headers=token_for(getattr(world, who)),
                           json={"household_id": world.h1.id, "text": "x"})
    assert response.status_code == 403


def test_bad_input_is_a_clear_422(client, world, token_for):
    response = client.post("/api/v1/cases", headers=token_for(world.admin), json={"text": ""})
    assert response.status_code == 422
    assert set(response.json["errors"]["json"]) == {"household_id", "text"}


def test_overdue_case_is_listed_first_and_filtered(client, world, token_for, case_of):
    late = case_of(days=-2)
    on_time = case_of(days=5)
    case_of(days=-10, status="resolved")  # resolved cases are never overdue
    headers = token_for(world.v1_manager)
    listed = client.get("/api/v1/cases", headers=headers).json
    assert listed[0]["id"] == late.id and listed[0]["is_overdue"] is True
    overdue = client.get("/api/v1/cases?overdue=true", headers=headers).json
    assert [c["id"] for c in overdue] == [late.id]
    not_overdue = client.get("/api/v1/cases?overdue=false", headers=headers).json
    assert late.id not in [c["id"] for c in not_overdue] and on_time.id in [c["id"] for c in not_overdue]


def test_filters_status_area_owner_category(client, world, token_for, case_of):
    a = case_of(world.h1, category="housing")
    b = case_of(world.h3, category="medical")
    c = case_of(world.h3, category="medical", status="claimed")
    headers = token_for(world.manager)

    def ids(query):
        response = client.get(f"/api/v1/cases?{query}", headers=headers)
        assert response.status_code == 200, response.json
        return sorted(x["id"] for x in response.json)
    assert ids("") == sorted([a.id, b.id, c.id])
    assert ids("status=claimed") == [c.id]
    assert ids(f"area={world.v2.id}") == sorted([b.id, c.id])
    assert ids(f"owner={world.cadre.id}") == [a.id]
    assert ids("category=housing") == [a.id]
    assert client.get(f"/api/v1/cases?area={world.v3.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/cases?status=nonsense", headers=headers).status_code == 422


def test_list_is_paginated(client, world, token_for, case_of):
    for _ in range(3):
        case_of()
    response = client.get("/api/v1/cases?page=1&page_size=2", headers=token_for(world.admin))
    assert len(response.json) == 2
    assert '"total": 3' in response.headers["X-Pagination"]


@pytest.mark.parametrize("who, sees", [
    ("admin", {"h1", "h3", "h5"}), ("manager", {"h1", "h3"}), ("v1_manager", {"h1"}),
    ("other_manager", {"h5"}), ("cadre", {"h1"}), ("cadre2", {"h3"}), ("surveyor", set()),
])
def test_scope_of_the_case_list(client, world, token_for, case_of, who, sees):
    cases = {name: case_of(getattr(world, name)) for name in ("h1", "h3", "h5")}
    listed = {c["id"] for c in client.get("/api/v1/cases", headers=token_for(getattr(world, who))).json}
    assert listed == {cases[name].id for name in sees}
    for name, case in cases.items():
        status = client.get(f"/api/v1/cases/{case.id}", headers=token_for(getattr(world, who))).status_code
        assert status == (200 if name in sees else 404)


def _patch(client, headers, case, **body):
    return client.patch(f"/api/v1/cases/{case.id}", headers=headers, json=body)


def test_full_life_cycle_with_history_and_audit(client, world, token_for, case_of):
    case = case_of()
    cadre, manager = token_for(world.cadre), token_for(world.v1_manager)
    assert _patch(client, cadre, case, status="claimed").json["status"] == "claimed"
    resolved = _patch(client, cadre, case, status="resolved", note="已修好", photo="1763863601530.jpg").json
    assert resolved["status"] == "resolved" and resolved["resolved_at"]
    reopened = _patch(client, manager, case, status="reopened", note="家属说仍漏雨").json
    assert reopened["status"] == "reopened"
    assert _patch(client, cadre, case, status="resolved").json["status"] == "resolved"
    done = _patch(client, manager, case, status="confirmed").json
    assert done["status"] == "confirmed" and done["confirmed_at"]
    detail = client.get(f"/api/v1/cases/{case.id}", headers=manager).json
    assert [(e["action"], e["from_status"], e["to_status"]) for e in detail["events"]] == [
        ("create", None, "open"), ("claim", "open", "claimed"), ("resolve", "claimed", "resolved"),
        ("reopen", "resolved", "reopened"), ("resolve", "reopened", "resolved"), ("confirm", "resolved", "confirmed")]
    assert detail["events"][2]["photo"] == "1763863601530.jpg" and detail["events"][2]["note"] == "已修好"
    assert detail["events"][1]["actor_id"] == world.cadre.id
    actions = [a for (a,) in db_actions(case)]
    assert actions == ["case.create", "case.claim", "case.resolve", "case.reopen", "case.resolve", "case.confirm"]


def db_actions(case):
    from server.extensions import db
    return db.session.execute(db.select(AuditEntry.action).filter_by(target_type="case", target_id=str(case.id))
                              .order_by(AuditEntry.id)).all()


@pytest.mark.parametrize("start, to", [
    ("open", "resolved"), ("open", "confirmed"), ("open", "reopened"), ("claimed", "claimed"),
    ("claimed", "confirmed"), ("resolved", "claimed"), ("confirmed", "reopened"), ("confirmed", "resolved"),
])
def test_invalid_transitions_are_409_with_a_clear_message(client, world, token_for, case_of, start, to):
    case = case_of(status=start)
    response = _patch(client, token_for(world.admin), case, status=to)
    assert response.status_code == 409
    assert response.json["problem"] == "case.transition_invalid"
    assert f"This case is {start} and cannot become {to}" in response.json["message"]
    assert response.json["details"]["status"] == start


def test_unknown_status_is_422(client, world, token_for, case_of):
    assert _patch(client, token_for(world.admin), case_of(), status="done").status_code == 422


@pytest.mark.parametrize("who, start, to, allowed", [
    ("cadre", "open", "claimed", True),          # the owner
    ("cadre", "claimed", "resolved", True),
    ("cadre", "resolved", "confirmed", False),   # the family confirms (a visit) or a manager
    ("cadre", "resolved", "reopened", False),
    ("v1_manager", "resolved", "confirmed", True),
    ("v1_manager", "open", "claimed", True),
    ("v2_manager", "open", "claimed", None),     # out of scope: not even visible
    ("cadre2", "open", "claimed", None),
    ("surveyor", "open", "claimed", None),
])
def test_who_may_move_a_case(client, world, token_for, case_of, who, start, to, allowed):
    case = case_of(status=start)
    response = _patch(client, token_for(getattr(world, who)), case, status=to)
    assert response.status_code == {True: 200, False: 403, None: 404}[allowed], response.json


def test_party_member_claims_an_open_micro_wish_in_their_area(client, world, token_for, case_of, make_user):
    member = make_user("cadre", world.v1, is_party_member=True)
    outsider = make_user("cadre", world.v3, is_party_member=True)
    wish = case_of(is_micro_wish=True, category="education")
    ordinary = case_of()
    listed = {c["id"] for c in client.get("/api/v1/cases?is_micro_wish=true", headers=token_for(member)).json}
    assert listed == {wish.id}
    assert _patch(client, token_for(outsider), wish, status="claimed").status_code == 404
    assert _patch(client, token_for(member), ordinary, status="claimed").status_code == 404
    claimed = _patch(client, token_for(member), wish, status="claimed").json
    assert claimed["claimed_by_id"] == member.id and claimed["assignee_id"] == world.cadre.id
    resolved = _patch(client, token_for(member), wish, status="resolved", note="书包已送到").json
    assert resolved["status"] == "resolved"


def test_non_party_member_cannot_claim_someone_elses_micro_wish(client, world, token_for, case_of, make_user):
    plain = make_user("manager", world.v1)
    wish = case_of(is_micro_wish=True, assignee_id=plain.id)
    other = make_user("cadre", world.v1)
    # a cadre who is neither the owner nor a party member does not even see it
    assert _patch(client, token_for(other), wish, status="claimed").status_code == 404


def test_manager_reassigns_and_it_is_recorded(client, world, token_for, case_of, make_user):
    helper = make_user("cadre", world.v1)
    case = case_of()
    response = _patch(client, token_for(world.v1_manager), case, assignee_id=helper.id, note="换人负责")
    assert response.status_code == 200 and response.json["assignee_id"] == helper.id
    event = response.json["events"][-1]
    assert (event["action"], event["note"]) == ("reassign", "换人负责")
    assert client.get(f"/api/v1/cases?owner={helper.id}", headers=token_for(helper)).json[0]["id"] == case.id


def test_reassigning_is_for_managers_and_within_scope(client, world, token_for, case_of):
    case = case_of()
    assert _patch(client, token_for(world.cadre), case, assignee_id=world.cadre.id).status_code == 403
    outside = _patch(client, token_for(world.v1_manager), case, assignee_id=world.other_cadre.id)
    assert outside.status_code == 422 and outside.json["details"]["field"] == "assignee_id"


def test_session_writes_need_the_csrf_header(client, world, login, case_of):
    case = case_of()
    headers = login(world.v1_manager)
    assert client.patch(f"/api/v1/cases/{case.id}", json={"status": "claimed"}).status_code == 403
    assert client.patch(f"/api/v1/cases/{case.id}", json={"status": "claimed"}, headers=headers).status_code == 200


def test_unknown_case_is_404(client, world, token_for):
    assert client.get("/api/v1/cases/999999", headers=token_for(world.admin)).status_code == 404
    assert client.get("/api/v1/cases").status_code == 401


def test_cases_store_household_area_for_scoped_queries(db, world, case_of):
    case = case_of(world.h3)
    assert db.session.get(Case, case.id).area_id == world.v2.id
