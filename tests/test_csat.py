"""Satisfaction surveys as customers and supervisors meet them: resolving a
chat invites the customer, in their language, to rate it on a page only
their link opens; a solved e-mail ticket mails the invitation; the rating
lands on the conversation's timeline and on the ticket."""

from __future__ import annotations

import email
import email.policy
import re
from datetime import date, timedelta
from typing import Any

from fastapi.testclient import TestClient

from conftest import DemoWorld, MailCatcher, wait_until
from dragoman.accounts.services import user_team_ids
from dragoman.core.clock import utcnow
from dragoman.core.http import AppContext
from dragoman.csat.models import CsatSurvey
from dragoman.inboxes.models import Inbox

SURVEY_LINK = re.compile(r"/csat/([A-Za-z0-9_-]+)")


def enable_surveys(ctx: AppContext, inbox_id: int) -> None:
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, inbox_id)
        inbox.settings = {**(inbox.settings or {}), "csat": True}  # type: ignore[union-attr]
        db.commit()


def new_chat(client: TestClient, demo: DemoWorld, name: str, language: str, text: str) -> tuple[dict[str, str], int]:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": name, "language": language}).json()
    headers = {"X-Visitor-Token": visitor["visitor_token"]}
    sent = client.post("/widget/api/messages", json={"content": text}, headers=headers)
    assert sent.status_code == 201, sent.text
    return headers, sent.json()["conversation_id"]


