"""Business hours and holidays of a queue, in the queue's own time zone.

Pure: no I/O. The `holidays` package computes a country's public holidays
from rules (nothing is downloaded), and `zoneinfo` reads the system's zone
data, so a queue can answer "open now?" and "open again when?" in
microseconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

MINUTES_PER_DAY = 24 * 60
# How far ahead "closed until" looks: a queue closed for longer is reported as
# closed with no known opening.
LOOKAHEAD_DAYS = 21


@dataclass(frozen=True)
class Window:
    """Open on `weekday` (0 = Monday) from `start` to `end`, in minutes after midnight."""

    weekday: int
    start: int
    end: int


class HoursError(ValueError):
    """A bad hours definition; `field` names the offending entry."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field


def check_windows(windows: Sequence[Window], field_name: str = "hours") -> list[Window]:
    """Each window inside one day, start before end, and no two overlapping on a weekday."""
    for index, window in enumerate(windows):
        if not 0 <= window.weekday <= 6:
            raise HoursError("weekday must be 0 (Monday) to 6 (Sunday)", f"{field_name}[{index}].weekday")
        if not 0 <= window.start < window.end <= MINUTES_PER_DAY:
            raise HoursError("start must be before end, both within the day (00:00-24:00)", f"{field_name}[{index}]")
    ordered = sorted(enumerate(windows), key=lambda item: (item[1].weekday, item[1].start))
    for (_, before), (index, after) in zip(ordered, ordered[1:]):
        if before.weekday == after.weekday and after.start < before.end:
            raise HoursError(
                f"overlaps another window on weekday {after.weekday}", f"{field_name}[{index}]"
            )
    return [window for _, window in ordered]


def check_timezone(name: str, field_name: str = "timezone") -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(f"unknown time zone {name!r}", field_name) from None


def check_holiday_country(country: str | None, subdivision: str | None, field_name: str = "holiday_country") -> None:
    if not country:
        if subdivision:
            raise HoursError("a subdivision needs a country", "holiday_subdivision")
        return
    supported = holidays.list_supported_countries()
    if country not in supported:
        raise HoursError(f"no holiday calendar for country {country!r}", field_name)
    if subdivision and subdivision not in supported[country]:
        raise HoursError(f"country {country} has no subdivision {subdivision!r}", "holiday_subdivision")


@dataclass
class BusinessHours:
    """When a queue is staffed. No windows at all means always open."""

    timezone: str = "UTC"
    windows: Sequence[Window] = ()
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed_dates: Iterable[date] = ()
    _zone: ZoneInfo = field(init=False, repr=False)
    _by_day: dict[int, list[Window]] = field(init=False, repr=False)
    _calendar: holidays.HolidayBase | None = field(init=False, repr=False)
    _closed: frozenset[date] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._zone = check_timezone(self.timezone)
        self.windows = check_windows(self.windows)
        self._by_day = {}
        for window in self.windows:
            self._by_day.setdefault(window.weekday, []).append(window)
        check_holiday_country(self.holiday_country, self.holiday_subdivision)
        self._calendar = (
            holidays.country_holidays(self.holiday_country, subdiv=self.holiday_subdivision)
            if self.holiday_country
            else None
        )
        self._closed = frozenset(self.closed_dates)

    @property
    def always_open(self) -> bool:
        return not self.windows and self._calendar is None and not self._closed

    def _local(self, moment: float) -> datetime:
        return datetime.fromtimestamp(moment, tz=timezone.utc).astimezone(self._zone)

    def is_holiday(self, day: date) -> bool:
        return day in self._closed or (self._calendar is not None and day in self._calendar)

    def holiday_name(self, day: date) -> str | None:
        if day in self._closed:
            return "closed"
        if self._calendar is not None:
            return self._calendar.get(day)
        return None

    def is_open(self, moment: float) -> bool:
        """`moment`: seconds since the epoch (UTC)."""
        if self.always_open:
            return True
        local = self._local(moment)
        if self.is_holiday(local.date()):
            return False
        if not self.windows:
            return True
        minute = local.hour * 60 + local.minute
        return any(w.start <= minute < w.end for w in self._by_day.get(local.weekday(), ()))

    def _first_instant_at(self, day: date, minute: int) -> float:
        """The first instant whose local wall time on `day` is at or after
        `minute`. Usually that wall time itself; when the clocks spring
        forward over it (02:30 does not exist), the instant they jump."""
        wall = datetime(day.year, day.month, day.day, tzinfo=self._zone) + timedelta(minutes=minute)
        earlier = wall.replace(fold=1).timestamp()  # the offset after a change
        later = wall.replace(fold=0).timestamp()  # the offset before it
        if earlier >= later:
            return later  # an ordinary time, or a repeated one (fold=0 is the first)
        # In a gap: find the jump between the two readings, to the second.
        low, high = earlier, later
        while high - low > 1:
            middle = (low + high) / 2
            local = self._local(middle)
            if (local.date(), local.hour * 60 + local.minute) >= (day, minute):
                high = middle
            else:
                low = middle
        whole = float(int(high))
        local = self._local(whole)
        return whole if (local.date(), local.hour * 60 + local.minute) >= (day, minute) else whole + 1

    def local_date(self, moment: float) -> date:
        return self._local(moment).date()

    def open_spans(self, day: date) -> list[tuple[float, float]]:
        """The open stretches of local `day` as (start, end) moments, in order:
        none on a holiday, the whole day when there are no windows. Business-
        time arithmetic (SLA clocks) adds these up a day at a time."""
        if self.is_holiday(day):
            return []
        if not self.windows:
            return [(self._first_instant_at(day, 0), self._first_instant_at(day + timedelta(days=1), 0))]
        return [
            (self._first_instant_at(day, w.start), self._first_instant_at(day, w.end) if w.end < MINUTES_PER_DAY
             else self._first_instant_at(day + timedelta(days=1), 0))
            for w in self._by_day.get(day.weekday(), ())
        ]

    def next_open(self, moment: float) -> float | None:
        """The first moment at or after `moment` when the queue is open; None
        if it stays closed for the next `LOOKAHEAD_DAYS` days."""
        if self.is_open(moment):
            return moment
        local = self._local(moment)
        for offset in range(LOOKAHEAD_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            if self.is_holiday(day):
                continue
            starts = [0] if not self.windows else sorted(w.start for w in self._by_day.get(day.weekday(), ()))
            for start in starts:
                stamp = self._first_instant_at(day, start)
                if stamp < moment:
                    stamp = moment
                if self.is_open(stamp):
                    return stamp
        return None

    def next_change(self, moment: float) -> float | None:
        """The next moment after `moment` when open turns closed or closed
        turns open; None if nothing changes in the next `LOOKAHEAD_DAYS` days."""
        if not self.is_open(moment):
            return self.next_open(moment)
        day = self.local_date(moment)
        for offset in range(-1, LOOKAHEAD_DAYS + 1):
            for _start, end in self.open_spans(day + timedelta(days=offset)):
                if end > moment and not self.is_open(end):
                    return end
        return None

