"""What `dragoman demo` (and so `make run`) shows a newcomer beyond people and
the web chat: language queues on the Live wall, SLA policies, customers'
requests waiting as tickets with their clocks running, weeks of history, and
an e-mail inbox fed through the SMTP listener whose replies are caught."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DemoWorld
from dragoman.config import Settings
from dragoman.core.http import AppContext
from dragoman.demo.history import PAST_CASES, HistorySummary, seed_history
from dragoman.demo.mail import SAMPLE_MAILS
from dragoman.demo.showcase import DEMO_REQUESTS, ShowcaseSummary, seed_showcase
from dragoman.inboxes.models import Inbox
from servers import free_port
from test_web_login import sign_in


def _seed(ctx: AppContext, demo: DemoWorld) -> Any:
    with ctx.session_factory() as db:
        summary = seed_showcase(db, demo.account_id)
        db.commit()
    return summary


def test_the_demo_shows_queues_promises_and_waiting_requests_once(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    first = _seed(ctx, demo)
    assert (first.queues, first.policies, first.requests) == (4, 4, len(DEMO_REQUESTS))
    again = _seed(ctx, demo)
    assert (again.queues, again.policies, again.requests) == (0, 0, 0)

    supervisor = as_user(demo.user("supervisor"))
    base = f"/api/v1/accounts/{demo.account_id}"
    queues = client.get(f"{base}/routing/queues", headers=supervisor).json()
    assert [q["name"] for q in queues] == ["English", "Spanish and Portuguese", "Chinese", "Every other language"]
    assert [len(q["steps"]) for q in queues] == [3, 3, 3, 3] and queues[0]["steps"][2]["machine_translation"]
    policies = client.get(f"{base}/sla_policies", headers=supervisor).json()
    assert {p["priority"] for p in policies} == {"normal", "high", "urgent"} and any(p["tier"] == "gold" for p in policies)

    page = client.get(f"{base}/tickets", params={"limit": 50}, headers=supervisor).json()
    listed = page["items"]
    assert len(listed) == len(DEMO_REQUESTS)
    languages = {t["language"] for t in listed}
    for ticket in listed:
        first_response = next(t for t in ticket["timers"] if t["metric"] == "first_response")
        assert first_response["state"] == "running" and not first_response["breached"]
    urgent = next(t for t in listed if t["priority"] == "urgent")
    assert next(t for t in urgent["timers"] if t["metric"] == "first_response")["target_seconds"] == 900
    assert languages == {"es", "de", "en", "zh", "pt", "fr", "ja"}


# -- the past and the demo's mail ------------------------------------------------------


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The demo's server: its SMTP listener on a free port, replies caught."""
    settings.smtp_listen = f"127.0.0.1:{free_port()}"
    settings.mail_catcher = True
    return settings


def _as_make_run_seeds(ctx: AppContext, demo: DemoWorld, data_dir: Path) -> HistorySummary:
    """What `dragoman demo` seeds, with the chat inbox's FAQ bot and surveys
    on as in the demo (the tests' demo world turns them off)."""
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        assert inbox is not None
        inbox.settings = {**(inbox.settings or {}), "bot": True, "csat": True}
        seed_showcase(db, demo.account_id)
        past = seed_history(db, demo.account_id, data_dir)
        db.commit()
    return past


