"""One place that says what time it is, so tests can move time."""

from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    # Naive UTC everywhere in the database: SQLite has no time zones and
    # mixing aware and naive datetimes is the commonest bug in this area.
    return datetime.now(timezone.utc).replace(tzinfo=None)


def isoformat(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
