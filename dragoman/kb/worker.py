"""The FAQ bot at work: answers customers' messages off the request path.

Durable jobs (core.jobs, wired by `register_bot_jobs`): a customer's message
in a conversation the bot is handling writes a `kb.bot_answer` job in the
transaction that stores it, so a question waiting for the bot outlives the
process; the runner's `faq_bot` lane takes them in order, so two messages of
one conversation are handled one after the other. For each customer message in a conversation the bot is handling
(`conversation.bot_active`), it finds the best article, decides
(`kb.bot.decide`) and stores its reply through the conversation services, so
the widget and the agents' consoles receive it live like any reply. At
hand-off it clears `bot_active`, writes an activity line and records
`conversation.updated`, which is routing's cue to assign the conversation.

The search index of each account is built here, once, and rebuilt only when
the knowledge base changed (`services.knowledge_base_fingerprint`); the
embedding model loads when the worker starts, not on a customer's request.

A question in a language the base lacks, and an answer from an article
with no version in the customer's language, go through the account's
translation chain (`language.services`). Like the language worker, this
module joins kb, conversations and language; only `app.py` imports it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from dragoman.accounts.models import Role
from dragoman.accounts.permissions import Viewer
from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationAssigned, MessageCreated
from dragoman.conversations.models import Conversation, ConversationStatus, Message
from dragoman.core import events
from dragoman.core.jobs import JobRunner, JobSpec, finish_current, waiting
from dragoman.inboxes.models import Inbox
from dragoman.kb import bot, services
from dragoman.kb.models import BotExchange, BotOutcome, BotSession, KbArticle, KbArticleVersion
from dragoman.kb.indexes import IndexCache
from dragoman.kb.retrieval import (
    MAX_QUESTION_CHARS,
    SearchIndex,
    embedding_model_loaded,
    embedding_model_problem,
    inbox_threshold,
    suggestion_margin,
)
from dragoman.kb.text import short_answer
from dragoman.language import services as language_services
from dragoman.language.detect import base_language
from dragoman.language.runtime import LanguageRuntime

log = logging.getLogger(__name__)

BOT_NAME = "FAQ bot"
MAX_STORED_QUESTION = 2_000


def help_center_url(public_url: str, account_id: int, language: str, article_id: int, slug: str) -> str:
    return f"{public_url.rstrip('/')}/hc/{account_id}/{language}/articles/{article_id}-{slug}"


BOT_ANSWER = "kb.bot_answer"  # a customer's message to answer
BOT_STEP_ASIDE = "kb.bot_step_aside"  # an agent replied or took it: the bot steps aside
BOT_LANE = "faq_bot"


def bot_jobs(event: events.Event) -> Sequence[JobSpec]:
    """Work for the bot, only in a conversation it is handling (decided from
    the event: a chat without the bot writes no job)."""
    payload = event.payload
    if not isinstance(payload, (MessageCreated, ConversationAssigned)) or not payload.conversation.bot_active:
        return ()
    conversation_id = payload.conversation.id
    if isinstance(payload, MessageCreated):
        message = payload.message
        if message.direction == "incoming":
            return (JobSpec(BOT_ANSWER, {"message_id": message.id}, account_id=event.account_id),)
        if message.direction == "outgoing" and message.sender_type == "user":
            return (JobSpec(BOT_STEP_ASIDE, {"conversation_id": conversation_id}, account_id=event.account_id),)
    elif payload.conversation.assignee is not None:
        return (JobSpec(BOT_STEP_ASIDE, {"conversation_id": conversation_id}, account_id=event.account_id),)
    return ()


def _customer_language(conversation: Conversation, message: Message) -> str:
    """The language to answer in: the conversation's (the customer's choice
    or the weight of their messages), else this message's, else English."""
    detected = ((message.attributes or {}).get("language") or {}).get("code")
    return base_language(conversation.language) or base_language(detected) or "en"


def _search_language(conversation: Conversation, message: Message) -> str | None:
    """The language the words of this message are in, for lexical matching."""
    detected = ((message.attributes or {}).get("language") or {}).get("code")
    return base_language(detected) or base_language(conversation.language)


@dataclass(frozen=True)
class BotScoring:
    semantic: bool  # embeddings and words; else words only
    problem: str | None  # why the embedding model is not in use, when it was wanted
    turned_off: bool  # words only by the server's setting (DRAGOMAN_BOT_EMBEDDINGS=false)


