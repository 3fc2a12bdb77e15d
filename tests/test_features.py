"""Features plug themselves in: each declares its parts in its feature.py,
`dragoman.features.FEATURES` lists them, and the app wires exactly that list
(routes, listeners, jobs, runtimes started in order and stopped in reverse,
services, health)."""

from __future__ import annotations

import ast
import asyncio
import logging
from dataclasses import dataclass, field, fields
from pathlib import Path

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from conftest import DemoWorld
from dragoman.app import connect_features, create_app
from dragoman.config import Settings
from dragoman.contacts import services as contacts
from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationNeedsTicket, MessageCreated
from dragoman.core import events
from dragoman.core.db import Base
from dragoman.core.features import Feature, Health, Plugged, Runtime, Subscription
from dragoman.core.http import AppContext
from dragoman.features import FEATURES
from dragoman.inboxes.models import Inbox

ROOT = Path(__file__).resolve().parents[1]


def test_every_feature_declares_settings_and_models_that_exist() -> None:
    names = [feature.name for feature in FEATURES]
    assert len(names) == len(set(names))
    known_settings = {f.name for f in fields(Settings)}
    for feature in FEATURES:
        assert set(feature.settings) <= known_settings, feature.name
    # dragoman/models.py (what migrations see) imports exactly the declared model modules.
    tree = ast.parse((ROOT / "dragoman" / "models.py").read_text(encoding="utf-8"))
    imported = {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} - {"dragoman.core.db"}
    declared = {module for feature in FEATURES for module in feature.models}
    assert imported == declared
    # And every table belongs to a module some feature declares.
    owners = {mapper.class_.__module__ for mapper in Base.registry.mappers}
    assert owners <= declared, sorted(owners - declared)


def test_connecting_the_features_twice_changes_nothing() -> None:
    connect_features()
    connect_features()
    assert len(events._reactions[ConversationNeedsTicket.kind]) == 1


def test_the_app_plugs_in_every_feature_of_the_list(ctx: AppContext) -> None:
    """What each feature offers is in the context, and every listener names
    declared event kinds (one nobody publishes would leave it deaf)."""
    for name in ("language", "translation_worker", "faq_bot", "routing", "sla", "email", "webhook_worker", "realtime", "presence"):
        assert name in ctx.services, name
    board = ctx.services["plugboard"]
    assert len(board.plugged) == len(FEATURES)
    for feature, parts in zip(FEATURES, board.plugged):
        for subscription in parts.listeners:
            assert all(events.KINDS[kind.kind] is kind for kind in subscription.kinds), feature.name
    # The writer starts first and stops last; the job runner starts once every feature registered its kinds.
    names = [runtime.name for runtime in board.runtimes]
    assert names[0] == "writer" and names[-1] == "jobs"
    assert names.index("language") < names.index("translation") < names.index("presence")


@dataclass
class Probe:
    """A runtime that writes down when it starts and stops."""

    name: str
    log: list[str]
    fail_stop: bool = False

    def start(self, _loop: asyncio.AbstractEventLoop) -> None:
        self.log.append(f"start {self.name}")

    def stop(self) -> None:
        self.log.append(f"stop {self.name}")
        if self.fail_stop:
            raise RuntimeError(f"{self.name} would not stop")


@dataclass
class Tally:
    """The worked example of docs/architecture.md: counts incoming messages."""

    counts: dict[int, int] = field(default_factory=dict)

    def on_event(self, event: events.Event) -> None:
        assert isinstance(event.payload, MessageCreated)  # the subscription names its kinds
        if event.payload.message.direction == "incoming":
            self.counts[event.account_id] = self.counts.get(event.account_id, 0) + 1


def _tally_feature(started: list[str]) -> Feature:
    def plug(ctx: AppContext) -> Plugged:
        tally = Tally()
        router = APIRouter(prefix="/api/v1/tally")

        @router.get("/{account_id}")
        def count(account_id: int) -> dict[str, int]:
            return {"incoming": tally.counts.get(account_id, 0)}

        first, second, last = Probe("first", started), Probe("second", started, fail_stop=True), Probe("last", started)
        return Plugged(
            routers=[router],
            listeners=[Subscription(tally.on_event, (MessageCreated,))],
            runtimes=[
                Runtime("last", last.start, last.stop, phase="serving"),
                Runtime("first", first.start, first.stop),
                Runtime("second", second.start, second.stop, blocking=True),
            ],
            services={"tally": tally},
            health=Health(backlog={"tally": lambda: len(tally.counts)}),
        )

    return Feature(name="tally", plug=plug)


def test_a_new_feature_is_one_declaration_and_its_runtimes_stop_in_reverse_even_when_one_fails(
    settings: Settings, demo: DemoWorld, caplog: pytest.LogCaptureFixture
) -> None:
    started: list[str] = []
    app: FastAPI = create_app(settings, features=(*FEATURES, _tally_feature(started)))
    ctx: AppContext = app.state.ctx
    with TestClient(app) as client:
        assert started == ["start first", "start second", "start last"]
        # Its listener hears committed messages; its route and health figure answer.
        with ctx.session_factory() as session:
            _one_incoming_message(session, demo)
            session.commit()
        assert client.get(f"/api/v1/tally/{demo.account_id}").json() == {"incoming": 1}
        assert client.get("/api/health").json()["backlog"]["tally"] == 1
        runner = ctx.services["jobs"]
        assert runner.running
    # Stopped in reverse; the failing stop is logged and the rest still stop,
    # the platform's job runner and writer too.
    assert started[3:] == ["stop last", "stop second", "stop first"]
    assert "would not stop" in caplog.text and any(r.levelno == logging.ERROR for r in caplog.records)
    assert not runner.running


def _one_incoming_message(session: Session, demo: DemoWorld) -> None:
    inbox = session.get(Inbox, demo.inbox_id)
    assert inbox is not None
    contact = contacts.create_contact(session, demo.account_id, name="Jun", email=None, language="ja")
    conversation = conversations.start_conversation(session, inbox, contact)
    conversations.receive_incoming_message(session, conversation, "こんにちは")
