"""OpenRosa device sessions: formList, manifest, households.csv, submissions, auth, bad bodies."""
import hashlib

from lxml import etree

from server.submissions.models import Attachment, QuarantineItem, Submission
from tests.sync.conftest import new_id, offset

NS = {"x": "http://openrosa.org/xforms/xformsList", "m": "http://openrosa.org/xforms/xformsManifest",
      "r": "http://openrosa.org/http/response"}


def _count(db, model, **filters):
    return db.session.scalar(db.select(db.func.count()).select_from(model).filter_by(**filters))


def test_form_list_shows_only_forms_the_user_fills(client, world, device_token):
    cadre_list = client.get(f"/key/{device_token(world.cadre)}/openrosa/formList")
    assert cadre_list.status_code == 200 and cadre_list.headers["X-OpenRosa-Version"] == "1.0"
    root = etree.fromstring(cadre_list.data)
    assert root.xpath("//x:formID/text()", namespaces=NS) == ["visit"]
    assert root.xpath("//x:hash/text()", namespaces=NS)[0].startswith("md5:")
    assert "/manifest" in root.xpath("//x:manifestUrl/text()", namespaces=NS)[0]
    surveyor = etree.fromstring(client.get(f"/key/{device_token(world.surveyor)}/openrosa/formList").data)
    assert surveyor.xpath("//x:formID/text()", namespaces=NS) == ["satisfaction"]
    admin = etree.fromstring(client.get(f"/key/{device_token(world.admin)}/openrosa/formList").data)
    assert sorted(admin.xpath("//x:formID/text()", namespaces=NS)) == ["satisfaction", "visit"]


def test_manifest_and_households_csv_are_per_user(client, world, device_token):
    token = device_token(world.cadre)
    manifest = etree.fromstring(client.get(f"/key/{token}/openrosa/forms/visit/manifest").data)
    assert manifest.xpath("//m:filename/text()", namespaces=NS) == ["households.csv"]
    url = manifest.xpath("//m:downloadUrl/text()", namespaces=NS)[0]
    csv_response = client.get(url)
    assert csv_response.status_code == 200 and csv_response.headers["X-OpenRosa-Version"] == "1.0"
    lines = csv_response.get_data(as_text=True).splitlines()
    assert lines[0] == "name,label,address,category,lat,lon,pending_cases"
    assert [line.split(",")[0] for line in lines[1:]] == ["SZ01-001", "SZ01-002"]
    assert manifest.xpath("//m:hash/text()", namespaces=NS)[0] == "md5:" + hashlib.md5(csv_response.data).hexdigest()


def test_relink_changes_both_cadres_hashes_and_pulls(client, world, device_token, token_for, db):
    from server.households.services import link_cadre
    t1, t2 = device_token(world.cadre), device_token(world.cadre2)

    def csv_hash(token):
        m = etree.fromstring(client.get(f"/key/{token}/openrosa/forms/visit/manifest").data)
        return m.xpath("//m:hash/text()", namespaces=NS)[0]
    before = csv_hash(t1), csv_hash(t2)
    cursors = {}
    for name, user in (("c1", world.cadre), ("c2", world.cadre2)):
        cursors[name] = client.get("/api/v1/sync/pull", headers=token_for(user)).json["cursor"]
    assert csv_hash(t1) == before[0]  # unchanged list, unchanged hash
    link_cadre(db.session.get(type(world.h1), world.h1.id), world.cadre2.id, actor=world.admin)
    db.session.commit()
    after = csv_hash(t1), csv_hash(t2)
    assert after[0] != before[0] and after[1] != before[1]
    pull1 = client.get(f"/api/v1/sync/pull?cursor={cursors['c1']}", headers=token_for(world.cadre)).json
    pull2 = client.get(f"/api/v1/sync/pull?cursor={cursors['c2']}", headers=token_for(world.cadre2)).json
    assert [h["code"] for h in pull1["removed_households"]] == ["SZ01-001"]
    assert "SZ01-001" not in [h["code"] for h in pull1["households"]]
    assert "SZ01-001" in [h["code"] for h in pull2["households"]]


