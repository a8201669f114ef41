"""Helpers for the forms tests: sample files in tests/data/forms, the built-in forms."""

import json
from pathlib import Path

import pytest

from forms.xform import parse_fields
from forms.xlsform import convert, convert_builtin

DATA = Path(__file__).resolve().parent.parent / "data" / "forms"


@pytest.fixture
def data_file():
    """Read a sample file from tests/data/forms as bytes."""
    return lambda name: (DATA / name).read_bytes()


@pytest.fixture
def census():
    """The small extra XLSForm (groups, numbers, a repeat, no translations), converted."""
    return convert(json.loads((DATA / "census.json").read_text(encoding="utf-8")))


@pytest.fixture
def census_sheets():
    """The census XLSForm's sheets dict, fresh for each test."""
    return json.loads((DATA / "census.json").read_text(encoding="utf-8"))


@pytest.fixture
def visit():
    """The built-in visit form, converted."""
    return convert_builtin("visit")


@pytest.fixture
def visit_fields(visit):
    """The visit form's fields."""
    return parse_fields(visit.xml)


@pytest.fixture
def visit_answers():
    """A complete, valid set of visit answers with two demands."""
    return {
        "household": "H0001",
        "location": "30.2741 120.1551 12.5 4.8",
        "visit_type": "routine",
        "people_met": "head elder",
        "concerns": "屋顶漏雨，老人行动不便",
        "demands": [
            {"category": "housing", "text": "修缮屋顶", "is_micro_wish": "no"},
            {"category": "medical", "text": "想要一副老花镜", "is_micro_wish": "yes"},
        ],
        "photo": "1763863601530.jpg",
    }
