"""GET /api/health: what a load balancer or a benchmark asks before sending work."""

from __future__ import annotations

from dataclasses import replace

from fastapi.testclient import TestClient

from conftest import DemoWorld, wait_until

from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core.http import AppContext


def test_health_answers_without_a_login_and_says_when_the_bot_has_started(settings: Settings, demo: DemoWorld) -> None:
    # As a server starts: every knowledge base (the demo's here) indexed before the first customer.
    with TestClient(create_app(replace(settings, bot_warm_up=True))) as client:
        _answers_and_becomes_ready(client)


def _answers_and_becomes_ready(client: TestClient) -> None:
    answer = client.get("/api/health")
    assert answer.status_code == 200
    body = answer.json()
    assert body["status"] == "ok"
    assert body["faq_bot"] in {"starting", "ready"}
    wait_until(lambda: client.get("/api/health").json()["faq_bot"] == "ready", timeout=60)


def test_health_counts_messages_waiting_for_translation(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    # With the job runner stopped, the messages' translation jobs wait: that is a backlog.
    ctx.services["jobs"].stop()
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Ines", "language": "pt"}).json()
    headers = {"X-Visitor-Token": visitor["visitor_token"]}
    for text in ("Olá, onde está a minha encomenda?", "Já paguei há uma semana."):
        assert client.post("/widget/api/messages", json={"content": text}, headers=headers).status_code == 201
    assert client.get("/api/health").json()["backlog"]["translation"] == 2
