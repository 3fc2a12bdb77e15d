"""Tickets and SLA clocks through the API, as a support team uses them: a
policy per priority in business hours, tickets from the API and from a chat,
replies that meet promises, pending that pauses, and warnings and breaches
fired by the SLA thread from stored deadlines."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import DemoWorld, wait_until
from dragoman.conversations.models import Conversation
from dragoman.core.http import AppContext
from dragoman.tickets.events import TicketUpdated
from dragoman.tickets.models import SlaTimer, Ticket
from dragoman.tickets.runtime import SlaRuntime

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS_9_TO_18 = [{"weekday": day, "start": "09:00", "end": "18:00"} for day in range(5)]


def base(demo: DemoWorld) -> str:
    return f"/api/v1/accounts/{demo.account_id}"


def make_policy(client: TestClient, demo: DemoWorld, admin: dict[str, str], **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"name": "Normal", "priority": "normal", "first_response_seconds": 4 * 3600, "resolution_seconds": 24 * 3600}
    body.update(fields)
    response = client.post(f"{base(demo)}/sla_policies", json=body, headers=admin)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def api_inbox(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> int:
    teams = client.get(f"{base(demo)}/teams", headers=admin).json()
    response = client.post(
        f"{base(demo)}/inboxes",
        json={"name": "Support e-mail", "channel_type": "api", "team_ids": [t["id"] for t in teams]},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return int(response.json()["id"])


def open_ticket(client: TestClient, demo: DemoWorld, headers: dict[str, str], inbox_id: int, **fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "inbox_id": inbox_id,
        "email": "kunde@example.de",
        "name": "Jonas Weber",
        "subject": "Bestellung 4711 nicht angekommen",
        "description": "Meine Bestellung 4711 ist seit zwei Wochen unterwegs.",
    }
    body.update(fields)
    response = client.post(f"{base(demo)}/tickets", json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def ticket(client: TestClient, demo: DemoWorld, headers: dict[str, str], ticket_id: int) -> dict[str, Any]:
    response = client.get(f"{base(demo)}/tickets/{ticket_id}", headers=headers)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def timer(body: dict[str, Any], metric: str) -> dict[str, Any]:
    return next(t for t in body["timers"] if t["metric"] == metric)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)


@contextmanager
def sla_thread_copy(ctx: AppContext, created: dict[str, Any]) -> Iterator[tuple[Session, Ticket, Conversation]]:
    """A session of the SLA thread's own, with its copy of the ticket and its conversation."""
    with ctx.session_factory() as thread_db:
        ticket = thread_db.get(Ticket, created["id"])
        conversation = thread_db.get(Conversation, created["conversation_id"])
        assert ticket is not None and conversation is not None
        yield thread_db, ticket, conversation


def sla(ctx: AppContext) -> SlaRuntime:
    return ctx.services["sla"]  # type: ignore[no-any-return]


def test_a_ticket_is_due_within_business_hours_and_the_console_gets_its_next_deadline(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, timezone="Europe/Berlin", hours=WEEKDAYS_9_TO_18, holiday_country="DE")
    inbox_id = api_inbox(client, demo, admin)
    created = open_ticket(client, demo, admin, inbox_id)
    assert created["status"] == "new" and created["priority"] == "normal" and created["source"] == "api"
    assert created["contact"]["email"] == "kunde@example.de"
    first = timer(created, "first_response")
    assert first["state"] == "running" and first["target_seconds"] == 4 * 3600
    due = at(first["due_at"]).astimezone(BERLIN)
    # Four open hours later, counted only on weekdays from 09:00 to 18:00.
    assert due.weekday() < 5 and (9, 0) <= (due.hour, due.minute) <= (18, 0)
    assert at(first["due_at"]) - at(created["created_at"]) >= timedelta(hours=4)
    assert created["next_deadline"]["metric"] == "first_response"  # due before the resolution
    # The customer's request is the conversation's first message.
    messages = client.get(f"{base(demo)}/conversations/{created['conversation_id']}/messages", headers=admin).json()
    assert messages[0]["content"].startswith("Meine Bestellung 4711")
    listed = client.get(f"{base(demo)}/tickets", params={"status": "unsolved"}, headers=admin).json()["items"]
    assert [t["id"] for t in listed] == [created["id"]]


