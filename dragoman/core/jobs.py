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
- `JobRunner.on_events(...)`: a transaction hook turns events into jobs
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
import weakref
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import Enum
from typing import Any

from sqlalchemy import JSON, DateTime, Index, Integer, String, Text, UniqueConstraint, delete, func, or_, select, update
from sqlalchemy import Enum as SqlEnum
from sqlalchemy import event as sa_event
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
    db.info.setdefault(_WAKE_AFTER_COMMIT, set()).add(kind)
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


_WAKE_AFTER_COMMIT = "dragoman.jobs.wake"
# The runners of each session factory: a commit that wrote jobs wakes the
# lanes that run them, in this process; others find them at their next poll.
_RUNNERS: "weakref.WeakKeyDictionary[sessionmaker[Session], weakref.WeakSet[JobRunner]]" = weakref.WeakKeyDictionary()


def _watch_commits(factory: sessionmaker[Session], runner: "JobRunner") -> None:
    runners = _RUNNERS.get(factory)
    if runners is not None:
        runners.add(runner)
        return
    runners = weakref.WeakSet([runner])
    _RUNNERS[factory] = runners

    # Not for a SAVEPOINT released (enqueue with a key uses one): only the
    # real commit makes the jobs visible to a lane.
    @sa_event.listens_for(factory, "after_commit")
    def _wake(session: Session) -> None:
        if session.in_nested_transaction():
            return
        kinds = session.info.pop(_WAKE_AFTER_COMMIT, None)
        if kinds:
            for each in list(runners):
                for kind in kinds:
                    each.wake(kind)

    @sa_event.listens_for(factory, "after_soft_rollback")
    def _forget(session: Session, previous: Any) -> None:
        if not previous.nested:
            session.info.pop(_WAKE_AFTER_COMMIT, None)


def claim(db: Session, owner: str, kinds: Iterable[str], *, limit: int = 10, lease_seconds: float = LEASE_SECONDS) -> list[Job]:
    """Takes up to `limit` due jobs of `kinds` for `owner` and commits: queued
    ones whose time has come, and running ones whose lease ran out (their
    runner died). One conditional UPDATE takes them all (not one per job: a
    busy lane claims many times a second), so of two runners reading the same
    candidates each job goes to one only; the jobs returned are those this
    owner holds with this claim's lease."""
    now = utcnow()
    due = or_(
        (Job.status == JobStatus.queued) & (Job.run_at <= now),
        (Job.status == JobStatus.running) & (Job.lease_until < now),
    )
    candidates = select(Job.id).where(Job.kind.in_(list(kinds)), due).order_by(Job.run_at, Job.id).limit(limit)
    if db.get_bind().dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    ids = list(db.scalars(candidates))
    if not ids:
        db.rollback()
        return []
    until = now + timedelta(seconds=lease_seconds)
    db.execute(
        update(Job)
        .where(Job.id.in_(ids), due)
        .values(status=JobStatus.running, lease_owner=owner, lease_until=until, attempts=Job.attempts + 1)
        .execution_options(synchronize_session=False)
    )
    db.commit()
    return list(
        db.scalars(
            select(Job).where(Job.id.in_(ids), Job.lease_owner == owner, Job.lease_until == until).order_by(Job.run_at, Job.id)
        )
    )


def finish(db: Session, job_id: int, owner: str) -> bool:
    """Marks the job done, if `owner` still holds it (a runner whose lease ran
    out and whose job another runner took must not overwrite that one's state)."""
    return finish_many(db, [job_id], owner) == 1


