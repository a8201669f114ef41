"""/api/v1/fieldapp: verdicts on one's own visits, and photos of a case's result."""
from pathlib import Path

from server.cases import services as cases
from tests.submission_rows import make_submission  # noqa: F401  (shared fixture)

PNG = (Path(__file__).resolve().parents[2] / "fieldapp" / "public" / "icon-512.png").read_bytes()


def test_verdicts_are_given_for_ones_own_submissions_only(client, world, token_for, make_submission, db):
    far = make_submission(world.h1, world.cadre, geo_status="far", geo_distance_m=812.4,
                          geo_reason="812 m from the household (accuracy 5 m)")
    mine = make_submission(world.h2, world.cadre)
    theirs = make_submission(world.h3, world.cadre2)
    db.session.commit()
    ids = "&".join(f"instance_id={s.instance_id}" for s in (far, mine, theirs)) + "&instance_id=uuid:unknown"
    response = client.get(f"/api/v1/fieldapp/verdicts?{ids}", headers=token_for(world.cadre))
    assert response.status_code == 200, response.json
    got = {v["instance_id"]: v for v in response.json}
    assert set(got) == {far.instance_id, mine.instance_id}
    assert (got[far.instance_id]["geo_status"], got[far.instance_id]["distance_m"]) == ("far", 812.4)
    assert got[far.instance_id]["reason"].startswith("812 m") and got[mine.instance_id]["geo_status"] == "verified"
    assert client.get(f"/api/v1/fieldapp/verdicts?{ids}").status_code == 401


def test_case_photo_is_stored_and_shown_to_those_who_see_the_case(client, world, token_for, db):
    case = cases.open_case(None, world.h1, text="修缮屋顶", category="housing")
    db.session.commit()
    cadre = token_for(world.cadre)
    refused = client.put(f"/api/v1/fieldapp/cases/{case.id}/photo", data=b"not an image",
                         headers={**cadre, "Content-Type": "text/plain"})
    assert refused.status_code == 400
    assert client.put(f"/api/v1/fieldapp/cases/{case.id}/photo", data=PNG,
                      headers={**token_for(world.cadre2), "Content-Type": "image/png"}).status_code == 404
    sent = client.put(f"/api/v1/fieldapp/cases/{case.id}/photo", data=PNG, headers={**cadre, "Content-Type": "image/png"})
    assert sent.status_code == 201, sent.json
    ref = sent.json["photo"]
    assert ref.startswith("/api/v1/fieldapp/case-photos/") and ref.endswith(".png")
    assert client.get(ref, headers=cadre).status_code == 404  # not on the case's history yet
    for status in ("claimed", "resolved"):
        body = {"status": status, **({"note": "修好了", "photo": ref} if status == "resolved" else {})}
        assert client.patch(f"/api/v1/cases/{case.id}", headers=cadre, json=body).status_code == 200
    for who in (world.cadre, world.v1_manager):
        shown = client.get(ref, headers=token_for(who))
        assert shown.status_code == 200 and shown.data == PNG and shown.mimetype == "image/png"
    assert client.get(ref, headers=token_for(world.cadre2)).status_code == 404
    assert client.get("/api/v1/fieldapp/case-photos/../../etc.png", headers=cadre).status_code == 404
