"""SLA clocks in business time (pure): the deadlines a support team is held to."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings, strategies as st

from dragoman.calendars.hours import BusinessHours, Window
from dragoman.tickets import sla_clock
from dragoman.tickets.sla_clock import SlaMetric

BERLIN = ZoneInfo("Europe/Berlin")
OFFICE = BusinessHours("Europe/Berlin", [Window(day, 9 * 60, 18 * 60) for day in range(5)], holiday_country="DE")
HOUR = 3600.0


def berlin(*parts: int) -> float:
    return datetime(*parts, tzinfo=BERLIN).timestamp()  # type: ignore[misc]


def local(moment: float) -> datetime:
    return datetime.fromtimestamp(moment, BERLIN).replace(tzinfo=None)


def test_friday_evening_ticket_with_four_business_hours_is_due_monday_noon_thirty() -> None:
    clock = sla_clock.start_clock(SlaMetric.first_response, 4 * HOUR, berlin(2026, 11, 20, 17, 30))
    assert local(sla_clock.deadline(clock, OFFICE)) == datetime(2026, 11, 23, 12, 30)  # type: ignore[arg-type]


def test_public_holidays_do_not_count() -> None:
    # Christmas Eve 17:00: one hour that day, the 25th and 26th are German
    # holidays, the 27th a Sunday.
    due = sla_clock.add_business_seconds(OFFICE, berlin(2026, 12, 24, 17, 0), 2 * HOUR)
    assert local(due) == datetime(2026, 12, 28, 10, 0)


def test_a_deadline_across_the_clock_change_is_the_right_instant() -> None:
    # Saturday 2026-10-24 is CEST (+2), Monday 10-26 is CET (+1).
    due = sla_clock.add_business_seconds(OFFICE, berlin(2026, 10, 23, 17, 0), 2 * HOUR)
    assert datetime.fromtimestamp(due, ZoneInfo("UTC")).replace(tzinfo=None) == datetime(2026, 10, 26, 9, 0)


def test_around_the_clock_is_wall_clock_time() -> None:
    start = berlin(2026, 11, 21, 23, 0)
    assert sla_clock.add_business_seconds(None, start, 5 * HOUR) == start + 5 * HOUR
    assert sla_clock.business_seconds_between(BusinessHours(), start, start + 90) == 90


def test_pausing_for_two_days_moves_the_deadline_by_the_business_time_paused() -> None:
    start = berlin(2026, 11, 23, 9, 0)  # Monday
    clock = sla_clock.start_clock(SlaMetric.resolution, 16 * HOUR, start)
    assert local(sla_clock.deadline(clock, OFFICE)) == datetime(2026, 11, 24, 16, 0)  # type: ignore[arg-type]
    paused = sla_clock.pause(clock, OFFICE, berlin(2026, 11, 23, 12, 0))  # 3 h used
    assert paused.paused and paused.used == 3 * HOUR
    assert sla_clock.deadline(paused, OFFICE) is None
    assert sla_clock.clock_state(paused, OFFICE, berlin(2026, 11, 25, 12, 0)) == "paused"
    resumed = sla_clock.resume(paused, berlin(2026, 11, 25, 12, 0))  # Wednesday noon
    # 13 h left: Wed 12-18 (6), Thu 9-16 (7).
    assert local(sla_clock.deadline(resumed, OFFICE)) == datetime(2026, 11, 26, 16, 0)  # type: ignore[arg-type]


def test_states_warning_at_the_share_and_breached_at_the_deadline() -> None:
    start = berlin(2026, 11, 23, 9, 0)
    clock = sla_clock.start_clock(SlaMetric.first_response, 4 * HOUR, start, warn_ratio=0.75)
    assert local(sla_clock.warn_at(clock, OFFICE)) == datetime(2026, 11, 23, 12, 0)  # type: ignore[arg-type]
    assert sla_clock.clock_state(clock, OFFICE, berlin(2026, 11, 23, 11, 59)) == "ok"
    assert sla_clock.clock_state(clock, OFFICE, berlin(2026, 11, 23, 12, 0)) == "warning"
    assert sla_clock.clock_state(clock, OFFICE, berlin(2026, 11, 23, 13, 0)) == "breached"
    assert sla_clock.remaining_seconds(clock, OFFICE, berlin(2026, 11, 23, 14, 0)) == -1 * HOUR
    # Nights do not count: at 08:00 the next day, still one hour over.
    assert sla_clock.remaining_seconds(clock, OFFICE, berlin(2026, 11, 24, 8, 0)) == -5 * HOUR


def test_a_calendar_that_never_opens_is_an_error_not_an_endless_walk() -> None:
    one_minute_a_week = BusinessHours("UTC", [Window(6, 0, 1)])
    assert sla_clock.add_business_seconds(one_minute_a_week, 0.0, 60) > 0  # still opens
    # A target longer than the calendar offers in three years has no deadline.
    with pytest.raises(sla_clock.NeverOpen):
        sla_clock.add_business_seconds(one_minute_a_week, 0.0, 10**9)


@settings(max_examples=200, deadline=None)
@given(
    start=st.floats(min_value=berlin(2026, 1, 1, 0, 0), max_value=berlin(2026, 12, 31, 0, 0)),
    seconds=st.floats(min_value=0, max_value=400 * HOUR),
)
def test_adding_then_measuring_business_time_gives_it_back(start: float, seconds: float) -> None:
    due = sla_clock.add_business_seconds(OFFICE, start, seconds)
    assert due >= start
    assert sla_clock.business_seconds_between(OFFICE, start, due) == pytest.approx(seconds, abs=1e-3)
