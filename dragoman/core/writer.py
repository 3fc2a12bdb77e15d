"""Group commit: one thread stores many small writes in one transaction.

The message path writes a little per message but very often. Committing each
message on its own thread makes threads queue for SQLite's single write lock
and for the GIL. One writer thread that takes whatever is waiting (up to
`max_batch` units) and commits them together does the same work with far
fewer commits and no contention; events still go out only after the commit.

If any unit of a batch fails, the batch is rolled back and every unit is run
again in its own transaction, so one bad message never costs the others.

A unit may come with a `hint` (what it is about to read, e.g. a contact's
conversation): the hints of a whole batch are put in
`session.info[BATCH_HINTS]` before its units run, so the first unit can read
for all of them in one query instead of one query each.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

T = TypeVar("T")
WriteUnit = Callable[[Session], T]
BATCH_HINTS = "dragoman_writer_batch_hints"


@dataclass
class _Pending(Generic[T]):
    unit: WriteUnit[T]
    future: "asyncio.Future[T]"
    loop: asyncio.AbstractEventLoop
    hint: Any = None


def _settle(pending: _Pending[Any], result: Any = None, error: BaseException | None = None) -> None:
    def apply() -> None:
        if pending.future.done():
            return  # the caller went away (socket closed)
        if error is not None:
            pending.future.set_exception(error)
        else:
            pending.future.set_result(result)

    try:
        pending.loop.call_soon_threadsafe(apply)
    except RuntimeError:
        pass  # the loop is closed: nobody is waiting


class BatchWriter:
    def __init__(self, factory: sessionmaker[Session], max_batch: int = 64) -> None:
        self._factory = factory
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[_Pending[Any] | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dragoman-writer", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    async def submit(self, unit: WriteUnit[T], hint: Any = None) -> T:
        """Run `unit(session)` in the writer thread; returns its result once committed."""
        if self._thread is None:
            raise RuntimeError("the writer is not running")
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Pending(unit, future, loop, hint))
        return await future

    def _run(self) -> None:
        while True:
            first = self._queue.get()
            if first is None:
                return
            batch = [first]
            stopping = False
            while len(batch) < self._max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            self._write(batch)
            if stopping:
                return

    def _write(self, batch: list[_Pending[Any]]) -> None:
        if len(batch) > 1 and self._write_together(batch):
            return
        for pending in batch:
            self._write_alone(pending)

    def _write_together(self, batch: list[_Pending[Any]]) -> bool:
        session = self._factory()
        session.info[BATCH_HINTS] = [pending.hint for pending in batch if pending.hint is not None]
        try:
            results = [pending.unit(session) for pending in batch]
            session.commit()
        except Exception:  # noqa: BLE001 - replayed one by one below, where each error is reported
            session.rollback()
            return False
        finally:
            session.close()
        for pending, result in zip(batch, results):
            _settle(pending, result)
        return True

    def _write_alone(self, pending: _Pending[Any]) -> None:
        session = self._factory()
        try:
            result = pending.unit(session)
            session.commit()
        except Exception as exc:  # noqa: BLE001 - handed to the waiting caller
            session.rollback()
            if not isinstance(exc, ValueError) and type(exc).__module__.split(".")[0] != "dragoman":
                log.exception("write failed")
            _settle(pending, error=exc)
            return
        finally:
            session.close()
        _settle(pending, result)
