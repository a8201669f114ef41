"""Every form of the corpus goes from upload to a stored submission with all its attachments.

Upload (with media) -> published, ODK Validate passes on the XForm served -> listed for a cadre
(formList, formID filter) -> manifest with md5 hashes and the bytes behind them -> a Collect-style
multipart submission with its attachments (and one file the form does not name) -> 201 -> the
submissions API shows every attachment received.
"""
import hashlib
import io
import shutil
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from lxml import etree

from forms.answers import build_instance_xml

from .conftest import new_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "forms"))
import corpus  # noqa: E402

LIST_NS = {"x": "http://openrosa.org/xforms/xformsList"}
MANIFEST_NS = {"m": "http://openrosa.org/xforms/xformsManifest"}
FORMS = {form.filename: form for form in corpus.plain_forms()}


def upload_form(client, headers, form):
    data = {"file": (io.BytesIO(form.data), form.filename),
            "media": [(io.BytesIO(content), name) for name, content in form.media.items()]}
    return client.post("/api/v1/forms", headers=headers, data=data, content_type="multipart/form-data")


def odk_validate(xml: bytes, tmp_path) -> None:
    """ODK Validate (the jar pyxform ships) on an XForm; raises with its report when it fails."""
    from pyxform.validators import odk_validate as validator
    if shutil.which("java") is None:
        pytest.fail("java is needed for ODK Validate: apt-get install default-jre-headless (make test-deps)")
    path = tmp_path / "form.xml"
    path.write_bytes(xml)
    validator.check_xform(str(path))


@pytest.mark.parametrize("filename", list(FORMS))
def test_corpus_form_from_upload_to_stored_submission(filename, world, client, token_for, device_token, post_xml,
                                                      tmp_path, db):
    form = FORMS[filename]
    admin = token_for(world.admin)
    response = upload_form(client, admin, form)
    assert response.status_code == 201, response.json
    body = response.json
    form_id, version = body["form_id"], body["version"]
    assert body["state"] == "published" and body["missing_media"] == []
    assert isinstance(body["warnings"], list)

    token = device_token(world.cadre)
    base = f"/key/{token}/openrosa"
    listed = client.get(f"{base}/formList", query_string={"formID": form_id})
    assert listed.headers["X-OpenRosa-Accept-Content-Length"]
    ids = [e.text for e in etree.fromstring(listed.data).iterfind("x:xform/x:formID", LIST_NS)]
    assert ids == [form_id]
    xform = client.get(f"{base}/forms/{quote(form_id)}.xml")
    assert xform.status_code == 200 and b"submission_url" not in xform.data and b"collect.example" not in xform.data
    odk_validate(xform.data, tmp_path)

    entry = etree.fromstring(listed.data).find("x:xform", LIST_NS)
    manifest_url = entry.findtext("x:manifestUrl", namespaces=LIST_NS)
    if form.media:
        manifest = etree.fromstring(client.get(manifest_url.replace("http://localhost", "")).data)
        served = {}
        for item in manifest.iterfind("m:mediaFile", MANIFEST_NS):
            url = item.findtext("m:downloadUrl", namespaces=MANIFEST_NS).replace("http://localhost", "")
            got = client.get(url)
            assert got.status_code == 200
            assert item.findtext("m:hash", namespaces=MANIFEST_NS) == "md5:" + hashlib.md5(got.data).hexdigest()
            served[item.findtext("m:filename", namespaces=MANIFEST_NS)] = got.data
        assert served == form.media
    else:
        assert manifest_url is None

    instance_id = new_id()
    xml = build_instance_xml(xform.data, form.answers, instance_id)
    extra = {"notes.txt": b"a file the form does not name"}
    sent = client.post(f"{base}/submission", content_type="multipart/form-data",
                       headers={"X-OpenRosa-Version": "1.0"},
                       data={"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml"),
                             **{name: (io.BytesIO(content), name) for name, content in {**form.files, **extra}.items()}})
    assert sent.status_code == 201, sent.data
    assert sent.headers["X-OpenRosa-Accept-Content-Length"]

    found = client.get("/api/v1/submissions", headers=admin, query_string={"form": form_id}).json
    assert [s["instance_id"] for s in found] == [instance_id]
    detail = client.get(f"/api/v1/submissions/{found[0]['id']}", headers=admin).json
    stored = {a["name"]: a for a in detail["attachments"]}
    assert set(stored) == set(form.files) | set(extra)
    for name, content in {**form.files, **extra}.items():
        assert stored[name]["received"] and stored[name]["sha256"] == hashlib.sha256(content).hexdigest()
        assert stored[name]["extra"] == (name in extra)
        assert client.get(stored[name]["download_url"], headers=admin).data == content
    assert detail["form_version"] == version if "form_version" in detail else True


