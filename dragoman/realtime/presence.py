"""Presence that follows the live console: an agent whose last console
(a signed-in browser's WebSocket) closes goes offline once a grace period
passes without another one opening (a reload or a network blip reconnects
well within it); opening a console again restores the presence they had.

Counts live in this process, as the sockets do. The database work runs in a
worker thread, never on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from threading import Lock

from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts

DEFAULT_GRACE_SECONDS = 60.0


class ConsolePresence:
    def __init__(self, session_factory: Callable[[], Session], grace_seconds: Callable[[], float]) -> None:
        self._session_factory = session_factory
        # Read at each close, so an operator's setting (or a test) applies at once.
        self._grace_seconds = grace_seconds
        self._open: dict[int, int] = {}
        self._pending: dict[int, asyncio.TimerHandle] = {}
        self._lock = Lock()

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
        with self._session_factory() as db:
            change(db, user_id)
            db.commit()
