"""One place that says what time it is, so tests (and the demo's history) can move time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone

# Set only inside `pinned_at`: the moment this thread's code takes as now.
# A context variable, so the server's other threads keep the real time.
_PINNED: ContextVar[datetime | None] = ContextVar("dragoman_pinned_now", default=None)


def utcnow() -> datetime:
    # Naive UTC everywhere in the database: SQLite has no time zones and
    # mixing aware and naive datetimes is the commonest bug in this area.
    pinned = _PINNED.get()
    if pinned is not None:
        return pinned
    return datetime.now(timezone.utc).replace(tzinfo=None)


@contextmanager
def pinned_at(moment: datetime) -> Iterator[None]:
    """Within the block, `utcnow()` in this thread (and column defaults that
    use it, at flush) answers `moment` (naive UTC): the demo writes weeks of
    history through the ordinary services, each step at the time it happened."""
    token = _PINNED.set(moment)
    try:
        yield
    finally:
        _PINNED.reset(token)


def isoformat(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).isoformat().replace("+00:00", "Z")
