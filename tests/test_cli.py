"""The `dragoman` command as an admin uses it."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from conftest import wait_until
from servers import free_port


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dragoman.cli", *args], env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def cli_env(tmp_path: Path, database_url: str) -> dict[str, str]:
    """A fresh SQLite file per test, whatever database the suite runs on:
    these tests create schemas from nothing."""
    return {
        **os.environ,
        "DRAGOMAN_DATA_DIR": str(tmp_path),
        "DRAGOMAN_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}",
    }


def _database_made_by(commands: list[list[str]], directory: Path) -> Path:
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(directory), "DRAGOMAN_DATABASE_URL": f"sqlite:///{directory / 'cli.db'}"}
    for command in commands:
        done = _run(command, env)
        assert done.returncode == 0, done.stderr
    return directory / "cli.db"


def _copy_database(made: Path, env: dict[str, str]) -> None:
    """The made database into the test's own file (SQLite's backup: whatever
    is still in its write-ahead log comes too)."""
    with sqlite3.connect(made) as source, sqlite3.connect(env["DRAGOMAN_DATABASE_URL"].removeprefix("sqlite:///")) as target:
        source.backup(target)


# Made once per module and copied into each test's file: migrating from
# scratch (and seeding the demo) is most of a command's time, and
# test_upgrade_demo_and_create_user runs both from nothing.
@pytest.fixture(scope="module")
def migrated_cli_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _database_made_by([["db", "upgrade"]], tmp_path_factory.mktemp("cli-migrated"))


@pytest.fixture(scope="module")
def demo_cli_database(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _database_made_by([["db", "upgrade"], ["demo"]], tmp_path_factory.mktemp("cli-demo"))


def test_upgrade_demo_and_create_user(cli_env: dict[str, str]) -> None:
    upgraded = _run(["db", "upgrade"], cli_env)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "up to date" in upgraded.stdout
    first = _run(["demo"], cli_env)
    assert first.returncode == 0 and "demo account created" in first.stdout
    assert "li.wei@demo.dragoman.test" in first.stdout
    assert "added 4 queues, 4 SLA policies and 7 open requests" in first.stdout
    again = _run(["demo"], cli_env)
    assert again.returncode == 0 and "already present" in again.stdout
    assert "added" not in again.stdout  # nothing seeded twice
    created = _run(
        ["create-user", "--email", "Lin@Example.com", "--name", "Lin", "--role", "admin", "--password", "a-long-password", "--language", "zh-Hans:5"],
        cli_env,
    )
    assert created.returncode == 0, created.stderr
    assert "created admin lin@example.com" in created.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-user", "--email", "not-an-email", "--name", "X", "--password", "long-enough-1"], "email"),
        (["create-user", "--email", "a@b.test", "--name", "X", "--password", "short"], "password"),
        (["create-user", "--email", "a@b.test", "--name", "X", "--password", "long-enough-1", "--account", "999"], "--account 999"),
        (["create-user", "--email", "a@b.test", "--name", "X", "--password", "long-enough-1", "--language", "es:high"], "--language"),
        (["create-user", "--email", "a@b.test", "--name", "X", "--role", "king", "--password", "long-enough-1"], "role"),
        (["no-such-command"], "invalid choice"),
    ],
)
def test_bad_input_exits_2_and_names_the_problem(
    cli_env: dict[str, str], migrated_cli_database: Path, args: list[str], message: str
) -> None:
    _copy_database(migrated_cli_database, cli_env)
    result = _run(args, cli_env)
    assert result.returncode == 2
    assert message in result.stderr


def test_bad_setting_exits_2(cli_env: dict[str, str]) -> None:
    result = _run(["db", "upgrade"], {**cli_env, "DRAGOMAN_SESSION_HOURS": "twelve"})
    assert result.returncode == 2 and "DRAGOMAN_SESSION_HOURS" in result.stderr


def _serve_demo(env: dict[str, str], demo_database: Path) -> tuple[subprocess.Popen[bytes], int]:
    """`dragoman serve` on a free port over a fresh copy of the demo database."""
    _copy_database(demo_database, env)
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "dragoman.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return server, port


def test_serve_answers_on_the_port_it_is_given(cli_env: dict[str, str], demo_cli_database: Path) -> None:
    server, port = _serve_demo(cli_env, demo_cli_database)
    try:
        deadline = time.monotonic() + 30
        answer = None
        while time.monotonic() < deadline:
            try:
                answer = httpx.get(f"http://127.0.0.1:{port}/api/openapi.json", timeout=2)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert answer is not None and answer.status_code == 200
        assert answer.json()["info"]["title"] == "Dragoman"
    finally:
        server.terminate()
        server.wait(timeout=15)


def _children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_stopping_serve_stops_the_apertium_server_it_started(cli_env: dict[str, str], demo_cli_database: Path) -> None:
    """SIGTERM (what systemd and `kill` send) must not leave Apertium's
    server behind: every restart would add one."""
    server, port = _serve_demo(cli_env, demo_cli_database)
    try:
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _answers(f"{base}/api/health"), timeout=60, interval=0.2)
        token = _demo_website_token(cli_env)
        visitor = httpx.post(f"{base}/widget/api/{token}/visitors", json={"name": "Lola", "language": "es"}).json()
        sent = httpx.post(
            f"{base}/widget/api/messages",
            json={"content": "Hola, ¿dónde está mi pedido? Lo pedí hace una semana."},
            headers={"X-Visitor-Token": visitor["visitor_token"]},
        )
        assert sent.status_code == 201
        # The first Spanish message for English-reading agents starts Apertium.
        apertium = wait_until(lambda: _children(server.pid), timeout=60, interval=0.2)
    finally:
        server.terminate()
        assert server.wait(timeout=30) == 0
    wait_until(lambda: not any(_alive(pid) for pid in apertium), timeout=10, interval=0.1)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _demo_website_token(env: dict[str, str]) -> str:
    code = (
        "from dragoman.config import Settings\n"
        "from dragoman.core.db import make_engine, make_session_factory\n"
        "from dragoman.demo.seed import demo_website_token\n"
        "factory = make_session_factory(make_engine(Settings.from_env().database_url))\n"
        "with factory() as db: print(demo_website_token(db))\n"
    )
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout.strip()
