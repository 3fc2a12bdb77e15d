"""The support form on a phone, in Japanese: a request sent, and the
confirmation with its number."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, allow_local_mail_servers, api_token, bearer
from servers import free_port
from test_browser_console import browser, contexts  # noqa: F401

pytestmark = pytest.mark.browser


def test_a_customer_sends_a_request_from_the_support_form_in_japanese(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    closed = free_port()  # no relay listens; the install allows it (127.0.0.1 on this port only)
    allow_local_mail_servers(live_server.ctx.settings, closed)
    inbox = httpx.post(
        f"{api}/inboxes",
        json={"name": "Support mail", "channel_type": "email",
              "settings": {"address": "support@shop.example", "web_form": True,
                           "smtp": {"host": "127.0.0.1", "port": closed, "security": "none"}}},
        headers=admin,
    ).json()
    context = browser.new_context(viewport={"width": 390, "height": 844}, locale="ja-JP")
    contexts.append(context)
    page = context.new_page()
    page.goto(f"{live_server.url}/support/{inbox['settings']['form_token']}")
    expect(page.get_by_role("heading")).to_have_text("サポートへのお問い合わせ")
    expect(page.get_by_test_id("form-language")).to_have_value("ja")
    page.get_by_test_id("form-name").fill("田中 愛子")
    page.get_by_test_id("form-email").fill("aiko@example")
    page.get_by_test_id("form-subject").fill("注文 4711 が届きません")
    page.get_by_test_id("form-description").fill("先週注文した商品がまだ届いていません。確認していただけますか。")
    page.get_by_test_id("form-send").click()
    expect(page.get_by_test_id("error-email")).to_have_text("有効なメールアドレスを入力してください。")
    expect(page.get_by_test_id("form-description")).to_have_value("先週注文した商品がまだ届いていません。確認していただけますか。")
    page.screenshot(path=str(test_output_dir / "support-form-ja.png"), full_page=True)
    page.get_by_test_id("form-email").fill("aiko@example.jp")
    page.get_by_test_id("form-send").click()
    expect(page.get_by_test_id("form-sent")).to_contain_text("aiko@example.jp 宛にご返信いたします")
    [ticket] = httpx.get(f"{api}/tickets", headers=admin).json()["items"]
    assert ticket["source"] == "web_form" and ticket["language"] == "ja"
