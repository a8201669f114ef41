import io
import zipfile

import pytest
from lxml import etree
from pyxform.xls2xform import convert as pyxform_convert

from forms.errors import FormError, XLSFormError
from forms.xlsform import (
    ConvertedForm, builtin_form_ids, convert, convert_builtin, load_definition,
    sheets_to_xlsx, xlsx_to_sheets,
)

XF = "{http://www.w3.org/2002/xforms}"
SETTINGS = [{"form_id": "broken", "version": "1"}]


def pyxform_message(sheets):
    """The error text pyxform itself gives for these sheets."""
    with pytest.raises(Exception) as info:
        pyxform_convert(sheets)
    return str(info.value).strip()


def test_builtin_form_ids():
    assert builtin_form_ids() == ["visit", "satisfaction"]


@pytest.mark.parametrize("form_id, title", [("visit", "联户走访记录"), ("satisfaction", "群众满意度测评")])
def test_builtin_forms_convert(form_id, title):
    form = convert_builtin(form_id)
    assert isinstance(form, ConvertedForm)
    assert (form.form_id, form.title) == (form_id, title)
    assert form.version.isdigit() and len(form.version) == 10
    assert form.media == ["households.csv"]
    root = etree.fromstring(form.xml.encode("utf-8"))
    instance = root.find(f".//{XF}model/{XF}instance")[0]
    assert (instance.get("id"), instance.get("version")) == (form_id, form.version)


@pytest.mark.parametrize("form_id", ["visit", "satisfaction"])
def test_builtin_forms_are_bilingual_with_chinese_default(form_id):
    root = etree.fromstring(convert_builtin(form_id).xml.encode("utf-8"))
    translations = root.findall(f".//{XF}itext/{XF}translation")
    langs = {t.get("lang"): t.get("default") for t in translations}
    assert set(langs) == {"中文 (zh)", "English (en)"}
    assert langs["中文 (zh)"] == "true()"
    counts = {len(t.findall(f"{XF}text")) for t in translations}
    assert len(counts) == 1  # every text is translated


def test_md5_is_of_the_xml():
    import hashlib

    form = convert_builtin("visit")
    assert form.md5 == hashlib.md5(form.xml.encode("utf-8")).hexdigest()


def test_convert_builtin_is_cached():
    assert convert_builtin("visit") is convert_builtin("visit")


def test_photo_is_limited_to_1024_pixels():
    assert 'orx:max-pixels="1024"' in convert_builtin("visit").xml


def test_load_definition_is_a_fresh_sheets_dict():
    sheets = load_definition("visit")
    assert set(sheets) == {"survey", "choices", "settings"}
    assert sheets["settings"][0]["form_id"] == "visit"
    sheets["survey"].clear()
    assert load_definition("visit")["survey"]


def test_load_definition_of_unknown_form():
    with pytest.raises(XLSFormError, match="nope"):
        load_definition("nope")


@pytest.mark.parametrize("form_id", ["visit", "satisfaction"])
def test_xlsx_roundtrip_converts_the_same(form_id):
    sheets = load_definition(form_id)
    data = sheets_to_xlsx(sheets)
    assert zipfile.is_zipfile(io.BytesIO(data))
    assert xlsx_to_sheets(data) == sheets
    from_xlsx = convert(data)
    assert from_xlsx.xml == convert_builtin(form_id).xml
    assert from_xlsx.md5 == convert_builtin(form_id).md5


def test_xlsx_keeps_cells_that_look_like_formulas():
    sheets = {"survey": [{"type": "text", "name": "a", "label": "=not a formula"}]}
    assert xlsx_to_sheets(sheets_to_xlsx(sheets)) == sheets


def test_sheets_are_normalized_like_pyxform_reads_xlsx():
    sheets = {
        "survey": [{"type": " integer ", "name": "n", "label": "N", "required": True, "hint": ""}],
        "settings": [{"form_id": "numbers", "version": 2026112301}],
    }
    form = convert(sheets)
    assert form.sheets["survey"] == [{"type": "integer", "name": "n", "label": "N", "required": "TRUE"}]
    assert (form.form_id, form.version, form.title, form.media) == ("numbers", "2026112301", "numbers", [])


@pytest.mark.parametrize(
    "sheets",
    [
        pytest.param({"survey": [{"type": "texty", "name": "a", "label": "A"}], "settings": SETTINGS}, id="unknown-type"),
        pytest.param({"settings": SETTINGS}, id="missing-survey"),
        pytest.param({"survey": [{"type": "text", "name": "1 bad", "label": "A"}], "settings": SETTINGS}, id="bad-name"),
        pytest.param({"survey": [{"type": "select_one nolist", "name": "a", "label": "A"}], "settings": SETTINGS}, id="no-choices"),
        pytest.param({"survey": [{"type": "begin_group", "name": "g", "label": "G"}], "settings": SETTINGS}, id="unclosed-group"),
    ],
)
def test_broken_xlsform_quotes_pyxform(sheets):
    expected = pyxform_message(sheets)
    with pytest.raises(XLSFormError) as info:
        convert(sheets)
    assert expected in info.value.message
    with pytest.raises(XLSFormError) as info:
        convert(sheets_to_xlsx(sheets))
    assert expected in info.value.message


def test_unknown_type_message():
    sheets = {"survey": [{"type": "texty", "name": "a", "label": "A"}], "settings": SETTINGS}
    with pytest.raises(XLSFormError, match="Unknown question type 'texty'"):
        convert(sheets)


