"""Test setup: a real database (a SQLite file, or a PostgreSQL server this
setup starts), the app, a live server for browser tests, and the demo world.

DRAGOMAN_TEST_DATABASE=sqlite|postgresql picks the database; `make test`
runs the whole suite once with each.
"""

from __future__ import annotations

import copy
import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from pathlib import Path

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Table, text
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.core import security
from dragoman.accounts.models import User
from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core.db import Base, make_engine
from dragoman.core.events import Event
from dragoman.core.http import AppContext
from dragoman.core.migrate import upgrade_database
from dragoman.demo.seed import DEMO_PASSWORD, DemoSummary, seed_demo
from dragoman.inboxes.models import Inbox
from servers import CHROMIUM_ARGS, chromium_executable, free_port, start_postgres

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

DEMO_PASSWORD = DEMO_PASSWORD

# Every test's world has six users, and scrypt at the product's cost (N=2^14,
# chosen to slow down guessing) was a third of building it. The cost is stored
# in each hash and verification reads it from there, so hashing and checking
# behave the same at a lower cost; only the guessing cost, which no test
# measures, differs.
security._SCRYPT_N = 2**8


def _backend() -> str:
    backend = os.environ.get("DRAGOMAN_TEST_DATABASE", "sqlite")
    if backend not in ("sqlite", "postgresql"):
        raise pytest.UsageError(f"DRAGOMAN_TEST_DATABASE must be sqlite or postgresql, got {backend!r}")
    return backend


@pytest.fixture(scope="session")
def test_output_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where screenshots and other artefacts go (test-output/<backend>/ under make test)."""
    configured = os.environ.get("DRAGOMAN_TEST_OUTPUT")
    path = Path(configured) if configured else Path("test-output") / _backend()
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per test run: migrations are tested on every run."""
    if _backend() == "postgresql":
        server = start_postgres(tmp_path_factory.mktemp("postgres"))
        try:
            upgrade_database(server.url)
            yield server.url
        finally:
            server.stop()
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'dragoman.db'}"
        upgrade_database(url)
        _EMPTY_SQLITE[url] = _sqlite_image(url)
        yield url


# The migrated, empty SQLite database of this run, by URL: copied back page by
# page (SQLite's backup API, one write transaction) instead of emptying each
# table, a fifth of the time; a copy that starts ids afresh, as a new install does.
_EMPTY_SQLITE: dict[str, sqlite3.Connection] = {}


def _sqlite_path(database_url: str) -> str:
    return database_url.removeprefix("sqlite:///")


def _sqlite_image(database_url: str) -> sqlite3.Connection:
    """The SQLite database as it is now, copied into memory."""
    image = sqlite3.connect(":memory:", check_same_thread=False)
    with sqlite3.connect(_sqlite_path(database_url), timeout=30) as source:
        source.backup(image)
    return image


def _write_sqlite_image(image: sqlite3.Connection, database_url: str) -> None:
    """Replaces the database's content with the image's. The app's open
    connections stay valid: the backup is an ordinary write transaction, and
    it changes the schema version, so prepared statements are made again."""
    target = sqlite3.connect(_sqlite_path(database_url), timeout=30)
    try:
        image.backup(target)
    finally:
        target.close()


def _empty_all_tables(database_url: str) -> None:
    if (empty := _EMPTY_SQLITE.get(database_url)) is not None:
        _write_sqlite_image(empty, database_url)
        return
    engine = make_engine(database_url)
    try:
        with engine.begin() as connection:
            names = [table.name for table in reversed(Base.metadata.sorted_tables)]
            if database_url.startswith("postgresql"):
                connection.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                for name in names:
                    connection.execute(text(f"DELETE FROM {name}"))
    finally:
        engine.dispose()


def settings_for_tests(database_url: str, data_dir: Path, **changes: Any) -> Settings:
    """The settings every test's app starts from; `changes` override them."""
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": "test-secret-key-not-for-production",
        "data_dir": data_dir,
        "webhook_backoff_seconds": 0.05,
        # Word matching only: the embedding model costs seconds per index; the
        # FAQ bot tests that need it ask for it.
        "bot_embeddings": False,
        # Indexes built on first use: most tests never ask the bot anything, and
        # building at start cost each test half a second of a core and a wait at stop.
        "bot_warm_up": False,
    }
    return Settings(**{**values, **changes})


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Iterator[Settings]:
    _empty_all_tables(database_url)
    yield settings_for_tests(database_url, tmp_path)


@pytest.fixture
def app(settings: Settings) -> FastAPI:
    return create_app(settings)


@pytest.fixture
def ctx(app: FastAPI) -> AppContext:
    return app.state.ctx  # type: ignore[no-any-return]


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as test_client:
        # The FAQ bot hands every customer over while it starts (milliseconds
        # with word matching): tests begin once it is ready.
        assert app.state.ctx.services["faq_bot"].wait_ready(30)
        yield test_client


