"""The channel framework, driven through a channel kind a test declares (an
SMS gateway that exists only here), as a new channel would be added: its
declaration registered, its inbox created through the API, messages in
through the one receive path, replies out through the delivery pipeline.

docs/architecture.md ("Adding a channel") walks through the same example.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, expect
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select

from conftest import DemoWorld, LiveServer, api_token, bearer, wait_until
from test_browser_console import browser, contexts, signed_in_page  # noqa: F401
from dragoman.channels.base import InboundMessage
from dragoman.channels.delivery import Step, next_step
from dragoman.channels.receive import receive
from dragoman.contacts.models import Contact
from dragoman.conversations.models import DeliveryStatus, Message
from dragoman.core.http import AppContext
from dragoman.core.secrets import is_sealed
from dragoman.inboxes import channel_kinds
from dragoman.inboxes.channel_kinds import Capabilities, ChannelKind, DeliveryFailed, label
from dragoman.inboxes.models import Inbox


class SmsSettings(BaseModel):
    model_config = ConfigDict(extra="allow")

    sender: str = Field(json_schema_extra={"label": label("Sender number", "发送号码")})
    api_key: str | None = Field(None, json_schema_extra={"label": label("Gateway key", "网关密钥"), "secret": True})


SMS = ChannelKind(
    name="test_sms",
    labels=label("SMS", "短信"),
    capabilities=Capabilities(max_length=160, read_receipts=True),
    routing_channel="chat",
    settings_schema=SmsSettings,
    delivery="later",
)


class Gateway:
    """The SMS gateway's outbound adapter: answers as the test scripts it."""

    def __init__(self) -> None:
        self.retry_seconds: tuple[float, ...] = (0.05, 0.05)
        self.failures: list[DeliveryFailed] = []  # raised in turn, then it sends
        self.sent: list[tuple[int, str]] = []
        self.tries = 0
        self._lock = threading.Lock()

    def send(self, db: Any, message: Message) -> None:
        with self._lock:
            self.tries += 1
            if self.failures:
                raise self.failures.pop(0)
            self.sent.append((message.id, message.content))


@pytest.fixture
def gateway(ctx: AppContext) -> Iterator[Gateway]:
    channel_kinds.register(SMS)
    adapter = Gateway()
    ctx.services["delivery"].use(SMS.name, adapter)
    try:
        yield adapter
    finally:
        channel_kinds.unregister(SMS.name)


def base(demo: DemoWorld) -> str:
    return f"/api/v1/accounts/{demo.account_id}"


