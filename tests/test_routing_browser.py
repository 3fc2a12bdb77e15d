"""The supervisors' live wall in a real Chromium: queues and languages with
their waits, updating while customers write and agents come online."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from conftest import DEMO_PASSWORD, DemoWorld, LiveServer, api_token, bearer, browser  # noqa: F401 - the shared Chromium

pytestmark = pytest.mark.browser

WAIT_MS = 15_000


def signed_in(browser: Browser, server: LiveServer, who: str, width: int = 1400) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-US")
    context.set_default_timeout(WAIT_MS)
    page = context.new_page()
    page.goto(f"{server.url}/login")
    page.get_by_test_id("login-email").fill(f"{who}@demo.dragoman.test")
    page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/app"))
    return page


def customer_writes(server: LiveServer, demo: DemoWorld, name: str, language: str, text: str) -> None:
    visitor = httpx.post(f"{server.url}/widget/api/{demo.website_token}/visitors", json={"name": name, "language": language})
    token = visitor.json()["visitor_token"]
    sent = httpx.post(f"{server.url}/widget/api/messages", json={"content": text}, headers={"X-Visitor-Token": token})
    assert sent.status_code == 201, sent.text


def test_the_live_wall_shows_queues_and_languages_and_follows_changes(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    base = f"{live_server.url}/api/v1/accounts/{demo.account_id}/routing/queues"
    for body in (
        {"name": "Spanish & Portuguese", "inbox_ids": [demo.inbox_id], "languages": ["es", "pt"], "position": 0,
         "steps": [{"min_language_level": 4}, {"after_seconds": 60, "min_language_level": 2}], "service_target_seconds": 20},
        {"name": "Everyone else", "inbox_ids": [demo.inbox_id], "position": 1, "steps": [{"min_language_level": 3}],
         "timezone": "Asia/Manila", "service_target_seconds": 30},
    ):
        created = httpx.post(base, json=body, headers=admin)
        assert created.status_code == 201, created.text
    sam = bearer(api_token(live_server.ctx, demo.user("sam")))
    assert httpx.patch(f"{live_server.url}/api/v1/profile", json={"availability": "online"}, headers=sam).status_code == 200
    customer_writes(live_server, demo, "Carmen", "es", "Hola, ¿dónde está mi pedido?")
    customer_writes(live_server, demo, "Lucía", "es", "Buenas tardes, quiero devolver un producto")
    customer_writes(live_server, demo, "João", "pt", "Olá, preciso de ajuda com a fatura")
    customer_writes(live_server, demo, "Yuki", "ja", "注文がまだ届きません")
    customer_writes(live_server, demo, "Emma", "en", "Hi, where is my parcel?")  # Sam takes it

    page = signed_in(browser, live_server, "supervisor")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/app/routing/wall")
    cards = page.get_by_test_id("wall-queue")
    expect(cards).to_have_count(2)
    spanish, other = cards.nth(0), cards.nth(1)
    expect(spanish.locator("h2")).to_have_text("Spanish & Portuguese")
    expect(spanish.locator(".wall-stat.big .wall-stat-value").first).to_have_text("3")
    expect(spanish.locator("tr[data-language='es'] td").first).to_have_text("2")
    expect(spanish.locator("tr[data-language='pt'] td").first).to_have_text("1")
    expect(other.locator("tr[data-language='ja'] td").first).to_have_text("1")
    expect(spanish.locator("tr[data-language='es'] td").nth(2)).to_have_text("0 / 0")  # nobody online speaks Spanish
    expect(other.locator(".state-online")).to_contain_text("Available 1")  # Sam: Emma's chat, two slots free
    page.screenshot(path=str(test_output_dir / "routing-wall.png"), full_page=True)

    # Live: another Spanish customer writes, then María comes online and takes the Spanish chats.
    customer_writes(live_server, demo, "Pilar", "es", "Hola, una pregunta sobre el envío")
    expect(spanish.locator(".wall-stat.big .wall-stat-value").first).to_have_text("4")
    maria = bearer(api_token(live_server.ctx, demo.user("maria")))
    assert httpx.patch(f"{live_server.url}/api/v1/profile", json={"availability": "online"}, headers=maria).status_code == 200
    # María's three chat slots take the three longest waits: Carmen, Lucía and
    # João (Portuguese at her level 2: step 1 wants 4 and nobody online has
    # it, so it is skipped). Pilar, the newest, waits.
    expect(spanish.locator(".wall-stat.big .wall-stat-value").first).to_have_text("1")
    expect(spanish.locator("tr[data-language='pt']")).to_have_count(0)
    expect(spanish.locator("tr[data-language='es'] td").first).to_have_text("1")
    page.screenshot(path=str(test_output_dir / "routing-wall-after.png"), full_page=True)
    assert errors == []

    agent = signed_in(browser, live_server, "maria")
    agent.goto(f"{live_server.url}/app/routing/wall")
    expect(agent.get_by_test_id("wall-forbidden")).to_be_visible()


def test_the_agent_sees_why_a_chat_was_routed_to_them(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    created = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/routing/queues",
        json={"name": "Website chat", "inbox_ids": [demo.inbox_id], "steps": [{"min_language_level": 4}]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    maria = bearer(api_token(live_server.ctx, demo.user("maria")))
    assert httpx.patch(f"{live_server.url}/api/v1/profile", json={"availability": "online"}, headers=maria).status_code == 200
    customer_writes(live_server, demo, "Carmen", "es", "Hola, mi pedido no ha llegado.")
    page = signed_in(browser, live_server, "maria")
    page.goto(f"{live_server.url}/app")
    page.get_by_test_id("conv-item").first.click()
    activities = page.locator('[data-testid="msg"][data-direction="activity"]')
    routed = activities.filter(has_text="Routed to María García")
    expect(routed).to_contain_text("queue Website chat, step 1 (Spanish (es) level 4 or better)")
    # One assignment, one line; the engine's full reason on hover.
    expect(activities.filter(has_text="María García")).to_have_count(1)
    assert "Routed to María García" in (routed.locator("span").first.get_attribute("title") or "")
    page.screenshot(path=str(test_output_dir / "routing-timeline.png"))

    # The same line in a supervisor's Chinese console.
    supervisor = bearer(api_token(live_server.ctx, demo.user("supervisor")))
    assert httpx.patch(f"{live_server.url}/api/v1/profile", json={"ui_locale": "zh_Hans"}, headers=supervisor).status_code == 200
    chinese = signed_in(browser, live_server, "supervisor")
    chinese.goto(f"{live_server.url}/app")
    chinese.get_by_test_id("conv-item").first.click()
    expect(chinese.locator('[data-testid="msg"][data-direction="activity"]').first).to_contain_text(
        "由队列 Website chat 第 1 步（"
    )
    # The step's rule in Chinese too, not routing's English.
    line = chinese.locator('[data-testid="msg"][data-direction="activity"]').first.inner_text()
    assert "水平 4 级及以上" in line and "level" not in line, line
    chinese.screenshot(path=str(test_output_dir / "routing-timeline-chinese.png"))


def test_an_agent_transfers_a_chat_to_a_language_queue_with_a_note_the_taker_reads_in_their_language(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    account = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    for name, languages, level in (("Front desk", [], 5), ("Spanish", ["es"], 2)):
        created = httpx.post(
            f"{account}/routing/queues",
            json={"name": name, "inbox_ids": [demo.inbox_id], "languages": languages, "steps": [{"min_language_level": level}]},
            headers=admin,
        )
        assert created.status_code == 201, created.text
    customer_writes(live_server, demo, "Carmen", "es", "Hola, quiero devolver mi pedido 4711.")

    page = signed_in(browser, live_server, "admin")
    page.goto(f"{live_server.url}/app")
    page.get_by_test_id("conv-item").filter(has_text="Carmen").first.click()
    page.get_by_test_id("handover").locator("summary").click()
    targets = page.get_by_test_id("handover-target")
    expect(targets.locator("optgroup")).to_have_count(3)  # queues, teams, agents
    targets.select_option(label="Spanish (es)")
    page.get_by_test_id("handover-note").fill("She wants to return order 4711; the parcel is unopened.")
    page.screenshot(path=str(test_output_dir / "console-transfer-form.png"))
    page.get_by_test_id("handover-send").click()
    expect(page.locator(".toast")).to_contain_text("Transferred to Spanish (es)")

    # María works in Spanish: she comes online, routing hands her the chat,
    # and the admin's note reads in Spanish (the English one click away).
    maria = bearer(api_token(live_server.ctx, demo.user("maria")))
    assert httpx.patch(f"{live_server.url}/api/v1/profile", json={"availability": "online"}, headers=maria).status_code == 200
    taker = signed_in(browser, live_server, "maria")
    taker.goto(f"{live_server.url}/app")
    taker.get_by_test_id("conv-item").filter(has_text="Carmen").first.click()
    expect(taker.locator("#assign-agent option:checked")).to_contain_text("María García")
    note = taker.locator('[data-testid="msg"][data-direction="note"]').last
    expect(note.locator(".msg-text")).to_contain_text("4711")
    expect(note.locator(".msg-text")).to_contain_text("paquete")  # Apertium's Spanish
    expect(note.get_by_test_id("translation-toggle")).to_be_visible()
    taker.screenshot(path=str(test_output_dir / "console-transfer-note-spanish.png"))
    note.get_by_test_id("translation-toggle").click()
    expect(note.locator(".msg-text")).to_contain_text("the parcel is unopened")


def test_a_transfer_note_the_taker_cannot_read_is_held_until_the_agent_sends_it_as_written(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    customer_writes(live_server, demo, "Carmen", "es", "Hola, quiero devolver mi pedido 4711.")
    page = signed_in(browser, live_server, "maria")
    page.goto(f"{live_server.url}/app")
    page.get_by_test_id("conv-item").filter(has_text="Carmen").first.click()
    page.get_by_test_id("handover").locator("summary").click()
    page.get_by_test_id("handover-target").select_option(value=f"agent:{demo.user('li.wei').id}")
    page.get_by_test_id("handover-note").fill("Quiere devolver el pedido 4711; el paquete está sin abrir.")
    # Li Wei works in Chinese and does not read Spanish; no engine here serves es→zh.
    page.get_by_test_id("handover-send").click()
    warning = page.get_by_test_id("handover-warning")
    expect(warning).to_contain_text("Li Wei")
    expect(warning).to_contain_text("cannot read Spanish")
    expect(page.get_by_test_id("handover-send")).to_have_text("Transfer with the note as written")
    expect(page.locator("#assign-agent option:checked")).not_to_contain_text("Li Wei")
    page.get_by_test_id("handover").screenshot(path=str(test_output_dir / "console-transfer-note-untranslatable.png"))
    page.get_by_test_id("handover-send").click()
    expect(page.locator(".toast")).to_contain_text("Transferred to Li Wei")


def test_an_admin_sets_up_a_queue_in_the_console(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = signed_in(browser, live_server, "admin")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(f"{live_server.url}/app/routing/queues")
    form = page.get_by_test_id("queue-form")
    expect(page.locator("#editor-title")).to_have_text("New queue")
    expect(page.get_by_test_id("step-row")).to_have_count(3)  # the bullseye to start from
    form.locator("[name=name]").fill("Spanish")
    form.locator("[name=languages]").fill("es, xx")
    form.locator("[name=timezone]").fill("Europe/Madrid")
    form.locator("[name=holiday_country]").fill("ES")
    page.get_by_test_id("add-hours").click()
    page.get_by_test_id("add-hours").click()
    second = page.get_by_test_id("hours-row").nth(1)
    second.locator("[name=weekday]").select_option("0")
    second.locator("[name=start]").fill("12:00")
    page.get_by_test_id("save-queue").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("unknown language 'xx'")
    expect(form.locator("[data-field=languages]")).to_have_attribute("aria-invalid", "true")
    form.locator("[name=languages]").fill("es, pt")
    page.get_by_test_id("save-queue").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("overlaps")
    expect(second).to_have_attribute("aria-invalid", "true")
    second.get_by_role("button", name="Remove").click()
    # A skill made here can be asked for at once.
    page.locator("#skill-name").fill("billing")
    page.get_by_test_id("skill-form").get_by_role("button", name="Add").click()
    expect(page.locator("#skill-names")).to_have_text("billing")
    page.get_by_test_id("step-row").nth(2).locator("[name=skill]").select_option("billing")
    page.get_by_test_id("step-row").nth(2).locator("[name=min_skill_level]").select_option("2")
    page.get_by_test_id("when-closed").select_option("ticket")
    page.get_by_test_id("ticket-after").fill("600")
    page.get_by_test_id("save-queue").click()
    expect(page.locator("#saved")).to_have_text("Saved.")
    expect(page.get_by_test_id("queue-item")).to_have_count(1)
    expect(page.locator("#editor-title")).to_have_text("Queue: Spanish")
    page.screenshot(path=str(test_output_dir / "routing-queues.png"), full_page=True)
    assert errors == []

    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    [queue] = httpx.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/routing/queues", headers=admin).json()
    assert queue["languages"] == ["es", "pt"] and queue["holiday_country"] == "ES" and queue["when_closed"] == "ticket"
    assert queue["ticket_after_seconds"] == 600
    assert queue["hours"] == [{"weekday": 0, "start": "09:00", "end": "18:00"}]
    assert [(s["after_seconds"], s["min_language_level"], s["skill"], s["min_skill_level"]) for s in queue["steps"]] == [
        (0, 4, None, 0), (30, 2, None, 0), (90, 0, "billing", 2)
    ]
    # Closed days set through the API survive a save in the console, which does not show them.
    url = f"{live_server.url}/api/v1/accounts/{demo.account_id}/routing/queues/{queue['id']}"
    kept = {k: v for k, v in queue.items() if k not in ("id", "open_now", "opens_at")}
    put = httpx.put(url, json={**kept, "closed_dates": ["2026-12-24", "2026-12-31"], "holiday_subdivision": "MD"}, headers=admin)
    assert put.status_code == 200, put.text
    page.reload()
    page.get_by_test_id("queue-item").first.click()
    expect(page.locator("#editor-title")).to_have_text("Queue: Spanish")
    page.get_by_test_id("save-queue").click()
    expect(page.locator("#saved")).to_have_text("Saved.")
    resaved = httpx.get(url, headers=admin).json()
    assert resaved["closed_dates"] == ["2026-12-24", "2026-12-31"] and resaved["holiday_subdivision"] == "MD"
    assert resaved["steps"] == queue["steps"] and resaved["ticket_after_seconds"] == 600

    agent = signed_in(browser, live_server, "maria")
    agent.goto(f"{live_server.url}/app/routing/queues")
    expect(agent.get_by_test_id("queues-forbidden")).to_be_visible()
    # Li Wei reads the console in Chinese: the routing pages too.
    chinese = signed_in(browser, live_server, "li.wei")
    chinese.goto(f"{live_server.url}/app/routing/queues")
    expect(chinese.get_by_test_id("queues-forbidden")).to_have_text("只有管理员可以配置路由。")


def test_an_admin_sets_an_agents_skills_capacity_and_working_hours_in_the_console(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    admin_token = bearer(api_token(live_server.ctx, demo.user("admin")))
    account = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    for name in ("billing", "order tracking"):
        assert httpx.post(f"{account}/routing/skills", json={"name": name}, headers=admin_token).status_code == 201
    maria_id = demo.user("maria").id

    page = signed_in(browser, live_server, "admin")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    # Reached from the Settings › Agents page.
    page.goto(f"{live_server.url}/app/admin/agents")
    page.get_by_test_id("routing-agents-link").click()
    page.wait_for_url(re.compile(r"/app/routing/agents$"))
    page.locator(f'[data-agent-id="{maria_id}"]').click()
    form = page.get_by_test_id("agent-form")
    expect(page.locator("#editor-title")).to_have_text("Agent: María García")
    expect(page.get_by_test_id("agent-languages")).to_contain_text("es")
    page.get_by_test_id("add-skill").click()
    page.get_by_test_id("add-skill").click()
    rows = page.get_by_test_id("skill-row")
    expect(rows).to_have_count(2)
    rows.nth(0).locator("[name=level]").select_option("4")
    rows.nth(1).locator("[name=skill]").select_option("billing")  # listed twice: refused, named
    form.locator("[name=chat]").fill("2")
    page.get_by_test_id("add-hours").click()
    page.get_by_test_id("add-hours").click()
    second = page.get_by_test_id("hours-row").nth(1)
    expect(second.locator("[name=weekday]")).to_have_value("1")  # the next day is offered
    page.get_by_test_id("save-agent").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("listed twice")
    expect(rows.nth(1).locator("[name=skill]")).to_have_attribute("aria-invalid", "true")
    rows.nth(1).locator("[name=skill]").select_option("order tracking")
    second.locator("[name=weekday]").select_option("0")
    second.locator("[name=start]").fill("12:00")
    page.get_by_test_id("save-agent").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("overlaps")
    expect(second).to_have_attribute("aria-invalid", "true")
    second.locator("[name=weekday]").select_option("1")
    form.locator("[name=holiday_country]").fill("XX")
    page.get_by_test_id("save-agent").click()
    expect(page.get_by_test_id("form-error")).to_contain_text("no holiday calendar")
    expect(form.locator("[name=holiday_country]")).to_have_attribute("aria-invalid", "true")
    form.locator("[name=holiday_country]").fill("es")
    page.get_by_test_id("save-agent").click()
    expect(page.locator("#saved")).to_have_text("Saved.")
    expect(page.locator(f'[data-agent-id="{maria_id}"]')).to_contain_text(re.compile(r"chats \d+ of 2"))
    page.screenshot(path=str(test_output_dir / "routing-agents.png"), full_page=True)
    assert errors == []

    saved = httpx.get(f"{account}/routing/agents/{maria_id}", headers=admin_token).json()
    assert {(s["skill"], s["level"]) for s in saved["skills"]} == {("billing", 4), ("order tracking", 3)}
    assert saved["capacities"]["chat"] == 2 and saved["holiday_country"] == "ES"
    assert saved["working_hours"] == [
        {"weekday": 0, "start": "09:00", "end": "18:00"},
        {"weekday": 1, "start": "12:00", "end": "18:00"},
    ]
    # Agents may not change routing: the page says so, in their language.
    agent = signed_in(browser, live_server, "maria")
    agent.goto(f"{live_server.url}/app/routing/agents")
    expect(agent.get_by_test_id("agents-forbidden")).to_be_visible()
    chinese = signed_in(browser, live_server, "li.wei")
    chinese.goto(f"{live_server.url}/app/routing/agents")
    expect(chinese.get_by_test_id("agents-forbidden")).to_have_text("只有管理员可以配置路由。")


def test_the_console_links_to_the_routing_pages_for_those_who_may_open_them(
    browser: Browser, live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    agent = signed_in(browser, live_server, "maria")
    expect(agent.locator("nav.topnav")).to_contain_text("Conversations")
    expect(agent.get_by_test_id("nav-wall")).to_have_count(0)
    expect(agent.get_by_test_id("nav-queues")).to_have_count(0)

    supervisor = signed_in(browser, live_server, "supervisor")
    expect(supervisor.get_by_test_id("nav-queues")).to_have_count(0)
    supervisor.get_by_test_id("nav-wall").click()
    supervisor.wait_for_url(re.compile(r"/app/routing/wall$"))
    expect(supervisor.get_by_test_id("wall-queues")).to_be_visible()

    admin = signed_in(browser, live_server, "admin")
    expect(admin.get_by_test_id("nav-wall")).to_be_visible()
    admin.screenshot(path=str(test_output_dir / "console-nav-routing.png"))
    admin.get_by_test_id("nav-queues").click()
    admin.wait_for_url(re.compile(r"/app/routing/queues$"))