def test_replies_meet_promises_and_a_customer_message_owes_a_next_response(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, next_response_seconds=3600)
    inbox_id = api_inbox(client, demo, admin)
    created = open_ticket(client, demo, admin, inbox_id)
    conversation = f"{base(demo)}/conversations/{created['conversation_id']}/messages"
    reply = client.post(conversation, json={"content": "Wir prüfen das sofort.", "message_type": "outgoing"}, headers=admin)
    assert reply.status_code == 201, reply.text
    assert wait_until(lambda: timer(ticket(client, demo, admin, created["id"]), "first_response")["state"] == "met")
    answered = ticket(client, demo, admin, created["id"])
    assert answered["status"] == "open" and answered["first_response_at"] is not None
    assert not timer(answered, "first_response")["breached"]
    # A note is not a reply: it meets nothing. The customer writing again owes a next response.
    client.post(conversation, json={"content": "Danke! Wann kommt es?", "message_type": "incoming"}, headers=admin)
    assert wait_until(lambda: any(t["metric"] == "next_response" and t["state"] == "running" for t in ticket(client, demo, admin, created["id"])["timers"]))
    client.post(conversation, json={"content": "Morgen.", "message_type": "outgoing"}, headers=admin)
    assert wait_until(lambda: timer(ticket(client, demo, admin, created["id"]), "next_response")["state"] == "met")
    assert sla(ctx).wait_idle()
    kinds = [(e["metric"], e["kind"]) for e in client.get(f"{base(demo)}/tickets/{created['id']}/sla_events", headers=admin).json()]
    assert ("first_response", "met") in kinds and ("next_response", "started") in kinds and ("next_response", "met") in kinds


def test_pending_pauses_the_clocks_and_the_customers_answer_resumes_them(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin)
    created = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    paused = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "pending"}, headers=admin)
    assert paused.status_code == 200, paused.text
    body = paused.json()
    assert body["status"] == "pending" and body["next_deadline"] is None
    assert {t["state"] for t in body["timers"]} == {"paused"} and all(t["due_at"] is None for t in body["timers"])
    conversation = client.get(f"{base(demo)}/conversations/{created['conversation_id']}", headers=admin).json()
    assert conversation["status"] == "pending"
    client.post(
        f"{base(demo)}/conversations/{created['conversation_id']}/messages",
        json={"content": "Hier ist die Sendungsnummer.", "message_type": "incoming"},
        headers=admin,
    )
    assert wait_until(lambda: ticket(client, demo, admin, created["id"])["status"] == "open")
    resumed = ticket(client, demo, admin, created["id"])
    assert timer(resumed, "resolution")["state"] == "running" and timer(resumed, "resolution")["due_at"] is not None
    solved = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "solved"}, headers=admin).json()
    assert timer(solved, "resolution")["state"] == "met" and solved["solved_at"] is not None
    assert timer(solved, "first_response")["state"] == "cancelled"


def test_warning_and_breach_fire_from_stored_deadlines_and_a_breach_raises_the_priority(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, first_response_seconds=600, resolution_seconds=7200, warn_ratio=0.5, breach_action="raise_priority")
    make_policy(client, demo, admin, name="High", priority="high", first_response_seconds=300, resolution_seconds=3600)
    created = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    assert sla(ctx).wait_idle()
    start = at(created["created_at"]).replace(tzinfo=None)
    # A runtime that has never seen this ticket (as after a restart) finds
    # the deadlines in the database.
    restarted = SlaRuntime(ctx.session_factory)
    assert restarted.sweep_now(start + timedelta(seconds=200)) == []
    assert restarted.sweep_now(start + timedelta(seconds=301)) == [(created["id"], "first_response", "warning")]
    assert restarted.sweep_now(start + timedelta(seconds=400)) == []  # told once
    before_breach = timer(ticket(client, demo, admin, created["id"]), "first_response")
    fired = restarted.sweep_now(start + timedelta(seconds=601))
    assert (created["id"], "first_response", "breached") in fired
    after = ticket(client, demo, admin, created["id"])
    assert after["priority"] == "high"
    assert timer(after, "first_response")["breached"]
    # The breached promise keeps its record: the high policy does not move its deadline.
    assert timer(after, "first_response")["target_seconds"] == 600
    assert timer(after, "first_response")["due_at"] == before_breach["due_at"]
    # The resolution promise now follows the high policy (one hour).
    assert timer(after, "resolution")["target_seconds"] == 3600
    lines = [
        m["attributes"]["activity"]
        for m in client.get(f"{base(demo)}/conversations/{created['conversation_id']}/messages", headers=admin).json()
        if m["direction"] == "activity"
    ]
    assert lines.count("sla_warning") == 1 and lines.count("sla_breached") == 1
    kinds = [(e["metric"], e["kind"]) for e in client.get(f"{base(demo)}/tickets/{created['id']}/sla_events", headers=admin).json()]
    assert ("first_response", "warning") in kinds and ("first_response", "breached") in kinds


