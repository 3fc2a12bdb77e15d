"""Outbound webhooks, end to end: the admin API, the outbox written with the
change, signed delivery to a real HTTP receiver, back-off, give-up and retry,
and the outbound guard (no private, loopback or metadata addresses unless the
install's allow-list names them).

The receivers here listen on 127.0.0.1, as an on-premises receiver would, so
the tests that deliver allow it explicitly (`on_premises`); a new install
refuses it. Names are resolved by `fake_dns`, never by the machine's DNS."""

from __future__ import annotations

import hmac
import ipaddress
import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import DemoWorld, wait_until
from dragoman.accounts import services as accounts
from dragoman.accounts.models import Role, User
from dragoman.accounts.permissions import Viewer
from dragoman.contacts import services as contacts
from dragoman.config import Settings
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation
from dragoman.core import events
from dragoman.core import outbound
from dragoman.core.clock import utcnow
from dragoman.core.http import AppContext
from dragoman.core.jobs import claim
from dragoman.core.security import hmac_sha256_hex
from dragoman.inboxes.models import Inbox
from dragoman.webhooks import services as webhooks
from dragoman.webhooks.models import DeliveryStatus, WebhookDelivery
from servers import free_port

ALL_EVENTS = ["conversation_created", "message_created", "conversation_status_changed", "conversation_assigned"]
# What the tests' install allows besides public addresses: the receivers' 127.0.0.1.
LOCAL_RECEIVERS = "127.0.0.1"
ON_PREMISES = outbound.OutboundAllow.parse(LOCAL_RECEIVERS)
# A public address (documentation ranges are not public, so a real one).
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture(autouse=True)
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses, for the guard's resolver; tests add names.
    Other names do not resolve (saving them passes, sending fails), so no
    test depends on the machine's DNS (which may map anything anywhere)."""
    names: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}

    def resolve(host: str, port: int) -> list[outbound.IPAddress]:
        if host.lower() not in names:
            raise outbound.OutboundUnresolved(f"{host} does not resolve")
        return [ipaddress.ip_address(a) for a in names[host.lower()]]

    monkeypatch.setattr(outbound, "resolve_host", resolve)
    return names


@pytest.fixture
def on_premises(settings: Settings) -> Settings:
    settings.outbound_allow = LOCAL_RECEIVERS
    return settings


# -- a real receiver -------------------------------------------------------------------


@dataclass
class ReceivedRequest:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, Any]:
        return json.loads(self.body)  # type: ignore[no-any-return]


@dataclass
class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST.

    `fail_first` answers 500 (with `failure_body`) to that many requests
    before answering 200; `hold`, when set, keeps each request waiting until
    it is released."""

    url: str = ""
    port: int = 0
    fail_first: int = 0
    failure_body: bytes = b"receiver is down"
    requests: list[ReceivedRequest] = field(default_factory=list)
    in_flight: int = 0
    hold: threading.Event | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self) -> list[str]:
        with self.lock:
            return [r.json()["event"] for r in self.requests]

    def of(self, event: str) -> list[ReceivedRequest]:
        with self.lock:
            return [r for r in self.requests if r.json()["event"] == event]


def _handler_for(receiver: Receiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.in_flight += 1
            if receiver.hold is not None:
                receiver.hold.wait(30)
            with receiver.lock:
                receiver.in_flight -= 1
                receiver.requests.append(ReceivedRequest(self.path, dict(self.headers.items()), body))
                failing = receiver.fail_first > 0
                if failing:
                    receiver.fail_first -= 1
            status = 500 if failing else 200
            answer = receiver.failure_body if failing else b"ok"
            self.send_response(status)
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *_args: Any) -> None:  # keeps the test output quiet
            return None

    return Handler


@pytest.fixture
def receiver(on_premises: Settings) -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 that the install allows."""
    yield from _run_receiver()


@pytest.fixture
def private_receiver() -> Iterator[Receiver]:
    """A receiver on 127.0.0.1 that the install does not allow: what an
    attacker would aim at (an internal service)."""
    yield from _run_receiver()


def _run_receiver() -> Iterator[Receiver]:
    recorder = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(recorder))
    recorder.port = server.server_address[1]
    recorder.url = f"http://127.0.0.1:{recorder.port}/hooks/dragoman"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield recorder
    finally:
        if recorder.hold is not None:
            recorder.hold.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- helpers -----------------------------------------------------------------------------


@pytest.fixture
def admin(demo: DemoWorld, as_user) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return as_user(demo.user("admin"))  # type: ignore[no-any-return]


def hooks_url(demo: DemoWorld, tail: str = "") -> str:
    return f"/api/v1/accounts/{demo.account_id}/webhooks{tail}"


