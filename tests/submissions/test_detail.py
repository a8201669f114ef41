"""One submission: answers, attachments and their files, versions, review and its audit trail."""
import pytest

from server.audit.models import AuditEntry
from server.submissions import services


@pytest.fixture
def visit(world, make_submission):
    return make_submission(world.h1, world.cadre, answers={"household": "SZ01-001", "visit_type": "home",
                                                            "concerns": "roof leaks"})


def test_detail_has_answers_attachments_and_links(client, world, visit, token_for, make_attachment):
    make_attachment(visit, "1700000000000.jpg", data=b"jpeg bytes")
    make_attachment(visit, "voice.m4a", data=b"audio", content_type="audio/mp4", received=False)
    detail = client.get(f"/api/v1/submissions/{visit.id}", headers=token_for(world.v1_manager)).json
    assert detail["answers"] == {"household": "SZ01-001", "visit_type": "home", "concerns": "roof leaks"}
    assert detail["household"]["code"] == "SZ01-001" and detail["submitter"]["username"] == "cadre01"
    assert detail["attachment_count"] == 2 and detail["is_current"] is True
    photo, voice = detail["attachments"]
    assert photo["name"] == "1700000000000.jpg" and photo["received"] is True and photo["size"] == 10
    assert photo["sha256"] and photo["content_type"] == "image/jpeg"
    assert photo["download_url"] == f"/api/v1/submissions/{visit.id}/attachments/1700000000000.jpg"
    assert voice["received"] is False and voice["download_url"] is None
    assert detail["versions"] == {"replaces": None, "replaced_by": None, "chain": [
        {"id": visit.id, "instance_id": visit.instance_id, "received_at": detail["received_at"],
         "review_state": "received", "is_current": True}]}
    assert [h["action"] for h in detail["history"]] == ["submission.create"]


def test_download_streams_bytes_with_safe_headers(client, world, visit, token_for, make_attachment):
    make_attachment(visit, "photo.jpg", data=b"\xff\xd8 real enough")
    response = client.get(f"/api/v1/submissions/{visit.id}/attachments/photo.jpg", headers=token_for(world.cadre))
    assert response.status_code == 200 and response.data == b"\xff\xd8 real enough"
    assert response.mimetype == "image/jpeg"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Disposition"].startswith("inline")


@pytest.mark.parametrize("declared", ["image/svg+xml", "text/html", "application/javascript", None,
                                      "text/html; charset=utf-8"])
def test_download_of_risky_types_is_octet_stream_attachment(client, world, visit, token_for, make_attachment,
                                                            declared):
    make_attachment(visit, "page.html", data=b"<script>alert(1)</script>", content_type=declared)
    response = client.get(f"/api/v1/submissions/{visit.id}/attachments/page.html", headers=token_for(world.admin))
    assert response.status_code == 200
    assert response.mimetype == "application/octet-stream"
    assert response.headers["Content-Disposition"].startswith("attachment")


def test_download_404_until_received_or_when_file_missing(client, world, visit, token_for, make_attachment):
    make_attachment(visit, "later.jpg", data=b"later", received=False)
    make_attachment(visit, "lost.jpg", data=b"never written", write_file=False)
    headers = token_for(world.admin)
    for name in ("later.jpg", "lost.jpg", "absent.jpg"):
        response = client.get(f"/api/v1/submissions/{visit.id}/attachments/{name}", headers=headers)
        assert response.status_code == 404 and response.json["problem"] == "resource.not_found"


@pytest.mark.parametrize("name", ["..", "%2E%2E", "a%5Cb.jpg", "bad%00name.jpg", "x" * 300, "%2E"])
def test_download_rejects_unsafe_names(client, world, visit, token_for, make_attachment, name):
    make_attachment(visit, "photo.jpg")
    response = client.get(f"/api/v1/submissions/{visit.id}/attachments/{name}", headers=token_for(world.admin))
    assert response.status_code == 404


def test_attachment_path_uses_content_addressed_layout(app, visit, make_attachment):
    attachment = make_attachment(visit, "photo.jpg", data=b"abc")
    digest = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert services.attachment_path(attachment) == f"{app.config['ATTACHMENT_DIR']}/ba/{digest}"
    attachment.sha256 = "../../etc/passwd"
    assert services.attachment_path(attachment) is None


def test_attachment_path_reads_the_two_level_layout_too(app, visit, make_attachment):
    import hashlib
    import os
    attachment = make_attachment(visit, "deep.jpg", data=b"deep", write_file=False)
    digest = hashlib.sha256(b"deep").hexdigest()
    assert services.attachment_path(attachment) is None
    folder = os.path.join(app.config["ATTACHMENT_DIR"], digest[:2], digest[2:4])
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, digest), "wb") as out:
        out.write(b"deep")
    assert services.attachment_path(attachment) == os.path.join(folder, digest)


