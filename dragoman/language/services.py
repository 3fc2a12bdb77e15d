"""Language services: settings, detection at ingest, conversation language,
glossary, translation with memory, agents' corrections, translated replies.

Conversations import this module (ingest calls `note_incoming_message`); this
module never imports conversations. It reads and writes the conversation and
message rows it is handed (`language`, `attributes`) and nothing else of them.
The routes and the translation worker, which only `conversations/feature.py` imports, join the
two features.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from collections.abc import Callable, Iterable
from typing import Any

import phonenumbers
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from dragoman.accounts.models import Account, TeamMember, User, UserLanguage
from dragoman.contacts.models import Contact
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.validation import require_language, require_text
from dragoman.language import evidence
from dragoman.language.detect import DEFAULT_LANGUAGES, Detection, base_language, shared_detection
from dragoman.language.facts import check_order_pattern
from dragoman.language.glossary import GlossaryEntry, lost_in_translation, protect
from dragoman.language.models import ConversationLanguage, GlossaryTerm, LanguageSettings, TranslationMemory
from dragoman.language.pipeline import TranslationResult, no_engine_reason, translate_text
from dragoman.language.runtime import ENGINE_NAMES, LanguageRuntime

CORRECTION_ENGINE = "correction"
MAX_TRANSLATION_CHARS = 10_000

# -- settings --------------------------------------------------------------------


@dataclass(frozen=True)
class AccountLanguageSettings:
    account_id: int
    languages: tuple[str, ...]
    order_pattern: str | None
    engine_chains: dict[str, list[str]]
    glossary_version: int
    configured: bool  # False: the defaults, nobody changed anything

    def as_dict(self) -> dict[str, Any]:
        return {
            "languages": list(self.languages),
            "order_pattern": self.order_pattern,
            "engine_chains": {key: list(value) for key, value in self.engine_chains.items()},
            "glossary_version": self.glossary_version,
        }


def _view(account_id: int, row: LanguageSettings | None) -> AccountLanguageSettings:
    if row is None:
        return AccountLanguageSettings(account_id, DEFAULT_LANGUAGES, None, {}, 1, False)
    return AccountLanguageSettings(
        account_id,
        tuple(row.languages or DEFAULT_LANGUAGES),
        row.order_pattern,
        dict(row.engine_chains or {}),
        row.glossary_version,
        True,
    )


_SETTINGS_KEY = "dragoman_language_settings"


def get_settings(db: Session, account_id: int) -> AccountLanguageSettings:
    """Read once per session: the group-commit writer stores a whole batch of
    messages in one session, and a session never outlives a transaction or a
    request, so this is never staler than the transaction that reads it."""
    known: dict[int, AccountLanguageSettings] = db.info.setdefault(_SETTINGS_KEY, {})
    view = known.get(account_id)
    if view is None:
        view = known[account_id] = _view(account_id, db.get(LanguageSettings, account_id))
    return view


def _settings_row(db: Session, account_id: int) -> LanguageSettings:
    row = db.get(LanguageSettings, account_id)
    if row is None:
        row = LanguageSettings(account_id=account_id, languages=list(DEFAULT_LANGUAGES), engine_chains={}, glossary_version=1)
        db.add(row)
        db.flush()
    return row


def _check_pair_key(key: str) -> None:
    if key == "*":
        return
    parts = key.split("-")
    if len(parts) != 2 or not all(parts):
        raise InvalidInput(f"engine_chains keys are '*' or a pair like 'es-en', got {key!r}", field="engine_chains")
    for part in parts:
        require_language(part, "engine_chains")


_UNSET: Any = object()


def update_settings(
    db: Session, account_id: int, *, languages: Any = _UNSET, order_pattern: Any = _UNSET, engine_chains: Any = _UNSET
) -> AccountLanguageSettings:
    row = _settings_row(db, account_id)
    if languages is not _UNSET:
        if not isinstance(languages, list) or not languages:
            raise InvalidInput("languages must be a non-empty list of language codes", field="languages")
        codes = []
        for code in languages:
            checked = base_language(require_language(code if isinstance(code, str) else None, "languages"))
            if checked not in codes:
                codes.append(checked)
        row.languages = codes
    if order_pattern is not _UNSET:
        pattern = (order_pattern or "").strip() or None
        if pattern is not None:
            problem = check_order_pattern(pattern)
            if problem:
                raise InvalidInput(f"order_pattern is {problem}", field="order_pattern")
        row.order_pattern = pattern
        row.glossary_version += 1  # what counts as protected changed: old memory may not hold
    if engine_chains is not _UNSET:
        if not isinstance(engine_chains, dict):
            raise InvalidInput("engine_chains must map '*' or a pair like 'es-en' to a list of engines", field="engine_chains")
        cleaned: dict[str, list[str]] = {}
        for key, names in engine_chains.items():
            _check_pair_key(key)
            if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
                raise InvalidInput(f"engine_chains[{key!r}] must be a list of engine names", field="engine_chains")
            unknown = [n for n in names if n not in ENGINE_NAMES]
            if unknown:
                raise InvalidInput(
                    f"unknown engine {unknown[0]!r}; engines are {', '.join(ENGINE_NAMES)}", field="engine_chains"
                )
            cleaned[key] = list(dict.fromkeys(names))
        row.engine_chains = cleaned
    db.flush()
    db.info.get(_SETTINGS_KEY, {}).pop(account_id, None)
    return _view(account_id, row)


# -- detection at ingest ----------------------------------------------------------


def detect_for_account(db: Session, account_id: int, text: str) -> Detection:
    return shared_detection().detect(text, get_settings(db, account_id).languages)


def phone_country(phone: str | None) -> str | None:
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return None
    return phonenumbers.region_code_for_number(parsed)


# The main language customers from a country write in. Only countries where
# one language clearly dominates; others give no evidence.
COUNTRY_LANGUAGES: dict[str, str] = {
    "ES": "es", "MX": "es", "AR": "es", "CO": "es", "CL": "es", "PE": "es", "VE": "es", "EC": "es", "GT": "es",
    "CU": "es", "BO": "es", "DO": "es", "HN": "es", "PY": "es", "SV": "es", "NI": "es", "CR": "es", "PA": "es", "UY": "es",
    "BR": "pt", "PT": "pt", "AO": "pt", "MZ": "pt", "FR": "fr", "DE": "de", "AT": "de", "IT": "it", "NL": "nl",
    "PL": "pl", "RU": "ru", "UA": "uk", "TR": "tr", "SA": "ar", "AE": "ar", "EG": "ar", "MA": "ar", "DZ": "ar",
    "IQ": "ar", "JO": "ar", "KW": "ar", "QA": "ar", "IL": "he", "IR": "fa", "CN": "zh", "TW": "zh", "HK": "zh",
    "JP": "ja", "KR": "ko", "TH": "th", "VN": "vi", "ID": "id", "MY": "ms", "SE": "sv", "RO": "ro", "GR": "el",
    "CZ": "cs", "GB": "en", "US": "en", "AU": "en", "NZ": "en", "IE": "en",
}  # fmt: skip


def _belief(row: ConversationLanguage) -> evidence.LanguageBelief:
    return evidence.LanguageBelief(row.language, row.source, row.locked, dict(row.scores or {}))


def _save_belief(row: ConversationLanguage, belief: evidence.LanguageBelief) -> None:
    row.language, row.source, row.locked, row.scores = belief.language, belief.source, belief.locked, dict(belief.scores)


def load_language_evidence(db: Session, conversation_ids: list[int]) -> list[ConversationLanguage]:
    """The evidence rows of many conversations in one query, for a caller
    about to store a message in each (the group-commit writer's batch): held
    by the caller, they are in the session when `note_incoming_message` asks."""
    # A settled conversation's evidence is not read again (see below).
    wanted = {i for i in conversation_ids if not settled_conversations.settled_in_any_language(i)}
    if not wanted:
        return []
    return list(db.scalars(select(ConversationLanguage).where(ConversationLanguage.conversation_id.in_(wanted))))


def _belief_row(db: Session, conversation: Any) -> ConversationLanguage:
    """The conversation's row, created with the contact's evidence on first use.
    Two messages of a new conversation at once both try to create it; the
    insert ignores the second and the row lock serialises the rest."""
    row = db.get(ConversationLanguage, conversation.id)
    if row is not None:
        return row
    contact = db.get(Contact, conversation.contact_id)
    belief = evidence.LanguageBelief()
    if contact is not None:
        country = phone_country(contact.phone) or contact.country
        belief = evidence.add_prior(belief, "phone", COUNTRY_LANGUAGES.get((country or "").upper()))
        belief = evidence.add_prior(belief, "contact", base_language(contact.language))
    if conversation.language and (contact is None or base_language(conversation.language) != base_language(contact.language)):
        belief = evidence.add_prior(belief, "contact", base_language(conversation.language))
    values = {
        "conversation_id": conversation.id,
        "language": belief.language,
        "source": belief.source,
        "locked": False,
        "scores": belief.scores,
    }
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    db.execute(insert(ConversationLanguage).values(**values).on_conflict_do_nothing())
    return db.scalars(
        select(ConversationLanguage).where(ConversationLanguage.conversation_id == conversation.id).with_for_update()
    ).one()


def _apply(conversation: Any, row: ConversationLanguage, belief: evidence.LanguageBelief) -> None:
    _save_belief(row, belief)
    if belief.language and base_language(conversation.language) != belief.language:
        conversation.language = belief.language


class _SettledConversations:
    """Conversations whose language has reached `evidence.SCORE_CAP` (this
    process saw it). A long message in that language changes nothing, so the
    message path skips reading and writing the conversation's evidence: the
    common case, a customer who keeps writing in one language, costs only the
    detection. Scores never shrink, so an entry cannot go stale."""

    LIMIT = 100_000

    def __init__(self) -> None:
        self._languages: dict[int, str] = {}

    def settled(self, conversation_id: int, language: str | None) -> bool:
        return language is not None and self._languages.get(conversation_id) == language

    def settled_in_any_language(self, conversation_id: int) -> bool:
        return conversation_id in self._languages

    def note(self, conversation_id: int, belief: evidence.LanguageBelief) -> None:
        if evidence.at_cap(belief, belief.language):
            if len(self._languages) >= self.LIMIT:
                self._languages.clear()
            self._languages[conversation_id] = belief.language  # type: ignore[assignment]


settled_conversations = _SettledConversations()


def note_incoming_message(db: Session, conversation: Any, text: str) -> dict[str, Any]:
    """Detect the message's language and weigh it into the conversation's.
    Returns what to store in the message's attributes."""
    detection = detect_for_account(db, conversation.account_id, text)
    counts = evidence.message_counts(detection.words, detection.confidence)
    current = base_language(conversation.language)
    if current is not None and (not counts or settled_conversations.settled(conversation.id, detection.language)):
        # A short message never moves the language, and one more message in
        # a settled conversation's language cannot either.
        return {"language": detection.as_dict()}
    row = _belief_row(db, conversation)
    belief = evidence.add_message(_belief(row), detection.language, detection.confidence, detection.words)
    _apply(conversation, row, belief)
    settled_conversations.note(conversation.id, belief)
    return {"language": detection.as_dict()}


def override_conversation_language(db: Session, conversation: Any, language: str | None) -> None:
    """An agent's or the customer's explicit choice: it sticks ("" lets evidence decide again)."""
    row = _belief_row(db, conversation)
    belief = evidence.override(_belief(row), base_language(language) if language else None)
    _save_belief(row, belief)
    if language:
        conversation.language = language
    elif belief.language:
        conversation.language = belief.language


def conversation_language_info(db: Session, conversation_id: int) -> dict[str, Any] | None:
    row = db.get(ConversationLanguage, conversation_id)
    return _belief(row).as_dict() if row is not None else None


# -- glossary -------------------------------------------------------------------


def list_glossary(db: Session, account_id: int) -> list[GlossaryTerm]:
    return list(db.scalars(select(GlossaryTerm).where(GlossaryTerm.account_id == account_id).order_by(GlossaryTerm.term, GlossaryTerm.id)))


def glossary_entries(db: Session, account_id: int) -> list[GlossaryEntry]:
    return [
        GlossaryEntry(t.term, t.translation, t.source_language, t.target_language, t.case_sensitive)
        for t in list_glossary(db, account_id)
    ]


def lost_facts(db: Session, account_id: int, text: str, source: str, target: str, translated: str) -> list[str]:
    """The fact check for a translation no engine made just now (remembered,
    corrected, or the agent's own edit): the same facts and glossary terms
    the engine's answer is checked for."""
    settings = get_settings(db, account_id)
    protected = protect(text, source, target, glossary_entries(db, account_id), settings.order_pattern)
    return lost_in_translation(protected, translated)


def _bump_glossary(db: Session, account_id: int) -> None:
    _settings_row(db, account_id).glossary_version += 1
    db.info.get(_SETTINGS_KEY, {}).pop(account_id, None)


def _check_term_fields(term: str | None, translation: str | None, source: str | None, target: str | None) -> tuple[str, str | None, str | None, str | None]:
    clean_term = require_text(term, "term", max_length=200)
    clean_translation = (translation or "").strip() or None
    if clean_translation is not None:
        clean_translation = require_text(clean_translation, "translation", max_length=500)
    clean_source = base_language(require_language(source, "source_language")) if source else None
    clean_target = base_language(require_language(target, "target_language")) if target else None
    if clean_translation is not None and (clean_source is None or clean_target is None):
        raise InvalidInput("a forced translation needs source_language and target_language", field="target_language")
    return clean_term, clean_translation, clean_source, clean_target


def add_glossary_term(
    db: Session,
    account_id: int,
    *,
    term: str | None,
    translation: str | None = None,
    source_language: str | None = None,
    target_language: str | None = None,
    case_sensitive: bool = False,
) -> GlossaryTerm:
    clean = _check_term_fields(term, translation, source_language, target_language)
    duplicate = db.scalar(
        select(GlossaryTerm).where(
            GlossaryTerm.account_id == account_id,
            func.lower(GlossaryTerm.term) == clean[0].lower(),
            GlossaryTerm.source_language.is_(None) if clean[2] is None else GlossaryTerm.source_language == clean[2],
            GlossaryTerm.target_language.is_(None) if clean[3] is None else GlossaryTerm.target_language == clean[3],
        )
    )
    if duplicate is not None:
        raise Conflict(f"the glossary already has {clean[0]!r} for these languages (id {duplicate.id})", field="term")
    row = GlossaryTerm(
        account_id=account_id, term=clean[0], translation=clean[1], source_language=clean[2], target_language=clean[3],
        case_sensitive=bool(case_sensitive),
    )  # fmt: skip
    db.add(row)
    _bump_glossary(db, account_id)
    db.flush()
    return row


def get_glossary_term(db: Session, account_id: int, term_id: int) -> GlossaryTerm:
    row = db.get(GlossaryTerm, term_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"glossary term {term_id} not found", field="term_id")
    return row


def update_glossary_term(db: Session, row: GlossaryTerm, changes: dict[str, Any]) -> GlossaryTerm:
    merged = {
        "term": row.term, "translation": row.translation, "source_language": row.source_language,
        "target_language": row.target_language, **changes,
    }  # fmt: skip
    row.term, row.translation, row.source_language, row.target_language = _check_term_fields(
        merged["term"], merged["translation"], merged["source_language"], merged["target_language"]
    )
    if "case_sensitive" in changes:
        row.case_sensitive = bool(changes["case_sensitive"])
    _bump_glossary(db, row.account_id)
    db.flush()
    return row


def delete_glossary_term(db: Session, row: GlossaryTerm) -> None:
    account_id = row.account_id
    db.delete(row)
    _bump_glossary(db, account_id)
    db.flush()


# -- translation and memory --------------------------------------------------------


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass
class _DbMemory:
    """The pipeline's memory port over the translation_memory table."""

    db: Session
    account_id: int
    source: str
    target: str
    text: str
    glossary_version: int
    # Given: new entries are collected here for the caller to store later.
    pending: list[TranslationMemory] | None = None
    rows: dict[str, TranslationMemory] = field(default_factory=dict)

    def load(self) -> None:
        for row in self.db.scalars(
            select(TranslationMemory).where(
                TranslationMemory.account_id == self.account_id,
                TranslationMemory.source_language == self.source,
                TranslationMemory.target_language == self.target,
                TranslationMemory.source_hash == text_hash(self.text),
                TranslationMemory.glossary_version.in_([self.glossary_version, 0]),
            )
        ):
            if row.source_text == self.text:
                self.rows[row.engine] = row

    def correction(self) -> TranslationMemory | None:
        return self.rows.get(CORRECTION_ENGINE)

    def get(self, engine: str) -> tuple[str, str | None] | None:
        row = self.rows.get(engine)
        if row is None or row.glossary_version != self.glossary_version:
            return None
        return row.translated_text, row.pivot

    def put(self, engine: str, text: str, pivot: str | None) -> None:
        entry = TranslationMemory(
            account_id=self.account_id, engine=engine, source_language=self.source,
            target_language=self.target, source_hash=text_hash(self.text), source_text=self.text,
            translated_text=text, pivot=pivot, glossary_version=self.glossary_version, hits=0,
        )  # fmt: skip
        if self.pending is not None:
            self.pending.append(entry)
        else:
            store_memory(self.db, [entry])


def store_memory(db: Session, entries: list[TranslationMemory]) -> None:
    """Each in a SAVEPOINT: another process may have stored the same entry a
    moment ago; then its row stands and ours is dropped."""
    for entry in entries:
        try:
            with db.begin_nested():
                db.add(entry)
        except IntegrityError:
            pass


def chain_names(runtime: LanguageRuntime, settings: AccountLanguageSettings, source: str, target: str) -> list[str]:
    chains = settings.engine_chains
    return chains.get(f"{source}-{target}") or chains.get("*") or runtime.default_chain()


def translation_served(runtime: LanguageRuntime, settings: AccountLanguageSettings, source: str, target: str) -> bool:
    """Whether the account's engine chain for the pair has an engine for it."""
    if source == target:
        return True
    return any(engine.supports(source, target) for engine in runtime.resolve(chain_names(runtime, settings, source, target)))


def translation_reach(db: Session, runtime: LanguageRuntime, account_id: int) -> dict[str, frozenset[str]]:
    """For each language a customer may write (the detector's and every
    language the account's people write): the other languages an agent may
    work in with machine translation, the account's engines serving both
    directions (reading the customer, writing back). Routing's translation
    step gives a chat only to agents who write one of these or the
    customer's own."""
    settings = get_settings(db, account_id)
    written = db.scalars(
        select(UserLanguage.language).join(User, User.id == UserLanguage.user_id).where(User.account_id == account_id)
    ).all()
    codes = sorted({*DEFAULT_LANGUAGES, *(code for code in (base_language(c) for c in written) if code)})
    return {
        customer: frozenset(
            code for code in codes
            if code != customer and translation_served(runtime, settings, customer, code) and translation_served(runtime, settings, code, customer)
        )
        for customer in codes
    }  # fmt: skip


def translate_for_account(
    db: Session,
    runtime: LanguageRuntime,
    account_id: int,
    text: str,
    source: str,
    target: str,
    *,
    pending_memory: list[TranslationMemory] | None = None,
) -> TranslationResult:
    """Translate with the account's chain, glossary and memory (corrections first).

    With `pending_memory` nothing is written: new memory entries are added to
    it for the caller to store with `store_memory`. The worker does that so it
    never holds SQLite's write lock while an engine works."""
    source, target = base_language(source) or source, base_language(target) or target
    settings = get_settings(db, account_id)
    if source == target:
        return TranslationResult(source=source, target=target, status="translated", text=text, engine="none")
    memory = _DbMemory(db, account_id, source, target, text, settings.glossary_version, pending_memory)
    memory.load()
    corrected = memory.correction()
    if corrected is not None:
        lost = lost_facts(db, account_id, text, source, target, corrected.translated_text)
        return TranslationResult(
            source=source, target=target, status="translated", text=corrected.translated_text, engine=CORRECTION_ENGINE,
            flags=["facts_missing"] if lost else [], missing_facts=lost, from_memory=True,
        )  # fmt: skip
    chain = runtime.resolve(chain_names(runtime, settings, source, target))
    return translate_text(
        text, source, target, chain, glossary=glossary_entries(db, account_id), order_pattern=settings.order_pattern, memory=memory
    )


def translate_preferring_direct(
    db: Session, runtime: LanguageRuntime, account_id: int, attempts: Iterable[tuple[str, str, str]]
) -> tuple[TranslationResult, str, str] | None:
    """The first of (text, source, target) that translates through a direct
    pair, else the first that translates through a pivot (two translations
    in a row lose more); with its source and target. Uses the account's
    engines, glossary and memory; stores nothing. None when none translates."""
    settings = get_settings(db, account_id)
    pivoted: tuple[TranslationResult, str, str] | None = None
    for text, source, target in attempts:
        # A pair no engine of the account's chain covers is skipped before
        # the translation memory is read for it: most are, for most languages.
        chain = runtime.resolve(chain_names(runtime, settings, source, target))
        if not any(engine.supports(source, target) for engine in chain):
            continue
        result = translate_for_account(db, runtime, account_id, text, source, target, pending_memory=[])
        if result.status != "translated" or not result.text:
            continue
        if result.pivot is None:
            return result, source, target
        pivoted = pivoted or (result, source, target)
    return pivoted


def store_correction(db: Session, account_id: int, user_id: int, text: str, source: str, target: str, corrected: str) -> None:
    corrected = require_text(corrected, "text", max_length=MAX_TRANSLATION_CHARS)
    key = {
        "account_id": account_id, "engine": CORRECTION_ENGINE, "source_language": source, "target_language": target,
        "source_hash": text_hash(text), "glossary_version": 0,
    }  # fmt: skip
    db.execute(delete(TranslationMemory).filter_by(**key))
    db.add(TranslationMemory(**key, source_text=text, translated_text=corrected, corrected_by=user_id, hits=0))
    db.flush()


# -- messages -------------------------------------------------------------------

def message_language(message: Any) -> str | None:
    return ((message.attributes or {}).get("language") or {}).get("code")


def store_message_translation(db: Session, message_cls: type, message_id: int, result: TranslationResult) -> Any:
    """Merge one translation into the message's attributes.

    The no-op UPDATE first takes the row's lock (PostgreSQL) or this process's
    SQLite write lock, held until the caller commits; the attributes are read
    only after it. So two translations of one message, stored at once, never
    overwrite each other."""
    db.execute(update(message_cls).where(message_cls.id == message_id).values(id=message_cls.id))
    message = db.scalars(
        select(message_cls).where(message_cls.id == message_id).execution_options(populate_existing=True)
    ).one()
    attributes = dict(message.attributes or {})
    translations = dict(attributes.get("translations") or {})
    translations[result.target] = result.as_dict()
    attributes["translations"] = translations
    message.attributes = attributes
    db.flush()
    return message


def working_languages(db: Session, conversation: Any) -> list[str]:
    """Who will read it: the assignee; else the team's members; else every
    active agent of the account (their distinct working languages)."""
    if conversation.assignee_id is not None:
        user = db.get(User, conversation.assignee_id)
        if user is not None and user.active:
            return [base_language(user.working_language) or "en"]
    statement = select(User.working_language).where(User.account_id == conversation.account_id, User.active.is_(True))
    if conversation.team_id is not None:
        statement = statement.join(TeamMember, TeamMember.user_id == User.id).where(TeamMember.team_id == conversation.team_id)
    languages = sorted({base_language(code) or "en" for code in db.scalars(statement.distinct())})
    if not languages:
        account = db.get(Account, conversation.account_id)
        languages = [base_language(account.default_locale) if account else "en"]  # type: ignore[list-item]
    return languages


def note_readers(db: Session, conversation: Any) -> list[User]:
    """The people a transfer's note is for, as `working_languages` counts
    them: the assignee; else the team's active members; else nobody in
    particular (every active agent may take it, so no one reader decides)."""
    if conversation.assignee_id is not None:
        user = db.get(User, conversation.assignee_id)
        return [user] if user is not None and user.active else []
    if conversation.team_id is None:
        return []
    return list(
        db.scalars(
            select(User)
            .join(TeamMember, TeamMember.user_id == User.id)
            .where(TeamMember.team_id == conversation.team_id, User.active.is_(True))
            .order_by(User.name)
        )
    )


# Reading a colleague's note needs a working reading level, not native.
NOTE_READING_LEVEL = 3


@dataclass(frozen=True)
class NoteReader:
    name: str
    working_language: str
    reads: frozenset[str]  # base languages read at NOTE_READING_LEVEL or better


def readers_left_out(note_language: str, readers: Iterable[NoteReader], served: Callable[[str, str], bool]) -> list[NoteReader]:
    """Pure: the readers who could not read a note written in
    `note_language`: they work in another language, do not read this one
    well enough, and no engine translates it into their working language."""
    return [
        reader
        for reader in readers
        if reader.working_language != note_language
        and note_language not in reader.reads
        and not served(note_language, reader.working_language)
    ]


class NoteUntranslatable(InvalidInput):
    """422: a transfer's note that no engine translates for whoever takes it;
    sent as written only when the transferring agent says so."""

    code = "note_untranslatable"

    def __init__(self, message: str, language: str, readers: list[NoteReader], field: str = "note") -> None:
        super().__init__(message, field=field)
        self.language = language
        self.readers = readers

    def as_dict(self) -> dict[str, object]:
        return {
            **super().as_dict(),
            "language": self.language,
            "readers": [{"name": r.name, "working_language": r.working_language} for r in self.readers],
        }


def note_language(db: Session, user_id: int, text: str) -> str:
    """The language a note is written in: detected among the languages its
    writer writes, their working language when unclear."""
    return language_of_reply(db, user_id, text, user_working_language(db, user_id))


def check_note_reach(
    db: Session, runtime: LanguageRuntime, user_id: int, conversation: Any, text: str, *, field: str = "note", untranslated_flag: str = "note_untranslated"
) -> None:
    """Raises NoteUntranslatable (naming `field`) when the note, in the
    language it is written in, can be neither read nor machine-translated for
    one of its readers (the conversation's new assignee or team). Call after
    the change; `untranslated_flag` is the request's way to send it anyway."""
    language = note_language(db, user_id, text)
    settings = get_settings(db, conversation.account_id)
    readers = [
        NoteReader(
            name=user.name,
            working_language=base_language(user.working_language) or "en",
            reads=frozenset(
                code for code in (base_language(level.language) for level in user.languages if level.reading >= NOTE_READING_LEVEL) if code
            ),
        )
        for user in note_readers(db, conversation)
        if user.id != user_id
    ]
    left_out = readers_left_out(language, readers, lambda source, target: translation_served(runtime, settings, source, target))
    if left_out:
        names = ", ".join(f"{reader.name} ({reader.working_language})" for reader in left_out)
        raise NoteUntranslatable(
            f"no engine translates the note from {language} for {names}, and they do not read {language}; "
            f"write it in a language they read, or send it as written with {untranslated_flag}: true",
            language,
            left_out,
            field,
        )


def user_working_language(db: Session, user_id: int) -> str:
    user = db.get(User, user_id)
    return (base_language(user.working_language) if user else None) or "en"


def user_written_languages(db: Session, user_id: int) -> list[str]:
    """The agent's working language first, then every language they write."""
    user = db.get(User, user_id)
    if user is None:
        return ["en"]
    written = [base_language(level.language) for level in user.languages if level.writing > 0]
    return list(dict.fromkeys(code for code in (user_working_language(db, user_id), *written) if code))


def language_of_reply(db: Session, user_id: int, text: str, customer: str) -> str:
    """The language a reply is written in, decided per send: detected among
    the languages the agent writes and the customer's, and the agent's
    working language when the text is too short or unclear to tell. A saved
    reply in the customer's language and the agent's own words in another
    are then told apart however the reply box was set."""
    candidates = list(dict.fromkeys((*user_written_languages(db, user_id), customer)))
    if len(candidates) > 1:
        found = shared_detection().detect(text, candidates)
        # No minimum of words: among the few languages in play, even "Morgen."
        # or "Gracias" is told apart reliably, and agents' short replies are common.
        if found.language in candidates and found.confidence >= evidence.MIN_CONFIDENCE:
            return str(found.language)
    return candidates[0]


# -- agent replies ------------------------------------------------------------------


class ReplyNeedsConfirmation(Conflict):
    """409: the translation lost a protected fact; the agent confirms or edits."""

    code = "translation_unconfirmed"

    def __init__(self, message: str, preview: dict[str, Any]) -> None:
        super().__init__(message, field="confirm")
        self.preview = preview

    def as_dict(self) -> dict[str, object]:
        return {**super().as_dict(), "preview": self.preview}


class UnsupportedPairError(InvalidInput):
    code = "unsupported_language_pair"


@dataclass
class ReplyPreview:
    original: str
    source: str
    target: str
    result: TranslationResult
    edited: bool = False
    # The agent already wrote in the customer's language: sent as written.
    not_needed: bool = False

    @property
    def needs_confirmation(self) -> bool:
        return bool(self.result.flags)

    def as_dict(self) -> dict[str, Any]:
        return {
            "original": self.original,
            "content": self.result.text,
            "from": self.source,
            "to": self.target,
            "engine": self.result.engine,
            "pivot": self.result.pivot,
            "status": self.result.status,
            "reason": self.result.reason,
            "flags": list(self.result.flags),
            "missing_facts": list(self.result.missing_facts),
            "needs_confirmation": self.needs_confirmation,
            "edited": self.edited,
            "not_needed": self.not_needed,
        }


def customer_language(conversation: Any) -> str | None:
    return base_language(conversation.language)


def preview_reply(
    db: Session, runtime: LanguageRuntime, user_id: int, conversation: Any, content: str | None, *,
    source_language: str | None = None, edited_translation: str | None = None,
) -> ReplyPreview:  # fmt: skip
    """What the customer would receive for the agent's `content`."""
    text = require_text(content, "content", max_length=MAX_TRANSLATION_CHARS)
    target = customer_language(conversation)
    if target is None:
        raise InvalidInput("the conversation has no language yet; set it first", field="language")
    source = (
        base_language(require_language(source_language, "source_language"))
        if source_language
        else language_of_reply(db, user_id, text, target)
    )
    if edited_translation is not None:
        edited = require_text(edited_translation, "translation", max_length=MAX_TRANSLATION_CHARS)
        lost = lost_facts(db, conversation.account_id, text, source, target, edited)
        result = TranslationResult(
            source=source, target=target, status="translated", text=edited, engine="agent",
            flags=["facts_missing"] if lost else [], missing_facts=lost,
        )  # fmt: skip
        return ReplyPreview(text, source, target, result, edited=True)
    if source == target:
        # Written in the customer's language (a saved reply, or an agent who
        # reads Chinese answering an English customer in English): as written.
        unchanged = TranslationResult(source=target, target=target, status="translated", text=text)
        return ReplyPreview(text, target, target, unchanged, not_needed=True)
    result = translate_for_account(db, runtime, conversation.account_id, text, source, target)
    if result.status != "translated":
        raise UnsupportedPairError(result.reason or no_engine_reason(source, target), field="translate")
    return ReplyPreview(text, source, target, result)


def prepare_translated_reply(
    db: Session, runtime: LanguageRuntime, user_id: int, conversation: Any, content: str | None, *,
    confirm: bool = False, edited_translation: str | None = None,
) -> tuple[str, dict[str, Any]]:  # fmt: skip
    """(text the customer receives, attributes for the message), or 409 when a
    protected fact went missing and the agent has not confirmed."""
    preview = preview_reply(db, runtime, user_id, conversation, content, edited_translation=edited_translation)
    if preview.needs_confirmation and not confirm:
        missing = ", ".join(preview.result.missing_facts) or "protected text"
        raise ReplyNeedsConfirmation(
            f"the translation lost {missing}; edit it, or send again with confirm: true", preview.as_dict()
        )
    if preview.not_needed:
        return preview.original, {"language": {"code": preview.target, "confidence": 1.0}}
    if preview.edited:
        store_correction(db, conversation.account_id, user_id, preview.original, preview.source, preview.target, preview.result.text or "")
    assert preview.result.text is not None
    attributes = {
        "language": {"code": preview.target, "confidence": 1.0},
        "original": {
            "content": preview.original,
            "language": preview.source,
            "engine": preview.result.engine,
            "pivot": preview.result.pivot,
            "flags": list(preview.result.flags),
            "missing_facts": list(preview.result.missing_facts),
            "confirmed": bool(preview.result.flags) and confirm,
        },
    }
    return preview.result.text, attributes
