"""The public support form: a customer without a chat writes a request in
their language; it becomes a ticket in the e-mail inbox, and the agent's
answer reaches them by mail. Bad input is shown beside the field, in the
customer's language, and keeps what they typed."""

from __future__ import annotations

import email
import email.policy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DemoWorld, MailCatcher, wait_until
from dragoman.core.http import AppContext
from dragoman.core.ratelimit import SlidingWindowLimiter
from dragoman.tickets import web_form


def form_inbox(client: TestClient, demo: DemoWorld, admin: dict[str, str], port: int) -> dict[str, Any]:
    teams = client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=admin).json()
    created = client.post(
        f"/api/v1/accounts/{demo.account_id}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "team_ids": [t["id"] for t in teams],
              "settings": {"address": "support@shop.example", "receive": "smtp", "web_form": True,
                           "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return created.json()  # type: ignore[no-any-return]


def test_a_request_from_the_support_form_becomes_a_ticket_answered_by_mail(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, mail_catcher: MailCatcher
) -> None:
    box, port = mail_catcher, mail_catcher.port
    admin = as_user(demo.user("admin"))
    inbox = form_inbox(client, demo, admin, port)
    token = inbox["settings"]["form_token"]
    page = client.get(f"/support/{token}?lang=de")
    assert page.status_code == 200 and '<html lang="de"' in page.text and "Support kontaktieren" in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]

    # Missing and wrong fields: each says so beside itself, in German; what was typed stays.
    refused = client.post(f"/support/{token}", data={"language": "de", "name": "Jonas", "email": "jonas(at)example.de", "subject": "", "description": "Wo ist mein Paket 4711?"})
    assert refused.status_code == 422
    assert 'data-testid="error-email">Bitte geben Sie eine gültige E-Mail-Adresse ein.' in refused.text
    assert 'data-testid="error-subject">Bitte füllen Sie dieses Feld aus.' in refused.text
    assert "Wo ist mein Paket 4711?" in refused.text and 'value="Jonas"' in refused.text
    api = f"/api/v1/accounts/{demo.account_id}"
    assert client.get(f"{api}/tickets", headers=admin).json()["items"] == []

    sent = client.post(f"/support/{token}", data={"language": "de", "name": "Jonas Weber", "email": "jonas@example.de", "subject": "Paket 4711 fehlt", "description": "Mein Paket mit der Bestellung 4711 ist nicht angekommen."})
    assert sent.status_code == 200
    [ticket] = client.get(f"{api}/tickets", headers=admin).json()["items"]
    assert f"Vielen Dank! Wir haben Ihre Anfrage #{ticket['id']} erhalten und antworten an jonas@example.de." in sent.text
    assert ticket["source"] == "web_form" and ticket["subject"] == "Paket 4711 fehlt" and ticket["language"] == "de"
    assert ticket["contact"] == {"id": ticket["contact"]["id"], "name": "Jonas Weber", "email": "jonas@example.de"}

    reply = client.post(f"{api}/conversations/{ticket['conversation_id']}/messages", json={"content": "Wir prüfen das sofort."}, headers=admin)
    assert reply.status_code == 201
    mailed = email.message_from_bytes(wait_until(lambda: box.received, timeout=10)[0], policy=email.policy.default)
    assert mailed["To"] == "jonas@example.de" and mailed["Subject"] == f"Re: Paket 4711 fehlt [#{ticket['id']}]"

    # A bot fills in the field people never see: nothing is stored.
    trapped = client.post(f"/support/{token}", data={"email": "bot@example.net", "subject": "Buy", "description": "Cheap pills", "website": "http://spam.example"})
    assert trapped.status_code == 429
    assert len(client.get(f"{api}/tickets", headers=admin).json()["items"]) == 1
    assert client.get("/support/not-a-form-token-at-all").status_code == 404


def test_the_form_is_off_unless_the_inbox_turns_it_on_and_an_address_is_limited(
    client: TestClient, demo: DemoWorld, as_user: Any, mail_catcher: MailCatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = mail_catcher.port
    admin = as_user(demo.user("admin"))
    inbox = form_inbox(client, demo, admin, port)
    token = inbox["settings"]["form_token"]
    turned_off = client.patch(f"/api/v1/accounts/{demo.account_id}/inboxes/{inbox['id']}", json={"settings": {"web_form": False}}, headers=admin)
    assert turned_off.status_code == 200
    assert client.get(f"/support/{token}").status_code == 404
    client.patch(f"/api/v1/accounts/{demo.account_id}/inboxes/{inbox['id']}", json={"settings": {"web_form": True}}, headers=admin)
    assert client.get(f"/support/{token}").status_code == 200  # the same address as before
    monkeypatch.setattr(web_form, "_limiter", SlidingWindowLimiter(2, 3600))
    request = {"email": "ana@example.pt", "subject": "Encomenda", "description": "A minha encomenda não chegou.", "language": "pt"}
    assert [client.post(f"/support/{token}", data=request).status_code for _ in range(3)] == [200, 200, 429]
    assert "Demasiados pedidos do seu endereço" in client.post(f"/support/{token}", data=request).text


def test_an_inbox_that_acknowledges_requests_mails_the_number_a_few_times_a_day_at_most(
    client: TestClient, demo: DemoWorld, as_user: Any, mail_catcher: MailCatcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = as_user(demo.user("admin"))
    inbox = form_inbox(client, demo, admin, mail_catcher.port)
    api = f"/api/v1/accounts/{demo.account_id}"
    client.patch(f"{api}/inboxes/{inbox['id']}", json={"settings": {"acknowledge": True}}, headers=admin)
    token = inbox["settings"]["form_token"]
    monkeypatch.setattr(web_form, "_acknowledged", SlidingWindowLimiter(2, 24 * 3600))
    request = {"email": "Lea@Example.fr", "subject": "Commande 5120", "description": "Ma commande n'est pas arrivée.", "language": "fr"}
    assert client.post(f"/support/{token}", data=request).status_code == 200
    ticket = client.get(f"{api}/tickets", headers=admin).json()["items"][0]
    mailed = email.message_from_bytes(wait_until(lambda: mail_catcher.received, timeout=10)[0], policy=email.policy.default)
    # The number, in the customer's language, marked as sent by no person.
    assert mailed["To"] == "lea@example.fr" and mailed["Auto-Submitted"] == "auto-replied"
    assert f"#{ticket['id']}" in mailed.get_content() and "Merci de nous avoir écrit" in mailed.get_content()

    # The same address (in any case) is acknowledged twice a day here, then
    # its requests still become tickets, without the mail; another address
    # gets its own.
    for _ in range(2):
        assert client.post(f"/support/{token}", data={**request, "email": "lea@example.fr"}).status_code == 200
    assert client.post(f"/support/{token}", data={**request, "email": "paul@example.fr"}).status_code == 200
    assert len(client.get(f"{api}/tickets", headers=admin).json()["items"]) == 4
    wait_until(lambda: len(mail_catcher.received) == 3, timeout=10)
    recipients = sorted(email.message_from_bytes(raw, policy=email.policy.default)["To"].lower() for raw in mail_catcher.received)
    assert recipients == ["lea@example.fr", "lea@example.fr", "paul@example.fr"]
