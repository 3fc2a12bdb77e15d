"""Durable background jobs: written in the transaction that causes them,
claimed with a lease, retried with back-off, kept as dead letters when they
keep failing.

Before this, each background loop kept its work in an in-memory queue, and
what was queued when the process died was lost (a survey never offered).
A job is a row: a process that dies mid-job leaves a lease that runs out,
and the next claim takes the job again. Two runners (threads or processes)
never hold the same job at once: a claim is one conditional UPDATE, and on
PostgreSQL the candidates are read `FOR UPDATE SKIP LOCKED`.

A job runs at least once; handlers make running twice harmless (each checks
the state it would change, e.g. "survey already offered").

Three ways in:
- `enqueue(db, kind, payload)` inside the caller's transaction;
- `JobRunner.on_event_enqueue(...)`: a transaction hook turns events into jobs
  in the same transaction as the change (an outbox);
- `JobRunner.every(kind, seconds, ...)`: a scheduled job (one per period,
  whatever the number of processes, by its idempotency key).

Pure decisions (`retry_delay`, `period_key`) have no I/O.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.db import Base, CreatedAtMixin, IdMixin

log = logging.getLogger(__name__)

# How long a claim holds: a job still running after this is taken again by
# another runner, so it is well beyond what any handler takes.
LEASE_SECONDS = 120.0
MAX_ATTEMPTS = 8
# The longest a runner sleeps without looking (a job written by another
# process does not wake this one).
MAX_SLEEP_SECONDS = 5.0


class JobStatus(str, Enum):
    queued = "queued"  # waiting for run_at
    running = "running"  # claimed; lease_until says until when
    done = "done"
    dead = "dead"  # failed max_attempts times: kept for an admin to read and retry


class Job(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "jobs"
    __table_args__ = (
        Index("ix_jobs_due", "status", "run_at"),
        Index("ix_jobs_account_status", "account_id", "status"),
        UniqueConstraint("kind", "idempotency_key", name="uq_jobs_kind_idempotency_key"),
    )
    kind: Mapped[str] = mapped_column(String(64))
    # No foreign key: a job may outlive what it is about (and must not block deleting it).
    account_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), nullable=True)
    status: Mapped[JobStatus] = mapped_column(SqlEnum(JobStatus, native_enum=False, length=20), default=JobStatus.queued)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=MAX_ATTEMPTS)
    run_at: Mapped[datetime] = mapped_column(DateTime)
    lease_owner: Mapped[str | None] = mapped_column(String(120), nullable=True)
    lease_until: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)


# -- pure decisions -------------------------------------------------------------------------


def retry_delay(attempts: int, base_seconds: float = 5.0, cap_seconds: float = 3600.0) -> float:
    """Seconds before attempt `attempts + 1`: doubling from `base_seconds`
    (5 s, 10 s, 20 s ...), never more than `cap_seconds`."""
    return float(min(cap_seconds, base_seconds * 2 ** max(0, attempts - 1)))


def period_key(now: datetime, every_seconds: float) -> tuple[str, datetime]:
    """The idempotency key and start of the period after the one `now` is in:
    every process computes the same, so a scheduled job is written once per
    period however many processes schedule it."""
    epoch = now.timestamp() if now.tzinfo else (now - datetime(1970, 1, 1)).total_seconds()
    slot = int(epoch // every_seconds) + 1
    return f"every:{slot}", datetime(1970, 1, 1) + timedelta(seconds=slot * every_seconds)


# -- writing and claiming ---------------------------------------------------------------------


def enqueue(
    db: Session,
    kind: str,
    payload: dict[str, Any] | None = None,
    *,
    account_id: int | None = None,
    key: str | None = None,
    run_at: datetime | None = None,
    max_attempts: int = MAX_ATTEMPTS,
) -> Job | None:
    """Adds a job to the caller's transaction. With `key`, a job of this kind
    with this key already written is kept and nothing is added (None)."""
    if key is not None:
        existing = db.scalar(select(Job).where(Job.kind == kind, Job.idempotency_key == key))
        if existing is not None:
            return None
    job = Job(
        kind=kind,
        payload=payload or {},
        account_id=account_id,
        idempotency_key=key,
        run_at=run_at or utcnow(),
        max_attempts=max_attempts,
        status=JobStatus.queued,
        attempts=0,
    )
    if key is None:
        db.add(job)
        return job
    # Another process may write the same key between the check and here.
    try:
        with db.begin_nested():
            db.add(job)
    except IntegrityError:
        return None
    return job


def claim(db: Session, owner: str, kinds: Iterable[str], *, limit: int = 10, lease_seconds: float = LEASE_SECONDS) -> list[Job]:
    """Takes up to `limit` due jobs of `kinds` for `owner` and commits: queued
    ones whose time has come, and running ones whose lease ran out (their
    runner died). Each is taken by one conditional UPDATE, so of two runners
    reading the same candidate only one gets it."""
    now = utcnow()
    due = or_(
        (Job.status == JobStatus.queued) & (Job.run_at <= now),
        (Job.status == JobStatus.running) & (Job.lease_until < now),
    )
    candidates = select(Job.id).where(Job.kind.in_(list(kinds)), due).order_by(Job.run_at, Job.id).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.scalars(candidates))
    taken: list[int] = []
    until = now + timedelta(seconds=lease_seconds)
    for job_id in ids:
        result = db.execute(
            update(Job)
            .where(Job.id == job_id, due)
            .values(status=JobStatus.running, lease_owner=owner, lease_until=until, attempts=Job.attempts + 1)
        )
        if result.rowcount == 1:  # type: ignore[attr-defined]
            taken.append(job_id)
    db.commit()
    if not taken:
        return []
    return list(db.scalars(select(Job).where(Job.id.in_(taken)).order_by(Job.run_at, Job.id)))


def finish(db: Session, job_id: int, owner: str) -> bool:
    """Marks the job done, if `owner` still holds it (a runner whose lease ran
    out and whose job another runner took must not overwrite that one's state)."""
    result = db.execute(
        update(Job)
        .where(Job.id == job_id, Job.lease_owner == owner, Job.status == JobStatus.running)
        .values(status=JobStatus.done, finished_at=utcnow(), lease_until=None, last_error=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


def fail(db: Session, job: Job, owner: str, error: str) -> JobStatus:
    """After a failed attempt: queued again after `retry_delay`, or dead once
    it has failed `max_attempts` times."""
    dead = job.attempts >= job.max_attempts
    status = JobStatus.dead if dead else JobStatus.queued
    values: dict[str, Any] = {"status": status, "last_error": error[:2000], "lease_until": None}
    if dead:
        values["finished_at"] = utcnow()
    else:
        values["run_at"] = utcnow() + timedelta(seconds=retry_delay(job.attempts))
    db.execute(update(Job).where(Job.id == job.id, Job.lease_owner == owner, Job.status == JobStatus.running).values(**values))
    return status


def retry_dead(db: Session, job: Job) -> None:
    """An admin's retry of a dead job: due now, with its attempts counted afresh."""
    job.status = JobStatus.queued
    job.attempts = 0
    job.run_at = utcnow()
    job.finished_at = None


def backlog(db: Session) -> dict[str, Any]:
    """Queued and running jobs, dead letters, and the age of the oldest due job (for /api/health)."""
    now = utcnow()
    rows = db.execute(select(Job.status, func.count(), func.min(Job.run_at)).where(Job.status != JobStatus.done).group_by(Job.status)).all()
    counts = {status.value: 0 for status in (JobStatus.queued, JobStatus.running, JobStatus.dead)}
    oldest: datetime | None = None
    for status, count, earliest in rows:
        counts[JobStatus(status).value] = int(count)
        if JobStatus(status) is JobStatus.queued and earliest is not None and earliest <= now:
            oldest = earliest
    return {**counts, "oldest_due_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0}


KEEP_DONE_DAYS = 7
PRUNE_DONE_JOBS = "jobs.prune_done"


def prune_done(db: Session, older_than: datetime) -> int:
    """Done jobs are history; kept a week for reading, then removed. Dead
    ones stay until an admin retries them."""
    result = db.execute(delete(Job).where(Job.status == JobStatus.done, Job.finished_at < older_than))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def register_job_pruning(runner: "JobRunner") -> None:
    def prune(db: Session, _payload: dict[str, Any]) -> None:
        prune_done(db, utcnow() - timedelta(days=KEEP_DONE_DAYS))

    runner.every(PRUNE_DONE_JOBS, 24 * 3600, prune)


# -- running ---------------------------------------------------------------------------------

Handler = Callable[[Session, dict[str, Any]], None]
EventToJobs = Callable[[events.Event], Sequence["JobSpec"]]


@dataclass(frozen=True)
class JobSpec:
    """A job an event asks for (see `JobRunner.on_events`)."""

    kind: str
    payload: dict[str, Any]
    account_id: int | None = None
    key: str | None = None


@dataclass(frozen=True)
class _Schedule:
    kind: str
    every_seconds: float


class JobRunner:
    """One thread that runs every registered kind of job.

    Features register handlers (`handle`), the events that cause jobs
    (`on_events`) and scheduled jobs (`every`) before `start`. Several
    runners, in one process or many, share the table safely."""

    def __init__(self, factory: sessionmaker[Session], *, name: str = "dragoman-jobs", batch: int = 10) -> None:
        self._factory = factory
        self._name = name
        self._batch = batch
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handlers: dict[str, Handler] = {}
        self._from_events: list[EventToJobs] = []
        self._schedules: list[_Schedule] = []
        # The period key each schedule was last written for, by kind.
        self._scheduled: dict[str, str] = {}
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        # wait_idle's requests, and the newest one a pass that found nothing
        # due started after: a pass already under way when a job was written
        # must not answer for it.
        self._idle = threading.Condition()
        self._idle_requests = 0
        self._idle_served = 0

    # -- registration ------------------------------------------------------------------------

    def handle(self, kind: str, handler: Handler) -> None:
        self._handlers[kind] = handler

    def on_events(self, to_jobs: EventToJobs) -> None:
        """Jobs that events ask for, written in the transaction that records
        the events (see `transaction_hook`)."""
        self._from_events.append(to_jobs)

    def every(self, kind: str, seconds: float, handler: Handler) -> None:
        self.handle(kind, handler)
        self._schedules.append(_Schedule(kind, seconds))

    # -- wiring --------------------------------------------------------------------------------

    def transaction_hook(self, session: Session, pending: list[events.Event]) -> None:
        """Runs before a commit that publishes events (core.events): the jobs
        they cause commit with them, or not at all."""
        for event in pending:
            for to_jobs in self._from_events:
                for spec in to_jobs(event):
                    enqueue(session, spec.kind, spec.payload, account_id=spec.account_id, key=spec.key)

    def on_event(self, event: events.Event) -> None:
        """Bus listener (after commit): wakes the runner when the event asked
        for a job. Only then: waking on every event made the runner query the
        table hundreds of times a second under a busy chat load."""
        if any(to_jobs(event) for to_jobs in self._from_events):
            self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests: True once a pass that started after this call found nothing due."""
        with self._idle:
            self._idle_requests += 1
            wanted = self._idle_requests
            self._wake.set()
            return self._idle.wait_for(lambda: self._idle_served >= wanted, timeout)

    # -- the loop ------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stopping.is_set():
            with self._idle:
                requested = self._idle_requests
            self._wake.clear()
            try:
                self._schedule_next()
                ran = self.run_due()
            except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.exception("the job runner failed a pass")
                ran = -1
            if ran > 0:
                continue
            if ran == 0:
                with self._idle:
                    self._idle_served = requested
                    self._idle.notify_all()
            try:
                pause = self._sleep_seconds() if ran == 0 else MAX_SLEEP_SECONDS
            except Exception:  # noqa: BLE001
                log.exception("the job runner could not read its next due job")
                pause = MAX_SLEEP_SECONDS
            self._wake.wait(pause)

    def _schedule_next(self) -> None:
        """Writes each schedule's job for the next period, once per period
        in this process (the key keeps it once across processes)."""
        now = utcnow()
        due = [(s, *period_key(now, s.every_seconds)) for s in self._schedules]
        due = [(s, key, at) for s, key, at in due if self._scheduled.get(s.kind) != key]
        if not due:
            return
        with self._factory() as db:
            for schedule, key, at in due:
                enqueue(db, schedule.kind, {}, key=key, run_at=at, max_attempts=1)
            db.commit()
        for schedule, key, _at in due:
            self._scheduled[schedule.kind] = key

    def _sleep_seconds(self) -> float:
        with self._factory() as db:
            earliest = db.scalar(select(func.min(Job.run_at)).where(Job.status == JobStatus.queued, Job.kind.in_(list(self._handlers))))
        if earliest is None:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, (earliest - utcnow()).total_seconds()))

    def run_due(self) -> int:
        """Claims and runs what is due, once; returns how many ran."""
        if not self._handlers:
            return 0
        with self._factory() as db:
            jobs = claim(db, self.owner, self._handlers, limit=self._batch)
        for job in jobs:
            if self._stopping.is_set():
                break  # the rest run again when their lease ends, here or elsewhere
            self._run_one(job)
        return len(jobs)

    def _run_one(self, job: Job) -> None:
        handler = self._handlers[job.kind]
        started = time.monotonic()
        try:
            with self._factory() as db:
                handler(db, dict(job.payload or {}))
                finish(db, job.id, self.owner)
                db.commit()
        except Exception as error:  # noqa: BLE001 - recorded on the job, retried
            log.warning("job %s #%d failed (attempt %d): %s", job.kind, job.id, job.attempts, error)
            with self._factory() as db:
                status = fail(db, job, self.owner, f"{type(error).__name__}: {error}")
                db.commit()
            if status is JobStatus.dead:
                log.error("job %s #%d is dead after %d attempts", job.kind, job.id, job.attempts)
        else:
            log.debug("job %s #%d done in %.3f s", job.kind, job.id, time.monotonic() - started)