def test_missing_survey_message():
    with pytest.raises(XLSFormError, match="You must have a sheet named 'survey'"):
        convert({"settings": SETTINGS, "choices": []})


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(None, id="csv-text"),
        pytest.param(b"", id="empty"),
        pytest.param(b"PK\x03\x04 truncated", id="truncated-zip"),
        pytest.param("zip-without-workbook", id="zip-not-xlsx"),
    ],
)
def test_not_a_workbook(data, data_file):
    if data is None:
        data = data_file("not_a_workbook.xlsx")
    elif data == "zip-without-workbook":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr("hello.txt", "hello")
        data = buffer.getvalue()
    with pytest.raises(XLSFormError, match="not a valid .xlsx or .xls workbook"):
        convert(data)
    with pytest.raises(XLSFormError):
        xlsx_to_sheets(data)


@pytest.mark.parametrize(
    "settings, message",
    [
        ([], "form_id"),
        ([{"version": "1"}], "form_id"),
        ([{"form_id": "../etc", "version": "1"}], "form_id"),
        ([{"form_id": "x" * 65, "version": "1"}], "form_id"),
        ([{"form_id": "x", "version": "1\t2"}], "version"),
    ],
)
def test_settings_need_a_usable_form_id_and_version(settings, message):
    sheets = {"survey": [{"type": "text", "name": "a", "label": "A"}], "settings": settings}
    with pytest.raises(XLSFormError, match=message):
        convert(sheets)


@pytest.mark.parametrize("source", [None, "survey.xlsx", 42, {"survey": "not rows"}])
def test_source_must_be_sheets_or_bytes(source):
    with pytest.raises(XLSFormError):
        convert(source)


def test_errors_share_a_base_class():
    assert issubclass(XLSFormError, FormError)
    assert XLSFormError("boom").message == "boom"


def test_extra_form_converts(census):
    assert (census.form_id, census.title, census.version) == ("census", "Household census", "1")
    assert census.media == []


def test_too_many_rows(monkeypatch):
    import forms.xlsform

    monkeypatch.setattr(forms.xlsform, "MAX_ROWS", 3)
    sheets = {"survey": [{"type": "text", "name": f"q{i}", "label": "Q"} for i in range(5)]}
    with pytest.raises(XLSFormError, match="more than 3 rows"):
        xlsx_to_sheets(sheets_to_xlsx(sheets))


@pytest.mark.parametrize("form_id", ["visit", "satisfaction"])
def test_same_xml_as_pyxform_reading_the_xlsx_itself(form_id):
    data = sheets_to_xlsx(load_definition(form_id))
    assert pyxform_convert(data, file_type=".xlsx").xform == convert(data).xml


def test_what_pyxform_accepts_is_accepted():
    """No version (made from the time), no form_id (the file name), spaces and ':' as the XForm spec allows."""
    import datetime
    survey = [{"type": "text", "name": "a", "label": "A"}]
    made = convert({"survey": survey}, filename="my survey.xlsx",
                   now=datetime.datetime(2026, 12, 1, 8, 30, tzinfo=datetime.timezone.utc))
    assert (made.form_id, made.version) == ("my survey", "20261201083000")
    assert 'id="my survey"' in made.xml and 'version="20261201083000"' in made.xml
    assert any("file name" in w for w in made.warnings) and any("version" in w for w in made.warnings)
    spaced = convert({"survey": survey, "settings": [{"form_id": "x y", "version": "2026-12-01 10:00"}]})
    assert (spaced.form_id, spaced.version) == ("x y", "2026-12-01 10:00")


def test_lone_sheet_not_named_survey_is_the_survey():
    made = convert(sheets_to_xlsx({"Sheet1": [{"type": "integer", "name": "n", "label": "N"}]}), filename="one.xlsx")
    assert made.form_id == "one" and "/data/n" in made.xml


def test_submission_url_is_removed_with_a_warning():
    sheets = {"survey": [{"type": "text", "name": "a", "label": "A"}],
              "settings": [{"form_id": "x", "version": "1", "submission_url": "https://elsewhere.example/submission"}]}
    made = convert(sheets)
    assert "elsewhere.example" not in made.xml
    assert any("submission_url" in w and "removed" in w for w in made.warnings)


def test_empty_formatted_rows_are_skipped_before_the_row_cap(monkeypatch):
    """A sheet saved with many formatted but empty rows reads as its rows with content."""
    import io

    import forms.xlsform
    from openpyxl import Workbook
    from openpyxl.styles import Font
    monkeypatch.setattr(forms.xlsform, "MAX_ROWS", 50)
    book = Workbook()
    sheet = book.active
    sheet.title = "survey"
    sheet.append(["type", "name", "label"])
    sheet.append(["text", "a", "A"])
    bold = Font(bold=True)
    for row in range(3, 3003):  # formatted, empty: 60 times the (lowered) cap
        sheet.cell(row=row, column=1).font = bold
    buffer = io.BytesIO()
    book.save(buffer)
    assert xlsx_to_sheets(buffer.getvalue()) == {"survey": [{"type": "text", "name": "a", "label": "A"}]}


def test_xls_workbook_converts():
    import xlwt
    book = xlwt.Workbook()
    survey = book.add_sheet("survey")
    for r, row in enumerate([("type", "name", "label"), ("integer", "age", "Age"), ("text", "who", "Who")]):
        for c, value in enumerate(row):
            survey.write(r, c, value)
    settings = book.add_sheet("settings")
    settings.write(0, 0, "form_title")
    settings.write(1, 0, "Old Excel form")
    import io
    buffer = io.BytesIO()
    book.save(buffer)
    made = convert(buffer.getvalue(), filename="legacy.xls")
    assert made.form_id == "legacy" and made.title == "Old Excel form" and "/data/age" in made.xml