def add_webhook(client: TestClient, demo: DemoWorld, admin: dict[str, str], url: str, events_: list[str]) -> dict[str, Any]:
    response = client.post(hooks_url(demo), json={"url": url, "events": events_}, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def visitor_writes(client: TestClient, demo: DemoWorld, content: str) -> dict[str, Any]:
    """A customer writes through the web-chat widget's API (the first message starts a conversation)."""
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Lucía", "language": "es"})
    assert visitor.status_code == 201, visitor.text
    sent = client.post("/widget/api/messages", json={"content": content}, headers={"X-Visitor-Token": visitor.json()["visitor_token"]})
    assert sent.status_code == 201, sent.text
    return sent.json()  # type: ignore[no-any-return]


def deliveries(client: TestClient, demo: DemoWorld, admin: dict[str, str], webhook_id: int) -> list[dict[str, Any]]:
    response = client.get(hooks_url(demo, f"/{webhook_id}/deliveries"), headers=admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def delivery_rows(ctx: AppContext, webhook_id: int | None = None) -> list[WebhookDelivery]:
    with ctx.session_factory() as session:
        statement = select(WebhookDelivery).order_by(WebhookDelivery.id)
        if webhook_id is not None:
            statement = statement.where(WebhookDelivery.webhook_id == webhook_id)
        return list(session.scalars(statement))


def load_viewer_of(session: Session, demo: DemoWorld, who: str) -> Viewer:
    user = session.get(User, demo.user(who).id)
    assert user is not None
    return accounts.load_viewer(session, user)


def signature_ok(secret: str, request: ReceivedRequest) -> bool:
    expected = "sha256=" + hmac_sha256_hex(secret, request.body)
    return hmac.compare_digest(expected, request.headers.get("X-Dragoman-Signature", ""))


def documented_verifier() -> Callable[[str, bytes, str], bool]:
    """The verification snippet of docs/webhooks.md, run as an integrator would copy it."""
    text = (Path(__file__).resolve().parent.parent / "docs" / "webhooks.md").read_text()
    snippets = [block for block in re.findall(r"```python\n(.*?)```", text, re.S) if "def is_from_dragoman" in block]
    assert len(snippets) == 1, "docs/webhooks.md should hold one is_from_dragoman snippet"
    namespace: dict[str, Any] = {}
    exec(snippets[0], namespace)  # noqa: S102 - our own documentation
    return namespace["is_from_dragoman"]  # type: ignore[no-any-return]


# -- the admin API ---------------------------------------------------------------------------


def test_admin_creates_lists_changes_and_deletes_a_webhook(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> None:
    created = add_webhook(client, demo, admin, "https://example.com/in", ["message_created", "message_created"])
    assert set(created) == {"id", "url", "events", "active", "secret", "created_at"}
    assert created["events"] == ["message_created"]
    assert created["active"] is True
    assert len(created["secret"]) >= 32

    listed = client.get(hooks_url(demo), headers=admin).json()
    assert [w["id"] for w in listed] == [created["id"]]

    patched = client.patch(
        hooks_url(demo, f"/{created['id']}"),
        json={"url": "http://hooks.example.org:8080/x", "events": ["conversation_assigned"], "active": False},
        headers=admin,
    )
    assert patched.status_code == 200, patched.text
    assert patched.json()["url"] == "http://hooks.example.org:8080/x"
    assert patched.json()["events"] == ["conversation_assigned"]
    assert patched.json()["active"] is False
    assert patched.json()["secret"] == created["secret"]

    assert client.delete(hooks_url(demo, f"/{created['id']}"), headers=admin).status_code == 204
    assert client.get(hooks_url(demo), headers=admin).json() == []
    assert client.delete(hooks_url(demo, f"/{created['id']}"), headers=admin).status_code == 404


@pytest.mark.parametrize(
    ("body", "field_name"),
    [
        ({"url": "ftp://example.com/x", "events": ["message_created"]}, "url"),
        ({"url": "http://", "events": ["message_created"]}, "url"),
        ({"url": "example.com/hooks", "events": ["message_created"]}, "url"),
        ({"url": "https://exa mple.com/", "events": ["message_created"]}, "url"),
        ({"url": "https://example.com:99999/", "events": ["message_created"]}, "url"),
        ({"url": "", "events": ["message_created"]}, "url"),
        ({"events": ["message_created"]}, "url"),
        ({"url": "https://example.com/", "events": []}, "events"),
        ({"url": "https://example.com/", "events": ["message.created"]}, "events"),
        ({"url": "https://example.com/", "events": "message_created"}, "events"),
        ({"url": "https://example.com/"}, "events"),
    ],
)
def test_bad_url_or_events_are_refused_naming_the_field(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], body: dict[str, Any], field_name: str
) -> None:
    response = client.post(hooks_url(demo), json=body, headers=admin)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field_name
    assert client.get(hooks_url(demo), headers=admin).json() == []


def test_patch_validates_too_and_keeps_what_was_stored(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> None:
    created = add_webhook(client, demo, admin, "https://example.com/in", ["message_created"])
    for body, field_name in (({"url": "mailto:ops@example.com"}, "url"), ({"events": ["nope"]}, "events"), ({"events": []}, "events")):
        response = client.patch(hooks_url(demo, f"/{created['id']}"), json=body, headers=admin)
        assert response.status_code == 422, response.text
        assert response.json()["field"] == field_name
    stored = client.get(hooks_url(demo), headers=admin).json()[0]
    assert (stored["url"], stored["events"]) == ("https://example.com/in", ["message_created"])


def test_only_admins_may_manage_webhooks(client: TestClient, demo: DemoWorld, admin: dict[str, str], as_user) -> None:  # type: ignore[no-untyped-def]
    created = add_webhook(client, demo, admin, "https://example.com/in", ["message_created"])
    for who in ("supervisor", "maria"):
        headers = as_user(demo.user(who))
        assert client.get(hooks_url(demo), headers=headers).status_code == 403
        assert client.post(hooks_url(demo), json={"url": "https://x.example/", "events": ALL_EVENTS}, headers=headers).status_code == 403
        assert client.patch(hooks_url(demo, f"/{created['id']}"), json={"active": False}, headers=headers).status_code == 403
        assert client.delete(hooks_url(demo, f"/{created['id']}"), headers=headers).status_code == 403
        assert client.get(hooks_url(demo, f"/{created['id']}/deliveries"), headers=headers).status_code == 403
    assert client.get(hooks_url(demo)).status_code == 401
    assert client.get(hooks_url(demo), headers=admin).json()[0]["active"] is True


def test_another_accounts_webhook_answers_404(client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], as_user) -> None:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as session:
        other = accounts.create_account(session, "Other Shop")
        other_admin = accounts.create_user(
            session, other.id, email="boss@other.test", name="Boss", password="other-password", role=Role.admin
        )
        theirs = webhooks.create_webhook(session, other.id, url="https://other.example/in", event_names=ALL_EVENTS)
        delivery = WebhookDelivery(
            account_id=other.id, webhook_id=theirs.id, event="message_created", payload="{}", next_attempt_at=utcnow()
        )
        session.add(delivery)
        session.commit()
        other_account_id, webhook_id, delivery_id = other.id, theirs.id, delivery.id

    for method, tail, body in (
        ("PATCH", f"/{webhook_id}", {"active": False}),
        ("DELETE", f"/{webhook_id}", None),
        ("GET", f"/{webhook_id}/deliveries", None),
        ("POST", f"/{webhook_id}/deliveries/{delivery_id}/retry", None),
    ):
        response = client.request(method, hooks_url(demo, tail), json=body, headers=admin)
        assert response.status_code == 404, (method, tail, response.text)
    # Their account in the path is 404 too, not 403: it does not confirm the account exists.
    assert client.get(f"/api/v1/accounts/{other_account_id}/webhooks", headers=admin).status_code == 404
    # The other account's admin still sees it unchanged.
    theirs_listed = client.get(f"/api/v1/accounts/{other_account_id}/webhooks", headers=as_user(other_admin)).json()
    assert [(w["id"], w["active"]) for w in theirs_listed] == [(webhook_id, True)]


# -- events, payloads and signatures --------------------------------------------------------------


def test_customer_message_reaches_the_receiver_signed_in_the_rest_shape(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    sent = visitor_writes(client, demo, "¿Dónde está mi pedido 4471?")

    wait_until(lambda: receiver.of("message_created"))
    request = receiver.of("message_created")[0]
    assert signature_ok(hook["secret"], request)
    assert not signature_ok("another-secret", request)
    verify = documented_verifier()
    assert verify(hook["secret"], request.body, request.headers["X-Dragoman-Signature"])
    assert not verify(hook["secret"], request.body.replace(b"4471", b"4472"), request.headers["X-Dragoman-Signature"])
    assert request.path == "/hooks/dragoman"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Dragoman-Webhooks/")
    assert request.headers["X-Dragoman-Event"] == "message_created"
    assert int(request.headers["X-Dragoman-Timestamp"]) > 0

    body = request.json()
    assert set(body) == {"event", "delivery_id", "account_id", "occurred_at", "data"}
    assert body["event"] == "message_created"
    assert body["account_id"] == demo.account_id
    assert str(body["delivery_id"]) == request.headers["X-Dragoman-Delivery"]
    assert body["occurred_at"].endswith("Z")

    conversation_id = sent["conversation_id"]
    rest_messages = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages", headers=admin).json()
    rest_message = rest_messages[-1]
    # Translations arrive after commit (event message.updated); the rest is the same.
    rest_message["attributes"].pop("translations", None)
    assert body["data"]["message"] == rest_message
    assert body["data"]["message"]["content"] == "¿Dónde está mi pedido 4471?"
    rest_conversation = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}", headers=admin).json()
    assert set(body["data"]["conversation"]) == set(rest_conversation)
    assert body["data"]["conversation"]["contact"] == rest_conversation["contact"]

    # Subscribed to message_created only: the conversation the message started is not announced.
    assert receiver.events() == ["message_created"]
    [logged] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook["id"]) if d["status"] == "succeeded"])
    assert logged["id"] == body["delivery_id"]
    assert logged["payload"] == body
    assert (logged["attempts"], logged["last_status_code"], logged["last_error"]) == (1, 200, None)
    assert logged["next_attempt_at"] is None
    assert logged["delivered_at"] is not None


