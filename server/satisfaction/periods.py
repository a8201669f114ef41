"""Periods for satisfaction: the coverage API's parser, plus the periods before one (for trends)."""
import re

from ..coverage.periods import Period, parse_period, zone

__all__ = ["Period", "period_of", "previous_periods"]

KEY_RE = re.compile(r"^(\d{4})(?:-(H[12]|Q[1-4]|\d{2}))?$")


def period_of(key: str | None) -> Period:
    """A period key ('2026', '2026-H2', '2026-Q4', '2026-11'; current quarter when empty) as a UTC range."""
    return parse_period(key or None)


def previous_periods(period: Period, count: int) -> list[Period]:
    """The `count` named periods of the same kind ending with this one, oldest first (just it for date ranges)."""
    match = KEY_RE.match(period.label)
    if not match:
        return [period]
    year, part = int(match.group(1)), match.group(2)
    size = 12 if part is None else 6 if part[0] == "H" else 3 if part[0] == "Q" else 1
    first = (int(part[1]) - 1) * size if part and part[0] in "HQ" else (int(part) - 1 if part else 0)
    labels = []
    for back in range(count - 1, -1, -1):
        y, m = divmod(year * 12 + first - back * size, 12)
        labels.append(f"{y}" if size == 12 else f"{y}-H{m // 6 + 1}" if size == 6
                      else f"{y}-Q{m // 3 + 1}" if size == 3 else f"{y}-{m + 1:02d}")
    tz = zone()
    return [parse_period(label, tz=tz) for label in labels]
