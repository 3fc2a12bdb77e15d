"""The REST API as an integrator uses it: conversations, messages, contacts."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from conftest import DemoWorld


def _team_id(client: TestClient, demo: DemoWorld, headers: dict[str, str], name: str) -> int:
    teams = client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=headers).json()
    return next(t["id"] for t in teams if t["name"] == name)


def _new_chat(client: TestClient, demo: DemoWorld, text: str = "Hola, ¿dónde está mi pedido?") -> tuple[str, int]:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen", "language": "es"}).json()
    sent = client.post("/widget/api/messages", json={"content": text}, headers={"X-Visitor-Token": visitor["visitor_token"]})
    assert sent.status_code == 201, sent.text
    return visitor["visitor_token"], sent.json()["conversation_id"]


def test_customer_to_agent_to_customer_over_the_api(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    visitor_token, conversation_id = _new_chat(client, demo)
    maria = as_user(demo.user("maria"))
    base = f"/api/v1/accounts/{demo.account_id}/conversations"

    listing = client.get(base, headers=maria, params={"assignee": "unassigned"}).json()
    assert [c["id"] for c in listing["items"]] == [conversation_id]
    item = listing["items"][0]
    assert item["contact"]["name"] == "Carmen"
    assert item["language"] == "es"
    assert item["unanswered_count"] == 1
    assert item["last_message"]["content"] == "Hola, ¿dónde está mi pedido?"
    assert listing["counts"]["unassigned"] == 1 and listing["counts"]["mine"] == 0

    reply = client.post(f"{base}/{conversation_id}/messages", json={"content": "¡Hola Carmen! Lo miro ahora."}, headers=maria)
    assert reply.status_code == 201
    assert reply.json()["direction"] == "outgoing"
    assert reply.json()["sender"]["name"] == "María García"
    note = client.post(f"{base}/{conversation_id}/messages", json={"content": "VIP, be quick", "message_type": "note"}, headers=maria)
    assert note.json()["direction"] == "note"

    seen_by_customer = client.get("/widget/api/session", headers={"X-Visitor-Token": visitor_token}).json()
    assert [m["content"] for m in seen_by_customer["messages"]] == ["Hola, ¿dónde está mi pedido?", "¡Hola Carmen! Lo miro ahora."]
    assert seen_by_customer["messages"][1]["sender_name"] == "María García"

    timeline = client.get(f"{base}/{conversation_id}/messages", headers=maria).json()
    # Replying to an unassigned conversation made it María's: one activity line says so.
    assert [m["direction"] for m in timeline] == ["incoming", "activity", "outgoing", "note"]
    assert timeline[1]["attributes"]["activity"] == "assigned" and timeline[1]["attributes"]["assignee"] == "María García"
    after = client.get(f"{base}/{conversation_id}", headers=maria).json()
    assert after["unanswered_count"] == 0 and after["assignee"]["name"] == "María García"
    listing = client.get(base, headers=maria, params={"assignee": "mine"}).json()
    assert [c["id"] for c in listing["items"]] == [conversation_id] and listing["counts"]["unassigned"] == 0


def test_assign_resolve_reopen_leave_activity_lines(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    visitor_token, conversation_id = _new_chat(client, demo)
    maria_user = demo.user("maria")
    maria = as_user(maria_user)
    base = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"

    assigned = client.post(f"{base}/assignments", json={"assignee_id": maria_user.id}, headers=maria).json()
    assert assigned["assignee"] == {"id": maria_user.id, "name": "María García"}
    assert client.get(f"/api/v1/accounts/{demo.account_id}/conversations", params={"assignee": "mine"}, headers=maria).json()["counts"]["mine"] == 1

    resolved = client.post(f"{base}/toggle_status", json={"status": "resolved"}, headers=maria).json()
    assert resolved["status"] == "resolved"
    activities = [m for m in client.get(f"{base}/messages", headers=maria).json() if m["direction"] == "activity"]
    assert [a["attributes"]["activity"] for a in activities] == ["assigned", "status_resolved"]
    assert activities[0]["content"] == "María García assigned the conversation to María García"

    # Activity lines and notes never reach the customer.
    customer_view = client.get("/widget/api/session", headers={"X-Visitor-Token": visitor_token}).json()
    assert all(m["direction"] in ("incoming", "outgoing") for m in customer_view["messages"])

    reopened = client.post(f"{base}/toggle_status", json={"status": "open"}, headers=maria).json()
    assert reopened["status"] == "open"


def test_customer_writing_after_resolution_starts_a_new_conversation(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    visitor_token, first_id = _new_chat(client, demo)
    admin = as_user(demo.user("admin"))
    client.post(f"/api/v1/accounts/{demo.account_id}/conversations/{first_id}/toggle_status", json={"status": "resolved"}, headers=admin)
    again = client.post("/widget/api/messages", json={"content": "One more question"}, headers={"X-Visitor-Token": visitor_token})
    assert again.json()["conversation_id"] != first_id
    first = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{first_id}", headers=admin).json()
    assert first["status"] == "resolved"


def test_agent_sees_only_own_team_conversations(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    _token, conversation_id = _new_chat(client, demo)
    li, maria, supervisor = (as_user(demo.user(n)) for n in ("li.wei", "maria", "supervisor"))
    base = f"/api/v1/accounts/{demo.account_id}/conversations"
    # Unassigned in an inbox both teams work: both agents see it.
    assert client.get(f"{base}/{conversation_id}", headers=li).status_code == 200

    sales = _team_id(client, demo, maria, "Sales")
    client.post(f"{base}/{conversation_id}/assignments", json={"team_id": sales}, headers=maria)

    assert client.get(f"{base}/{conversation_id}", headers=li).status_code == 404
    assert client.get(f"{base}/{conversation_id}/messages", headers=li).status_code == 404
    assert client.post(f"{base}/{conversation_id}/messages", json={"content": "hi"}, headers=li).status_code == 404
    assert client.get(base, headers=li).json()["items"] == []
    assert [c["id"] for c in client.get(base, headers=maria).json()["items"]] == [conversation_id]
    assert [c["id"] for c in client.get(base, headers=supervisor).json()["items"]] == [conversation_id]
    assert client.get(base, params={"assignee": "my_teams"}, headers=maria).json()["counts"]["my_teams"] == 1


def test_search_and_status_filters(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    _t, carmen = _new_chat(client, demo)
    other = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Yuki", "email": "yuki@example.jp"}).json()
    yuki = client.post("/widget/api/messages", json={"content": "注文について"}, headers={"X-Visitor-Token": other["visitor_token"]}).json()["conversation_id"]
    admin = as_user(demo.user("admin"))
    base = f"/api/v1/accounts/{demo.account_id}/conversations"
    assert [c["id"] for c in client.get(base, params={"q": "yuki@"}, headers=admin).json()["items"]] == [yuki]
    assert [c["id"] for c in client.get(base, params={"q": "CARMEN"}, headers=admin).json()["items"]] == [carmen]
    client.post(f"{base}/{carmen}/toggle_status", json={"status": "pending"}, headers=admin)
    assert [c["id"] for c in client.get(base, params={"status": "pending"}, headers=admin).json()["items"]] == [carmen]
    assert {c["id"] for c in client.get(base, params={"status": "any"}, headers=admin).json()["items"]} == {carmen, yuki}
    assert client.get(base, params={"status": "closed"}, headers=admin).json()["field"] == "status"


def test_a_redelivered_message_is_stored_once(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    _t, conversation_id = _new_chat(client, demo)
    admin = as_user(demo.user("admin"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages"
    first = client.post(url, json={"content": "from the shop system", "message_type": "incoming", "source_id": "ext-42"}, headers=admin)
    second = client.post(url, json={"content": "from the shop system", "message_type": "incoming", "source_id": "ext-42"}, headers=admin)
    assert first.json()["id"] == second.json()["id"]
    contents = [m["content"] for m in client.get(url, headers=admin).json()]
    assert contents.count("from the shop system") == 1


def test_integrator_creates_contact_and_conversation(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    account = f"/api/v1/accounts/{demo.account_id}"
    contact = client.post(f"{account}/contacts", json={"name": "Hans", "email": "Hans@Example.de", "language": "de", "country": "de"}, headers=admin)
    assert contact.status_code == 201
    assert contact.json()["email"] == "hans@example.de" and contact.json()["country"] == "DE"
    created = client.post(
        f"{account}/conversations",
        json={"inbox_id": demo.inbox_id, "contact_id": contact.json()["id"], "content": "Wo ist meine Bestellung?"},
        headers=admin,
    )
    assert created.status_code == 201
    assert created.json()["language"] == "de"
    assert client.get(f"{account}/contacts", params={"q": "hans"}, headers=admin).json()[0]["name"] == "Hans"


def test_presence_and_ui_language_from_profile(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    sam = as_user(demo.user("sam"))
    changed = client.patch("/api/v1/profile", json={"availability": "online", "ui_locale": "zh_Hans"}, headers=sam)
    assert changed.status_code == 200
    assert changed.json()["availability"] == "online" and changed.json()["ui_locale"] == "zh_Hans"
    agents = client.get(f"/api/v1/accounts/{demo.account_id}/agents", headers=sam).json()
    assert next(a for a in agents if a["email"].startswith("sam@"))["availability"] == "online"
    bad = client.patch("/api/v1/profile", json={"availability": "sleeping"}, headers=sam)
    assert bad.status_code == 422 and bad.json()["field"] == "availability"