def test_assignment_status_change_and_notes_produce_their_events(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    hook = add_webhook(client, demo, admin, receiver.url, ALL_EVENTS)
    conversation_id = visitor_writes(client, demo, "Hello")["conversation_id"]
    base = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    maria = demo.user("maria")
    assert client.post(base + "/assignments", json={"assignee_id": maria.id}, headers=admin).status_code == 200
    assert client.post(base + "/toggle_status", json={"status": "resolved"}, headers=admin).status_code == 200
    assert client.post(base + "/messages", json={"content": "VIP, be kind", "message_type": "note"}, headers=admin).status_code == 201

    def seen_all() -> bool:
        names = set(receiver.events())
        notes = [r for r in receiver.of("message_created") if r.json()["data"]["message"]["direction"] == "note"]
        return names >= set(ALL_EVENTS) and bool(notes)

    wait_until(seen_all)
    assert all(signature_ok(hook["secret"], r) for r in receiver.requests)
    [created] = receiver.of("conversation_created")
    assert created.json()["data"]["conversation"]["id"] == conversation_id
    [assigned] = receiver.of("conversation_assigned")
    assert assigned.json()["data"]["conversation"]["assignee"] == {"id": maria.id, "name": maria.name}
    [status_changed] = receiver.of("conversation_status_changed")
    assert status_changed.json()["data"]["conversation"]["status"] == "resolved"
    assert status_changed.json()["data"]["previous_status"] == "open"
    [note] = [r for r in receiver.of("message_created") if r.json()["data"]["message"]["direction"] == "note"]
    assert note.json()["data"]["message"]["content"] == "VIP, be kind"
    # Each delivery went out once.
    ids = [r.json()["delivery_id"] for r in receiver.requests]
    assert len(ids) == len(set(ids))


def test_a_savepoint_inside_the_change_neither_publishes_early_nor_writes_twice(ctx: AppContext, demo: DemoWorld) -> None:
    """SQLAlchemy fires its commit events for a released SAVEPOINT too; only
    the real commit may write the outbox rows and tell the bus."""
    with ctx.session_factory() as session:
        hook = webhooks.create_webhook(
            session, demo.account_id, url="http://127.0.0.1:9/x", event_names=ALL_EVENTS, allow=ON_PREMISES
        )
        session.commit()
    heard: list[str] = []
    ctx.bus.subscribe(lambda event: heard.append(event.name))

    with ctx.session_factory() as session:
        inbox = session.get(Inbox, demo.inbox_id)
        assert inbox is not None
        contact = contacts.create_contact(session, demo.account_id, name="Kim", email=None, language="ko")
        conversation = conversations.start_conversation(session, inbox, contact)
        with session.begin_nested():
            conversations.add_note(session, load_viewer_of(session, demo, "admin"), conversation, "inside a savepoint")
        assert heard == []
        session.commit()

    assert heard == [events.CONVERSATION_CREATED, events.MESSAGE_CREATED]
    assert [d.event for d in delivery_rows(ctx, hook.id)] == ["conversation_created", "message_created"]


def test_a_rolled_back_change_creates_no_delivery(
    on_premises: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str]
) -> None:
    hook = add_webhook(client, demo, admin, "http://127.0.0.1:9/unused", ["message_created"])
    conversation_id = visitor_writes(client, demo, "Hola")["conversation_id"]
    before = len(delivery_rows(ctx, hook["id"]))
    with ctx.session_factory() as session:
        viewer = load_viewer_of(session, demo, "admin")
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversations.add_note(session, viewer, conversation, "never mind")
        session.rollback()
        # The same change committed does write one: the rollback is what prevented it.
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversations.add_note(session, viewer, conversation, "kept")
        session.commit()
    contents = [json.loads(d.payload)["message"]["content"] for d in delivery_rows(ctx, hook["id"])[before:]]
    assert contents == ["kept"]


