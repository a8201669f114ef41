"""/api/v1/forms: listing with hashes, XForm download, detail with fields, XLSForm upload, CLI."""
import copy
import hashlib
import io

import pytest
from lxml import etree

from forms import xlsform
from server.surveys.models import FormVersion

XF = "http://www.w3.org/2002/xforms"


def bumped_visit(version="2099010101", label_suffix=""):
    sheets = copy.deepcopy(xlsform.load_definition("visit"))
    sheets["settings"][0]["version"] = version
    if label_suffix:
        for row in sheets["survey"]:
            for key in list(row):
                if key.startswith("label::English"):
                    row[key] = f"{row[key]}{label_suffix}"
                    break
    return xlsform.sheets_to_xlsx(sheets)


def upload(client, headers, data, name="form.xlsx"):
    return client.post("/api/v1/forms", headers=headers, data={"file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def listed(client, headers):
    return {f["form_id"]: f for f in client.get("/api/v1/forms", headers=headers).json}


def test_forms_list_visit_and_satisfaction_with_md5(client, world, token_for, db):
    forms = listed(client, token_for(world.cadre))
    assert set(forms) == {"visit", "satisfaction"}
    for form_id, form in forms.items():
        assert form["kind"] == form_id and form["state"] == "published" and form["version"]
        xml = client.get(f"/api/v1/forms/{form_id}.xml", headers=token_for(world.cadre)).data
        assert form["hash"] == "md5:" + hashlib.md5(xml).hexdigest()
        assert form["xform_url"].endswith(f"/api/v1/forms/{form_id}.xml")


@pytest.mark.parametrize("form_id", ["visit", "satisfaction"])
def test_xform_is_well_formed_and_bilingual(client, world, token_for, form_id):
    response = client.get(f"/api/v1/forms/{form_id}.xml", headers=token_for(world.cadre))
    assert response.status_code == 200 and response.content_type.startswith("text/xml")
    root = etree.fromstring(response.data)
    assert root.tag == "{http://www.w3.org/1999/xhtml}html"
    langs = {t.get("lang") for t in root.iter(f"{{{XF}}}translation")}
    assert any("zh" in lang for lang in langs) and any("en" in lang for lang in langs)
    texts = {t.get("lang"): [v.text for v in t.iter(f"{{{XF}}}value") if v.text]
             for t in root.iter(f"{{{XF}}}translation")}
    zh = next(v for lang, v in texts.items() if "zh" in lang)
    en = next(v for lang, v in texts.items() if "en" in lang)
    assert any("\u4e00" <= ch <= "\u9fff" for text in zh for ch in text)
    assert en and zh != en


def test_form_detail_lists_fields(client, world, token_for):
    response = client.get("/api/v1/forms/visit", headers=token_for(world.manager))
    assert response.status_code == 200
    fields = {f["path"]: f for f in response.json["fields"]}
    household = fields["household"]
    assert household["type"] and household["required"] is True
    assert set(household) >= {"path", "type", "labels", "choices", "required"}
    with_choices = [f for f in fields.values() if f["choices"]]
    assert with_choices
    choice = with_choices[0]["choices"][0]
    assert "name" in choice
    labelled = [f for f in fields.values() if f["labels"]]
    assert any(len(f["labels"]) >= 2 for f in labelled)
    assert any(f["type"] == "geopoint" and f["required"] for f in fields.values())


def test_unknown_form_is_404(client, world, token_for):
    headers = token_for(world.admin)
    for url in ("/api/v1/forms/nope", "/api/v1/forms/nope.xml"):
        response = client.get(url, headers=headers)
        assert response.status_code == 404 and response.json["problem"] == "form.not_found"


def test_forms_need_a_signed_in_user(client, world):
    assert client.get("/api/v1/forms").status_code == 401


def test_new_visit_version_is_listed_with_new_hash(client, world, token_for, db):
    headers = token_for(world.admin)
    before = listed(client, headers)["visit"]
    response = upload(client, headers, bumped_visit())
    assert response.status_code == 201, response.json
    assert response.json["form_id"] == "visit" and response.json["version"] == "2099010101"
    after = listed(client, headers)["visit"]
    assert after["version"] == "2099010101" and after["hash"] != before["hash"]
    xml = client.get("/api/v1/forms/visit.xml", headers=headers).data
    assert after["hash"] == "md5:" + hashlib.md5(xml).hexdigest() and b"2099010101" in xml
    versions = db.session.scalars(db.select(FormVersion.version).filter_by(is_current=True)).all()
    assert sorted(versions).count("2099010101") == 1 and len(versions) == 2


def test_same_upload_again_is_409_unchanged(client, world, token_for):
    headers = token_for(world.admin)
    assert upload(client, headers, bumped_visit()).status_code == 201
    response = upload(client, headers, bumped_visit())
    assert response.status_code == 409 and response.json["problem"] == "form.unchanged"


def test_same_version_other_content_is_409(client, world, token_for):
    headers = token_for(world.admin)
    assert upload(client, headers, bumped_visit()).status_code == 201
    response = upload(client, headers, bumped_visit(label_suffix=" (new)"))
    assert response.status_code == 409 and response.json["problem"] == "resource.conflict"


def test_republishing_builtin_version_is_unchanged(client, world, token_for):
    data = xlsform.sheets_to_xlsx(xlsform.load_definition("satisfaction"))
    response = upload(client, token_for(world.admin), data)
    assert response.status_code == 409 and response.json["problem"] == "form.unchanged"


def test_broken_xlsform_quotes_pyxform(client, world, token_for):
    sheets = copy.deepcopy(xlsform.load_definition("visit"))
    sheets["settings"][0]["version"] = "2099010102"
    sheets["survey"].append({"type": "select_one no_such_list", "name": "broken", "label::English (en)": "x"})
    response = upload(client, token_for(world.admin), xlsform.sheets_to_xlsx(sheets))
    assert response.status_code == 400
    assert response.json["problem"] == "form.invalid"
    assert "no_such_list" in response.json["message"]


@pytest.mark.parametrize("data", [b"not a workbook", b""])
def test_not_a_workbook_is_400(client, world, token_for, data):
    response = upload(client, token_for(world.admin), data)
    assert response.status_code == 400 and response.json["problem"] == "form.invalid"


def test_missing_file_part_is_400(client, world, token_for):
    response = client.post("/api/v1/forms", headers=token_for(world.admin), data={},
                           content_type="multipart/form-data")
    assert response.status_code == 400


@pytest.mark.parametrize("who", ["cadre", "surveyor"])
def test_field_roles_cannot_upload(client, world, token_for, who):
    response = upload(client, token_for(getattr(world, who)), bumped_visit())
    assert response.status_code == 403


def test_new_form_upload_as_other_kind(client, world, token_for):
    sheets = {"survey": [{"type": "text", "name": "note_text", "label::中文 (zh)": "备注",
                          "label::English (en)": "Note"}],
              "settings": [{"form_id": "extra_survey", "version": "1", "form_title": "Extra"}]}
    response = upload(client, token_for(world.manager), xlsform.sheets_to_xlsx(sheets))
    assert response.status_code == 201, response.json
    assert response.json["kind"] == "other"
    assert set(listed(client, token_for(world.cadre))) == {"visit", "satisfaction", "extra_survey"}


def test_closing_a_form_hides_it_from_the_list(client, world, token_for):
    headers = token_for(world.admin)
    response = client.patch("/api/v1/forms/satisfaction", json={"state": "closed"}, headers=headers)
    assert response.status_code == 200 and response.json["state"] == "closed"
    assert set(listed(client, headers)) == {"visit"}
    assert client.patch("/api/v1/forms/satisfaction", json={"state": "closed"},
                        headers=token_for(world.cadre)).status_code == 403
    assert client.patch("/api/v1/forms/satisfaction", json={"state": "gone"}, headers=headers).status_code == 422


def test_cli_forms_upload(app, world, db, tmp_path, client, token_for):
    path = tmp_path / "visit.xlsx"
    path.write_bytes(bumped_visit("2099020201"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["forms", "upload", str(path)])
    assert result.exit_code == 0, result.output
    assert "published visit version 2099020201 md5:" in result.output
    assert listed(client, token_for(world.admin))["visit"]["version"] == "2099020201"
    result = runner.invoke(args=["forms", "upload", str(path)])
    assert result.exit_code != 0 and "already published" in result.output


def test_cli_forms_upload_broken_file(app, world, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"nope")
    result = app.test_cli_runner().invoke(args=["forms", "upload", str(path)])
    assert result.exit_code != 0 and "XLSForm error" in result.output and "Traceback" not in result.output
