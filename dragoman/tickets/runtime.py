"""The SLA thread: keeps tickets' timers in step with what happens in their
conversations, and fires warnings and breaches when they come.

Bus listeners only queue work (they run in the committing thread). The thread
sleeps until a job comes or the earliest stored check (`next_check_at`) is
due, so a breach fires on time with no polling of every ticket; deadlines are
in the database, so a restart picks up where the last process stopped.

Only `tickets/feature.py` imports this module.
"""

from __future__ import annotations

import logging
import queue as queue_module
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations.events import MessageCreated
from dragoman.conversations.models import Conversation
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.tickets import services
from dragoman.tickets.events import TicketCreated, TicketUpdated
from dragoman.tickets.models import Ticket

log = logging.getLogger(__name__)

# The longest the thread sleeps without looking (a timer stored by another
# process, or a clock change): checks are cheap, reading only what is due.
MAX_SLEEP_SECONDS = 30.0


@dataclass(frozen=True)
class _Job:
    conversation_id: int
    kind: str  # "agent_reply" | "customer_message" | "wake"
    at: datetime | None = None


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


class SlaRuntime:
    def __init__(self, factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._factory = factory
        self._clock = clock
        self._jobs: queue_module.SimpleQueue[_Job | None] = queue_module.SimpleQueue()
        self._thread: threading.Thread | None = None
        # Conversations that are tickets: a chat message elsewhere costs no query.
        self._ticket_conversations: set[int] = set()
        self._busy = threading.Lock()
        self._pending = 0
        self._idle = threading.Condition()

    # -- wiring ------------------------------------------------------------------------

    def start(self) -> None:
        # Started twice (a second lifespan on the same app), a second thread
        # would orphan the first: nothing would ever stop it.
        if self._thread is not None:
            return
        with self._factory() as db:
            self._ticket_conversations = set(db.scalars(select(Ticket.conversation_id)))
        self._thread = threading.Thread(target=self._run, name="dragoman-sla", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=5)
            self._thread = None

    def _put(self, job: _Job) -> None:
        with self._idle:
            self._pending += 1
        self._jobs.put(job)

    def on_event(self, event: events.Event) -> None:
        payload = event.payload
        if isinstance(payload, TicketCreated):
            self._ticket_conversations.add(payload.ticket.conversation_id)
            self._put(_Job(payload.ticket.conversation_id, "wake"))
        elif isinstance(payload, TicketUpdated):
            self._put(_Job(payload.ticket.conversation_id, "wake"))
        elif isinstance(payload, MessageCreated):
            message = payload.message
            conversation_id = message.conversation_id
            if conversation_id not in self._ticket_conversations:
                return
            if message.direction == "incoming":
                self._put(_Job(conversation_id, "customer_message", _moment(message.created_at)))
            elif message.direction == "outgoing" and message.sender_type == "user":
                # Only a person's reply meets a response promise (not the
                # FAQ bot's, not an automatic reply).
                self._put(_Job(conversation_id, "agent_reply", _moment(message.created_at)))

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Tests: every queued job handled."""
        with self._idle:
            return self._idle.wait_for(lambda: self._pending == 0, timeout)

    # -- the thread --------------------------------------------------------------------

    def apply(self, jobs: list[_Job], now: datetime) -> list[tuple[int, str, str]]:
        """Handle `jobs`, then fire what is due at `now`; one transaction."""
        with self._busy, self._factory() as db:
            for job in jobs:
                if job.kind == "wake":
                    continue
                ticket = services.ticket_for_conversation(db, job.conversation_id)
                conversation = db.get(Conversation, job.conversation_id)
                if ticket is None or conversation is None:
                    continue
                at = job.at or now
                if job.kind == "agent_reply":
                    services.note_agent_reply(db, ticket, conversation, at)
                else:
                    services.note_customer_message(db, ticket, conversation, at)
                db.flush()
            fired = services.sweep_sla(db, now)
            db.commit()
            return fired

    def sweep_now(self, now: datetime | None = None) -> list[tuple[int, str, str]]:
        return self.apply([], now or self._clock())

    def _sleep_seconds(self) -> float:
        with self._factory() as db:
            upcoming = services.next_check(db)
        if upcoming is None:
            return MAX_SLEEP_SECONDS
        return max(0.0, min(MAX_SLEEP_SECONDS, (upcoming - self._clock()).total_seconds()))

    def _run(self) -> None:
        timeout = 0.0
        while True:
            try:
                job = self._jobs.get(timeout=timeout)
            except queue_module.Empty:
                job = _Job(0, "wake")
            if job is None:
                return
            jobs = [job]
            while True:  # take what else is queued: one transaction for a burst
                try:
                    extra = self._jobs.get_nowait()
                except queue_module.Empty:
                    break
                if extra is None:
                    self._jobs.put(None)
                    break
                jobs.append(extra)
            try:
                self.apply(jobs, self._clock())
                timeout = self._sleep_seconds()
            except Exception:  # noqa: BLE001 - the thread must outlive one bad job
                log.exception("SLA thread failed on %d jobs", len(jobs))
                timeout = 1.0
            finally:
                counted = sum(1 for j in jobs if j.conversation_id or j.kind != "wake")
                with self._idle:
                    self._pending = max(0, self._pending - counted)
                    self._idle.notify_all()