def test_inactive_or_deleted_webhooks_get_nothing(
    client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    active = add_webhook(client, demo, admin, receiver.url + "?active", ["message_created"])
    paused = add_webhook(client, demo, admin, receiver.url + "?paused", ["message_created"])
    deleted = add_webhook(client, demo, admin, receiver.url + "?deleted", ["message_created"])
    assert client.patch(hooks_url(demo, f"/{paused['id']}"), json={"active": False}, headers=admin).status_code == 200
    assert client.delete(hooks_url(demo, f"/{deleted['id']}"), headers=admin).status_code == 204

    visitor_writes(client, demo, "Hola")
    wait_until(lambda: receiver.of("message_created"))
    assert delivery_rows(ctx, paused["id"]) == []
    assert delivery_rows(ctx, deleted["id"]) == []
    assert [r.path for r in receiver.requests] == ["/hooks/dragoman?active"]
    wait_until(lambda: [d["status"] for d in deliveries(client, demo, admin, active["id"])] == ["succeeded"])


@pytest.fixture
def no_worker(settings: Settings) -> Settings:
    """The app runs without its background sender; the test starts one itself."""
    settings.run_background_workers = False
    return settings


def test_pending_deliveries_wait_while_their_webhook_is_inactive(
    no_worker: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")
    assert client.patch(hooks_url(demo, f"/{hook['id']}"), json={"active": False}, headers=admin).status_code == 200
    [row] = delivery_rows(ctx, hook["id"])
    worker: webhooks.WebhookWorker = ctx.services["webhook_worker"]
    worker.start()
    try:
        # Due, pending, and yet nobody may claim it, the running worker included.
        with ctx.session_factory() as session:
            assert webhooks.claim_due_deliveries(session, 10, timedelta(seconds=1)) == []
        [still] = delivery_rows(ctx, hook["id"])
        assert (still.status, still.attempts, still.claimed_until) == (DeliveryStatus.pending, 0, None)
        retry = client.post(hooks_url(demo, f"/{hook['id']}/deliveries/{row.id}/retry"), headers=admin)
        assert retry.status_code == 409
        assert retry.json()["field"] == "webhook_id"

        assert client.patch(hooks_url(demo, f"/{hook['id']}"), json={"active": True}, headers=admin).status_code == 200
        worker.wake()
        wait_until(lambda: receiver.of("message_created"))
    finally:
        worker.stop()
    assert receiver.requests[0].json()["delivery_id"] == row.id


# -- delivery, back-off, give-up, retry -------------------------------------------------------------


def test_a_receiver_failing_twice_gets_three_attempts_and_the_delivery_succeeds(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.fail_first = 2
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")

    [delivery] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook["id"]) if d["status"] == "succeeded"])
    assert delivery["attempts"] == 3
    assert [entry["status_code"] for entry in delivery["attempt_log"]] == [500, 500, 200]
    assert delivery["attempt_log"][0]["error"] == "HTTP 500: receiver is down"
    assert delivery["attempt_log"][2]["error"] is None
    assert all(isinstance(entry["duration_ms"], int) and entry["at"].endswith("Z") for entry in delivery["attempt_log"])
    assert (delivery["last_status_code"], delivery["last_error"]) == (200, None)
    # Every attempt sent the same bytes with the same signature.
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1
    assert all(signature_ok(hook["secret"], r) for r in receiver.requests)


