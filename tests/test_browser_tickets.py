"""The ticket card in the agent console: an agent turns a chat into a
ticket, sees the next SLA deadline count down, sets the ticket pending (the
clocks pause), and sees a breach in red when it comes, in English and
Chinese."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, api_token, bearer
from dragoman.core.clock import utcnow
from dragoman.tickets.runtime import SlaRuntime
from test_browser_console import Customer, browser, contexts, conversation_item, shoot, signed_in_page  # noqa: F401

pytestmark = pytest.mark.browser


def test_an_agent_makes_a_ticket_and_follows_its_sla_countdown(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    created = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/sla_policies",
        json={"name": "Normal", "priority": "normal", "first_response_seconds": 2 * 3600, "resolution_seconds": 8 * 3600},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    customer = Customer(live_server, demo.website_token, "Jonas Weber", "jonas@example.de", language="de")
    conversation_id = customer.write("Meine Bestellung 4711 ist kaputt angekommen, ich möchte eine Erstattung.")["conversation_id"]

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, conversation_id).click()
    card = page.get_by_test_id("ticket-card")
    page.get_by_test_id("make-ticket").click()
    expect(card).to_contain_text("Meine Bestellung 4711 ist kaputt angekommen")
    countdown = page.get_by_test_id("sla-countdown")
    expect(countdown).to_contain_text(re.compile(r"First response due in 1 h 5\d min"))
    expect(countdown).to_have_attribute("data-state", "ok")
    expect(page.locator(".msg-activity").last).to_contain_text("turned the conversation into ticket")
    shoot(page, test_output_dir, "ticket-countdown")

    # Waiting for the customer: every clock stops.
    page.get_by_test_id("ticket-status").select_option("pending")
    expect(countdown).to_contain_text("SLA clocks paused")
    # The customer answers: the ticket is open again and a reply is owed.
    customer.write("Hier sind die Fotos vom Paket.")
    expect(page.get_by_test_id("ticket-status")).to_have_value("open")
    expect(countdown).to_contain_text("due in")

    # Two hours on, nobody has answered: the SLA thread fires the breach.
    sla: SlaRuntime = live_server.ctx.services["sla"]
    assert sla.wait_idle()
    sla.sweep_now(utcnow() + timedelta(hours=9))
    expect(page.locator(".msg-activity").last).to_contain_text("SLA breached")
    expect(countdown).to_have_attribute("data-state", "breached")
    expect(countdown).to_contain_text("overdue by")
    shoot(page, test_output_dir, "ticket-breached")

    chinese = signed_in_page(contexts, browser, live_server, "li.wei")
    conversation_item(chinese, conversation_id).click()
    expect(chinese.get_by_test_id("ticket-card")).to_contain_text("工单")
    expect(chinese.get_by_test_id("sla-countdown")).to_contain_text("逾期")
    shoot(chinese, test_output_dir, "ticket-chinese")
    assert not page.script_errors and not chinese.script_errors  # type: ignore[attr-defined]


def test_the_receiving_agent_reads_a_transfer_summary_in_her_language(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    customer = Customer(live_server, demo.website_token, "Jonas Weber", "jonas@example.de", language="de")
    conversation_id = customer.write("Meine Bestellung 4711 ist kaputt angekommen.")["conversation_id"]
    ticket = httpx.post(f"{api}/conversations/{conversation_id}/ticket", json={}, headers=admin).json()
    sales = next(t for t in httpx.get(f"{api}/teams", headers=admin).json() if t["name"] == "Sales")
    summary = "The customer's order 4711 arrived broken. Please send a new one today."
    moved = httpx.post(f"{api}/tickets/{ticket['id']}/transfer", json={"team_id": sales["id"], "summary": summary}, headers=admin)
    assert moved.status_code == 200, moved.text
    spanish = next(m for m in httpx.get(f"{api}/conversations/{conversation_id}/messages", headers=admin).json() if m["direction"] == "note")
    expected = spanish["attributes"]["translations"]["es"]["text"]

    page = signed_in_page(contexts, browser, live_server, "maria")
    conversation_item(page, conversation_id).click()
    note = page.locator(".msg-note").last
    expect(note.locator(".msg-text")).to_have_text(expected)
    note.get_by_test_id("translation-toggle").click()
    expect(note.locator(".msg-text")).to_have_text(summary)
    shoot(page, test_output_dir, "ticket-transfer-note")


def test_an_agent_transfers_merges_and_links_tickets_from_the_ticket_card(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    ids = []
    for name, text in (("Jonas Weber", "Bestellung 4711 ist kaputt."), ("Jonas W.", "Nochmal wegen 4711!"), ("Eva Roth", "Rechnung 4711 fehlt.")):
        conversation_id = Customer(live_server, demo.website_token, name, f"{name.split()[0].lower()}@example.de", language="de").write(text)["conversation_id"]
        ids.append((conversation_id, httpx.post(f"{api}/conversations/{conversation_id}/ticket", json={}, headers=admin).json()["id"]))
    (first_conversation, first), (second_conversation, second), (_third_conversation, third) = ids

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, second_conversation).click()
    card = page.get_by_test_id("ticket-card")
    card.get_by_text("Transfer, merge or link").click()
    page.get_by_test_id("merge-into").fill(str(first))
    page.get_by_test_id("merge-send").click()
    expect(page.get_by_test_id("ticket-relations")).to_have_text(f"Merged into ticket #{first}")
    expect(page.get_by_test_id("ticket-status")).to_have_value("closed")

    conversation_item(page, first_conversation).click()
    card.get_by_text("Transfer, merge or link").click()
    page.get_by_test_id("link-to").fill(str(third))
    page.get_by_test_id("link-send").click()
    expect(page.get_by_test_id("ticket-relations")).to_have_text(f"Linked tickets: #{third}")
    page.get_by_test_id("transfer-team").select_option(label="Sales")
    page.get_by_test_id("transfer-summary").fill("Replacement for order 4711, please ship today.")
    shoot(page, test_output_dir, "ticket-actions")
    page.get_by_test_id("transfer-send").click()
    expect(page.get_by_test_id("assign-team")).to_have_value(str(next(t["id"] for t in httpx.get(f"{api}/teams", headers=admin).json() if t["name"] == "Sales")))
    expect(page.locator(".msg-note").last).to_contain_text("Replacement for order 4711")
    assert httpx.get(f"{api}/tickets/{second}", headers=admin).json()["merged_into_id"] == first