def test_an_agent_turns_a_chat_into_a_ticket_once(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin)
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Ana", "language": "es"})
    sent = client.post(
        "/widget/api/messages",
        json={"content": "Mi pedido llegó roto, quiero un reembolso"},
        headers={"X-Visitor-Token": visitor.json()["visitor_token"]},
    )
    conversation_id = sent.json()["conversation_id"]
    not_yet = client.get(f"{base(demo)}/conversations/{conversation_id}/ticket", headers=admin)
    assert not_yet.status_code == 404 and not_yet.json()["field"] == "conversation_id"
    asked = client.get(f"{base(demo)}/conversations/{conversation_id}/ticket", params={"if_any": "true"}, headers=admin)
    assert asked.status_code == 200 and asked.json() is None
    made = client.post(f"{base(demo)}/conversations/{conversation_id}/ticket", json={"priority": "high", "tags": ["Refund"]}, headers=admin)
    assert made.status_code == 201, made.text
    body = made.json()
    assert body["subject"] == "Mi pedido llegó roto, quiero un reembolso"
    assert body["source"] == "chat" and body["tags"] == ["refund"] and body["priority"] == "high"
    again = client.post(f"{base(demo)}/conversations/{conversation_id}/ticket", json={}, headers=admin)
    assert again.status_code == 409 and again.json()["field"] == "conversation_id"
    lines = [m for m in client.get(f"{base(demo)}/conversations/{conversation_id}/messages", headers=admin).json() if m["direction"] == "activity"]
    assert any(m["attributes"].get("activity") == "ticket_created" for m in lines)


def test_bad_input_is_refused_with_the_field_and_nothing_changes(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    agent = as_user(demo.user("sam"))
    cases = [
        ({"hours": [{"weekday": 0, "start": "09:00", "end": "12:00"}, {"weekday": 0, "start": "11:00", "end": "13:00"}]}, "hours[1]"),
        ({"first_response_seconds": -5}, "first_response_seconds"),
        ({"warn_ratio": 1.5}, "warn_ratio"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"holiday_country": "XX"}, "holiday_country"),
    ]
    for fields, field in cases:
        body = {"name": "Normal", "priority": "normal", "first_response_seconds": 60, **fields}
        response = client.post(f"{base(demo)}/sla_policies", json=body, headers=admin)
        assert response.status_code == 422, (fields, response.text)
        assert response.json()["field"] == field
    assert client.post(f"{base(demo)}/sla_policies", json={"name": "x", "priority": "normal"}, headers=agent).status_code == 403
    make_policy(client, demo, admin)
    duplicate = client.post(f"{base(demo)}/sla_policies", json={"name": "Again", "priority": "normal"}, headers=admin)
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "priority"
    inbox_id = api_inbox(client, demo, admin)
    injected = client.post(
        f"{base(demo)}/tickets",
        json={"inbox_id": inbox_id, "email": "a@example.com", "subject": "Hi\r\nBcc: victim@example.com", "description": "x"},
        headers=admin,
    )
    assert injected.status_code == 422 and injected.json()["field"] == "subject"
    no_contact = client.post(f"{base(demo)}/tickets", json={"inbox_id": inbox_id, "subject": "Hi", "description": "x"}, headers=admin)
    assert no_contact.status_code == 422 and no_contact.json()["field"] == "email"
    created = open_ticket(client, demo, admin, inbox_id)
    bad_status = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "done"}, headers=admin)
    assert bad_status.status_code == 422
    bad_field = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"custom_fields": {"order": {"nested": 1}}}, headers=admin)
    assert bad_field.status_code == 422 and bad_field.json()["field"] == "custom_fields.order"
    assert ticket(client, demo, admin, created["id"])["subject"] == "Bestellung 4711 nicht angekommen"
    assert client.get(f"{base(demo)}/tickets/999999", headers=admin).status_code == 404
    assert client.get(f"/api/v1/accounts/{demo.account_id + 1}/tickets", headers=admin).status_code == 404


