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
    # Already in Spanish: the preview says it goes as written; the switch
    # stays on, since what is sent decides, not what was inserted.
    expect(page.get_by_test_id("translate-toggle")).to_be_checked()
    expect(page.get_by_test_id("reply-preview")).to_contain_text("already in the customer's language")
    shoot(page, test_output_dir, "canned-reply-exact")
    page.get_by_test_id("reply-send").click()
    expect(page.locator(".msg-outgoing .msg-text").last).to_have_text("Hola Lucía, soy Ada. ¿En qué puedo ayudarle hoy?")
    assert lucia.session()["messages"][-1]["content"] == "Hola Lucía, soy Ada. ¿En qué puedo ayudarle hoy?"
    # The agent then writes in English: this one reaches her in Spanish.
    box.fill("Your parcel will arrive tomorrow morning.")
    page.get_by_test_id("reply-send").click()
    expect(page.locator(".msg-outgoing .msg-text").last).to_have_text("Your parcel will arrive tomorrow morning.")
    sent = lucia.session()["messages"][-1]["content"]
    assert "mañana" in sent and "Your parcel" not in sent

    conversation_item(page, german).click()
    expect(page.locator("#conv-name")).to_have_text("Jonas Weber")
    picker.select_option(label="/greeting · Greeting")
    expect(box).to_have_value("Hello Jonas, this is Ada. How can I help you today?")
    expect(page.locator("#composer-hint")).to_contain_text("No German (de) version: inserted in English (en)")
    shoot(page, test_output_dir, "canned-reply-translate")
    # No engine serves English to German here: the first click sends
    # nothing and says so; sending untranslated is a second, named action.
    page.get_by_test_id("reply-send").click()
    expect(page.locator("#composer-error")).to_contain_text("Not sent: it cannot be translated")
    expect(page.get_by_test_id("reply-send")).to_have_text("Send untranslated")
    expect(page.get_by_test_id("reply-preview-flag")).to_contain_text("No engine here translates your reply into German")
    expect(page.locator(".msg-outgoing")).to_have_count(0)
    shoot(page, test_output_dir, "reply-untranslated-warning")
    page.get_by_test_id("reply-send").click()
    expect(page.locator(".msg-outgoing .msg-text").last).to_have_text("Hello Jonas, this is Ada. How can I help you today?")
    expect(page.get_by_test_id("reply-send")).to_have_text("Send")
    assert jonas.session()["messages"][-1]["content"] == "Hello Jonas, this is Ada. How can I help you today?"


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


def test_a_supervisor_writes_a_saved_reply_with_two_languages_and_a_macro_in_settings(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    page = signed_in_page(contexts, browser, live_server, "supervisor")
    page.goto(f"{live_server.url}/app/settings/api-tokens")
    # Supervisors keep the team's words: the section is theirs, the account's settings are not.
    expect(page.get_by_test_id("nav-agents")).to_have_count(0)
    page.get_by_test_id("nav-saved-replies").click()
    # The demo's own replies are listed, each with its languages.
    demo_replies = httpx.get(f"{api}/canned_replies", headers=admin).json()
    expect(page.get_by_test_id("saved-reply-row")).to_have_count(len(demo_replies))

    def stored_delay() -> list[dict]:  # type: ignore[type-arg]
        return [r for r in httpx.get(f"{api}/canned_replies", headers=admin).json() if r["shortcut"] == "delay"]

    page.get_by_test_id("add-button").click()
    page.locator("#f-title").fill("Parcel delayed")
    page.locator("#f-shortcut").fill("delay")
    page.locator("#f-kind").select_option("reassurance")
    versions = page.get_by_test_id("reply-version")
    versions.first.locator("textarea").fill("Hi {{contact.first_name|there}}, your parcel is delayed by a day. Sorry!")
    page.get_by_test_id("add-version").click()
    versions.nth(1).locator("input").fill("es")
    versions.nth(1).locator("textarea").fill("Hola {{contact.frist_name}}, tu paquete llega con un día de retraso.")
    page.locator("#f-ticket_status").select_option("pending")
    page.locator("#f-add_tags").fill("delay, carrier")
    page.get_by_test_id("dialog-submit").click()
    # A misspelt placeholder is refused by name, and nothing is stored.
    expect(page.locator("#form-dialog-error")).to_contain_text("versions.es uses an unknown placeholder {{contact.frist_name}}")
    assert stored_delay() == []
    versions.nth(1).locator("textarea").fill("Hola {{contact.first_name|}}, tu paquete llega con un día de retraso.")
    shoot(page, test_output_dir, "settings-saved-reply-form")
    page.get_by_test_id("dialog-submit").click()
    row = page.locator('[data-testid="saved-reply-row"][data-shortcut="delay"]')
    expect(page.get_by_test_id("saved-reply-row")).to_have_count(len(demo_replies) + 1)
    expect(row).to_contain_text("/delay")
    expect(row).to_contain_text("ticket Pending (waiting for the customer), tags delay, carrier")
    shoot(page, test_output_dir, "settings-saved-replies")
    [stored] = stored_delay()
    assert stored["kind"] == "reassurance" and set(stored["versions"]) == {"en", "es"}
    assert stored["actions"]["ticket_status"] == "pending" and stored["actions"]["add_tags"] == ["delay", "carrier"]

    # Edited: a language removed, the rest kept.
    row.get_by_role("button", name="Edit").click()
    versions.nth(1).get_by_role("button", name="Remove this language").click()
    page.get_by_test_id("dialog-submit").click()
    expect(row.locator(".chip")).to_have_count(1)
    assert set(stored_delay()[0]["versions"]) == {"en"}
    page.once("dialog", lambda confirm: confirm.accept())
    row.get_by_role("button", name="Delete").click()
    expect(row).to_have_count(0)
    assert stored_delay() == []
    # An agent is turned away.
    agent = signed_in_page(contexts, browser, live_server, "maria")
    response = agent.goto(f"{live_server.url}/app/admin/saved-replies")
    assert response is not None and response.status == 403
    assert page.script_errors == []  # type: ignore[attr-defined]
