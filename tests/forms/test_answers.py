import pytest
from lxml import etree

from forms.answers import Instance, build_instance_xml, parse_instance
from forms.errors import InstanceError
from forms.xform import parse_fields
from forms.xlsform import convert_builtin

INSTANCE_ID = "uuid:6f1d8a2e-3b4c-4d5e-8f90-a1b2c3d4e5f6"


def test_built_instance_roundtrips_answers(visit, visit_fields, visit_answers):
    xml = build_instance_xml(visit.xml, visit_answers, INSTANCE_ID)
    instance = parse_instance(xml, visit_fields)
    assert isinstance(instance, Instance)
    assert (instance.form_id, instance.version) == ("visit", visit.version)
    assert (instance.instance_id, instance.deprecated_id) == (INSTANCE_ID, None)
    assert instance.answers == visit_answers
    assert instance.xml == xml
    assert len(instance.answers["demands"]) == 2


def test_two_demands_are_a_list_even_without_fields(visit, visit_answers):
    xml = build_instance_xml(visit.xml, visit_answers, INSTANCE_ID)
    assert parse_instance(xml).answers == visit_answers


def test_built_instance_looks_like_odk_collects(visit, visit_answers):
    xml = build_instance_xml(visit.xml, visit_answers, INSTANCE_ID)
    assert xml.startswith(b"<?xml")
    root = etree.fromstring(xml)
    assert root.tag == "data"  # no namespace on the root, as Collect sends
    assert root.attrib == {"id": "visit", "version": visit.version}
    assert root.nsmap["jr"] == "http://openrosa.org/javarosa"
    assert root.nsmap["orx"] == "http://openrosa.org/xforms"
    assert [c.tag for c in root][-1] == "meta"
    assert root.findtext("meta/instanceID") == INSTANCE_ID
    assert root.findtext("people_met") == "head elder"
    assert root.find("start") is not None and root.find("start").text is None


def test_json_values_are_written_as_xml_text(visit, visit_fields):
    answers = {
        "household": "H0001",
        "location": {"lat": 30.5, "lon": 120.25, "accuracy": 5},
        "people_met": ["head", "child"],
        "demands": [{"category": "other", "text": 42}],
    }
    instance = parse_instance(build_instance_xml(visit.xml, answers, INSTANCE_ID), visit_fields)
    assert instance.answers == {
        "household": "H0001",
        "location": "30.5 120.25 0 5",
        "people_met": "head child",
        "demands": [{"category": "other", "text": "42"}],
    }


def test_one_demand_needs_the_fields_to_be_a_repeat(data_file, visit_fields):
    xml = data_file("visit_collect.xml")
    with_fields = parse_instance(xml, visit_fields).answers
    assert with_fields["demands"] == [{"category": "housing", "text": "修缮屋顶", "is_micro_wish": "no"}]
    assert with_fields["start"] == "2026-11-23T09:58:02.114+08:00"
    without = parse_instance(xml).answers
    assert without["demands/category"] == "housing"


def test_deprecated_id_and_edited_instance(visit, visit_answers):
    xml = build_instance_xml(visit.xml, visit_answers, INSTANCE_ID, deprecated_id="uuid:old")
    root = etree.fromstring(xml)
    assert [c.tag for c in root.find("meta")] == ["instanceID", "deprecatedID"]
    instance = parse_instance(xml)
    assert (instance.instance_id, instance.deprecated_id) == (INSTANCE_ID, "uuid:old")


def test_namespaced_root_and_meta(data_file, visit_fields):
    instance = parse_instance(data_file("visit_web_forms_ns.xml"), visit_fields)
    assert instance.form_id == "visit"
    assert instance.instance_id == "uuid:0b9e4d7a-1c2f-4e5a-8b6d-7f0a9c3e2d14"
    assert instance.deprecated_id == "uuid:5a2f0c1e-8d7b-4a43-9a9e-3f1c2b7d6e01"
    assert instance.answers == {
        "household": "H0002",
        "location": "30.2741 120.1551",
        "visit_type": "followup",
        "demands": [
            {"category": "medical", "text": "看病难", "is_micro_wish": "yes"},
            {"category": "employment", "text": "想找工作", "is_micro_wish": "no"},
        ],
    }


def test_groups_flatten_and_repeats_hold_relative_paths(census):
    fields = parse_fields(census.xml)
    answers = {
        "respondent": "王芳", "size": "3", "has_address": "yes",
        "address/street": "湖滨路", "address/number": "12",
        "members": [{"member_name": "王芳", "age": "41"}, {"member_name": "李明"}],
    }
    xml = build_instance_xml(census.xml, answers, INSTANCE_ID)
    assert etree.fromstring(xml).findtext("address/street") == "湖滨路"
    assert parse_instance(xml, fields).answers == answers


def test_no_repeat_items_means_no_key(visit, visit_fields):
    xml = build_instance_xml(visit.xml, {"household": "H1", "demands": []}, INSTANCE_ID)
    assert b"<demands" not in xml
    assert parse_instance(xml, visit_fields).answers == {"household": "H1"}


