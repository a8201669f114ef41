"""Periods: named periods and from/to dates in the deployment's time zone."""
from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from server.coverage.periods import current_quarter, parse_period
from server.errors import PeriodInvalid

SH = ZoneInfo("Asia/Shanghai")
UTC = timezone.utc


@pytest.mark.parametrize("text, start, end, first, last", [
    ("2026", "2025-12-31T16:00", "2026-12-31T16:00", "2026-01-01", "2026-12-31"),
    ("2026-H2", "2026-06-30T16:00", "2026-12-31T16:00", "2026-07-01", "2026-12-31"),
    ("2026-h1", "2025-12-31T16:00", "2026-06-30T16:00", "2026-01-01", "2026-06-30"),
    ("2026-Q4", "2026-09-30T16:00", "2026-12-31T16:00", "2026-10-01", "2026-12-31"),
    ("2026-Q1", "2025-12-31T16:00", "2026-03-31T16:00", "2026-01-01", "2026-03-31"),
    ("2026-11", "2026-10-31T16:00", "2026-11-30T16:00", "2026-11-01", "2026-11-30"),
    ("2026-12", "2026-11-30T16:00", "2026-12-31T16:00", "2026-12-01", "2026-12-31"),
])
def test_named_periods_fall_on_local_midnights(text, start, end, first, last):
    period = parse_period(text, tz=SH)
    assert period.start == datetime.fromisoformat(start).replace(tzinfo=UTC)
    assert period.end == datetime.fromisoformat(end).replace(tzinfo=UTC)
    assert (period.first_day, period.last_day) == (date.fromisoformat(first), date.fromisoformat(last))


def test_visit_just_after_local_midnight_falls_in_the_next_quarter():
    q3, q4 = parse_period("2026-Q3", tz=SH), parse_period("2026-Q4", tz=SH)
    moment = datetime(2026, 9, 30, 17, 0, tzinfo=UTC)  # 01:00 on 1 October in Shanghai
    assert q4.start <= moment < q4.end
    assert not q3.start <= moment < q3.end
    earlier = datetime(2026, 9, 30, 15, 59, tzinfo=UTC)  # 23:59 on 30 September
    assert q3.start <= earlier < q3.end


def test_from_to_dates_are_inclusive_local_days():
    period = parse_period(None, "2026-10-01", "2026-10-31", tz=SH)
    assert period.start == datetime(2026, 9, 30, 16, tzinfo=UTC)
    assert period.end == datetime(2026, 10, 31, 16, tzinfo=UTC)
    assert period.as_dict()["from"] == "2026-10-01" and period.as_dict()["to"] == "2026-10-31"


def test_from_without_to_runs_to_today():
    now = datetime(2026, 11, 20, 4, tzinfo=UTC)
    period = parse_period(None, "2026-11-01", None, tz=SH, now=now)
    assert period.last_day == date(2026, 11, 20)


def test_another_time_zone_moves_the_boundaries():
    period = parse_period("2026-11", tz=ZoneInfo("Europe/Paris"))
    assert period.start == datetime(2026, 10, 31, 23, tzinfo=UTC)  # CET, after the October switch


def test_current_quarter_uses_local_date():
    # 31 December 17:00 UTC is already 1 January in Shanghai
    assert current_quarter(datetime(2026, 12, 31, 17, tzinfo=UTC), SH).label == "2027-Q1"
    assert current_quarter(datetime(2026, 12, 31, 15, tzinfo=UTC), SH).label == "2026-Q4"
    assert parse_period(tz=SH, now=datetime(2026, 5, 5, tzinfo=UTC)).label == "2026-Q2"


@pytest.mark.parametrize("period, from_, to", [
    ("2026-Q5", None, None), ("2026-13", None, None), ("26", None, None), ("2026-H3", None, None),
    ("soon", None, None), ("2026", "2026-01-01", None), (None, "2026-02-30", None),
    (None, "2026-03-01", "2026-02-01"), (None, None, "2026-02-01"),
])
def test_bad_periods_are_refused(period, from_, to):
    with pytest.raises(PeriodInvalid):
        parse_period(period, from_, to, tz=SH)
