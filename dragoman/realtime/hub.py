"""Live push to open WebSockets.

The hub listens to the event bus (in whatever thread committed the change)
and hands each event to the asyncio loop, where it is sent to every agent
connection allowed to see it and, for customer-visible messages, to the
customer's own widget connections. One queue and one sender task per socket:
a slow browser delays only itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from dragoman.accounts.events import MembershipChanged
from dragoman.accounts.permissions import Viewer, can_view_conversation
from dragoman.conversations.events import (
    ConversationAssigned,
    ConversationPayload,
    ConversationStatusChanged,
    MessageCreated,
    PreviousAssignment,
)
from dragoman.conversations.schemas import ConversationOut
from dragoman.core import events
from dragoman.core.files import PICTURE_TYPES

log = logging.getLogger(__name__)

# A socket that falls this far behind is closed rather than allowed to hold
# memory without bound; the page reconnects and reloads what it missed.
MAX_QUEUED = 1000

Send = Callable[[str], Awaitable[None]]


# Close code telling a page to reconnect and reload what it missed.
CLOSE_RELOAD = 4408


@dataclass(eq=False)
class Connection:
    send_text: Send
    # Closes the WebSocket itself: a socket the hub gave up on must close, or
    # the page would believe it is live and hear nothing.
    close_socket: Callable[[int], Awaitable[None]] | None = None
    queue: "asyncio.Queue[str | None]" = field(default_factory=lambda: asyncio.Queue(MAX_QUEUED))

    def offer(self, text: str) -> bool:
        try:
            self.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            return False

    async def pump(self) -> None:
        """Send queued frames until `close()`; runs as the socket's sender task."""
        while True:
            text = await self.queue.get()
            if text is None:
                if self.close_socket is not None:
                    await self.close_socket(CLOSE_RELOAD)
                return
            await self.send_text(text)

    def close(self) -> None:
        """Stop sending and close the socket once what is queued has gone.

        A full queue is emptied first: its frames are stale for a page that
        will reload anyway, and the close must get through."""
        while True:
            try:
                self.queue.put_nowait(None)
                return
            except asyncio.QueueFull:
                self.queue.get_nowait()


@dataclass(eq=False)
class AgentConnection(Connection):
    viewer: Viewer | None = None


@dataclass(eq=False)
class VisitorConnection(Connection):
    contact_id: int = 0
    inbox_id: int = 0


class ClosableSocket(Protocol):
    async def close(self, code: int = 1000, reason: str | None = None) -> None: ...


def websocket_closer(websocket: ClosableSocket) -> Callable[[int], Awaitable[None]]:
    """What the hub calls to close a socket it gave up on."""

    async def close(code: int) -> None:
        await websocket.close(code=code)

    return close


CONVERSATION_HIDDEN = "conversation.hidden"


def _sees(viewer: Viewer, conversation: ConversationOut) -> bool:
    return can_view_conversation(
        viewer,
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        assignee_id=conversation.assignee.id if conversation.assignee is not None else None,
        team_id=conversation.team.id if conversation.team is not None else None,
    )


def _saw(viewer: Viewer, conversation: ConversationOut, previous: PreviousAssignment) -> bool:
    return can_view_conversation(
        viewer,
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        assignee_id=previous.assignee_id,
        team_id=previous.team_id,
    )


def widget_client_id(source_id: str | None) -> str | None:
    """The widget's own id of a visitor's message: stored as
    "web:<contact id>:<client id>" (channels.webchat.services.socket_source_id),
    or "web:<client id>" before ids were scoped to the visitor. Pure."""
    if not source_id or not source_id.startswith("web:"):
        return None
    rest = source_id.removeprefix("web:")
    contact, _, client = rest.partition(":")
    return client if client and contact.isascii() and contact.isdigit() else rest or None


def visitor_message_view(message: dict[str, Any]) -> dict[str, Any]:
    """What a customer may see of a message: no notes, no internal attributes."""
    sender = message.get("sender") or {}
    return {
        "id": message["id"],
        "conversation_id": message["conversation_id"],
        "direction": message["direction"],
        "content": message["content"],
        "sender_name": sender.get("name") if message["sender_type"] == "user" else None,
        "client_id": widget_client_id(message.get("source_id")),
        "created_at": message["created_at"],
        # Files an agent or the visitor sent: names and sizes; the widget
        # fetches each by its index.
        "files": [
            {"filename": file.get("filename"), "size": file.get("size"), "picture": file.get("content_type") in PICTURE_TYPES}
            for file in ((message.get("attributes") or {}).get("attachments") or [])
        ],
    }