def test_biomass_keeps_all_seven_photos_from_nested_repeats(world, client, token_for, device_token, db):
    """The case that lost 4 of 7 photos: photos two repeats deep are named, expected and stored."""
    from server.submissions.models import Attachment
    form = FORMS["biomass.xlsx"]
    assert upload_form(client, token_for(world.admin), form).status_code == 201
    token = device_token(world.cadre)
    xform = client.get(f"/key/{token}/openrosa/forms/biomass.xml").data
    xml = build_instance_xml(xform, form.answers, new_id())
    first = dict(list(form.files.items())[:3])
    rest = dict(list(form.files.items())[3:])

    def post(files, incomplete):
        data = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml"),
                **{n: (io.BytesIO(c), n) for n, c in files.items()}}
        if incomplete:
            data["*isIncomplete*"] = "yes"
        return client.post(f"/key/{token}/openrosa/submission", data=data, content_type="multipart/form-data")
    partial = post(first, True)
    assert partial.status_code == 201 and b"Waiting for 4 attachment(s)" in partial.data
    assert post(rest, False).status_code == 201
    rows = db.session.scalars(db.select(Attachment)).all()
    assert sorted(r.name for r in rows) == sorted(form.files) and all(r.is_received for r in rows)


def test_duplicate_xml_submission_file_is_400_and_quarantined(world, client, device_token, visit_xml, db):
    from server.submissions.models import QuarantineItem, Submission
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=29.2901, lon=121.4301)
    body = {"xml_submission_file": [(io.BytesIO(xml), "submission.xml", "text/xml"),
                                    (io.BytesIO(xml.replace(b"routine", b"other")), "submission.xml", "text/xml")]}
    response = client.post(f"/key/{token}/openrosa/submission", data=body, content_type="multipart/form-data")
    assert response.status_code == 400 and b"2 xml_submission_file parts" in response.data
    assert response.headers["X-OpenRosa-Accept-Content-Length"]
    item = db.session.scalars(db.select(QuarantineItem)).one()
    assert item.reason == "request.invalid" and xml in item.payload and b"other" in item.payload
    assert db.session.scalar(db.select(db.func.count()).select_from(Submission)) == 0


def test_two_different_files_under_one_name_are_refused_not_dropped(world, client, device_token, visit_xml, db):
    from server.submissions.models import QuarantineItem
    token = device_token(world.cadre)
    xml = visit_xml(token, world.h1, lat=29.2901, lon=121.4301, photo="p.jpg")
    body = {"xml_submission_file": (io.BytesIO(xml), "submission.xml", "text/xml"),
            "a": (io.BytesIO(b"one"), "p.jpg"), "b": (io.BytesIO(b"two"), "p.jpg")}
    response = client.post(f"/key/{token}/openrosa/submission", data=body, content_type="multipart/form-data")
    assert response.status_code == 400 and b"Two different files" in response.data
    assert b"two" in db.session.scalars(db.select(QuarantineItem)).one().payload


