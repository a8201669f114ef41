"""Who may read and review which submission: a matrix of roles x operations."""
import pytest

from server.audit.models import AuditEntry

#: which of the scenario's submissions each user may read
VISIBLE = {
    "admin": {"visit_h1", "visit_h1_by_cadre2", "visit_h3", "visit_h5", "sat_h1", "sat_self"},
    "manager": {"visit_h1", "visit_h1_by_cadre2", "visit_h3", "sat_h1", "sat_self"},
    "v1_manager": {"visit_h1", "visit_h1_by_cadre2", "sat_h1", "sat_self"},
    "v2_manager": {"visit_h3"},
    "other_manager": {"visit_h5"},
    "cadre": {"visit_h1"},
    "cadre2": {"visit_h3"},
    "surveyor": {"sat_h1"},
}
REVIEWERS = ("admin", "manager", "v1_manager", "v2_manager", "other_manager")


@pytest.fixture
def scenario(world, make_submission, make_attachment):
    """Visits and satisfaction answers in and out of each user's scope, each with a photo."""
    w = world
    subs = {
        "visit_h1": make_submission(w.h1, w.cadre),
        "visit_h1_by_cadre2": make_submission(w.h1, w.cadre2),
        "visit_h3": make_submission(w.h3, w.cadre2),
        "visit_h5": make_submission(w.h5, w.other_cadre),
        "sat_h1": make_submission(w.h1, w.surveyor, form_id="satisfaction", rated_cadre_id=w.cadre.id,
                                  answers={"overall": "dissatisfied", "comment": "never comes"}),
        "sat_self": make_submission(w.h1, w.cadre, form_id="satisfaction", rated_cadre_id=w.cadre.id,
                                    is_self_rated=True, answers={"overall": "satisfied"}),
    }
    for key, submission in subs.items():
        make_attachment(submission, name="photo.jpg", data=f"bytes of {key}".encode())
    return subs


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_list_shows_exactly_what_the_role_may_read(client, world, scenario, token_for, who):
    response = client.get("/api/v1/submissions?page_size=100", headers=token_for(getattr(world, who)))
    assert response.status_code == 200
    names = {s.id: k for k, s in scenario.items()}
    assert {names[item["id"]] for item in response.json} == VISIBLE[who]


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_detail_is_404_outside_what_the_role_may_read(client, world, scenario, token_for, who):
    headers = token_for(getattr(world, who))
    for key, submission in scenario.items():
        response = client.get(f"/api/v1/submissions/{submission.id}", headers=headers)
        expected = 200 if key in VISIBLE[who] else 404
        assert response.status_code == expected, (who, key, response.json)
        if expected == 200:
            assert response.json["instance_id"] == submission.instance_id
        else:
            assert "answers" not in response.json


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_attachment_download_follows_read_scope(client, world, scenario, token_for, who):
    headers = token_for(getattr(world, who))
    for key, submission in scenario.items():
        response = client.get(f"/api/v1/submissions/{submission.id}/attachments/photo.jpg", headers=headers)
        if key in VISIBLE[who]:
            assert response.status_code == 200, (who, key)
            assert response.data == f"bytes of {key}".encode()
        else:
            assert response.status_code == 404, (who, key)
            assert b"bytes of" not in response.data


@pytest.mark.parametrize("who", sorted(VISIBLE))
def test_review_allowed_to_managers_in_scope_only(client, world, scenario, token_for, who, db):
    headers = token_for(getattr(world, who))
    for key, submission in scenario.items():
        response = client.patch(f"/api/v1/submissions/{submission.id}", headers=headers,
                                json={"review_state": "has_issues", "comment": f"{who} looked"})
        if who not in REVIEWERS:
            expected = 403
        else:
            expected = 200 if key in VISIBLE[who] else 404
        assert response.status_code == expected, (who, key, response.json)
    reviewed = {e.target_id for e in db.session.scalars(db.select(AuditEntry).filter_by(action="submission.review"))}
    expected_ids = {str(scenario[k].id) for k in VISIBLE[who]} if who in REVIEWERS else set()
    assert reviewed == expected_ids


def test_cadre_token_never_reaches_satisfaction_answers(client, world, scenario, token_for, make_attachment):
    headers = token_for(world.cadre)
    for query in ("", "?form=satisfaction", "?kind=satisfaction", f"?household={world.h1.id}",
                  f"?cadre={world.cadre.id}", "?current_only=false"):
        items = client.get(f"/api/v1/submissions{query}", headers=headers).json
        assert all(item["kind"] != "satisfaction" for item in items), query
    for key in ("sat_h1", "sat_self"):
        sid = scenario[key].id
        detail = client.get(f"/api/v1/submissions/{sid}", headers=headers)
        download = client.get(f"/api/v1/submissions/{sid}/attachments/photo.jpg", headers=headers)
        assert (detail.status_code, download.status_code) == (404, 404)
        assert b"never comes" not in detail.data and b"satisfied" not in detail.data


def test_session_review_needs_csrf_token(client, world, scenario, login):
    csrf = login(world.manager)
    url = f"/api/v1/submissions/{scenario['visit_h1'].id}"
    refused = client.patch(url, json={"review_state": "approved"})
    assert refused.status_code == 403
    accepted = client.patch(url, json={"review_state": "approved"}, headers=csrf)
    assert accepted.status_code == 200 and accepted.json["review_state"] == "approved"


def test_anonymous_request_is_401(client, scenario):
    assert client.get("/api/v1/submissions").status_code == 401
    assert client.get(f"/api/v1/submissions/{scenario['visit_h1'].id}").status_code == 401
