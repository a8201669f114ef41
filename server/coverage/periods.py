"""Coverage periods: `2026`, `2026-H2`, `2026-Q4`, `2026-11` or from/to dates, as a UTC [start, end).

Boundaries fall at midnight in the deployment's time zone (config TIMEZONE)."""
import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app

from ..errors import PeriodInvalid

PERIOD_RE = re.compile(r"^(\d{4})(?:-(?:(H[12])|(Q[1-4])|(\d{2})))?$", re.IGNORECASE)
HELP = "Use YYYY, YYYY-H1/H2, YYYY-Q1..Q4, YYYY-MM, or from/to dates (YYYY-MM-DD)."


@dataclass(frozen=True)
class Period:
    """A half-open UTC range [start, end) and the local dates it covers."""

    label: str
    first_day: date  #: first local day
    last_day: date   #: last local day (inclusive)
    start: datetime  #: UTC, inclusive
    end: datetime    #: UTC, exclusive

    def as_dict(self) -> dict:
        """The period as the API shows it."""
        return {"period": self.label, "from": self.first_day.isoformat(), "to": self.last_day.isoformat(),
                "start": _iso(self.start), "end": _iso(self.end)}


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def zone(name: str | None = None) -> ZoneInfo:
    """The configured time zone."""
    try:
        return ZoneInfo(name or current_app.config.get("TIMEZONE", "Asia/Shanghai"))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise PeriodInvalid(f"Unknown time zone {name!r}.") from exc


def local_days(label: str, first: date, after: date, tz: ZoneInfo) -> Period:
    """The period of local days [first, after) in tz."""
    start = datetime.combine(first, time(0), tz).astimezone(timezone.utc)
    end = datetime.combine(after, time(0), tz).astimezone(timezone.utc)
    return Period(label, first, after - timedelta(days=1), start, end)


def _month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def named_period(text: str, tz: ZoneInfo) -> Period:
    """Parse `2026`, `2026-H2`, `2026-Q4` or `2026-11`."""
    match = PERIOD_RE.match((text or "").strip())
    if not match:
        raise PeriodInvalid(f"Unknown period {text!r}. {HELP}", field="period")
    year = int(match.group(1))
    half, quarter, month = match.group(2), match.group(3), match.group(4)
    if not 1900 <= year <= 2999:
        raise PeriodInvalid(f"Year {year} is out of range.", field="period")
    if half:
        first_month, months, label = (int(half[1]) - 1) * 6 + 1, 6, f"{year}-{half.upper()}"
    elif quarter:
        first_month, months, label = (int(quarter[1]) - 1) * 3 + 1, 3, f"{year}-{quarter.upper()}"
    elif month:
        if not 1 <= int(month) <= 12:
            raise PeriodInvalid(f"Month {month} is out of range (01-12).", field="period")
        first_month, months, label = int(month), 1, f"{year}-{month}"
    else:
        first_month, months, label = 1, 12, str(year)
    first = date(year, first_month, 1)
    return local_days(label, first, _month_start(year, first_month + months), tz)


def _parse_date(value, name: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise PeriodInvalid(f"{name!r} must be a date YYYY-MM-DD, not {value!r}.", field=name) from exc


def date_range(from_, to, tz: ZoneInfo, today: date | None = None) -> Period:
    """Local days from `from_` to `to` inclusive (to defaults to today)."""
    if from_ in (None, ""):
        raise PeriodInvalid("Give 'from' with 'to'.", field="from")
    first = _parse_date(from_, "from")
    last = _parse_date(to, "to") if to not in (None, "") else (today or datetime.now(tz).date())
    if last < first:
        raise PeriodInvalid(f"'to' ({last}) is before 'from' ({first}).", field="to")
    return local_days(f"{first.isoformat()}..{last.isoformat()}", first, last + timedelta(days=1), tz)


def current_quarter(now: datetime | None = None, tz: ZoneInfo | None = None) -> Period:
    """The quarter containing now, in the configured time zone."""
    tz = tz or zone()
    local = (now or datetime.now(timezone.utc)).astimezone(tz)
    return named_period(f"{local.year}-Q{(local.month - 1) // 3 + 1}", tz)


def parse_period(period=None, from_=None, to=None, *, default="quarter", tz: ZoneInfo | None = None,
                 now: datetime | None = None) -> Period | None:
    """A Period from `period` or from/to; with neither, the current quarter (or None if default=None)."""
    tz = tz or zone()
    if period not in (None, ""):
        if from_ not in (None, "") or to not in (None, ""):
            raise PeriodInvalid("Give either 'period' or 'from'/'to', not both.", field="period")
        return named_period(str(period), tz)
    if from_ not in (None, "") or to not in (None, ""):
        today = (now or datetime.now(timezone.utc)).astimezone(tz).date()
        return date_range(from_, to, tz, today)
    if default is None:
        return None
    return current_quarter(now, tz)
