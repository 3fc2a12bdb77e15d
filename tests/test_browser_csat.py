"""The survey page on a phone: in the customer's language and direction,
large choices, and a thank-you once rated."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, api_token, bearer, wait_until
from dragoman.inboxes.models import Inbox
from test_browser_console import Customer, browser, contexts  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_customer_rates_the_help_on_a_phone_in_arabic(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    with live_server.ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "csat": True}  # type: ignore[union-attr]
        db.commit()
    customer = Customer(live_server, demo.website_token, "Layla Haddad", "layla@example.ae", "ar")
    conversation_id = customer.write("مرحبًا، أين طلبي رقم 4711؟")["conversation_id"]
    maria = bearer(api_token(live_server.ctx, demo.user("maria")))
    resolved = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/toggle_status",
        json={"status": "resolved"},
        headers=maria,
    )
    assert resolved.status_code == 200
    invitation = wait_until(lambda: [m["content"] for m in customer.http.get("/widget/api/session").json()["messages"] if "/csat/" in m["content"]])
    path = re.search(r"/csat/[A-Za-z0-9_-]+", invitation[0]).group(0)  # type: ignore[union-attr]

    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ar")
    contexts.append(context)
    page = context.new_page()
    page.goto(live_server.url + path)
    expect(page.locator("html")).to_have_attribute("dir", "rtl")
    expect(page.get_by_role("heading")).to_have_text("كيف كانت خدمتنا؟")
    page.get_by_test_id("csat-send").click()  # nothing chosen yet
    expect(page.get_by_test_id("csat-error")).to_have_text("يرجى اختيار تقييم من 1 إلى 5.")
    page.get_by_text("راضٍ جدًا").click()
    page.get_by_test_id("csat-comment").fill("خدمة سريعة، شكرًا")
    page.screenshot(path=str(test_output_dir / "csat-survey-ar.png"), full_page=True)
    page.get_by_test_id("csat-send").click()
    expect(page.get_by_test_id("csat-thanks")).to_have_text("شكرًا لك! تقييمك يساعدنا على التحسن.")
    page.screenshot(path=str(test_output_dir / "csat-thanks-ar.png"))
    rated = httpx.get(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/csat", headers=maria
    ).json()
    assert rated["rating"] == 5 and rated["comment"] == "خدمة سريعة، شكرًا"
