"""The app's background threads (the job runner's lanes: surveys, SLA clocks,
webhooks, translation, the FAQ bot; e-mail, routing, the writer): one of each however often the app is
started, and none left once it has stopped. A thread left behind keeps
polling a database that may be gone, and a second one would do each job twice."""

from __future__ import annotations

import threading
from collections import Counter

from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import allow_local_mail_servers, free_port, seed_demo_world, wait_until
from dragoman.core import events
from dragoman.inboxes.events import InboxUpdated
from test_email_channel import make_inbox

APP_THREADS = ("dragoman-jobs-sla", "dragoman-jobs-webhooks", "dragoman-jobs-delivery", "dragoman-jobs", "dragoman-routing", "dragoman-jobs-faq_bot", "dragoman-jobs-translation", "dragoman-writer")


def thread_names() -> set[str]:
    return {t.name for t in threading.enumerate()}


def app_threads() -> Counter[str]:
    return Counter(t.name for t in threading.enumerate() if t.name in APP_THREADS)


def test_starting_the_app_twice_runs_one_thread_of_each_and_stopping_leaves_none(app: FastAPI) -> None:
    with TestClient(app):
        assert app_threads() == Counter(APP_THREADS)
        # A second start on the same app (two servers in one process, or a
        # test's second client) starts nothing more.
        with TestClient(app):
            assert app_threads() == Counter(APP_THREADS)
    assert wait_until(lambda: not app_threads(), timeout=10)


def test_a_mailbox_change_that_arrives_while_the_app_stops_starts_no_reader(app: FastAPI, as_user) -> None:  # type: ignore[no-untyped-def]
    # Seen in CI: an inbox saved just before shutdown restarted its IMAP
    # reader on another thread after the app had stopped its readers; nobody
    # stopped the new one.
    ctx = app.state.ctx
    closed = free_port()  # nothing listens: the reader keeps retrying, as against a mail server that is down
    allow_local_mail_servers(ctx.settings, closed)
    box = {"host": "127.0.0.1", "port": closed, "security": "none", "username": "u", "password": "pw", "poll_seconds": 1, "idle": False}
    with TestClient(app) as client:
        demo = seed_demo_world(ctx)
        inbox = make_inbox(client, demo, as_user(demo.user("admin")), {"address": "late@shop.example", "receive": "imap", "imap": box})
        reader = f"dragoman-imap-{inbox['id']}"
        assert wait_until(lambda: reader in thread_names(), timeout=10)
        runtime = ctx.services["email"]
    assert wait_until(lambda: reader not in thread_names(), timeout=10)
    # The settings change's event, handled after the stop (as a late restart thread would be).
    runtime.on_event(events.Event(demo.account_id, InboxUpdated(inbox_id=inbox["id"])))
    assert wait_until(lambda: "dragoman-imap-restart" not in thread_names(), timeout=10)
    assert reader not in thread_names()
