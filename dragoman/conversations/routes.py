"""REST routes for conversations and messages (Chatwoot's shape)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import FileResponse
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal
from dragoman.conversations import services
from dragoman.conversations.schemas import (
    AssignmentIn,
    ConversationOut,
    ConversationPage,
    ConversationPatchIn,
    MessageOut,
    NewConversationIn,
    NewMessageIn,
    StatusIn,
    StoredFileOut,
)
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.files import PREVIEW_DESCRIPTION, download_of, read_upload
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.inboxes.services import get_inbox
from dragoman.language import services as language_services

router = APIRouter(prefix="/api/v1/accounts/{account_id}/conversations", tags=["conversations"])


@router.get("", response_model=ConversationPage, summary="List conversations the caller may see")
def list_conversations(
    assignee: str = Query("all", description="mine, unassigned, my_teams or all"),
    status: str | None = Query("open", description="open, pending, resolved, or 'any'"),
    q: str | None = Query(None, description="Part of the contact's name, e-mail or phone"),
    inbox_id: int | None = None,
    team_id: int | None = None,
    before_id: int | None = Query(None, description="Next page: the id of the last conversation of the previous page"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> ConversationPage:
    spec = services.ConversationFilter(
        assignee=assignee,
        status=None if status in (None, "", "any") else status,
        query=q,
        inbox_id=inbox_id,
        team_id=team_id,
        before_id=before_id,
    )
    return ConversationPage(
        items=services.list_conversations(db, principal.viewer, spec),
        counts=services.count_open_conversations(db, principal.viewer),
    )


@router.post("", response_model=ConversationOut, status_code=201, summary="Start a conversation with a contact")
def create_conversation(
    body: NewConversationIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> ConversationOut:
    inbox = get_inbox(db, principal.account_id, body.inbox_id)
    viewer = principal.viewer
    if not viewer.sees_whole_account and inbox.id not in viewer.inbox_ids:
        raise NotFound(f"inbox {body.inbox_id} not found", field="inbox_id")
    # A contact the agent may not see is one that does not exist for them.
    contact = services.get_visible_contact(db, viewer, body.contact_id)
    conversation = services.start_conversation(db, inbox, contact, language=body.language)
    if body.content is not None:
        services.receive_incoming_message(db, conversation, body.content)
    db.commit()
    return services.conversation_out(db, conversation)


@router.get("/{conversation_id}", response_model=ConversationOut)
def read_conversation(
    conversation_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> ConversationOut:
    return services.conversation_out(db, services.get_conversation(db, principal.viewer, conversation_id))


@router.patch("/{conversation_id}", response_model=ConversationOut, summary="Change priority or language")
def patch_conversation(
    conversation_id: int,
    body: ConversationPatchIn,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> ConversationOut:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    services.update_conversation(db, conversation, priority=body.priority, language=body.language)
    db.commit()
    return services.conversation_out(db, conversation)


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
def list_messages(
    conversation_id: int,
    after_id: int | None = Query(None, description="Only messages newer than this id"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> list[MessageOut]:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    return services.messages_out(db, services.list_messages(db, conversation, after_id=after_id))


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=201)
def create_message(
    conversation_id: int,
    body: NewMessageIn,
    request: Request,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> MessageOut:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    if body.attachments and body.message_type != "outgoing":
        raise InvalidInput("only a reply to the customer carries files", field="attachments")
    files = services.check_reply_files(
        db, conversation, body.attachments, app_context(request).settings.data_dir / "attachments", services.user_uploader(principal.user.id)
    )
    # Decided per send, not by a switch left from the last message.
    translate = body.translate if body.translate is not None else conversation.language is not None
    if translate and body.message_type == "outgoing":
        # 409 with the preview when a protected fact went missing and the
        # agent has not confirmed; 422 when no engine has the pair.
        content, attributes = language_services.prepare_translated_reply(
            db,
            app_context(request).services["language"],
            principal.user.id,
            conversation,
            body.content,
            confirm=body.confirm,
            edited_translation=body.translation,
        )
        message = services.send_reply(db, principal.viewer, conversation, content, attributes=attributes, files=files)
    elif body.message_type == "note":
        message = services.add_note(db, principal.viewer, conversation, body.content)
    elif body.message_type == "incoming":
        message, _created = services.receive_incoming_message(db, conversation, body.content, source_id=body.source_id)
    else:
        message = services.send_reply(db, principal.viewer, conversation, body.content, files=files)
    db.commit()
    return services.message_out(db, message)


@router.post(
    "/{conversation_id}/attachments",
    response_model=StoredFileOut,
    status_code=201,
    summary="Upload a file to send with a reply (multipart field file; e-mail conversations; at most 10 MB)",
)
def upload_attachment(
    conversation_id: int,
    file: UploadFile,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> StoredFileOut:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    services.check_file_channel(db, conversation, "file")
    filename = services.check_filename(file.filename, "file")
    data = read_upload(file)
    digest = services.keep_file(
        db, ctx.settings.data_dir / "attachments", data, account_id=conversation.account_id, uploader=services.user_uploader(principal.user.id)
    )
    db.commit()
    return StoredFileOut(sha256=digest, filename=filename, content_type=file.content_type or "application/octet-stream", size=len(data))


@router.get(
    "/{conversation_id}/messages/{message_id}/files/{index}",
    summary="A file sent with a message (an agent's reply, a visitor's chat), as a download",
    response_class=FileResponse,
)
def download_reply_file(
    conversation_id: int,
    message_id: int,
    index: int,
    preview: bool = Query(False, description=PREVIEW_DESCRIPTION),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> FileResponse:
    message = services.get_message(db, services.get_conversation(db, principal.viewer, conversation_id), message_id)
    files = (message.attributes or {}).get("attachments") or []
    services.require_account_file(db, principal.account_id, files, index)
    return download_of(ctx.settings.data_dir / "attachments", files, index, f"message {message_id}", preview=preview)


@router.post("/{conversation_id}/assignments", response_model=ConversationOut, summary="Assign to an agent and/or a team")
def assign(
    conversation_id: int,
    body: AssignmentIn,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> ConversationOut:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    changes = {name: getattr(body, name) for name in ("assignee_id", "team_id") if name in body.model_fields_set}
    services.assign_conversation(db, principal.viewer, conversation, **changes)
    if body.note is not None and body.note.strip():
        # A transfer: the note is written after the change, so it is
        # translated for the new agent or team.
        services.add_translated_note(db, principal.viewer, ctx.services["language"], conversation, body.note, {"transfer": changes})
    db.commit()
    return services.conversation_out(db, conversation)


@router.post("/{conversation_id}/toggle_status", response_model=ConversationOut, summary="Open, set pending or resolve")
def toggle_status(
    conversation_id: int, body: StatusIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> ConversationOut:
    conversation = services.get_conversation(db, principal.viewer, conversation_id)
    services.change_status(db, principal.viewer, conversation, body.status)
    db.commit()
    return services.conversation_out(db, conversation)