@pytest.fixture
def three_attempts(settings: Settings) -> Settings:
    settings.webhook_max_attempts = 3
    return settings


def test_an_unreachable_receiver_fails_after_the_last_attempt_and_retry_resends(
    three_attempts: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    nobody_listens = f"http://127.0.0.1:{free_port()}/hooks"
    hook = add_webhook(client, demo, admin, nobody_listens, ["message_created"])
    visitor_writes(client, demo, "Hola")

    [failed] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook["id"]) if d["status"] == "failed"])
    assert failed["attempts"] == 3
    assert failed["last_status_code"] is None
    assert failed["last_error"]
    assert len(failed["attempt_log"]) == 3
    assert all(entry["status_code"] is None and entry["error"] for entry in failed["attempt_log"])
    assert failed["next_attempt_at"] is None
    assert failed["delivered_at"] is None

    # The integrator fixes their end; the admin points the webhook there and retries.
    assert client.patch(hooks_url(demo, f"/{hook['id']}"), json={"url": receiver.url}, headers=admin).status_code == 200
    retried = client.post(hooks_url(demo, f"/{hook['id']}/deliveries/{failed['id']}/retry"), headers=admin)
    assert retried.status_code == 202, retried.text
    assert retried.json()["status"] == "pending"
    wait_until(lambda: receiver.requests)
    [done] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook["id"]) if d["status"] == "succeeded"])
    assert done["attempts"] == 4
    assert receiver.requests[0].json()["delivery_id"] == failed["id"]
    assert signature_ok(hook["secret"], receiver.requests[0])

    # A delivered one can be sent again too: the same bytes, once more.
    again = client.post(hooks_url(demo, f"/{hook['id']}/deliveries/{failed['id']}/retry"), headers=admin)
    assert again.status_code == 202
    wait_until(lambda: len(receiver.requests) == 2)
    assert receiver.requests[0].body == receiver.requests[1].body
    assert wait_until(lambda: delivery_rows(ctx, hook["id"])[0].attempts == 5)

    missing = client.post(hooks_url(demo, f"/{hook['id']}/deliveries/999999/retry"), headers=admin)
    assert missing.status_code == 404
    assert missing.json()["field"] == "delivery_id"


@pytest.fixture
def patient(settings: Settings) -> Settings:
    settings.webhook_timeout_seconds = 30
    return settings


def test_sending_never_holds_up_the_request_and_an_attempt_in_flight_cannot_be_retried(
    patient: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.hold = threading.Event()
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")  # returns while the receiver still holds the POST
    wait_until(lambda: receiver.in_flight == 1)
    [row] = delivery_rows(ctx, hook["id"])
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 0)
    assert row.claimed_until is not None

    busy = client.post(hooks_url(demo, f"/{hook['id']}/deliveries/{row.id}/retry"), headers=admin)
    assert busy.status_code == 409
    assert busy.json()["field"] == "delivery_id"

    receiver.hold.set()
    wait_until(lambda: delivery_rows(ctx, hook["id"])[0].status is DeliveryStatus.succeeded)
    [row] = delivery_rows(ctx, hook["id"])
    assert (row.attempts, row.claimed_until) == (1, None)
    assert len(receiver.requests) == 1