def finish_many(db: Session, job_ids: Sequence[int], owner: str) -> int:
    """`finish` for several jobs in one statement; returns how many were still held."""
    if not job_ids:
        return 0
    result = db.execute(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.lease_owner == owner, Job.status == JobStatus.running)
        .values(status=JobStatus.done, finished_at=utcnow(), lease_until=None, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


_CURRENT_JOB = "dragoman.current_job"


def finish_current(db: Session) -> bool:
    """Inside a handler: marks the job being run done in the handler's own
    transaction, so its work and "done" commit together or not at all. False
    when this runner no longer holds the job (its lease ran out and another
    runner took it): the handler then rolls back rather than act twice. True
    outside a job (a handler called directly)."""
    current = db.info.get(_CURRENT_JOB)
    if current is None:
        return True
    job_id, owner = current
    return finish(db, job_id, owner)


def release(db: Session, job_ids: Sequence[int], owner: str) -> int:
    """Gives back jobs `owner` claimed and did not start: queued again, the
    claim not counted as an attempt."""
    if not job_ids:
        return 0
    result = db.execute(
        update(Job)
        .where(Job.id.in_(list(job_ids)), Job.lease_owner == owner, Job.status == JobStatus.running)
        .values(status=JobStatus.queued, lease_owner=None, lease_until=None, attempts=Job.attempts - 1)
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


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
    # `IN`, not `!= done`: done jobs are most of the table (one per translated
    # message, kept a week), and the index on status skips them only so.
    waiting_or_dead = [JobStatus.queued, JobStatus.running, JobStatus.dead]
    rows = db.execute(
        select(Job.status, func.count(), func.min(Job.run_at)).where(Job.status.in_(waiting_or_dead)).group_by(Job.status)
    ).all()
    counts = {status.value: 0 for status in (JobStatus.queued, JobStatus.running, JobStatus.dead)}
    oldest: datetime | None = None
    for status, count, earliest in rows:
        counts[JobStatus(status).value] = int(count)
        if JobStatus(status) is JobStatus.queued and earliest is not None and earliest <= now:
            oldest = earliest
    return {**counts, "oldest_due_seconds": round((now - oldest).total_seconds(), 1) if oldest else 0.0}


def waiting(db: Session, kinds: Iterable[str]) -> int:
    """Jobs of `kinds` queued or running: work not done yet (/api/health's backlog)."""
    return int(
        db.scalar(select(func.count()).select_from(Job).where(Job.kind.in_(list(kinds)), Job.status.in_([JobStatus.queued, JobStatus.running])))
        or 0
    )


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
# Runs a claimed batch of one kind at once (payloads in claim order) and
# commits its own writes; the jobs are marked done after it returns.
BatchHandler = Callable[[Session, list[dict[str, Any]]], None]
EventToJobs = Callable[[events.Event], Sequence["JobSpec"]]
# Decides with the committing transaction's session (a query or two, for a
# whole group commit), and enqueues there.
TransactionJobs = Callable[[Session, list[events.Event]], None]

MAIN_LANE = "main"


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


@dataclass
class _Lane:
    """One thread of a runner and the kinds it claims. Kinds with different
    costs get their own lane, so a receiver that takes its full timeout or
    an engine translating a backlog does not hold up a survey or a breach."""

    name: str
    batch: int
    workers: int
    lease_seconds: float
    # Woken, the lane lets this many seconds' jobs gather before it claims:
    # under a chat load every group commit writes a few translation jobs, and
    # a claim per commit would be a write transaction per commit beside them.
    gather_seconds: float
    # Under a backlog (a claim that came back full), the lane sleeps this
    # many times what the batch took: background work takes a bounded share
    # of the interpreter and the chat path keeps its share.
    yield_factor: float
    owner: str
    kinds: set[str] = field(default_factory=set)
    wake: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    pool: ThreadPoolExecutor | None = None
    # wait_idle's requests, and the newest one a pass that found nothing due
    # started after: a pass already under way when a job was written must
    # not answer for it.
    idle: threading.Condition = field(default_factory=threading.Condition)
    idle_requests: int = 0
    idle_served: int = 0


class JobRunner:
    """Runs every registered kind of job, one thread per lane.

    Features register handlers (`handle`, `handle_batch`), the events that
    cause jobs (`on_events`) and scheduled jobs (`every`) before `start`.
    Several runners, in one process or many, share the table safely."""

    def __init__(self, factory: sessionmaker[Session], *, name: str = "dragoman-jobs", batch: int = 10) -> None:
        self._factory = factory
        self._name = name
        self.owner = f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self._handlers: dict[str, Handler] = {}
        self._batch_handlers: dict[str, BatchHandler] = {}
        self._lane_of: dict[str, _Lane] = {}
        self._lanes: dict[str, _Lane] = {}
        self._from_events: list[EventToJobs] = []
        self._in_transaction: list[TransactionJobs] = []
        self._schedules: list[_Schedule] = []
        # The period key each schedule was last written for, by kind.
        self._scheduled: dict[str, str] = {}
        self._stopping = threading.Event()
        self.lane(MAIN_LANE, batch=batch)
        _watch_commits(factory, self)

    # -- registration ------------------------------------------------------------------------

    def lane(
        self,
        name: str,
        *,
        batch: int = 10,
        workers: int = 1,
        lease_seconds: float = LEASE_SECONDS,
        yield_factor: float = 0.0,
        gather_seconds: float = 0.0,
    ) -> str:
        """Declares a lane (its own thread); returns its name for `handle`."""
        if name not in self._lanes:
            self._lanes[name] = _Lane(
                name=name,
                batch=batch,
                workers=workers,
                lease_seconds=lease_seconds,
                yield_factor=yield_factor,
                gather_seconds=gather_seconds,
                owner=f"{self.owner}/{name}",
            )
        return name

    def _register(self, kind: str, lane: str) -> None:
        target = self._lanes[lane]
        previous = self._lane_of.get(kind)
        if previous is not None:
            previous.kinds.discard(kind)
        target.kinds.add(kind)
        self._lane_of[kind] = target

    def handle(self, kind: str, handler: Handler, *, lane: str = MAIN_LANE) -> None:
        self._register(kind, lane)
        self._handlers[kind] = handler

    def handle_batch(self, kind: str, handler: BatchHandler, *, lane: str = MAIN_LANE) -> None:
        """A kind whose claimed jobs run together (one engine pass, one
        transaction for many messages) rather than one by one."""
        self._register(kind, lane)
        self._batch_handlers[kind] = handler

    def handles(self, kind: str) -> bool:
        return kind in self._lane_of

    def on_events(self, to_jobs: EventToJobs) -> None:
        """Jobs that events ask for, written in the transaction that records
        the events (see `transaction_hook`). `to_jobs` runs in the committing
        transaction for every event: it decides from the event alone, no I/O."""
        self._from_events.append(to_jobs)

    def on_transaction(self, hook: TransactionJobs) -> None:
        """Like `on_events`, for a feature that must read the database to know
        whether an event makes work (a message its readers can read already
        needs no translation): it enqueues in the committing transaction."""
        self._in_transaction.append(hook)

    def every(self, kind: str, seconds: float, handler: Handler, *, lane: str = MAIN_LANE) -> None:
        """A scheduled job: written by the main lane once per period, run in `lane`."""
        self.handle(kind, handler, lane=lane)
        self._schedules.append(_Schedule(kind, seconds))

    # -- wiring --------------------------------------------------------------------------------

    def transaction_hook(self, session: Session, pending: list[events.Event]) -> None:
        """Runs before a commit that publishes events (core.events): the jobs
        they cause commit with them, or not at all."""
        for event in pending:
            for to_jobs in self._from_events:
                for spec in to_jobs(event):
                    enqueue(session, spec.kind, spec.payload, account_id=spec.account_id, key=spec.key)
        for hook in self._in_transaction:
            hook(session, pending)

    def wake(self, kind: str) -> None:
        """A job of `kind` was committed: its lane looks now rather than at
        its next poll. Every commit that wrote jobs through `enqueue` on this
        runner's session factory calls it (`_watch_commits`), so a lane wakes
        only when there is work for it."""
        lane = self._lane_of.get(kind)
        if lane is not None:
            lane.wake.set()

    def start(self) -> None:
        self._stopping.clear()
        for lane in self._lanes.values():
            if lane.thread is not None or not (lane.kinds or (lane.name == MAIN_LANE and self._schedules)):
                continue
            if lane.workers > 1:
                lane.pool = ThreadPoolExecutor(max_workers=lane.workers, thread_name_prefix=f"{self._name}-{lane.name}")
            suffix = "" if lane.name == MAIN_LANE else f"-{lane.name}"
            lane.thread = threading.Thread(target=self._run, args=(lane,), name=f"{self._name}{suffix}", daemon=True)
            lane.thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Each lane finishes the job at hand; what it claimed and did not
        start is taken again when the lease ends, here or elsewhere."""
        self._stopping.set()
        for lane in self._lanes.values():
            lane.wake.set()
        for lane in self._lanes.values():
            if lane.thread is not None:
                lane.thread.join(timeout=timeout)
                if lane.thread.is_alive():
                    log.warning("job lane %s still running at shutdown; its leases run out and its jobs are taken again", lane.name)
                lane.thread = None
            if lane.pool is not None:
                lane.pool.shutdown(wait=False, cancel_futures=True)
                lane.pool = None

    @property
    def running(self) -> bool:
        return any(lane.thread is not None and lane.thread.is_alive() for lane in self._lanes.values())

    def wait_idle(self, timeout: float = 10.0, *, lanes: Iterable[str] | None = None) -> bool:
        """For tests: True once, in every running lane (or those named), a
        pass that started after this call found nothing due."""
        deadline = time.monotonic() + timeout
        wanted_lanes = set(lanes) if lanes is not None else set(self._lanes)
        for lane in self._lanes.values():
            if lane.thread is None or lane.name not in wanted_lanes:
                continue
            with lane.idle:
                lane.idle_requests += 1
                wanted = lane.idle_requests
                lane.wake.set()
                served = lane.idle.wait_for(lambda lane=lane, wanted=wanted: lane.idle_served >= wanted, max(0.0, deadline - time.monotonic()))  # type: ignore[misc]
            if not served:
                return False
        return True

    # -- the loop ------------------------------------------------------------------------------

    def _run(self, lane: _Lane) -> None:
        while not self._stopping.is_set():
            with lane.idle:
                requested = lane.idle_requests
            lane.wake.clear()
            started = time.monotonic()
            try:
                if lane.name == MAIN_LANE:
                    self._schedule_next()
                ran = self._run_lane(lane)
            except Exception:  # noqa: BLE001 - the loop must outlive a database hiccup
                log.exception("the job runner's %s lane failed a pass", lane.name)
                ran = -1
            if ran > 0:
                if ran >= lane.batch and lane.yield_factor > 0:
                    self._stopping.wait(lane.yield_factor * (time.monotonic() - started))
                continue
            if ran == 0:
                with lane.idle:
                    lane.idle_served = requested
                    lane.idle.notify_all()
            try:
                pause = self._sleep_seconds(lane) if ran == 0 else MAX_SLEEP_SECONDS
            except Exception:  # noqa: BLE001
                log.exception("the job runner could not read its next due job")
                pause = MAX_SLEEP_SECONDS
            if lane.wake.wait(pause) and lane.gather_seconds > 0:
                self._stopping.wait(lane.gather_seconds)

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

    def _sleep_seconds(self, lane: _Lane) -> float:
        with self._factory() as db:
            earliest = db.scalar(select(func.min(Job.run_at)).where(Job.status == JobStatus.queued, Job.kind.in_(list(lane.kinds))))
        if earliest is None:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, (earliest - utcnow()).total_seconds()))

    def run_due(self) -> int:
        """Claims and runs what is due in every lane, once, in the calling
        thread; returns how many ran (tests, `dragoman` commands)."""
        return sum(self._run_lane(lane) for lane in self._lanes.values())

    def _run_lane(self, lane: _Lane) -> int:
        if not lane.kinds:
            return 0
        with self._factory() as db:
            jobs = claim(db, lane.owner, lane.kinds, limit=lane.batch, lease_seconds=lane.lease_seconds)
        singles = [job for job in jobs if job.kind in self._handlers]
        batches: dict[str, list[Job]] = {}
        for job in jobs:
            if job.kind in self._batch_handlers:
                batches.setdefault(job.kind, []).append(job)
        left: list[Job] = []
        for kind, group in batches.items():
            if self._stopping.is_set():
                left += group
                continue
            self._run_batch(lane, kind, group)
        if lane.pool is not None and len(singles) > 1 and not self._stopping.is_set():
            futures = [lane.pool.submit(self._run_one, lane, job) for job in singles]
            wait(futures)
        else:
            for n, job in enumerate(singles):
                if self._stopping.is_set():
                    left += singles[n:]
                    break
                self._run_one(lane, job)
        if left:
            # Stopping: what this lane claimed and did not start is given
            # back, due now for the next process rather than after the lease.
            with self._factory() as db:
                release(db, [job.id for job in left], lane.owner)
                db.commit()
        return len(jobs)

    def _run_one(self, lane: _Lane, job: Job) -> None:
        handler = self._handlers[job.kind]
        started = time.monotonic()
        try:
            with self._factory() as db:
                db.info[_CURRENT_JOB] = (job.id, lane.owner)
                handler(db, dict(job.payload or {}))
                finish(db, job.id, lane.owner)
                db.commit()
        except Exception as error:  # noqa: BLE001 - recorded on the job, retried
            self._failed(lane, [job], error)
        else:
            log.debug("job %s #%d done in %.3f s", job.kind, job.id, time.monotonic() - started)

    def _run_batch(self, lane: _Lane, kind: str, group: list[Job]) -> None:
        try:
            with self._factory() as db:
                self._batch_handlers[kind](db, [dict(job.payload or {}) for job in group])
                finish_many(db, [job.id for job in group], lane.owner)
                db.commit()
        except Exception as error:  # noqa: BLE001 - recorded on each job, retried
            self._failed(lane, group, error)

    def _failed(self, lane: _Lane, jobs: list[Job], error: Exception) -> None:
        for job in jobs:
            log.warning("job %s #%d failed (attempt %d): %s", job.kind, job.id, job.attempts, error)
        with self._factory() as db:
            statuses = [(job, fail(db, job, lane.owner, f"{type(error).__name__}: {error}")) for job in jobs]
            db.commit()
        for job, status in statuses:
            if status is JobStatus.dead:
                log.error("job %s #%d is dead after %d attempts", job.kind, job.id, job.attempts)