def test_review_changes_state_and_is_audited_with_comment(client, world, visit, token_for, db):
    response = client.patch(f"/api/v1/submissions/{visit.id}", headers=token_for(world.manager),
                            json={"review_state": "has_issues", "comment": "photo is blurred"})
    assert response.status_code == 200
    assert response.json["review_state"] == "has_issues"
    assert response.json["review_comment"] == "photo is blurred"
    entry = db.session.scalar(db.select(AuditEntry).filter_by(action="submission.review"))
    assert entry.actor_id == world.manager.id and entry.target_id == str(visit.id)
    assert entry.details == {"review_state": "has_issues", "previous": "received", "comment": "photo is blurred"}
    created, item = response.json["history"]
    assert created["action"] == "submission.create"
    assert item["action"] == "submission.review" and item["actor"]["username"] == "manager"
    assert item["details"]["comment"] == "photo is blurred"
    approved = client.patch(f"/api/v1/submissions/{visit.id}", headers=token_for(world.admin),
                            json={"review_state": "approved"})
    assert [h["details"].get("previous") for h in approved.json["history"]] == [None, "received", "has_issues"]
    listed = client.get("/api/v1/submissions?review_state=approved", headers=token_for(world.admin)).json
    assert [i["id"] for i in listed] == [visit.id]


@pytest.mark.parametrize("body", [{}, {"review_state": "edited"}, {"review_state": "received"},
                                  {"review_state": "approved", "comment": "x" * 2001},
                                  {"review_state": ["approved"]}])
def test_review_rejects_bad_bodies(client, world, visit, token_for, body):
    response = client.patch(f"/api/v1/submissions/{visit.id}", headers=token_for(world.admin), json=body)
    assert response.status_code == 422
    detail = client.get(f"/api/v1/submissions/{visit.id}", headers=token_for(world.admin)).json
    assert detail["review_state"] == "received"


@pytest.mark.parametrize("sid", ["999999", "0", "99999999999999999999999"])
def test_unknown_submission_is_404(client, world, token_for, sid):
    headers = token_for(world.admin)
    for method in ("get", "patch"):
        response = getattr(client, method)(f"/api/v1/submissions/{sid}", headers=headers,
                                           json={"review_state": "approved"})
        assert response.status_code == 404 and response.json["problem"] == "resource.not_found"
    assert client.get(f"/api/v1/submissions/{sid}/attachments/a.jpg", headers=headers).status_code == 404


def test_versions_chain_links_edits_both_ways(client, world, make_submission, token_for):
    first = make_submission(world.h1, world.cadre, is_current=False)
    second = make_submission(world.h1, world.cadre, replaces_id=first.id, is_current=False, review_state="edited")
    third = make_submission(world.h1, world.cadre, replaces_id=second.id, review_state="edited")
    headers = token_for(world.admin)
    middle = client.get(f"/api/v1/submissions/{second.id}", headers=headers).json["versions"]
    assert middle["replaces"]["id"] == first.id and middle["replaced_by"]["id"] == third.id
    assert [v["id"] for v in middle["chain"]] == [first.id, second.id, third.id]
    assert [v["is_current"] for v in middle["chain"]] == [False, False, True]
    newest = client.get(f"/api/v1/submissions/{third.id}", headers=headers).json["versions"]
    assert newest["replaces"]["id"] == second.id and newest["replaced_by"] is None
    assert [v["id"] for v in newest["chain"]] == [first.id, second.id, third.id]


def test_review_of_a_replaced_version_is_409(client, world, make_submission, token_for):
    old = make_submission(world.h1, world.cadre, is_current=False)
    new = make_submission(world.h1, world.cadre, replaces_id=old.id, review_state="edited")
    response = client.patch(f"/api/v1/submissions/{old.id}", headers=token_for(world.admin),
                            json={"review_state": "approved"})
    assert response.status_code == 409 and response.json["details"]["replaced_by"] == new.id


def test_surveyor_sees_own_satisfaction_answers_with_answers(client, world, make_submission, token_for):
    mine = make_submission(world.h1, world.surveyor, form_id="satisfaction", answers={"overall": "satisfied"})
    detail = client.get(f"/api/v1/submissions/{mine.id}", headers=token_for(world.surveyor))
    assert detail.status_code == 200 and detail.json["answers"] == {"overall": "satisfied"}
    assert detail.json["kind"] == "satisfaction" and detail.json["form_id"] == "satisfaction"


def test_cadre_loses_sight_of_a_household_relinked_away(client, world, make_submission, token_for):
    from server.households.services import link_cadre
    visit = make_submission(world.h1, world.cadre)
    headers = token_for(world.cadre)
    assert client.get(f"/api/v1/submissions/{visit.id}", headers=headers).status_code == 200
    link_cadre(world.h1, world.cadre2.id, actor=world.admin)
    from server.extensions import db
    db.session.commit()
    assert client.get(f"/api/v1/submissions/{visit.id}", headers=headers).status_code == 404
    assert client.get("/api/v1/submissions", headers=headers).json == []


def test_rejecting_a_visit_moves_the_households_last_counted_visit_back(client, world, make_submission, token_for, db):
    early = make_submission(world.h1, world.cadre, geo_status="verified")
    late = make_submission(world.h1, world.cadre, geo_status="verified")
    world.h1.last_counted_visit_at = late.captured_at
    db.session.commit()
    headers = token_for(world.manager)
    assert client.patch(f"/api/v1/submissions/{late.id}", json={"review_state": "rejected"},
                        headers=headers).status_code == 200
    db.session.refresh(world.h1)
    assert world.h1.last_counted_visit_at == early.captured_at
    assert client.patch(f"/api/v1/submissions/{late.id}", json={"review_state": "approved"},
                        headers=headers).status_code == 200
    db.session.refresh(world.h1)
    assert world.h1.last_counted_visit_at == late.captured_at
