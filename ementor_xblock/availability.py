"""Weekly availability: what a learner ticks in their own time zone, and the UTC hour slots the plugin stores.

Learners choose coarse periods (a morning, an evening) per weekday in their local time: 28 boxes fit a phone
screen, where 168 hourly boxes would not. The plugin stores hour-of-week slots in UTC (0 = Monday 00:00 UTC ..
167), so people in different time zones can be compared. Conversions use the current week, so daylight-saving
time is applied as it stands now.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from .labels import gettext_noop

HOURS_PER_WEEK = 168

#: Periods of a local day: code -> (label, first hour, hour after the last).
PERIODS = {
    "morning": (gettext_noop("Morning (6:00–12:00)"), 6, 12),  # noqa: RUF001  (an en dash for ranges)
    "afternoon": (gettext_noop("Afternoon (12:00–18:00)"), 12, 18),  # noqa: RUF001
    "evening": (gettext_noop("Evening (18:00–24:00)"), 18, 24),  # noqa: RUF001
    "night": (gettext_noop("Night (0:00–6:00)"), 0, 6),  # noqa: RUF001
}


@lru_cache(maxsize=1)
def time_zone_names() -> tuple[str, ...]:
    """Every IANA time zone name this machine knows, sorted, UTC included."""
    return tuple(sorted(zoneinfo.available_timezones() | {"UTC"}))


def is_time_zone(name: object) -> bool:
    """Whether ``name`` is a known IANA time zone name."""
    return isinstance(name, str) and name in set(time_zone_names())


def cell_id(day: int, period: str) -> str:
    """The form value of one box: weekday index (0 = Monday) and period code, e.g. ``"0-evening"``."""
    return f"{day}-{period}"


def parse_cell(value: object) -> tuple[int, str] | None:
    """Return (weekday, period) for a valid box value, or None."""
    if not isinstance(value, str):
        return None
    day, _sep, period = value.partition("-")
    if not day.isdigit() or int(day) > 6 or period not in PERIODS:
        return None
    return int(day), period


def _week_start(today: date | None) -> date:
    today = today or datetime.now(UTC).date()
    return today - timedelta(days=today.weekday())


def to_utc_slots(cells: Iterable[str], tz_name: str, *, today: date | None = None) -> list[int]:
    """Turn ticked local periods into sorted, distinct UTC hour-of-week slots.

    Args:
        cells: box values such as ``"0-evening"``; invalid ones are ignored (callers validate first).
        tz_name: the learner's IANA time zone.
        today: a day of the reference week (default: today), for tests.
    """
    tz = zoneinfo.ZoneInfo(tz_name)
    monday = _week_start(today)
    slots: set[int] = set()
    for value in cells:
        parsed = parse_cell(value)
        if parsed is None:
            continue
        day, period = parsed
        _label, first, last = PERIODS[period]
        for hour in range(first, last):
            local = datetime.combine(monday + timedelta(days=day), time(hour), tzinfo=tz)
            moment = local.astimezone(UTC)
            slots.add(moment.weekday() * 24 + moment.hour)
    return sorted(slots)


def local_ranges(slots: Iterable[int], tz_name: str, *, today: date | None = None) -> list[tuple[int, int, int]]:
    """Group UTC hour-of-week slots into (weekday, first hour, hour after the last) ranges in local time.

    Ranges stay within one local day (a range running past midnight is split), Monday first.
    """
    tz = zoneinfo.ZoneInfo(tz_name if is_time_zone(tz_name) else "UTC")
    base = datetime.combine(_week_start(today), time(0), tzinfo=UTC)
    by_day: dict[int, set[int]] = {}
    for slot in slots:
        if not isinstance(slot, int) or not 0 <= slot < HOURS_PER_WEEK:
            continue
        local = (base + timedelta(hours=slot)).astimezone(tz)
        by_day.setdefault(local.weekday(), set()).add(local.hour)
    ranges = []
    for day in sorted(by_day):
        hours = sorted(by_day[day])
        start = previous = hours[0]
        for hour in hours[1:]:
            if hour != previous + 1:
                ranges.append((day, start, previous + 1))
                start = hour
            previous = hour
        ranges.append((day, start, previous + 1))
    return ranges