def test_form_list_filters_by_form_id_and_verbose_adds_descriptions(world, client, device_token):
    token = device_token(world.cadre)
    everything = etree.fromstring(client.get(f"/key/{token}/openrosa/formList").data)
    assert len(everything.findall("x:xform", LIST_NS)) >= 1
    one = etree.fromstring(client.get(f"/key/{token}/openrosa/formList?formID=visit&verbose=true").data)
    assert [e.text for e in one.iterfind("x:xform/x:formID", LIST_NS)] == ["visit"]
    assert one.findtext("x:xform/x:descriptionText", namespaces=LIST_NS)
    none = etree.fromstring(client.get(f"/key/{token}/openrosa/formList?formID=nope").data)
    assert none.findall("x:xform", LIST_NS) == []


def test_every_openrosa_response_carries_accept_content_length(world, client, device_token, app):
    token = device_token(world.cadre)
    limit = str(app.config["MAX_CONTENT_LENGTH"])
    for response in (client.get(f"/key/{token}/openrosa/formList"), client.head(f"/key/{token}/openrosa/submission"),
                     client.get(f"/key/{token}/openrosa/forms/nope.xml"), client.get("/key/bad/openrosa/formList")):
        assert response.headers["X-OpenRosa-Version"] == "1.0"
        assert response.headers["X-OpenRosa-Accept-Content-Length"] == limit


def test_media_can_be_replaced_and_the_manifest_hash_follows(world, client, token_for, device_token):
    form = FORMS["market.xlsx"]
    admin = token_for(world.admin)
    assert upload_form(client, admin, form).status_code == 201
    token = device_token(world.cadre)

    def hashes():
        manifest = etree.fromstring(client.get(f"/key/{token}/openrosa/forms/market/manifest").data)
        return {i.findtext("m:filename", namespaces=MANIFEST_NS): i.findtext("m:hash", namespaces=MANIFEST_NS)
                for i in manifest.iterfind("m:mediaFile", MANIFEST_NS)}
    before = hashes()
    new_csv = b"name,label,price\napple,Apple,5\n"
    response = client.post("/api/v1/forms/market/media", headers=admin, content_type="multipart/form-data",
                           data={"media": [(io.BytesIO(new_csv), "fruits.csv")]})
    assert response.status_code == 201, response.json
    after = hashes()
    assert after["fruits.csv"] == "md5:" + hashlib.md5(new_csv).hexdigest() != before["fruits.csv"]
    assert after["logo.png"] == before["logo.png"]
    cadre = client.post("/api/v1/forms/market/media", headers=token_for(world.cadre),
                        content_type="multipart/form-data", data={"media": [(io.BytesIO(b"x"), "fruits.csv")]})
    assert cadre.status_code == 403


def test_missing_media_is_reported_with_the_upload(world, client, token_for):
    form = FORMS["market.xlsx"]
    data = {"file": (io.BytesIO(form.data), form.filename),
            "media": [(io.BytesIO(form.media["fruits.csv"]), "fruits.csv")]}
    response = client.post("/api/v1/forms", headers=token_for(world.admin), data=data,
                           content_type="multipart/form-data")
    assert response.status_code == 201
    assert response.json["missing_media"] == ["stalls.geojson", "logo.png", "region.wav"]


def test_new_version_keeps_the_media_of_the_previous_one(world, client, token_for):
    form = FORMS["market.xlsx"]
    admin = token_for(world.admin)
    assert upload_form(client, admin, form).status_code == 201
    form.sheets["settings"][0]["version"] = "4"
    data = {"file": (io.BytesIO(form.data), form.filename)}
    response = client.post("/api/v1/forms", headers=admin, data=data, content_type="multipart/form-data")
    assert response.status_code == 201 and response.json["missing_media"] == []
    history = client.get("/api/v1/forms/market/versions", headers=admin).json
    assert [(v["version"], v["current"]) for v in history] == [("4", True), ("3", False)]
