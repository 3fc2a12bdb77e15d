"""Failures that the generated requests (tests/test_api_fuzz.py) and the
crash test (tests/test_crash_safety.py) found, each kept as a plain test."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, func, select, update
from sqlalchemy.orm import sessionmaker

from dragoman.accounts.models import Account
from conftest import DemoWorld
from dragoman.contacts.models import Contact
from dragoman.core.db import Base, SessionWriteLock, is_sqlite, serialize_sqlite_writes
from dragoman.core.http import AppContext
from dragoman.inboxes.models import Inbox
from dragoman.kb.worker import BotWorker


def test_a_writer_waiting_for_a_connection_does_not_hold_the_write_lock(tmp_path: Path) -> None:
    """Found by the crash test: with every pooled connection held by requests
    waiting to write, a background job took the write lock and then waited for
    a connection, so everyone waited on everyone until the 503s came. A
    session must hold its connection before it queues for the lock."""
    engine = create_engine(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=1, max_overflow=0, pool_timeout=10)
    Base.metadata.create_all(engine, tables=[Account.__table__])
    factory = sessionmaker(bind=engine, expire_on_commit=False)
    serialize_sqlite_writes(factory, SessionWriteLock(timeout_seconds=3))
    with factory() as db:
        db.add(Account(name="before"))
        db.commit()

    request = factory()
    request.scalar(select(func.count(Account.id)))  # holds the only connection, as a request that read first
    job_started, job_done = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def background_job() -> None:
        try:
            with factory() as db:
                job_started.set()
                db.execute(update(Account).values(name="renamed"))  # needs a connection: waits for the request's
                db.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            job_done.set()

    job = threading.Thread(target=background_job)
    job.start()
    assert job_started.wait(5)
    job_done.wait(0.5)  # the job is now waiting for the connection
    request.add(Account(name="from the request"))
    request.commit()  # before the fix: waited for the job's lock, then 503
    request.close()
    assert job_done.wait(15)
    job.join()
    assert not failures, failures
    with factory() as db:
        assert sorted(db.scalars(select(Account.name))) == ["renamed", "renamed"]
    engine.dispose()


def test_the_faq_bot_searches_without_holding_the_write_lock(
    client: TestClient, ctx: AppContext, demo: DemoWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Found by the crash test: the bot added its session row before
    searching, so the next read took the SQLite write lock and held it while
    it built indexes and translated; 50 customers' messages then waited 10 s
    and were refused with 503."""
    if not is_sqlite(ctx.settings.database_url):
        pytest.skip("the process-wide write lock exists on SQLite only")
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "bot": True}  # type: ignore[union-attr]
        db.commit()
    others_wrote: list[bool] = []
    search = BotWorker._search

    def search_while_another_writes(self: BotWorker, *args: Any, **kwargs: Any) -> Any:
        writer = threading.Thread(target=_add_contact, args=(ctx, demo.account_id))
        writer.start()
        writer.join(timeout=3)
        others_wrote.append(not writer.is_alive())
        writer.join()
        return search(self, *args, **kwargs)

    monkeypatch.setattr(BotWorker, "_search", search_while_another_writes)
    token = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()["visitor_token"]
    sent = client.post("/widget/api/messages", json={"content": "How do I return an order?"}, headers={"X-Visitor-Token": token})
    assert sent.status_code == 201
    assert ctx.services["faq_bot"].wait_idle(30)
    assert others_wrote == [True]


def _add_contact(ctx: AppContext, account_id: int) -> None:
    with ctx.session_factory() as db:
        db.add(Contact(account_id=account_id, name="written while the bot searched"))
        db.commit()


def test_listeners_hear_a_commit_after_the_write_lock_is_given_back(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    """Found by the crash test: events were published with the committing
    session still holding the SQLite write lock, so a listener that wrote
    (with its own session) waited 10 s for it, and so did every customer."""
    outcomes: list[str] = []

    def write_on_message(event: Any) -> None:
        if event.name == "message.created" and not outcomes:
            started = time.monotonic()
            try:
                _add_contact(ctx, demo.account_id)
                outcomes.append(f"wrote in {time.monotonic() - started:.1f} s")
            except Exception as exc:  # noqa: BLE001 - reported below
                outcomes.append(repr(exc))

    ctx.bus.subscribe(write_on_message)
    token = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()["visitor_token"]
    sent = client.post("/widget/api/messages", json={"content": "Hello"}, headers={"X-Visitor-Token": token})
    assert sent.status_code == 201
    assert len(outcomes) == 1 and outcomes[0].startswith("wrote in 0."), outcomes


def test_the_api_description_documents_errors_in_the_shape_they_are_answered(client: TestClient, demo: DemoWorld) -> None:
    """FastAPI described every 422 as {"detail": [...]}, a shape this API never
    sends, and no other error status at all: a client generated from the
    description could not read a single error."""
    spec = client.get("/api/openapi.json").json()
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    error_shape = spec["components"]["schemas"]["ErrorOut"]
    responses = spec["paths"]["/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages"]["post"]["responses"]
    assert {"400", "401", "403", "404", "409", "413", "422"} <= set(responses)
    assert responses["422"]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorOut"}
    assert set(spec["paths"]["/api/health"]["get"]["responses"]) == {"200"}
    assert "429" in spec["paths"]["/widget/api/files"]["post"]["responses"]

    token = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()["visitor_token"]
    refused = client.post("/widget/api/messages", json={"content": ""}, headers={"X-Visitor-Token": token})
    assert refused.status_code == 422
    assert set(error_shape["required"]) <= set(refused.json()) <= set(error_shape["properties"])