@pytest.fixture
def db(ctx: AppContext) -> Iterator[Session]:
    with ctx.session_factory() as session:
        yield session


@dataclass
class DemoWorld:
    account_id: int
    inbox_id: int
    website_token: str
    users: dict[str, User]  # by the part of the e-mail before the "@"

    def user(self, who: str) -> User:
        return self.users[who]


@pytest.fixture
def demo(ctx: AppContext, demo_rows: DemoRows) -> DemoWorld:
    """The demo account that `dragoman demo` creates, restored from the run's snapshot."""
    return restore_demo_world(ctx, demo_rows)


def seed_demo_world(ctx: AppContext) -> DemoWorld:
    """Seeds the demo through the product's own code (what `dragoman demo` does)."""
    with ctx.session_factory() as session:
        summary = _seed_demo_for_tests(session)
        users = {u.email.split("@")[0]: u for u in accounts.list_users(session, summary.account_id)}
    return DemoWorld(summary.account_id, summary.inbox_id, summary.website_token, users)


def _seed_demo_for_tests(session: Session) -> DemoSummary:
    summary = seed_demo(session)
    # The demo inbox's FAQ bot (and its surveys) would answer the customer messages of tests
    # about other features; tests/test_bot*.py turn it back on.
    inbox = session.get(Inbox, summary.inbox_id)
    inbox.settings = {**(inbox.settings or {}), "bot": False, "csat": False}
    session.commit()
    return summary


@dataclass(frozen=True)
class DemoRows:
    """Every row `seed_demo` wrote, table by table in dependency order."""

    summary: DemoSummary
    tables: tuple[tuple[Table, tuple[dict[str, Any], ...]], ...]
    # What the seed published after its commits: the running app's routing,
    # realtime hub and the rest learn of the restored world as they learned of the seeded one.
    events: tuple[Event, ...]
    # On SQLite, the whole database with the demo in it: restored in one copy.
    sqlite_image: sqlite3.Connection | None = None


@pytest.fixture(scope="session")
def demo_rows(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> DemoRows:
    """The demo world, seeded once per run by the product's own seed into the
    empty test database and read back: seeding it for each test (hundreds of
    statements) was a third of a test's setup. Each test gets exactly these
    rows, written in one transaction, and the same events (`restore_demo_world`)."""
    _empty_all_tables(database_url)
    settings = settings_for_tests(database_url, tmp_path_factory.mktemp("demo-seed"))
    # The app's own sessions (write lock, transaction hooks, events), never started.
    seeding = create_app(settings).state.ctx
    published: list[Event] = []
    seeding.bus.subscribe(published.append)
    try:
        with seeding.session_factory() as session:
            summary = _seed_demo_for_tests(session)
        with seeding.engine.connect() as connection:
            tables = tuple(
                (table, tuple(dict(row) for row in connection.execute(table.select()).mappings()))
                for table in Base.metadata.sorted_tables
            )
    finally:
        seeding.engine.dispose()
    image = _sqlite_image(database_url) if database_url in _EMPTY_SQLITE else None
    _empty_all_tables(database_url)
    return DemoRows(summary, tuple((table, rows) for table, rows in tables if rows), tuple(published), image)


def restore_demo_world(ctx: AppContext, snapshot: DemoRows) -> DemoWorld:
    """Writes the demo's rows into the (empty) test database and publishes its events."""
    copied = snapshot.sqlite_image is not None and ctx.settings.database_url in _EMPTY_SQLITE
    if copied:
        _write_sqlite_image(snapshot.sqlite_image, ctx.settings.database_url)  # type: ignore[arg-type]
    with ctx.session_factory() as session:
        for table, rows in () if copied else snapshot.tables:
            session.execute(table.insert(), list(rows))
        if ctx.settings.database_url.startswith("postgresql"):
            # Rows came with their ids: the sequences continue after them.
            for table, _rows in snapshot.tables:
                if "id" in table.c and table.c.id.primary_key:
                    session.execute(
                        text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), (SELECT max(id) FROM {table.name}))")
                    )
        session.commit()
        summary = snapshot.summary
        users = {u.email.split("@")[0]: u for u in accounts.list_users(session, summary.account_id)}
    for event in snapshot.events:
        ctx.bus.publish(copy.deepcopy(event))
    return DemoWorld(summary.account_id, summary.inbox_id, summary.website_token, users)


def api_token(ctx: AppContext, user: User, name: str = "tests") -> str:
    with ctx.session_factory() as session:
        token, _row = accounts.create_api_token(session, session.get(User, user.id), name)  # type: ignore[arg-type]
        session.commit()
    return token


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def as_user(ctx: AppContext):  # type: ignore[no-untyped-def]
    """`as_user(user)` gives request headers that act as that user (an API token)."""

    def headers_for(user: User) -> dict[str, str]:
        return bearer(api_token(ctx, user))

    return headers_for


