"""Screenshots of every console page, in English and Chinese, at desktop
(1280 px) and phone (390 px) width, for comparing the pages before and after
a change to the front end. Not a test (pytest does not collect it unless
named); run it with the test fixtures:

    DRAGOMAN_SHOTS_DIR=/tmp/shots/before .venv/bin/python -m pytest tests/page_screenshots.py -q

It seeds what `dragoman demo` shows (people, queues, tickets, weeks of
history, a sample mail), signs in as the demo's admin and saves
<page>-<language>-<width>.png under DRAGOMAN_SHOTS_DIR (test-output/shots by
default). Each page also fails the run if it raised a script error."""

from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page

from conftest import DemoWorld, LiveServer, api_token, bearer
from dragoman.config import Settings
from dragoman.demo.history import seed_history
from dragoman.demo.showcase import seed_showcase
from dragoman.inboxes.models import Inbox
from servers import free_port
from test_browser_console import browser, contexts, new_page, sign_in  # noqa: F401

pytestmark = pytest.mark.browser

SETTINGS_SECTIONS = (
    "agents", "teams", "inboxes", "webhooks", "language", "ticket-fields", "sla-policies", "saved-replies", "satisfaction",
)
# (file name, path): every page a signed-in admin reaches from the main navigation.
PAGES: tuple[tuple[str, str], ...] = (
    ("console", "/app"),
    *((f"settings-{section}", f"/app/admin/{section}") for section in SETTINGS_SECTIONS),
    ("settings-api-tokens", "/app/settings/api-tokens"),
    ("tickets", "/app/tickets"),
    ("routing-wall", "/app/routing/wall"),
    ("routing-queues", "/app/routing/queues"),
    ("routing-agents", "/app/routing/agents"),
    ("kb-articles", "/app/kb/articles"),
    ("kb-bot", "/app/kb/bot"),
    ("demo-mail", "/app/demo/mail"),
)
LANGUAGES = (("en", "en-US"), ("zh", "zh-CN"))
WIDTHS = ((1280, 900), (390, 844))


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The demo's server: replies by e-mail caught, so the demo mail page exists."""
    settings.smtp_listen = f"127.0.0.1:{free_port()}"
    settings.mail_catcher = True
    return settings


def _seed_what_make_run_shows(live_server: LiveServer, demo: DemoWorld) -> int:
    """The showcase and history `dragoman demo` seeds, and one sample mail;
    returns a conversation to open in the console."""
    ctx = live_server.ctx
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        assert inbox is not None
        inbox.settings = {**(inbox.settings or {}), "bot": True, "csat": True}
        seed_showcase(db, demo.account_id)
        seed_history(db, demo.account_id, ctx.settings.data_dir)
        db.commit()
    admin = bearer(api_token(ctx, demo.user("admin")))
    base = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    httpx.post(f"{base}/demo/sample-mail", headers=admin).raise_for_status()
    listed = httpx.get(f"{base}/conversations", params={"status": "open", "assignee": "all"}, headers=admin).json()
    items = listed["items"] if isinstance(listed, dict) else listed
    return int(items[0]["id"])


def _settle(page: Page) -> None:
    page.wait_for_load_state("networkidle")
    # Fonts, the console's first list and the wall's first figures.
    page.wait_for_timeout(600)


def test_screenshots_of_every_console_page(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld  # noqa: F811
) -> None:
    out = Path(os.environ.get("DRAGOMAN_SHOTS_DIR", "test-output/shots"))
    out.mkdir(parents=True, exist_ok=True)
    conversation_id = _seed_what_make_run_shows(live_server, demo)
    pages = (*PAGES, ("console-conversation", f"/app?conversation={conversation_id}"))
    failures: list[str] = []
    for language, browser_locale in LANGUAGES:
        for width, height in WIDTHS:
            page = new_page(contexts, browser, locale=browser_locale, width=width)
            page.set_viewport_size({"width": width, "height": height})
            sign_in(page, live_server, "admin")
            for name, path in pages:
                page.script_errors.clear()  # type: ignore[attr-defined]
                page.goto(f"{live_server.url}{path}")
                _settle(page)
                page.screenshot(path=str(out / f"{name}-{language}-{width}.png"), full_page=True)
                if page.script_errors:  # type: ignore[attr-defined]
                    failures.append(f"{name} {language} {width}: {page.script_errors}")  # type: ignore[attr-defined]
    assert failures == []