def test_satisfaction_instance():
    form = convert_builtin("satisfaction")
    answers = {"household": "H9", "overall": "basic", "attitude": "5", "help": "4", "frequency": "3"}
    xml = build_instance_xml(form.xml, answers, INSTANCE_ID)
    instance = parse_instance(xml, parse_fields(form.xml))
    assert (instance.form_id, instance.answers) == ("satisfaction", answers)


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_entities_are_refused(data_file, name):
    with pytest.raises(InstanceError, match="DTD|entit"):
        parse_instance(data_file(name))


def test_external_entity_is_never_read(data_file):
    try:
        parse_instance(data_file("external_entity.xml"))
    except InstanceError as err:
        assert "root:" not in err.message


def test_doctype_without_entities_is_refused():
    xml = b'<?xml version="1.0"?><!DOCTYPE data><data id="visit"><meta><instanceID>uuid:1</instanceID></meta></data>'
    with pytest.raises(InstanceError):
        parse_instance(xml)


@pytest.mark.parametrize(
    "xml, message",
    [
        (b"", "empty"),
        (b"   ", "empty"),
        (b"not xml at all", "well-formed"),
        (b"<data id='visit'><meta><instanceID>uuid:1</instanceID></meta>", "well-formed"),
        (b"\xff\xfe<\x00d\x00", "XML"),
        (b"<data><meta><instanceID>uuid:1</instanceID></meta></data>", "id attribute"),
        (b"<data id='visit'><household>H1</household></data>", "instanceID"),
        (b"<data id='visit'><meta><instanceID>  </instanceID></meta></data>", "instanceID"),
    ],
)
def test_malformed_instances(xml, message):
    with pytest.raises(InstanceError, match=message):
        parse_instance(xml)


def test_empty_elements_are_omitted_and_values_stay_strings():
    xml = (
        b"<data id='f' version='7'><a/><b></b><c> </c><n>007</n>"
        b"<g><x>1</x><y/></g><meta><instanceID>uuid:1</instanceID></meta></data>"
    )
    instance = parse_instance(xml)
    assert instance.answers == {"n": "007", "g/x": "1"}
    assert instance.version == "7"


def test_version_may_be_missing():
    xml = b"<data id='f'><meta><instanceID>uuid:1</instanceID></meta></data>"
    assert parse_instance(xml).version is None


def _random_answers(fields, rnd):
    """Answers of every kind the JSON API takes (numbers, booleans, geopoint dicts, lists, blank and
    Chinese text with XML's special characters), repeats with 0-3 items, about one in six left out,
    and sometimes a meta answer."""
    def value(field):
        if rnd.random() < 0.15:
            return None
        return {"integer": lambda: rnd.randint(-5, 100), "decimal": lambda: rnd.choice([1.5, 1e-7, 2.0, 3e20]),
                "geopoint": lambda: {"lat": 29.1, "lon": 121.2, "altitude": rnd.choice([None, 3.0]), "accuracy": 5.0},
                "select_multiple": lambda: ["a", "b"][:rnd.randint(0, 2)]}.get(
            field.type, lambda: rnd.choice(["x", " ", '中文 <&> "引号"', "", "a\r\nb", True]))()
    repeats = {f.path for f in fields if f.type == "repeat"}
    answers: dict = {}
    for field in fields:
        if field.type in ("group", "repeat", "note"):
            continue
        if field.repeat is None:
            answers[field.path] = value(field)
        elif field.repeat in repeats and "/" not in field.repeat:
            for item in answers.setdefault(field.repeat, [{} for _ in range(rnd.randint(0, 3))]):
                item[field.path[len(field.repeat) + 1:]] = value(field)
    if rnd.random() < 0.3:  # the root's meta is built empty (ingest fills instanceID), whatever is sent
        answers["meta/instanceID"] = "uuid:sent-as-an-answer"
    return answers


def _every_form():
    import json
    import sys
    from pathlib import Path

    from forms.xlsform import builtin_form_ids, convert
    data = Path(__file__).resolve().parents[1] / "data" / "forms"
    sys.path.insert(0, str(data))
    import corpus
    forms = [convert_builtin(form_id).xml for form_id in builtin_form_ids()]
    forms.append(convert(json.loads((data / "census.json").read_text(encoding="utf-8"))).xml)
    return forms + [convert(form.data, form.filename).xml for form in corpus.plain_forms()]


def test_a_json_items_stored_answers_are_what_its_built_xml_parses_to():
    """Ingest builds a JSON item's XML and its flat answers in one walk of a plan (FormSpec.build_tree
    with flat): both must be what build_instance_xml writes and parse_instance reads back."""
    import random

    from server.surveys.formspec import build_spec
    rnd, checked = random.Random(16), 0
    for xml in _every_form():
        spec, fields = build_spec("md5", xml), parse_fields(xml)
        for trial in range(25):
            answers, deprecated = _random_answers(fields, rnd), "uuid:0" if trial % 2 else None
            flat: dict = {}
            built = etree.tostring(spec.build_tree(answers, INSTANCE_ID, deprecated, flat), xml_declaration=True,
                                   encoding="UTF-8")
            assert built == build_instance_xml(xml, answers, INSTANCE_ID, deprecated)
            assert flat == parse_instance(built, fields).answers
            checked += 1
    assert checked >= 8 * 25
