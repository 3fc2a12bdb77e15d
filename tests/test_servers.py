"""The throwaway servers the suite relies on really start, answer and stop."""

from __future__ import annotations

import socket
from pathlib import Path

import psycopg
import pytest

from servers import (
    CHROMIUM_ARGS,
    chromium_executable,
    free_port,
    start_postgres,
    start_redis,
)


def _libpq(url: str) -> str:
    # psycopg takes a libpq URI, without SQLAlchemy's "+driver" part.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def test_free_port_is_bindable() -> None:
    port = free_port()
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", port))


def test_postgres_serves_queries_and_creates_databases(tmp_path: Path) -> None:
    server = start_postgres(tmp_path)
    try:
        assert server.url == f"postgresql+psycopg://postgres@127.0.0.1:{server.port}/dragoman_test"
        with psycopg.connect(_libpq(server.url)) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            # The settings that make the throwaway cluster fast must actually apply.
            assert conn.execute("show fsync").fetchone() == ("off",)
            assert conn.execute("show synchronous_commit").fetchone() == ("off",)
            assert conn.execute("show listen_addresses").fetchone() == ("127.0.0.1",)
            assert conn.execute("show server_encoding").fetchone() == ("UTF8",)

        url = server.create_database("dragoman_fresh")
        assert url.endswith(f":{server.port}/dragoman_fresh")
        with psycopg.connect(_libpq(url)) as conn:
            assert conn.execute("select current_database()").fetchone() == ("dragoman_fresh",)
            # Non-ASCII case folding is what the C.UTF-8 ctype is for.
            assert conn.execute("select lower('ПРИВЕТ Ünïcode')").fetchone() == ("привет ünïcode",)

        with pytest.raises(ValueError):
            server.create_database("bad; drop database dragoman_test")
    finally:
        server.stop()

    assert not server.runtime_dir.exists()
    assert (tmp_path / "postgres.log").is_file()
    with pytest.raises(psycopg.OperationalError):
        psycopg.connect(_libpq(server.url), connect_timeout=2)
    server.stop()  # Idempotent: a fixture finalizer and atexit may both call it.


def test_redis_answers_ping(tmp_path: Path) -> None:
    server = start_redis(tmp_path)
    try:
        assert server.url == f"redis://127.0.0.1:{server.port}/0"
        with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
            sock.sendall(b"PING\r\n")
            assert sock.recv(64).startswith(b"+PONG")
    finally:
        server.stop()
    assert server.process.poll() is not None
    server.stop()


def test_chromium_is_installed() -> None:
    path = chromium_executable()
    assert Path(path).is_file()
    assert "--headless=new" in CHROMIUM_ARGS and "--no-sandbox" in CHROMIUM_ARGS