def test_head_submission_gives_204_with_accepted_length(client, world, device_token, app):
    response = client.head(f"/key/{device_token(world.cadre)}/openrosa/submission")
    assert response.status_code == 204
    assert response.headers["X-OpenRosa-Accept-Content-Length"] == str(app.config["MAX_CONTENT_LENGTH"])
    assert response.headers["X-OpenRosa-Version"] == "1.0"


def test_bad_or_revoked_token_gets_403_xml(client, world, device_token, db):
    from server.auth.services import revoke_device
    from server.auth.models import Device
    response = client.get("/key/not-a-token/openrosa/formList")
    assert response.status_code == 403 and response.headers["X-OpenRosa-Version"] == "1.0"
    assert etree.fromstring(response.data).xpath("//r:message/@nature", namespaces=NS) == ["error"]
    token = device_token(world.cadre)
    device = db.session.scalars(db.select(Device).filter_by(user_id=world.cadre.id)).one()
    revoke_device(world.cadre, device.id)
    db.session.commit()
    assert client.head(f"/key/{token}/openrosa/submission").status_code == 403


def test_basic_auth_needs_credentials_and_https(client, world, app):
    import base64
    missing = client.get("/openrosa/formList")
    assert missing.status_code == 401 and missing.headers["WWW-Authenticate"].startswith("Basic")
    basic = {"Authorization": "Basic " + base64.b64encode(b"cadre01:secret-pass").decode()}
    assert client.get("/openrosa/formList", headers=basic).status_code == 403  # plain HTTP, not development
    secure = client.get("/openrosa/formList", headers=basic, base_url="https://localhost")
    assert secure.status_code == 200 and b"<formID>visit</formID>" in secure.data
    wrong = {"Authorization": "Basic " + base64.b64encode(b"cadre01:nope").decode()}
    assert client.get("/openrosa/formList", headers=wrong, base_url="https://localhost").status_code == 401