def test_a_duplicate_ticket_is_merged_and_the_customers_next_mail_follows_it(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    from dragoman.channels.email.services import receive_email
    from dragoman.inboxes.models import Inbox

    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin)
    teams = client.get(f"{base(demo)}/teams", headers=admin).json()
    inbox = client.post(
        f"{base(demo)}/inboxes",
        json={"name": "Mail", "channel_type": "email", "team_ids": [t["id"] for t in teams], "settings": {"address": "help@shop.example"}},
        headers=admin,
    ).json()

    def deliver(message_id: str, subject: str, body: str, in_reply_to: str | None = None) -> Any:
        raw = (
            f"From: Jonas <jonas@example.de>\r\nTo: help@shop.example\r\nSubject: {subject}\r\nMessage-ID: <{message_id}>\r\n"
            + (f"In-Reply-To: <{in_reply_to}>\r\n" if in_reply_to else "")
            + f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
        ).encode()
        with ctx.session_factory() as db:
            receipt = receive_email(db, db.get(Inbox, inbox["id"]), raw, attachment_dir=ctx.settings.data_dir / "a", spool_dir=ctx.settings.data_dir / "k")
            db.commit()
        return receipt

    first = deliver("a1@example.de", "Bestellung 4711 fehlt", "Meine Bestellung 4711 ist nicht da.")
    second = deliver("b1@example.de", "Nochmal: Bestellung 4711", "Ich warte immer noch auf 4711!")
    assert first.ticket_id != second.ticket_id
    merged = client.post(
        f"{base(demo)}/tickets/{second.ticket_id}/merge", json={"into_ticket_id": first.ticket_id, "note": "Same order"}, headers=admin
    )
    assert merged.status_code == 200, merged.text
    assert merged.json()["id"] == first.ticket_id
    source = ticket(client, demo, admin, second.ticket_id)
    assert source["status"] == "closed" and source["merged_into_id"] == first.ticket_id
    assert source["next_deadline"] is None and all(t["state"] == "cancelled" for t in source["timers"])
    events = client.get(f"{base(demo)}/tickets/{second.ticket_id}/sla_events", headers=admin).json()
    assert "met" not in {e["kind"] for e in events}  # a merge keeps no promise
    notes = [m for m in client.get(f"{base(demo)}/conversations/{first.conversation_id}/messages", headers=admin).json() if m["direction"] == "note"]
    assert notes and f"Merged from ticket #{second.ticket_id}" in notes[-1]["content"] and "Ich warte immer noch auf 4711!" in notes[-1]["content"]
    # The customer answers the merged ticket's thread: it lands on the ticket it was merged into.
    answer = deliver("b2@example.de", "Re: Nochmal", "Hier die Sendungsnummer.", in_reply_to="b1@example.de")
    assert answer.outcome == "reply" and answer.conversation_id == first.conversation_id

    for body, status, field in (
        ({"into_ticket_id": first.ticket_id}, 409, "ticket_id"),  # already merged
        ({"into_ticket_id": 999_999}, 404, "into_ticket_id"),
    ):
        refused = client.post(f"{base(demo)}/tickets/{second.ticket_id}/merge", json=body, headers=admin)
        assert refused.status_code == status and refused.json()["field"] == field
    assert client.post(f"{base(demo)}/tickets/{first.ticket_id}/merge", json={"into_ticket_id": first.ticket_id}, headers=admin).status_code == 422
    assert client.post(f"{base(demo)}/tickets/{first.ticket_id}/merge", json={"into_ticket_id": second.ticket_id}, headers=admin).status_code == 409

    third = deliver("c1@example.de", "Rechnung 4711", "Bitte schicken Sie mir die Rechnung.")
    linked = client.post(f"{base(demo)}/tickets/{third.ticket_id}/links", json={"ticket_id": first.ticket_id}, headers=admin)
    assert linked.status_code == 201 and linked.json()["linked_ticket_ids"] == [first.ticket_id]
    assert ticket(client, demo, admin, first.ticket_id)["linked_ticket_ids"] == [third.ticket_id]
    assert client.post(f"{base(demo)}/tickets/{third.ticket_id}/links", json={"ticket_id": third.ticket_id}, headers=admin).status_code == 422
    assert client.delete(f"{base(demo)}/tickets/{first.ticket_id}/links/{third.ticket_id}", headers=admin).status_code == 204
    assert ticket(client, demo, admin, third.ticket_id)["linked_ticket_ids"] == []
    assert client.delete(f"{base(demo)}/tickets/{first.ticket_id}/links/{third.ticket_id}", headers=admin).status_code == 404