class RealtimeHub:
    def __init__(self, reload_viewer: Callable[[int], Viewer | None]) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._agents: dict[int, set[AgentConnection]] = defaultdict(set)
        self._visitors: dict[int, set[VisitorConnection]] = defaultdict(set)
        self._reload_viewer = reload_viewer

    # -- wiring ---------------------------------------------------------------

    def bind_loop(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop

    def on_event(self, event: events.Event) -> None:
        """Bus listener: may run in any thread; never blocks the publisher."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            self._dispatch(event)
        else:
            loop.call_soon_threadsafe(self._dispatch, event)

    def add_agent(self, connection: AgentConnection) -> None:
        assert connection.viewer is not None
        self._agents[connection.viewer.account_id].add(connection)

    def remove_agent(self, connection: AgentConnection) -> None:
        if connection.viewer is not None:
            self._agents[connection.viewer.account_id].discard(connection)

    def add_visitor(self, connection: VisitorConnection) -> None:
        self._visitors[connection.contact_id].add(connection)

    def remove_visitor(self, connection: VisitorConnection) -> None:
        self._visitors[connection.contact_id].discard(connection)

    def agent_count(self, account_id: int) -> int:
        return len(self._agents.get(account_id, ()))

    # -- dispatch (on the loop) -------------------------------------------------

    def _dispatch(self, event: events.Event) -> None:
        payload = event.payload
        if isinstance(payload, MembershipChanged):
            self._refresh_viewers(event.account_id, payload)
            return
        # Every other event goes to the consoles as it is (ticket pages follow
        # tickets, the console conversations); a conversation's only to whoever may see it.
        conversation = payload.conversation if isinstance(payload, ConversationPayload) else None
        frame = json.dumps({"event": event.name, "data": event.wire()}, separators=(",", ":"))
        previous = payload.previous if isinstance(payload, ConversationAssigned) else None
        hidden_frame: str | None = None
        for connection in list(self._agents.get(event.account_id, ())):
            viewer = connection.viewer
            if viewer is None:
                continue
            outgoing = frame
            if conversation is not None and not _sees(viewer, conversation):
                if previous is None or not _saw(viewer, conversation, previous):
                    continue
                # It was theirs to see and no longer is: say only that, so the
                # console can drop it, and nothing of its new state.
                if hidden_frame is None:
                    hidden_frame = json.dumps({"event": CONVERSATION_HIDDEN, "data": {"conversation_id": conversation.id}})
                outgoing = hidden_frame
            if not connection.offer(outgoing):
                log.warning("closing agent socket of user %s: %d frames behind", viewer.user_id, MAX_QUEUED)
                self.remove_agent(connection)
                connection.close()
        if conversation is not None:
            self._push_to_visitors(event, conversation)

    def _push_to_visitors(self, event: events.Event, conversation: ConversationOut) -> None:
        visitors = self._visitors.get(conversation.contact.id)
        if not visitors:
            return
        shown: dict[str, Any] | None = None
        payload = event.payload
        if isinstance(payload, MessageCreated):
            if payload.message.direction in ("incoming", "outgoing"):
                # The message's JSON form, as the widget's history shows it.
                shown = {"event": "message", "message": visitor_message_view(event.wire()["message"])}
        elif isinstance(payload, ConversationStatusChanged):
            shown = {"event": "status", "conversation_id": conversation.id, "status": conversation.status}
        if shown is None:
            return
        frame = json.dumps(shown, separators=(",", ":"), ensure_ascii=False)
        for connection in list(visitors):
            if connection.inbox_id == conversation.inbox_id and not connection.offer(frame):
                self.remove_visitor(connection)
                connection.close()

    def _refresh_viewers(self, account_id: int, change: MembershipChanged) -> None:
        loop = self._loop
        assert loop is not None
        affected = set(change.user_ids or ())
        everyone = change.inbox_id is not None
        for connection in list(self._agents.get(account_id, ())):
            if connection.viewer is not None and (everyone or connection.viewer.user_id in affected):
                loop.create_task(self._reload(connection))

    async def _reload(self, connection: AgentConnection) -> None:
        assert connection.viewer is not None
        viewer = await asyncio.to_thread(self._reload_viewer, connection.viewer.user_id)
        if viewer is None:  # deactivated or deleted
            self.remove_agent(connection)
            connection.close()
        else:
            connection.viewer = viewer
