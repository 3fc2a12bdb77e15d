"""Database engine, sessions and the declarative base.

SQLite (WAL) is the embedded default; PostgreSQL is the same code with another
URL. Sessions carry the events their changes produced and hand them to the
event bus only after the transaction commits (see `core.events`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from dragoman.core.clock import utcnow
from dragoman.core.errors import DragomanError

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class IdMixin:
    id: Mapped[int] = mapped_column(Integer, primary_key=True)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow, nullable=False)


def is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers go on while one writer commits; NORMAL sync is durable
    # across a process crash (not a power cut), the usual trade for WAL.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    if is_sqlite(url):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 10},
            pool_size=20,
            max_overflow=20,
        )
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    return create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    if engine.dialect.name == "sqlite":
        serialize_sqlite_writes(factory)
    return factory


# How long a session waits for another to finish writing before its request
# is refused with 503: SQLite's own busy timeout is the same, so a write that
# would have failed as "database is locked" fails the same way, only clearly.
WRITE_LOCK_TIMEOUT_SECONDS = 10.0


class WriteLockTimeout(DragomanError):
    status_code = 503
    code = "busy"

    def __init__(self, waited: float) -> None:
        super().__init__(f"the database is busy with other changes (waited {waited:.0f} s); retry")
        self.retry_after = 1


class SessionWriteLock:
    """One writing session at a time, owned by the session, not by a thread.

    A thread-owned lock breaks in a web server: FastAPI runs a sync route on
    one pool thread and its session's clean-up on another, so a request that
    failed half-way could never give a thread lock back and every later write
    waited forever. Here any thread may release on the session's behalf, a
    waiter gives up after `timeout_seconds`, and a session that is garbage
    collected without being closed is noticed by the next waiter.
    """

    def __init__(self, timeout_seconds: float = WRITE_LOCK_TIMEOUT_SECONDS) -> None:
        self._timeout = timeout_seconds
        self._free = threading.Condition(threading.Lock())
        self._holder: int | None = None  # id() of the holding session
        self._holder_ref: weakref.ref[Any] | None = None

    def acquire(self, owner: object) -> None:
        key = id(owner)
        deadline = time.monotonic() + self._timeout
        with self._free:
            while self._holder is not None and self._holder != key:
                if self._holder_ref is not None and self._holder_ref() is None:
                    break  # its session was collected without ending its transaction
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise WriteLockTimeout(self._timeout)
                # Woken at once by a release; the slices only serve to notice
                # a holder that was collected.
                self._free.wait(min(remaining, 0.25))
            if self._holder != key:
                self._holder = key
                # Weak: the lock must not keep a forgotten session alive.
                self._holder_ref = _weak_or_none(owner)

    def release(self, owner: object) -> None:
        with self._free:
            if self._holder == id(owner):
                self._holder = None
                self._holder_ref = None
                self._free.notify()


def _weak_or_none(owner: object) -> weakref.ref[Any] | None:
    try:
        return weakref.ref(owner)
    except TypeError:  # plain objects (tests) cannot be weakly referenced
        return None


def serialize_sqlite_writes(factory: sessionmaker[Session], lock: SessionWriteLock | None = None) -> SessionWriteLock:
    """Let one session of this process write at a time.

    SQLite allows one writer. Without this, threads that write at once meet
    SQLite's busy handler, which sleeps in growing steps (up to 100 ms) before
    retrying: throughput falls and the slowest messages wait far longer than
    the work takes. A lock taken at a session's first write and released when
    its transaction ends, on whatever thread that happens, hands the database
    over with no sleeping. Readers are never blocked (WAL).
    """
    write_lock = lock or SessionWriteLock()

    def _acquire(session: Session) -> None:
        # The connection first, then the lock: a session that queued for the
        # lock holding none could then wait for a pooled connection held by
        # sessions queued behind it for the lock (seen under 50 chatting
        # customers: every write waited until the 503s).
        session.connection()
        write_lock.acquire(session)

    @event.listens_for(factory, "before_flush")
    def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
        _acquire(session)

    @event.listens_for(factory, "do_orm_execute")
    def _before_dml(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            _acquire(state.session)

    @event.listens_for(factory, "after_commit")
    def _after_commit(session: Session) -> None:
        # SQLite has ended the write transaction: given back before the
        # session publishes its events (core.events runs every listener in
        # this same hook), so no listener runs while holding the lock.
        if not session.in_nested_transaction():
            write_lock.release(session)

    @event.listens_for(factory, "after_transaction_end")
    def _after_end(session: Session, transaction: Any) -> None:
        # Only the outermost transaction's end gives the lock back; a
        # SAVEPOINT's end leaves the write transaction open.
        if transaction.parent is None:
            write_lock.release(session)

    return write_lock


@contextmanager
def session_scope(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