def test_deliveries_written_while_no_worker_runs_are_sent_when_it_starts(
    no_worker: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    """A restart: the rows outlive the process that wrote them."""
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")
    [row] = delivery_rows(ctx)
    assert (row.status, row.attempts) == (DeliveryStatus.pending, 0)

    worker = webhooks.WebhookWorker(ctx)  # a new process's worker
    worker.start()
    try:
        wait_until(lambda: delivery_rows(ctx)[0].status is DeliveryStatus.succeeded)
    finally:
        worker.stop()
    assert [r.json()["delivery_id"] for r in receiver.requests] == [row.id]
    assert signature_ok(hook["secret"], receiver.requests[0])


def test_a_due_delivery_is_claimed_by_one_worker_only(ctx: AppContext, demo: DemoWorld) -> None:
    with ctx.session_factory() as session:
        hook = webhooks.create_webhook(
            session, demo.account_id, url="http://127.0.0.1:9/x", event_names=ALL_EVENTS, allow=ON_PREMISES
        )
        session.add_all(
            WebhookDelivery(account_id=demo.account_id, webhook_id=hook.id, event="message_created", payload="{}", next_attempt_at=utcnow())
            for _ in range(3)
        )
        session.commit()
    with ctx.session_factory() as first, ctx.session_factory() as second:
        now = utcnow()
        until = now + timedelta(seconds=60)
        # Both workers saw the same due rows; the conditional claim lets one win each.
        seen_by_first = webhooks.due_delivery_ids(first, now, 10)
        assert webhooks.due_delivery_ids(second, now, 10) == seen_by_first
        assert [webhooks.try_claim(second, i, now, until) for i in seen_by_first[:1]] == [True]
        second.commit()
        won_by_first = [i for i in seen_by_first if webhooks.try_claim(first, i, now, until)]
        first.commit()
        assert len(seen_by_first) == 3
        assert won_by_first == seen_by_first[1:]
        assert webhooks.claim_due_deliveries(second, 10, timedelta(seconds=60)) == []
    # A claim that expired (its worker died mid-send) is due again.
    with ctx.session_factory() as session:
        session.execute(
            WebhookDelivery.__table__.update().values(
                next_attempt_at=utcnow() - timedelta(seconds=1), claimed_until=utcnow() - timedelta(seconds=1)
            )
        )
        session.commit()
        assert sorted(webhooks.claim_due_deliveries(session, 10, timedelta(seconds=60))) == sorted(seen_by_first)


def test_stop_ends_the_worker_thread(ctx: AppContext) -> None:
    worker = webhooks.WebhookWorker(ctx)
    worker.start()
    assert worker.runner.running
    worker.stop()
    assert not worker.runner.running
    worker.stop()  # twice is harmless


# -- the outbound guard -----------------------------------------------------------------------------

FORBIDDEN_URLS = [
    "http://127.0.0.1/",
    "http://127.0.0.1:6379/",
    "http://[::1]/hooks",
    "http://0.0.0.0:8000/",
    "http://169.254.169.254/latest/meta-data/",
    "http://2130706433/",  # 127.0.0.1 as one decimal number
    "http://0x7f000001/",
    "http://0177.0.0.1/",
    "http://127.1/",
    "http://[::ffff:127.0.0.1]/",
    "http://[::ffff:a9fe:a9fe]/",  # 169.254.169.254, IPv4-mapped
    "http://10.0.0.5/",
    "https://192.168.1.1/",
    "http://172.16.0.1/",
    "http://100.64.0.1/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://localhost:8080/",
    "http://metadata.cloud.test/",  # a name that resolves to the metadata service
]


@pytest.mark.parametrize("url", FORBIDDEN_URLS)
def test_a_webhook_to_an_internal_address_is_refused_naming_the_url(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], fake_dns: dict[str, list[str]], url: str
) -> None:
    fake_dns["metadata.cloud.test"] = ["169.254.169.254"]
    created = client.post(hooks_url(demo), json={"url": url, "events": ["message_created"]}, headers=admin)
    assert created.status_code == 422, created.text
    assert created.json()["field"] == "url"
    assert "only public addresses" in created.json()["message"]
    assert "DRAGOMAN_OUTBOUND_ALLOW" in created.json()["message"]
    assert client.get(hooks_url(demo), headers=admin).json() == []

    # Changing a webhook's URL to one is refused too, and the stored URL stays.
    hook = add_webhook(client, demo, admin, "https://hooks.partner.test/in", ["message_created"])
    changed = client.patch(hooks_url(demo, f"/{hook['id']}"), json={"url": url}, headers=admin)
    assert changed.status_code == 422, changed.text
    assert changed.json()["field"] == "url"
    assert client.get(hooks_url(demo), headers=admin).json()[0]["url"] == "https://hooks.partner.test/in"


def test_the_refusal_says_which_address_and_why(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> None:
    refused = client.post(hooks_url(demo), json={"url": "http://2130706433/", "events": ["message_created"]}, headers=admin)
    assert refused.status_code == 422
    assert "127.0.0.1" in refused.json()["message"]
    assert "loopback" in refused.json()["message"]


def _the_log_of(client: TestClient, demo: DemoWorld, admin: dict[str, str], hook_id: int) -> dict[str, Any]:
    [logged] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook_id) if d["attempts"] >= 1])
    return logged  # type: ignore[no-any-return]


