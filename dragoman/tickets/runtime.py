"""SLA clocks as durable jobs (core.jobs): tickets' timers kept in step with
what happens in their conversations, and warnings and breaches fired when
they come.

- A message in a ticket's conversation, a ticket created or changed: a
  `tickets.sla_note` job written in the same transaction, so a customer's
  message that restarts a clock is not forgotten if the process dies.
- The earliest stored check (`next_check_at`): a `tickets.sla_due` job due at
  that moment (keyed by it, so every process writes it once), so a breach
  fires on time with no polling of every ticket.
- A `tickets.sla_sweep` scheduled every minute catches what no job asked for
  (a clock change, timers written by `dragoman demo`).

Deadlines live in the database; a restarted process picks up where the last
one stopped. Only `app.py` imports this module.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations.events import MessageCreated
from dragoman.conversations.models import Conversation
from dragoman.conversations.schemas import MessageOut
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.jobs import JobRunner, JobSpec, enqueue
from dragoman.tickets import services
from dragoman.tickets.events import TicketCreated, TicketUpdated
from dragoman.tickets.models import Ticket

log = logging.getLogger(__name__)

SLA_NOTE = "tickets.sla_note"
SLA_DUE = "tickets.sla_due"
SLA_SWEEP = "tickets.sla_sweep"
SLA_LANE = "sla"
SWEEP_EVERY_SECONDS = 60.0


def _moment(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=None)


def note_for_message(message: MessageOut) -> dict[str, Any] | None:
    """What a message in a ticket's conversation does to its clocks: a
    customer's message and a person's reply count; the FAQ bot's answer, an
    automatic reply and a note do not."""
    if message.direction == "incoming":
        what = "customer_message"
    elif message.direction == "outgoing" and message.sender_type == "user":
        what = "agent_reply"
    else:
        return None
    return {"conversation_id": message.conversation_id, "what": what, "at": message.created_at}


class SlaRuntime:
    """The SLA clock's work, run by the job runner's `sla` lane."""

    def __init__(self, factory: sessionmaker[Session], clock: Callable[[], datetime] = utcnow) -> None:
        self._factory = factory
        self._clock = clock
        self.runner: JobRunner | None = None
        # Conversations that are tickets: a chat message elsewhere writes no job.
        self._ticket_conversations: set[int] = set()

    # -- wiring ------------------------------------------------------------------------

    def start(self) -> None:
        """Reads which conversations are tickets, and sweeps once now: what
        came due while no process ran fires at once."""
        with self._factory() as db:
            self._ticket_conversations = set(db.scalars(select(Ticket.conversation_id)))
            enqueue(db, SLA_DUE, {}, run_at=self._clock())
            db.commit()
        if self.runner is not None:
            self.runner.wake(SLA_DUE)

    def stop(self) -> None:
        """Nothing to stop: the job runner runs the clocks."""

    def jobs_for(self, event: events.Event) -> Sequence[JobSpec]:
        """The jobs an event asks for (decided from the event and the set of
        ticket conversations; no query)."""
        payload = event.payload
        if isinstance(payload, (TicketCreated, TicketUpdated)):
            conversation_id = payload.ticket.conversation_id
            self._ticket_conversations.add(conversation_id)
            return (JobSpec(SLA_NOTE, {"conversation_id": conversation_id, "what": "wake"}, account_id=event.account_id),)
        if isinstance(payload, MessageCreated):
            message = payload.message
            if message.conversation_id not in self._ticket_conversations:
                return ()
            note = note_for_message(message)
            if note is not None:
                return (JobSpec(SLA_NOTE, note, account_id=event.account_id),)
        return ()

    def wait_idle(self, timeout: float = 5.0) -> bool:
        """Tests: every note written so far applied."""
        return self.runner.wait_idle(timeout) if self.runner is not None else True

    # -- the work ----------------------------------------------------------------------

    def apply(self, db: Session, notes: list[dict[str, Any]], now: datetime) -> list[tuple[int, str, str]]:
        """Apply `notes`, fire what is due at `now`, and ask for the next
        check, in the caller's transaction (a job's: its work and its "done"
        commit together)."""
        for note in notes:
            if note.get("what") not in ("agent_reply", "customer_message"):
                continue
            conversation_id = int(note["conversation_id"])
            ticket = services.ticket_for_conversation(db, conversation_id)
            conversation = db.get(Conversation, conversation_id)
            if ticket is None or conversation is None:
                continue
            at = _moment(note.get("at")) or now
            if note["what"] == "agent_reply":
                services.note_agent_reply(db, ticket, conversation, at)
            else:
                services.note_customer_message(db, ticket, conversation, at)
            db.flush()
        fired = services.sweep_sla(db, now)
        upcoming = services.next_check(db)
        if upcoming is not None and upcoming > now:
            # Keyed by the moment: however many sweeps see the same next
            # check, in however many processes, one job fires it.
            enqueue(db, SLA_DUE, {}, key=f"at:{upcoming.isoformat()}", run_at=upcoming, max_attempts=3)
        return fired

    def sweep_now(self, now: datetime | None = None) -> list[tuple[int, str, str]]:
        with self._factory() as db:
            fired = self.apply(db, [], now or self._clock())
            db.commit()
            return fired

    def _notes(self, db: Session, payloads: list[dict[str, Any]]) -> None:
        self.apply(db, payloads, self._clock())

    def _sweep(self, db: Session, _payload: dict[str, Any]) -> None:
        self.apply(db, [], self._clock())


def register_sla_jobs(runner: JobRunner, factory: sessionmaker[Session]) -> SlaRuntime:
    sla = SlaRuntime(factory)
    sla.runner = runner
    runner.lane(SLA_LANE, batch=50)
    # Notes come in bursts (a chat on a ticket): one transaction for all due.
    runner.handle_batch(SLA_NOTE, sla._notes, lane=SLA_LANE)
    runner.handle(SLA_DUE, sla._sweep, lane=SLA_LANE)
    runner.every(SLA_SWEEP, SWEEP_EVERY_SECONDS, sla._sweep, lane=SLA_LANE)
    runner.on_events(sla.jobs_for)
    return sla
