"""Contacts follow conversation visibility: an agent reads and edits the
customers of the conversations they can see, and nobody else's (404, as for
a contact that does not exist); supervisors and admins see the whole
account. And a search term is matched as typed: `%` and `_` are not
wildcards."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from conftest import DemoWorld


def _chat_of(client: TestClient, demo: DemoWorld, name: str) -> tuple[int, int]:
    """A visitor who wrote in the demo chat: (contact id, conversation id)."""
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": name, "language": "en"}).json()
    sent = client.post("/widget/api/messages", json={"content": "hello"}, headers={"X-Visitor-Token": visitor["visitor_token"]}).json()
    return visitor["contact_id"], sent["conversation_id"]


def _team_id(client: TestClient, demo: DemoWorld, admin: dict[str, str], name: str) -> int:
    teams = client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=admin).json()
    return next(team["id"] for team in teams if team["name"] == name)


def test_an_agent_reads_and_edits_only_contacts_of_conversations_they_can_see(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    account = f"/api/v1/accounts/{demo.account_id}"
    admin, maria, li_wei, supervisor = (as_user(demo.user(who)) for who in ("admin", "maria", "li.wei", "supervisor"))
    contact_id, conversation_id = _chat_of(client, demo, "Kenji Tanaka")
    moved = client.post(
        f"{account}/conversations/{conversation_id}/assignments", json={"team_id": _team_id(client, demo, admin, "Tech support")}, headers=admin
    )
    assert moved.status_code == 200, moved.text
    # Maria (Sales) cannot see the conversation, so not its customer either.
    assert client.get(f"{account}/conversations/{conversation_id}", headers=maria).status_code == 404
    hidden = client.get(f"{account}/contacts/{contact_id}", headers=maria)
    missing = client.get(f"{account}/contacts/999999", headers=maria)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["field"] == missing.json()["field"] == "contact_id"
    assert "Kenji" not in hidden.text
    edit = client.patch(f"{account}/contacts/{contact_id}", json={"name": "Changed by Maria", "email": "x@evil.test"}, headers=maria)
    assert edit.status_code == 404
    assert all(c["id"] != contact_id for c in client.get(f"{account}/contacts", headers=maria).json())
    assert client.get(f"{account}/contacts", params={"q": "kenji"}, headers=maria).json() == []
    # Nor can she reach it by starting a conversation or a ticket with it
    # (their answers would show the contact's details).
    started = client.post(f"{account}/conversations", json={"contact_id": contact_id, "inbox_id": demo.inbox_id}, headers=maria)
    assert started.status_code == 404 and started.json()["field"] == "contact_id"
    ticket = client.post(
        f"{account}/tickets", json={"contact_id": contact_id, "inbox_id": demo.inbox_id, "subject": "Hi", "description": "Hello"}, headers=maria
    )
    assert ticket.status_code == 404 and ticket.json()["field"] == "contact_id"
    assert len(client.get(f"{account}/conversations", params={"status": "any"}, headers=admin).json()["items"]) == 1
    # Li Wei (Tech support) sees and edits it; the supervisor and admin see it.
    assert client.get(f"{account}/contacts/{contact_id}", headers=li_wei).json()["name"] == "Kenji Tanaka"
    assert client.patch(f"{account}/contacts/{contact_id}", json={"phone": "+81 3 1234 5678"}, headers=li_wei).status_code == 200
    assert [c["id"] for c in client.get(f"{account}/contacts", params={"q": "kenji"}, headers=li_wei).json()] == [contact_id]
    for headers in (supervisor, admin):
        seen = client.get(f"{account}/contacts/{contact_id}", headers=headers).json()
        assert (seen["name"], seen["phone"]) == ("Kenji Tanaka", "+81 3 1234 5678")


def test_a_contact_without_conversations_is_for_supervisors_and_admins(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    account = f"/api/v1/accounts/{demo.account_id}"
    admin, maria, supervisor = (as_user(demo.user(who)) for who in ("admin", "maria", "supervisor"))
    created = client.post(f"{account}/contacts", json={"name": "Quiet Customer", "email": "quiet@example.com"}, headers=admin).json()
    assert client.get(f"{account}/contacts/{created['id']}", headers=maria).status_code == 404
    assert client.get(f"{account}/contacts/{created['id']}", headers=supervisor).status_code == 200
    # Once a conversation Maria can see names the contact, she sees it too.
    inbox_id = demo.inbox_id
    started = client.post(f"{account}/conversations", json={"contact_id": created["id"], "inbox_id": inbox_id}, headers=admin)
    assert started.status_code == 201, started.text
    assert client.get(f"{account}/contacts/{created['id']}", headers=maria).json()["name"] == "Quiet Customer"


def test_percent_and_underscore_in_a_search_are_matched_as_typed(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    account = f"/api/v1/accounts/{demo.account_id}"
    admin = as_user(demo.user("admin"))
    _chat_of(client, demo, "100% Cotton Ltd")
    _chat_of(client, demo, "snake_case Inc")
    _chat_of(client, demo, "Plain Name")

    def contacts(q: str) -> list[str]:
        return sorted(c["name"] for c in client.get(f"{account}/contacts", params={"q": q}, headers=admin).json())

    def conversations(q: str) -> list[str]:
        found = client.get(f"{account}/conversations", params={"q": q, "status": "any"}, headers=admin).json()["items"]
        return sorted(c["contact"]["name"] for c in found)

    for search in (contacts, conversations):
        assert search("%") == ["100% Cotton Ltd"]
        assert search("_") == ["snake_case Inc"]
        assert search("0%_c") == []
        assert search("e_c") == ["snake_case Inc"]
        assert search("\\") == []
