"""A real `dragoman serve` killed while 50 web-chat customers write to it:
what it acknowledged survives exactly once, and customers' resends after the
restart are never stored twice. And SIGTERM stops it promptly mid-traffic."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from conftest import _empty_all_tables
from dragoman.core.db import make_engine
from dragoman.demo.seed import demo_website_token
from servers import free_port

CUSTOMERS = 50
# Each customer stops after this many messages even if the kill never came.
MESSAGES_EACH = 40
# The server is killed once this many messages were acknowledged: well
# before anyone could have sent all of theirs, so all 50 are mid-chat.
KILL_AFTER_ACKS = 300
REQUEST_TIMEOUT = 30.0
# "Within a few seconds" of SIGTERM, however busy.
SIGTERM_SECONDS = 10.0


def _cli(args: list[str], env: dict[str, str]) -> None:
    done = subprocess.run([sys.executable, "-m", "dragoman.cli", *args], env=env, capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr


@dataclass
class Server:
    env: dict[str, str]
    log: Path
    database_url: str
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "dragoman.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port)],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"dragoman serve exited: {self.log.read_text()[-3000:]}"
            try:
                if httpx.get(f"{self.url}/api/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"dragoman serve did not answer within 60 s: {self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=30)


@pytest.fixture
def server(tmp_path: Path, database_url: str) -> Iterator[Server]:
    """`dragoman serve` over a fresh demo database: on the SQLite run a file
    in its own data directory; on the PostgreSQL run the suite's database."""
    if database_url.startswith("postgresql"):
        _empty_all_tables(database_url)
        url = database_url
    else:
        url = f"sqlite:///{tmp_path / 'dragoman.db'}"
    env = {
        **os.environ,
        "DRAGOMAN_DATA_DIR": str(tmp_path / "data"),
        "DRAGOMAN_DATABASE_URL": url,
        # A killed server cannot stop the Apertium server it would start.
        "DRAGOMAN_APERTIUM": "false",
        "DRAGOMAN_BOT_EMBEDDINGS": "false",
    }
    _cli(["db", "upgrade"], env)
    _cli(["demo"], env)
    running = Server(env, tmp_path / "serve.log", url)
    try:
        yield running
    finally:
        running.stop()


def _website_token(database_url: str) -> str:
    engine = make_engine(database_url)
    try:
        with Session(engine) as db:
            token = demo_website_token(db)
    finally:
        engine.dispose()
    assert token
    return token


@dataclass
class Customer:
    number: int
    token: str
    contact_id: int
    acked: dict[int, int] = field(default_factory=dict)  # message number -> the id the server answered with
    unacked: list[int] = field(default_factory=list)
    # Answers other than 2xx: the server was up and said no.
    refused: list[str] = field(default_factory=list)

    def client_id(self, n: int) -> str:
        return f"crash-{self.number}-{n}"

    def content(self, n: int) -> str:
        return f"customer {self.number}, message {n}"


def _register(base: str, website_token: str) -> list[Customer]:
    customers = []
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        for number in range(CUSTOMERS):
            answer = client.post(f"/widget/api/{website_token}/visitors", json={"name": f"Customer {number}", "language": "en"})
            assert answer.status_code == 201, answer.text
            body = answer.json()
            customers.append(Customer(number, body["visitor_token"], body["contact_id"]))
    return customers


def _send(client: httpx.Client, customer: Customer, n: int) -> httpx.Response:
    return client.post(
        "/widget/api/messages",
        json={"content": customer.content(n), "client_id": customer.client_id(n)},
        headers={"X-Visitor-Token": customer.token},
    )


def _chat_until_failure(base: str, customer: Customer, acks: list[int], enough: threading.Event) -> None:
    """Sends numbered messages one after another until one is not acknowledged."""
    with httpx.Client(base_url=base, timeout=REQUEST_TIMEOUT) as client:
        for n in range(1, MESSAGES_EACH + 1):
            try:
                answer = _send(client, customer, n)
            except httpx.TransportError:
                customer.unacked.append(n)
                return
            if not answer.is_success:
                customer.unacked.append(n)
                customer.refused.append(f"{n}: {answer.status_code} {answer.text[:200]}")
                return
            customer.acked[n] = answer.json()["id"]
            acks.append(n)
            if len(acks) >= KILL_AFTER_ACKS:
                enough.set()


