"""Translating incoming messages after they are stored, off the request path.

Subscribed to the event bus: `message.created` for a customer's message
queues it; `conversation.assigned` queues the conversation's recent customer
messages, so a new assignee who reads another language finds them translated.
At start, recently active conversations are queued the same way, for what
was stored while no translator ran.
One thread takes the queue in order, translates each message into the working
languages of the agents who will read it, stores the result on the message and
records `message.updated`, which the realtime hub pushes to those agents.

It lives with conversations: the language package translates text and
knows no conversations.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationAssigned, MessageCreated
from dragoman.conversations.models import Conversation, Direction, Message
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.language import services
from dragoman.language.pipeline import TranslationResult
from dragoman.language.models import TranslationMemory
from dragoman.language.runtime import LanguageRuntime

log = logging.getLogger(__name__)

BACKFILL_MESSAGES = 20
# At start, the conversations active this recently (the most recent first,
# this many at most) are looked at again: customers' messages stored while
# no translator ran (a stop with a backlog, or written by `dragoman demo`)
# get their translations; those translated already cost a read.
RESTART_WINDOW = timedelta(days=30)
RESTART_CONVERSATIONS = 200
BATCH = 16
WRITE_CHUNK = 4
BUSY_BACKLOG = 32
YIELD_FACTOR = 9.0


@dataclass(frozen=True)
class _Job:
    message_id: int | None = None
    conversation_id: int | None = None  # backfill after an assignment


def translation_needed(
    db: Session,
    runtime: LanguageRuntime,
    message: Message,
    target: str,
    *,
    force: bool = False,
    pending: list[TranslationMemory] | None = None,
) -> TranslationResult | None:
    """The translation of a stored message into `target`, not yet stored;
    None when there is nothing to do (already there, same language)."""
    if (message.attributes or {}).get("text_is_file_name"):
        return None  # a file the customer sent, its name as the text
    source = services.message_language(message)
    existing = ((message.attributes or {}).get("translations") or {}).get(target)
    # Done, or impossible here (no engine, language unknown): only an engine
    # that failed (a timeout, a crash) is worth another try.
    if existing is not None and not force and (existing.get("status") == "translated" or not existing.get("attempts")):
        return None
    if source is None:
        return TranslationResult(source="", target=target, status="not_translated", reason="not translated: language unknown")
    if source == target:
        return None
    return services.translate_for_account(
        db, runtime, message.account_id, message.content, source, target, pending_memory=pending
    )


def translate_message(
    db: Session, runtime: LanguageRuntime, message: Message, target: str, *, force: bool = False
) -> TranslationResult | None:
    """Translate one stored message into `target` and store the result."""
    result = translation_needed(db, runtime, message, target, force=force)
    if result is not None:
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
        self._stopping = threading.Event()
        self.on_failure: Callable[[Exception], None] | None = None

    # -- wiring -------------------------------------------------------------------

    def on_event(self, event: events.Event) -> None:
        """Bus listener: only queues, so the publisher never waits for an engine."""
        payload = event.payload
        if isinstance(payload, MessageCreated):
            if payload.message.direction == "incoming":
                self._put(_Job(message_id=payload.message.id))
        elif isinstance(payload, ConversationAssigned):
            self._put(_Job(conversation_id=payload.conversation.id))

    def _put(self, job: _Job) -> None:
        with self._pending_lock:
            self._pending += 1
            self._idle.clear()
        self._queue.put(job)

    def start(self) -> None:
        if self._thread is None:
            try:
                self._queue_recent()
            except Exception as exc:  # noqa: BLE001 - new messages are translated all the same
                log.exception("looking for messages left untranslated failed")
                if self.on_failure is not None:
                    self.on_failure(exc)
            self._thread = threading.Thread(target=self._run, name="dragoman-translation", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Finishes the message at hand and leaves the rest: they are stored,
        shown in the original, and can be translated on request."""
        if self._thread is not None:
            self._stopping.set()
            self._queue.put(None)
            self._thread.join(timeout=15)
            self._thread = None
            self._stopping.clear()

    @property
    def backlog(self) -> int:
        """Jobs queued and not yet done (shown by GET /api/health)."""
        return self._pending

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: True once everything queued is done."""
        return self._idle.wait(timeout)

    # -- work ---------------------------------------------------------------------

    def _queue_recent(self) -> None:
        with self._factory() as db:
            recent = list(
                db.scalars(
                    select(Conversation.id)
                    .where(Conversation.last_activity_at >= utcnow() - RESTART_WINDOW)
                    .order_by(Conversation.last_activity_at.desc())
                    .limit(RESTART_CONVERSATIONS)
                )
            )
        for conversation_id in recent:
            self._put(_Job(conversation_id=conversation_id))

    def _run(self) -> None:
        while True:
            job = self._queue.get()
            if job is None or self._stopping.is_set():
                return
            batch = [job]
            while len(batch) < BATCH:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._stopping.set()
                    break
                batch.append(more)
            started = time.monotonic()
            try:
                self._do(batch)
            except Exception as exc:  # noqa: BLE001 - the worker must outlive one bad batch
                log.exception("translation of %d queued messages failed", len(batch))
                if self.on_failure is not None:
                    self.on_failure(exc)
            finally:
                with self._pending_lock:
                    self._pending -= len(batch)
                    backlog = self._pending
                    if backlog == 0:
                        self._idle.set()
            if self._stopping.is_set():
                return
            if backlog > BUSY_BACKLOG:
                # Under a flood of messages, translations fall behind
                # whatever we do; storing and pushing messages must not. So
                # then the worker takes a tenth of the interpreter at most
                # (benchmarks/message_path.py; docs/benchmarks.md).
                self._stopping.wait(YIELD_FACTOR * (time.monotonic() - started))

    def _do(self, batch: list[_Job]) -> None:
        """Engines first, with nothing written (on SQLite a write would hold
        the database's write lock for as long as an engine works); then all
        of the batch's writes in one short transaction."""
        with self._factory() as db:
            done: list[tuple[Message, list[TranslationResult]]] = []
            pending: list[TranslationMemory] = []
            for job in batch:
                for message_id in self._message_ids(db, job):
                    try:
                        found = self._translate_one(db, message_id, pending)
                    except Exception as exc:  # noqa: BLE001 - logged; the others go on
                        log.exception("translation of message %s failed", message_id)
                        if self.on_failure is not None:
                            self.on_failure(exc)
                        continue
                    if found is not None:
                        done.append(found)
            if not done:
                return
            services.store_memory(db, pending)
            # A few messages per transaction: on SQLite the write lock is the
            # chat path's too, and a whole batch held it long enough for
            # customers' messages to wait tens of milliseconds behind it.
            for start in range(0, len(done), WRITE_CHUNK):
                for message, results in done[start : start + WRITE_CHUNK]:
                    for result in results:
                        services.store_message_translation(db, Message, message.id, result)
                    conversation = db.get(Conversation, message.conversation_id)
                    if conversation is not None:
                        conversations.record_message_updated(db, conversation, message)
                db.commit()
                time.sleep(0)  # lets a thread waiting for the write lock take it

    def _message_ids(self, db: Session, job: _Job) -> list[int]:
        if job.message_id is not None:
            return [job.message_id]
        return list(
            db.scalars(
                select(Message.id)
                .where(Message.conversation_id == job.conversation_id, Message.direction == Direction.incoming)
                .order_by(Message.id.desc())
                .limit(BACKFILL_MESSAGES)
            )
        )[::-1]

    def _translate_one(
        self, db: Session, message_id: int, pending: list[TranslationMemory]
    ) -> tuple[Message, list[TranslationResult]] | None:
        message = db.get(Message, message_id)
        if message is None:
            return None
        conversation = db.get(Conversation, message.conversation_id)
        if conversation is None:
            return None
        results = []
        for target in services.working_languages(db, conversation):
            result = translation_needed(db, self._runtime, message, target, pending=pending)
            if result is not None:
                results.append(result)
        return (message, results) if results else None