def test_a_resolved_chat_invites_the_customer_to_rate_it_in_their_language(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    enable_surveys(ctx, demo.inbox_id)
    maria = as_user(demo.user("maria"))
    visitor, conversation_id = new_chat(client, demo, "Carmen", "es", "Hola, ¿dónde está mi pedido 4711?")
    base = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    client.post(f"{base}/messages", json={"content": "Ya ha salido, llega mañana."}, headers=maria)
    assert client.post(f"{base}/toggle_status", json={"status": "resolved"}, headers=maria).status_code == 200
    ctx.services["jobs"].wait_idle()

    # The customer sees the invitation in the chat, in Spanish, with the link.
    seen = wait_until(lambda: [m for m in client.get("/widget/api/session", headers=visitor).json()["messages"] if "/csat/" in m["content"]])
    invitation = seen[0]["content"]
    assert invitation.startswith("¿Qué tal lo hicimos? Valore nuestra ayuda: ")
    token = SURVEY_LINK.search(invitation).group(1)  # type: ignore[union-attr]

    page = client.get(f"/csat/{token}")
    assert page.status_code == 200
    assert '<html lang="es"' in page.text and "¿Qué tan satisfecho está con la ayuda que recibió?" in page.text
    assert "Muy satisfecho" in page.text
    assert "script-src 'none'" in page.headers["content-security-policy"]
    # No rating chosen: the page says so, in Spanish, and nothing is stored.
    refused = client.post(f"/csat/{token}", data={"rating": "", "comment": "¿?"})
    assert refused.status_code == 422 and "Elija una valoración del 1 al 5." in refused.text
    assert client.post(f"/csat/{token}", data={"rating": "9"}).status_code == 422
    assert client.get(f"{base}/csat", headers=maria).json()["rating"] is None

    thanks = client.post(f"/csat/{token}", data={"rating": "4", "comment": "Rápido y amable."})
    assert thanks.status_code == 200 and "¡Gracias! Su valoración nos ayuda a mejorar." in thanks.text
    survey = client.get(f"{base}/csat", headers=maria).json()
    assert survey["rating"] == 4 and survey["comment"] == "Rápido y amable." and survey["language"] == "es"
    timeline = client.get(f"{base}/messages", headers=maria).json()
    line = [m for m in timeline if m["direction"] == "activity" and m["attributes"].get("activity") == "csat"]
    assert line and line[-1]["attributes"]["rating"] == 4
    # Changing one's mind changes the rating rather than adding a second one.
    client.post(f"/csat/{token}", data={"rating": "5"})
    assert client.get(f"{base}/csat", headers=maria).json()["rating"] == 5
    supervisor = as_user(demo.user("supervisor"))
    assert [s["rating"] for s in client.get(f"/api/v1/accounts/{demo.account_id}/csat", headers=supervisor).json()] == [5]
    assert client.get(f"/api/v1/accounts/{demo.account_id}/csat", headers=maria).status_code == 403

    # Reopened and resolved again with nothing new from the customer: not asked twice.
    client.post(f"{base}/toggle_status", json={"status": "open"}, headers=maria)
    client.post(f"{base}/toggle_status", json={"status": "resolved"}, headers=maria)
    ctx.services["jobs"].wait_idle()
    invitations = [m for m in client.get(f"{base}/messages", headers=maria).json() if m["attributes"].get("csat")]
    assert len(invitations) == 1

    missing = client.get("/csat/not-a-real-survey-link")
    assert missing.status_code == 404 and "link" in missing.text


def test_inboxes_without_surveys_ask_nothing(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    maria = as_user(demo.user("maria"))
    _visitor, conversation_id = new_chat(client, demo, "Jonas", "de", "Wo ist meine Bestellung?")
    base = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    client.post(f"{base}/toggle_status", json={"status": "resolved"}, headers=maria)
    ctx.services["jobs"].wait_idle()
    assert not [m for m in client.get(f"{base}/messages", headers=maria).json() if m["attributes"].get("csat")]
    assert client.get(f"{base}/csat", headers=maria).status_code == 404


def test_a_solved_email_ticket_mails_the_survey_and_the_rating_lands_on_the_ticket(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, mail_catcher: MailCatcher
) -> None:
    box, port = mail_catcher, mail_catcher.port
    admin = as_user(demo.user("admin"))
    api = f"/api/v1/accounts/{demo.account_id}"
    teams = client.get(f"{api}/teams", headers=admin).json()
    inbox = client.post(
        f"{api}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "team_ids": [t["id"] for t in teams],
              "settings": {"address": "support@shop.example", "receive": "smtp", "csat": True,
                           "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}}},
        headers=admin,
    ).json()
    raw = (
        b"From: Pierre <pierre@example.fr>\r\nTo: support@shop.example\r\nSubject: Remboursement commande 4711\r\n"
        b"Message-ID: <refund-4711@example.fr>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        + "Bonjour, je n'ai toujours pas reçu le remboursement de ma commande 4711. Merci de vérifier.\r\n".encode()
    )
    receipt = ctx.services["email"].receive_raw(inbox["id"], raw)
    assert receipt.outcome == "ticket"
    solved = client.patch(f"{api}/tickets/{receipt.ticket_id}", json={"status": "solved"}, headers=admin)
    assert solved.status_code == 200, solved.text
    ctx.services["jobs"].wait_idle()
    mailed = wait_until(lambda: box.received, timeout=10)
    message = email.message_from_bytes(mailed[-1], policy=email.policy.default)
    assert message["To"] == "pierre@example.fr"
    assert message["In-Reply-To"] == "<refund-4711@example.fr>"
    body = message.get_content()  # type: ignore[attr-defined]
    assert "Merci d'évaluer notre aide" in body
    token = SURVEY_LINK.search(body).group(1)  # type: ignore[union-attr]
    assert client.post(f"/csat/{token}", data={"rating": "2", "comment": "Trop long."}).status_code == 200
    ticket = client.get(f"{api}/tickets/{receipt.ticket_id}", headers=admin).json()
    assert ticket["csat"]["rating"] == 2 and ticket["csat"]["comment"] == "Trop long."


def answered_surveys(ctx: AppContext, demo: DemoWorld, client: TestClient, answers: list[tuple[str, str, int, str | None, int]]) -> None:
    """Stores answered surveys: (agent, language, rating, comment, days ago),
    each on a chat of its own, as if the agent had resolved it."""
    for number, (who, language, rating, comment, days_ago) in enumerate(answers):
        _visitor, conversation_id = new_chat(client, demo, f"Customer {number}", language, "Hello")
        with ctx.session_factory() as db:
            agent = demo.user(who)
            teams = user_team_ids(db, agent.id)
            db.add(
                CsatSurvey(
                    account_id=demo.account_id, conversation_id=conversation_id, token=f"report-{number}", language=language,
                    assignee_id=agent.id, team_id=teams[0] if teams else None, rating=rating, comment=comment,
                    answered_at=utcnow() - timedelta(days=days_ago),
                )
            )
            db.commit()


def test_the_satisfaction_report_scores_a_period_per_agent_team_language_and_channel(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    answered_surveys(ctx, demo, client, [
        ("maria", "es", 5, "Muy amable.", 1),
        ("maria", "es", 3, None, 2),
        ("li.wei", "zh-Hans", 4, "很快解决了", 3),
        ("li.wei", "en", 1, "Nobody read my question.", 40),  # before the default 30 days
    ])
    supervisor = as_user(demo.user("supervisor"))
    url = f"/api/v1/accounts/{demo.account_id}/csat/report"
    report = client.get(url, headers=supervisor)
    assert report.status_code == 200, report.text
    body = report.json()
    assert body["overall"] == {"answered": 3, "average": 4.0, "satisfied_percent": 66.7}
    by_agent = {row["key"]: row for row in body["by_agent"]}
    assert by_agent[demo.user("maria").id] == {"key": demo.user("maria").id, "answered": 2, "average": 4.0, "satisfied_percent": 50.0}
    assert by_agent[demo.user("li.wei").id]["answered"] == 1
    assert {row["key"]: row["answered"] for row in body["by_language"]} == {"es": 2, "zh-Hans": 1}
    assert [(row["key"], row["answered"]) for row in body["by_channel"]] == [("webchat", 3)]
    assert len(body["by_team"]) == 2
    # Comments newest first; answers without one are not listed.
    assert [c["comment"] for c in body["comments"]] == ["Muy amable.", "很快解决了"]

    # A longer period includes the older answer; a day range is inclusive.
    wider = client.get(url, params={"since": "2000-01-01", "until": body["until"]}, headers=supervisor)
    assert wider.status_code == 422 and wider.json()["field"] == "since"  # more than a year
    since = (date.fromisoformat(body["until"]) - timedelta(days=60)).isoformat()
    assert client.get(url, params={"since": since}, headers=supervisor).json()["overall"]["answered"] == 4

    # Bad input names the field; agents may not read it; another account sees nothing of it.
    bad = client.get(url, params={"since": "yesterday"}, headers=supervisor)
    assert bad.status_code == 422 and bad.json()["field"] == "since"
    backwards = client.get(url, params={"since": "2026-05-02", "until": "2026-05-01"}, headers=supervisor)
    assert backwards.status_code == 422 and backwards.json()["field"] == "since"
    assert client.get(url, headers=as_user(demo.user("maria"))).status_code == 403
