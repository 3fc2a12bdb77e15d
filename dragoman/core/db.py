"""Database engine, sessions and the declarative base.

SQLite (WAL) is the embedded default; PostgreSQL is the same code with another
URL. Sessions carry the events their changes produced and hand them to the
event bus only after the transaction commits (see `core.events`).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from dragoman.core.clock import utcnow

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


_WRITE_LOCK_HELD = "dragoman_sqlite_write_lock"


def serialize_sqlite_writes(factory: sessionmaker[Session]) -> None:
    """Let one session of this process write at a time.

    SQLite allows one writer. Without this, threads that write at once meet
    SQLite's busy handler, which sleeps in growing steps (up to 100 ms) before
    retrying: throughput falls and the slowest messages wait far longer than
    the work takes. A lock taken at a session's first write and released when
    its transaction ends hands the database over with no sleeping. Readers are
    never blocked (WAL).
    """
    lock = threading.RLock()

    def _acquire(session: Session) -> None:
        if not session.info.get(_WRITE_LOCK_HELD):
            lock.acquire()
            session.info[_WRITE_LOCK_HELD] = True

    def _release(session: Session, *_args: Any) -> None:
        if session.info.pop(_WRITE_LOCK_HELD, False):
            lock.release()

    @event.listens_for(factory, "before_flush")
    def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
        _acquire(session)

    @event.listens_for(factory, "do_orm_execute")
    def _before_dml(state: Any) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            _acquire(state.session)

    @event.listens_for(factory, "after_transaction_end")
    def _after_end(session: Session, transaction: Any) -> None:
        # Only the outermost transaction's end gives the lock back; a
        # SAVEPOINT's end leaves the write transaction open.
        if transaction.parent is None:
            _release(session)


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