def test_a_name_that_resolves_to_this_machine_at_send_time_is_refused_and_logged(
    client: TestClient,
    demo: DemoWorld,
    admin: dict[str, str],
    private_receiver: Receiver,
    fake_dns: dict[str, list[str]],
) -> None:
    """The name was public when the admin saved it; by the time of the send
    its DNS answers 127.0.0.1 (rebinding, or a changed record)."""
    fake_dns["hooks.partner.test"] = [PUBLIC_ADDRESS]
    hook = add_webhook(client, demo, admin, f"http://hooks.partner.test:{private_receiver.port}/x", ["message_created"])
    fake_dns["hooks.partner.test"] = ["127.0.0.1"]
    visitor_writes(client, demo, "Hola")

    logged = _the_log_of(client, demo, admin, hook["id"])
    assert logged["status"] == "pending"  # retried later: DNS may change back
    assert logged["last_status_code"] is None
    assert logged["last_error"].startswith("refused: hooks.partner.test resolves to 127.0.0.1")
    assert logged["attempt_log"][0]["error"] == logged["last_error"]
    assert private_receiver.requests == []


def test_a_webhook_saved_before_the_guard_to_localhost_is_refused_at_send_time(
    client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], private_receiver: Receiver
) -> None:
    with ctx.session_factory() as session:
        # Stored as an older version would have stored it, unchecked.
        hook = webhooks.Webhook(
            account_id=demo.account_id,
            url=f"http://localhost:{private_receiver.port}/admin",
            events=["message_created"],
            secret="s",
            active=True,
        )
        session.add(hook)
        session.commit()
        hook_id = hook.id
    visitor_writes(client, demo, "Hola")

    logged = _the_log_of(client, demo, admin, hook_id)
    assert logged["last_error"].startswith("refused: localhost resolves to 127.0.0.1")
    assert private_receiver.requests == []


def test_with_the_allow_list_a_local_receiver_gets_the_delivery_under_its_own_name(
    settings: Settings,
    client: TestClient,
    demo: DemoWorld,
    admin: dict[str, str],
    private_receiver: Receiver,
    fake_dns: dict[str, list[str]],
) -> None:
    """The operator allows the on-premises receiver by name; the request goes
    to the address that was checked and still names the host it is for."""
    settings.outbound_allow = "crm.corp.test, 10.20.0.0/16"
    fake_dns["crm.corp.test"] = ["127.0.0.1"]
    hook = add_webhook(client, demo, admin, f"http://crm.corp.test:{private_receiver.port}/in", ["message_created"])
    visitor_writes(client, demo, "Hola")

    wait_until(lambda: private_receiver.requests)
    assert private_receiver.requests[0].headers["Host"] == f"crm.corp.test:{private_receiver.port}"
    assert private_receiver.requests[0].path == "/in"
    wait_until(lambda: [d["status"] for d in deliveries(client, demo, admin, hook["id"])] == ["succeeded"])
    # The allow-list names that host, not every local address.
    refused = client.post(
        hooks_url(demo), json={"url": f"http://127.0.0.1:{private_receiver.port}/", "events": ALL_EVENTS}, headers=admin
    )
    assert refused.status_code == 422
    assert add_webhook(client, demo, admin, "http://10.20.3.4/in", ["message_created"])["url"] == "http://10.20.3.4/in"


