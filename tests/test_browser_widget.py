"""The customer's chat widget in a real Chromium, embedded in the demo store
exactly as a customer's website embeds it. Screenshots go to test_output_dir
(widget-*.png)."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Frame, FrameLocator, Page, WebSocketRoute, expect

from conftest import DemoWorld, LiveServer, api_token, bearer, wait_until
from test_browser_console import WAIT_MS, browser, contexts, conversation_item, new_page, signed_in_page  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

FRAME = "#dragoman-widget-frame"
PHONE = {"width": 390, "height": 844}


# -- helpers ---------------------------------------------------------------------------


def open_store(page: Page, server: LiveServer) -> FrameLocator:
    """The demo store with the chat opened from its launcher."""
    page.goto(f"{server.url}/demo")
    return open_launcher(page)


def open_launcher(page: Page) -> FrameLocator:
    launcher = page.get_by_test_id("widget-launcher")
    expect(launcher).to_have_attribute("aria-expanded", "false")
    launcher.click()
    expect(launcher).to_have_attribute("aria-expanded", "true")
    expect(page.locator(FRAME)).to_be_visible()
    return page.frame_locator(FRAME)


def frame_of(page: Page) -> Frame:
    found = [frame for frame in page.frames if "/widget/" in frame.url]
    assert len(found) == 1, [frame.url for frame in page.frames]
    return found[0]


def start_chat(chat: FrameLocator, name: str = "", email: str = "", language: str | None = None) -> None:
    expect(chat.get_by_test_id("prechat")).to_be_visible()
    chat.get_by_test_id("prechat-name").fill(name)
    chat.get_by_test_id("prechat-email").fill(email)
    if language:
        chat.get_by_test_id("prechat-language").select_option(language)
    chat.get_by_test_id("prechat-submit").click()
    expect(chat.get_by_test_id("composer-input")).to_be_visible()


def send(chat: FrameLocator, text: str) -> None:
    chat.get_by_test_id("composer-input").fill(text)
    chat.get_by_test_id("composer-send").click()
    expect(chat.get_by_test_id("message").filter(has_text=text).last).to_have_attribute("data-state", "sent")


def stored_token(page: Page) -> str | None:
    return frame_of(page).evaluate(  # type: ignore[no-any-return]
        "key => window.localStorage.getItem(key)", f"dragoman.visitor.{website_token_of(page)}"
    )


def website_token_of(page: Page) -> str:
    return page.locator("script[data-website-token]").get_attribute("data-website-token") or ""


class Agent:
    """An agent working through the REST API (the console has its own tests)."""

    def __init__(self, server: LiveServer, demo: DemoWorld, who: str) -> None:
        user = demo.user(who)
        self.user = user
        self.base = f"/api/v1/accounts/{demo.account_id}"
        self.http = httpx.Client(base_url=server.url, timeout=10, headers=bearer(api_token(server.ctx, user)))

    def conversations(self) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base}/conversations", params={"assignee": "all", "status": "any"})
        response.raise_for_status()
        return response.json()["items"]  # type: ignore[no-any-return]

    def messages(self, conversation_id: int) -> list[dict[str, Any]]:
        response = self.http.get(f"{self.base}/conversations/{conversation_id}/messages")
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def contact(self, contact_id: int) -> dict[str, Any]:
        response = self.http.get(f"{self.base}/contacts/{contact_id}")
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def reply(self, conversation_id: int, content: str) -> None:
        self.http.post(f"{self.base}/conversations/{conversation_id}/messages", json={"content": content}).raise_for_status()

    def set_status(self, conversation_id: int, status: str) -> None:
        self.http.post(f"{self.base}/conversations/{conversation_id}/toggle_status", json={"status": status}).raise_for_status()


def only_conversation(agent: Agent) -> dict[str, Any]:
    items = wait_until(agent.conversations)
    assert len(items) == 1, items
    return items[0]


def tiny_png(width: int, height: int) -> bytes:
    """A real PNG (a colour gradient), as a phone's photo would be, only small."""
    # Each row: filter type 0, then red, green, blue per pixel.
    rows = b"".join(b"\x00" + b"".join(bytes((x * 2 % 256, y * 3 % 256, 120)) for x in range(width)) for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


def shoot(page: Page, output: Path, name: str) -> None:
    page.screenshot(path=str(output / f"widget-{name}.png"))


@pytest.fixture
def page(browser: Browser, contexts: list[BrowserContext]) -> Page:  # noqa: F811
    """The customer's tab, on a desktop, in English."""
    return new_page(contexts, browser)


def open_chat(page: Page, server: LiveServer, name: str) -> FrameLocator:
    """The store with the chat open and started."""
    chat = open_store(page, server)
    start_chat(chat, name)
    return chat


# -- tests ------------------------------------------------------------------------------


def test_prechat_message_reload_and_language_switch(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page.goto(f"{live_server.url}/demo")
    expect(page.get_by_test_id("demo-bar")).to_contain_text("/login")
    expect(page.get_by_test_id("widget-launcher")).to_have_attribute("aria-label", "Open chat")
    page.screenshot(path=str(test_output_dir / "widget-demo-store.png"), full_page=True)

    chat = open_store(page, live_server)
    # The pre-chat form, in the browser's language, with focus in its first field.
    expect(chat.get_by_test_id("greeting").first).to_have_text("Hi! How can we help you today?")
    expect(chat.get_by_test_id("prechat-language")).to_have_value("en")
    expect(chat.get_by_test_id("prechat-name")).to_be_focused()
    # Labelled for screen readers; the hint describes the field, it is not its name.
    expect(chat.get_by_role("textbox", name="E-mail (optional)", exact=True)).to_have_attribute(
        "aria-describedby", "prechat-email-hint prechat-email-error"
    )
    expect(chat.get_by_role("combobox", name="Your language", exact=True)).to_be_visible()
    shoot(page, test_output_dir, "desktop-en-prechat")

    # A bad e-mail address is caught in the form, before anything is created.
    chat.get_by_test_id("prechat-email").fill("emma@")
    chat.get_by_test_id("prechat-submit").click()
    expect(chat.get_by_test_id("prechat-email-error")).to_be_visible()
    start_chat(chat, "Emma Brown", "emma@example.co.uk")
    send(chat, "Hello, where is my order #1042?")
    shoot(page, test_output_dir, "desktop-en-chat")

    # Stored, and seen by an agent through the REST API.
    agent = Agent(live_server, demo, "maria")
    conversation = only_conversation(agent)
    assert conversation["contact"]["name"] == "Emma Brown"
    assert [m["content"] for m in agent.messages(conversation["id"])] == ["Hello, where is my order #1042?"]
    contact = agent.contact(conversation["contact"]["id"])
    assert (contact["email"], contact["language"]) == ("emma@example.co.uk", "en")

    # A reload keeps the chat: the same visitor token, the history from the server.
    token = stored_token(page)
    assert token
    page.reload()
    chat = open_launcher(page)
    expect(chat.get_by_test_id("message").filter(has_text="where is my order #1042")).to_have_attribute("data-state", "sent")
    expect(chat.get_by_test_id("prechat")).to_be_hidden()
    assert stored_token(page) == token

    # Switching language re-renders the widget's texts and tells the server.
    chat.get_by_test_id("language-button").click()
    chat.locator('[data-testid="language-option"][data-language="es"]').click()
    expect(chat.locator("h1")).to_have_text("Chatea con nosotros")
    expect(chat.get_by_test_id("composer-input")).to_have_attribute("placeholder", "Escribe un mensaje…")
    expect(chat.locator("html")).to_have_attribute("lang", "es")
    expect(chat.get_by_test_id("greeting").last).to_have_text("¡Hola! ¿En qué podemos ayudarte hoy?")
    expect(page.get_by_test_id("widget-launcher")).to_have_attribute("aria-label", "Cerrar el chat")
    wait_until(lambda: agent.contact(conversation["contact"]["id"])["language"] == "es")
    assert only_conversation(agent)["language"] == "es"  # the open conversation follows
    shoot(page, test_output_dir, "desktop-es-chat")
    # Chosen once, kept: the next visit opens in Spanish whatever the browser says.
    page.reload()
    chat = open_launcher(page)
    expect(chat.locator("h1")).to_have_text("Chatea con nosotros")
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_a_reply_arrives_live_with_the_agents_name_and_an_unread_badge_while_closed(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    chat = open_chat(page, live_server, "Emma Brown")
    send(chat, "Do you ship to Norway?")
    agent = Agent(live_server, demo, "maria")
    conversation_id = only_conversation(agent)["id"]

    agent.reply(conversation_id, "Yes, we do! Delivery takes 5 to 9 working days.")
    reply = chat.get_by_test_id("message").filter(has_text="Delivery takes 5 to 9")
    expect(reply).to_have_attribute("data-direction", "outgoing")
    expect(reply.locator(".sender")).to_have_text("María García")

    # Closed: the next reply raises a badge on the launcher.
    launcher = page.get_by_test_id("widget-launcher")
    launcher.click()
    expect(page.locator(FRAME)).to_be_hidden()
    expect(launcher).to_be_focused()
    agent.reply(conversation_id, "Anything else I can help with?")
    expect(page.get_by_test_id("widget-unread")).to_have_text("1")
    expect(launcher).to_have_attribute("aria-label", re.compile(r"New messages: 1"))
    shoot(page, test_output_dir, "desktop-unread-badge")
    launcher.click()
    expect(chat.get_by_test_id("message").filter(has_text="Anything else")).to_be_visible()
    expect(page.get_by_test_id("widget-unread")).to_have_count(0)
    # Escape in the frame closes the widget too.
    chat.get_by_test_id("composer-input").press("Escape")
    expect(page.locator(FRAME)).to_be_hidden()
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_a_forged_token_is_refused_and_the_widget_starts_over(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    chat = open_chat(page, live_server, "Emma Brown")
    send(chat, "First question")
    real = stored_token(page)
    assert real
    forged = real[: real.rindex(".") + 1] + "forgedsignature"
    for token in (forged, "garbage"):
        response = httpx.get(f"{live_server.url}/widget/api/session", headers={"X-Visitor-Token": token})
        assert response.status_code == 401

    frame_of(page).evaluate(
        "([key, value]) => window.localStorage.setItem(key, value)", [f"dragoman.visitor.{demo.website_token}", forged]
    )
    page.reload()
    chat = open_launcher(page)
    expect(chat.get_by_test_id("prechat")).to_be_visible()
    expect(chat.get_by_test_id("prechat-notice")).to_have_text(
        "Your previous chat could not be found. Please start a new one."
    )
    expect(chat.get_by_test_id("message")).to_have_count(0)
    assert stored_token(page) is None
    shoot(page, test_output_dir, "desktop-token-rejected")
    # And the visitor can carry on with a new chat.
    start_chat(chat, "Emma Brown")
    send(chat, "Second try")
    assert stored_token(page) not in (None, forged)
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_too_long_a_message_is_refused_clearly_and_resolved_chats_start_anew(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    chat = open_chat(page, live_server, "Emma Brown")
    chat.get_by_test_id("composer-input").fill("x" * 10_001)
    chat.get_by_test_id("composer-send").click()
    error = chat.get_by_test_id("composer-error")
    expect(error).to_have_text("Your message is 10,001 characters long; the limit is 10,000. Please shorten it.")
    expect(chat.get_by_test_id("composer-input")).to_have_attribute("aria-invalid", "true")
    expect(chat.get_by_test_id("message")).to_have_count(0)
    shoot(page, test_output_dir, "desktop-too-long")
    chat.get_by_test_id("composer-input").fill("")
    send(chat, "My parcel arrived, thank you!")
    expect(error).to_be_hidden()

    agent = Agent(live_server, demo, "maria")
    first_id = only_conversation(agent)["id"]
    agent.set_status(first_id, "resolved")
    expect(chat.get_by_test_id("resolved")).to_contain_text("resolved")
    shoot(page, test_output_dir, "desktop-resolved")
    send(chat, "One more thing: can I change the colour?")
    expect(chat.get_by_test_id("resolved")).to_have_count(0)
    conversations = wait_until(lambda: [c for c in agent.conversations() if c["id"] != first_id])
    assert [m["content"] for m in agent.messages(conversations[0]["id"])] == ["One more thing: can I change the colour?"]
    assert page.script_errors == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("locale", "tag", "direction", "title", "text"),
    [
        ("zh-CN", "zh-Hans", "ltr", "在线咨询", "你好，我的订单什么时候发货？"),
        ("ar-EG", "ar", "rtl", "تحدّث معنا", "مرحبًا، أين طلبي؟"),
    ],
)
def test_on_a_phone_the_widget_fills_the_screen_in_the_customers_language(
    browser: Browser,  # noqa: F811
    contexts: list[BrowserContext],  # noqa: F811
    live_server: LiveServer,
    demo: DemoWorld,
    test_output_dir: Path,
    locale: str,
    tag: str,
    direction: str,
    title: str,
    text: str,
) -> None:
    context = browser.new_context(viewport=PHONE, locale=locale, is_mobile=True, has_touch=True)
    context.set_default_timeout(WAIT_MS)
    contexts.append(context)
    page = context.new_page()
    chat = open_store(page, live_server)
    # Polled: the frame grows into place with a short transition.
    wait_until(lambda: page.locator(FRAME).bounding_box() == {"x": 0, "y": 0, **PHONE})
    expect(chat.locator("html")).to_have_attribute("dir", direction)
    expect(chat.locator("h1")).to_have_text(title)
    expect(chat.get_by_test_id("prechat-language")).to_have_value(tag)
    shoot(page, test_output_dir, f"phone-{tag}-prechat")
    start_chat(chat, "")
    send(chat, text)
    shoot(page, test_output_dir, f"phone-{tag}-chat")
    if direction == "rtl":
        # The customer's own bubble sits on the left in a right-to-left layout.
        bubble = chat.get_by_test_id("message").filter(has_text=text).locator(".bubble").bounding_box()
        assert bubble is not None and bubble["x"] < PHONE["width"] / 2
    agent = Agent(live_server, demo, "maria")
    contact = agent.contact(only_conversation(agent)["contact"]["id"])
    assert contact["language"] == tag
    # The close button in the frame's header is the way out on a phone.
    chat.get_by_test_id("close-button").click()
    expect(page.locator(FRAME)).to_be_hidden()
    expect(page.get_by_test_id("widget-launcher")).to_be_visible()


def test_the_desktop_frame_in_arabic_and_chinese(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    chat = open_store(page, live_server)
    start_chat(chat, "ليلى", language="ar")
    expect(chat.locator("html")).to_have_attribute("dir", "rtl")
    send(chat, "مرحبًا، هل يمكنني تغيير عنوان التوصيل؟")
    agent = Agent(live_server, demo, "maria")
    agent.reply(only_conversation(agent)["id"], "بالتأكيد! ما هو العنوان الجديد؟")
    expect(chat.get_by_test_id("message").filter(has_text="العنوان الجديد")).to_be_visible()
    shoot(page, test_output_dir, "desktop-ar-chat")
    chat.get_by_test_id("language-button").click()
    shoot(page, test_output_dir, "desktop-language-menu")
    chat.locator('[data-testid="language-option"][data-language="zh-Hans"]').click()
    expect(chat.locator("html")).to_have_attribute("dir", "ltr")
    expect(chat.locator("h1")).to_have_text("在线咨询")
    shoot(page, test_output_dir, "desktop-zh-chat")
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_after_a_dropped_socket_the_widget_reconnects_and_catches_up(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    # Every widget socket goes through this route, so the test can cut it
    # (as a lost network would) and refuse new ones for a while.
    sockets: list[WebSocketRoute] = []
    refusing = {"on": False}

    def route_socket(socket: WebSocketRoute) -> None:
        if refusing["on"]:
            socket.close()
            return
        socket.connect_to_server()
        sockets.append(socket)

    page.context.route_web_socket(re.compile(r"/widget/api/ws"), route_socket)
    chat = open_chat(page, live_server, "Emma Brown")
    send(chat, "Is the backpack waterproof?")
    agent = Agent(live_server, demo, "maria")
    conversation_id = only_conversation(agent)["id"]

    refusing["on"] = True
    sockets[-1].close()
    banner = chat.locator("#connection-banner")
    expect(banner).to_have_text("Connection lost. Reconnecting…")
    shoot(page, test_output_dir, "desktop-reconnecting")
    # Written while the socket is down: sent over HTTP instead, stored once.
    send(chat, "I mean in heavy rain.")
    agent.reply(conversation_id, "It is splash-proof; the rain cover is sold separately.")

    refusing["on"] = False
    expect(banner).to_be_hidden(timeout=WAIT_MS * 2)
    # The reply that came during the outage was fetched on reconnect...
    expect(chat.get_by_test_id("message").filter(has_text="rain cover is sold separately")).to_be_visible()
    # ...and the new socket carries the next one live.
    agent.reply(conversation_id, "Shall I add one to your order?")
    expect(chat.get_by_test_id("message").filter(has_text="Shall I add one")).to_have_attribute("data-direction", "outgoing")
    assert [m["content"] for m in agent.messages(conversation_id) if m["direction"] == "incoming"] == [
        "Is the backpack waterproof?",
        "I mean in heavy rain.",
    ]
    expect(chat.get_by_test_id("message")).to_have_count(4)
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_addresses_in_the_teams_messages_are_links_and_nothing_else_is(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    chat = open_chat(page, live_server, "Noah Berg")
    send(chat, "Where do I read about returns? <b>https://evil.example</b>")
    agent = Agent(live_server, demo, "maria")
    conversation_id = only_conversation(agent)["id"]
    agent.reply(
        conversation_id,
        "Everything is at /hc/1/en/articles/3-returns. Or https://shop.example/returns?from=chat. <img src=x onerror=alert(1)>",
    )
    reply = chat.get_by_test_id("message").filter(has_text="Everything is at")
    links = reply.locator(".bubble a")
    expect(links).to_have_count(2)
    expect(links.nth(0)).to_have_attribute("href", "/hc/1/en/articles/3-returns")
    expect(links.nth(1)).to_have_attribute("href", "https://shop.example/returns?from=chat")
    expect(links.nth(1)).to_have_attribute("rel", "noopener noreferrer")
    expect(links.nth(1)).to_have_attribute("target", "_blank")
    # Markup in a message stays text; the customer's own message gets no links.
    expect(reply.locator("img")).to_have_count(0)
    expect(reply).to_contain_text("<img src=x onerror=alert(1)>")
    mine = chat.get_by_test_id("message").filter(has_text="Where do I read about returns?")
    expect(mine.locator("a, b")).to_have_count(0)
    shoot(page, test_output_dir, "desktop-links")
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_the_bots_hand_off_offers_the_articles_that_came_close_as_links(
    page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    from dragoman.inboxes.models import Inbox

    with live_server.ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        assert inbox is not None
        inbox.settings = {**(inbox.settings or {}), "bot": True}
        db.commit()
    chat = open_chat(page, live_server, "Emma")
    send(chat, "wheres my package")
    # Under the threshold (a person is called), close enough to offer.
    handoff = chat.get_by_test_id("message").filter(has_text="While you wait")
    expect(handoff).to_be_visible(timeout=WAIT_MS)
    link = handoff.get_by_role("link").first
    expect(link).to_have_attribute("href", re.compile(r"/hc/\d+/en/articles/\d+-where-is-my-order$"))
    # The title is the link; the address is not spelled out.
    expect(link).to_have_text("Where is my order?")
    expect(handoff.locator(".bubble")).not_to_contain_text("/hc/")
    shoot(page, test_output_dir, "bot-handoff-suggestions")


def test_the_customer_downloads_a_file_the_team_sent(page: Page, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path) -> None:
    chat = open_chat(page, live_server, "Eva")
    send(chat, "Can you send me the invoice for order 4711?")
    agent = Agent(live_server, demo, "admin")
    conversation = only_conversation(agent)
    invoice = b"%PDF-1.4 invoice 4711" + bytes(4000)
    uploaded = agent.http.post(
        f"{agent.base}/conversations/{conversation['id']}/attachments", files={"file": ("Invoice 4711.pdf", invoice, "application/pdf")}
    )
    assert uploaded.status_code == 201, uploaded.text
    agent.http.post(
        f"{agent.base}/conversations/{conversation['id']}/messages", json={"content": "Here it is.", "attachments": [uploaded.json()]}
    ).raise_for_status()
    button = chat.get_by_test_id("message-file")
    expect(button).to_have_text("Invoice 4711.pdf · 4 KB")
    expect(chat.get_by_test_id("message-picture")).to_have_count(0)  # a document, no picture
    shoot(page, test_output_dir, "file-from-team")
    with page.expect_download() as download:
        button.click()
    assert download.value.suggested_filename == "Invoice 4711.pdf"
    assert Path(download.value.path()).read_bytes() == invoice


def test_the_customer_sends_a_file_the_agent_can_open(
    page: Page, browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    chat = open_chat(page, live_server, "Eva")
    send(chat, "The mug arrived broken, here is a photo")
    photo = tiny_png(120, 80)
    with page.expect_file_chooser() as chooser:
        chat.get_by_test_id("composer-attach").click()
    chooser.value.set_files(files=[{"name": "broken mug.png", "mimeType": "image/png", "buffer": photo}])
    # Shown once, as the file (not its name twice), and sent.
    sent = chat.get_by_test_id("message").last
    expect(sent.get_by_test_id("message-file")).to_have_text(f"broken mug.png · {round(len(photo) / 1024)} KB")
    expect(sent.locator(".bubble")).to_be_hidden()
    expect(sent).to_have_attribute("data-state", "sent")
    # The customer sees the picture they sent.
    picture = sent.get_by_test_id("message-picture")
    expect(picture).to_be_visible()
    assert wait_until(lambda: picture.evaluate("img => img.complete && img.naturalWidth") == 120)
    page.wait_for_timeout(300)  # past the messages' 160 ms fade-in, for the picture
    shoot(page, test_output_dir, "file-from-customer")
    # The agent sees it in the conversation and downloads it.
    agent = Agent(live_server, demo, "admin")
    conversation = only_conversation(agent)
    console = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(console, conversation["id"]).click()
    received = console.get_by_test_id("reply-files")
    expect(received).to_contain_text("broken mug.png")
    # A picture is shown small above its link, decoded by the browser.
    preview = received.get_by_test_id("file-preview")
    expect(preview).to_be_visible()
    assert wait_until(lambda: preview.evaluate("img => img.complete && img.naturalWidth") == 120)
    console.wait_for_timeout(300)
    console.screenshot(path=str(test_output_dir / "console-file-from-customer.png"))
    with console.expect_download() as download:
        received.get_by_role("link", name="broken mug.png").click()
    assert Path(download.value.path()).read_bytes() == photo
    # A screenshot pasted into the message box, and a file dropped on the
    # chat, are sent the same way.
    frame_of(page).evaluate(
        """() => {
            const pasted = new DataTransfer();
            pasted.items.add(new File(["PNG screenshot"], "screenshot.png", { type: "image/png" }));
            document.getElementById("composer-input").dispatchEvent(new ClipboardEvent("paste", { clipboardData: pasted, bubbles: true, cancelable: true }));
            const dropped = new DataTransfer();
            dropped.items.add(new File(["%PDF receipt"], "receipt.pdf", { type: "application/pdf" }));
            document.getElementById("chat").dispatchEvent(new DragEvent("drop", { dataTransfer: dropped, bubbles: true, cancelable: true }));
        }"""
    )
    expect(chat.get_by_test_id("message-file").filter(has_text="screenshot.png")).to_be_enabled()
    expect(chat.get_by_test_id("message-file").filter(has_text="receipt.pdf")).to_be_enabled()
    expect(chat.get_by_test_id("composer-input")).to_have_value("")

    def files_received() -> list[str]:
        messages = agent.messages(conversation["id"])
        return sorted(file["filename"] for m in messages for file in (m["attributes"] or {}).get("attachments") or [])

    assert wait_until(lambda: files_received() == ["broken mug.png", "receipt.pdf", "screenshot.png"])
    # The pasted "screenshot" is no picture at all, whatever its name says:
    # no preview, only its link.
    expect(console.get_by_test_id("reply-files").filter(has_text="screenshot.png").get_by_role("link", name="screenshot.png")).to_be_visible()
    expect(console.get_by_test_id("reply-files").filter(has_text="screenshot.png").get_by_test_id("file-preview")).to_have_count(0)
    # A file over the limit is refused in the chat before it is sent.
    with page.expect_file_chooser() as chooser:
        chat.get_by_test_id("composer-attach").click()
    chooser.value.set_files(files=[{"name": "video.mp4", "mimeType": "video/mp4", "buffer": bytes(10 * 1024 * 1024 + 1)}])
    expect(chat.get_by_test_id("composer-error")).to_have_text("video.mp4 is larger than 10 MB, the most we accept.")
    expect(chat.get_by_test_id("message")).to_have_count(4)


def test_the_chat_follows_long_replies_to_the_end(page: Page, live_server: LiveServer, demo: DemoWorld) -> None:
    """A visitor reading the end of the chat sees each new reply, however
    long (a bot's answer is often taller than the chat's last lines)."""
    chat = open_chat(page, live_server, "Emma Brown")
    send(chat, "How do returns work?")
    agent = Agent(live_server, demo, "maria")
    conversation_id = only_conversation(agent)["id"]
    paragraph = "You can return any item within 30 days of delivery, unused and in its original packaging. "
    for number in range(1, 5):
        agent.reply(conversation_id, f"Part {number}. " + paragraph * 4)
        latest = chat.get_by_test_id("message").filter(has_text=f"Part {number}.")
        expect(latest).to_be_visible()
        expect(latest).to_be_in_viewport()
    assert page.script_errors == []  # type: ignore[attr-defined]
