"""Keeps the in-memory routing engine in step with the database and carries
out its decisions.

One thread owns the engine. Bus listeners only put jobs on its queue (the bus
calls listeners in the committing thread, after commit: they must not block
it, and must not write in its transaction). The thread sleeps on that queue
until a job comes or the engine's next step opens (`next_wakeup`), so a free
agent and a waiting customer are matched the moment both exist, with no
polling loop. Each batch of decisions is stored in one transaction: the
assignment (through `conversations.assign_conversation`), a "routed" activity
line with the reason, and a decision row.

Only `routing/feature.py` imports this module.
"""

from __future__ import annotations

import heapq
import logging
import queue as queue_module
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.accounts.events import MembershipChanged, PresenceChanged
from dragoman.accounts.models import User
from dragoman.conversations.events import (
    ConversationAssigned,
    ConversationCreated,
    ConversationPayload,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageCreated,
)
from dragoman.conversations.models import Conversation, ConversationStatus
from dragoman.conversations.schemas import ConversationOut
from dragoman.core import events
from dragoman.inboxes.models import Inbox
from dragoman.routing import services
from dragoman.routing.engine import Channel, Decision, Presence, RoutingEngine
from dragoman.calendars.hours import BusinessHours
from dragoman.calendars.services import from_epoch

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Job:
    kind: str  # "event" | "reload_all" | "reload_queues" | "reload_agents" | "route" | "call"
    event: events.Event | None = None
    ids: tuple[int, ...] = ()
    call: Callable[[RoutingEngine], Any] | None = None
    done: threading.Event | None = None
    result: list[Any] = field(default_factory=list)