def test_submission_accepted_and_retry_adds_no_row(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    lat, lon = offset(world.h1.lat, world.h1.lon, north_m=30)
    xml = visit_xml(token, world.h1, lat=lat, lon=lon)
    first = post_xml(token, xml)
    assert first.status_code == 201, first.data
    assert first.headers["X-OpenRosa-Version"] == "1.0"
    assert etree.fromstring(first.data).xpath("//r:message/@nature", namespaces=NS) == ["submit_success"]
    again = post_xml(token, xml)
    assert again.status_code == 201
    assert _count(db, Submission) == 1
    stored = db.session.scalars(db.select(Submission)).one()
    assert stored.geo_status == "verified" and stored.household_id == world.h1.id
    assert stored.answers["visit_type"] == "routine" and stored.source == "openrosa"


def test_split_upload_of_three_photos_ends_with_three_attachments(world, device_token, post_xml, db, client):
    from forms.answers import build_instance_xml
    from forms.xlsform import convert
    from server.surveys.services import publish
    sheets = {"survey": [{"type": "select_one_from_file households.csv", "name": "household", "label": "H"},
                         {"type": "geopoint", "name": "location", "label": "Where"},
                         {"type": "image", "name": "photo1", "label": "P1"},
                         {"type": "image", "name": "photo2", "label": "P2"},
                         {"type": "image", "name": "photo3", "label": "P3"}],
              "settings": [{"form_id": "visit_photos", "version": "1", "form_title": "Photos"}]}
    publish(None, convert(sheets), kind="visit")
    db.session.commit()
    token = device_token(world.cadre)
    form = client.get(f"/key/{token}/openrosa/forms/visit_photos.xml").data
    answers = {"household": world.h1.code, "location": f"{world.h1.lat} {world.h1.lon} 0 4",
               "photo1": "a.jpg", "photo2": "b.jpg", "photo3": "c.jpg"}
    xml = build_instance_xml(form, answers, new_id())
    part1 = post_xml(token, xml, {"a.jpg": b"A" * 10, "b.jpg": b"B" * 10}, incomplete=True)
    assert part1.status_code == 201, part1.data
    assert _count(db, Attachment, is_received=True) == 2
    part2 = post_xml(token, xml, {"c.jpg": b"C" * 10})
    assert part2.status_code == 201
    rows = db.session.scalars(db.select(Attachment).order_by(Attachment.name)).all()
    assert [(a.name, a.is_received) for a in rows] == [("a.jpg", True), ("b.jpg", True), ("c.jpg", True)]
    assert rows[2].sha256 == hashlib.sha256(b"C" * 10).hexdigest()
    assert _count(db, Submission) == 1


def test_conflicting_resend_gets_409_and_one_quarantine_entry(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    instance_id = new_id()
    assert post_xml(token, visit_xml(token, world.h1, instance_id=instance_id, concerns="a")).status_code == 201
    other = post_xml(token, visit_xml(token, world.h1, instance_id=instance_id, concerns="b"))
    assert other.status_code == 409 and other.headers["X-OpenRosa-Version"] == "1.0"
    assert b"OpenRosaResponse" in other.data
    items = db.session.scalars(db.select(QuarantineItem)).all()
    assert [(q.reason, q.instance_id) for q in items] == [("submission.conflict", instance_id)]
    assert b"<concerns>b</concerns>" in items[0].payload and items[0].user_id == world.cadre.id
    assert _count(db, Submission) == 1


def test_deprecated_id_creates_an_edited_version(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    old_id, new_instance = new_id(), new_id()
    assert post_xml(token, visit_xml(token, world.h1, instance_id=old_id, photo="p.jpg"),
                    {"p.jpg": b"photo"}).status_code == 201
    edit = visit_xml(token, world.h1, instance_id=new_instance, deprecated_id=old_id, concerns="fixed", photo="p.jpg")
    assert post_xml(token, edit).status_code == 201
    old = db.session.scalar(db.select(Submission).filter_by(instance_id=old_id))
    new = db.session.scalar(db.select(Submission).filter_by(instance_id=new_instance))
    assert old.is_current is False and new.is_current is True
    assert new.review_state == "edited" and new.replaces_id == old.id and new.answers["concerns"] == "fixed"
    assert [(a.name, a.is_received) for a in new.attachments] == [("p.jpg", True)]
    again = visit_xml(token, world.h1, instance_id=new_id(), deprecated_id=old_id, concerns="twice")
    assert post_xml(token, again).status_code == 409
    unknown = visit_xml(token, world.h1, instance_id=new_id(), deprecated_id="uuid:nope")
    assert post_xml(token, unknown).status_code == 404


def test_billion_laughs_gets_400_and_is_quarantined(world, device_token, post_xml, db):
    token = device_token(world.cadre)
    bomb = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
            b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">'
            b'<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>'
            b'<data id="visit"><x>&lol3;</x><meta><instanceID>uuid:bomb</instanceID></meta></data>')
    response = post_xml(token, bomb)
    assert response.status_code == 400 and b"OpenRosaResponse" in response.data
    item = db.session.scalars(db.select(QuarantineItem)).one()
    assert item.reason == "submission.invalid" and item.payload == bomb and item.instance_id == "uuid:bomb"


class _ZeroStream:
    """A 200 MB body produced lazily (never held in memory)."""

    def __init__(self, size):
        self.size = self.left = size

    def tell(self):
        return self.size - self.left

    def seek(self, offset, whence=0):
        position = {0: 0, 1: self.tell(), 2: self.size}[whence] + offset
        self.left = self.size - position
        return position

    def read(self, n=-1):
        n = self.left if n is None or n < 0 else min(n, self.left)
        self.left -= n
        return b"0" * n


def test_200_mb_body_gets_413_openrosa_xml(client, world, device_token, db):
    size = 200 * 1024 * 1024
    response = client.post(f"/key/{device_token(world.cadre)}/openrosa/submission", input_stream=_ZeroStream(size),
                           headers={"Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(size)})
    assert response.status_code == 413
    assert response.headers["X-OpenRosa-Version"] == "1.0" and b"OpenRosaResponse" in response.data
    assert db.session.scalars(db.select(QuarantineItem.reason)).all() == ["request.too_large"]


def test_missing_xml_part_gets_400_xml(world, device_token, client, db):
    response = client.post(f"/key/{device_token(world.cadre)}/openrosa/submission",
                           data={"photo.jpg": (__import__("io").BytesIO(b"x"), "photo.jpg")},
                           content_type="multipart/form-data")
    assert response.status_code == 400 and b"xml_submission_file" in response.data
    assert db.session.scalars(db.select(QuarantineItem.reason)).all() == ["request.invalid"]


def test_attachment_names_with_path_tricks_are_not_stored_as_such(world, device_token, visit_xml, post_xml, db, app):
    import os
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, photo="p.jpg")
    response = post_xml(token, xml, {"../../p.jpg": b"good", "../../../etc/evil.jpg": b"bad"})
    assert response.status_code == 201, response.data
    assert b"Kept files the form does not name: evil.jpg" in response.data  # kept, never dropped
    rows = {a.name: a for a in db.session.scalars(db.select(Attachment))}
    row = rows["p.jpg"]
    assert row.is_received and not row.is_extra and row.sha256 == hashlib.sha256(b"good").hexdigest()
    assert rows["evil.jpg"].is_extra and rows["evil.jpg"].sha256 == hashlib.sha256(b"bad").hexdigest()
    assert not os.path.exists(os.path.join(app.config["ATTACHMENT_DIR"], "..", "..", "p.jpg"))
    tricky = visit_xml(token, world.h1, photo="../secret.jpg")
    refused = post_xml(token, tricky)
    assert refused.status_code == 400 and b"plain file name" in refused.data


def test_unknown_form_is_404_then_publish_and_reprocess_accepts(world, device_token, post_xml, client, db,
                                                                 token_for):
    from forms.answers import build_instance_xml
    from forms.xlsform import convert
    from server.surveys.services import publish
    sheets = {"survey": [{"type": "text", "name": "note_text", "label": "Note"}],
              "settings": [{"form_id": "extra", "version": "2", "form_title": "Extra"}]}
    converted = convert(sheets)
    xml = build_instance_xml(converted.xml, {"note_text": "hello"}, new_id())
    token = device_token(world.cadre)
    response = post_xml(token, xml)
    assert response.status_code == 404 and b"OpenRosaResponse" in response.data
    item = db.session.scalars(db.select(QuarantineItem)).one()
    assert item.reason == "form.not_found"
    publish(None, converted, kind="other")
    db.session.commit()
    listed = client.get("/api/v1/quarantine", headers=token_for(world.admin))
    assert listed.status_code == 200 and [q["id"] for q in listed.json] == [item.id]
    assert client.get("/api/v1/quarantine", headers=token_for(world.manager)).status_code == 403
    result = client.post(f"/api/v1/quarantine/{item.id}/reprocess", headers=token_for(world.admin))
    assert result.status_code == 200, result.json
    assert result.json["status"] == "resolved"
    stored = db.session.scalars(db.select(Submission)).one()
    assert stored.answers == {"note_text": "hello"} and stored.submitter_id == world.cadre.id
    assert client.post(f"/api/v1/quarantine/{item.id}/reprocess", headers=token_for(world.admin)).status_code == 409


def test_unknown_paths_answer_openrosa_xml(client, world, device_token):
    response = client.get(f"/key/{device_token(world.cadre)}/openrosa/nothing/here")
    assert response.status_code == 404 and response.headers["X-OpenRosa-Version"] == "1.0"
    assert b"OpenRosaResponse" in response.data


def test_household_outside_scope_is_refused_and_quarantined(world, device_token, visit_xml, post_xml, db):
    token = device_token(world.cadre)
    response = post_xml(token, visit_xml(token, world.h3, lat=world.h3.lat + 0.00007, lon=world.h3.lon))
    assert response.status_code == 403
    assert db.session.scalars(db.select(QuarantineItem.reason)).all() == ["submission.household_forbidden"]


def test_closed_form_gets_409_and_is_quarantined(world, device_token, visit_xml, post_xml, db):
    from server.surveys.services import get_form, set_state
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    set_state(world.admin, get_form("visit"), "closed")
    db.session.commit()
    response = post_xml(token, xml)
    assert response.status_code == 409 and b"closed" in response.data
    assert db.session.scalars(db.select(QuarantineItem.reason)).all() == ["form.closed"]


def test_chunked_multipart_body_is_accepted(client, world, device_token, visit_xml, db):
    import io
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    body = (b"--b0undary\r\nContent-Disposition: form-data; name=\"xml_submission_file\"; filename=\"s.xml\"\r\n"
            b"Content-Type: text/xml\r\n\r\n" + xml + b"\r\n--b0undary--\r\n")
    response = client.post(f"/key/{token}/openrosa/submission", input_stream=io.BytesIO(body),
                           headers={"Content-Type": "multipart/form-data; boundary=b0undary",
                                    "Transfer-Encoding": "chunked"},
                           environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 201, response.data
    assert _count(db, Submission) == 1


def test_truncated_multipart_gets_400_xml_and_is_quarantined(client, world, device_token, db):
    token = device_token(world.cadre)
    body = b"--b0undary\r\nContent-Disposition: form-data; name=\"xml_submission_file\"\r\n\r\n<data"
    response = client.post(f"/key/{token}/openrosa/submission", data=body,
                           headers={"Content-Type": "multipart/form-data; boundary=b0undary"})
    assert response.status_code == 400 and b"OpenRosaResponse" in response.data
    item = db.session.scalars(db.select(QuarantineItem)).one()
    assert item.reason == "request.invalid" and item.payload == body


def test_unexpected_error_is_openrosa_xml_and_keeps_the_payload(world, device_token, visit_xml, post_xml, db,
                                                               monkeypatch, app):
    from server.submissions import lifecycle

    def broken(submission):
        raise RuntimeError("hook bug")
    monkeypatch.setattr(lifecycle, "AFTER_STORE", [broken])
    monkeypatch.setitem(app.config, "PROPAGATE_EXCEPTIONS", False)
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=world.h1.lat + 0.00007, lon=world.h1.lon)
    response = post_xml(token, xml)
    assert response.status_code == 500 and b"OpenRosaResponse" in response.data
    assert response.headers["X-OpenRosa-Version"] == "1.0"
    item = db.session.scalars(db.select(QuarantineItem)).one()
    assert item.reason == "server.error" and item.payload == xml
    assert _count(db, Submission) == 0


def test_households_csv_counts_cases_awaiting_confirmation(client, world, device_token, db):
    from server.cases.models import Case
    token = device_token(world.cadre)
    url = f"/key/{token}/openrosa/forms/visit/media/households.csv"
    before = client.get(url).get_data(as_text=True)
    db.session.add(Case(household_id=world.h1.id, area_id=world.h1.area_id, text="road", status="resolved"))
    db.session.commit()
    after = client.get(url).get_data(as_text=True)
    rows = {line.split(",")[0]: line.split(",")[-1] for line in after.splitlines()[1:]}
    assert rows == {"SZ01-001": "1", "SZ01-002": "0"} and before != after


def test_repeat_answered_once_is_a_list_even_after_another_version_was_seen(world, device_token, visit_xml,
                                                                             post_xml, db):
    """Ingest parses once with the repeats of the spec last seen for the form id, and parses again
    when the version submitted turns out to have other fields."""
    from server.cases.models import Case
    from server.surveys.services import current_version
    from server.surveys import formspec

    token = device_token(world.cadre)
    lat, lon = offset(world.h1.lat, world.h1.lon, north_m=10)
    stale = formspec.build_spec("stale", current_version("satisfaction").xml)  # a form without repeats
    assert not stale.has_repeats
    for hint in (stale, None):
        if hint is not None:
            formspec.remember_hint("visit", hint)
        demand = {"category": "medical", "text": f"看病 {hint is None}"}
        response = post_xml(token, visit_xml(token, world.h1, lat=lat, lon=lon, demands=[demand]))
        assert response.status_code == 201, response.data
        stored = db.session.scalars(db.select(Submission).order_by(Submission.id.desc())).first()
        assert stored.answers["demands"] == [demand]
        assert formspec.spec_hint(stored.raw_xml.encode()).has_repeats  # the right spec is remembered
    assert sorted(db.session.scalars(db.select(Case.text))) == ["看病 False", "看病 True"]
