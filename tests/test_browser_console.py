"""The console in a real Chromium against a live server: sign-in, live
updates, replies that reach the customer, notes that do not, who sees what,
the Chinese UI and the admin pages. Screenshots go to test_output_dir."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy import delete, select

# browser: the shared Chromium (conftest), imported from here by the other browser modules.
from conftest import DEMO_PASSWORD, DemoWorld, LiveServer, api_token, bearer, browser  # noqa: F401
from dragoman.accounts.models import AuthSession, Availability, Team, User

pytestmark = pytest.mark.browser

WAIT_MS = 10_000


@pytest.fixture
def contexts(browser: Browser) -> Iterator[list[BrowserContext]]:
    """Browser contexts opened by a test (one per person), closed after it."""
    opened: list[BrowserContext] = []
    yield opened
    for context in opened:
        context.close()


def new_page(contexts: list[BrowserContext], browser: Browser, *, locale: str = "en-US", width: int = 1280) -> Page:
    context = browser.new_context(viewport={"width": width, "height": 800}, locale=locale)
    context.set_default_timeout(WAIT_MS)
    contexts.append(context)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.script_errors = errors  # type: ignore[attr-defined]
    return page


def sign_in(page: Page, server: LiveServer, who: str, password: str = DEMO_PASSWORD) -> None:
    page.goto(f"{server.url}/login")
    page.get_by_test_id("login-email").fill(f"{who}@demo.dragoman.test")
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/app"))


def wait_until_live(page: Page) -> None:
    """Until the list is loaded and the socket is listening: events after this reach the page."""
    expect(page.get_by_test_id("filter-all")).to_have_attribute("aria-selected", "true")
    page.wait_for_function("() => !document.querySelector('[data-testid=filter-all] .count').textContent.includes('·')")
    expect(page.locator("body")).to_have_attribute("data-realtime", "live")


def signed_in_page(contexts: list[BrowserContext], browser: Browser, server: LiveServer, who: str, **options: object) -> Page:
    page = new_page(contexts, browser, **options)  # type: ignore[arg-type]
    sign_in(page, server, who)
    wait_until_live(page)
    return page


def shoot(page: Page, output: Path, name: str) -> None:
    page.screenshot(path=str(output / f"console-{name}.png"))


class Customer:
    """A web visitor talking through the widget's REST API, as the widget does."""

    def __init__(self, server: LiveServer, website_token: str, name: str, email: str, language: str = "en") -> None:
        self.http = httpx.Client(base_url=server.url, timeout=10)
        created = self.http.post(
            f"/widget/api/{website_token}/visitors", json={"name": name, "email": email, "language": language}
        )
        created.raise_for_status()
        self.http.headers["X-Visitor-Token"] = created.json()["visitor_token"]

    def write(self, content: str) -> dict:  # type: ignore[type-arg]
        response = self.http.post("/widget/api/messages", json={"content": content})
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]

    def session(self) -> dict:  # type: ignore[type-arg]
        response = self.http.get("/widget/api/session")
        response.raise_for_status()
        return response.json()  # type: ignore[no-any-return]


def conversation_item(page: Page, conversation_id: int):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="conv-item"][data-conversation-id="{conversation_id}"]')


# -- sign-in -----------------------------------------------------------------------


