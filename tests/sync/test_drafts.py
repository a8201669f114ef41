"""Form drafts: tested through their own link (and QR payload) before publishing; version history; audiences."""
import base64
import io
import json
import sys
import zlib
from pathlib import Path

from lxml import etree

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "forms"))
import corpus  # noqa: E402

LIST_NS = {"x": "http://openrosa.org/xforms/xformsList"}
MANIFEST_NS = {"m": "http://openrosa.org/xforms/xformsManifest"}


def form_ids(client, token):
    listed = etree.fromstring(client.get(f"/key/{token}/openrosa/formList").data)
    return [e.text for e in listed.iterfind("x:xform/x:formID", LIST_NS)]


def upload(client, headers, form, draft=False):
    return client.post("/api/v1/forms" + ("?draft=true" if draft else ""), headers=headers,
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(form.data), form.filename),
                             "media": [(io.BytesIO(c), n) for n, c in form.media.items()]})


def test_draft_is_tested_by_its_link_then_published(world, client, token_for, device_token):
    admin = token_for(world.admin)
    cadre = device_token(world.cadre)
    form = corpus.market()
    response = upload(client, admin, form, draft=True)
    assert response.status_code == 201, response.json
    assert response.json["state"] == "draft"
    assert "market" not in form_ids(client, cadre)  # nobody gets a draft
    assert client.get("/api/v1/forms/market.xml", headers=admin).status_code == 404

    draft = client.get("/api/v1/forms/market/draft", headers=admin).json
    test_url = draft["test_url"].replace("http://localhost", "")
    settings = json.loads(zlib.decompress(base64.b64decode(draft["test_qr_payload"])))
    assert settings["general"]["server_url"] == draft["test_url"]
    listed = client.get(f"{test_url}/formList")
    assert listed.status_code == 200 and listed.headers["X-OpenRosa-Version"] == "1.0"
    entry = etree.fromstring(listed.data).find("x:xform", LIST_NS)
    assert entry.findtext("x:formID", namespaces=LIST_NS) == "market"
    assert client.get(f"{test_url}/forms/market.xml").data.startswith(b"<?xml")
    manifest = etree.fromstring(client.get(entry.findtext("x:manifestUrl", namespaces=LIST_NS)
                                           .replace("http://localhost", "")).data)
    names = [i.findtext("m:filename", namespaces=MANIFEST_NS) for i in manifest.iterfind("m:mediaFile", MANIFEST_NS)]
    assert sorted(names) == sorted(form.media)
    assert client.get(f"{test_url}/forms/market/media/fruits.csv").data == form.media["fruits.csv"]
    refused = client.post(f"{test_url}/submission", data=b"<data/>", content_type="text/xml")
    assert refused.status_code == 403 and b"drafts take no submissions" in refused.data

    published = client.post("/api/v1/forms/market/draft/publish", headers=admin)
    assert published.status_code == 200 and published.json["state"] == "published"
    assert "market" in form_ids(client, cadre)
    assert client.get(f"{test_url}/formList").status_code == 403  # the test link ends with the draft
    manifest = etree.fromstring(client.get(f"/key/{cadre}/openrosa/forms/market/manifest").data)
    assert len(manifest.findall("m:mediaFile", MANIFEST_NS)) == len(form.media)


def test_a_draft_of_a_published_form_leaves_the_published_version_in_use(world, client, token_for, device_token):
    admin = token_for(world.admin)
    cadre = device_token(world.cadre)
    form = corpus.market()
    assert upload(client, admin, form).status_code == 201
    form.sheets["settings"][0]["version"] = "4"
    form.sheets["survey"][0]["label"] = "Fruit (new)"
    draft = client.post("/api/v1/forms?draft=true", headers=admin, content_type="multipart/form-data",
                        data={"file": (io.BytesIO(form.data), form.filename)})
    assert draft.status_code == 201 and draft.json["missing_media"] == []  # media carried from version 3
    served = client.get(f"/key/{cadre}/openrosa/forms/market.xml").data
    assert b"Fruit (new)" not in served
    history = client.get("/api/v1/forms/market/versions", headers=admin).json
    assert [(v["version"], v["state"], v["current"]) for v in history] == [("4", "draft", False),
                                                                           ("3", "published", True)]
    assert client.post("/api/v1/forms/market/draft/publish", headers=admin).status_code == 200
    assert b"Fruit (new)" in client.get(f"/key/{cadre}/openrosa/forms/market.xml").data
    assert client.get("/api/v1/forms/market/draft", headers=admin).status_code == 404
    assert client.post("/api/v1/forms/market/draft/publish", headers=token_for(world.cadre)).status_code == 403


def test_audience_limits_who_gets_a_form(world, client, token_for, device_token):
    admin = token_for(world.admin)
    assert upload(client, admin, corpus.market()).status_code == 201
    cadre, cadre2 = device_token(world.cadre), device_token(world.cadre2)
    assert "market" in form_ids(client, cadre) and "market" in form_ids(client, cadre2)
    set_to = client.put("/api/v1/forms/market/audience", headers=admin, json={"area_ids": [world.v1.id]})
    assert set_to.status_code == 200 and set_to.json == {"roles": None, "area_ids": [world.v1.id]}
    assert "market" in form_ids(client, cadre) and "market" not in form_ids(client, cadre2)
    assert client.get(f"/key/{cadre2}/openrosa/forms/market.xml").status_code == 404
    client.put("/api/v1/forms/market/audience", headers=admin, json={"roles": ["surveyor"], "area_ids": None})
    assert "market" not in form_ids(client, cadre)
    bad = client.put("/api/v1/forms/market/audience", headers=admin, json={"roles": ["mayor"]})
    assert bad.status_code == 400
    assert client.put("/api/v1/forms/market/audience", headers=token_for(world.cadre),
                      json={"roles": None}).status_code == 403
