"""Translating a conversation's messages: one stored message on demand, an
agent's correction, the reply preview and the bilingual transcript. Routes of
the language API (same prefix and tag), kept with conversations because they
act on its messages; the language package itself knows no conversations."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import PlainTextResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Direction, Message
from dragoman.conversations.schemas import MessageOut
from dragoman.conversations.translation_worker import translate_message
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.http import app_context, get_db
from dragoman.core.validation import require_language
from dragoman.language import services
from dragoman.language.detect import base_language
from dragoman.language.pipeline import no_engine_reason
from dragoman.language.runtime import LanguageRuntime
from dragoman.language.schemas import (
    CorrectionIn,
    PreviewIn,
    PreviewOut,
    TranscriptLine,
    TranscriptOut,
    TranslateMessageIn,
)

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["language"])


def runtime(request: Request) -> LanguageRuntime:
    return app_context(request).services["language"]  # type: ignore[no-any-return]


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
