"""Throwaway PostgreSQL / Redis / Dovecot servers and the Chromium lookup for the test suite.

This is a plain helper module, not a conftest: the suite's conftest imports it and
decides the fixture scopes. Every function raises RuntimeError when a component is
missing instead of skipping, because in CI a missing component must fail the run
(``make install`` is what provides them).
"""

from __future__ import annotations

import atexit
import os
import pwd
import re
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "CHROMIUM_ARGS",
    "DovecotServer",
    "PostgresServer",
    "RedisServer",
    "chromium_executable",
    "free_port",
    "start_dovecot",
    "start_postgres",
    "start_redis",
]

# Debian's PostgreSQL packages put each major version's server binaries here;
# they are not on PATH (only the pg_wrapper client scripts are).
POSTGRES_BIN_GLOB = "/usr/lib/postgresql/*/bin"
POSTGRES_DATABASE = "dragoman_test"
POSTGRES_SUPERUSER = "postgres"
# The system account Debian's postgresql package creates. initdb and postgres
# refuse to run as root, so when the tests run as root the server runs as this user.
POSTGRES_SYSTEM_USER = "postgres"

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS: list[str] = [
    "--headless=new",
    # Root in a container has no user namespace for the sandbox.
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    # The rest keep Chromium from reaching out to Google or showing first-run UI,
    # which would be flaky (no internet) and slow in CI.
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # Containers often have a 64 MiB /dev/shm, which crashes renderers.
    "--disable-dev-shm-usage",
]

_START_ATTEMPTS = 3  # free_port() can race with another process; retry on a new port.
_DATABASE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that was free a moment ago.

    The port is released before returning, so another process may grab it first;
    the start_* functions retry on a new port when that happens.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def chromium_executable() -> str:
    """Path of Debian's Chromium, which Playwright drives instead of its own download."""
    for candidate in CHROMIUM_CANDIDATES:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError(
        "Chromium not found (looked for "
        + ", ".join(CHROMIUM_CANDIDATES)
        + "); install the Debian package 'chromium' (make install does this)."
    )


