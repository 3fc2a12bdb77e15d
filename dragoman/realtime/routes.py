"""The agents' WebSocket: every change they may see, as it happens."""

from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from starlette.concurrency import run_in_threadpool

from dragoman.accounts import services as accounts
from dragoman.accounts.auth import SESSION_COOKIE, api_token_from
from dragoman.accounts.permissions import Viewer
from dragoman.core.http import AppContext
from dragoman.realtime.hub import AgentConnection, RealtimeHub, websocket_closer
from dragoman.realtime.presence import ConsolePresence

router = APIRouter()

# WebSocket close codes in the application range (4000-4999).
CLOSE_NOT_AUTHENTICATED = 4401
CLOSE_FORBIDDEN_ORIGIN = 4403


def _same_origin(websocket: WebSocket) -> bool:
    """Browsers send cookies with cross-site WebSocket handshakes; checking the
    Origin is what stops another site from opening an agent's socket."""
    origin = websocket.headers.get("origin")
    if origin is None:
        return True  # not a browser
    host = websocket.headers.get("host", "")
    return urlsplit(origin).netloc == host


def _authenticate(ctx: AppContext, cookie: str | None, token: str | None) -> Viewer | None:
    with ctx.session_factory() as db:
        if token:
            user = accounts.resolve_api_token(db, token)
        elif cookie:
            found = accounts.resolve_session(db, cookie)
            user = found[0] if found else None
        else:
            user = None
        viewer = accounts.load_viewer(db, user) if user is not None else None
        db.commit()
        return viewer


@router.websocket("/api/v1/realtime")
async def agent_socket(websocket: WebSocket) -> None:
    ctx: AppContext = websocket.app.state.ctx
    hub: RealtimeHub = ctx.services["realtime"]
    token = api_token_from(websocket)  # type: ignore[arg-type]
    if token is None and not _same_origin(websocket):
        await websocket.close(code=CLOSE_FORBIDDEN_ORIGIN)
        return
    viewer = await run_in_threadpool(_authenticate, ctx, websocket.cookies.get(SESSION_COOKIE), token)
    if viewer is None:
        await websocket.close(code=CLOSE_NOT_AUTHENTICATED)
        return
    await websocket.accept()
    connection = AgentConnection(send_text=websocket.send_text, close_socket=websocket_closer(websocket), viewer=viewer)
    hub.add_agent(connection)
    sender = asyncio.create_task(connection.pump())
    # A signed-in browser is the live console; presence follows it (an
    # integration's token socket is no one's console).
    presence: ConsolePresence | None = ctx.services.get("presence") if token is None else None
    try:
        await websocket.send_json({"event": "ready", "data": {"user_id": viewer.user_id}})
        if presence is not None:
            # After "ready": the page hears its own presence come back.
            await presence.opened(viewer.user_id)
        while True:
            # Agents act through the REST API; the socket only listens. Reading
            # keeps the close handshake and pings working.
            text = await websocket.receive_text()
            if text == "ping":
                connection.offer('{"event":"pong"}')
    except WebSocketDisconnect:
        pass
    finally:
        if presence is not None:
            presence.closed(viewer.user_id)
        hub.remove_agent(connection)
        connection.close()
        sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await sender
