"""The whole path in two browsers: a customer writes from the demo store's
widget, an agent sees it live in the console and answers, and the answer
appears live in the customer's widget. Screenshots: roundtrip-*.png."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer
from test_browser_console import browser, contexts, conversation_item, new_page, signed_in_page  # noqa: F401
from test_browser_widget import open_store, send, start_chat

pytestmark = pytest.mark.browser

QUESTION = "Hola, ¿dónde está mi pedido?"
ANSWER = "¡Hola Lucía! Tu pedido salió ayer de Valencia; llegará el jueves."


def test_customer_to_agent_to_customer_live(
    browser: Browser,  # noqa: F811
    contexts: list[BrowserContext],  # noqa: F811
    live_server: LiveServer,
    demo: DemoWorld,
    test_output_dir: Path,
) -> None:
    agent = signed_in_page(contexts, browser, live_server, "maria")
    customer = new_page(contexts, browser, locale="es-ES")

    chat = open_store(customer, live_server)
    expect(chat.get_by_test_id("prechat-language")).to_have_value("es")
    start_chat(chat, "Lucía Fernández", "lucia@example.es")
    send(chat, QUESTION)

    # Live in the agent's list, then in the timeline, without a reload.
    item = agent.locator('[data-testid="conv-item"]').filter(has_text="Lucía Fernández")
    expect(item).to_contain_text(QUESTION)
    conversation_id = int(item.get_attribute("data-conversation-id") or 0)
    item.click()
    incoming = agent.locator('[data-testid="msg"]').filter(has_text=QUESTION)
    expect(incoming).to_have_attribute("data-direction", "incoming")
    agent.screenshot(path=str(test_output_dir / "roundtrip-agent-sees-question.png"))

    agent.get_by_test_id("reply-input").fill(ANSWER)
    agent.get_by_test_id("reply-send").click()
    expect(agent.locator('[data-testid="msg"]').filter(has_text=ANSWER)).to_have_attribute("data-direction", "outgoing")

    # Live in the customer's widget, under the agent's name.
    reply = chat.get_by_test_id("message").filter(has_text=ANSWER)
    expect(reply).to_have_attribute("data-direction", "outgoing")
    expect(reply.locator(".sender")).to_have_text("María García")
    customer.screenshot(path=str(test_output_dir / "roundtrip-customer-sees-answer.png"))
    agent.screenshot(path=str(test_output_dir / "roundtrip-agent-answered.png"))

    # The customer writes again: it lands in the open conversation, live.
    send(chat, "¡Gracias!")
    expect(conversation_item(agent, conversation_id)).to_contain_text("¡Gracias!")
    expect(agent.locator('[data-testid="msg"]').filter(has_text="¡Gracias!")).to_have_attribute("data-direction", "incoming")
    assert agent.script_errors == [] and customer.script_errors == []  # type: ignore[attr-defined]
