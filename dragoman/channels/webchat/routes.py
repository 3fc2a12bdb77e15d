"""The widget's API: public, authenticated by the visitor token alone."""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from fastapi import APIRouter, Depends, Form, Header, Query, Request, UploadFile, WebSocket, WebSocketDisconnect
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from dragoman.channels.webchat import services
from dragoman.channels.webchat.adapter import VisitorTokens
from dragoman.core.edge import parse_json
from dragoman.core.errors import DragomanError, InvalidInput
from dragoman.core.files import PREVIEW_DESCRIPTION, download_of, read_upload
from dragoman.core.writer import BatchWriter
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.realtime.hub import RealtimeHub, VisitorConnection, visitor_message_view, websocket_closer
from dragoman.conversations import services as conversations
from dragoman.conversations.services import message_out

router = APIRouter(prefix="/widget/api", tags=["web chat widget"])
VISITOR_HEADER = "X-Visitor-Token"
CLOSE_NOT_AUTHENTICATED = 4401


class VisitorIn(BaseModel):
    name: str | None = None
    email: str | None = None
    language: str | None = Field(None, description="The language the customer chose in the widget")


class VisitorOut(BaseModel):
    visitor_token: str
    contact_id: int
    name: str | None
    email: str | None
    language: str | None


class WidgetFile(BaseModel):
    filename: str
    size: int
    picture: bool = Field(False, description="Its sender called it a picture: the chat asks for ?preview=true to show it")


class WidgetMessage(BaseModel):
    id: int
    conversation_id: int
    direction: str
    content: str
    sender_name: str | None
    client_id: str | None
    created_at: str
    files: list[WidgetFile] = Field(default_factory=list, description="Files sent with it (by the team or the visitor): GET /widget/api/messages/{id}/files/{index}")


class WidgetSessionOut(BaseModel):
    contact_id: int
    name: str | None
    email: str | None
    language: str | None
    conversation_id: int | None
    conversation_status: str | None
    messages: list[WidgetMessage]


class WidgetMessageIn(BaseModel):
    content: str
    client_id: str | None = Field(None, max_length=100, description="The widget's own id for the message")


class VisitorPatchIn(BaseModel):
    language: str | None = None
    name: str | None = None
    email: str | None = None


def tokens(request: Request) -> VisitorTokens:
    return app_context(request).services["visitor_tokens"]  # type: ignore[no-any-return]


@router.post("/{website_token}/visitors", response_model=VisitorOut, status_code=201, summary="Start a chat as a new visitor")
def create_visitor(
    website_token: str, body: VisitorIn, request: Request, db: Session = Depends(get_db)
) -> VisitorOut:
    token, visitor = services.register_visitor(
        db, tokens(request), website_token, name=body.name, email=body.email, language=body.language
    )
    db.commit()
    contact = visitor.contact
    return VisitorOut(visitor_token=token, contact_id=contact.id, name=contact.name, email=contact.email, language=contact.language)


@router.get("/session", response_model=WidgetSessionOut, summary="The visitor's chat so far")
def read_session(
    request: Request, db: Session = Depends(get_db), x_visitor_token: str | None = Header(None)
) -> WidgetSessionOut:
    visitor = services.resolve_visitor(db, tokens(request), x_visitor_token)
    conversation, history = services.visitor_history(db, visitor)
    contact = visitor.contact
    return WidgetSessionOut(
        contact_id=contact.id,
        name=contact.name,
        email=contact.email,
        language=contact.language,
        conversation_id=conversation.id if conversation else None,
        conversation_status=conversation.status.value if conversation else None,
        messages=[WidgetMessage(**m) for m in history],
    )


@router.post("/messages", response_model=WidgetMessage, status_code=201, summary="Write to the support team")
def post_message(
    body: WidgetMessageIn, request: Request, db: Session = Depends(get_db), x_visitor_token: str | None = Header(None)
) -> WidgetMessage:
    visitor = services.resolve_visitor(db, tokens(request), x_visitor_token)
    message = services.receive_visitor_message(db, visitor, body.content, body.client_id)
    db.commit()
    return WidgetMessage(**visitor_message_view(message_out(db, message).model_dump(mode="json")))


@router.post(
    "/files",
    response_model=WidgetMessage,
    status_code=201,
    summary="Send the team a file (multipart field file, at most 10 MB; where the inbox accepts files)",
    responses={429: {"description": "Too many files from this visitor this hour"}},
)
def post_file(
    request: Request,
    file: UploadFile,
    client_id: str | None = Form(None, max_length=100, description="The widget's own id for the message"),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
    x_visitor_token: str | None = Header(None),
) -> WidgetMessage:
    visitor = services.resolve_visitor(db, tokens(request), x_visitor_token)
    message = services.receive_visitor_file(
        db,
        visitor,
        ctx.settings.data_dir / "attachments",
        ctx.services["visitor_file_limiter"],
        filename=file.filename,
        content_type=file.content_type,
        data=read_upload(file),
        client_id=client_id,
    )
    db.commit()
    return WidgetMessage(**visitor_message_view(message_out(db, message).model_dump(mode="json")))