def _terminate(process: subprocess.Popen[bytes]) -> None:
    """Stop a server process: politely, then for good after ten seconds."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError as exc:
        return f"(could not read {path}: {exc})"


# --------------------------------------------------------------------------- PostgreSQL


def _postgres_bin_dir() -> Path:
    """The bin directory of the highest installed PostgreSQL major version."""
    candidates: list[tuple[int, Path]] = []
    for bin_dir in Path("/").glob(POSTGRES_BIN_GLOB.lstrip("/")):
        version = bin_dir.parent.name
        if (
            version.isdigit()
            and (bin_dir / "initdb").is_file()
            and (bin_dir / "pg_ctl").is_file()
        ):
            candidates.append((int(version), bin_dir))
    if not candidates:
        raise RuntimeError(
            f"PostgreSQL server binaries not found in {POSTGRES_BIN_GLOB}; "
            "install the Debian package 'postgresql' (make install does this)."
        )
    return max(candidates)[1]


@dataclass
class PostgresServer:
    """A running throwaway PostgreSQL cluster; call stop() when done."""

    port: int
    bin_dir: Path
    runtime_dir: Path  # holds the data dir, the unix socket and the server log
    log_copy: Path  # where stop() leaves the server log for post-mortems
    database: str = POSTGRES_DATABASE
    _run_as: list[str] = field(default_factory=list, repr=False)
    _stopped: bool = field(default=False, repr=False)

    @property
    def data_dir(self) -> Path:
        return self.runtime_dir / "data"

    @property
    def log_path(self) -> Path:
        return self.runtime_dir / "postgres.log"

    @property
    def url(self) -> str:
        """SQLAlchemy URL (psycopg 3 driver) of the dragoman_test database."""
        return self.url_for(self.database)

    def url_for(self, name: str) -> str:
        return f"postgresql+psycopg://{POSTGRES_SUPERUSER}@127.0.0.1:{self.port}/{name}"

    def conninfo(self, name: str | None = None) -> str:
        """libpq connection string, for talking to the server with psycopg directly."""
        return (
            f"host=127.0.0.1 port={self.port} user={POSTGRES_SUPERUSER} "
            f"dbname={name or self.database}"
        )

    def create_database(self, name: str) -> str:
        """Create an empty database and return its SQLAlchemy URL."""
        # Tests pass literal names; the check keeps the identifier unambiguous
        # and within PostgreSQL's 63-byte limit instead of silently truncating.
        if not _DATABASE_NAME.match(name):
            raise ValueError(f"invalid test database name {name!r}")
        import psycopg  # Imported here so this module stays importable without it.
        from psycopg import sql

        # CREATE DATABASE cannot run inside a transaction block, hence autocommit.
        with psycopg.connect(self.conninfo("postgres"), autocommit=True) as conn:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_for(name)

    def stop(self) -> None:
        """Stop the server and delete its files, keeping a copy of the log. Idempotent."""
        if self._stopped:
            return
        self._stopped = True
        try:
            if (self.data_dir / "postmaster.pid").exists():
                # Immediate mode: the data is thrown away, so a clean checkpoint is wasted time.
                subprocess.run(
                    [*self._run_as, str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.data_dir),
                     "-m", "immediate", "-w", "-t", "30"],
                    cwd=self.runtime_dir,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    check=False,
                )
        finally:
            if self.log_path.exists():
                try:
                    self.log_copy.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(self.log_path, self.log_copy)
                except OSError:
                    pass  # The log is a debugging aid; losing it must not mask the test result.
            shutil.rmtree(self.runtime_dir, ignore_errors=True)


def start_postgres(base_dir: Path) -> PostgresServer:
    """Start a private PostgreSQL cluster on 127.0.0.1 with a `dragoman_test` database.

    When running as root, the cluster runs as the `postgres` system user (initdb
    refuses root). Its files live in a fresh directory under the system temp dir,
    not under ``base_dir``: the postgres user must be able to traverse every parent
    directory, and pytest's base temp dir is mode 0700 and owned by root; a short
    path also keeps the unix socket under the 107-byte sun_path limit. ``base_dir``
    receives the server log (postgres.log) when the server stops.
    """
    bin_dir = _postgres_bin_dir()
    base_dir = Path(base_dir)
    base_dir.mkdir(parents=True, exist_ok=True)

    run_as: list[str] = []
    owner: pwd.struct_passwd | None = None
    if os.geteuid() == 0:
        try:
            owner = pwd.getpwnam(POSTGRES_SYSTEM_USER)
        except KeyError:
            raise RuntimeError(
                f"running as root but there is no '{POSTGRES_SYSTEM_USER}' system user; "
                "install the Debian package 'postgresql' (make install does this)."
            ) from None
        runuser = shutil.which("runuser") or "/usr/sbin/runuser"
        run_as = [runuser, "-u", POSTGRES_SYSTEM_USER, "--"]

    runtime_dir = Path(tempfile.mkdtemp(prefix="dragoman-pg-"))
    if owner is not None:
        os.chown(runtime_dir, owner.pw_uid, owner.pw_gid)

    server = PostgresServer(
        port=0,
        bin_dir=bin_dir,
        runtime_dir=runtime_dir,
        log_copy=base_dir / "postgres.log",
        _run_as=run_as,
    )
    # If the test process dies before stop() (e.g. Ctrl-C), the server would keep
    # running as another user and outlive pytest.
    atexit.register(server.stop)
    try:
        _initdb(server)
        _start_cluster(server)
        server.create_database(POSTGRES_DATABASE)
    except BaseException:
        server.stop()
        raise
    return server


def _run_checked(server: PostgresServer, args: list[str], what: str) -> None:
    # cwd inside the runtime dir: the postgres user usually cannot read the caller's cwd.
    result = subprocess.run(
        [*server._run_as, *args],
        cwd=server.runtime_dir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"{what} failed (exit {result.returncode}):\n{result.stdout}{result.stderr}"
            f"\n--- server log ---\n{_tail(server.log_path)}"
        )


def _initdb(server: PostgresServer) -> None:
    _run_checked(
        server,
        [
            str(server.bin_dir / "initdb"),
            "-D", str(server.data_dir),
            "-U", POSTGRES_SUPERUSER,
            # Trust for local socket and 127.0.0.1/::1: the server is private to this run.
            "--auth=trust",
            "--encoding=UTF8",
            # C.UTF-8 (built into glibc >= 2.35): code-point collation that does not
            # depend on installed locales, while lower()/ILIKE still handle non-ASCII text.
            "--locale=C.UTF-8",
            "--no-sync",
            "--no-instructions",
        ],
        "initdb",
    )
    settings = {
        "listen_addresses": "'127.0.0.1'",
        "unix_socket_directories": f"'{server.runtime_dir}'",
        # Durability is pointless for a throwaway cluster and costs most of the test time.
        "fsync": "off",
        "full_page_writes": "off",
        "synchronous_commit": "off",
    }
    # Written by us (root or the same user); appending keeps the file's owner.
    with open(server.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
        conf.write("\n# dragoman tests (tests/servers.py)\n")
        for key, value in settings.items():
            conf.write(f"{key} = {value}\n")


def _start_cluster(server: PostgresServer) -> None:
    last_error: RuntimeError | None = None
    for _ in range(_START_ATTEMPTS):
        server.port = free_port()
        try:
            _run_checked(
                server,
                [
                    str(server.bin_dir / "pg_ctl"), "start",
                    "-D", str(server.data_dir),
                    "-l", str(server.log_path),
                    # The port goes on the command line so a retry can pick another one.
                    "-o", f"-p {server.port}",
                    "-w", "-t", "60",
                ],
                "pg_ctl start",
            )
            return
        except RuntimeError as exc:
            last_error = exc
            if "already in use" not in _tail(server.log_path):
                raise
    assert last_error is not None
    raise last_error


# --------------------------------------------------------------------------- Redis


def _redis_executable() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if os.access("/usr/bin/redis-server", os.X_OK):
        return "/usr/bin/redis-server"
    raise RuntimeError(
        "redis-server not found; install the Debian package 'redis-server' "
        "(make install does this)."
    )


def _redis_ping(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(64).startswith(b"+PONG")
    except OSError:
        return False


@dataclass
class RedisServer:
    """A running throwaway redis-server; call stop() when done."""

    port: int
    process: subprocess.Popen[bytes]
    work_dir: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def log_path(self) -> Path:
        return self.work_dir / "redis.log"

    def stop(self) -> None:
        """Terminate the server. Idempotent; the log stays in work_dir."""
        if self._stopped:
            return
        self._stopped = True
        _terminate(self.process)


def start_redis(base_dir: Path, startup_timeout: float = 15.0) -> RedisServer:
    """Start redis-server on 127.0.0.1 with persistence off; files go in base_dir/redis."""
    executable = _redis_executable()
    work_dir = Path(base_dir) / "redis"
    work_dir.mkdir(parents=True, exist_ok=True)
    log_path = work_dir / "redis.log"

    for _ in range(_START_ATTEMPTS):
        port = free_port()
        with open(log_path, "ab") as log:
            process = subprocess.Popen(
                [
                    executable,
                    "--port", str(port),
                    "--bind", "127.0.0.1",
                    "--save", "",
                    "--appendonly", "no",
                    "--daemonize", "no",
                    # Its working dir would otherwise be the caller's cwd (the repo).
                    "--dir", str(work_dir),
                ],
                cwd=work_dir,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        server = RedisServer(port=port, process=process, work_dir=work_dir)
        atexit.register(server.stop)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if _redis_ping(port):
                return server
            time.sleep(0.05)
        server.stop()
        log_tail = _tail(log_path)
        if process.returncode is not None and "Address already in use" in log_tail:
            continue  # Lost the free_port() race; try another port.
        raise RuntimeError(
            f"redis-server did not answer PING on port {port} within {startup_timeout}s "
            f"(exit status {process.returncode}).\n--- log ---\n{log_tail}"
        )
    raise RuntimeError(f"redis-server could not bind a free port after {_START_ATTEMPTS} tries")


# --------------------------------------------------------------------------- Dovecot (IMAP)

DOVECOT_CANDIDATES = ("/usr/sbin/dovecot",)


@dataclass
class DovecotServer:
    """A running throwaway Dovecot serving IMAP on 127.0.0.1: `port` plain (and
    STARTTLS), `tls_port` TLS from the first byte with `cert_path` as its
    certificate. Users log in with a password set by add_user()."""

    port: int
    tls_port: int
    process: subprocess.Popen[bytes]
    work_dir: Path
    cert_path: Path
    _stopped: bool = field(default=False, repr=False)

    @property
    def log_path(self) -> Path:
        return self.work_dir / "dovecot.log"

    def add_user(self, name: str, password: str) -> None:
        # passwd-file is read at each login: no reload needed.
        with open(self.work_dir / "users", "a", encoding="utf-8") as users:
            users.write(f"{name}:{{PLAIN}}{password}\n")

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        _terminate(self.process)
        # Its directory lives outside pytest's (see start_dovecot), so nothing
        # else would remove it: each run left one in the temporary directory.
        shutil.rmtree(self.work_dir, ignore_errors=True)


def _dovecot_executable() -> str:
    for candidate in DOVECOT_CANDIDATES:
        if os.access(candidate, os.X_OK):
            return candidate
    raise RuntimeError("dovecot not found; install the Debian package 'dovecot-imapd' (make install does this).")


def _self_signed_certificate(work_dir: Path) -> tuple[Path, Path]:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError("openssl not found; install the Debian package 'openssl' (make install does this).")
    cert, key = work_dir / "cert.pem", work_dir / "key.pem"
    subprocess.run(
        [
            openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def _imap_greets(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as sock:
            return sock.recv(64).startswith(b"* OK")
    except OSError:
        return False


def start_dovecot(startup_timeout: float = 15.0) -> DovecotServer:
    """Dovecot with its configuration, mail and state in a new directory under
    the system's temporary directory: its unprivileged processes must reach
    them, and pytest's own temporary directories are private (0700).
    As root, mail is kept by Debian's 'dovecot' system user (Dovecot refuses
    root); otherwise by the user running the tests."""
    executable = _dovecot_executable()
    work_dir = Path(tempfile.mkdtemp(prefix="dragoman-dovecot-"))
    os.chmod(work_dir, 0o755)
    (work_dir / "mail").mkdir(exist_ok=True)
    (work_dir / "users").touch()
    cert, key = _self_signed_certificate(work_dir)
    os.chmod(key, 0o600)
    if os.geteuid() == 0:
        mail_user = pwd.getpwnam("dovecot")
        os.chown(work_dir / "mail", mail_user.pw_uid, mail_user.pw_gid)
        users_lines = ""
    else:
        mail_user = pwd.getpwuid(os.geteuid())
        users_lines = f"default_login_user = {mail_user.pw_name}\ndefault_internal_user = {mail_user.pw_name}\n"
    log_path = work_dir / "dovecot.log"
    for _ in range(_START_ATTEMPTS):
        port, tls_port = free_port(), free_port()
        config = work_dir / "dovecot.conf"
        config.write_text(
            f"""protocols = imap
