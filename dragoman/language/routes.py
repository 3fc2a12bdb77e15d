"""Language REST API: settings, glossary, detection, translation of any
message or text, agents' corrections, reply preview, bilingual transcript."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Direction, Message
from dragoman.conversations.schemas import MessageOut
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.http import app_context, get_db
from dragoman.core.validation import require_language, require_text
from dragoman.language import evidence, services
from dragoman.language.detect import base_language
from dragoman.language.pipeline import no_engine_reason
from dragoman.language.runtime import ENGINE_NAMES, LanguageRuntime
from dragoman.language.schemas import (
    CorrectionIn,
    DetectIn,
    DetectOut,
    EngineInfo,
    GlossaryTermIn,
    GlossaryTermOut,
    GlossaryTermPatch,
    LanguageSettingsIn,
    LanguageSettingsOut,
    PreviewIn,
    PreviewOut,
    TranscriptLine,
    TranscriptOut,
    TranslateIn,
    TranslateMessageIn,
    TranslationOut,
)
from dragoman.language.worker import translate_message

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["language"])


def runtime(request: Request) -> LanguageRuntime:
    return app_context(request).services["language"]  # type: ignore[no-any-return]


# -- settings --------------------------------------------------------------------


def _settings_out(db: Session, rt: LanguageRuntime, account_id: int) -> LanguageSettingsOut:
    view = services.get_settings(db, account_id)
    engines = [
        EngineInfo(name=name, available=rt.engines.get(name) is not None, reason=rt.unavailable.get(name))
        for name in ENGINE_NAMES
    ]
    return LanguageSettingsOut(**view.as_dict(), default_chain=rt.default_chain(), engines=engines)


@router.get("/language_settings", response_model=LanguageSettingsOut, summary="Languages, order-number pattern, engine chains")
def read_language_settings(
    request: Request, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> LanguageSettingsOut:
    return _settings_out(db, runtime(request), principal.account_id)


@router.patch("/language_settings", response_model=LanguageSettingsOut, summary="Change them (admins)")
def patch_language_settings(
    body: LanguageSettingsIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> LanguageSettingsOut:
    changes = {name: getattr(body, name) for name in body.model_fields_set}
    if "order_pattern" in changes and changes["order_pattern"] is None:
        changes["order_pattern"] = ""
    for name in ("languages", "engine_chains"):
        if name in changes and changes[name] is None:
            raise InvalidInput(f"{name} must not be null", field=name)
    services.update_settings(db, principal.account_id, **changes)
    db.commit()
    return _settings_out(db, runtime(request), principal.account_id)


# -- glossary ---------------------------------------------------------------------


def _term_out(row: Any) -> GlossaryTermOut:
    return GlossaryTermOut(
        id=row.id, term=row.term, translation=row.translation, source_language=row.source_language,
        target_language=row.target_language, case_sensitive=row.case_sensitive,
    )  # fmt: skip


@router.get("/glossary", response_model=list[GlossaryTermOut], summary="The account's glossary")
def list_glossary(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[GlossaryTermOut]:
    return [_term_out(row) for row in services.list_glossary(db, principal.account_id)]


@router.post("/glossary", response_model=GlossaryTermOut, status_code=201, summary="Add a do-not-translate term or a forced translation")
def add_glossary_term(
    body: GlossaryTermIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> GlossaryTermOut:
    row = services.add_glossary_term(db, principal.account_id, **body.model_dump())
    db.commit()
    return _term_out(row)


@router.patch("/glossary/{term_id}", response_model=GlossaryTermOut)
def patch_glossary_term(
    term_id: int, body: GlossaryTermPatch, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> GlossaryTermOut:
    row = services.get_glossary_term(db, principal.account_id, term_id)
    services.update_glossary_term(db, row, {name: getattr(body, name) for name in body.model_fields_set})
    db.commit()
    return _term_out(row)


@router.delete("/glossary/{term_id}", status_code=204)
def delete_glossary_term(term_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    services.delete_glossary_term(db, services.get_glossary_term(db, principal.account_id, term_id))
    db.commit()
    return Response(status_code=204)


# -- detection and free text -----------------------------------------------------------


@router.post("/language/detect", response_model=DetectOut, summary="Detect a text's language among the account's languages")
def detect(body: DetectIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> DetectOut:
    text = require_text(body.text, "text", max_length=services.MAX_TRANSLATION_CHARS)
    found = services.detect_for_account(db, principal.account_id, text)
    return DetectOut(
        language=found.language, confidence=round(found.confidence, 4), words=found.words,
        counts_for_conversation=evidence.message_counts(found.words, found.confidence),
    )  # fmt: skip


@router.post("/language/translate", response_model=TranslationOut, summary="Translate any text with the account's engines and glossary")
def translate(
    body: TranslateIn, request: Request, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> TranslationOut:
    text = require_text(body.text, "text", max_length=services.MAX_TRANSLATION_CHARS)
    target = base_language(require_language(body.target_language, "target_language")) or ""
    if body.source_language:
        source = base_language(require_language(body.source_language, "source_language")) or ""
    else:
        source = services.detect_for_account(db, principal.account_id, text).language or ""
        if not source:
            raise InvalidInput("the text's language could not be detected; give source_language", field="source_language")
    result = services.translate_for_account(db, runtime(request), principal.account_id, text, source, target)
    if result.status != "translated" and not result.attempts:
        raise services.UnsupportedPairError(no_engine_reason(source, target), field="target_language")
    db.commit()  # the memory entry
    return TranslationOut.model_validate(result.as_dict())


# -- messages -----------------------------------------------------------------------


def _message(db: Session, principal: Principal, conversation_id: int, message_id: int) -> tuple[Any, Message]:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    message = db.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound(f"message {message_id} not found", field="message_id")
    return conversation, message


def _announce_update(db: Session, conversation: Any, message: Message) -> MessageOut:
    """Commit a message's new translation and push message.updated to who may see it."""
    db.refresh(message)
    conversations.record_message_updated(db, conversation, message)
    db.commit()
    return conversations.message_out(db, message)


