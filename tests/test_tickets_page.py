"""The console's ticket list (/app/tickets): what the reader may see,
filtered by status and assignee, each ticket with its next SLA deadline."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, api_token, bearer
from dragoman.core.clock import utcnow
from dragoman.core.http import AppContext
from dragoman.tickets.pages import deadline_words, duration_words
from dragoman.tickets.runtime import SlaRuntime
from dragoman.tickets.schemas import SlaTimerOut, TicketContact, TicketOut
from dragoman.web.rendering import translations_for
from test_browser_console import browser, contexts, shoot, signed_in_page  # noqa: F401
from test_tickets_api import api_inbox, base, make_policy, open_ticket


def rows(html: str) -> list[str]:
    """The ticket numbers listed, in order."""
    return re.findall(r'data-ticket-id="(\d+)"', html)


def test_the_list_filters_by_status_and_assignee_and_shows_the_next_deadline(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    maria = demo.user("maria")
    make_policy(client, demo, admin, first_response_seconds=4 * 3600)
    inbox_id = api_inbox(client, demo, admin)
    late = open_ticket(client, demo, admin, inbox_id, subject="Parcel 4711 never came")
    hers = open_ticket(client, demo, admin, inbox_id, subject="Wrong size sent", email="ana@example.es", name="Ana")
    done = open_ticket(client, demo, admin, inbox_id, subject="Thanks, all good", email="li@example.cn", name="Li")
    assigned = client.post(f"{base(demo)}/conversations/{hers['conversation_id']}/assignments", json={"assignee_id": maria.id}, headers=admin)
    assert assigned.status_code == 200, assigned.text
    assert client.patch(f"{base(demo)}/tickets/{done['id']}", json={"status": "solved"}, headers=admin).status_code == 200

    page = client.get("/app/tickets", headers=admin)
    assert page.status_code == 200
    # Unsolved by default, newest first; the solved one is not in the way.
    assert rows(page.text) == [str(hers["id"]), str(late["id"])]
    assert "Parcel 4711 never came" in page.text and "María García" in page.text
    assert re.search(r"First response due in 3 h 5\d min", page.text)
    assert f'href="/app?conversation={late["conversation_id"]}"' in page.text

    assert rows(client.get("/app/tickets", params={"status": "solved"}, headers=admin).text) == [str(done["id"])]
    assert rows(client.get("/app/tickets", params={"status": "all"}, headers=admin).text) == [str(done["id"]), str(hers["id"]), str(late["id"])]
    mine = client.get("/app/tickets", params={"assignee": "mine"}, headers=as_user(maria))
    assert rows(mine.text) == [str(hers["id"])]
    assert rows(client.get("/app/tickets", params={"assignee": "unassigned"}, headers=admin).text) == [str(late["id"])]
    # Paging: older than the newest.
    assert rows(client.get("/app/tickets", params={"status": "all", "before_id": hers["id"]}, headers=admin).text) == [str(late["id"])]

    # The breach shows as overdue, as on the ticket card.
    sla: SlaRuntime = ctx.services["sla"]
    assert sla.wait_idle()
    sla.sweep_now(utcnow().replace(tzinfo=None) + timedelta(hours=5))
    assert "First response overdue by" in client.get("/app/tickets", headers=admin).text


def test_the_list_sorts_by_next_deadline_and_filters_by_priority(
    client: TestClient, demo: DemoWorld, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, first_response_seconds=4 * 3600)
    make_policy(client, demo, admin, name="Urgent", priority="urgent", first_response_seconds=15 * 60, resolution_seconds=4 * 3600)
    inbox_id = api_inbox(client, demo, admin)
    first = open_ticket(client, demo, admin, inbox_id, subject="Parcel 4711 never came")
    no_policy = open_ticket(client, demo, admin, inbox_id, subject="Catalogue request", priority="low", email="li@example.cn")
    second = open_ticket(client, demo, admin, inbox_id, subject="Wrong size sent", email="ana@example.es")
    urgent = open_ticket(client, demo, admin, inbox_id, subject="Card charged twice", priority="urgent", email="sam@example.com")
    ids = [str(t["id"]) for t in (urgent, first, second, no_policy)]

    # Next deadline first: the urgent one (15 min), the two normal ones in
    # the order they fall due, and the ticket with no deadline last.
    assert rows(client.get("/app/tickets", params={"order": "due"}, headers=admin).text) == ids
    listed = client.get(f"{base(demo)}/tickets", params={"status": "unsolved", "order": "due"}, headers=admin)
    assert [str(t["id"]) for t in listed.json()["items"]] == ids
    # Paged by position in that order.
    assert [str(t["id"]) for t in client.get(f"{base(demo)}/tickets", params={"order": "due", "offset": 1, "limit": 2}, headers=admin).json()["items"]] == ids[1:3]
    # The page's link to the next page keeps the order and the filters.
    monkeypatch.setattr("dragoman.tickets.pages.PAGE_SIZE", 3)
    page = client.get("/app/tickets", params={"order": "due"}, headers=admin).text
    assert rows(page) == ids[:3]
    link = re.search(r'data-testid="ticket-list-older" href="([^"]+)"', page)
    assert link is not None and "More tickets" in page
    assert rows(client.get(link.group(1).replace("&amp;", "&"), headers=admin).text) == ids[3:]
    newest = client.get("/app/tickets", headers=admin).text
    link = re.search(r'data-testid="ticket-list-older" href="([^"]+)"', newest)
    assert link is not None and "Older tickets" in newest
    assert rows(client.get(link.group(1).replace("&amp;", "&"), headers=admin).text) == [str(first["id"])]
    monkeypatch.undo()
    # Newest first stays the default.
    assert rows(client.get("/app/tickets", headers=admin).text) == [str(t["id"]) for t in (urgent, second, no_policy, first)]

    assert rows(client.get("/app/tickets", params={"priority": "urgent"}, headers=admin).text) == [str(urgent["id"])]
    assert rows(client.get("/app/tickets", params={"priority": "normal", "order": "due"}, headers=admin).text) == ids[1:3]
    assert [t["id"] for t in client.get(f"{base(demo)}/tickets", params={"priority": "low"}, headers=admin).json()["items"]] == [no_policy["id"]]
    for params, field in (({"order": "oldest"}, "order"), ({"priority": "critical"}, "priority"), ({"team_id": 99999}, "team_id")):
        refused = client.get(f"{base(demo)}/tickets", params=params, headers=admin)
        assert refused.status_code == 422 and field in refused.text, refused.text


def test_the_list_filters_by_team(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    teams = {t["name"]: t["id"] for t in client.get(f"{base(demo)}/teams", headers=admin).json()}
    inbox_id = api_inbox(client, demo, admin)
    sales = open_ticket(client, demo, admin, inbox_id, subject="Bulk order of 40 lamps")
    tech = open_ticket(client, demo, admin, inbox_id, subject="The app crashes at checkout", email="ana@example.es")
    for ticket, team in ((sales, "Sales"), (tech, "Tech support")):
        moved = client.post(f"{base(demo)}/conversations/{ticket['conversation_id']}/assignments", json={"team_id": teams[team]}, headers=admin)
        assert moved.status_code == 200, moved.text

    page = client.get("/app/tickets", params={"team_id": teams["Tech support"]}, headers=admin).text
    assert rows(page) == [str(tech["id"])]
    # The form keeps the chosen team, listed by name.
    assert re.search(rf'<option value="{teams["Tech support"]}" selected>Tech support</option>', page)
    listed = client.get(f"{base(demo)}/tickets", params={"team_id": teams["Sales"]}, headers=admin).json()["items"]
    assert [t["id"] for t in listed] == [sales["id"]]
    assert rows(client.get("/app/tickets", params={"team_id": "any"}, headers=admin).text) == [str(tech["id"]), str(sales["id"])]


def test_the_list_filters_by_tag(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    inbox_id = api_inbox(client, demo, admin)
    late = open_ticket(client, demo, admin, inbox_id, subject="Where is 4711?", tags=["late_delivery", "VIP"])
    similar = open_ticket(client, demo, admin, inbox_id, subject="Still waiting", email="ana@example.es", tags=["late-delivery", "vipx", "Verspätet"])
    open_ticket(client, demo, admin, inbox_id, subject="Refund", email="lea@example.fr", tags=["refund"])

    # The whole tag, as stored (lower case): "_" is no wildcard and "vip" is not "vipx".
    for tag, expected in (("late_delivery", [late]), ("vip", [late]), ("VIP", [late]), ("late-delivery", [similar]), ("verspätet", [similar]), ("vi", [])):
        listed = client.get(f"{base(demo)}/tickets", params={"tag": tag}, headers=admin).json()["items"]
        assert [t["id"] for t in listed] == [t["id"] for t in expected], tag
    page = client.get("/app/tickets", params={"tag": "vip"}, headers=admin).text
    assert rows(page) == [str(late["id"])]
    # The form keeps the tag; each listed tag links to its own list.
    assert 'name="tag" value="vip"' in page and 'href="/app/tickets?status=unsolved&amp;tag=late_delivery"' in page
    too_long = client.get(f"{base(demo)}/tickets", params={"tag": "x" * 51}, headers=admin)
    assert too_long.status_code == 422 and too_long.json()["field"] == "tag"


def test_a_bad_filter_is_named_and_nothing_changes(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    for params, field in (
        ({"status": "lost"}, "status"),
        ({"assignee": "bob"}, "assignee"),
        ({"before_id": "x"}, "before_id"),
        ({"priority": "critical"}, "priority"),
        ({"order": "oldest"}, "order"),
        ({"order": "due", "offset": "-1"}, "offset"),
        ({"team_id": "sales"}, "team_id"),
        ({"team_id": "99999"}, "team_id"),
        ({"tag": "x" * 51}, "tag"),
    ):
        page = client.get("/app/tickets", params=params, headers=admin)
        assert page.status_code == 422
        problem = re.search(r'data-testid="ticket-filter-problem">([^<]*)<', page.text)
        assert problem is not None and problem.group(1).startswith(f"{field}:")


def test_the_list_asks_a_stranger_to_sign_in(client: TestClient) -> None:
    page = client.get("/app/tickets", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def test_deadline_words_follow_the_console_card() -> None:
    now = datetime(2026, 3, 2, 9, 0)

    def ticket(due: str | None, *, warned: bool = False, breached: bool = False, state: str = "running") -> TicketOut:
        timer = SlaTimerOut(
            metric="resolution", state=state, target_seconds=3600, used_seconds=0, remaining_seconds=0,
            warn_at=None, due_at=due, warned=warned, breached=breached, started_at="2026-03-02T08:00:00Z", stopped_at=None,
        )
        return TicketOut(
            id=1, conversation_id=1, inbox_id=1, subject="s", status="open", priority="normal", type=None, tags=[], custom_fields={},
            source="api", language=None, assignee_id=None, team_id=None, contact=TicketContact(id=1, name=None, email=None),
            created_at="", updated_at="", solved_at=None, first_response_at=None, timers=[timer],
            next_deadline=timer if due else None,
        )

    same = str
    assert deadline_words(ticket("2026-03-02T11:05:00Z"), now, same) == ("Resolution due in 2 h 5 min (2026-03-02 11:05 UTC)", "ok")
    assert deadline_words(ticket("2026-03-02T09:10:00Z", warned=True), now, same)[1] == "warning"
    assert deadline_words(ticket("2026-03-02T08:58:30Z", breached=True), now, same) == (
        "Resolution overdue by 1 min (was due 2026-03-02 08:58 UTC)", "breached")
    assert deadline_words(ticket(None, state="paused"), now, same) == ("SLA clocks paused while waiting for the customer", "paused")
    assert deadline_words(ticket(None, state="met"), now, same) == ("No SLA deadline running", "none")
    assert duration_words(30, same) == "1 min" and duration_words(3 * 86400 + 3600, same) == "3 d 1 h"
    # In the reader's language, from the console's catalogue.
    chinese = translations_for("zh_Hans").gettext
    assert deadline_words(ticket("2026-03-02T11:05:00Z"), now, chinese)[0] != deadline_words(ticket("2026-03-02T11:05:00Z"), now, same)[0]


@pytest.mark.browser
def test_an_agent_sees_the_ticket_list_with_overdue_ones_in_red(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    for policy in (
        {"name": "Normal", "priority": "normal", "first_response_seconds": 4 * 3600, "resolution_seconds": 24 * 3600},
        {"name": "Urgent", "priority": "urgent", "first_response_seconds": 15 * 60, "resolution_seconds": 4 * 3600},
    ):
        assert httpx.post(f"{api}/sla_policies", json=policy, headers=admin).status_code == 201
    teams = httpx.get(f"{api}/teams", headers=admin).json()
    inbox = httpx.post(f"{api}/inboxes", json={"name": "Support e-mail", "channel_type": "api", "team_ids": [t["id"] for t in teams]}, headers=admin).json()
    opened = []
    for subject, name, language, priority in (
        ("Pedido 5120 llegó roto", "Lucía Romero", "es", "normal"),
        ("Rechnung fehlt für Bestellung 7781", "Jonas Weber", "de", "normal"),
        ("Card charged twice for order 9902", "Sam Taylor", "en", "urgent"),
    ):
        body = {"inbox_id": inbox["id"], "email": f"{name.split()[0].lower()}@example.com", "name": name, "subject": subject,
                "description": subject, "priority": priority, "language": language}
        created = httpx.post(f"{api}/tickets", json=body, headers=admin)
        assert created.status_code == 201, created.text
        opened.append(created.json())
    # Twenty minutes on, the urgent ticket's first response is overdue.
    sla: SlaRuntime = live_server.ctx.services["sla"]
    assert sla.wait_idle()
    sla.sweep_now(utcnow().replace(tzinfo=None) + timedelta(minutes=20))

    page = signed_in_page(contexts, browser, live_server, "admin")
    page.get_by_test_id("nav-tickets").click()
    expect(page).to_have_url(re.compile(r"/app/tickets$"))
    listed = page.get_by_test_id("ticket-row")
    expect(listed).to_have_count(3)
    urgent = page.locator(f'[data-ticket-id="{opened[2]["id"]}"]')
    expect(urgent.get_by_test_id("ticket-deadline")).to_have_attribute("data-state", "breached")
    expect(urgent.get_by_test_id("ticket-deadline")).to_contain_text("First response overdue by")
    shoot(page, test_output_dir, "ticket-list")
    # Next deadline first puts the overdue urgent ticket on top.
    page.get_by_test_id("filter-order").select_option("due")
    page.get_by_test_id("filter-apply").click()
    expect(page).to_have_url(re.compile(r"order=due"))
    expect(listed.first).to_have_attribute("data-ticket-id", str(opened[2]["id"]))
    expect(page.get_by_test_id("filter-order")).to_have_value("due")
    page.get_by_test_id("filter-priority").select_option("normal")
    page.get_by_test_id("filter-apply").click()
    expect(listed).to_have_count(2)
    shoot(page, test_output_dir, "ticket-list-by-deadline")
    page.get_by_test_id("filter-priority").select_option("any")
    # A filter is a plain form: nothing solved yet.
    page.get_by_test_id("filter-status").select_option("solved")
    page.get_by_test_id("filter-apply").click()
    expect(page.get_by_test_id("ticket-list-empty")).to_be_visible()
    # A ticket opens its conversation in the console.
    page.get_by_test_id("filter-status").select_option("unsolved")
    page.get_by_test_id("filter-apply").click()
    urgent.get_by_role("link").first.click()
    expect(page).to_have_url(re.compile(rf"/app\?conversation={opened[2]['conversation_id']}$"))
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_an_agent_changes_several_tickets_at_once_from_the_list(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    required = {"key": "order_number", "type": "text", "labels": {"en": "Order number"}, "required_to_solve": True}
    assert httpx.post(f"{api}/ticket_fields", json=required, headers=admin).status_code == 201
    teams = httpx.get(f"{api}/teams", headers=admin).json()
    inbox = httpx.post(f"{api}/inboxes", json={"name": "Support e-mail", "channel_type": "api", "team_ids": [t["id"] for t in teams]}, headers=admin).json()
    opened = []
    for subject, name, order in (("Pedido 5120 llegó roto", "Lucía Romero", "5120"), ("Rechnung fehlt", "Jonas Weber", None), ("Refund for 9902", "Sam Taylor", "9902")):
        body = {"inbox_id": inbox["id"], "email": f"{name.split()[0].lower()}@example.com", "name": name, "subject": subject, "description": subject}
        if order:
            body["custom_fields"] = {"order_number": order}
        created = httpx.post(f"{api}/tickets", json=body, headers=admin)
        assert created.status_code == 201, created.text
        opened.append(created.json())

    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/tickets")
    bulk = page.get_by_test_id("ticket-bulk")
    expect(bulk).to_be_hidden()
    # Tick every ticket on the page: the bar says how many.
    page.get_by_test_id("ticket-select-all").check()
    expect(page.get_by_test_id("ticket-bulk-count")).to_have_text("3 selected")
    bulk.locator("select[name=priority]").select_option("high")
    bulk.locator("input[name=tag]").fill("Wave-2")
    bulk.locator("select[name=assignee]").select_option("me")
    bulk.locator("select[name=status]").select_option("solved")
    shoot(page, test_output_dir, "ticket-list-bulk")
    page.get_by_test_id("ticket-bulk-apply").click()
    # The German ticket has no order number, so it cannot be solved: it is
    # named with the reason and left as it was; the other two changed.
    problem = page.get_by_test_id("ticket-bulk-status")
    expect(problem).to_contain_text("2 changed, 1 not:")
    expect(problem).to_contain_text(f"#{opened[1]['id']}: Order number must be filled in before the ticket is solved")
    shoot(page, test_output_dir, "ticket-list-bulk-failed")
    tickets = {t["id"]: t for t in httpx.get(f"{api}/tickets", headers=admin).json()["items"]}
    admin_id = demo.user("admin").id
    for done in (opened[0], opened[2]):
        after = tickets[done["id"]]
        assert (after["status"], after["priority"], after["tags"], after["assignee_id"]) == ("solved", "high", ["wave-2"], admin_id)
    left = tickets[opened[1]["id"]]
    assert (left["status"], left["priority"], left["tags"], left["assignee_id"]) == ("new", "normal", [], None)
    # Unsolved, the one left is listed; a change to it alone goes through and the list shows it.
    problem.get_by_role("link").click()
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)
    page.get_by_test_id("ticket-select").first.check()
    expect(page.get_by_test_id("ticket-bulk-count")).to_have_text("1 selected")
    page.get_by_test_id("ticket-bulk-apply").click()
    expect(problem).to_contain_text("Choose a status, a priority, an agent or a tag")
    bulk.locator("select[name=status]").select_option("pending")
    bulk.locator("input[name=tag]").fill("needs-order-number")
    page.get_by_test_id("ticket-bulk-apply").click()
    expect(page.get_by_test_id("ticket-row").first.locator(".tk-status")).to_have_text("Pending")
    expect(bulk).to_be_hidden()
    # Its tag is shown, and leads to every ticket with it.
    page.get_by_test_id("ticket-tags").get_by_role("link", name="needs-order-number").click()
    expect(page.get_by_test_id("filter-tag")).to_have_value("needs-order-number")
    expect(page.get_by_test_id("ticket-row")).to_have_count(1)
    # These filters, saved as a view, come back with one click.
    save = page.get_by_test_id("ticket-view-save")
    save.locator("input[name=name]").fill("Waiting for an order number")
    save.get_by_role("button").click()
    view = page.get_by_test_id("ticket-view")
    expect(view).to_have_text("Waiting for an order number")
    expect(view).to_have_attribute("aria-current", "page")
    shoot(page, test_output_dir, "ticket-list-by-tag")
    page.get_by_test_id("filter-tag").fill("")
    page.get_by_test_id("filter-apply").click()
    expect(view).not_to_have_attribute("aria-current", "page")
    view.click()
    expect(page.get_by_test_id("filter-tag")).to_have_value("needs-order-number")
    page.get_by_role("button", name="Delete the view Waiting for an order number").click()
    expect(view).to_have_count(0)
    assert page.script_errors == []  # type: ignore[attr-defined]


def test_an_agent_saves_the_filters_as_a_view_of_her_own(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    agent = as_user(demo.user("maria"))
    admin = as_user(demo.user("admin"))
    inbox_id = api_inbox(client, demo, admin)
    urgent = open_ticket(client, demo, admin, inbox_id, subject="Charged twice", priority="urgent", tags=["billing"])
    open_ticket(client, demo, admin, inbox_id, subject="Where is 4711?", email="ana@example.es")
    views = f"{base(demo)}/ticket_views"
    saved = client.post(views, json={"name": "Urgent billing", "filters": {"priority": "urgent", "tag": "billing", "order": "due"}}, headers=agent)
    assert saved.status_code == 201, saved.text
    view = saved.json()
    assert view["url"] == "/app/tickets?priority=urgent&tag=billing&order=due"
    # The view opens its list, marked as the one shown.
    page = client.get(view["url"], headers=agent).text
    assert rows(page) == [str(urgent["id"])]
    assert re.search(r'<a href="/app/tickets\?priority=urgent&amp;tag=billing&amp;order=due" data-testid="ticket-view" aria-current="page">Urgent billing</a>', page)
    # A view is its owner's alone.
    assert client.get(views, headers=admin).json() == []
    assert client.delete(f"{views}/{view['id']}", headers=admin).status_code == 404
    # Bad input names the field; nothing is stored.
    for body, field, code in (
        ({"name": "", "filters": {}}, "name", 422),
        ({"name": "Urgent billing", "filters": {}}, "name", 409),
        ({"name": "X", "filters": {"colour": "red"}}, "filters", 422),
        ({"name": "X", "filters": {"priority": "critical"}}, "filters.priority", 422),
        ({"name": "X", "filters": {"team_id": "99999"}}, "filters.team_id", 422),
        ({"name": "X", "filters": {"status": 3}}, "filters.status", 422),
    ):
        refused = client.post(views, json=body, headers=agent)
        assert refused.status_code == code and refused.json()["field"] == field, (body, refused.text)
    assert [v["name"] for v in client.get(views, headers=agent).json()] == ["Urgent billing"]
    assert client.delete(f"{views}/{view['id']}", headers=agent).status_code == 204
    assert client.get(views, headers=agent).json() == []


def test_an_admin_defines_the_ticket_fields_in_settings(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/admin/inboxes")
    page.get_by_test_id("nav-ticket-fields").click()
    expect(page.get_by_text("No fields yet.")).to_be_visible()
    dialog = page.locator("#form-dialog")

    page.get_by_test_id("add-button").click()
    page.locator("#f-key").fill("order_number")
    page.locator("#f-labels").fill("en: Order number\nde: Bestellnummer")
    expect(page.locator("#f-options")).to_be_hidden()  # choices only for a list
    dialog.locator("label.check", has_text="Needed before the ticket is solved").locator("input").check()
    page.get_by_test_id("dialog-submit").click()
    expect(page.get_by_test_id("ticket-field-row")).to_have_count(1)

    # A list without choices is refused by name; with them it is saved.
    page.get_by_test_id("add-button").click()
    page.locator("#f-key").fill("reason")
    page.locator("#f-type").select_option("select")
    page.locator("#f-labels").fill("Reason\nes: Motivo")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("#form-dialog-error")).to_contain_text("a select field needs its options")
    page.locator("#f-options").fill("damaged, late, wrong item")
    shoot(page, test_output_dir, "admin-ticket-field-form")
    page.get_by_test_id("dialog-submit").click()
    rows = page.get_by_test_id("ticket-field-row")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="reason")).to_contain_text("damaged, late, wrong item")
    shoot(page, test_output_dir, "admin-ticket-fields")

    # Edited: the label changes, the key stays.
    rows.filter(has_text="order_number").get_by_role("button", name="Edit").click()
    expect(page.locator("#f-key")).to_have_count(0)
    page.locator("#f-labels").fill("en: Order no.\nde: Bestellnummer")
    page.get_by_test_id("dialog-submit").click()
    expect(rows.filter(has_text="order_number")).to_contain_text("Order no.")
    stored = {f["key"]: f for f in httpx.get(f"{api}/ticket_fields", headers=admin).json()}
    assert stored["order_number"]["labels"] == {"en": "Order no.", "de": "Bestellnummer"} and stored["order_number"]["required_to_solve"] is True
    assert stored["reason"]["labels"] == {"en": "Reason", "es": "Motivo"} and stored["reason"]["options"] == ["damaged", "late", "wrong item"]
    assert stored["reason"]["position"] == 1

    page.once("dialog", lambda confirm: confirm.accept())
    rows.filter(has_text="reason").get_by_role("button", name="Delete").click()
    expect(rows).to_have_count(1)
    assert [f["key"] for f in httpx.get(f"{api}/ticket_fields", headers=admin).json()] == ["order_number"]
    assert page.script_errors == []  # type: ignore[attr-defined]
