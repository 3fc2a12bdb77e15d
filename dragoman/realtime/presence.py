"""Presence that follows the live console: an agent whose last console
(a signed-in browser's WebSocket) closes goes offline once a grace period
passes without another one opening (a reload or a network blip reconnects
well within it); opening a console again restores the presence they had.

After a restart nobody's console is connected: consoles reconnect on their
own (within about 30 s), and whoever still has none when the grace period
has passed goes offline too (`start`), so routing never waits on an agent
whose browser was closed while the server was down.

Counts live in this process, as the sockets do. The database work runs in a
worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from threading import Lock

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.accounts.models import Availability, User

log = logging.getLogger(__name__)

DEFAULT_GRACE_SECONDS = 60.0


class ConsolePresence:
    def __init__(self, session_factory: Callable[[], Session], grace_seconds: Callable[[], float]) -> None:
        self._session_factory = session_factory
        # Read at each close, so an operator's setting (or a test) applies at once.
        self._grace_seconds = grace_seconds
        self._open: dict[int, int] = {}
        self._pending: dict[int, asyncio.TimerHandle] = {}
        self._lock = Lock()
        self._sweep: asyncio.TimerHandle | None = None

    def start(self, loop: asyncio.AbstractEventLoop) -> None:
        """At start-up: once the grace period has passed, whoever is still
        present without a console goes offline."""
        self._sweep = loop.call_later(max(0.0, self._grace_seconds()), self._sweep_due)

    def stop(self) -> None:
        with self._lock:
            timers = [*self._pending.values(), *([self._sweep] if self._sweep else [])]
            self._pending.clear()
            self._sweep = None
        for timer in timers:
            timer.cancel()

    def _sweep_due(self) -> None:
        self._sweep = None
        asyncio.get_running_loop().run_in_executor(None, self._offline_without_console)

    def _offline_without_console(self) -> None:
        try:
            with self._session_factory() as db:
                present = db.scalars(select(User.id).where(User.availability != Availability.offline, User.active.is_(True))).all()
                for user_id in present:
                    if self.open_count(user_id) == 0:
                        accounts.console_closed(db, user_id)
                db.commit()
        except Exception:  # the server may be stopping; the next start sweeps again
            log.exception("presence: could not set agents without a console offline")

    def open_count(self, user_id: int) -> int:
        with self._lock:
            return self._open.get(user_id, 0)

    async def opened(self, user_id: int) -> None:
        """A console connected: a pending "gone offline" is called off, and a
        presence the closing took away comes back."""
        with self._lock:
            self._open[user_id] = self._open.get(user_id, 0) + 1
            pending = self._pending.pop(user_id, None)
        if pending is not None:
            pending.cancel()
        await asyncio.get_running_loop().run_in_executor(None, self._write, accounts.console_opened, user_id)

    def closed(self, user_id: int) -> None:
        """A console disconnected: the last one starts the grace period."""
        with self._lock:
            left = self._open.get(user_id, 0) - 1
            if left > 0:
                self._open[user_id] = left
                return
            self._open.pop(user_id, None)
            loop = asyncio.get_running_loop()
            self._pending[user_id] = loop.call_later(max(0.0, self._grace_seconds()), self._grace_over, user_id)

    def _grace_over(self, user_id: int) -> None:
        with self._lock:
            self._pending.pop(user_id, None)
            if self._open.get(user_id, 0) > 0:
                return
        asyncio.get_running_loop().run_in_executor(None, self._write, accounts.console_closed, user_id)

    def _write(self, change: Callable[[Session, int], None], user_id: int) -> None:
        try:
            with self._session_factory() as db:
                change(db, user_id)
                db.commit()
        except Exception:  # a presence is not worth a failed socket; logged for the operator
            log.exception("presence: could not update user %s", user_id)