def test_the_demo_has_weeks_of_history_in_several_languages_and_channels_once(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, settings: Settings
) -> None:
    past = _as_make_run_seeds(ctx, demo, settings.data_dir)
    mailed = [case for case in PAST_CASES if case.channel == "email"]
    assert (past.conversations, past.tickets) == (len(PAST_CASES), len(mailed))
    # Run again (make run twice): nothing more.
    assert _as_make_run_seeds(ctx, demo, settings.data_dir) == HistorySummary(0, 0, 0)
    assert seed_showcase_again(ctx, demo).requests == 0

    base = f"/api/v1/accounts/{demo.account_id}"
    supervisor = as_user(demo.user("supervisor"))
    listed = client.get(f"{base}/tickets", params={"limit": 100}, headers=supervisor).json()["items"]
    by_email = [t for t in listed if t["source"] == "email"]
    assert len(by_email) == len(mailed)
    done = [t for t in by_email if t["status"] in ("solved", "closed")]
    assert len(done) == len([c for c in mailed if c.ends == "resolved"])
    assert {t["language"] for t in done} >= {"en", "es", "zh", "fr", "de", "pt"}
    first_responses = [timer for t in done for timer in t["timers"] if timer["metric"] == "first_response"]
    assert any(timer["breached"] for timer in first_responses) and any(not timer["breached"] for timer in first_responses)
    assert all(timer["state"] == "met" for timer in first_responses)
    overdue = next(t for t in by_email if t["status"] not in ("solved", "closed"))
    assert next(timer for timer in overdue["timers"] if timer["metric"] == "first_response")["breached"]

    surveys = client.get(f"{base}/csat", headers=supervisor).json()
    assert len(surveys) == len([c for c in PAST_CASES if c.rating is not None])
    assert {s["rating"] for s in surveys} >= {1, 3, 5} and any(s["ticket_id"] for s in surveys)

    exchanges = client.get(f"{base}/kb/bot/exchanges", params={"limit": 100}, headers=supervisor).json()
    outcomes = {(e["outcome"], e["reason"]) for e in exchanges}
    assert ("answered", None) in outcomes and ("handoff", "asked_for_person") in outcomes and ("handoff", "low_score") in outcomes
    assert {e["language"] for e in exchanges if e["outcome"] == "answered"} >= {"en", "es", "zh", "ja"}

    # The Live wall's last hour: chats routed and answered, by an agent in time or late.
    wall = client.get(f"{base}/routing/wall", headers=supervisor).json()
    answered = {q["name"]: q["answered_last_hour"] for q in wall["queues"]}
    assert answered["English"] >= 1 and answered["Chinese"] >= 1 and answered["Spanish and Portuguese"] >= 1
    # Nothing of the past is left to send: no mail was caught for it.
    assert client.get(f"{base}/demo/caught-mail", headers=as_user(demo.user("admin"))).json() == []


def seed_showcase_again(ctx: AppContext, demo: DemoWorld) -> ShowcaseSummary:
    with ctx.session_factory() as db:
        summary = seed_showcase(db, demo.account_id)
        db.commit()
    return summary


def test_a_sample_mail_becomes_a_ticket_in_the_email_inbox_and_the_reply_is_caught(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    seed_showcase_again(ctx, demo)
    base = f"/api/v1/accounts/{demo.account_id}"
    admin = as_user(demo.user("admin"))
    # Agents cannot drop demo mail; admins can.
    assert client.post(f"{base}/demo/sample-mail", headers=as_user(demo.user("maria"))).status_code == 403
    dropped = client.post(f"{base}/demo/sample-mail", headers=admin)
    assert dropped.status_code == 201, dropped.text
    sample = dropped.json()
    assert sample["language"] in {mail.language for mail in SAMPLE_MAILS} and sample["ticket_id"]

    ticket = client.get(f"{base}/tickets/{sample['ticket_id']}", headers=admin).json()
    assert ticket["subject"] == sample["subject"] and ticket["source"] == "email"
    conversation = client.get(f"{base}/conversations/{sample['conversation_id']}", headers=admin).json()
    assert conversation["inbox_id"] != demo.inbox_id and conversation["contact"]["email"] == sample["sender"]

    # The agent's reply goes to the catcher, not to a mail server.
    reply = client.post(
        f"{base}/conversations/{sample['conversation_id']}/messages",
        json={"content": "We are on it.", "message_type": "outgoing", "translate": False},
        headers=as_user(demo.user("sam")),
    )
    assert reply.status_code == 201, reply.text
    assert ctx.services["email"].wait_idle()
    caught = client.get(f"{base}/demo/caught-mail", headers=admin).json()
    mine = [m for m in caught if sample["sender"] in m["to"] and not m["automatic"]]
    assert mine and mine[0]["text"] == "We are on it." and sample["subject"] in mine[0]["subject"]
    # "We received your request" went the same way, in the customer's language.
    assert any(m["automatic"] and sample["sender"] in m["to"] for m in caught)

    # Admins find the page in the main navigation: the button, and the caught reply.
    sign_in(client, "admin@demo.dragoman.test")
    assert 'href="/app/demo/mail"' in client.get("/app/tickets").text
    page = client.get("/app/demo/mail")
    assert page.status_code == 200 and 'data-testid="drop-sample-mail"' in page.text and "We are on it." in page.text


def test_sample_mail_is_refused_where_mail_is_not_caught(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    ctx.settings.mail_catcher = False
    response = client.post(f"/api/v1/accounts/{demo.account_id}/demo/sample-mail", headers=as_user(demo.user("admin")))
    assert response.status_code == 409 and "DRAGOMAN_MAIL_CATCHER" in response.json()["message"]

