"""Saved replies in the reply box: the agent picks one and it arrives filled
in, in the customer's language when the team wrote that version (sent as
written) and in the agent's own language otherwise (translated on send)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, api_token, bearer
from test_browser_console import Customer, browser, contexts, conversation_item, shoot, signed_in_page  # noqa: F401

pytestmark = pytest.mark.browser


def test_an_agent_inserts_a_saved_reply_in_the_customers_language(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    supervisor = bearer(api_token(live_server.ctx, demo.user("supervisor")))
    created = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/canned_replies",
        json={
            "shortcut": "greeting",
            "title": "Greeting",
            "kind": "greeting",
            "versions": {
                "en": "Hello {{contact.first_name|there}}, this is {{agent.first_name}}. How can I help you today?",
                "es": "Hola {{contact.first_name|}}, soy {{agent.first_name}}. ¿En qué puedo ayudarle hoy?",
            },
        },
        headers=supervisor,
    )
    assert created.status_code == 201, created.text
    lucia = Customer(live_server, demo.website_token, "Lucía Fernández", "lucia@example.es", "es")
    spanish = lucia.write("Hola, tengo una pregunta sobre mi pedido 4711, por favor.")["conversation_id"]
    jonas = Customer(live_server, demo.website_token, "Jonas Weber", "jonas@example.de", "de")
    german = jonas.write("Hallo, ich habe eine Frage zu meiner Bestellung 4711, bitte.")["conversation_id"]

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, spanish).click()
    expect(page.locator("#conv-name")).to_have_text("Lucía Fernández")
    picker = page.get_by_test_id("canned-select")
    expect(picker).to_be_visible()
    picker.select_option(label="/greeting · Greeting")
    box = page.get_by_test_id("reply-input")
    expect(box).to_have_value("Hola Lucía, soy Ada. ¿En qué puedo ayudarle hoy?")
    expect(page.locator("#composer-hint")).to_contain_text("Inserted in Spanish")
    # Already in Spanish: not translated again.
    expect(page.get_by_test_id("translate-toggle")).not_to_be_checked()
    shoot(page, test_output_dir, "canned-reply-exact")
    page.get_by_test_id("reply-send").click()
    expect(page.locator(".msg-outgoing .msg-text").last).to_have_text("Hola Lucía, soy Ada. ¿En qué puedo ayudarle hoy?")

    conversation_item(page, german).click()
    expect(page.locator("#conv-name")).to_have_text("Jonas Weber")
    picker.select_option(label="/greeting · Greeting")
    expect(box).to_have_value("Hello Jonas, this is Ada. How can I help you today?")
    expect(page.locator("#composer-hint")).to_contain_text("No German (de) version: inserted in English (en)")
    shoot(page, test_output_dir, "canned-reply-translate")


def test_a_macro_says_what_it_will_do_and_does_it_when_sent(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    supervisor = bearer(api_token(live_server.ctx, demo.user("supervisor")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    created = httpx.post(
        f"{api}/canned_replies",
        json={"shortcut": "photos", "title": "Ask for photos", "versions": {"en": "Could you send us a photo of the parcel?"},
              "actions": {"ticket_status": "pending", "add_tags": ["damaged"]}},
        headers=supervisor,
    )
    assert created.status_code == 201, created.text
    conversation_id = Customer(live_server, demo.website_token, "Sam Doe", "sam@example.com", "en").write("My parcel arrived broken.")["conversation_id"]
    ticket = httpx.post(f"{api}/conversations/{conversation_id}/ticket", json={}, headers=supervisor).json()

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, conversation_id).click()
    expect(page.locator("#conv-name")).to_have_text("Sam Doe")
    page.get_by_test_id("canned-select").select_option(label="/photos · Ask for photos")
    expect(page.get_by_test_id("reply-input")).to_have_value("Could you send us a photo of the parcel?")
    expect(page.locator("#composer-hint")).to_have_text("On send: ticket Pending (waiting for the customer), tags damaged.")
    shoot(page, test_output_dir, "canned-macro")
    page.get_by_test_id("reply-send").click()
    expect(page.get_by_test_id("ticket-status")).to_have_value("pending")
    after = httpx.get(f"{api}/tickets/{ticket['id']}", headers=supervisor).json()
    assert after["status"] == "pending" and after["tags"] == ["damaged"]
