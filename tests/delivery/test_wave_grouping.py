"""Waves from readers per zone: zones sharing a moment share a wave, DST edges follow
reader_time (a wall time in the spring gap falls an hour later, a repeated one the first
time), and late waves are those before the confirmation."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from newsletter.delivery import waves


def test_zones_with_one_offset_share_a_wave_and_late_ones_are_marked():
    plan = waves.group({"Europe/Paris": 3, "Europe/Berlin": 2, None: 4, "Asia/Kolkata": 1},
                       date(2027, 3, 14), time(7, 0), "UTC",
                       confirmed_at=datetime(2027, 3, 14, 3, 0, tzinfo=UTC))
    assert [(w.moment.hour, w.moment.minute, w.zones, w.readers, w.late) for w in plan] == [
        (1, 30, ["Asia/Kolkata"], 1, True),
        (6, 0, ["Europe/Berlin", "Europe/Paris"], 5, False),
        (7, 0, ["UTC"], 4, False),
    ]


def test_a_local_time_in_the_spring_gap_falls_an_hour_later_on_the_new_clock():
    [wave] = waves.group({"America/New_York": 1}, date(2027, 3, 14), time(2, 30), "UTC",
                         confirmed_at=datetime(2027, 3, 1, tzinfo=UTC))
    assert wave.moment == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_a_local_time_that_happens_twice_in_autumn_is_the_first_one():
    [wave] = waves.group({"America/New_York": 1}, date(2027, 11, 7), time(1, 30), "UTC",
                         confirmed_at=datetime(2027, 11, 1, tzinfo=UTC))
    assert wave.moment == datetime(2027, 11, 7, 5, 30, tzinfo=UTC)  # 01:30 EDT, not EST


def test_an_unknown_stored_zone_is_the_lists_zone():
    [wave] = waves.group({"Mars/Olympus": 2, None: 1}, date(2027, 3, 14), time(7, 0),
                         "Asia/Tokyo", confirmed_at=datetime(2027, 3, 1, tzinfo=UTC))
    assert wave.zones == ["Asia/Tokyo"] and wave.readers == 3