def test_the_delivery_log_keeps_a_short_clean_excerpt_of_the_answer(
    client: TestClient, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    receiver.fail_first = 1
    receiver.failure_body = (
        b"\x1b[2J\x1b]0;pwned\x07Internal error\x00\r\n\tat db.internal:5432\r\n"
        + "\u202eevil\u200b".encode()
        + b"secret-line " * 500
    )
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")

    [delivery] = wait_until(lambda: [d for d in deliveries(client, demo, admin, hook["id"]) if d["status"] == "succeeded"])
    error = delivery["attempt_log"][0]["error"]
    assert delivery["attempt_log"][0]["status_code"] == 500
    assert error.startswith("HTTP 500: [2J ]0;pwned Internal error at db.internal:5432 evil secret-line")
    assert len(error) <= len("HTTP 500: ") + webhooks.RESPONSE_EXCERPT_CHARS
    assert not any(ch in error for ch in "\x1b\x07\x00\r\n\t\u202e\u200b")


def test_a_redirect_is_not_followed(
    settings: Settings,
    client: TestClient,
    demo: DemoWorld,
    admin: dict[str, str],
    private_receiver: Receiver,
    fake_dns: dict[str, list[str]],
) -> None:
    """A public receiver answering 302 to an internal address gets a failed
    attempt, not a second request."""
    redirecting = ThreadingHTTPServer(("127.0.0.1", 0), _redirect_to(private_receiver.url))
    threading.Thread(target=redirecting.serve_forever, daemon=True).start()
    try:
        # Stands for a public receiver: allowed by name, while the address it
        # redirects to is not.
        fake_dns["public.partner.test"] = ["127.0.0.1"]
        settings.outbound_allow = "public.partner.test"
        hook = add_webhook(client, demo, admin, f"http://public.partner.test:{redirecting.server_address[1]}/", ["message_created"])
        visitor_writes(client, demo, "Hola")
        logged = _the_log_of(client, demo, admin, hook["id"])
    finally:
        redirecting.shutdown()
        redirecting.server_close()
    assert logged["last_status_code"] == 302
    assert private_receiver.requests == []


def _redirect_to(location: str) -> type[BaseHTTPRequestHandler]:
    class Redirect(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            self.send_response(302)
            self.send_header("Location", location)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *_args: Any) -> None:
            return None

    return Redirect


# -- what a commit costs -----------------------------------------------------------------------------


def _count_webhook_queries(ctx: AppContext, work) -> int:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if "FROM webhooks" in statement:
            seen.append(statement)

    sa_event.listen(ctx.engine, "before_cursor_execute", record)
    try:
        work()
    finally:
        sa_event.remove(ctx.engine, "before_cursor_execute", record)
    return len(seen)


def test_the_outbox_queries_only_for_commits_with_webhook_events(ctx: AppContext, demo: DemoWorld) -> None:
    with ctx.session_factory() as session:
        webhooks.create_webhook(
            session, demo.account_id, url="http://127.0.0.1:9/x", event_names=ALL_EVENTS, allow=ON_PREMISES
        )
        viewer = load_viewer_of(session, demo, "admin")
        contact = contacts.create_contact(session, demo.account_id, name="Kim", email=None, language="ko")
        inbox = session.get(Inbox, demo.inbox_id)
        assert inbox is not None
        conversation = conversations.start_conversation(session, inbox, contact)
        session.commit()

        def uninteresting() -> None:
            conversations.update_conversation(session, conversation, priority="high")
            session.commit()

        def two_interesting() -> None:
            conversations.add_note(session, viewer, conversation, "one")
            conversations.send_reply(session, viewer, conversation, "two")
            session.commit()

        assert _count_webhook_queries(ctx, uninteresting) == 0
        assert _count_webhook_queries(ctx, two_interesting) == 1
        events_written = session.scalars(select(WebhookDelivery.event).order_by(WebhookDelivery.id)).all()
        # The reply made the unassigned conversation the replier's: assigned, with its activity line.
        assert events_written == ["conversation_created", "message_created", "message_created", "conversation_assigned", "message_created"]


# -- pure parts --------------------------------------------------------------------------------------


def test_backoff_doubles_from_the_base_with_a_little_jitter_and_a_cap() -> None:
    rng = random.Random(7)
    for attempts, plain in ((1, 2.0), (2, 4.0), (3, 8.0), (8, 256.0)):
        delay = webhooks.backoff_seconds(attempts, 2.0, rng=rng)
        assert plain <= delay <= plain * 1.1
    assert webhooks.backoff_seconds(30, 2.0, cap=600.0, rng=rng) <= 660.0


def test_record_attempt_reassigns_the_log_and_gives_up_at_the_last_attempt() -> None:
    delivery = WebhookDelivery(attempts=1, attempt_log=[{"at": "x"}], status=DeliveryStatus.pending, next_attempt_at=utcnow())
    first_log = delivery.attempt_log
    now = utcnow()
    webhooks.record_attempt(
        delivery, webhooks.AttemptResult(None, "timed out", 5000), at=now, max_attempts=3, backoff_base=1.0
    )
    assert delivery.attempt_log is not first_log
    assert first_log == [{"at": "x"}]
    assert delivery.status is DeliveryStatus.pending and delivery.next_attempt_at > now
    webhooks.record_attempt(delivery, webhooks.AttemptResult(503, "HTTP 503", 3), at=now, max_attempts=3, backoff_base=1.0)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == (DeliveryStatus.failed, 3, 503)
    assert [entry["error"] for entry in delivery.attempt_log[1:]] == ["timed out", "HTTP 503"]


def test_a_delivery_is_sent_once_by_two_runners_and_after_a_runner_died_mid_send(
    no_worker: Settings, client: TestClient, ctx: AppContext, demo: DemoWorld, admin: dict[str, str], receiver: Receiver
) -> None:
    """Two processes' runners, the job asked for twice (the rescue sweep, a
    restart) and a runner that died holding the job and the delivery's claim:
    the receiver gets each delivery once."""
    hook = add_webhook(client, demo, admin, receiver.url, ["message_created"])
    visitor_writes(client, demo, "Hola")
    visitor_writes(client, demo, "¿Hay alguien?")
    first, second = delivery_rows(ctx, hook["id"])
    with ctx.session_factory() as session:
        # The job of the first delivery asked for again, twice.
        for _ in range(2):
            webhooks.enqueue_attempt(session, session.get(WebhookDelivery, first.id), keyed=False)
        # A runner takes every job and the second delivery's claim, then dies.
        taken = claim(session, "runner-that-died", [webhooks.DELIVER], limit=10, lease_seconds=0.5)
        assert sorted(job.payload["delivery_id"] for job in taken) == sorted([first.id, first.id, first.id, second.id])
        now = utcnow()
        assert webhooks.try_claim(session, second.id, now, now + timedelta(seconds=1))
        session.commit()
    time.sleep(1.2)
    workers = [webhooks.WebhookWorker(ctx) for _ in range(2)]
    for worker in workers:
        worker.start()
    try:
        wait_until(lambda: {row.status for row in delivery_rows(ctx, hook["id"])} == {DeliveryStatus.succeeded}, timeout=15)
        assert all(worker.runner.wait_idle(10) for worker in workers)
    finally:
        for worker in workers:
            worker.stop()
    assert sorted(r.json()["delivery_id"] for r in receiver.requests) == sorted([first.id, second.id])
    assert [row.attempts for row in delivery_rows(ctx, hook["id"])] == [1, 1]
