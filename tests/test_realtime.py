"""The agents' WebSocket: live events, filtered by who may see them."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from conftest import DemoWorld, api_token, bearer, seed_demo_world, wait_until
from dragoman.accounts import services as accounts
from dragoman.accounts.auth import SESSION_COOKIE
from dragoman.accounts.models import Availability, User
from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core.http import AppContext


def _next_event(socket: Any, *names: str) -> dict[str, Any]:
    """The next frame whose event is one of `names` (others are skipped)."""
    for _ in range(50):
        frame = socket.receive_json()
        if frame["event"] in names:
            return frame  # type: ignore[no-any-return]
    raise AssertionError(f"no {names} frame")


def test_agents_hear_new_conversations_and_lose_sight_when_reassigned(
    client: TestClient, ctx: AppContext, demo: DemoWorld
) -> None:
    li = bearer(api_token(ctx, demo.user("li.wei")))
    maria = bearer(api_token(ctx, demo.user("maria")))
    with client.websocket_connect("/api/v1/realtime", headers=li) as li_socket, client.websocket_connect(
        "/api/v1/realtime", headers=maria
    ) as maria_socket:
        assert li_socket.receive_json()["event"] == "ready"
        assert maria_socket.receive_json()["event"] == "ready"
        visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen"}).json()
        client.post("/widget/api/messages", json={"content": "Hola"}, headers={"X-Visitor-Token": visitor["visitor_token"]})

        for socket in (li_socket, maria_socket):
            created = _next_event(socket, "conversation.created")
            message = _next_event(socket, "message.created")
            assert message["data"]["message"]["content"] == "Hola"
            assert message["data"]["conversation"]["id"] == created["data"]["conversation"]["id"]
        conversation_id = created["data"]["conversation"]["id"]

        sales = next(t["id"] for t in client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=maria).json() if t["name"] == "Sales")
        client.post(f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/assignments", json={"team_id": sales}, headers=maria)
        hidden = _next_event(li_socket, "conversation.hidden", "conversation.assigned")
        assert hidden == {"event": "conversation.hidden", "data": {"conversation_id": conversation_id}}
        assigned = _next_event(maria_socket, "conversation.assigned")
        assert assigned["data"]["conversation"]["team"]["name"] == "Sales"

        # From now on Li Wei hears nothing of it; Maria hears everything.
        client.post("/widget/api/messages", json={"content": "¿Hay alguien?"}, headers={"X-Visitor-Token": visitor["visitor_token"]})
        assert _next_event(maria_socket, "message.created")["data"]["message"]["content"] == "¿Hay alguien?"
        li_socket.send_text("ping")
        assert _next_event(li_socket, "pong", "message.created") == {"event": "pong"}


def test_notes_reach_agents_but_never_the_customer(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen"}).json()
    token = visitor["visitor_token"]
    first = client.post("/widget/api/messages", json={"content": "Hola"}, headers={"X-Visitor-Token": token}).json()
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{first['conversation_id']}/messages"
    with client.websocket_connect(f"/widget/api/ws?token={token}") as customer, client.websocket_connect(
        "/api/v1/realtime", headers=admin
    ) as agent:
        _next_event(agent, "ready")
        client.post(url, json={"content": "internal: refund approved", "message_type": "note"}, headers=admin)
        client.post(url, json={"content": "Your refund is on its way"}, headers=admin)
        assert _next_event(agent, "message.created")["data"]["message"]["direction"] == "note"
        pushed = _next_event(customer, "message")
        # The first thing the customer hears is the reply: the note was never sent.
        assert pushed["message"]["content"] == "Your refund is on its way"
        assert pushed["message"]["sender_name"] == "Ada Admin"
        assert "attributes" not in pushed["message"]


def test_sockets_refuse_strangers_and_other_sites(client: TestClient, demo: DemoWorld) -> None:
    with pytest.raises(WebSocketDisconnect) as no_login:
        with client.websocket_connect("/api/v1/realtime") as socket:
            socket.receive_json()
    assert no_login.value.code == 4401
    with pytest.raises(WebSocketDisconnect) as cross_site:
        with client.websocket_connect("/api/v1/realtime", headers={"Origin": "https://evil.example"}) as socket:
            socket.receive_json()
    assert cross_site.value.code == 4403
    with pytest.raises(WebSocketDisconnect) as bad_visitor:
        with client.websocket_connect("/widget/api/ws?token=garbage") as socket:
            socket.receive_json()
    assert bad_visitor.value.code == 4401


def test_a_resend_over_the_socket_is_confirmed_at_once_and_stored_once(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen"}).json()
    token = visitor["visitor_token"]
    with client.websocket_connect(f"/widget/api/ws?token={token}") as customer:
        customer.send_json({"type": "message", "content": "Hola", "client_id": "abc"})
        first = _next_event(customer, "message")
        # The connection dropped before the widget saw the echo; it sends again.
        customer.send_json({"type": "message", "content": "Hola", "client_id": "abc"})
        again = _next_event(customer, "message")
    assert again["message"]["id"] == first["message"]["id"] and again["message"]["client_id"] == "abc"
    session = client.get("/widget/api/session", headers={"X-Visitor-Token": token}).json()
    assert [m["content"] for m in session["messages"]] == ["Hola"]


def test_a_socket_that_falls_behind_is_closed_so_the_page_reconnects() -> None:
    import asyncio

    from dragoman.accounts.models import Role
    from dragoman.accounts.permissions import Viewer
    from dragoman.accounts.events import PresenceChanged
    from dragoman.core import events
    from dragoman.realtime.hub import CLOSE_RELOAD, MAX_QUEUED, AgentConnection, RealtimeHub

    closed_with: list[int] = []

    async def scenario() -> None:
        stuck = asyncio.Event()

        async def never_sends(_text: str) -> None:
            await stuck.wait()  # a browser that stopped reading

        async def close(code: int) -> None:
            closed_with.append(code)

        hub = RealtimeHub(reload_viewer=lambda _user_id: None)
        hub.bind_loop(asyncio.get_running_loop())
        connection = AgentConnection(
            send_text=never_sends, close_socket=close, viewer=Viewer(user_id=1, account_id=1, role=Role.admin)
        )
        hub.add_agent(connection)
        pump = asyncio.create_task(connection.pump())
        await asyncio.sleep(0)  # the pump takes the first frame and blocks on it
        for n in range(MAX_QUEUED + 2):
            hub.on_event(events.Event(1, PresenceChanged(user_id=n, availability="online")))
        assert hub.agent_count(1) == 0  # dropped from the hub
        stuck.set()  # the browser's buffer drains; the close goes out next
        await asyncio.wait_for(pump, timeout=5)

    asyncio.run(scenario())
    assert closed_with == [CLOSE_RELOAD]


def test_a_non_ascii_csrf_header_is_refused_not_a_crash(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    from dragoman.accounts import services as accounts
    from dragoman.accounts.auth import SESSION_COOKIE
    from dragoman.accounts.models import User

    with ctx.session_factory() as db:
        cookie, _row = accounts.start_session(db, db.get(User, demo.user("maria").id), hours=1)  # type: ignore[arg-type]
        db.commit()
    client.cookies.set(SESSION_COOKIE, cookie)
    answer = client.patch("/api/v1/profile", json={"availability": "online"}, headers={"X-CSRF-Token": "jeton-forgé".encode()})
    assert answer.status_code == 403


def test_presence_follows_the_console_and_comes_back_when_the_agent_opens_it_again(
    client: TestClient, ctx: AppContext, demo: DemoWorld
) -> None:
    maria_id = demo.user("maria").id
    with ctx.session_factory() as db:
        cookie, _row = accounts.start_session(db, db.get(User, maria_id), hours=1)  # type: ignore[arg-type]
        db.commit()
    token = bearer(api_token(ctx, demo.user("maria")))

    def availability() -> str:
        return client.get("/api/v1/profile", headers=token).json()["availability"]  # type: ignore[no-any-return]

    def console() -> Any:
        return client.websocket_connect("/api/v1/realtime")

    client.cookies.set(SESSION_COOKIE, cookie)

    ctx.settings.console_grace_seconds = 0.2
    assert client.patch("/api/v1/profile", json={"availability": "online"}, headers=token).status_code == 200
    # Two consoles (two tabs): closing one keeps her online; closing the last, after the grace, offline.
    with console() as first:
        assert first.receive_json()["event"] == "ready"
        with console() as second:
            assert second.receive_json()["event"] == "ready"
        first.send_text("ping")
        assert _next_event(first, "pong") == {"event": "pong"}
        assert availability() == "online"
    wait_until(lambda: availability() == "offline")

    # The next morning she opens the console: online again, and the page hears it.
    with console() as socket:
        assert socket.receive_json()["event"] == "ready"
        changed = _next_event(socket, "user.presence_changed")
        assert changed["data"] == {"user_id": maria_id, "availability": "online"}
        assert availability() == "online"
        # She chooses offline herself: that is what her next console keeps.
        assert client.patch("/api/v1/profile", json={"availability": "offline"}, headers=token).status_code == 200
    with console() as socket:
        assert socket.receive_json()["event"] == "ready"
        socket.send_text("ping")
        assert _next_event(socket, "pong") == {"event": "pong"}
        assert availability() == "offline"

    # A reload within the grace period changes nothing.
    ctx.settings.console_grace_seconds = 30
    assert client.patch("/api/v1/profile", json={"availability": "break"}, headers=token).status_code == 200
    with console() as socket:
        assert socket.receive_json()["event"] == "ready"
    with console() as socket:
        assert socket.receive_json()["event"] == "ready"
        socket.send_text("ping")
        assert _next_event(socket, "pong") == {"event": "pong"}
    assert availability() == "break"
    # An integration's token socket is no one's console: it moves nothing.
    ctx.settings.console_grace_seconds = 0.0
    with client.websocket_connect("/api/v1/realtime", headers=token) as socket:
        assert socket.receive_json()["event"] == "ready"
    assert availability() == "break"


def test_after_a_restart_agents_whose_console_did_not_come_back_go_offline(settings: Settings) -> None:
    settings.console_grace_seconds = 2.0
    app = create_app(settings)
    ctx: AppContext = app.state.ctx
    demo = seed_demo_world(ctx)
    maria_id, sam_id = demo.user("maria").id, demo.user("sam").id
    with ctx.session_factory() as db:
        for user_id in (maria_id, sam_id):
            db.get(User, user_id).availability = Availability.online  # type: ignore[union-attr]
        cookie, _row = accounts.start_session(db, db.get(User, sam_id), hours=1)  # type: ignore[arg-type]
        db.commit()

    def availability(user_id: int) -> tuple[Availability, Availability | None]:
        with ctx.session_factory() as db:
            user = db.get(User, user_id)
            return user.availability, user.last_availability  # type: ignore[union-attr]

    with TestClient(app) as client:
        # Sam's console reconnects after the restart; María's browser was closed meanwhile.
        client.cookies.set(SESSION_COOKIE, cookie)
        with client.websocket_connect("/api/v1/realtime") as socket:
            assert socket.receive_json()["event"] == "ready"
            wait_until(lambda: availability(maria_id)[0] is Availability.offline, timeout=10)
            assert availability(maria_id) == (Availability.offline, Availability.online)  # restored when she opens it
            assert availability(sam_id)[0] is Availability.online
