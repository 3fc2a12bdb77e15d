"""Translating incoming messages after they are stored, off the request path.

Durable jobs (core.jobs), written in the transaction that stores the change:
a customer's message that some reader cannot read as it is asks for its
translation; `conversation.assigned` asks for the conversation's recent
customer messages, so a new assignee who reads another language finds them
translated. At start, recently active conversations are looked at again, for
what was stored while no job could be written.
The runner's `translation` lane takes the jobs in order, translates each
message into the working languages of the agents who will read it, stores the
result on the message and records `message.updated`, which the realtime hub
pushes to those agents.

It lives with conversations: the language package translates text and
knows no conversations.
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationAssigned, MessageCreated
from dragoman.conversations.models import Conversation, Direction, Message
from dragoman.conversations.schemas import ConversationOut
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.jobs import JobRunner, enqueue, waiting
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
YIELD_FACTOR = 9.0
GATHER_SECONDS = 0.05


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


TRANSLATE = "conversations.translate"
# At start: the recently active conversations looked at again.
TRANSLATE_RECENT = "conversations.translate_recent"
TRANSLATION_LANE = "translation"


def _readers_of(db: Session, account_id: int, assignee_id: int | None, team_id: int | None) -> list[str]:
    """`services.working_languages` of the conversation an event describes."""
    return services.working_languages(db, SimpleNamespace(account_id=account_id, assignee_id=assignee_id, team_id=team_id))


# How long who reads a conversation (its account, assignee and team) is
# remembered between commits: the writer's group commits would otherwise each
# query it, on the chat path, under SQLite's write lock. A working language
# changed meanwhile counts after this long; an assignment always counts at
# once (it asks for the conversation's recent messages).
READERS_TTL_SECONDS = 5.0


class ReadersCache:
    """`working_languages` of recent (account, assignee, team) triples."""

    def __init__(self, ttl_seconds: float | None = None, clock: Any = time.monotonic) -> None:
        self._ttl = ttl_seconds
        self._clock = clock
        self._known: dict[tuple[int, Any, Any], tuple[float, list[str]]] = {}

    def languages(self, db: Session, account_id: int, conversation: ConversationOut) -> list[str]:
        key = (
            account_id,
            conversation.assignee.id if conversation.assignee else None,
            conversation.team.id if conversation.team else None,
        )
        now = self._clock()
        known = self._known.get(key)
        ttl = READERS_TTL_SECONDS if self._ttl is None else self._ttl
        if known is not None and now - known[0] < ttl:
            return known[1]
        languages = _readers_of(db, *key)
        if len(self._known) > 10_000:
            self._known.clear()
        self._known[key] = (now, languages)
        return languages


def translation_jobs(db: Session, pending: list[events.Event], readers: ReadersCache | None = None) -> None:
    """Transaction hook (core.jobs): a job for each customer's message some
    reader cannot read as it is, in the transaction that stores it, so a
    message waiting for its translation outlives the process. A message
    everyone can read adds no row. Who reads is looked up once per (account,
    assignee, team) every few seconds (`ReadersCache`), not per message."""
    readers = readers or ReadersCache()
    for event in pending:
        payload = event.payload
        if isinstance(payload, ConversationAssigned):
            # The new assignee may read another language: their recent messages.
            enqueue(db, TRANSLATE, {"conversation_id": payload.conversation.id}, account_id=event.account_id)
            continue
        if not isinstance(payload, MessageCreated):
            continue
        message, conversation = payload.message, payload.conversation
        if message.direction != "incoming":
            continue
        attributes = message.attributes or {}
        if attributes.get("text_is_file_name"):
            continue
        source = (attributes.get("language") or {}).get("code")
        # Unknown language: the job stores "not translated" for the readers.
        if source is None or any(target != source for target in readers.languages(db, event.account_id, conversation)):
            enqueue(db, TRANSLATE, {"message_id": message.id}, account_id=event.account_id)


class TranslationWorker:
    """Translation as jobs (core.jobs), run in the job runner's `translation`
    lane, a batch at a time: engines first with nothing written, then the
    batch's writes in short transactions.

    Given no runner (a process's worker started by hand, as in tests), it
    has a runner of its own that runs only between `start` and `stop`."""

    def __init__(self, factory: sessionmaker[Session], runtime: LanguageRuntime, runner: JobRunner | None = None) -> None:
        self._factory = factory
        self._runtime = runtime
        self._owns_runner = runner is None
        self.runner = runner or JobRunner(factory, name="dragoman-translation")
        # Under a backlog the lane sleeps YIELD_FACTOR times what a batch
        # took: translations fall behind whatever we do, and storing and
        # pushing messages must not (benchmarks/message_path.py).
        # Woken by a commit, it waits GATHER_SECONDS for more: one claim for
        # many messages, not one per group commit.
        self.runner.lane(TRANSLATION_LANE, batch=BATCH, yield_factor=YIELD_FACTOR, gather_seconds=GATHER_SECONDS)
        self.runner.handle_batch(TRANSLATE, self._run_batch, lane=TRANSLATION_LANE)
        self.runner.handle(TRANSLATE_RECENT, self._look_again, lane=TRANSLATION_LANE)

    # -- wiring -------------------------------------------------------------------

    def start(self) -> None:
        """Asks once for the recently active conversations to be looked at
        again: messages stored while no job could be written for them (by
        `dragoman demo`, or before jobs existed) get their translations."""
        with self._factory() as db:
            enqueue(db, TRANSLATE_RECENT, {})
            db.commit()
        if self._owns_runner:
            self.runner.start()

    def stop(self) -> None:
        """Finishes the batch at hand; the rest stay queued for the next
        process (meanwhile shown in the original, translatable on request)."""
        if self._owns_runner:
            self.runner.stop(timeout=15)

    @property
    def backlog(self) -> int:
        """Translation jobs queued and not yet done (shown by GET /api/health)."""
        with self._factory() as db:
            return waiting(db, [TRANSLATE])

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """For tests and benchmarks: True once nothing is due for translation."""
        return self.runner.wait_idle(timeout, lanes=[TRANSLATION_LANE])

    # -- work ---------------------------------------------------------------------

    def _run_batch(self, db: Session, payloads: list[dict[str, Any]]) -> None:
        self._do(db, payloads)

    def _look_again(self, db: Session, _payload: dict[str, Any]) -> None:
        for conversation_id in self._recent_conversations(db):
            enqueue(db, TRANSLATE, {"conversation_id": conversation_id})

    def _recent_conversations(self, db: Session) -> list[int]:
        return list(
            db.scalars(
                select(Conversation.id)
                .where(Conversation.last_activity_at >= utcnow() - RESTART_WINDOW)
                .order_by(Conversation.last_activity_at.desc())
                .limit(RESTART_CONVERSATIONS)
            )
        )

    def _do(self, db: Session, batch: list[dict[str, Any]]) -> None:
        """Engines first, with nothing written (on SQLite a write would hold
        the database's write lock for as long as an engine works); then all
        of the batch's writes in a few short transactions. A batch cut short
        by a crash runs again: what is translated already is skipped."""
        done: list[tuple[Message, list[TranslationResult]]] = []
        pending: list[TranslationMemory] = []
        for job in batch:
            for message_id in self._message_ids(db, job):
                try:
                    found = self._translate_one(db, message_id, pending)
                except Exception:  # noqa: BLE001 - logged; the others go on
                    log.exception("translation of message %s failed", message_id)
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
            if start + WRITE_CHUNK >= len(done):
                break  # the last chunk commits with the jobs marked done (the runner's commit)
            db.commit()
            time.sleep(0)  # lets a thread waiting for the write lock take it

    def _message_ids(self, db: Session, job: dict[str, Any]) -> list[int]:
        if job.get("message_id") is not None:
            return [int(job["message_id"])]
        if job.get("conversation_id") is None:
            return []
        return list(
            db.scalars(
                select(Message.id)
                .where(Message.conversation_id == int(job["conversation_id"]), Message.direction == Direction.incoming)
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


def register_translation_jobs(runner: JobRunner, factory: sessionmaker[Session], runtime: LanguageRuntime) -> TranslationWorker:
    translator = TranslationWorker(factory, runtime, runner)
    readers = ReadersCache()
    runner.on_transaction(lambda db, pending: translation_jobs(db, pending, readers))
    return translator