class BotWorker:
    def __init__(
        self,
        factory: sessionmaker[Session],
        *,
        semantic: bool = True,
        public_url: str = "",
        vector_dir: Path | None = None,
        translation: LanguageRuntime | None = None,
        warm_up: bool = True,
    ) -> None:
        self._factory = factory
        self._warm_up_at_start = warm_up
        self._public_url = public_url
        # Translates a question in a language the base lacks into one it has.
        self._translation = translation
        self.indexes = IndexCache(semantic, vector_dir)
        # The help center's search, when the bot's index is not built yet:
        # word matching builds in milliseconds, so no page waits for the model.
        self.lexical_indexes = IndexCache(False)
        # The job runner whose `faq_bot` lane answers (`register_bot_jobs`).
        self.runner: JobRunner | None = None
        self._started = False
        # Set once every account has an index to answer from (the quick one
        # at least); until then a customer is handed to a person at once.
        self._warmed_up = threading.Event()
        # Set once the start's work is all done (full indexes included).
        self._warm_up_done = threading.Event()
        self._warm_thread: threading.Thread | None = None
        self._stopping = threading.Event()

    # -- wiring -------------------------------------------------------------------------

    def start(self) -> None:
        if self._started:
            return
        self._started = True
        if self._warm_up_at_start:
            # Loads the model and builds the indexes in a thread of its own:
            # messages that come meanwhile are handed over, not kept waiting.
            self._stopping.clear()
            self._warm_thread = threading.Thread(target=self._warm_up, name="dragoman-faq-bot-start", daemon=True)
            self._warm_thread.start()
        else:
            # Ready: each index is built on first use.
            self._warmed_up.set()

    def stop(self) -> None:
        """The answers are jobs (the runner stops them); this stops the
        warm-up. Between two indexes it stops at once; inside the model's C
        code (embedding a base) it cannot be interrupted, so it is not waited
        for long: it is a daemon thread and stores nothing."""
        self._stopping.set()
        if self._warm_thread is not None:
            self._warm_thread.join(timeout=5)
            self._warm_thread = None
        self._started = False

    @property
    def ready(self) -> bool:
        """True once the model is loaded and every account has an index to
        answer from (GET /api/health, the FAQ bot page)."""
        return self._warmed_up.is_set()

    @property
    def starting(self) -> bool:
        """The model is loading or the first indexes are being built: the bot
        hands every customer to a person meanwhile, saying so."""
        return self._started and not self._warmed_up.is_set()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """For tests and benchmarks: True once `ready`."""
        return self._warmed_up.wait(timeout)

    @property
    def backlog(self) -> int:
        """Customers' messages waiting for the bot (shown by GET /api/health)."""
        with self._factory() as db:
            return waiting(db, [BOT_ANSWER, BOT_STEP_ASIDE])

    def scoring(self) -> BotScoring:
        """How the bot scores questions now (the FAQ bot page shows it)."""
        if not self.indexes.semantic:
            return BotScoring(semantic=False, problem=None, turned_off=True)
        # Read, never load: a page opened while the bot's thread is still
        # starting must not load the model in the request's thread. Not
        # tried yet counts as by meaning: that is what the thread is loading.
        if embedding_model_loaded() is False:
            return BotScoring(semantic=False, problem=embedding_model_problem() or "the model did not load", turned_off=False)
        return BotScoring(semantic=True, problem=None, turned_off=False)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """For tests and benchmarks: True once nothing is due for the bot."""
        return self.runner.wait_idle(timeout, lanes=[BOT_LANE]) if self.runner is not None else True

    # -- work ---------------------------------------------------------------------------

    def _warm_up(self) -> None:
        """At start, in its own thread: load the model and build every
        account's indexes (simplemma loads a language's dictionary on first
        use, about a second each), so neither a customer nor a help-center
        reader waits. The quick indexes first (`IndexCache.get(quick=True)`):
        the bot answers from them within seconds, and from the full ones once
        they are built behind them."""
        try:
            self.indexes.warm_up()
            with self._factory() as db:
                accounts = services.accounts_with_articles(db)
                for account_id in accounts:
                    self.indexes.get(db, account_id, quick=True)
            self._warmed_up.set()
            log.info("the FAQ bot is ready (%d knowledge bases)", len(accounts))
            # After the quick indexes, so the bot's readiness does not wait for
            # them; before the first "оператором" or "konsultantem" does.
            bot.load_person_dictionaries()
            with self._factory() as db:
                for account_id in accounts:
                    if self._stopping.is_set():
                        return
                    # The help center's search until the full index exists
                    # (it reads the bot's index when one is built).
                    self.lexical_indexes.get(db, account_id)
                    self.indexes.get(db, account_id)
        except Exception:  # noqa: BLE001 - the bot then builds on first use
            log.exception("the FAQ bot could not prepare its indexes at start")
        finally:
            # Ready even after a failure: the bot then builds on first use.
            self._warmed_up.set()
            self._warm_up_done.set()

    def _session(self, db: Session, conversation: Conversation) -> BotSession:
        session = db.get(BotSession, conversation.id)
        if session is None:
            session = BotSession(conversation_id=conversation.id, account_id=conversation.account_id, unhelpful_answers=0)
            db.add(session)
        return session

    def step_aside(self, db: Session, conversation_id: int) -> None:
        """An agent replied or took the conversation: the bot stops, quietly."""
        conversation = db.get(Conversation, conversation_id)
        if conversation is None or not conversation.bot_active:
            return
        session = self._session(db, conversation)
        session.ended = bot.Reason.agent_took_over.value
        session.awaiting_exchange_id = None
        conversations.end_bot_handling(
            db,
            conversation,
            bot.HANDOFF_ACTIVITY_TEXT[bot.Reason.agent_took_over],
            {"activity": "bot_handoff", "reason": bot.Reason.agent_took_over.value},
        )
        db.commit()

    def handle(self, db: Session, message_id: int) -> None:
        message = db.get(Message, message_id)
        conversation = db.get(Conversation, message.conversation_id) if message is not None else None
        if message is None or conversation is None or not conversation.bot_active:
            return
        if conversation.assignee_id is not None or conversations.a_person_has_replied(db, conversation.id):
            # Someone took it or answered before this message's turn came
            # (a backlog after a restart): theirs now.
            self.step_aside(db, conversation.id)
            return
        # Read only until the bot speaks: nothing is written (no lock held)
        # while it searches, which may embed and translate for a while.
        stored = db.get(BotSession, conversation.id)
        awaiting_feedback = stored is not None and stored.awaiting_exchange_id is not None
        unhelpful_answers = stored.unhelpful_answers if stored is not None else 0
        language = _customer_language(conversation, message)
        inbox = db.get(Inbox, conversation.inbox_id)
        settings: dict[str, Any] = dict(inbox.settings or {}) if inbox is not None else {}
        # While the bot starts, its index may not exist yet: building it here
        # would keep the customer waiting for minutes, so a person takes over.
        starting = self.starting
        index = None if starting else self.indexes.peek(db, conversation.account_id) or self.indexes.get(db, conversation.account_id)
        language_of_words = _search_language(conversation, message)
        candidates: list[bot.Found] = []
        searched: dict[str, Any] | None = None
        sent_files = bool((message.attributes or {}).get("attachments"))
        if index is not None and not bot.settles_without_search(
            message.content, awaiting_feedback=awaiting_feedback, sent_files=sent_files
        ):
            candidates, searched = self._search(db, index, conversation.account_id, message.content, language_of_words)
        found = candidates[0] if candidates else None
        semantic = index.semantic if index is not None else self.indexes.semantic
        threshold, _ = inbox_threshold(settings, semantic)
        decision = bot.decide(
            message.content,
            awaiting_feedback=awaiting_feedback,
            unhelpful_answers=unhelpful_answers,
            found=found,
            threshold=threshold,
            has_knowledge_base=index is None or bool(index.articles),
            sent_files=sent_files,
            starting=starting,
        )
        # An answer's link and translation are worked out before the lock below:
        # an engine may take a while, and no write lock waits on it.
        link: tuple[KbArticleVersion, str] | None = None
        translated: dict[str, Any] | None = None
        if decision.action is bot.Action.answer:
            assert decision.found is not None
            link = self._published_link(db, conversation, decision.found, language)
            if link is not None:
                translated = self._answer_in_customer_language(db, conversation.account_id, link[0], language)
        # The moment of speaking, in the transaction that stores what the bot
        # says: an agent who replied or took the conversation while the bot
        # searched has it now, and the bot says nothing more.
        if not conversations.bot_may_speak(db, conversation):
            db.rollback()
            self.step_aside(db, conversation.id)
            return
        # The job is marked done in this transaction: a runner that lost it
        # (its lease ran out while it searched) says nothing, and a job that
        # spoke is never run again.
        if not finish_current(db):
            db.rollback()
            return
        session = self._session(db, conversation)
        if decision.feedback is not None and session.awaiting_exchange_id is not None:
            answered = db.get(BotExchange, session.awaiting_exchange_id)
            if answered is not None:
                answered.helpful = decision.feedback
            session.awaiting_exchange_id = None
        if decision.action is bot.Action.answer:
            self._answer(db, conversation, session, message, language, decision, link, translated, searched)
        elif decision.action is bot.Action.thank:
            conversations.send_bot_reply(db, conversation, bot.phrase(language, "thank"), {"bot": {"kind": "thanks"}})
            session.ended = "resolved"
            viewer = Viewer(user_id=0, account_id=conversation.account_id, role=Role.agent, name=BOT_NAME)
            conversations.change_status(db, viewer, conversation, ConversationStatus.resolved.value)
        elif decision.action is bot.Action.rephrase:
            session.unhelpful_answers += 1
            conversations.send_bot_reply(db, conversation, bot.phrase(language, "rephrase"), {"bot": {"kind": "rephrase"}})
        else:
            if decision.reason is bot.Reason.unhelpful:
                session.unhelpful_answers += 1
            near: list[bot.Found] = []
            if decision.reason is bot.Reason.low_score:
                near = bot.near_misses(candidates, threshold, suggestion_margin(semantic))
            self._hand_off(db, conversation, session, message, language, decision, near, searched)
        db.commit()

    def _search(
        self, db: Session, index: SearchIndex, account_id: int, text: str, language: str | None
    ) -> tuple[list[bot.Found], dict[str, Any] | None]:
        """The best articles for the message, and what was searched when it
        was a translation (None when the words as they came matched best)."""
        candidates = self._find(db, index, text, language)
        question, search_language, searched = self._question_in_base_language(db, account_id, index, text, language)
        if searched is None:
            return candidates, None
        # The translation is searched beside the question as it came, and
        # the better match wins: a language detected wrongly (or a poor
        # translation) must not lose an answer the words already found.
        translated = self._find(db, index, question, search_language)
        if translated and (not candidates or translated[0].score > candidates[0].score):
            return translated, searched
        return candidates, None

    def _question_in_base_language(
        self, db: Session, account_id: int, index: SearchIndex, text: str, language: str | None
    ) -> tuple[str, str | None, dict[str, Any] | None]:
        """A question in a language the base has no version in, translated
        into one it has (the account's engines, glossary and memory), with
        that language and what was searched; else the question as it came.
        Words then match the articles' words, which the meaning alone scores
        too low to answer (docs/benchmarks.md, FAQ bot). English is tried
        first, then the others, a direct pair preferred to a pivot."""
        if self._translation is None or not language or not index.languages or language in index.languages or not text.strip():
            return text, language, None
        question = text.strip()[:MAX_QUESTION_CHARS]
        targets = sorted(index.languages, key=lambda code: (code != "en", code))
        attempts = ((question, language, target) for target in targets)
        done = language_services.translate_preferring_direct(db, self._translation, account_id, attempts)
        if done is None:
            return text, language, None
        result, _, target = done
        assert result.text is not None
        return result.text, target, {"language": target, "text": result.text, "engine": result.engine, "from": language}

    def _answer_in_customer_language(
        self, db: Session, account_id: int, version: KbArticleVersion, language: str
    ) -> dict[str, Any] | None:
        """The article's short answer machine-translated into the customer's
        language when the article has no version in it (the reply says it
        was translated automatically); None when it has, or no engine can.
        `version` is tried first; where only a pivot reaches the customer's
        language from it, another published version with a direct pair is
        preferred."""
        if self._translation is None or version.language == language:
            return None
        others = [v for v in services.published_versions(db, version.article_id) if v.id != version.id]
        shorts = ((short_answer(v.summary or "", v.body or "", v.title), v.language) for v in (version, *others))
        attempts = ((short, source, language) for short, source in shorts if short)
        done = language_services.translate_preferring_direct(db, self._translation, account_id, attempts)
        if done is None:
            return None
        result, source, _ = done
        return {"text": result.text, "from": source, "to": language, "engine": result.engine}

    def _find(self, db: Session, index: SearchIndex, text: str, language: str | None) -> list[bot.Found]:
        """The best articles for the question, best first (the first decides;
        the others may be offered with a hand-off)."""
        found: list[bot.Found] = []
        for match in index.search(text, language, limit=bot.MAX_SUGGESTIONS):
            article = db.get(KbArticle, match.article)
            if article is None:  # deleted since the index was built
                if not found:
                    return []
                continue
            found.append(bot.Found(article.id, match.score, article.always_human, article.slug))
        return found

    def _published_link(
        self, db: Session, conversation: Conversation, found: bot.Found, language: str
    ) -> tuple[KbArticleVersion, str] | None:
        """The article's published version nearest the customer's language,
        and its help-center address; None once it is no longer published."""
        version = services.best_version(db, found.article_id, language)
        if version is None:
            return None
        return version, help_center_url(self._public_url, conversation.account_id, version.language, found.article_id, found.slug)

    def _exchange(
        self, db: Session, conversation: Conversation, message: Message, language: str, decision: bot.Decision, outcome: BotOutcome
    ) -> BotExchange:
        exchange = BotExchange(
            account_id=conversation.account_id,
            conversation_id=conversation.id,
            message_id=message.id,
            language=language,
            question=message.content[:MAX_STORED_QUESTION],
            article_id=decision.found.article_id if decision.found else None,
            score=decision.found.score if decision.found else None,
            outcome=outcome,
            reason=decision.reason.value if decision.reason else None,
        )
        db.add(exchange)
        db.flush()
        return exchange

    def _answer(
        self,
        db: Session,
        conversation: Conversation,
        session: BotSession,
        message: Message,
        language: str,
        decision: bot.Decision,
        link: tuple[KbArticleVersion, str] | None,
        translated: dict[str, Any] | None,
        searched: dict[str, Any] | None = None,
    ) -> None:
        """`link`: the article's version and address (None once unpublished);
        `translated`: its short answer in the customer's language, when machine-translated."""
        assert decision.found is not None
        if link is None:  # unpublished since the index was built
            unpublished = bot.Decision(bot.Action.handoff, bot.Reason.low_score, decision.found)
            self._hand_off(db, conversation, session, message, language, unpublished, None, searched)
            return
        version, url = link
        exchange = self._exchange(db, conversation, message, language, decision, BotOutcome.answered)
        if translated is not None:
            text = bot.answer_text(language, translated["text"], "", url, machine_translated=True)
        else:
            text = bot.answer_text(version.language, short_answer(version.summary or "", version.body or "", version.title), version.title, url)
        conversations.send_bot_reply(
            db,
            conversation,
            text,
            {
                "bot": {
                    "kind": "answer",
                    "article_id": decision.found.article_id,
                    "article_slug": decision.found.slug,
                    "article_language": version.language,
                    "article_url": url,
                    "score": decision.found.score,
                    "exchange_id": exchange.id,
                    **({"searched": searched} if searched else {}),
                    **({"answer_translated": translated} if translated else {}),
                }
            },
        )
        session.awaiting_exchange_id = exchange.id

    def _hand_off(
        self,
        db: Session,
        conversation: Conversation,
        session: BotSession,
        message: Message,
        language: str,
        decision: bot.Decision,
        near: list[bot.Found] | None = None,
        searched: dict[str, Any] | None = None,
    ) -> None:
        assert decision.reason is not None
        details: dict[str, Any] = {"activity": "bot_handoff", "reason": decision.reason.value, "language": language}
        if searched:
            details["searched"] = searched
        if decision.found is not None:
            details.update(topic=decision.found.slug, article_id=decision.found.article_id, score=decision.found.score)
        exchange = self._exchange(db, conversation, message, language, decision, BotOutcome.handoff)
        details["exchange_id"] = exchange.id
        suggestions = []
        for candidate in near or ():
            link = self._published_link(db, conversation, candidate, language)
            if link is not None:  # unpublished since the index was built: not offered
                version, url = link
                suggestions.append(bot.Suggestion(version.title, url))
                details.setdefault("suggested", []).append({"article_id": candidate.article_id, "slug": candidate.slug, "url": url})
        conversations.send_bot_reply(
            db,
            conversation,
            bot.handoff_text(language, suggestions, starting=decision.reason is bot.Reason.starting),
            {"bot": {"kind": "handoff", **{k: v for k, v in details.items() if k != "activity"}}},
        )
        session.ended = decision.reason.value
        session.awaiting_exchange_id = None
        conversations.end_bot_handling(db, conversation, bot.HANDOFF_ACTIVITY_TEXT[decision.reason], details)



def register_bot_jobs(runner: JobRunner, bot_worker: BotWorker) -> BotWorker:
    """The FAQ bot's answers as durable jobs in the runner's `faq_bot` lane:
    one at a time, in order, so two messages of one conversation are
    answered one after the other."""
    bot_worker.runner = runner
    runner.lane(BOT_LANE, batch=10)
    # Looked up when the job runs (tests hold the bot at these steps).
    runner.handle(BOT_ANSWER, lambda db, payload: bot_worker.handle(db, int(payload["message_id"])), lane=BOT_LANE)
    runner.handle(BOT_STEP_ASIDE, lambda db, payload: bot_worker.step_aside(db, int(payload["conversation_id"])), lane=BOT_LANE)
    runner.on_events(bot_jobs)
    return bot_worker