def test_custom_ticket_fields_are_defined_per_account_checked_and_required_to_solve(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    agent = as_user(demo.user("maria"))
    inbox_id = api_inbox(client, demo, admin)
    fields = [
        {"key": "order_number", "type": "text", "labels": {"en": "Order number", "de": "Bestellnummer"}, "required_to_solve": True},
        {"key": "refund_amount", "type": "number", "labels": {"en": "Refund amount"}},
        {"key": "reason", "type": "select", "labels": {"en": "Reason", "es": "Motivo"}, "options": ["damaged", "late", "wrong item"]},
        {"key": "vip_gesture", "type": "checkbox", "labels": {"en": "Goodwill gesture"}},
        {"key": "promised_by", "type": "date", "labels": {"en": "Promised by"}},
    ]
    for position, body in enumerate(fields):
        response = client.post(f"{base(demo)}/ticket_fields", json={**body, "position": position}, headers=admin)
        assert response.status_code == 201, response.text
    assert client.post(f"{base(demo)}/ticket_fields", json=fields[0], headers=agent).status_code == 403
    listed = client.get(f"{base(demo)}/ticket_fields", headers=agent).json()
    assert [f["key"] for f in listed] == [f["key"] for f in fields] and listed[0]["labels"]["de"] == "Bestellnummer"
    for body, field in (
        ({**fields[0], "key": "Order Number"}, "key"),
        ({**fields[0]}, "key"),  # taken: 409
        ({**fields[0], "key": "x", "type": "colour"}, "type"),
        ({**fields[0], "key": "x", "labels": {}}, "labels"),
        ({**fields[0], "key": "x", "labels": {"english": "X"}}, "labels.english"),
        ({**fields[2], "key": "x", "options": []}, "options"),
    ):
        refused = client.post(f"{base(demo)}/ticket_fields", json=body, headers=admin)
        assert refused.status_code in (409, 422) and refused.json()["field"] == field, (body, refused.text)

    created = open_ticket(client, demo, agent, inbox_id, custom_fields={"refund_amount": "12,50", "reason": "damaged"})
    assert created["custom_fields"] == {"refund_amount": 12.5, "reason": "damaged"}
    for values, field in (
        ({"reason": "bored"}, "custom_fields.reason"),
        ({"refund_amount": "lots"}, "custom_fields.refund_amount"),
        ({"vip_gesture": "yes"}, "custom_fields.vip_gesture"),
        ({"promised_by": "31/12/2026"}, "custom_fields.promised_by"),
        ({"colour": "red"}, "custom_fields.colour"),
    ):
        refused = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"custom_fields": values}, headers=agent)
        assert refused.status_code == 422 and refused.json()["field"] == field, (values, refused.text)
    # The order number is required before the ticket is solved; nothing changes until then.
    refused = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "solved"}, headers=agent)
    assert refused.status_code == 422 and refused.json()["field"] == "custom_fields.order_number"
    assert refused.json()["reason"] == "required_to_solve"  # the console names the field by its label
    assert ticket(client, demo, agent, created["id"])["status"] == "new"
    solved = client.patch(
        f"{base(demo)}/tickets/{created['id']}",
        json={"custom_fields": {"order_number": "4711", "promised_by": "2026-12-24", "vip_gesture": True}, "status": "solved"},
        headers=agent,
    )
    assert solved.status_code == 200, solved.text
    assert solved.json()["custom_fields"] == {
        "refund_amount": 12.5, "reason": "damaged", "order_number": "4711", "promised_by": "2026-12-24", "vip_gesture": True,
    }


