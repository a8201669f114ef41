"""Resident answers carry a fingerprint; answers from the rated cadre's own phone or network, too fast,
or many from one browser are held out of scores until a manager accepts them (issue 10)."""
from datetime import datetime, timedelta, timezone

import pytest

from server.coverage.periods import current_quarter
from server.submissions.models import Submission
from tests.sync.conftest import device_token, offset, post_xml, served_xform, visit_xml  # noqa: F401

ANSWER = {"overall": "satisfied", "attitude": "5", "help": "5", "frequency": "5", "comment": "很好"}
CADRE_PHONE = {"environ_base": {"REMOTE_ADDR": "10.9.8.7"}, "headers": {"User-Agent": "Mozilla/5.0 (cadre phone)"}}


@pytest.fixture
def links(client, world, token_for, make_household):
    for i in range(2):  # four households in the village
        make_household(world.v1, world.cadre, code=f"SZ01-R{i}", lat=world.h1.lat + 0.001 * (i + 1), lon=world.h1.lon)
    issued = client.post("/api/v1/satisfaction/links", headers=token_for(world.v1_manager),
                         json={"area_id": world.v1.id, "period": current_quarter().label})
    assert issued.status_code == 201, issued.json
    return {link["code"]: link["token"] for link in issued.json["links"]}


def _answer(client, token, *, opened_s_ago=120, **request):
    opened = (datetime.now(timezone.utc) - timedelta(seconds=opened_s_ago)).isoformat()
    response = client.post(f"/s/{token}", data={**ANSWER, "_opened_at": opened}, **request)
    assert response.status_code == 201, response.get_data(as_text=True)


def _latest(db) -> Submission:
    db.session.expire_all()
    return db.session.scalars(db.select(Submission).filter_by(source="resident").order_by(Submission.id.desc())).first()


def _codes(row) -> set:
    return {f["code"] for f in row.geo_flags or []}


def _cadre_visit(db, world, device_token, visit_xml, post_xml, ua):
    """A visit of the cadre's over OpenRosa, as sent from their phone at 10.9.8.7 (the test client has one address)."""
    token = device_token(world.cadre)
    lat, lon = offset(world.h2.lat, world.h2.lon, north_m=10)
    assert post_xml(token, visit_xml(token, world.h2, lat=lat, lon=lon)).status_code == 201
    stored = db.session.scalars(db.select(Submission).filter_by(kind="visit")).one()
    assert stored.fingerprint["ip"] == "127.0.0.1"  # what the server saw
    db.session.execute(db.update(Submission).values(fingerprint={"ip": "10.9.8.7", "ua": ua}))
    db.session.commit()


def test_an_answer_from_the_cadres_own_phone_is_held_until_accepted(client, world, links, device_token, visit_xml,
                                                                   post_xml, db, login):
    _cadre_visit(db, world, device_token, visit_xml, post_xml, "Mozilla/5.0 (cadre phone)")
    _answer(client, links[world.h1.code], **CADRE_PHONE)
    held = _latest(db)
    assert (held.review_state, _codes(held)) == ("has_issues", {"resident_cadre_device"})
    assert held.fingerprint["ip"] == "10.9.8.7" and held.fingerprint["ua"] == "Mozilla/5.0 (cadre phone)"
    headers = login(world.manager)
    summary = client.get(f"/api/v1/satisfaction?period={current_quarter().label}", headers=headers)
    assert summary.status_code == 200
    queue = client.get("/api/v1/submissions/flagged?kind=satisfaction", headers=headers).json
    assert [q["id"] for q in queue] == [held.id] and queue[0]["geo"]["flags"][0]["zh"] == "答卷来自被测评干部使用过的设备"
    done = client.post("/api/v1/submissions/review", json={"ids": [held.id], "decision": "approve"}, headers=headers)
    assert done.status_code == 200 and _latest(db).review_state == "approved"


def test_same_network_other_browser_is_held_as_the_cadres_network(client, world, links, db, device_token, visit_xml,
                                                                   post_xml):
    _cadre_visit(db, world, device_token, visit_xml, post_xml, "org.odk.collect.android/v2024.3")
    _answer(client, links[world.h1.code], **CADRE_PHONE)
    assert _codes(_latest(db)) == {"resident_cadre_network"}


def test_an_answer_in_seconds_is_held(client, world, links, db):
    _answer(client, links[world.h1.code], opened_s_ago=4, environ_base={"REMOTE_ADDR": "10.1.1.1"})
    row = _latest(db)
    assert _codes(row) == {"resident_too_fast"} and row.review_state == "has_issues"


def test_many_answers_from_one_browser_are_held(client, world, links, db):
    tokens = list(links.values())
    client.get(f"/s/{tokens[0]}")  # the browser gets its random id cookie
    for token in tokens[:2]:
        _answer(client, token, environ_base={"REMOTE_ADDR": "10.2.2.2"})
    assert _latest(db).review_state == "received"  # two from one browser: nothing unusual
    _answer(client, tokens[2], environ_base={"REMOTE_ADDR": "10.3.3.3"})  # another network, the same browser
    row = _latest(db)
    assert _codes(row) == {"resident_burst"} and row.fingerprint.get("browser")