@router.post(
    "/conversations/{conversation_id}/messages/{message_id}/translations",
    response_model=MessageOut,
    summary="Translate a message into a language now (stored on the message)",
)
def translate_stored_message(
    conversation_id: int,
    message_id: int,
    body: TranslateMessageIn,
    request: Request,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> MessageOut:
    conversation, message = _message(db, principal, conversation_id, message_id)
    target = base_language(require_language(body.target_language, "target_language")) or ""
    source = services.message_language(message)
    if source is None:
        source = services.detect_for_account(db, principal.account_id, message.content).language
    if source and source != target:
        chain = runtime(request).resolve(services.chain_names(runtime(request), services.get_settings(db, principal.account_id), source, target))
        if not any(engine.supports(source, target) for engine in chain):
            raise services.UnsupportedPairError(no_engine_reason(source, target), field="target_language")
    if services.message_language(message) is None and source:
        message.attributes = {**(message.attributes or {}), "language": {"code": source, "confidence": None}}
        db.flush()
    if translate_message(db, runtime(request), message, target, force=body.force) is None:
        return conversations.message_out(db, message)
    return _announce_update(db, conversation, message)


@router.put(
    "/conversations/{conversation_id}/messages/{message_id}/translations/{target_language}",
    response_model=MessageOut,
    summary="Correct a message's translation; the correction is reused for the same text",
)
def correct_translation(
    conversation_id: int,
    message_id: int,
    target_language: str,
    body: CorrectionIn,
    request: Request,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> MessageOut:
    conversation, message = _message(db, principal, conversation_id, message_id)
    target = base_language(require_language(target_language, "target_language")) or ""
    source = services.message_language(message)
    if message.direction is not Direction.incoming or source is None:
        raise InvalidInput("only a customer message with a detected language can be corrected", field="message_id")
    services.store_correction(db, message.account_id, principal.user.id, message.content, source, target, body.text)
    result = services.translate_for_account(db, runtime(request), message.account_id, message.content, source, target)
    services.store_message_translation(db, Message, message.id, result)
    return _announce_update(db, conversation, message)


# -- replies ----------------------------------------------------------------------------


@router.post(
    "/conversations/{conversation_id}/translation_preview",
    response_model=PreviewOut,
    summary="What the customer would receive for a reply, with the fact check",
)
def translation_preview(
    conversation_id: int,
    body: PreviewIn,
    request: Request,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> PreviewOut:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    preview = services.preview_reply(
        db, runtime(request), principal.user.id, conversation, body.content, edited_translation=body.translation
    )
    db.commit()  # the memory entry: sending the same text reuses it
    return PreviewOut.model_validate(preview.as_dict())


# -- transcript -------------------------------------------------------------------------


def transcript_lines(db: Session, conversation: Any, language: str) -> list[TranscriptLine]:
    lines = []
    for message in conversations.list_messages(db, conversation, include_private=False, limit=10_000):
        out = conversations.message_out(db, message)
        attributes = message.attributes or {}
        written = (attributes.get("language") or {}).get("code")
        original = attributes.get("original")
        translation = (attributes.get("translations") or {}).get(language) or {}
        if original and original.get("language") == language:
            second, engine, flags = original.get("content"), original.get("engine"), original.get("flags") or []
        elif written == language:
            second, engine, flags = message.content, None, []
        else:
            second, engine, flags = translation.get("text"), translation.get("engine"), translation.get("flags") or []
        lines.append(
            TranscriptLine(
                id=message.id, created_at=out.created_at, direction=out.direction,
                sender=out.sender.name if out.sender else None, language=written, original=message.content,
                translation=second, translation_language=language if second is not None else None,
                engine=engine, flags=list(flags),
            )  # fmt: skip
        )
    return lines


@router.get(
    "/conversations/{conversation_id}/transcript",
    response_model=TranscriptOut,
    summary="Bilingual transcript: each message as written and in the reader's language",
    responses={200: {"content": {"text/plain": {}}}},
)
def transcript(
    conversation_id: int,
    language: str | None = Query(None, description="The second column's language; default: the caller's working language"),
    format: str = Query("json", description="json or text"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> Any:
    if format not in ("json", "text"):
        raise InvalidInput("format must be json or text", field="format")
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    reader = base_language(require_language(language, "language")) if language else services.user_working_language(db, principal.user.id)
    lines = transcript_lines(db, conversation, reader or "en")
    if format == "json":
        return TranscriptOut(conversation_id=conversation.id, language=reader or "en", lines=lines)
    blocks = [f"Conversation {conversation.id}: as written, and in {reader}\n"]
    for line in lines:
        who = line.sender or line.direction
        blocks.append(f"[{line.created_at}] {who} ({line.language or '?'}): {line.original}")
        if line.translation is not None and line.translation != line.original:
            engine = f", {line.engine}" if line.engine else ""
            flags = f" [{', '.join(line.flags)}]" if line.flags else ""
            blocks.append(f"    {reader}{engine}: {line.translation}{flags}")
    return PlainTextResponse(
        "\n".join(blocks) + "\n",
        headers={"Content-Disposition": f'attachment; filename="conversation-{conversation.id}-{reader}.txt"'},
    )
