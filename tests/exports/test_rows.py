"""The exports' fast row building gives what the plain functions give: local times across offset
changes, cells of every column kind, answers JSON that orjson refuses."""
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from server.exports.columns import Column, local_text, row_values
from server.exports.rows import cells, json_loads_for, loads, local_texts

UTC = timezone.utc


@pytest.mark.parametrize("name", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe", "Asia/Kathmandu"])
def test_local_texts_match_local_text_through_offset_changes(name):
    tz, convert = ZoneInfo(name), local_texts(ZoneInfo(name))
    start = datetime(2026, 3, 7, tzinfo=UTC)  # New York's spring change on 2026-03-08, Lord Howe's half hour in April
    moments = [start + timedelta(minutes=7 * i, microseconds=999_999 * (i % 2)) for i in range(60 * 24 * 70 // 7)]
    moments += [datetime(2026, 11, 1, 5, 59, 59, 999999, tzinfo=UTC), datetime(2026, 11, 1, 6, tzinfo=UTC)]
    for moment in moments:
        expected = local_text(moment, tz)
        assert convert(moment) == expected  # PostgreSQL: an aware datetime
        assert convert(moment.replace(tzinfo=None).isoformat(" ")) == expected  # SQLite: stored text
    assert convert(None) == "" and convert("2026-07-01 00:00:07") == local_text(datetime(2026, 7, 1, 0, 0, 7, tzinfo=UTC), tz)
    early = datetime(999, 5, 1, 12, tzinfo=UTC)
    assert convert(early.replace(tzinfo=None).isoformat(" ")) == local_text(early, tz)


def test_cells_match_row_values_for_every_kind_of_column():
    choices = {"a": "甲", "b": "乙"}
    columns = [Column("t", "t", "t", "text"), Column("n", "n", "n", "integer"),
               Column("one", "one", "one", "select_one", None, choices),
               Column("many", "many", "many", "select_multiple", None, choices)]
    columns += [Column(f"p-{i}", f"p-{i}", "p", "geopoint", i) for i in range(4)]
    items = [{}, {"t": "x", "n": 0, "one": "a", "many": "a b c", "p": "29.1 121.2 3 4"},
             {"t": [], "n": {}, "one": ["a"], "many": {"x": 1}, "p": {"lat": 1, "lon": 2}},
             {"t": [1], "n": False, "one": 5, "many": "", "p": "bad"}, {"t": None, "one": None, "p": "1 2"}]
    for lang in (None, "zh", "en"):
        for item in items:
            assert cells(columns, lang)(item) == row_values(columns, item, lang)
    plain = columns[:2]
    for item in items:
        assert cells(plain)(item) == row_values(plain, item)


def test_answers_json_orjson_refuses_is_read_as_json_loads_reads_it():
    assert loads(None) == {} and loads('{"a": [1, 2.5, "路"]}') == {"a": [1, 2.5, "路"]}
    assert loads('{"x": NaN}')["x"] != loads('{"x": NaN}')["x"]  # NaN, as json.loads reads it
    assert loads('{"s": "\\ud800"}') == {"s": "\ud800"}
    assert loads({"decoded": True}) == {"decoded": True}  # PostgreSQL: decoded by the driver
    assert json_loads_for("postgresql")("100000000000000000000") == 10**20