def _stored(database_url: str) -> list[tuple[int, str, int, int]]:
    """(message id, source id, contact id, conversation id) of every incoming web-chat message."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as db:
            rows = db.execute(
                text(
                    "SELECT m.id, m.source_id, c.contact_id, c.id FROM messages m JOIN conversations c ON c.id = m.conversation_id"
                    " WHERE m.source_id LIKE :pattern"
                ),
                {"pattern": "web:%:crash-%"},
            )
            return [(r[0], r[1], r[2], r[3]) for r in rows]
    finally:
        engine.dispose()


def test_acknowledged_messages_survive_a_kill_exactly_once_and_resends_are_not_stored_twice(server: Server) -> None:
    server.start()
    website_token = _website_token(server.database_url)
    customers = _register(server.url, website_token)
    acks: list[int] = []
    enough = threading.Event()
    threads = [
        threading.Thread(target=_chat_until_failure, args=(server.url, customer, acks, enough), daemon=True)
        for customer in customers
    ]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=240), f"only {len(acks)} messages were acknowledged in 4 minutes"
    assert server.process is not None
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(timeout=30)
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not thread.is_alive()
    # Until the kill, 50 customers at once were all served (no 503 "busy").
    assert not [r for c in customers for r in c.refused]
    # Killed mid-chat: customers had messages in flight, none had finished.
    in_flight = sum(len(c.unacked) for c in customers)
    assert in_flight >= CUSTOMERS // 2, in_flight
    assert all(len(c.acked) < MESSAGES_EACH for c in customers)

    server.start()
    after_restart = _stored(server.database_url)
    by_source = Counter(source for _id, source, _contact, _conversation in after_restart)
    for customer in customers:
        for n, message_id in customer.acked.items():
            source = f"web:{customer.contact_id}:{customer.client_id(n)}"
            assert by_source[source] == 1, f"acknowledged {source} is stored {by_source[source]} times"
        for n in customer.unacked:
            assert by_source[f"web:{customer.contact_id}:{customer.client_id(n)}"] <= 1
    stored_ids = {source: message_id for message_id, source, _contact, _conversation in after_restart}
    assert all(
        stored_ids[f"web:{c.contact_id}:{c.client_id(n)}"] == message_id for c in customers for n, message_id in c.acked.items()
    ), "an acknowledged message changed its id"

    # Each customer resends what was never acknowledged, and the last
    # message that was (its acknowledgement might have been lost too).
    with httpx.Client(base_url=server.url, timeout=REQUEST_TIMEOUT) as client:
        for customer in customers:
            last = max(customer.acked, default=None)
            for n in [*customer.unacked, *([last] if last else [])]:
                answer = _send(client, customer, n)
                assert answer.is_success, answer.text
                if n in customer.acked:
                    assert answer.json()["id"] == customer.acked[n], "a resend answered with another message"
                customer.acked[n] = answer.json()["id"]

    final = _stored(server.database_url)
    counts = Counter(source for _id, source, _contact, _conversation in final)
    duplicates = {source: count for source, count in counts.items() if count > 1}
    assert not duplicates, f"stored twice: {sorted(duplicates)[:10]}"
    expected = {f"web:{c.contact_id}:{c.client_id(n)}" for c in customers for n in c.acked}
    assert set(counts) == expected
    # Each message is its sender's, in one conversation per customer.
    owners = {c.client_id(1).rsplit("-", 1)[0]: c.contact_id for c in customers}
    conversations: dict[int, set[int]] = {}
    for _id, source, contact_id, conversation_id in final:
        assert owners[source.split(":", 2)[2].rsplit("-", 1)[0]] == contact_id, source
        conversations.setdefault(contact_id, set()).add(conversation_id)
    assert all(len(ids) == 1 for ids in conversations.values())


def test_sigterm_stops_serve_within_seconds_while_requests_are_in_flight(server: Server) -> None:
    server.start()
    customers = _register(server.url, _website_token(server.database_url))
    acks: list[int] = []
    enough = threading.Event()
    threads = [
        threading.Thread(target=_chat_until_failure, args=(server.url, customer, acks, enough), daemon=True)
        for customer in customers
    ]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=240)
    assert server.process is not None
    asked = time.monotonic()
    server.process.send_signal(signal.SIGTERM)
    code = server.process.wait(timeout=30)
    took = time.monotonic() - asked
    assert code == 0
    assert took < SIGTERM_SECONDS, f"dragoman serve took {took:.1f} s to stop"
    for thread in threads:
        thread.join(timeout=REQUEST_TIMEOUT + 5)
        assert not thread.is_alive()
    # Requests in flight were finished, or cut off by the stop: none failed inside the server.
    assert not [r for c in customers for r in c.refused], [r for c in customers for r in c.refused]
    # What it acknowledged before stopping is stored.
    stored = Counter(source for _id, source, _contact, _conversation in _stored(server.database_url))
    assert all(stored[f"web:{c.contact_id}:{c.client_id(n)}"] == 1 for c in customers for n in c.acked)
