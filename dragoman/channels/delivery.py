"""The one outbound delivery pipeline: a reply to a channel that delivers
later (e-mail today) becomes a durable job (core/jobs.py) written in the
same transaction as the reply, so a process that dies right after the agent
pressed Send still sends it, and nothing twice.

Each try calls the channel's adapter (`OutboundAdapter.send`). A failure that
may pass (a server down) is tried again after the channel's own waits
(`retry_seconds`), each try its own job; a permanent one (an unknown
recipient), or the last try, marks the message failed with the channel's
reason. Every change of a message's delivery status is recorded as
message.updated, so the console shows it beside the reply at once.

Pure decisions (`next_step`) have no I/O.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from dragoman.channels.events import DeliveryRetried
from dragoman.conversations import services as conversations
from dragoman.conversations.events import MessageCreated
from dragoman.conversations.models import Conversation, DeliveryStatus, Direction, Message
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.jobs import Job, JobRunner, JobSpec, JobStatus, enqueue
from dragoman.core.outbound import response_excerpt
from dragoman.inboxes.channel_kinds import DeliveryFailed, OutboundAdapter
from dragoman.inboxes.models import Inbox

log = logging.getLogger(__name__)

DELIVER = "channels.deliver"
# Its own lane (thread): a mail server that takes its whole timeout holds up no survey or SLA note.
DELIVERY_LANE = "delivery"
# The most of a channel's reason a message keeps: one line an agent reads.
REASON_CHARS = 400


@dataclass(frozen=True)
class Step:
    """What becomes of a message after a failed try."""

    status: DeliveryStatus  # queued (tried again) or failed
    retry_in_seconds: float | None  # when the next try runs; None when given up


def next_step(attempt: int, retry_seconds: Sequence[float], permanent: bool) -> Step:
    """After try number `attempt` (1 = the first) failed: tried again after
    the channel's wait for that try, or failed for good when the failure is
    permanent or every wait is used up."""
    if permanent or attempt > len(retry_seconds):
        return Step(DeliveryStatus.failed, None)
    return Step(DeliveryStatus.queued, float(retry_seconds[attempt - 1]))


def delivery_job(message_id: int, attempt: int, account_id: int | None) -> JobSpec:
    # The key makes each try one job, however often the event that asks for it is handled.
    return JobSpec(DELIVER, {"message_id": message_id, "attempt": attempt}, account_id=account_id, key=f"{message_id}:{attempt}")


def jobs_for(event: events.Event) -> Sequence[JobSpec]:
    """A reply stored as queued asks for its first try, an agent's retry for
    a new first try (core.jobs writes it in the same transaction)."""
    payload = event.payload
    if isinstance(payload, DeliveryRetried):
        key = f"{payload.message_id}:{payload.series}"
        return (JobSpec(DELIVER, {"message_id": payload.message_id, "attempt": 1}, account_id=event.account_id, key=key),)
    if not isinstance(payload, MessageCreated):
        return ()
    message = payload.message
    if message.direction != "outgoing" or message.delivery_status != DeliveryStatus.queued.value:
        return ()
    return (delivery_job(message.id, 1, event.account_id),)


def set_delivery_status(db: Session, message: Message, status: DeliveryStatus, reason: str | None = None) -> None:
    """Records the status (and the channel's reason) and announces the
    change as message.updated. The caller commits. Also for a channel that
    reports later what became of a message (delivered, read)."""
    message.delivery_status = status.value
    message.delivery_error = response_excerpt(reason, REASON_CHARS) if reason else None
    conversation = db.get(Conversation, message.conversation_id)
    if conversation is not None:
        db.flush()
        conversations.record_message_updated(db, conversation, message)


class DeliveryPipeline:
    """Runs delivery jobs with the adapters channels hand it (`use`: each
    channel's feature.py that sends replies, from the "delivery" service)."""

    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._adapters: dict[str, OutboundAdapter] = {}
        self._clock = clock

    def register(self, runner: JobRunner) -> None:
        """The delivery job and the events that ask for it (channels/feature.py)."""
        runner.handle(DELIVER, self._deliver, lane=runner.lane(DELIVERY_LANE))
        runner.on_events(jobs_for)

    def use(self, channel_type: str, adapter: OutboundAdapter) -> None:
        self._adapters[channel_type] = adapter

    def _deliver(self, db: Session, payload: dict[str, Any]) -> None:
        message = db.get(Message, int(payload["message_id"]))
        # Runs at least once: a message sent (or given up on) since is left alone.
        if message is None or message.direction is not Direction.outgoing or message.delivery_status != DeliveryStatus.queued.value:
            return
        attempt = int(payload.get("attempt", 1))
        inbox = db.get(Inbox, message.inbox_id)
        adapter = self._adapters.get(inbox.channel_type) if inbox is not None else None
        if adapter is None:
            # The channel's runtime is not running in this process: the job's own retries wait for it.
            raise RuntimeError(f"no adapter sends {inbox.channel_type if inbox else 'a deleted inbox'}'s messages here")
        try:
            adapter.send(db, message)
        except DeliveryFailed as failure:
            step = next_step(attempt, adapter.retry_seconds, failure.permanent)
            log.warning(
                "message %d not delivered (try %d%s): %s", message.id, attempt, ", giving up" if step.retry_in_seconds is None else "", failure.reason
            )
            set_delivery_status(db, message, step.status, failure.reason)
            if step.retry_in_seconds is not None:
                spec = delivery_job(message.id, attempt + 1, message.account_id)
                enqueue(db, spec.kind, spec.payload, account_id=spec.account_id, key=spec.key, run_at=self._clock() + timedelta(seconds=step.retry_in_seconds))
            db.commit()
            return
        set_delivery_status(db, message, DeliveryStatus.sent)
        db.commit()


def try_waiting_now(db: Session, inbox_id: int) -> int:
    """The next try of every reply of the inbox that waits to be tried again
    runs now rather than after its wait; returns how many. Changed settings
    (a mail server fixed) are worth a try at once."""
    waiting = set(
        db.scalars(
            select(Message.id).where(
                Message.inbox_id == inbox_id, Message.direction == Direction.outgoing, Message.delivery_status == DeliveryStatus.queued.value
            )
        )
    )
    if not waiting:
        return 0
    jobs = db.scalars(select(Job).where(Job.kind == DELIVER, Job.status == JobStatus.queued, Job.run_at > utcnow()))
    due = [job.id for job in jobs if int((job.payload or {}).get("message_id", 0)) in waiting]
    if due:
        db.execute(update(Job).where(Job.id.in_(due), Job.status == JobStatus.queued).values(run_at=utcnow()))
    return len(due)


def retry_delivery(db: Session, conversation: Conversation, message_id: int) -> Message:
    """An agent's retry of a reply that failed: queued again, first try now.
    The caller commits. Only a failed reply can be retried (a 422 otherwise)."""
    message = conversations.get_message(db, conversation, message_id)
    if message.direction is not Direction.outgoing:
        raise NotFound(f"message {message_id} not found", field="message_id")
    if message.delivery_status != DeliveryStatus.failed.value:
        raise InvalidInput("only a reply whose delivery failed can be sent again", field="message_id")
    set_delivery_status(db, message, DeliveryStatus.queued)
    # A new series of tries (its own key), written with this event by `jobs_for`.
    series = f"retry-{utcnow().isoformat()}"
    events.record_event(db, events.Event(message.account_id, DeliveryRetried(message_id=message.id, series=series)))
    return message
