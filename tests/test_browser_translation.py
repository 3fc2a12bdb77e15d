"""Translation in the console, in a real Chromium against a live server with
Apertium: a Spanish customer read in English with the original one click
away, a reply previewed and sent in Spanish, and a fact-check stop that the
agent confirms. Screenshots go to test_output_dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import DemoWorld, LiveServer, api_token, bearer
from dragoman.language.engines.remote import LibreTranslateEngine
from test_browser_console import Customer, browser, contexts, conversation_item, signed_in_page  # noqa: F401 - fixtures
from translation_fakes import FakeTranslationService

pytestmark = pytest.mark.browser


def shoot(page: Page, output: Path, name: str) -> None:
    page.screenshot(path=str(output / f"translation-{name}.png"))


def open_chat(page: Page, conversation_id: int) -> None:
    conversation_item(page, conversation_id).click()
    expect(page.locator("#conv-name")).to_have_text("Carmen")


def test_agent_reads_a_spanish_customer_in_english_and_replies_in_spanish(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    customer = Customer(live_server, demo.website_token, "Carmen", "carmen@example.es", language="es")
    first = customer.write("Hola, mi pedido ORD-55120 no ha llegado todavía, ¿pueden ayudarme?")
    assert live_server.ctx.services["translation_worker"].wait_idle(30)
    page = signed_in_page(contexts, browser, live_server, "sam")  # works in English
    open_chat(page, first["conversation_id"])

    incoming = page.locator('[data-testid="msg"][data-direction="incoming"]').first
    expect(incoming.get_by_test_id("translation-note")).to_contain_text("Translated from")
    expect(incoming.get_by_test_id("translation-note")).to_contain_text("apertium")
    expect(incoming.locator(".msg-text")).to_contain_text("ORD-55120")
    expect(incoming.locator(".msg-text")).not_to_contain_text("todavía")
    incoming.get_by_test_id("translation-toggle").click()
    expect(incoming.locator(".msg-text")).to_have_text("Hola, mi pedido ORD-55120 no ha llegado todavía, ¿pueden ayudarme?")
    expect(incoming.get_by_test_id("translation-toggle")).to_have_text("Show translation")
    shoot(page, test_output_dir, "original-shown")
    incoming.get_by_test_id("translation-toggle").click()

    # A new message arrives live and its translation follows (message.updated).
    customer.write("También quiero cambiar la dirección de entrega")
    latest = page.locator('[data-testid="msg"][data-direction="incoming"]').nth(1)
    expect(latest.get_by_test_id("translation-note")).to_contain_text("apertium")

    # The reply: written in English, previewed and sent in Spanish.
    expect(page.get_by_test_id("reply-preview")).to_be_visible()
    page.get_by_test_id("reply-input").fill("Your order ORD-55120 ships tomorrow. Thank you for waiting!")
    expect(page.get_by_test_id("reply-preview-text")).to_contain_text("ORD-55120")
    expect(page.get_by_test_id("reply-preview-text")).to_contain_text("mañana")
    shoot(page, test_output_dir, "reply-preview")
    page.get_by_test_id("reply-send").click()
    outgoing = page.locator('[data-testid="msg"][data-direction="outgoing"]').last
    expect(outgoing.locator(".msg-text")).to_have_text("Your order ORD-55120 ships tomorrow. Thank you for waiting!")
    expect(outgoing.get_by_test_id("translation-note")).to_contain_text("Sent in")
    sent = customer.session()["messages"][-1]["content"]
    assert "mañana" in sent and "ORD-55120" in sent
    shoot(page, test_output_dir, "conversation")
    with page.expect_download() as download:
        page.get_by_test_id("transcript-link").click()
    transcript = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Hola, mi pedido ORD-55120 no ha llegado todavía" in transcript
    assert "Your order ORD-55120 ships tomorrow. Thank you for waiting!" in transcript
    assert "en, apertium:" in transcript
    assert page.script_errors == []  # type: ignore[attr-defined]


@pytest.fixture
def lossy_engine(live_server: LiveServer, demo: DemoWorld) -> Iterator[None]:
    """A LibreTranslate that loses numbers, first in the account's en→es chain."""
    fake = FakeTranslationService(mode="drop_placeholders").start()
    language = live_server.ctx.services["language"]
    language.engines.add(LibreTranslateEngine(fake.url))
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    httpx.patch(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/language_settings",
        json={"engine_chains": {"en-es": ["libretranslate"]}},
        headers=admin,
    ).raise_for_status()
    yield
    language.engines.remove("libretranslate")
    fake.stop()


def test_a_reply_that_loses_a_fact_is_stopped_until_the_agent_sends_anyway(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld,  # noqa: F811
    test_output_dir: Path, lossy_engine: None,
) -> None:  # fmt: skip
    customer = Customer(live_server, demo.website_token, "Carmen", "carmen@example.es", language="es")
    first = customer.write("¿Cuánto cuesta el envío urgente a Valencia?")
    page = signed_in_page(contexts, browser, live_server, "sam")
    open_chat(page, first["conversation_id"])
    page.get_by_test_id("reply-input").fill("Express shipping costs $12 and takes 2 days.")
    expect(page.get_by_test_id("reply-preview-flag")).to_contain_text("$12, 2")
    page.get_by_test_id("reply-send").click()
    expect(page.locator("#composer-error")).to_contain_text("Not sent")
    expect(page.get_by_test_id("reply-send")).to_have_text("Send anyway")
    expect(page.locator('[data-testid="msg"][data-direction="outgoing"]')).to_have_count(0)
    shoot(page, test_output_dir, "fact-check-stop")
    page.get_by_test_id("reply-send").click()
    outgoing = page.locator('[data-testid="msg"][data-direction="outgoing"]')
    expect(outgoing).to_have_count(1)
    expect(outgoing.get_by_test_id("translation-flag")).to_contain_text("$12")
    expect(page.get_by_test_id("reply-send")).to_have_text("Send")
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_admin_sets_languages_order_pattern_and_glossary_in_the_console(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/admin/language")
    settings = page.get_by_test_id("language-settings")
    expect(settings).to_contain_text("apertium")
    page.locator("#f-languages").fill("en, es, zh-Hans, pt")
    page.locator("#f-order_pattern").fill(r"ORD-\d{5}")
    page.get_by_test_id("language-save").click()
    expect(page.locator("#f-languages")).to_have_value("en, es, zh, pt")
    page.get_by_test_id("add-button").click()
    page.locator("#f-term").fill("Acme Cloud")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("term-row")).to_have_count(1)
    expect(page.get_by_test_id("term-row")).to_contain_text("kept as is")
    page.get_by_test_id("add-button").click()
    page.locator("#f-term").fill("refund")
    page.locator("#f-translation").fill("reembolso")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("#form-dialog-error")).to_contain_text("source_language and target_language")
    page.locator("#f-source_language").fill("en")
    page.locator("#f-target_language").fill("es")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("term-row")).to_have_count(2)
    shoot(page, test_output_dir, "glossary")
    settings_now = httpx.get(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/language_settings",
        headers=bearer(api_token(live_server.ctx, demo.user("admin"))),
    ).json()
    assert settings_now["languages"] == ["en", "es", "zh", "pt"] and settings_now["order_pattern"] == r"ORD-\d{5}"
    assert page.script_errors == []  # type: ignore[attr-defined]
