"""Encrypted forms: a submission encrypted exactly as ODK Collect does is stored whole, listed sealed,
and decrypted to its plain answers and attachments only with the manager's private key."""
import base64
import io
import sys
from pathlib import Path

import pytest

from forms import encryption
from forms.answers import build_instance_xml

from .collect_crypto import encrypt_submission, new_key_pair
from .conftest import new_id

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "forms"))
import corpus  # noqa: E402


@pytest.fixture(scope="module")
def keys():
    return new_key_pair()


@pytest.fixture
def sealed_form(world, client, token_for, keys):
    form = corpus.sealed(keys[0])
    response = client.post("/api/v1/forms", headers=token_for(world.admin), content_type="multipart/form-data",
                           data={"file": (io.BytesIO(form.data), form.filename)})
    assert response.status_code == 201, response.json
    assert response.json["encrypted"] is True
    return form


def send_encrypted(client, token, form, keys, instance_id=None):
    """Fill the served form, encrypt as Collect does, upload the manifest and the .enc files."""
    instance_id = instance_id or new_id()
    xform = client.get(f"/key/{token}/openrosa/forms/sealed.xml").data
    assert encryption.public_key_of(xform) == keys[0]
    plain = build_instance_xml(xform, form.answers, instance_id)
    manifest, files = encrypt_submission(keys[0], "sealed", "1", instance_id, plain, form.files)
    data = {"xml_submission_file": (io.BytesIO(manifest), "submission.xml", "text/xml"),
            **{name: (io.BytesIO(content), name) for name, content in files.items()}}
    response = client.post(f"/key/{token}/openrosa/submission", data=data, content_type="multipart/form-data")
    return response, instance_id, plain, files


def test_encrypted_submission_round_trips_with_the_private_key(world, client, token_for, device_token, sealed_form,
                                                               keys, tmp_path):
    from .test_corpus import odk_validate
    token = device_token(world.cadre)
    odk_validate(client.get(f"/key/{token}/openrosa/forms/sealed.xml").data, tmp_path)
    response, instance_id, plain, files = send_encrypted(client, token, sealed_form, keys)
    assert response.status_code == 201, response.data
    assert b"Waiting" not in response.data and b"does not name" not in response.data

    admin = token_for(world.admin)
    listed = client.get("/api/v1/submissions", headers=admin, query_string={"form": "sealed"}).json
    assert [s["instance_id"] for s in listed] == [instance_id]  # listed, still sealed
    detail = client.get(f"/api/v1/submissions/{listed[0]['id']}", headers=admin).json
    stored = {a["name"]: a for a in detail["attachments"]}
    assert set(stored) == set(files) and all(a["received"] and not a["extra"] for a in stored.values())
    for name, content in files.items():  # stored whole: the very bytes the device sent
        assert client.get(stored[name]["download_url"], headers=admin).data == content
    assert "只给管理员" not in str(detail)
    export = client.get("/api/v1/exports/submissions.csv", headers=admin, query_string={"form": "sealed"})
    assert export.status_code == 200 and instance_id in export.get_data(as_text=True)  # listed without a key
    assert "只给管理员" not in export.get_data(as_text=True)

    opened = client.post("/api/v1/forms/sealed/decrypted", headers=admin, json={"private_key": keys[1]})
    assert opened.status_code == 200, opened.json
    [item] = opened.json
    assert item["error"] is None and item["instance_id"] == instance_id
    assert item["answers"]["secret"] == "只给管理员"
    assert item["answers"]["item"] == [{"pic": "a.jpg"}, {"pic": "b.jpg"}]
    assert item["xml"].encode() == plain
    media = {a["name"]: base64.b64decode(a["content_base64"]) for a in item["attachments"]}
    assert media == sealed_form.files


def test_wrong_key_or_bad_pem_never_shows_data(world, client, token_for, device_token, sealed_form, keys):
    token = device_token(world.cadre)
    assert send_encrypted(client, token, sealed_form, keys)[0].status_code == 201
    admin = token_for(world.admin)
    other = new_key_pair()[1]
    [item] = client.post("/api/v1/forms/sealed/decrypted", headers=admin, json={"private_key": other}).json
    assert item["answers"] is None and "does not open" in item["error"]
    bad = client.post("/api/v1/forms/sealed/decrypted", headers=admin, json={"private_key": "not a key"})
    assert bad.status_code == 400
    cadre = client.post("/api/v1/forms/sealed/decrypted", headers=token_for(world.cadre),
                        json={"private_key": keys[1]})
    assert cadre.status_code == 403


def test_split_encrypted_upload_and_resend(world, client, device_token, sealed_form, keys, db):
    """Collect may send the .enc files over several requests with the same manifest; a resend is a no-op."""
    from server.submissions.models import Attachment
    token = device_token(world.cadre)
    instance_id = new_id()
    xform = client.get(f"/key/{token}/openrosa/forms/sealed.xml").data
    plain = build_instance_xml(xform, sealed_form.answers, instance_id)
    manifest, files = encrypt_submission(keys[0], "sealed", "1", instance_id, plain, sealed_form.files)
    names = list(files)

    def post(subset):
        data = {"xml_submission_file": (io.BytesIO(manifest), "submission.xml", "text/xml"),
                **{n: (io.BytesIO(files[n]), n) for n in subset}}
        return client.post(f"/key/{token}/openrosa/submission", data=data, content_type="multipart/form-data")
    first = post(names[:1])
    assert first.status_code == 201 and b"Waiting for 2 attachment(s)" in first.data
    assert post(names[1:]).status_code == 201
    assert post(names).status_code == 201
    rows = db.session.scalars(db.select(Attachment)).all()
    assert sorted(r.name for r in rows) == sorted(names) and all(r.is_received for r in rows)


def test_tampered_file_fails_the_signature(keys):
    instance_id = new_id()
    plain = b"<data id='sealed' version='1'><secret>x</secret><meta><instanceID>" + instance_id.encode() + \
        b"</instanceID></meta></data>"
    manifest_xml, files = encrypt_submission(keys[0], "sealed", "1", instance_id, plain, {"a.jpg": b"photo"})
    manifest = encryption.read_manifest(manifest_xml)
    key = encryption.load_private_key(keys[1])
    xml, media = encryption.decrypt_submission(key, manifest, files)
    assert xml == plain and media == {"a.jpg": b"photo"}
    other, _ = encrypt_submission(keys[0], "sealed", "1", instance_id, plain, {"a.jpg": b"other photo"})
    manifest.signature = encryption.read_manifest(other).signature
    with pytest.raises(encryption.DecryptionError):
        encryption.decrypt_submission(key, manifest, files)
