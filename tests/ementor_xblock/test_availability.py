"""Weekly availability: local periods to UTC hour slots and back, across time zones and daylight-saving time."""

from datetime import date

import pytest

from ementor_xblock.availability import cell_id, is_time_zone, local_ranges, parse_cell, to_utc_slots
from ementor_xblock.onboarding import cells_from_slots

WINTER, SUMMER = date(2026, 1, 14), date(2026, 7, 15)


def test_a_paris_monday_evening_is_five_pm_to_eleven_pm_utc_in_winter_and_four_to_ten_in_summer():
    assert to_utc_slots(["0-evening"], "Europe/Paris", today=WINTER) == list(range(17, 23))
    assert to_utc_slots(["0-evening"], "Europe/Paris", today=SUMMER) == list(range(16, 22))


def test_slots_wrap_around_the_week():
    # Monday night in Tokyo (UTC+9) is Sunday afternoon in UTC: the end of the week.
    assert to_utc_slots(["0-night"], "Asia/Tokyo", today=WINTER) == list(range(159, 165))


def test_invalid_cells_are_ignored_and_duplicates_merged():
    assert to_utc_slots(["0-morning", "0-morning", "8-morning", "1-brunch", 5], "UTC", today=WINTER) == \
        list(range(6, 12))


def test_local_ranges_group_hours_in_the_readers_zone():
    slots = list(range(17, 23)) + list(range(65, 71))
    assert local_ranges(slots, "Europe/Paris", today=WINTER) == [(0, 18, 24), (2, 18, 24)]
    assert local_ranges(slots, "America/New_York", today=WINTER) == [(0, 12, 18), (2, 12, 18)]
    assert local_ranges([23, 24], "UTC", today=WINTER) == [(0, 23, 24), (1, 0, 1)]  # split at midnight
    assert local_ranges([500, -1, "x"], "UTC") == []
    assert local_ranges([5], "Not/AZone", today=WINTER) == [(0, 5, 6)]  # unknown zones read as UTC


@pytest.mark.parametrize("zone", ["Europe/Paris", "Asia/Kolkata", "America/Sao_Paulo", "UTC"])
def test_stored_slots_tick_the_same_boxes_again(zone):
    cells = ["0-evening", "3-morning", "6-afternoon"]
    assert sorted(cells_from_slots(tuple(to_utc_slots(cells, zone)), zone)) == sorted(cells)


def test_cells_and_zones_are_checked():
    assert parse_cell(cell_id(6, "night")) == (6, "night")
    assert parse_cell("7-night") is None and parse_cell("x-night") is None and parse_cell(None) is None
    assert is_time_zone("Asia/Kolkata") and not is_time_zone("Mars/Base") and not is_time_zone(3)
