"""Screenshots of the inboxes settings page, an e-mail inbox's dialog and an
e-mail conversation whose replies show their delivery marks (not a test)."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext
from sqlalchemy import select

from conftest import DemoWorld, LiveServer
from dragoman.config import Settings
from dragoman.conversations.models import Conversation, DeliveryStatus, Direction, Message
from dragoman.demo.history import seed_history
from dragoman.demo.showcase import seed_showcase
from dragoman.inboxes.models import Inbox
from servers import free_port
from test_browser_console import browser, contexts, new_page, sign_in  # noqa: F401

pytestmark = pytest.mark.browser
OUT = Path("/work/shots/mchan")


@pytest.fixture
def settings(settings: Settings) -> Settings:
    settings.smtp_listen = f"127.0.0.1:{free_port()}"
    settings.mail_catcher = True
    return settings


def test_shots(browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld) -> None:  # noqa: F811
    ctx = live_server.ctx
    with ctx.session_factory() as db:
        seed_showcase(db, demo.account_id)
        seed_history(db, demo.account_id, ctx.settings.data_dir)
        db.commit()
        email = db.scalars(select(Inbox).where(Inbox.account_id == demo.account_id, Inbox.channel_type == "email")).first()
        assert email is not None
        replies = list(
            db.scalars(
                select(Message)
                .join(Conversation, Conversation.id == Message.conversation_id)
                .where(Message.inbox_id == email.id, Message.direction == Direction.outgoing, Message.delivery_status.is_not(None))
                .order_by(Message.id.desc())
            )
        )
        assert replies, "no e-mail replies in the demo history"
        # The conversation with the most replies: earlier ones sent, its latest failed.
        counts: dict[int, int] = {}
        for reply in replies:
            counts[reply.conversation_id] = counts.get(reply.conversation_id, 0) + 1
        busiest = max(counts, key=lambda cid: counts[cid])
        last = next(reply for reply in replies if reply.conversation_id == busiest)
        last.delivery_status = DeliveryStatus.failed.value
        last.delivery_error = "550 5.1.1 <lea@example.fr>: Recipient address rejected: User unknown"
        conversation_id = last.conversation_id
        email_id = email.id
        db.commit()
    errors: list[str] = []
    for language, locale in (("en", "en-US"), ("zh", "zh-CN")):
        for width, height in ((1280, 900), (390, 844)):
            page = new_page(contexts, browser, locale=locale, width=width)
            page.set_viewport_size({"width": width, "height": height})
            sign_in(page, live_server, "admin")
            page.goto(f"{live_server.url}/app/admin/inboxes")
            page.wait_for_load_state("networkidle")
            page.wait_for_timeout(400)
            page.screenshot(path=str(OUT / f"inboxes-{language}-{width}.png"), full_page=True)
            card = page.locator(f'[data-testid=inbox-card][data-inbox-id="{email_id}"]')
            card.get_by_role("button").first.click()
            page.wait_for_timeout(400)
            page.screenshot(path=str(OUT / f"inbox-dialog-email-{language}-{width}.png"), full_page=False)
            page.keyboard.press("Escape")
            page.get_by_test_id("add-button").click()
            page.wait_for_timeout(400)
            page.screenshot(path=str(OUT / f"inbox-dialog-new-webchat-{language}-{width}.png"), full_page=False)
            page.keyboard.press("Escape")
            page.goto(f"{live_server.url}/app?conversation={conversation_id}")
            page.wait_for_load_state("networkidle")
            page.get_by_test_id("delivery-status").first.wait_for()
            page.wait_for_timeout(600)
            page.get_by_test_id("delivery-retry").last.scroll_into_view_if_needed()
            page.screenshot(path=str(OUT / f"conversation-email-{language}-{width}.png"), full_page=False)
            errors += page.script_errors  # type: ignore[attr-defined]
    assert errors == []