@router.get("/messages/{message_id}/files/{index}", summary="A file of the chat (the team's or the visitor's own), as a download", response_class=FileResponse)
def download_file(
    message_id: int,
    index: int,
    request: Request,
    preview: bool = Query(False, description=PREVIEW_DESCRIPTION),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
    x_visitor_token: str | None = Header(None),
) -> FileResponse:
    visitor = services.resolve_visitor(db, tokens(request), x_visitor_token)
    message = services.visitor_message(db, visitor, message_id)
    files = (message.attributes or {}).get("attachments") or []
    conversations.require_account_file(db, visitor.inbox.account_id, files, index)
    return download_of(ctx.settings.data_dir / "attachments", files, index, f"message {message_id}", preview=preview)


@router.patch("/visitor", response_model=VisitorOut, summary="Change the visitor's language, name or e-mail")
def patch_visitor(
    body: VisitorPatchIn, request: Request, db: Session = Depends(get_db), x_visitor_token: str | None = Header(None)
) -> VisitorOut:
    visitor = services.resolve_visitor(db, tokens(request), x_visitor_token)
    contact = services.change_visitor_details(db, visitor, **body.model_dump(exclude_unset=True))
    db.commit()
    return VisitorOut(
        visitor_token=x_visitor_token or "", contact_id=contact.id, name=contact.name, email=contact.email, language=contact.language
    )


def _visitor_ids(ctx: AppContext, token: str | None) -> tuple[int, int]:
    with ctx.session_factory() as db:
        visitor = services.resolve_visitor(db, ctx.services["visitor_tokens"], token)
        return visitor.contact.id, visitor.inbox.id




def _store_for_socket(db: Session, contact_id: int, inbox_id: int, text: str | None, client_id: str | None) -> dict[str, Any] | None:
    """Stores a socket message; returns the customer's view of it only when it
    had been stored before."""
    message, created = services.store_message_from(db, contact_id, inbox_id, text, client_id)
    if created:
        return None
    return visitor_message_view(message_out(db, message).model_dump(mode="json"))


@router.websocket("/ws")
async def visitor_socket(websocket: WebSocket, token: str | None = None) -> None:
    """Frames in: {"type": "message", "content": "...", "client_id": "..."}.
    Frames out: {"event": "message", "message": {...}}, {"event": "status", ...},
    and {"event": "error", "client_id": ..., "message": ..., "field": ...}."""
    ctx: AppContext = websocket.app.state.ctx
    hub: RealtimeHub = ctx.services["realtime"]
    writer: BatchWriter = ctx.services["writer"]
    try:
        contact_id, inbox_id = await run_in_threadpool(_visitor_ids, ctx, token)
    except DragomanError:
        await websocket.close(code=CLOSE_NOT_AUTHENTICATED)
        return
    await websocket.accept()
    connection = VisitorConnection(
        send_text=websocket.send_text, close_socket=websocket_closer(websocket), contact_id=contact_id, inbox_id=inbox_id
    )
    hub.add_visitor(connection)
    sender = asyncio.create_task(connection.pump())
    try:
        while True:
            raw = await websocket.receive_text()
            try:
                frame = parse_json(raw, field="frame")
                if not isinstance(frame, dict):
                    raise InvalidInput("frames must be JSON objects", field="frame")
            except InvalidInput as exc:
                connection.offer(json.dumps({"event": "error", **exc.as_dict()}))
                continue
            if frame.get("type") == "ping":
                connection.offer('{"event":"pong"}')
                continue
            if frame.get("type") != "message":
                connection.offer(json.dumps({"event": "error", "message": "unknown frame type", "field": "type"}))
                continue
            client_id = frame.get("client_id")
            client_id = str(client_id)[:100] if client_id else None
            content = frame.get("content")
            try:
                text = content if isinstance(content, str) else None
                # Through the group-commit writer: the echo (and the agents'
                # copies) arrive through the hub once the batch commits.
                resent = await writer.submit(
                    lambda db, text=text, client_id=client_id: _store_for_socket(db, contact_id, inbox_id, text, client_id),
                    hint=services.SocketWrite(contact_id, inbox_id, client_id),
                )
                if resent is not None:
                    # Already stored (a resend after a dropped connection): no
                    # event goes out, so confirm it to this socket directly.
                    connection.offer(json.dumps({"event": "message", "message": resent}, ensure_ascii=False))
            except DragomanError as exc:
                connection.offer(json.dumps({"event": "error", "client_id": client_id, **exc.as_dict()}))
    except WebSocketDisconnect:
        pass
    finally:
        hub.remove_visitor(connection)
        connection.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