def test_a_ticket_is_transferred_to_an_expert_team_with_the_summary_in_their_language(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    from dragoman.accounts.models import User

    admin = as_user(demo.user("admin"))
    inbox_id = api_inbox(client, demo, admin)
    created = open_ticket(client, demo, admin, inbox_id)
    teams = {t["name"]: t for t in client.get(f"{base(demo)}/teams", headers=admin).json()}
    # María's team: she works in Spanish.
    maria: User = demo.user("maria")
    team = next(t for t in teams.values() if maria.id in t["member_ids"])
    summary = "The customer's order 4711 arrived damaged; please arrange a replacement."
    moved = client.post(f"{base(demo)}/tickets/{created['id']}/transfer", json={"team_id": team["id"], "summary": summary}, headers=admin)
    assert moved.status_code == 200, moved.text
    assert moved.json()["team_id"] == team["id"] and moved.json()["assignee_id"] is None
    notes = [m for m in client.get(f"{base(demo)}/conversations/{created['conversation_id']}/messages", headers=admin).json() if m["direction"] == "note"]
    note = notes[-1]
    assert note["content"] == summary and note["attributes"]["transfer"]["team"] == team["name"]
    assert note["attributes"]["language"]["code"] == "en"
    spanish = note["attributes"]["translations"]["es"]
    assert spanish["status"] == "translated" and "4711" in spanish["text"] and spanish["text"] != summary
    for body, field in (({"team_id": 999_999, "summary": summary}, "team_id"), ({"team_id": team["id"], "summary": " "}, "summary")):
        refused = client.post(f"{base(demo)}/tickets/{created['id']}/transfer", json=body, headers=admin)
        assert refused.status_code in (404, 422) and refused.json()["field"] == field


def test_a_gold_customer_gets_the_gold_policy_and_a_breach_can_take_the_ticket_back(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, first_response_seconds=4 * 3600)
    gold = make_policy(client, demo, admin, name="Gold", tier="Gold", first_response_seconds=900, breach_action="reassign")
    assert gold["tier"] == "gold"
    clash = client.post(f"{base(demo)}/sla_policies", json={"name": "Gold 2", "priority": "normal", "tier": "gold"}, headers=admin)
    assert clash.status_code == 409 and clash.json()["field"] == "priority"
    bad = client.post(f"{base(demo)}/sla_policies", json={"name": "X", "priority": "high", "tier": "very gold!"}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "tier"
    inbox_id = api_inbox(client, demo, admin)
    regular = open_ticket(client, demo, admin, inbox_id, email="someone@example.com")
    contact = client.post(f"{base(demo)}/contacts", json={"name": "Goldie", "email": "vip@example.com", "tier": "gold"}, headers=admin).json()
    assert contact["tier"] == "gold"
    vip = open_ticket(client, demo, admin, inbox_id, email="vip@example.com")
    assert timer(ticket(client, demo, admin, regular["id"]), "first_response")["target_seconds"] == 4 * 3600
    assert timer(ticket(client, demo, admin, vip["id"]), "first_response")["target_seconds"] == 900

    # María holds the gold ticket and does not answer in time: it goes back to the queue.
    maria = demo.user("maria")
    teams = client.get(f"{base(demo)}/teams", headers=admin).json()
    team_id = teams[0]["id"]
    assigned = client.post(
        f"{base(demo)}/conversations/{vip['conversation_id']}/assignments", json={"assignee_id": maria.id, "team_id": team_id}, headers=admin
    )
    assert assigned.status_code == 200, assigned.text
    assert sla(ctx).wait_idle()
    start = at(vip["created_at"]).replace(tzinfo=None)
    assert (vip["id"], "first_response", "breached") in SlaRuntime(ctx.session_factory).sweep_now(start + timedelta(seconds=901))
    after = ticket(client, demo, admin, vip["id"])
    # María loses it; her team keeps it, for another of its agents.
    assert after["assignee_id"] is None and after["team_id"] == team_id
    line = [m for m in client.get(f"{base(demo)}/conversations/{vip['conversation_id']}/messages", headers=admin).json() if m["attributes"].get("activity") == "sla_reassigned"]
    assert line and line[0]["content"] == "SLA breached: taken from María García, back in the queue"


def test_a_breach_the_sweep_read_before_the_agent_solved_the_ticket_does_not_fire(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    """The sweep reads its due timers, then fires them one by one; an agent
    may solve a ticket in between. The sweep's copy of that timer (still
    running) is older than the agent's change: no breach, and the ticket is
    not taken from the agent who just solved it."""
    from dragoman.tickets import services

    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin, first_response_seconds=900, breach_action="reassign")
    created = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    maria = demo.user("maria")
    assigned = client.post(f"{base(demo)}/conversations/{created['conversation_id']}/assignments", json={"assignee_id": maria.id}, headers=admin)
    assert assigned.status_code == 200, assigned.text
    assert sla(ctx).wait_idle()
    late = at(created["created_at"]).replace(tzinfo=None) + timedelta(seconds=901)
    with ctx.session_factory() as sweep_db:
        stale = sweep_db.scalars(select(SlaTimer).where(SlaTimer.ticket_id == created["id"], SlaTimer.metric == "first_response")).one()
        assert stale.state == "running" and stale.next_check_at is not None and stale.next_check_at <= late
        solved = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "solved"}, headers=as_user(maria))
        assert solved.status_code == 200, solved.text
        assert services.fire_due_timer(sweep_db, stale, late) == []
        sweep_db.commit()
    after = ticket(client, demo, admin, created["id"])
    assert after["status"] == "solved" and after["assignee_id"] == maria.id
    assert timer(after, "first_response")["state"] == "cancelled" and not timer(after, "first_response")["breached"]
    activities = [
        m["attributes"].get("activity")
        for m in client.get(f"{base(demo)}/conversations/{created['conversation_id']}/messages", headers=admin).json()
        if m["direction"] == "activity"
    ]
    assert "sla_breached" not in activities and "sla_reassigned" not in activities
    # The whole sweep agrees: nothing is due any more.
    assert SlaRuntime(ctx.session_factory).sweep_now(late) == []


