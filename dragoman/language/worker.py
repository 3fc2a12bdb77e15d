"""Translating incoming messages after they are stored, off the request path.

Subscribed to the event bus: `message.created` for a customer's message
queues it; `conversation.assigned` queues the conversation's recent customer
messages, so a new assignee who reads another language finds them translated.
One thread takes the queue in order, translates each message into the working
languages of the agents who will read it, stores the result on the message and
records `message.updated`, which the realtime hub pushes to those agents.

This module, like the routes, joins language and conversations; only
`app.py` imports it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, Direction, Message
from dragoman.core import events
from dragoman.language import services
from dragoman.language.pipeline import TranslationResult
from dragoman.language.runtime import LanguageRuntime

log = logging.getLogger(__name__)

BACKFILL_MESSAGES = 20


@dataclass(frozen=True)
class _Job:
    message_id: int | None = None
    conversation_id: int | None = None  # backfill after an assignment


def record_message_updated(db: Session, conversation: Conversation, message: Message) -> None:
    data = {
        "conversation": conversations.conversation_out(db, conversation).model_dump(mode="json"),
        "message": conversations.message_out(db, message).model_dump(mode="json"),
    }
    events.record_event(db, events.Event(events.MESSAGE_UPDATED, conversation.account_id, data))


def translate_message(
    db: Session, runtime: LanguageRuntime, message: Message, target: str, *, force: bool = False
) -> TranslationResult | None:
    """Translate one stored message into `target` and store the result; None
    when there was nothing to do (already there, same language, no text)."""
    source = services.message_language(message)
    existing = ((message.attributes or {}).get("translations") or {}).get(target)
    if existing is not None and existing.get("status") == "translated" and not force:
        return None
    if source is None:
        result = TranslationResult(source="", target=target, status="not_translated", reason="not translated: language unknown")
    elif source == target:
        return None
    else:
        result = services.translate_for_account(db, runtime, message.account_id, message.content, source, target)
    services.store_message_translation(db, Message, message.id, result)
    return result


class TranslationWorker:
    def __init__(self, factory: sessionmaker[Session], runtime: LanguageRuntime) -> None:
        self._factory = factory
        self._runtime = runtime
        self._queue: queue.SimpleQueue[_Job | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._pending = 0
        self._pending_lock = threading.Lock()
        self.on_failure: Callable[[Exception], None] | None = None

    # -- wiring -------------------------------------------------------------------

    def on_event(self, event: events.Event) -> None:
        """Bus listener: only queues, so the publisher never waits for an engine."""
        if event.name == events.MESSAGE_CREATED:
            message = event.data.get("message") or {}
            if message.get("direction") == "incoming":
                self._put(_Job(message_id=message["id"]))
        elif event.name == events.CONVERSATION_ASSIGNED:
            conversation = event.data.get("conversation") or {}
            if conversation.get("id") is not None:
                self._put(_Job(conversation_id=conversation["id"]))

    def _put(self, job: _Job) -> None:
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(job)

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="dragoman-translation", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=15)
            self._thread = None

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: True once everything queued is done."""
        return self._idle.wait(timeout)

    # -- work ---------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None:
                return
            try:
                self._do(job)
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad message
                log.exception("translation of %s failed", job)
                if self.on_failure is not None:
                    self.on_failure(exc)
            finally:
                with self._pending_lock:
                    self._pending -= 1
                    if self._pending == 0:
                        self._idle.set()

    def _do(self, job: _Job) -> None:
        with self._factory() as db:
            if job.message_id is not None:
                ids = [job.message_id]
            else:
                ids = list(
                    db.scalars(
                        select(Message.id)
                        .where(Message.conversation_id == job.conversation_id, Message.direction == Direction.incoming)
                        .order_by(Message.id.desc())
                        .limit(BACKFILL_MESSAGES)
                    )
                )[::-1]
            for message_id in ids:
                self._translate_one(db, message_id)

    def _translate_one(self, db: Session, message_id: int) -> None:
        message = db.get(Message, message_id)
        if message is None:
            return
        conversation = db.get(Conversation, message.conversation_id)
        if conversation is None:
            return
        changed = False
        for target in services.working_languages(db, conversation):
            if translate_message(db, self._runtime, message, target) is not None:
                changed = True
        if changed:
            db.refresh(message)
            record_message_updated(db, conversation, message)
            db.commit()
        else:
            db.rollback()