listen = 127.0.0.1
base_dir = {work_dir}/run
state_dir = {work_dir}/state
log_path = {log_path}
{users_lines}ssl = yes
ssl_cert = <{cert}
ssl_key = <{key}
disable_plaintext_auth = no
auth_mechanisms = plain login
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = 0
first_valid_gid = {mail_user.pw_gid}
mail_location = maildir:{work_dir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {work_dir}/users
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={work_dir}/mail/%u
}}
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
  }}
}}
service stats {{
  unix_listener stats-reader {{
    mode = 0666
  }}
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
""",
            encoding="utf-8",
        )
        with open(work_dir / "stdout.log", "ab") as out:
            process = subprocess.Popen([executable, "-F", "-c", str(config)], stdout=out, stderr=subprocess.STDOUT)
        server = DovecotServer(port=port, tls_port=tls_port, process=process, work_dir=work_dir, cert_path=cert)
        atexit.register(server.stop)
        deadline = time.monotonic() + startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                break
            if _imap_greets(port):
                return server
            time.sleep(0.05)
        # Stopped, not removed: its log says why, and the next try reuses the
        # directory (the registered stop removes it at exit).
        _terminate(process)
        tail = _tail(log_path) + "\n" + _tail(work_dir / "stdout.log")
        if "Address already in use" in tail:
            continue
        raise RuntimeError(f"dovecot did not greet on port {port} within {startup_timeout}s.\n--- log ---\n{tail}")
    raise RuntimeError(f"dovecot could not bind a free port after {_START_ATTEMPTS} tries")