def test_the_first_reply_does_not_undo_a_status_an_agent_set_meanwhile(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    """The SLA thread marks a new ticket open when the first reply is stored;
    an agent may have set pending in between (a macro sent with the reply).
    The thread's copy of the ticket is older than the agent's change."""
    from dragoman.tickets import services

    admin = as_user(demo.user("admin"))
    created = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    assert created["status"] == "new"
    with sla_thread_copy(ctx, created) as (thread_db, stale, conversation):
        assert stale.status.value == "new"
        # The agent's change lands while the thread holds its copy.
        changed = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "pending"}, headers=admin)
        assert changed.status_code == 200, changed.text
        services.note_agent_reply(thread_db, stale, conversation, datetime.now(timezone.utc))
        thread_db.commit()
    after = client.get(f"{base(demo)}/tickets/{created['id']}", headers=admin).json()
    assert after["status"] == "pending" and after["first_response_at"] is not None
    # Without a change in between, the first reply does open a new ticket.
    fresh = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    with sla_thread_copy(ctx, fresh) as (thread_db, ticket, conversation):
        services.note_agent_reply(thread_db, ticket, conversation, datetime.now(timezone.utc))
        thread_db.commit()
    assert client.get(f"{base(demo)}/tickets/{fresh['id']}", headers=admin).json()["status"] == "open"


def test_a_customer_message_does_not_reopen_a_ticket_solved_after_it(
    client: TestClient, demo: DemoWorld, as_user: Any, ctx: AppContext
) -> None:
    """The SLA thread handles a customer's message after it was stored; the
    agent may have read it and solved the ticket in between. The thread's
    copy of the ticket (still pending) is older than the agent's change."""
    from dragoman.core.clock import utcnow
    from dragoman.tickets import services

    admin = as_user(demo.user("admin"))
    make_policy(client, demo, admin)
    created = open_ticket(client, demo, admin, api_inbox(client, demo, admin))
    assert client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "pending"}, headers=admin).status_code == 200
    written = utcnow()
    with sla_thread_copy(ctx, created) as (thread_db, stale, conversation):
        assert stale.status.value == "pending"
        solved = client.patch(f"{base(demo)}/tickets/{created['id']}", json={"status": "solved"}, headers=admin)
        assert solved.status_code == 200, solved.text
        services.note_customer_message(thread_db, stale, conversation, written)
        thread_db.commit()
    after = ticket(client, demo, admin, created["id"])
    assert after["status"] == "solved" and timer(after, "resolution")["state"] == "met"
    # A message written after the solve does reopen it, with a new resolution clock.
    with sla_thread_copy(ctx, created) as (thread_db, current, conversation):
        services.note_customer_message(thread_db, current, conversation, utcnow())
        thread_db.commit()
    reopened = ticket(client, demo, admin, created["id"])
    assert reopened["status"] == "open" and timer(reopened, "resolution")["state"] == "running"