def sms_inbox(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> dict[str, Any]:
    created = client.post(
        f"{base(demo)}/inboxes",
        json={"name": "SMS", "channel_type": "test_sms", "settings": {"sender": "+4930123", "api_key": "gw-secret"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def text_in(ctx: AppContext, inbox_id: int, message_id: str, content: str) -> tuple[int, bool]:
    """What the gateway's webhook route would do: one call of the receive path."""
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, inbox_id)
        assert inbox is not None
        received = receive(db, inbox, InboundMessage(source_id=message_id, sender_id="+491701234567", content=content, sender_name="Jana"))
        db.commit()
        assert received.conversation is not None
        return received.conversation.id, received.created


def reply_of(client: TestClient, demo: DemoWorld, admin: dict[str, str], conversation_id: int, message_id: int) -> dict[str, Any]:
    messages = client.get(f"{base(demo)}/conversations/{conversation_id}/messages", headers=admin).json()
    [reply] = [m for m in messages if m["id"] == message_id]
    return reply  # type: ignore[no-any-return]


def test_a_channel_declared_in_a_test_gets_an_inbox_with_its_settings_checked_sealed_and_masked(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, gateway: Gateway
) -> None:
    admin = as_user(demo.user("admin"))
    kinds = {kind["name"]: kind for kind in client.get("/api/v1/channel_kinds", headers=admin).json()}
    assert {"webchat", "email", "api", "test_sms"} <= set(kinds)
    sms = kinds["test_sms"]
    assert sms["labels"] == {"en": "SMS", "zh-Hans": "短信"} and sms["capabilities"]["max_length"] == 160
    assert [(f["path"], f["type"], f["required"], f.get("secret", False)) for f in sms["settings"]] == [
        ("settings.sender", "text", True, False),
        ("settings.api_key", "text", False, True),
    ]
    # The e-mail form as the console draws it: servers are groups, passwords secrets.
    smtp = next(f for f in kinds["email"]["settings"] if f["name"] == "smtp")
    assert smtp["type"] == "group" and next(f for f in smtp["fields"] if f["name"] == "password")["secret"] is True

    missing = client.post(f"{base(demo)}/inboxes", json={"name": "SMS", "channel_type": "test_sms", "settings": {}}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "settings.sender", missing.text
    unknown = client.post(f"{base(demo)}/inboxes", json={"name": "Fax", "channel_type": "fax"}, headers=admin)
    assert unknown.status_code == 422 and unknown.json()["field"] == "channel_type"
    # The web chat's schema too: a greeting is text (or text per language).
    bad = client.patch(f"{base(demo)}/inboxes/{demo.inbox_id}", json={"settings": {"greeting": 5}}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "settings.greeting", bad.text

    inbox = sms_inbox(client, demo, admin)
    assert inbox["settings"]["api_key"] == channel_kinds.MASK and inbox["website_token"] is None
    with ctx.session_factory() as db:
        stored = db.get(Inbox, inbox["id"])
        assert stored is not None and is_sealed(stored.settings["api_key"])
        sealed = stored.settings["api_key"]
    # The form sends the mask back: the key is kept.
    kept = client.patch(f"{base(demo)}/inboxes/{inbox['id']}", json={"settings": {"sender": "+4930999", "api_key": channel_kinds.MASK}}, headers=admin)
    assert kept.status_code == 200 and kept.json()["settings"]["sender"] == "+4930999"
    with ctx.session_factory() as db:
        assert db.get(Inbox, inbox["id"]).settings["api_key"] == sealed  # type: ignore[union-attr]


def test_a_message_delivered_twice_is_stored_once_and_a_failing_reply_ends_failed_with_the_reason(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, gateway: Gateway
) -> None:
    admin = as_user(demo.user("admin"))
    inbox = sms_inbox(client, demo, admin)
    conversation_id, created = text_in(ctx, inbox["id"], "sms-1", "Wo ist mein Paket?")
    again_id, again_created = text_in(ctx, inbox["id"], "sms-1", "Wo ist mein Paket?")  # the gateway's webhook retried
    assert created and not again_created and again_id == conversation_id
    text_in(ctx, inbox["id"], "sms-2", "Bestellung 4711")  # the same sender: the same contact and conversation
    with ctx.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Message).where(Message.inbox_id == inbox["id"])) == 2
        assert db.scalar(select(func.count()).select_from(Contact).where(Contact.name == "Jana")) == 1
    messages = client.get(f"{base(demo)}/conversations/{conversation_id}/messages", headers=admin).json()
    assert [m["content"] for m in messages if m["direction"] == "incoming"] == ["Wo ist mein Paket?", "Bestellung 4711"]
    assert all(m["delivery_status"] is None for m in messages if m["direction"] == "incoming")

    # The gateway is down for every try: queued with the reason between tries, then failed.
    gateway.failures = [DeliveryFailed(f"gateway answered 503 (try {n})") for n in (1, 2, 3)]
    reply = client.post(f"{base(demo)}/conversations/{conversation_id}/messages", json={"content": "Wir schauen nach."}, headers=admin)
    assert reply.status_code == 201 and reply.json()["delivery_status"] == "queued"
    failed = wait_until(lambda: (m := reply_of(client, demo, admin, conversation_id, reply.json()["id"]))["delivery_status"] == "failed" and m)
    assert failed["delivery_error"] == "gateway answered 503 (try 3)"
    assert gateway.tries == 3 and gateway.sent == []

    # The agent sends it again once the gateway is back: sent, the reason gone.
    again = client.post(f"{base(demo)}/conversations/{conversation_id}/messages/{reply.json()['id']}/retry_delivery", headers=admin)
    assert again.status_code == 200 and again.json()["delivery_status"] == "queued"
    sent = wait_until(lambda: (m := reply_of(client, demo, admin, conversation_id, reply.json()["id"]))["delivery_status"] == "sent" and m)
    assert sent["delivery_error"] is None and gateway.sent == [(reply.json()["id"], "Wir schauen nach.")]
    # Only a failed reply can be sent again; another account's is not found.
    twice = client.post(f"{base(demo)}/conversations/{conversation_id}/messages/{reply.json()['id']}/retry_delivery", headers=admin)
    assert twice.status_code == 422 and twice.json()["field"] == "message_id"


def test_a_permanent_failure_is_not_tried_again(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, gateway: Gateway
) -> None:
    admin = as_user(demo.user("admin"))
    inbox = sms_inbox(client, demo, admin)
    conversation_id, _ = text_in(ctx, inbox["id"], "sms-9", "Hallo")
    gateway.failures = [DeliveryFailed("number not in service", permanent=True)]
    reply = client.post(f"{base(demo)}/conversations/{conversation_id}/messages", json={"content": "Guten Tag!"}, headers=admin)
    failed = wait_until(lambda: (m := reply_of(client, demo, admin, conversation_id, reply.json()["id"]))["delivery_status"] == "failed" and m)
    assert failed["delivery_error"] == "number not in service"
    assert ctx.services["jobs"].wait_idle() and gateway.tries == 1


def test_web_chat_replies_are_sent_as_they_are_stored_and_api_replies_have_no_status(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Ana"}).json()
    chat = client.post("/widget/api/messages", json={"content": "Hola", "client_id": "c1"}, headers={"X-Visitor-Token": visitor["visitor_token"]})
    assert chat.status_code == 201, chat.text
    resent = client.post("/widget/api/messages", json={"content": "Hola", "client_id": "c1"}, headers={"X-Visitor-Token": visitor["visitor_token"]})
    assert resent.json()["id"] == chat.json()["id"]  # the widget's resend: the receive path stores it once
    conversation_id = chat.json()["conversation_id"]
    reply = client.post(f"{base(demo)}/conversations/{conversation_id}/messages", json={"content": "¡Hola!"}, headers=admin)
    assert reply.json()["delivery_status"] == "sent"

    api_inbox = client.post(f"{base(demo)}/inboxes", json={"name": "Shop backend", "channel_type": "api"}, headers=admin).json()
    contact = client.post(f"{base(demo)}/contacts", json={"name": "Bo"}, headers=admin).json()
    started = client.post(f"{base(demo)}/conversations", json={"inbox_id": api_inbox["id"], "contact_id": contact["id"]}, headers=admin)
    assert started.status_code == 201, started.text
    answer = client.post(f"{base(demo)}/conversations/{started.json()['id']}/messages", json={"content": "Noted."}, headers=admin)
    assert answer.json()["delivery_status"] is None


def test_retries_follow_the_channels_waits_then_give_up() -> None:
    waits = (10.0, 60.0)
    assert next_step(1, waits, permanent=False) == Step(DeliveryStatus.queued, 10.0)
    assert next_step(2, waits, permanent=False) == Step(DeliveryStatus.queued, 60.0)
    assert next_step(3, waits, permanent=False) == Step(DeliveryStatus.failed, None)
    assert next_step(1, waits, permanent=True) == Step(DeliveryStatus.failed, None)


@pytest.mark.browser
def test_the_console_draws_a_new_channels_inbox_form_from_its_schema_and_shows_a_replys_delivery_status(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, gateway: Gateway, test_output_dir: Path  # noqa: F811
) -> None:
    """No script knows the SMS channel: its inbox form comes from its schema,
    and a reply it could not deliver says so beside the reply."""
    ctx = live_server.ctx
    admin = bearer(api_token(ctx, demo.user("admin")))
    api = f"{live_server.url}{base(demo)}"
    created = httpx.post(f"{api}/inboxes", json={"name": "SMS", "channel_type": "test_sms", "settings": {"sender": "+4930123", "api_key": "gw-secret"}}, headers=admin)
    assert created.status_code == 201, created.text
    inbox = created.json()
    # The admin's inbox form: the kind's own fields, in the reader's language, the key never shown.
    chinese = signed_in_page(contexts, browser, live_server, "admin", locale="zh-CN")
    chinese.goto(f"{live_server.url}/app/admin/inboxes")
    card = chinese.get_by_test_id("inbox-card").filter(has_text="短信")
    card.get_by_role("button", name="编辑").click()
    expect(chinese.locator("#form-dialog")).to_contain_text("发送号码")
    expect(chinese.locator("#f-sender")).to_have_value("+4930123")
    expect(chinese.locator("#f-api_key")).to_have_value("")
    chinese.locator("#f-sender").fill("+4930999")
    chinese.get_by_test_id("dialog-submit").click()
    expect(chinese.locator("#form-dialog")).not_to_be_visible()
    with ctx.session_factory() as db:
        stored = db.get(Inbox, inbox["id"])
        assert stored is not None and stored.settings["sender"] == "+4930999" and is_sealed(stored.settings["api_key"])

    # A reply the gateway refuses for good: the agent sees why, and sends it again.
    conversation_id, _ = text_in(ctx, inbox["id"], "sms-web-1", "Guten Tag, wo ist mein Paket? Ich warte schon seit einer Woche darauf.")
    gateway.failures = [DeliveryFailed("number not in service", permanent=True)]
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app?conversation={conversation_id}")
    page.get_by_test_id("reply-input").fill("Guten Tag!")
    page.get_by_test_id("reply-send").click()
    reply = page.get_by_test_id("msg").filter(has_text="Guten Tag!")
    expect(reply.get_by_test_id("delivery-error")).to_contain_text("Not delivered: number not in service")
    expect(reply.get_by_test_id("delivery-status")).to_have_attribute("data-status", "failed")
    page.screenshot(path=str(test_output_dir / "console-delivery-failed.png"))
    reply.get_by_test_id("delivery-retry").click()
    expect(reply.get_by_test_id("delivery-status")).to_have_attribute("data-status", "sent")
    expect(reply.get_by_test_id("delivery-error")).to_have_count(0)
    assert gateway.sent and page.script_errors == [] and chinese.script_errors == []  # type: ignore[attr-defined]
