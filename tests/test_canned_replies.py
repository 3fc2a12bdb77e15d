"""Saved replies as a multilingual team uses them: one reply with a version
per language, filled in with the customer's and the agent's names and the
ticket number, in the customer's language when there is a version and in
the agent's own language (to translate) when there is not."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from conftest import DemoWorld
from dragoman.canned.placeholders import PLACEHOLDERS, fill_placeholders, pick_language, unknown_placeholders


def base(demo: DemoWorld) -> str:
    return f"/api/v1/accounts/{demo.account_id}"


DELAY = {
    "shortcut": "delay",
    "title": "Delivery delayed",
    "kind": "reassurance",
    "versions": {
        "en": "Hello {{contact.first_name|there}}, I am {{agent.first_name}} and I am on ticket #{{ticket.id}} now. Your parcel is on its way.",
        "es": "Hola {{contact.first_name|}}, soy {{agent.first_name}} y ya estoy con el ticket #{{ticket.id}}. Su paquete está en camino.",
        "ja": "{{contact.name|お客}}様、担当の{{agent.name}}です。チケット #{{ticket.id}} を確認しました。",
    },
}


def test_a_saved_reply_is_filled_in_the_customers_language(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    supervisor = as_user(demo.user("supervisor"))
    agent = as_user(demo.user("ana"))
    created = client.post(f"{base(demo)}/canned_replies", json=DELAY, headers=supervisor)
    assert created.status_code == 201, created.text
    reply_id = created.json()["id"]
    assert sorted(created.json()["versions"]) == ["en", "es", "ja"]
    # Agents find it by shortcut or by words in any version.
    assert [r["id"] for r in client.get(f"{base(demo)}/canned_replies?q=/del", headers=agent).json()] == [reply_id]
    assert [r["id"] for r in client.get(f"{base(demo)}/canned_replies?q=paquete", headers=agent).json()] == [reply_id]
    assert client.get(f"{base(demo)}/canned_replies?q=refund", headers=agent).json() == []

    inbox = demo.inbox_id
    ticket = client.post(
        f"{base(demo)}/tickets",
        json={"inbox_id": inbox, "email": "lucia@example.es", "name": "Lucía Fernández", "language": "es",
              "subject": "Pedido 4711", "description": "Mi pedido 4711 no ha llegado todavía."},
        headers=supervisor,
    ).json()
    filled = client.get(f"{base(demo)}/conversations/{ticket['conversation_id']}/canned_replies/{reply_id}", headers=supervisor)
    assert filled.status_code == 200, filled.text
    assert filled.json() == {
        "canned_reply_id": reply_id,
        "text": f"Hola Lucía, soy Sofia y ya estoy con el ticket #{ticket['id']}. Su paquete está en camino.",
        "language": "es",
        "customer_language": "es",
        "exact": True,
    }
    # A German customer: no German version, so the agent's own language, marked for translation.
    german = client.post(
        f"{base(demo)}/tickets",
        json={"inbox_id": inbox, "email": "kunde@example.de", "language": "de", "subject": "Paket", "description": "Wo ist mein Paket?"},
        headers=supervisor,
    ).json()
    filled = client.get(f"{base(demo)}/conversations/{german['conversation_id']}/canned_replies/{reply_id}", headers=supervisor).json()
    assert filled["language"] == "en" and filled["exact"] is False and filled["customer_language"] == "de"
    # No name given: the fallback reads naturally.
    assert filled["text"].startswith("Hello there, I am Sofia and I am on ticket #")


def test_saved_replies_refuse_bad_input_naming_the_field(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    supervisor = as_user(demo.user("supervisor"))
    agent = as_user(demo.user("ana"))
    assert client.post(f"{base(demo)}/canned_replies", json=DELAY, headers=agent).status_code == 403
    assert client.post(f"{base(demo)}/canned_replies", json=DELAY, headers=supervisor).status_code == 201
    for change, field in (
        ({"shortcut": "Delivery Delay!"}, "shortcut"),
        ({"shortcut": "delay"}, "shortcut"),  # taken: 409
        ({"kind": "joke"}, "kind"),
        ({"title": ""}, "title"),
        ({"versions": {}}, "versions"),
        ({"versions": {"english": "Hi"}}, "versions.english"),
        ({"versions": {"en": "Hi {{customer.name}}"}}, "versions.en"),
        ({"versions": {"de": "Hallo {{contact.name"}}, "versions.de"),
        ({"versions": {"en": "x" * 10_001}}, "versions.en"),
    ):
        body = {**DELAY, "shortcut": "other", **change}
        response = client.post(f"{base(demo)}/canned_replies", json=body, headers=supervisor)
        assert response.status_code in (409, 422), (change, response.text)
        assert response.json()["field"] == field, (change, response.json())
    assert "{{contact.name}}" in client.post(
        f"{base(demo)}/canned_replies", json={**DELAY, "shortcut": "x", "versions": {"en": "{{contact.nam}}"}}, headers=supervisor
    ).json()["message"]
    listed = client.get(f"{base(demo)}/canned_replies", headers=agent).json()
    assert not [r for r in listed if r["shortcut"] in ("other", "x")]  # nothing half-stored
    reply_id = next(r["id"] for r in listed if r["shortcut"] == "delay")
    replaced = client.put(f"{base(demo)}/canned_replies/{reply_id}", json={**DELAY, "versions": {"fr": "Bonjour {{contact.name|}} !"}}, headers=supervisor)
    assert replaced.status_code == 200 and replaced.json()["versions"] == {"fr": "Bonjour {{contact.name|}} !"}
    assert client.delete(f"{base(demo)}/canned_replies/{reply_id}", headers=supervisor).status_code == 204
    assert client.get(f"{base(demo)}/canned_replies/{reply_id}", headers=agent).status_code == 404


def test_the_customers_language_or_its_base_is_preferred_then_the_agents() -> None:
    assert pick_language(["en", "es", "pt-BR"], "pt", ["en"]) == ("pt-BR", True)
    assert pick_language(["en", "pt"], "pt-BR", ["en"]) == ("pt", True)
    assert pick_language(["en", "zh-Hans"], "de", ["zh-Hans", "en"]) == ("zh-Hans", False)
    assert pick_language(["fr"], "de", ["en"]) == ("fr", False)
    assert pick_language(["fr", "en"], None, ["en"]) == ("en", True)
    assert pick_language([], "de", ["en"]) == (None, False)


def test_placeholders_fill_with_values_or_fallbacks() -> None:
    values = {"contact.name": "Aiko Tanaka", "ticket.id": 42, "agent.name": ""}
    assert fill_placeholders("Dear {{ contact.name }}, ticket #{{ticket.id}}.", values) == "Dear Aiko Tanaka, ticket #42."
    assert fill_placeholders("Hi {{agent.name|team}}!", values) == "Hi team!"
    assert fill_placeholders("Hello {{contact.email}}, thanks.", values) == "Hello, thanks."
    assert unknown_placeholders("{{contact.name}} {{order.total}} {{order.total}}") == ["order.total"]


@given(st.text(alphabet=st.characters(blacklist_characters="{}"), max_size=200), st.sampled_from(PLACEHOLDERS), st.text(max_size=40))
def test_text_around_placeholders_is_kept_and_values_are_not_read_as_placeholders(text: str, name: str, value: str) -> None:
    filled = fill_placeholders(text + "{{" + name + "}}" + text, {name: value})
    # The text is kept exactly, and the value goes in as it is, even when it
    # looks like a placeholder itself.
    assert filled == text + value + text or (not value and filled.endswith(text))
    assert unknown_placeholders(text) == []


def test_a_macro_sends_its_reply_and_sets_the_ticket_pending_with_a_tag(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    supervisor = as_user(demo.user("supervisor"))
    teams = client.get(f"{base(demo)}/teams", headers=supervisor).json()
    sales = next(t for t in teams if t["name"] == "Sales")
    macro = client.post(
        f"{base(demo)}/canned_replies",
        json={
            "shortcut": "ask-photos",
            "title": "Ask for photos of the damage",
            "kind": "other",
            "versions": {"en": "Could you send us photos of the damaged parcel, {{contact.first_name|}}?"},
            "actions": {"ticket_status": "pending", "priority": "high", "add_tags": ["Damaged"], "team_id": sales["id"]},
        },
        headers=supervisor,
    )
    assert macro.status_code == 201, macro.text
    assert macro.json()["actions"] == {"ticket_status": "pending", "priority": "high", "add_tags": ["damaged"], "team_id": sales["id"]}
    for actions, field in (
        ({"ticket_status": "asleep"}, "actions.ticket_status"),
        ({"priority": "whenever"}, "actions.priority"),
        ({"team_id": 999_999}, "actions.team_id"),
    ):
        refused = client.post(f"{base(demo)}/canned_replies", json={**DELAY, "shortcut": "x", "actions": actions}, headers=supervisor)
        assert refused.status_code in (404, 422) and refused.json()["field"] == field, refused.text

    ticket = client.post(
        f"{base(demo)}/tickets",
        json={"inbox_id": demo.inbox_id, "email": "sam@example.com", "name": "Sam Doe", "subject": "Broken parcel", "description": "My parcel arrived broken."},
        headers=supervisor,
    ).json()
    url = f"{base(demo)}/conversations/{ticket['conversation_id']}/canned_replies/{macro.json()['id']}"
    assert client.get(url, headers=supervisor).json()["text"] == "Could you send us photos of the damaged parcel, Sam?"
    done = client.post(f"{url}/actions", headers=supervisor)
    assert done.status_code == 200, done.text
    after = client.get(f"{base(demo)}/tickets/{ticket['id']}", headers=supervisor).json()
    assert after["status"] == "pending" and after["priority"] == "high" and after["tags"] == ["damaged"] and after["team_id"] == sales["id"]