def test_one_change_applies_to_many_tickets_and_a_ticket_it_cannot_apply_to_is_left_as_it_was(
    client: TestClient, demo: DemoWorld, ctx: AppContext, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    agent = as_user(demo.user("maria"))
    inbox_id = api_inbox(client, demo, admin)
    required = {"key": "order_number", "type": "text", "labels": {"en": "Order number"}, "required_to_solve": True}
    assert client.post(f"{base(demo)}/ticket_fields", json=required, headers=admin).status_code == 201
    first = open_ticket(client, demo, agent, inbox_id)
    second = open_ticket(client, demo, agent, inbox_id, email="ana@example.es", subject="Pedido 4712")
    ready = open_ticket(client, demo, agent, inbox_id, email="lea@example.fr", subject="Commande 4713", custom_fields={"order_number": "4713"})
    announced: list[Any] = []
    ctx.bus.subscribe(announced.append)
    maria = demo.user("maria").id

    # Solving needs the order number: only the ticket that has one is solved;
    # the other two keep everything as it was (priority, tags and agent too).
    bulk = client.post(
        f"{base(demo)}/tickets/bulk",
        json={"ticket_ids": [first["id"], second["id"], ready["id"]], "status": "solved", "priority": "high",
              "add_tags": ["Late-Delivery"], "assignee_id": maria},
        headers=agent,
    )
    assert bulk.status_code == 200, bulk.text
    assert bulk.json()["updated"] == [ready["id"]]
    assert [(f["ticket_id"], f["field"], f["reason"]) for f in bulk.json()["failed"]] == [
        (first["id"], "custom_fields.order_number", "required_to_solve"), (second["id"], "custom_fields.order_number", "required_to_solve"),
    ]
    solved = ticket(client, demo, agent, ready["id"])
    assert (solved["status"], solved["priority"], solved["tags"], solved["assignee_id"]) == ("solved", "high", ["late-delivery"], maria)
    for untouched in (first, second):
        now = ticket(client, demo, agent, untouched["id"])
        assert (now["status"], now["priority"], now["tags"], now["assignee_id"]) == ("new", "normal", [], None)
    # Nobody hears of a change that was undone.
    changed = {e.payload.ticket.id for e in announced if isinstance(e.payload, TicketUpdated)}
    assert changed == {ready["id"]}

    # Tags are added to each ticket's own; a ticket the caller cannot see is reported, not changed.
    client.patch(f"{base(demo)}/tickets/{first['id']}", json={"tags": ["refund"]}, headers=agent)
    bulk = client.post(
        f"{base(demo)}/tickets/bulk", json={"ticket_ids": [first["id"], second["id"], 999_999], "add_tags": ["vip"], "priority": "urgent"}, headers=agent
    )
    assert bulk.json()["updated"] == [first["id"], second["id"]]
    assert [(f["ticket_id"], f["field"], f["reason"]) for f in bulk.json()["failed"]] == [(999_999, "ticket_id", None)]
    assert ticket(client, demo, agent, first["id"])["tags"] == ["refund", "vip"]
    assert ticket(client, demo, agent, second["id"])["priority"] == "urgent"
    # null takes the tickets away from their agent.
    bulk = client.post(f"{base(demo)}/tickets/bulk", json={"ticket_ids": [ready["id"]], "assignee_id": None}, headers=agent)
    assert bulk.json()["updated"] == [ready["id"]] and ticket(client, demo, agent, ready["id"])["assignee_id"] is None

    # Bad input names the field and changes nothing.
    for body, field in (
        ({"ticket_ids": [], "status": "open"}, "ticket_ids"),
        ({"ticket_ids": list(range(1, 102)), "status": "open"}, "ticket_ids"),
        ({"ticket_ids": [first["id"]]}, "status"),
        ({"ticket_ids": [first["id"]], "status": "done"}, "status"),
        ({"ticket_ids": [first["id"]], "add_tags": [""]}, "tags[0]"),
    ):
        refused = client.post(f"{base(demo)}/tickets/bulk", json=body, headers=agent)
        assert refused.status_code == 422 and refused.json()["field"] == field, (body, refused.text)
    unknown_agent = client.post(f"{base(demo)}/tickets/bulk", json={"ticket_ids": [first["id"]], "assignee_id": 999_999}, headers=agent)
    assert unknown_agent.json()["failed"][0]["field"] == "assignee_id"
    assert ticket(client, demo, agent, first["id"])["status"] == "new"