@dataclass
class LiveServer:
    url: str
    app: FastAPI

    @property
    def ctx(self) -> AppContext:
        return self.app.state.ctx  # type: ignore[no-any-return]


@pytest.fixture
def live_server(app: FastAPI) -> Iterator[LiveServer]:
    """The app on a real port, served by uvicorn in a thread, for browsers and sockets."""
    with serve_in_thread(app) as server:
        # As for the test client: customers' messages find the FAQ bot ready.
        assert app.state.ctx.services["faq_bot"].wait_ready(30)
        yield server


@contextmanager
def serve_in_thread(app: FastAPI) -> Iterator[LiveServer]:
    """Serves `app` with uvicorn on a free loopback port until the block ends."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", ws="websockets-sansio")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield LiveServer(url=f"http://127.0.0.1:{port}", app=app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def wait_until(predicate, timeout: float = 5.0, interval: float = 0.02):  # type: ignore[no-untyped-def]
    """Polls `predicate` until it returns something truthy; fails the test otherwise."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(interval)


__all__ = ["DemoWorld", "LiveServer", "allow_local_mail_servers", "api_token", "bearer", "wait_until", "Inbox", "httpx"]


class MailCatcher:
    """A customer's mail server (aiosmtpd on 127.0.0.1): keeps what it is sent."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.port = free_port()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content or envelope.content)
        return "250 OK"


def allow_local_mail_servers(settings: Settings, *ports: int) -> None:
    """The tests' mail servers listen on 127.0.0.1, which a new install does
    not let accounts reach (core/outbound.py): allow exactly their ports, as
    an operator allows an on-premises relay (DRAGOMAN_OUTBOUND_ALLOW=127.0.0.1:25).
    Read at every connection, so an app already running sees it."""
    entries = [settings.outbound_allow] if settings.outbound_allow else []
    settings.outbound_allow = ", ".join(entries + [f"127.0.0.1:{port}" for port in ports])


@pytest.fixture
def mail_catcher(settings: Settings) -> Iterator[MailCatcher]:
    """A mail server on 127.0.0.1 that the install allows (its port only)."""
    from aiosmtpd.controller import Controller

    catcher = MailCatcher()
    allow_local_mail_servers(settings, catcher.port)
    controller = Controller(catcher, hostname="127.0.0.1", port=catcher.port)
    controller.start()
    yield catcher
    controller.stop()


# Threads an app starts in its lifespan; named so a test can tell them apart.
APP_THREAD_PREFIXES = ("dragoman-", "webhook-worker")


def running_app_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(APP_THREAD_PREFIXES)]


@pytest.fixture(autouse=True)
def no_app_thread_outlives_its_test() -> Iterator[None]:
    """Every test stops what its apps started. A thread left behind keeps
    polling a database the test setup may have dropped (seen once as an SLA
    thread failing after PostgreSQL stopped), and can act in a later test."""
    before = set(running_app_threads())
    yield
    deadline = time.monotonic() + 10
    while (left := [t.name for t in running_app_threads() if t not in before]) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not left, f"threads still running after the test: {sorted(left)}"


class SharedChromium:
    """One Chromium for a run of consecutive browser tests: starting Playwright's
    driver and the browser cost seconds, once per module before. Closed when a
    test that does not drive the browser comes next, because Playwright's sync
    API leaves its event loop marked as running in the main thread, where
    other tests call asyncio.run (tests/test_writer.py, test_realtime.py)."""

    def __init__(self) -> None:
        self._playwright: Any = None  # the sync_playwright() context manager
        self.browser: Browser | None = None

    def get(self) -> Browser:
        if self.browser is None:
            from playwright.sync_api import sync_playwright

            self._playwright = sync_playwright()
            playwright: Playwright = self._playwright.__enter__()
            self.browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        return self.browser

    def close(self) -> None:
        if self._playwright is None:
            return
        try:
            if self.browser is not None:
                self.browser.close()
        finally:
            self._playwright.__exit__(None, None, None)
            self._playwright, self.browser = None, None


SHARED_CHROMIUM = SharedChromium()


def pytest_runtest_setup(item: pytest.Item) -> None:
    # Also before a test that starts its own Playwright (tests/test_kb_help_center.py):
    # a second sync API in the thread refuses to start beside a running one.
    if "browser" not in getattr(item, "fixturenames", ()):
        SHARED_CHROMIUM.close()


def pytest_sessionfinish(session: pytest.Session) -> None:
    SHARED_CHROMIUM.close()


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Chromium through Playwright, shared with the browser tests around this
    one (SharedChromium); what a test opened in it is closed after the test."""
    chromium = SHARED_CHROMIUM.get()
    yield chromium
    for context in chromium.contexts:
        context.close()
