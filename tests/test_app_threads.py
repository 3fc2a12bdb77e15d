"""The app's background threads (SLA clocks, CSAT surveys, e-mail, routing,
the FAQ bot, translation, the writer): one of each however often the app is
started, and none left once it has stopped. A thread left behind keeps
polling a database that may be gone, and a second one would do each job twice."""

from __future__ import annotations

import threading
from collections import Counter

from fastapi import FastAPI
from fastapi.testclient import TestClient

from conftest import wait_until

APP_THREADS = ("dragoman-sla", "dragoman-csat", "dragoman-email-send", "dragoman-routing", "dragoman-faq-bot", "dragoman-translation", "dragoman-writer")


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
