"""The hot paths cost a fixed number of SQL statements, however much there is.

An N+1 (one query per conversation listed, per message shown) is invisible
with the handful of rows a test makes and costs seconds with a real
account's history. Each path (the conversation list, a customer's message,
the timeline, routing's decision store) is measured at two sizes in one test: the
count must not grow with the rows, and it is pinned, so a change that adds
statements says so here (raise the pin only with a reason).

Statements are counted on the request's threads only: the app's background
threads (translation, routing, the bot) write beside it at their own pace.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from conftest import APP_THREAD_PREFIXES, DemoWorld

from dragoman.conversations import translation_worker
from dragoman.core.http import AppContext
from dragoman.core.clock import utcnow
from dragoman.routing import services as routing
from dragoman.routing.engine import Decision


class StatementCounter:
    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def on_execute(self, *_args: Any) -> None:
        if not threading.current_thread().name.startswith(APP_THREAD_PREFIXES):
            with self._lock:
                self.count += 1


@contextmanager
def statements(ctx: AppContext) -> Iterator[StatementCounter]:
    counter = StatementCounter()
    event.listen(ctx.engine, "before_cursor_execute", counter.on_execute)
    try:
        yield counter
    finally:
        event.remove(ctx.engine, "before_cursor_execute", counter.on_execute)


def _visitor(client: TestClient, demo: DemoWorld, name: str) -> dict[str, str]:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": name, "language": "es"})
    assert visitor.status_code == 201, visitor.text
    return {"X-Visitor-Token": visitor.json()["visitor_token"]}


def _chat(client: TestClient, demo: DemoWorld, name: str) -> int:
    sent = client.post("/widget/api/messages", json={"content": f"Hola, soy {name}"}, headers=_visitor(client, demo, name))
    assert sent.status_code == 201, sent.text
    return int(sent.json()["conversation_id"])


def _first_use(client: TestClient, demo: DemoWorld, headers: dict[str, str]) -> None:
    # A token's first use stores when it was used (once a while after): not part of any path measured.
    assert client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=headers).status_code == 200


def _settled(ctx: AppContext) -> None:
    # Translation and routing of what was just written finish first, so
    # their rows are what the list shows, not what it races.
    assert ctx.services["translation_worker"].wait_idle(30)
    assert ctx.services["routing"].wait_idle(30)


def test_the_conversation_list_costs_the_same_statements_for_3_and_25_conversations(
    client: TestClient, demo: DemoWorld, ctx: AppContext, as_user: Any
) -> None:
    maria = as_user(demo.user("maria"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations"
    _first_use(client, demo, maria)

    def listing_cost() -> tuple[int, int]:
        _settled(ctx)
        with statements(ctx) as counter:
            page = client.get(url, headers=maria, params={"status": "open", "assignee": "all"})
        assert page.status_code == 200, page.text
        return counter.count, len(page.json()["items"])

    for n in range(3):
        _chat(client, demo, f"Cliente {n}")
    small, listed_small = listing_cost()
    for n in range(3, 25):
        _chat(client, demo, f"Cliente {n}")
    large, listed_large = listing_cost()
    assert (listed_small, listed_large) == (3, 25)
    assert large == small, f"the list ran {small} statements for 3 conversations and {large} for 25"
    assert small <= LIST_STATEMENTS, f"the conversation list now runs {small} statements (pinned at {LIST_STATEMENTS})"


def test_a_customer_message_and_the_timeline_cost_the_same_early_and_late_in_a_chat(
    client: TestClient, demo: DemoWorld, ctx: AppContext, as_user: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(translation_worker, "READERS_TTL_SECONDS", 3600.0)
    headers = _visitor(client, demo, "Lucía")
    maria = as_user(demo.user("maria"))
    _first_use(client, demo, maria)

    def send_cost(text: str) -> tuple[int, int]:
        _settled(ctx)
        with statements(ctx) as counter:
            sent = client.post("/widget/api/messages", json={"content": text}, headers=headers)
        assert sent.status_code == 201, sent.text
        return counter.count, int(sent.json()["conversation_id"])

    def timeline_cost(conversation_id: int) -> tuple[int, int]:
        _settled(ctx)
        with statements(ctx) as counter:
            timeline = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages", headers=maria)
        assert timeline.status_code == 200, timeline.text
        return counter.count, len(timeline.json())

    # The first messages of a chat do more (the conversation is made, its
    # language settles); from then on each costs the same.
    for text in ("Hola, tengo una pregunta.", "Es sobre un pedido.", "Lo pedí la semana pasada.", "Y aún no llegó."):
        send_cost(text)
    second, conversation_id = send_cost("¿Dónde está mi pedido?")
    early_timeline, early_messages = timeline_cost(conversation_id)
    for n in range(20):
        send_cost(f"Mensaje número {n}.")
    late, _ = send_cost("¿Sigue ahí alguien?")
    late_timeline, late_messages = timeline_cost(conversation_id)
    assert late_messages > early_messages + 20
    assert late == second, f"a customer's message ran {second} statements as the 5th of its chat and {late} as the 26th"
    assert late_timeline == early_timeline, (
        f"the timeline ran {early_timeline} statements for {early_messages} messages and {late_timeline} for {late_messages}"
    )
    assert second <= RECEIVE_STATEMENTS, f"a customer's message now runs {second} statements (pinned at {RECEIVE_STATEMENTS})"
    assert early_timeline <= TIMELINE_STATEMENTS, f"the timeline now runs {early_timeline} statements (pinned at {TIMELINE_STATEMENTS})"


def test_storing_a_routing_decision_costs_the_same_for_the_1st_and_the_26th_conversation(
    client: TestClient, demo: DemoWorld, ctx: AppContext
) -> None:
    # The demo has no routing queue, so its chats wait unassigned: the
    # decisions are stored here, in the test's thread, as the routing runtime
    # stores each decision of a batch (routing/runtime.py `_apply`).
    maria = demo.user("maria")

    def store_cost(conversation_id: int) -> int:
        _settled(ctx)
        decision = Decision(
            conversation_id=conversation_id,
            outcome="assigned",
            agent_id=maria.id,
            step=1,
            reason={"queue": "Soporte", "rule": "any agent", "why": "least busy", "candidates": [maria.id], "waited_seconds": 4.0},
        )
        with statements(ctx) as counter, ctx.session_factory() as db:
            assert routing.store_decision(db, decision, utcnow()) == routing.STORED
            db.commit()
        return counter.count

    first = store_cost(_chat(client, demo, "Cliente 0"))
    # Twenty-four more conversations held by the same agent, each with its
    # stored decision, and a long chat: nothing the store reads may grow with them.
    for n in range(1, 25):
        store_cost(_chat(client, demo, f"Cliente {n}"))
    headers = _visitor(client, demo, "Lucía")
    for n in range(20):
        sent = client.post("/widget/api/messages", json={"content": f"Mensaje número {n}."}, headers=headers)
        assert sent.status_code == 201, sent.text
    late = store_cost(int(sent.json()["conversation_id"]))
    with ctx.session_factory() as db:
        assert len(routing.list_decisions(db, int(sent.json()["conversation_id"]))) == 1
    assert late == first, f"storing a decision ran {first} statements for the 1st conversation and {late} for the 26th"
    assert first <= DECISION_STATEMENTS, f"storing a routing decision now runs {first} statements (pinned at {DECISION_STATEMENTS})"


# Pinned from the measured counts (see the module's docstring).
LIST_STATEMENTS = 12
# 7, and 1 since translation is a durable job written with the message (its
# row, when a reader needs it; who reads is remembered a few seconds, held
# here for the whole test so that the count does not depend on its pace).
RECEIVE_STATEMENTS = 8
TIMELINE_STATEMENTS = 8
# 11, and 1 for the translation job an assignment writes (the new assignee's
# languages may differ: core/jobs, conversations.translation_worker).
DECISION_STATEMENTS = 12
