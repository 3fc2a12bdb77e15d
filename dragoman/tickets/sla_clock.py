"""SLA clocks in business time. Pure: no I/O, no database.

Moments are seconds since the epoch (UTC), as in `calendars.hours`. A target
("first response within 4 business hours") counts only the open time of a
calendar (`BusinessHours`: a time zone, weekly windows, public holidays), and
stops while the ticket waits for the customer. The arithmetic walks the
calendar a day at a time, so a deadline weeks away costs a few dozen steps,
not one per minute.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta

from dragoman.calendars.hours import BusinessHours

# A calendar with no open time in this many days never reaches a deadline:
# the caller gets an error instead of an endless walk.
SEARCH_DAYS = 3 * 366


class SlaMetric(str, enum.Enum):
    first_response = "first_response"  # the first public reply from the team
    next_response = "next_response"  # a reply after each new customer message
    resolution = "resolution"  # solved


class NeverOpen(ValueError):
    """The calendar has no open time within `SEARCH_DAYS`: no deadline exists."""


def _spans_from(hours: BusinessHours, start: float) -> Iterator[tuple[float, float]]:
    """Open stretches at or after `start`, clipped to begin no earlier than it."""
    day = hours.local_date(start)
    for offset in range(SEARCH_DAYS + 1):
        for low, high in hours.open_spans(day + timedelta(days=offset)):
            if high <= start:
                continue
            yield max(low, start), high


def business_seconds_between(hours: BusinessHours | None, start: float, end: float) -> float:
    """Open seconds in [start, end); 0 when end is not after start."""
    if end <= start:
        return 0.0
    if hours is None or hours.always_open:
        return end - start
    total = 0.0
    day = hours.local_date(start)
    last = hours.local_date(end)
    while day <= last:
        for low, high in hours.open_spans(day):
            low, high = max(low, start), min(high, end)
            if high > low:
                total += high - low
        day += timedelta(days=1)
    return total


def add_business_seconds(hours: BusinessHours | None, start: float, seconds: float) -> float:
    """The moment `seconds` of open time have passed after `start` (a deadline).
    Raises NeverOpen when the calendar never opens."""
    if hours is None or hours.always_open:
        return start + seconds
    remaining = max(0.0, seconds)
    for low, high in _spans_from(hours, start):
        if remaining <= high - low:
            # Zero left: the deadline is the first open instant, not `start`
            # (a 0-second target set at night is due when the team opens).
            return low + remaining
        remaining -= high - low
    raise NeverOpen(f"the calendar has no open time in {SEARCH_DAYS} days")


@dataclass(frozen=True)
class SlaClock:
    """One running (or paused) target. `used` is business time already spent
    in earlier runs; `running_since` the start of the current run, None while
    paused."""

    metric: SlaMetric
    target_seconds: float
    warn_ratio: float = 0.75
    used: float = 0.0
    running_since: float | None = None

    @property
    def paused(self) -> bool:
        return self.running_since is None


def start_clock(metric: SlaMetric, target_seconds: float, now: float, warn_ratio: float = 0.75) -> SlaClock:
    if target_seconds < 0:
        raise ValueError("target_seconds must not be negative")
    if not 0 < warn_ratio <= 1:
        raise ValueError("warn_ratio must be above 0 and at most 1")
    return SlaClock(metric, float(target_seconds), warn_ratio, 0.0, now)


def used_seconds(clock: SlaClock, hours: BusinessHours | None, now: float) -> float:
    """Business time spent so far, this run included."""
    if clock.running_since is None:
        return clock.used
    return clock.used + business_seconds_between(hours, clock.running_since, now)


def deadline(clock: SlaClock, hours: BusinessHours | None) -> float | None:
    """When the target is reached; None while paused (the clock does not run)."""
    if clock.running_since is None:
        return None
    return add_business_seconds(hours, clock.running_since, max(0.0, clock.target_seconds - clock.used))


def warn_at(clock: SlaClock, hours: BusinessHours | None) -> float | None:
    """When `warn_ratio` of the target is used; None while paused."""
    if clock.running_since is None:
        return None
    return add_business_seconds(
        hours, clock.running_since, max(0.0, clock.target_seconds * clock.warn_ratio - clock.used)
    )


def pause(clock: SlaClock, hours: BusinessHours | None, now: float) -> SlaClock:
    """Stop counting (the ticket waits for the customer), keeping what was used."""
    if clock.running_since is None:
        return clock
    return replace(clock, used=used_seconds(clock, hours, now), running_since=None)


def resume(clock: SlaClock, now: float) -> SlaClock:
    """Count again from `now`; what was used before the pause still counts."""
    if clock.running_since is not None:
        return clock
    return replace(clock, running_since=now)


def retarget(clock: SlaClock, target_seconds: float, warn_ratio: float) -> SlaClock:
    """The ticket's priority changed: the new policy's target, same time used."""
    return replace(clock, target_seconds=float(target_seconds), warn_ratio=warn_ratio)


def remaining_seconds(clock: SlaClock, hours: BusinessHours | None, now: float) -> float:
    """Business seconds left; negative once breached."""
    return clock.target_seconds - used_seconds(clock, hours, now)


def clock_state(clock: SlaClock, hours: BusinessHours | None, now: float) -> str:
    """"breached", "paused", "warning" or "ok"."""
    used = used_seconds(clock, hours, now)
    if used >= clock.target_seconds:
        return "breached"
    if clock.running_since is None:
        return "paused"
    return "warning" if used >= clock.target_seconds * clock.warn_ratio else "ok"
