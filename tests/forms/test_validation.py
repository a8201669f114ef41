import pytest

from forms.answers import parse_geopoint, validate_answers
from forms.errors import AnswerError, FormError
from forms.xform import parse_fields


def errors_of(fields, answers):
    with pytest.raises(AnswerError) as info:
        validate_answers(fields, answers)
    assert isinstance(info.value, FormError) and info.value.message
    return {e["path"]: e["message"] for e in info.value.errors}


@pytest.mark.parametrize(
    "value, expected",
    [
        ("30.2741 120.1551", {"lat": 30.2741, "lon": 120.1551, "altitude": None, "accuracy": None}),
        ("30.2741 120.1551 12.5", {"lat": 30.2741, "lon": 120.1551, "altitude": 12.5, "accuracy": None}),
        ("-33.9 18.4 0 4.8", {"lat": -33.9, "lon": 18.4, "altitude": 0.0, "accuracy": 4.8}),
        ("  90 -180 ", {"lat": 90.0, "lon": -180.0, "altitude": None, "accuracy": None}),
        ({"lat": 1, "lon": 2, "accuracy": 3}, {"lat": 1.0, "lon": 2.0, "altitude": None, "accuracy": 3.0}),
        ("", None),
        ("   ", None),
        (None, None),
    ],
)
def test_parse_geopoint(value, expected):
    assert parse_geopoint(value) == expected


@pytest.mark.parametrize(
    "value",
    ["30.1", "a b", "30 120 1 2 3", "91 120", "-90.5 0", "0 180.1", "0 -181", "nan 0", "0 inf",
     "30 120 0 -1", 42, ["30", "120"], {"lat": 30}],
)
def test_bad_geopoint(value):
    with pytest.raises(AnswerError):
        parse_geopoint(value, path="location")


def test_valid_answers_pass(visit_fields, visit_answers):
    validate_answers(visit_fields, visit_answers)


def test_json_values_are_coerced(visit_fields):
    validate_answers(visit_fields, {
        "household": "H0001",
        "location": {"lat": 30.2, "lon": 120.1, "altitude": None, "accuracy": 8},
        "people_met": ["head", "spouse"],
        "demands": [{"text": "一句话", "category": None}],
        "start": "2026-11-23T09:58:02.114+08:00",
        "end": "2026-11-23T02:00:00Z",
    })


def test_required_fields(visit_fields):
    assert errors_of(visit_fields, {"concerns": "", "household": "  "}) == {
        "household": "This answer is required.",
        "location": "This answer is required.",
    }


def test_required_inside_a_repeat_only_when_an_item_exists(visit_fields, visit_answers):
    visit_answers["demands"] = []
    validate_answers(visit_fields, visit_answers)
    visit_answers["demands"] = [{"category": "medical", "text": "看病"}, {"category": "medical"}]
    assert errors_of(visit_fields, visit_answers) == {"demands[1]/text": "This answer is required."}


def test_unknown_keys(visit_fields, visit_answers):
    visit_answers.update({"colour": "red", "meta/instanceID": "uuid:1"})
    visit_answers["demands"][0]["urgency"] = "high"
    errors = errors_of(visit_fields, visit_answers)
    assert set(errors) == {"colour", "meta/instanceID", "demands[0]/urgency"}
    assert "no such field" in errors["colour"]


def test_select_one_must_be_a_choice(visit_fields, visit_answers):
    visit_answers["visit_type"] = "party"
    visit_answers["demands"][1]["is_micro_wish"] = "maybe"
    errors = errors_of(visit_fields, visit_answers)
    assert set(errors) == {"visit_type", "demands[1]/is_micro_wish"}
    assert "'party'" in errors["visit_type"] and "routine" in errors["visit_type"]


def test_households_csv_values_are_not_checked_here(visit_fields, visit_answers):
    visit_answers["household"] = "ANY-CODE"
    validate_answers(visit_fields, visit_answers)


@pytest.mark.parametrize("value", ["head ghost", ["head", "ghost"], [True], {"head": 1}, 5])
def test_select_multiple_values(visit_fields, visit_answers, value):
    visit_answers["people_met"] = value
    assert set(errors_of(visit_fields, visit_answers)) == {"people_met"}


def test_bool_is_not_an_answer(visit_fields, visit_answers):
    visit_answers["visit_type"] = True
    visit_answers["concerns"] = False
    assert set(errors_of(visit_fields, visit_answers)) == {"visit_type", "concerns"}


def test_geopoint_format(visit_fields, visit_answers):
    visit_answers["location"] = "95 120"
    assert "Latitude" in errors_of(visit_fields, visit_answers)["location"]


def test_repeat_must_be_a_list_of_objects(visit_fields, visit_answers):
    visit_answers["demands"] = {"text": "x"}
    assert set(errors_of(visit_fields, visit_answers)) == {"demands"}
    visit_answers["demands"] = ["x"]
    assert set(errors_of(visit_fields, visit_answers)) == {"demands"}


def test_attachment_names_are_plain(visit_fields, visit_answers):
    visit_answers["photo"] = "../../etc/passwd"
    assert set(errors_of(visit_fields, visit_answers)) == {"photo"}


def test_answers_must_be_an_object(visit_fields):
    with pytest.raises(AnswerError):
        validate_answers(visit_fields, ["household"])


@pytest.mark.parametrize(
    "key, good, bad",
    [
        ("size", [3, "4", "+5", 6.0, "-2"], ["3.5", 3.5, "three", "", "1e3", 2**40, [3]]),
        ("income", [1200, 1200.5, "1200.50", ".5", "-3"], ["1,200", "nan", "1e3", float("inf"), "abc"]),
        ("interviewed_on", ["2026-11-23"], ["2026-13-01", "23/11/2026", "20261123", 20261123, "2026-11-23T10:00"]),
    ],
)
def test_number_and_date_types(census, key, good, bad):
    fields = parse_fields(census.xml)
    base = {"respondent": "王芳", "size": 3}
    for value in good:
        validate_answers(fields, {**base, key: value})
    for value in bad:
        if value == "":
            continue  # empty is "not answered", checked by required
        with pytest.raises(AnswerError) as info:
            validate_answers(fields, {**base, key: value})
        assert [e["path"] for e in info.value.errors] == [key], value


def test_groups_are_answered_by_path(census):
    fields = parse_fields(census.xml)
    validate_answers(fields, {"respondent": "a", "size": 1, "address/street": "湖滨路"})
    errors = errors_of(fields, {"respondent": "a", "size": 1, "address": {"street": "湖滨路"}})
    assert "address/<name>" in errors["address"]


def test_relevant_required_fields_are_not_enforced(census):
    fields = parse_fields(census.xml)
    validate_answers(fields, {"respondent": "a", "size": 1, "has_address": "no"})


def test_all_errors_are_reported_together(census):
    fields = parse_fields(census.xml)
    errors = errors_of(fields, {"size": "x", "income": "y", "members": [{"age": "z"}]})
    assert set(errors) == {"respondent", "size", "income", "members[0]/age", "members[0]/member_name"}


@pytest.mark.parametrize("value", ["2026-11-23", "yesterday", "2026-11-23 10:00", "2026-11-23T25:00:00"])
def test_datetime_answers(visit_fields, visit_answers, value):
    visit_answers["start"] = value
    assert set(errors_of(visit_fields, visit_answers)) == {"start"}