class RoutingRuntime:
    def __init__(
        self,
        factory: sessionmaker[Session],
        clock: Callable[[], float] = time.time,
        translation_reach: services.TranslationReach | None = None,
    ) -> None:
        self._factory = factory
        self._clock = clock
        # Which languages machine translation connects, per account: what a
        # translation step may promise (None: not checked).
        self._translation_reach = translation_reach
        self.engine = RoutingEngine()
        self._jobs: queue_module.SimpleQueue[_Job | None] = queue_module.SimpleQueue()
        self._thread: threading.Thread | None = None
        # Assignments this runtime made, until their conversation.assigned
        # event comes back: those are not someone else's manual assignment.
        self._own: dict[int, int] = {}
        # Conversation id -> (agent, channel) of the open conversations agents hold.
        self._held: dict[int, tuple[int, Channel]] = {}
        # Queues whose agents must answer a routed conversation in time.
        self._answer_timeouts: dict[int, int] = {}
        # Routed conversations not answered yet: id -> (agent, deadline, seconds).
        self._awaiting: dict[int, tuple[int, float, int]] = {}
        self._deadlines: list[tuple[float, int]] = []
        # (when, user id): the next start or end of a scheduled agent's shift.
        self._shifts: list[tuple[float, int]] = []
        self._schedules: dict[int, BusinessHours] = {}
        # Taken back for want of an answer: back in line with their old wait.
        self._returning: set[int] = set()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self._idle = threading.Event()
        self._idle.set()

    # -- wiring ---------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is None:
            self._put(_Job("reload_all"))
            self._thread = threading.Thread(target=self._run, name="dragoman-routing", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._jobs.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def on_event(self, event: events.Event) -> None:
        """Bus listener: only queues the event (a reply only when routing
        waits for that conversation's answer)."""
        payload = event.payload
        if isinstance(payload, _HANDLED):
            self._put(_Job("event", event=event))
        elif isinstance(payload, MessageCreated):
            message = payload.message
            if message.direction == "outgoing" and message.conversation_id in self._awaiting:
                self._put(_Job("event", event=event))

    def accept(self, conversation_id: int, user_id: int) -> None:
        """The assignee accepted a routed conversation (an offer): no timeout."""
        self._put(_Job("accept", ids=(conversation_id, user_id)))

    def reload_all(self) -> None:
        self._put(_Job("reload_all"))

    def reload_queues(self) -> None:
        """After an admin changed queues or skills (called after commit)."""
        self._put(_Job("reload_queues"))

    def reload_agents(self, user_ids: Iterable[int]) -> None:
        self._put(_Job("reload_agents", ids=tuple(user_ids)))

    def route(self, conversation_ids: Iterable[int]) -> None:
        """Route these conversations again (their routing attributes changed)."""
        self._put(_Job("route", ids=tuple(conversation_ids)))

    def read(self, call: Callable[[RoutingEngine], Any], timeout: float = 5.0) -> Any:
        """Run `call(engine)` in the routing thread and return its result (the
        engine is not shared between threads). None if the thread is not running."""
        if self._thread is None:
            return None
        job = _Job("call", call=call, done=threading.Event())
        self._put(job)
        if not job.done.wait(timeout):  # type: ignore[union-attr]
            return None
        return job.result[0] if job.result else None

    def answer_deadlines_pending(self) -> int:
        """How many answer deadlines have not come yet (answered ones included
        until their time passes). For tests."""
        return len(self._deadlines)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: True once every queued job is done."""
        return self._idle.wait(timeout)

    def _put(self, job: _Job) -> None:
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._jobs.put(job)

    # -- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            wakes = [
                t
                for t in (
                    self.engine.next_wakeup(),
                    self._deadlines[0][0] if self._deadlines else None,
                    self._shifts[0][0] if self._shifts else None,
                )
                if t is not None
            ]
            timeout = None if not wakes else max(0.0, min(wakes) - self._clock())
            try:
                job = self._jobs.get(timeout=timeout)
            except queue_module.Empty:
                self._safely(lambda: self._apply(self.engine.tick(self._clock())))
                self._safely(self._take_back_unanswered)
                self._safely(self._shift_changes)
                continue
            if job is None:
                return
            try:
                self._safely(lambda: self._do(job))
            finally:
                if job.done is not None:
                    job.done.set()
                with self._pending_lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _safely(self, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - routing must outlive one bad job
            log.exception("routing job failed")

    def _do(self, job: _Job) -> None:
        now = self._clock()
        if job.kind == "call":
            assert job.call is not None
            job.result.append(job.call(self.engine))
        elif job.kind == "reload_all":
            self._reload_all(now)
        elif job.kind == "reload_queues":
            self._reload_queues(now)
        elif job.kind == "reload_agents":
            self._reload_agents(job.ids, now)
        elif job.kind == "route":
            self._enqueue_ids(job.ids, now, fresh=False)
        elif job.kind == "accept":
            conversation_id, user_id = job.ids
            if self._awaiting.get(conversation_id, (None,))[0] == user_id:
                del self._awaiting[conversation_id]
        elif job.kind == "event":
            assert job.event is not None
            self._on_event(job.event, now)

    # -- loading ----------------------------------------------------------------------------

    def _reload_all(self, now: float) -> None:
        self.engine = RoutingEngine()
        self._own.clear()
        self._held.clear()
        with self._factory() as db:
            for conversation_id, agent_id, channel_type in db.execute(_held_statement()):
                self._held[conversation_id] = (agent_id, services.inbox_channel(channel_type))
        self._reload_queues(now)
        self._reload_agents(None, now)

    def _reload_queues(self, now: float) -> None:
        with self._factory() as db:
            specs = services.queue_specs(db, self._translation_reach)
            self._answer_timeouts = services.answer_timeouts(db)
        wanted = {spec.id for spec in specs}
        decisions: list[Decision] = []
        for queue_id in self.engine.queue_ids():
            if queue_id not in wanted:
                decisions += self.engine.remove_queue(queue_id, now)
        for spec in specs:
            decisions += self.engine.upsert_queue(spec, now)
        self._apply(decisions)
        # Conversations already waiting in inboxes a queue now serves.
        inbox_ids = {inbox for spec in specs for inbox in spec.inbox_ids}
        with self._factory() as db:
            ids = [c.id for c in services.waiting_conversations(db, inbox_ids) if services.needs_routing(c)]
        self._enqueue_ids([i for i in ids if not self.engine.is_waiting(i)], now, fresh=False)

    def _shift_changes(self) -> None:
        """Agents whose shift starts or ends now: reloaded, so their effective
        presence follows their working hours (and a new shift takes waiting work)."""
        now = self._clock()
        due: set[int] = set()
        while self._shifts and self._shifts[0][0] <= now:
            due.add(heapq.heappop(self._shifts)[1])
        if due:
            self._reload_agents(due, now)

    def _reload_agents(self, user_ids: Iterable[int] | None, now: float) -> None:
        with self._factory() as db:
            specs, schedules = services.agent_specs_and_schedules(db, user_ids, now)
            loads = services.agent_loads(db, [s.id for s in specs] if user_ids is not None else None)
            if user_ids is not None:
                present = {spec.id for spec in specs}
                for gone in set(user_ids) - present:
                    self._apply(self.engine.remove_agent(gone, now))
        wanted = None if user_ids is None else set(user_ids)
        if wanted is None:
            self._schedules = dict(schedules)
        else:
            for user_id in wanted:
                self._schedules.pop(user_id, None)
            self._schedules.update(schedules)
        # One pending shift change per agent: the reloaded ones get theirs anew.
        self._shifts = [entry for entry in self._shifts if wanted is not None and entry[1] not in wanted]
        for user_id, hours in schedules.items():
            moment = hours.next_change(now)
            if moment is not None:
                self._shifts.append((moment, user_id))
        heapq.heapify(self._shifts)
        decisions: list[Decision] = []
        for spec in specs:
            decisions += self.engine.upsert_agent(spec, now, load=loads.get(spec.id, {}))
        self._apply(decisions)

    # -- events -----------------------------------------------------------------------------

    def _on_event(self, event: events.Event, now: float) -> None:
        payload = event.payload
        if isinstance(payload, PresenceChanged):
            # "break" is ready for when the foundation's presence has it.
            presence = {p.value: p for p in Presence}.get(payload.availability, Presence.offline)
            schedule = self._schedules.get(payload.user_id)
            if presence is Presence.online and schedule is not None and not schedule.is_open(now):
                presence = Presence.away  # online, but off shift: no new work until it starts
            self._apply(self.engine.set_presence(payload.user_id, presence, now))
            return
        if isinstance(payload, MembershipChanged):
            if payload.inbox_id is not None:
                # An inbox's teams changed: who may be given its conversations.
                self._reload_queues(now)
                self._reload_agents(None, now)
            else:
                self._reload_agents(payload.user_ids or [], now)
            return
        if not isinstance(payload, ConversationPayload):
            return
        conversation = payload.conversation
        conversation_id = conversation.id
        if isinstance(payload, MessageCreated):
            if payload.message.direction == "outgoing" and payload.message.sender_type == "user":
                # Answered in time, by the agent or by a colleague: someone is
                # answering the customer, and routing never moves it from them.
                self._awaiting.pop(conversation_id, None)
            return
        if isinstance(payload, ConversationAssigned):
            self._on_assigned(conversation_id, conversation, now)
        elif isinstance(payload, (ConversationCreated, ConversationUpdated)):
            updated = isinstance(payload, ConversationUpdated)
            if self.engine.is_waiting(conversation_id) and updated:
                self._enqueue_ids([conversation_id], now, fresh=False)  # language or priority changed
            elif not self.engine.is_waiting(conversation_id) and conversation_id not in self._held:
                self._enqueue_ids([conversation_id], now, fresh=updated)
        elif isinstance(payload, ConversationStatusChanged):
            self._on_status(conversation_id, conversation, now)

    def _on_assigned(self, conversation_id: int, conversation: ConversationOut, now: float) -> None:
        assignee = conversation.assignee.id if conversation.assignee is not None else None
        if self._own.get(conversation_id) == assignee and assignee is not None:
            del self._own[conversation_id]  # our own assignment coming back
            return
        # Someone assigned or unassigned by hand (or routing took it back).
        self._awaiting.pop(conversation_id, None)
        self.engine.withdraw(conversation_id)
        decisions: list[Decision] = []
        before = self._held.pop(conversation_id, None)
        if before is not None:
            decisions += self.engine.release(before[0], before[1], now)
        if assignee is not None and conversation.status == "open":
            channel = self._channel_of(conversation.inbox_id)
            self._held[conversation_id] = (int(assignee), channel)
            self.engine.note_assigned(int(assignee), channel, now)
        self._apply(decisions)
        if assignee is None and conversation.team is None and conversation.status == "open":
            # Handed back to the queue: waits from now, unless routing took it
            # back for want of an answer (the customer has waited all along).
            returning = conversation_id in self._returning
            self._returning.discard(conversation_id)
            self._enqueue_ids([conversation_id], now, fresh=not returning)

    def _on_status(self, conversation_id: int, conversation: ConversationOut, now: float) -> None:
        status = conversation.status
        assignee = conversation.assignee.id if conversation.assignee is not None else None
        if status == ConversationStatus.open.value:
            if assignee is not None and conversation_id not in self._held:
                channel = self._channel_of(conversation.inbox_id)
                self._held[conversation_id] = (int(assignee), channel)
                self.engine.note_assigned(int(assignee), channel, now)
            elif assignee is None:
                self._enqueue_ids([conversation_id], now, fresh=True)
            return
        # Resolved or pending: the agent's slot is free; nothing waits any more.
        self._awaiting.pop(conversation_id, None)
        self.engine.withdraw(conversation_id)
        held = self._held.pop(conversation_id, None)
        if held is not None:
            self._apply(self.engine.release(held[0], held[1], now))

    def _channel_of(self, inbox_id: Any) -> Channel:
        with self._factory() as db:
            inbox = db.get(Inbox, inbox_id) if inbox_id is not None else None
            return services.inbox_channel(inbox.channel_type if inbox is not None else "webchat")

    def _enqueue_ids(self, conversation_ids: Iterable[int], now: float, *, fresh: bool) -> None:
        """Read each conversation as committed and put it in line (fresh: its
        wait starts now, as after a reopen or a hand-back)."""
        decisions: list[Decision] = []
        with self._factory() as db:
            for conversation_id in conversation_ids:
                conversation = db.get(Conversation, conversation_id)
                if conversation is None or not services.needs_routing(conversation):
                    self.engine.withdraw(conversation_id)
                    continue
                moment = from_epoch(now) if fresh else None
                decision = self.engine.enqueue(services.waiting_spec(db, conversation, moment), now)
                if moment is not None and decision.outcome != "no_queue":
                    services.mark_enqueued(db, conversation_id, moment)
                decisions.append(decision)
            db.commit()
        self._apply(decisions)

    # -- carrying out decisions --------------------------------------------------------------

    def _apply(self, decisions: list[Decision]) -> None:
        """Store a batch of decisions in one transaction. An assignment that
        can no longer happen (the conversation was taken meanwhile) gives the
        agent's slot back, which may produce more decisions."""
        while decisions:
            worth = [d for d in decisions if d.outcome in ("assigned", "closed", "ticket") or d.reason.get("overflowed_from")]
            if not worth:
                return
            undone: list[Decision] = []
            gone: list[Decision] = []
            moment = from_epoch(self._clock())
            with self._factory() as db:
                for decision in worth:
                    result = services.store_decision(db, decision, moment)
                    if decision.outcome != "assigned":
                        continue
                    if result == services.AGENT_GONE:
                        gone.append(decision)
                    elif result == services.STORED:
                        assert decision.agent_id is not None
                        self._own[decision.conversation_id] = decision.agent_id
                        self._held[decision.conversation_id] = (decision.agent_id, decision.channel)
                        seconds = self._answer_timeouts.get(decision.queue_id or -1, 0)
                        if seconds:
                            deadline = self._clock() + seconds
                            self._awaiting[decision.conversation_id] = (decision.agent_id, deadline, seconds)
                            heapq.heappush(self._deadlines, (deadline, decision.conversation_id))
                    else:
                        undone.append(decision)
                try:
                    db.commit()
                except Exception:
                    # The engine now believes assignments that were not stored:
                    # start again from the database.
                    db.rollback()
                    self._put(_Job("reload_all"))
                    raise
            decisions = []
            now = self._clock()
            for decision in undone:
                assert decision.agent_id is not None
                decisions += self.engine.release(decision.agent_id, decision.channel, now)
            if gone:
                for decision in gone:
                    assert decision.agent_id is not None
                    decisions += self.engine.remove_agent(decision.agent_id, now)
                self._enqueue_ids([d.conversation_id for d in gone], now, fresh=False)


    def _take_back_unanswered(self) -> None:
        now = self._clock()
        while self._deadlines and self._deadlines[0][0] <= now:
            deadline, conversation_id = heapq.heappop(self._deadlines)
            awaiting = self._awaiting.get(conversation_id)
            if awaiting is None or awaiting[1] != deadline:
                continue  # answered, reassigned or resolved meanwhile
            del self._awaiting[conversation_id]
            agent_id, _deadline, seconds = awaiting
            with self._factory() as db:
                self._returning.add(conversation_id)
                assigned_at = from_epoch(deadline - seconds)
                if services.take_back_unanswered(db, conversation_id, agent_id, seconds, assigned_at):
                    db.commit()
                else:
                    self._returning.discard(conversation_id)


def _held_statement() -> Any:
    """Open conversations agents hold: each counts against a capacity."""
    return (
        select(Conversation.id, Conversation.assignee_id, Inbox.channel_type)
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .join(User, User.id == Conversation.assignee_id)
        .where(Conversation.status == ConversationStatus.open)
    )


_HANDLED = (
    ConversationCreated,
    ConversationUpdated,
    ConversationAssigned,
    ConversationStatusChanged,
    PresenceChanged,
    MembershipChanged,
)
