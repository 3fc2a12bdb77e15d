"""Business hours as people type them and as the API shows them: "HH:MM"
windows checked field by field, and the epoch seconds the calendars count in.
Queues, SLA policies and agents' shifts share them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone

from dragoman.calendars.hours import HoursError, Window, check_holiday_country, check_timezone, check_windows
from dragoman.calendars.schemas import HoursIn
from dragoman.core.errors import InvalidInput


# The database keeps naive UTC datetimes; the calendars count in epoch seconds.
def to_epoch(moment: datetime) -> float:
    return moment.replace(tzinfo=timezone.utc).timestamp()


def from_epoch(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc).replace(tzinfo=None)


def minutes_of(text: str, field: str) -> int:
    try:
        hours_text, minutes_text = text.strip().split(":")
        hours, minutes = int(hours_text), int(minutes_text)
    except (AttributeError, ValueError):
        raise InvalidInput("use HH:MM, e.g. 09:00", field=field) from None
    if not (0 <= hours <= 24 and 0 <= minutes < 60) or (hours == 24 and minutes):
        raise InvalidInput("use a time from 00:00 to 24:00", field=field)
    return hours * 60 + minutes


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _wrap_hours_error(error: HoursError) -> InvalidInput:
    return InvalidInput(str(error), field=error.field)


def check_hours_input(
    hours: Sequence[HoursIn],
    timezone_name: str,
    holiday_country: str | None,
    holiday_subdivision: str | None,
    field: str = "hours",
) -> tuple[list[Window], str | None, str | None]:
    """Weekly hours as an admin types them (HH:MM), checked: the windows,
    and the holiday country and subdivision, normalised. Queues, SLA
    policies and agents' shifts share it; `field` is the list's name in
    the request, which an error names."""
    windows = [
        Window(item.weekday, minutes_of(item.start, f"{field}[{i}].start"), minutes_of(item.end, f"{field}[{i}].end"))
        for i, item in enumerate(hours)
    ]
    country = (holiday_country or "").strip().upper() or None
    subdivision = (holiday_subdivision or "").strip().upper() or None
    try:
        windows = check_windows(windows, field)
        check_timezone(timezone_name)
        check_holiday_country(country, subdivision)
    except HoursError as error:
        raise _wrap_hours_error(error) from None
    return windows, country, subdivision


def hours_out(windows: Sequence[Window]) -> list[HoursIn]:
    return [HoursIn(weekday=w.weekday, start=hhmm(w.start), end=hhmm(w.end)) for w in windows]
