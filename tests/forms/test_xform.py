import pytest

from forms.errors import FormError
from forms.xform import Field, form_info, lang_code, parse_fields
from forms.xlsform import convert, convert_builtin

VISIT_FIELDS = [
    ("start", "start", False, None),
    ("end", "end", False, None),
    ("household", "select_one", True, None),
    ("location", "geopoint", True, None),
    ("pending_cases", "calculate", False, None),
    ("cases_confirmed", "select_one", True, None),
    ("visit_type", "select_one", False, None),
    ("people_met", "select_multiple", False, None),
    ("concerns", "text", False, None),
    ("has_demands", "select_one", False, None),
    ("demands", "repeat", False, None),
    ("demands/category", "select_one", False, "demands"),
    ("demands/text", "text", True, "demands"),
    ("demands/is_micro_wish", "select_one", False, "demands"),
    ("photo", "image", False, None),
]


def by_path(fields):
    return {f.path: f for f in fields}


def test_visit_fields(visit_fields):
    assert [(f.path, f.type, f.required, f.repeat) for f in visit_fields] == VISIT_FIELDS
    assert all(isinstance(f, Field) for f in visit_fields)
    assert not any(f.path.startswith("meta") for f in visit_fields)


def test_visit_household_comes_from_households_csv(visit_fields):
    household = by_path(visit_fields)["household"]
    assert household.itemset_file == "households.csv"
    assert household.choices is None
    assert household.labels == {"zh": "走访农户", "en": "Household"}


def test_visit_choices_are_bilingual(visit_fields):
    fields = by_path(visit_fields)
    visit_type = fields["visit_type"]
    assert [c["name"] for c in visit_type.choices] == ["routine", "followup", "holiday", "emergency"]
    assert visit_type.choices[0]["labels"] == {"zh": "例行走访", "en": "Routine visit"}
    assert [c["name"] for c in fields["people_met"].choices] == ["head", "spouse", "elder", "child", "other"]
    categories = fields["demands/category"].choices
    assert [c["name"] for c in categories] == [
        "livelihood", "medical", "housing", "employment", "education", "infrastructure", "dispute", "other",
    ]
    assert categories[6]["labels"]["zh"] == "矛盾纠纷"
    assert [c["name"] for c in fields["demands/is_micro_wish"].choices] == ["yes", "no"]
    assert fields["demands"].labels == {"zh": "诉求/微心愿", "en": "Demands and micro-wishes"}
    assert fields["concerns"].labels["zh"] == "民情/发现的问题"


def test_satisfaction_fields():
    fields = by_path(parse_fields(convert_builtin("satisfaction").xml))
    assert list(fields) == ["start", "end", "household", "overall", "attitude", "help", "frequency", "comment"]
    assert [c["labels"]["zh"] for c in fields["overall"].choices] == ["满意", "基本满意", "不满意"]
    for name, zh in [("attitude", "工作态度"), ("help", "帮助解决问题"), ("frequency", "走访频次")]:
        assert fields[name].required and fields[name].labels["zh"] == zh
        assert [c["name"] for c in fields[name].choices] == ["1", "2", "3", "4", "5"]
    assert fields["overall"].required and fields["household"].required
    assert not fields["comment"].required
    assert fields["household"].itemset_file == "households.csv"


def test_fields_of_a_form_with_groups_and_no_translations(census):
    fields = by_path(parse_fields(census.xml))
    assert [(p, f.type) for p, f in fields.items()] == [
        ("respondent", "text"), ("size", "integer"), ("income", "decimal"),
        ("interviewed_on", "date"), ("has_address", "select_one"), ("address", "group"),
        ("address/street", "text"), ("address/number", "text"), ("income_year", "calculate"),
        ("thanks", "note"), ("members", "repeat"), ("members/member_name", "text"), ("members/age", "integer"),
    ]
    assert fields["respondent"].labels == {"default": "Respondent"}
    assert fields["has_address"].choices == [
        {"name": "yes", "labels": {"default": "Yes"}}, {"name": "no", "labels": {"default": "No"}},
    ]
    assert fields["address/street"].required and fields["address/street"].relevant
    assert fields["respondent"].relevant is None
    assert fields["members/age"].repeat == "members"


def test_fields_accept_bytes(visit):
    assert parse_fields(visit.xml.encode("utf-8")) == parse_fields(visit.xml)


def test_form_info(visit):
    assert form_info(visit.xml) == {
        "form_id": "visit", "version": visit.version, "title": "联户走访记录", "media": ["households.csv"],
    }


def test_media_lists_files_and_images():
    form = convert({
        "survey": [
            {"type": "select_one_from_file streets.xml", "name": "street", "label": "Street"},
            {"type": "text", "name": "a", "label": "A", "media::image": "map.png"},
            {"type": "text", "name": "b", "label": "B", "media::image": "map.png"},
        ],
        "settings": [{"form_id": "media", "version": "1"}],
    })
    assert form.media == ["streets.xml", "map.png"]
    assert by_path(parse_fields(form.xml))["street"].itemset_file == "streets.xml"


@pytest.mark.parametrize("xml", ["not xml", "<html/>", "<a><b></a>"])
def test_bad_xform(xml):
    with pytest.raises(FormError):
        parse_fields(xml)


@pytest.mark.parametrize("lang, code", [("中文 (zh)", "zh"), ("English (en)", "en"), ("default", "default"), ("French", "French")])
def test_lang_code(lang, code):
    assert lang_code(lang) == code