def test_sign_in_failure_shows_an_error_and_sets_no_session(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = new_page(contexts, browser)
    page.goto(f"{live_server.url}/login")
    expect(page.get_by_test_id("demo-credentials")).to_contain_text("li.wei@demo.dragoman.test")
    expect(page.get_by_test_id("demo-credentials")).to_contain_text(DEMO_PASSWORD)
    page.screenshot(path=str(test_output_dir / "console-login.png"), full_page=True)
    page.get_by_test_id("login-email").fill("li.wei@demo.dragoman.test")
    page.get_by_test_id("login-password").fill("wrong password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("login-error")).to_have_text("The e-mail address or the password is wrong.")
    assert "dragoman_session" not in {cookie["name"] for cookie in page.context.cookies()}
    page.screenshot(path=str(test_output_dir / "console-login-error.png"))
    # A click on a demo address fills the form.
    page.locator(".demo-email", has_text="maria@demo.dragoman.test").click()
    page.get_by_test_id("login-submit").click()
    page.wait_for_url(re.compile(r"/app$"))
    assert "dragoman_session" in {cookie["name"] for cookie in page.context.cookies()}
    expect(page.locator(".user-name")).to_have_text("María García")
    assert page.script_errors == []  # type: ignore[attr-defined]


# -- the live console ------------------------------------------------------------------


def test_customer_message_arrives_live_and_reply_reaches_the_customer_but_the_note_does_not(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    # Ana answers this Spanish customer in Spanish herself (translation: test_browser_translation.py).
    with live_server.ctx.session_factory() as db:
        db.get(User, demo.user("ana").id).working_language = "es"  # type: ignore[union-attr]
        db.commit()
    page = signed_in_page(contexts, browser, live_server, "ana")
    page.evaluate("window.__notReloaded = true")
    customer = Customer(live_server, demo.website_token, "Carmen López", "carmen@example.es", "es")
    first = customer.write("Hola, mi pedido no ha llegado.")
    conversation_id = first["conversation_id"]

    item = conversation_item(page, conversation_id)
    expect(item).to_contain_text("Carmen López")
    expect(item).to_contain_text("Hola, mi pedido no ha llegado.")
    expect(page.locator('[data-count="unassigned"]')).to_have_text("1")
    item.click()
    expect(page).to_have_url(re.compile(rf"conversation={conversation_id}$"))
    timeline = page.locator('[data-testid="msg"]')
    expect(timeline.filter(has_text="Hola, mi pedido")).to_have_attribute("data-direction", "incoming")
    expect(page.locator("#ctx-email-fact")).to_have_text("carmen@example.es")

    # A second message shows up in the open timeline without a reload.
    customer.write("Es el pedido 4411.")
    expect(timeline.filter(has_text="Es el pedido 4411.")).to_have_attribute("data-direction", "incoming")

    # Reply with Ctrl+Enter.
    page.get_by_test_id("reply-input").fill("¡Hola Carmen! Lo reviso ahora mismo.")
    page.get_by_test_id("reply-input").press("Control+Enter")
    expect(timeline.filter(has_text="Lo reviso ahora mismo")).to_have_attribute("data-direction", "outgoing")
    expect(page.get_by_test_id("reply-input")).to_have_value("")

    # A private note: marked as such, never sent to the customer.
    page.get_by_test_id("note-toggle").click()
    expect(page.get_by_test_id("note-toggle")).to_have_attribute("aria-pressed", "true")
    page.get_by_test_id("reply-input").fill("Carrier says the parcel is stuck in customs.")
    page.get_by_test_id("reply-send").click()
    note = timeline.filter(has_text="stuck in customs")
    expect(note).to_have_attribute("data-direction", "note")
    expect(note).to_contain_text("Private note")

    def customer_texts() -> list[str]:
        return [message["content"] for message in customer.session()["messages"]]

    texts = customer_texts()
    assert "¡Hola Carmen! Lo reviso ahora mismo." in texts
    assert not any("customs" in text for text in texts)
    assert texts == ["Hola, mi pedido no ha llegado.", "Es el pedido 4411.", "¡Hola Carmen! Lo reviso ahora mismo."]

    # Replying made it hers, as agents expect from other products (routing
    # will not hand it to someone else); then resolve: both show as quiet
    # activity lines in the agent's words.
    expect(page.locator(".msg-activity").filter(has_text="Ana Santos took the conversation")).to_have_count(1)
    expect(page.get_by_test_id("assign-me")).to_be_hidden()
    expect(page.get_by_test_id("assign-agent")).to_have_value(str(demo.user("ana").id))
    expect(page.locator('[data-count="mine"]')).to_have_text("1")
    shoot(page, test_output_dir, "english")
    page.get_by_test_id("resolve").click()
    expect(page.locator(".msg-activity").last).to_contain_text("Ana Santos resolved the conversation")
    expect(page.get_by_test_id("reopen")).to_be_visible()
    assert customer.session()["conversation_status"] == "resolved"
    # Resolved conversations leave the "open" list, and are under "resolved".
    expect(item).to_have_count(0)
    page.get_by_test_id("status-filter").select_option("resolved")
    expect(item).to_contain_text("Resolved")
    assert page.evaluate("window.__notReloaded") is True
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_assigning_to_a_team_from_the_console(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld
) -> None:
    supervisor = signed_in_page(contexts, browser, live_server, "supervisor")
    maria = signed_in_page(contexts, browser, live_server, "maria")
    customer = Customer(live_server, demo.website_token, "Hans Becker", "hans@example.de", "de")
    conversation_id = customer.write("Ich möchte ein Angebot für 200 Lizenzen.")["conversation_id"]
    conversation_item(supervisor, conversation_id).click()
    with live_server.ctx.session_factory() as db:
        sales_id = db.scalar(select(Team.id).where(Team.name == "Sales"))
    supervisor.get_by_test_id("assign-team").select_option(str(sales_id))
    expect(supervisor.locator(".msg-activity").last).to_contain_text("Sofia Supervisor assigned the conversation to the team Sales")
    # María (Sales) sees it move into "My teams" live.
    maria.get_by_test_id("filter-my_teams").click()
    expect(conversation_item(maria, conversation_id)).to_be_visible()
    expect(maria.locator('[data-count="my_teams"]')).to_have_text("1")
    supervisor.get_by_test_id("assign-agent").select_option(str(demo.user("maria").id))
    expect(supervisor.locator(".msg-activity").last).to_contain_text("assigned the conversation to María García (Sales)")
    expect(maria.locator('[data-count="mine"]')).to_have_text("1")


def test_after_a_lost_connection_the_console_catches_up(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld
) -> None:
    """Frames sent while the socket is down are not replayed: the page must
    reload the list and the open conversation when it reconnects."""
    page = new_page(contexts, browser)
    sockets: list[object] = []
    allow_reconnect = {"now": False}

    def relay(route) -> None:  # type: ignore[no-untyped-def]
        if sockets and not allow_reconnect["now"]:
            route.close()  # the server is "down": the page backs off and tries again
            return
        route.connect_to_server()
        sockets.append(route)

    page.route_web_socket(re.compile(r"/api/v1/realtime$"), relay)
    sign_in(page, live_server, "ana")
    wait_until_live(page)
    customer = Customer(live_server, demo.website_token, "Lena Vogel", "lena@example.de", "de")
    conversation_id = customer.write("Hallo, ist jemand da?")["conversation_id"]
    conversation_item(page, conversation_id).click()
    expect(page.locator('[data-testid="msg"]')).to_have_count(1)

    sockets[0].close()  # type: ignore[attr-defined]
    expect(page.locator("#connection-banner")).to_contain_text("Reconnecting")
    customer.write("Meine Bestellung ist beschädigt angekommen.")
    newcomer = Customer(live_server, demo.website_token, "Pierre Martin", "pierre@example.fr", "fr")
    other_id = newcomer.write("Bonjour !")["conversation_id"]
    allow_reconnect["now"] = True

    expect(page.locator('[data-testid="msg"]').filter(has_text="beschädigt")).to_be_visible(timeout=20_000)
    expect(conversation_item(page, other_id)).to_be_visible()
    expect(page.locator("#connection-banner")).to_be_hidden()
    assert len(sockets) == 2


def test_presence_selector_saves_the_agents_status_and_sign_out_ends_the_session(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = signed_in_page(contexts, browser, live_server, "sam")
    page.get_by_test_id("availability").select_option("online")
    expect(page.locator("#presence-dot")).to_have_attribute("data-availability", "online")
    expect(page.locator(".toast", has_text="Online")).to_be_visible()
    with live_server.ctx.session_factory() as db:
        assert db.get(User, demo.user("sam").id).availability is Availability.online  # type: ignore[union-attr]
    page.get_by_test_id("availability").select_option("break")
    expect(page.locator("#presence-dot")).to_have_attribute("data-availability", "break")
    expect(page.locator(".toast", has_text="On a break")).to_be_visible()
    page.locator(".topbar").screenshot(path=str(test_output_dir / "console-presence-break.png"))
    with live_server.ctx.session_factory() as db:
        assert db.get(User, demo.user("sam").id).availability is Availability.on_break  # type: ignore[union-attr]
    page.locator("#user-menu summary").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url(re.compile(r"/login$"))
    with live_server.ctx.session_factory() as db:
        assert db.scalar(select(AuthSession).where(AuthSession.user_id == demo.user("sam").id)) is None


def test_an_expired_session_sends_the_console_back_to_login(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld
) -> None:
    page = signed_in_page(contexts, browser, live_server, "sam")
    with live_server.ctx.session_factory() as db:
        db.execute(delete(AuthSession))
        db.commit()
    page.get_by_test_id("filter-mine").click()
    page.wait_for_url(re.compile(r"/login\?next="))
    expect(page.get_by_test_id("login-submit")).to_be_visible()


# -- who sees what -----------------------------------------------------------------------


def test_an_agent_never_sees_another_teams_conversation(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    admin_headers = bearer(api_token(live_server.ctx, demo.user("admin")))
    with live_server.ctx.session_factory() as db:
        sales_id = db.scalar(select(Team.id).where(Team.name == "Sales"))
    sales_chat = Customer(live_server, demo.website_token, "Secret Buyer", "buyer@example.com")
    sales_id_conversation = sales_chat.write("Quote for the confidential deal, please.")["conversation_id"]
    assigned = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{sales_id_conversation}/assignments",
        json={"team_id": sales_id},
        headers=admin_headers,
    )
    assert assigned.status_code == 200
    open_chat = Customer(live_server, demo.website_token, "Open Question", "open@example.com")
    open_conversation = open_chat.write("How do I reset my password?")["conversation_id"]

    li_wei = signed_in_page(contexts, browser, live_server, "li.wei")
    li_wei.get_by_test_id("filter-all").click()
    expect(conversation_item(li_wei, open_conversation)).to_be_visible()
    expect(conversation_item(li_wei, sales_id_conversation)).to_have_count(0)
    # Opening it by address shows nothing of it.
    li_wei.goto(f"{live_server.url}/app?conversation={sales_id_conversation}")
    expect(li_wei.locator("#placeholder-text")).to_have_text("该会话不存在，或你无权查看。")
    expect(li_wei.locator("body")).not_to_contain_text("confidential deal")
    expect(li_wei.locator("body")).not_to_contain_text("Secret Buyer")
    # Nor does the API, called with the console's own session.
    api = li_wei.request.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{sales_id_conversation}")
    assert api.status == 404

    maria = signed_in_page(contexts, browser, live_server, "maria")
    expect(conversation_item(maria, sales_id_conversation)).to_contain_text("Secret Buyer")
    # María works in Spanish: she reads the English message translated, the original one click away.
    assert live_server.ctx.services["translation_worker"].wait_idle(30)
    maria.goto(f"{live_server.url}/app?conversation={sales_id_conversation}")
    maria.locator('[data-testid="msg"]').first.get_by_test_id("translation-toggle").click()
    expect(maria.locator('[data-testid="msg"]').first).to_contain_text("confidential deal")

    supervisor = signed_in_page(contexts, browser, live_server, "supervisor")
    expect(conversation_item(supervisor, sales_id_conversation)).to_be_visible()
    expect(conversation_item(supervisor, open_conversation)).to_be_visible()
    expect(supervisor.locator('[data-count="all"]')).to_have_text("2")
    supervisor.get_by_test_id("search").fill("buyer@")
    expect(supervisor.get_by_test_id("conv-item")).to_have_count(1)
    expect(conversation_item(supervisor, sales_id_conversation)).to_be_visible()

    # When the conversation li.wei has open moves to Sales, it leaves her screen at once.
    li_wei.goto(f"{live_server.url}/app?conversation={open_conversation}")
    expect(li_wei.locator('[data-testid="msg"]').first).to_contain_text("reset my password")
    moved = httpx.post(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{open_conversation}/assignments",
        json={"team_id": sales_id},
        headers=admin_headers,
    )
    assert moved.status_code == 200
    expect(li_wei.locator("#placeholder-text")).to_contain_text("该会话已转给其他团队或同事")
    expect(conversation_item(li_wei, open_conversation)).to_have_count(0)
    expect(li_wei.locator("#timeline")).to_be_hidden()


def test_the_console_in_chinese_for_li_wei(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    customer = Customer(live_server, demo.website_token, "John Smith", "john@example.com")
    conversation_id = customer.write("Hi! My app crashes when I open it.")["conversation_id"]
    page = signed_in_page(contexts, browser, live_server, "li.wei", locale="en-US")
    assert page.locator("html").get_attribute("lang") == "zh-Hans"
    expect(page.get_by_test_id("filter-mine")).to_contain_text("我的")
    expect(page.get_by_test_id("filter-unassigned")).to_contain_text("未分配")
    conversation_item(page, conversation_id).click()
    expect(page.get_by_test_id("note-toggle")).to_contain_text("内部备注")
    expect(page.get_by_test_id("reply-send")).to_have_text("发送")
    page.get_by_test_id("assign-me").click()
    expect(page.locator(".msg-activity").last).to_contain_text("Li Wei 接手了会话")
    page.get_by_test_id("reply-input").fill("Sorry to hear that! Which phone do you use?")
    page.get_by_test_id("reply-send").click()
    page.get_by_test_id("note-toggle").click()
    page.get_by_test_id("reply-input").fill("可能和上周的版本有关。")
    page.get_by_test_id("reply-input").press("Control+Enter")
    expect(page.locator('[data-direction="note"]')).to_contain_text("内部备注")
    # The list and its counts follow live: now Li Wei's, answered.
    expect(conversation_item(page, conversation_id)).to_contain_text("Li Wei")
    expect(conversation_item(page, conversation_id).locator(".badge")).to_have_count(0)
    expect(page.get_by_test_id("filter-mine")).to_contain_text("1")
    expect(page.get_by_test_id("filter-unassigned")).to_contain_text("0")
    shoot(page, test_output_dir, "chinese")
    # The language switcher saves the choice and reloads in English.
    page.locator("#user-menu summary").click()
    page.locator('[data-ui-locale="en"]').click()
    expect(page.get_by_test_id("filter-mine")).to_contain_text("Mine")
    assert page.locator("html").get_attribute("lang") == "en"
    with live_server.ctx.session_factory() as db:
        assert db.get(User, demo.user("li.wei").id).ui_locale == "en"  # type: ignore[union-attr]


def test_the_console_is_usable_at_1024_pixels(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    customer = Customer(live_server, demo.website_token, "Aiko Tanaka", "aiko@example.jp", "ja")
    conversation_id = customer.write("返品の方法を教えてください。")["conversation_id"]
    page = signed_in_page(contexts, browser, live_server, "ana", width=1024)
    conversation_item(page, conversation_id).click()
    for testid in ("reply-input", "reply-send", "note-toggle", "resolve", "assign-agent", "assign-team", "availability"):
        expect(page.get_by_test_id(testid)).to_be_in_viewport()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    ten_minutes_ago = "import('/static/common.js').then((m) => m.relativeTime(new Date(Date.now() - 600000).toISOString()))"
    assert "10 min" in page.evaluate(ten_minutes_ago)
    shoot(page, test_output_dir, "1024")


# -- settings ---------------------------------------------------------------------------


def test_admin_pages_refuse_an_agent(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = signed_in_page(contexts, browser, live_server, "sam")
    response = page.goto(f"{live_server.url}/app/admin/agents")
    assert response is not None and response.status == 403
    expect(page.get_by_test_id("error-page")).to_contain_text("You do not have access to this page")
    page.screenshot(path=str(test_output_dir / "console-admin-403.png"))
    # Everyone has their own API tokens page.
    page.goto(f"{live_server.url}/app/settings/api-tokens")
    expect(page.get_by_test_id("nav-agents")).to_have_count(0)
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("My script")
    page.get_by_test_id("dialog-submit").click()
    token = page.get_by_test_id("new-token").text_content() or ""
    assert token.startswith("dgm_")
    profile = httpx.get(f"{live_server.url}/api/v1/profile", headers=bearer(token))
    assert profile.json()["email"] == "sam@demo.dragoman.test"
    expect(page.get_by_test_id("token-row")).to_have_count(1)
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_test_id("token-row").get_by_role("button").click()
    expect(page.get_by_test_id("token-row")).to_have_count(0)
    assert httpx.get(f"{live_server.url}/api/v1/profile", headers=bearer(token)).status_code == 401


def test_an_admin_creates_an_agent_and_a_team_through_the_pages(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/admin/agents")
    expect(page.get_by_test_id("agent-row")).to_have_count(6)
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("Nguyen Thi Lan")
    page.locator("#f-email").fill("lan@demo.dragoman.test")
    page.locator("#f-password").fill("short")
    page.locator("#f-role").select_option("supervisor")
    page.locator("#f-working_language").fill("vi")
    page.locator('input[name="team_ids"]').first.check()
    row = page.locator(".language-row").first
    row.locator('[data-role="language"]').fill("vi")
    row.locator('[data-role="writing"]').select_option("4")
    page.get_by_role("button", name="+ Add language").click()
    second = page.locator(".language-row").nth(1)
    second.locator('[data-role="language"]').fill("en")
    second.locator('[data-role="speaking"]').select_option("4")
    page.screenshot(path=str(test_output_dir / "console-admin-agent-dialog.png"))
    page.get_by_test_id("dialog-submit").click()
    # Too short a password: the server says which field, the dialog keeps what was typed.
    expect(page.locator("#form-dialog-error")).to_contain_text("password")
    expect(page.locator("#f-password")).to_have_attribute("aria-invalid", "true")
    page.locator("#f-password").fill("a-long-enough-password")
    page.get_by_test_id("dialog-submit").click()
    new_row = page.get_by_test_id("agent-row").filter(has_text="Nguyen Thi Lan")
    expect(new_row).to_contain_text("Supervisor")
    expect(new_row).to_contain_text("Vietnamese (vi) 5/4/5")
    expect(new_row).to_contain_text("English (en) 3/3/4")
    page.screenshot(path=str(test_output_dir / "console-admin-agents.png"), full_page=True)
    agents = httpx.get(
        f"{live_server.url}/api/v1/accounts/{demo.account_id}/agents", headers=bearer(api_token(live_server.ctx, demo.user("admin")))
    ).json()
    lan = next(agent for agent in agents if agent["email"] == "lan@demo.dragoman.test")
    assert lan["role"] == "supervisor"
    assert lan["working_language"] == "vi"
    assert {(s["language"], s["writing"], s["speaking"]) for s in lan["languages"]} == {("vi", 4, 5), ("en", 3, 4)}
    assert len(lan["team_ids"]) == 1

    # Editing: Sam becomes a supervisor.
    sam_row = page.get_by_test_id("agent-row").filter(has_text="Sam Taylor")
    sam_row.get_by_role("button", name="Edit").click()
    expect(page.locator("#f-email")).to_have_count(0)  # the e-mail is the login; it is not edited here
    page.locator("#f-role").select_option("supervisor")
    page.get_by_test_id("dialog-submit").click()
    expect(sam_row).to_contain_text("Supervisor")
    with live_server.ctx.session_factory() as db:
        assert db.get(User, demo.user("sam").id).role.value == "supervisor"  # type: ignore[union-attr]

    # Deactivating asks first, then the row says so.
    page.once("dialog", lambda dialog: dialog.accept())
    new_row.get_by_role("button", name="Deactivate").click()
    expect(new_row).to_contain_text("Deactivated")

    page.get_by_test_id("nav-teams").click()
    expect(page.get_by_test_id("team-row")).to_have_count(2)
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("Japan desk")
    page.locator("#f-vendor_id").select_option("__new__")
    page.locator("#f-new_vendor").fill("Osaka Outsourcing KK")
    page.locator("label.check", has_text="Sam Taylor").locator("input").check()
    page.locator("label.check", has_text="Ana Santos").locator("input").check()
    page.get_by_test_id("dialog-submit").click()
    team_row = page.get_by_test_id("team-row").filter(has_text="Japan desk")
    expect(team_row).to_contain_text("Osaka Outsourcing KK")
    expect(team_row).to_contain_text("Sam Taylor")
    expect(team_row).to_contain_text("Ana Santos")
    page.screenshot(path=str(test_output_dir / "console-admin-teams.png"), full_page=True)
    with live_server.ctx.session_factory() as db:
        team = db.scalar(select(Team).where(Team.name == "Japan desk"))
        assert team is not None and team.vendor_id is not None

    page.get_by_test_id("nav-inboxes").click()
    snippet = page.get_by_test_id("widget-snippet")
    expect(snippet).to_contain_text(f'data-website-token="{demo.website_token}"')
    expect(snippet).to_contain_text("/widget.js")
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("Japan website")
    page.locator("label.check", has_text="Japan desk").locator("input").check()
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("inbox-card")).to_have_count(2)
    expect(page.get_by_test_id("inbox-card").filter(has_text="Japan website")).to_contain_text("Japan desk")
    page.screenshot(path=str(test_output_dir / "console-admin-inboxes.png"), full_page=True)
    admin_headers = bearer(api_token(live_server.ctx, demo.user("admin")))
    inboxes_url = f"{live_server.url}/api/v1/accounts/{demo.account_id}/inboxes"
    japan = next(i for i in httpx.get(inboxes_url, headers=admin_headers).json() if i["name"] == "Japan website")
    assert japan["settings"]["greeting"] == "Hi! How can we help you today?"  # the widget translates this one
    # A greeting per language (set through the API) survives an edit in the page.
    per_language = {"en": "Welcome!", "ja": "ようこそ！"}
    httpx.patch(f"{inboxes_url}/{japan['id']}", json={"settings": {"greeting": per_language}}, headers=admin_headers)
    page.reload()
    japan_card = page.get_by_test_id("inbox-card").filter(has_text="Japan website")
    expect(japan_card).to_contain_text("ja: ようこそ！")
    japan_card.get_by_role("button", name="Edit").click()
    page.locator("label.check", has_text="Sales").locator("input").check()
    # The FAQ bot is turned on here, with its own hand-off threshold; a bad one is refused by name.
    page.locator("label.check", has_text="The FAQ bot answers first").locator("input").check()
    # Files from customers: off for a new inbox, turned on here.
    files_switch = page.locator("label.check", has_text="Customers may send files in the chat").locator("input")
    expect(files_switch).not_to_be_checked()
    files_switch.check()
    page.locator("#f-bot_threshold").fill("1.5")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("#form-dialog-error")).to_contain_text("settings.bot_threshold must be a number from 0 to 1")
    page.locator("#f-bot_threshold").fill("0.558")
    # The words-only scoring has its own scale, so its own field.
    page.locator("#f-bot_words_threshold").fill("0.3")
    page.get_by_test_id("dialog-submit").click()
    expect(japan_card).to_contain_text("Sales")
    saved = httpx.get(f"{inboxes_url}/{japan['id']}", headers=admin_headers).json()
    assert saved["settings"]["greeting"] == per_language
    assert saved["settings"]["bot"] is True and saved["settings"]["bot_threshold"] == 0.558 and saved["settings"]["csat"] is False
    assert saved["settings"]["bot_words_threshold"] == 0.3
    assert saved["settings"]["customer_files"] is True
    # Opened again, the form shows what is set.
    japan_card.get_by_role("button", name="Edit").click()
    expect(page.locator("label.check", has_text="The FAQ bot answers first").locator("input")).to_be_checked()
    expect(page.locator("#f-bot_threshold")).to_have_value("0.558")
    page.screenshot(path=str(test_output_dir / "console-admin-inbox-bot.png"))
    page.locator("#form-dialog-cancel").click()

    page.get_by_test_id("nav-api-tokens").click()
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("CRM sync")
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("new-token")).to_contain_text("dgm_")
    page.screenshot(path=str(test_output_dir / "console-admin-api-tokens.png"), full_page=True)
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_an_admin_manages_webhooks_and_reads_the_delivery_log(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/admin/webhooks")
    page.get_by_test_id("add-button").click()
    # This server itself is no receiver: the admin is told why.
    page.locator("#f-url").fill("http://127.0.0.1:9/dragoman")
    page.locator('input[name="events"][value="conversation_assigned"]').uncheck()
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("#form-dialog-error")).to_contain_text("127.0.0.1 is loopback (this machine); only public addresses")
    # A name that never resolves (.invalid): every attempt fails, which fills the log.
    page.locator("#f-url").fill("https://hooks.dragoman.invalid/dragoman")
    page.get_by_test_id("dialog-submit").click()
    card = page.get_by_test_id("webhook-card")
    expect(card).to_have_count(1)
    secret = page.get_by_test_id("webhook-secret").text_content() or ""
    assert len(secret) >= 16
    admin_headers = bearer(api_token(live_server.ctx, demo.user("admin")))
    hooks = httpx.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/webhooks", headers=admin_headers).json()
    assert hooks[0]["secret"] == secret
    assert sorted(hooks[0]["events"]) == ["conversation_created", "conversation_status_changed", "message_created"]

    Customer(live_server, demo.website_token, "Webhook Witness", "w@example.com").write("Anyone there?")
    card.get_by_test_id("webhook-deliveries").click()
    rows = card.get_by_test_id("delivery-row")
    expect(rows.first).to_be_visible()
    expect(card).to_contain_text("message_created")
    expect(rows.filter(has_text="message_created").get_by_test_id("delivery-retry")).to_be_visible()
    page.screenshot(path=str(test_output_dir / "console-admin-webhooks.png"), full_page=True)
    # The worker keeps retrying on its own (fast back-off in tests); a click
    # that lands during one of its attempts is told to wait, as a person would be.
    tried = page.locator(".toast", has_text="tried again")
    told_to_wait = page.locator(".toast", has_text="being sent right now")
    for _ in range(10):
        rows.filter(has_text="message_created").get_by_test_id("delivery-retry").click()
        expect(tried.or_(told_to_wait).first).to_be_visible()
        if tried.count():
            break
        page.wait_for_timeout(500)
    # Two clicks may both have been queued (the second after the worker's
    # attempt ended): one toast each, both saying so.
    expect(tried.first).to_be_visible()

    page.once("dialog", lambda dialog: dialog.accept())
    card.get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("webhook-card")).to_have_count(0)
    assert httpx.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/webhooks", headers=admin_headers).json() == []


def test_automatic_replies_and_the_bots_answer_and_hand_off_are_shown_as_such_in_the_readers_language(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    from dragoman.conversations import services as conversations
    from dragoman.conversations.models import Conversation

    customer = Customer(live_server, demo.website_token, "Carmen Ruiz", "carmen@example.com", language="es")
    conversation_id = customer.write("¿Cuánto cuesta el envío a Canarias?")["conversation_id"]
    # What the FAQ bot worker stores when it answers and then hands over.
    with live_server.ctx.session_factory() as db:
        conversation = db.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.bot_active = True  # the demo fixture keeps the bot off; here it answered
        conversations.send_bot_reply(
            db, conversation, "Ahora mismo estamos cerrados.", {"auto_reply": {"kind": "closed", "opens_at": None}}
        )
        conversations.send_bot_reply(db, conversation, "El envío cuesta 4,99 €.", {"bot": {"kind": "answer"}})
        conversations.end_bot_handling(
            db, conversation, "The customer asked for a person; the bot handed the conversation over",
            {"activity": "bot_handoff", "reason": "asked_for_person"},
        )
        db.commit()

    page = signed_in_page(contexts, browser, live_server, "supervisor")
    item = conversation_item(page, conversation_id)
    expect(item).to_contain_text("FAQ bot: El envío cuesta 4,99 €.")
    item.click()
    bot_message = page.locator('[data-direction="outgoing"]').last
    expect(bot_message).to_contain_text("FAQ bot")
    expect(bot_message).not_to_contain_text("Someone")
    expect(page.locator('[data-direction="outgoing"]').first).to_contain_text("Automatic reply")
    expect(page.locator(".msg-activity").last).to_contain_text("The customer asked for a person")
    shoot(page, test_output_dir, "bot-exchange")

    chinese = signed_in_page(contexts, browser, live_server, "li.wei")
    conversation_item(chinese, conversation_id).click()
    expect(chinese.locator('[data-direction="outgoing"]').last).to_contain_text("常见问题机器人")
    expect(chinese.locator(".msg-activity").last).to_contain_text("客户要求人工服务")
    expect(chinese.locator('[data-direction="outgoing"]').first).to_contain_text("自动回复")
    shoot(chinese, test_output_dir, "bot-exchange-chinese")


def test_the_contact_panel_shows_the_detected_language_of_a_customer_who_chose_none(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld
) -> None:
    customer = Customer(live_server, demo.website_token, "Pablo", "pablo@example.es", language=None)  # type: ignore[arg-type]
    first = customer.write("Hola, quisiera cambiar la dirección de entrega de mi pedido, por favor.")
    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, first["conversation_id"]).click()
    expect(page.locator("#ctx-conv-language")).to_have_text("Spanish (es)")
    expect(page.locator("#ctx-language")).to_have_text("Spanish (es)")


def test_the_satisfaction_survey_is_signed_as_such_in_the_timeline(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld
) -> None:
    from test_csat import enable_surveys

    enable_surveys(live_server.ctx, demo.inbox_id)
    customer = Customer(live_server, demo.website_token, "Carmen", "carmen@example.es", "es")
    first = customer.write("Hola, ¿dónde está mi pedido 4711?")
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    url = f"{live_server.url}/api/v1/accounts/{demo.account_id}/conversations/{first['conversation_id']}"
    assert httpx.post(f"{url}/messages", json={"content": "Ya ha salido, llega mañana."}, headers=admin).status_code == 201
    assert httpx.post(f"{url}/toggle_status", json={"status": "resolved"}, headers=admin).status_code == 200
    live_server.ctx.services["jobs"].wait_idle()
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.get_by_test_id("status-filter").select_option("resolved")
    conversation_item(page, first["conversation_id"]).click()
    survey = page.locator('[data-testid="msg"][data-direction="outgoing"]').last
    expect(survey.locator(".msg-author")).to_have_text("Satisfaction survey")


@pytest.mark.parametrize("who", ["maria", "li.wei"])
def test_on_a_phone_the_console_shows_the_list_or_the_conversation(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path, who: str
) -> None:
    customer = Customer(live_server, demo.website_token, "Lucía Fernández", "lucia@example.es", "es")
    first = customer.write("Hola, ¿dónde está mi pedido DR-48213?")
    page = signed_in_page(contexts, browser, live_server, who, width=390)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    expect(page.locator("#conv-list")).to_be_visible()
    shoot(page, test_output_dir, f"phone-list-{who}")
    conversation_item(page, first["conversation_id"]).click()
    expect(page.locator("#conv-name")).to_have_text("Lucía Fernández")
    expect(page.locator("#conv-list")).to_be_hidden()
    expect(page.get_by_test_id("reply-input")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, test_output_dir, f"phone-conversation-{who}")
    page.get_by_test_id("back-to-list").click()
    expect(page.locator("#conv-list")).to_be_visible()
    expect(page).to_have_url(f"{live_server.url}/app")
