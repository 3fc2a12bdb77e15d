"""The message path under load: customers on WebSockets write, agents on
WebSockets receive.

Starts a real `dragoman serve` (uvicorn, one process) on a fresh SQLite
database, connects M agents (supervisors: each receives every message) and N
web-chat customers, then runs three phases for each N:

  open:      every customer sends a first message at once (N conversations
             open); then `--warm` more messages each, unmeasured, and a pause
             until translation and the bot have caught up.
  paced:     the customers together send `--rate` messages/s for `--seconds`;
             prints the achieved rate and the p50/p99 time from a customer's
             send to each agent's receipt.
  saturated: every customer sends its next message as soon as its previous one
             is echoed back; prints the highest sustained messages/s and the
             latency at that load.

Usage: python benchmarks/message_path.py [--customers 200 1000] [--agents 5]
       [--rate 500] [--seconds 10] [--warm 3] [--bot off|on] [--translation on|off]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import websockets

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import machine_description, percentile  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


@dataclass
class Tally:
    sent_at: dict[str, float] = field(default_factory=dict)
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    echoes: dict[str, asyncio.Event] = field(default_factory=dict)

    def reset(self) -> None:
        self.sent_at.clear()
        self.latencies.clear()
        self.received = 0


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(data_dir: Path, port: int, *, translation: bool) -> subprocess.Popen[bytes]:
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(data_dir), "DRAGOMAN_DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}"}
    # Apertium is the only machine-translation engine the demo has offline;
    # without it the translation worker finds no engine and stays idle.
    env["DRAGOMAN_APERTIUM"] = "1" if translation else "0"
    env.pop("DRAGOMAN_SECRET_KEY", None)
    cli = [PYTHON, "-m", "dragoman.cli"]
    log = open(data_dir / "server.log", "wb")
    server = subprocess.Popen([*cli, "serve", "--port", str(port)], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    # Measured once the server has finished starting: the FAQ bot embeds the
    # knowledge base on a fresh data directory (about 13 s of a core) and a
    # load run beside that measures the start, not the message path.
    started = time.monotonic()
    deadline = started + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/api/health", timeout=1).json().get("faq_bot") == "ready":
                print(f"server ready in {time.monotonic() - started:.1f} s")
                return server
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(0.2)
    server.kill()
    raise RuntimeError(f"server did not start; see {data_dir / 'server.log'}")


def make_agents(data_dir: Path, count: int, *, bot: bool) -> tuple[int, str, list[str]]:
    """Creates `count` supervisors and returns (account id, website token, their API tokens)."""
    os.environ["DRAGOMAN_DATABASE_URL"] = f"sqlite:///{data_dir / 'bench.db'}"
    from dragoman.accounts import services as accounts
    from dragoman.core.db import make_engine, make_session_factory
    from dragoman.demo.seed import demo_website_token, seed_demo

    engine = make_engine(os.environ["DRAGOMAN_DATABASE_URL"])
    factory = make_session_factory(engine)
    tokens: list[str] = []
    with factory() as db:
        summary = seed_demo(db)
        for index in range(count):
            user = accounts.create_user(
                db, summary.account_id, email=f"bench{index}@bench.test", name=f"Bench {index}", password="bench-pass-1", role="supervisor"
            )
            token, _ = accounts.create_api_token(db, user, "bench")
            tokens.append(token)
        website_token = demo_website_token(db)
        if not bot:
            from dragoman.inboxes.models import Inbox

            inbox = db.query(Inbox).filter(Inbox.website_token == website_token).one()
            inbox.settings = {**(inbox.settings or {}), "bot": False}
        db.commit()
    engine.dispose()
    assert website_token
    return summary.account_id, website_token, tokens


async def agent_listener(url: str, token: str, tally: Tally, ready: asyncio.Event) -> None:
    async with websockets.connect(url, additional_headers={"Authorization": f"Bearer {token}"}, max_queue=None) as socket:
        async for raw in socket:
            frame = json.loads(raw)
            if frame["event"] == "ready":
                ready.set()
            elif frame["event"] == "message.created":
                content = frame["data"]["message"]["content"]
                sent = tally.sent_at.get(content)
                if sent is not None:
                    tally.latencies.append(time.perf_counter() - sent)
                    tally.received += 1


@dataclass
class Customer:
    index: int
    token: str
    socket: object = None
    seq: int = 0


async def open_customers(base: str, ws_base: str, website_token: str, count: int, tally: Tally) -> list[Customer]:
    customers: list[Customer] = []
    async with httpx.AsyncClient(base_url=base, timeout=30) as http:
        semaphore = asyncio.Semaphore(20)

        async def register(index: int) -> Customer:
            async with semaphore:
                answer = await http.post(f"/widget/api/{website_token}/visitors", json={"name": f"Customer {index}", "language": "es"})
                answer.raise_for_status()
                return Customer(index, answer.json()["visitor_token"])

        customers = list(await asyncio.gather(*(register(i) for i in range(count))))

    async def connect(customer: Customer) -> None:
        customer.socket = await websockets.connect(f"{ws_base}/widget/api/ws?token={customer.token}", max_queue=None)
        asyncio.create_task(customer_reader(customer, tally))

    for start in range(0, count, 50):
        await asyncio.gather(*(connect(c) for c in customers[start : start + 50]))
    return customers


async def customer_reader(customer: Customer, tally: Tally) -> None:
    async for raw in customer.socket:  # type: ignore[attr-defined]
        frame = json.loads(raw)
        if frame.get("event") == "message":
            waiter = tally.echoes.pop(frame["message"]["content"], None)
            if waiter is not None:
                waiter.set()


async def send(customer: Customer, tally: Tally, *, wait_echo: bool) -> None:
    customer.seq += 1
    content = f"msg c{customer.index} n{customer.seq} ¿dónde está mi pedido?"
    echo = asyncio.Event()
    if wait_echo:
        tally.echoes[content] = echo
    tally.sent_at[content] = time.perf_counter()
    await customer.socket.send(json.dumps({"type": "message", "content": content, "client_id": f"{customer.index}-{customer.seq}"}))  # type: ignore[attr-defined]
    if wait_echo:
        try:
            await asyncio.wait_for(echo.wait(), timeout=30)
        except asyncio.TimeoutError:
            tally.echoes.pop(content, None)


async def drain(tally: Tally, expected: int, timeout: float = 30) -> None:
    deadline = time.perf_counter() + timeout
    while tally.received < expected and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)


def server_cpu_seconds(pid: int) -> float:
    """The server's CPU time so far, all threads (Linux /proc): per message,
    a figure that other load on the machine disturbs far less than latency."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(label: str, tally: Tally, sent: int, elapsed: float, agents: int) -> dict[str, float]:
    latencies = sorted(tally.latencies)
    rate = sent / elapsed if elapsed else 0.0
    p50 = percentile(latencies, 0.50) * 1000
    p99 = percentile(latencies, 0.99) * 1000
    lost = sent * agents - tally.received
    print(
        f"  {label:<10} sent {sent:>6} in {elapsed:5.1f} s = {rate:7.1f} messages/s; "
        f"receipts {tally.received:>7} (missing {lost}); send->agent p50 {p50:6.1f} ms, p99 {p99:6.1f} ms"
    )
    return {"rate": rate, "p50": p50, "p99": p99, "lost": lost}


async def wait_for_background_work(base: str, at_least: float, at_most: float = 30.0) -> float:
    """Waits until the server reports no translation or bot backlog (and at
    least `at_least` seconds, for routing); returns the seconds it took."""
    began = time.perf_counter()
    await asyncio.sleep(at_least)
    async with httpx.AsyncClient(base_url=base, timeout=10) as http:
        while time.perf_counter() - began < at_most:
            backlog = (await http.get("/api/health")).json()["backlog"]
            if not any(backlog.values()):
                break
            await asyncio.sleep(0.5)
    return time.perf_counter() - began


async def run_load(
    port: int,
    website_token: str,
    agent_tokens: list[str],
    customers_count: int,
    rate: float,
    seconds: float,
    settle: float,
    warm: int,
    server_pid: int,
) -> None:
    base, ws_base = f"http://127.0.0.1:{port}", f"ws://127.0.0.1:{port}"

    async def cpu_per_message(label: str, cpu_before: float, messages: int) -> None:
        waited = await wait_for_background_work(base, 0.0, at_most=60.0)
        spent = server_cpu_seconds(server_pid) - cpu_before
        drained = "translations done" if waited < 60.0 else "translations NOT all done after 60 s"
        print(f"  {label:<10} server CPU {spent:6.1f} s = {spent / max(messages, 1) * 1000:5.2f} ms per message ({drained})")

    tally = Tally()
    ready_events = [asyncio.Event() for _ in agent_tokens]
    listeners = [
        asyncio.create_task(agent_listener(f"{ws_base}/api/v1/realtime", token, tally, ready))
        for token, ready in zip(agent_tokens, ready_events)
    ]
    await asyncio.wait_for(asyncio.gather(*(e.wait() for e in ready_events)), timeout=30)
    started = time.perf_counter()
    customers = await open_customers(base, ws_base, website_token, customers_count, tally)
    print(f"N={customers_count} customers, M={len(agent_tokens)} agents: connected in {time.perf_counter() - started:.1f} s")

    # Phase "open": every customer's first message at once opens N
    # conversations (routing, the language evidence and translation start
    # for each). Then `warm` more messages each, unmeasured: a conversation's
    # first few messages still move its detected language (a write each), and
    # the phases after measure conversations under way, as most are.
    begin = time.perf_counter()
    await asyncio.gather(*(send(c, tally, wait_echo=True) for c in customers))
    elapsed = time.perf_counter() - begin
    await drain(tally, customers_count * len(agent_tokens))
    report("open", tally, customers_count, elapsed, len(agent_tokens))
    for _ in range(warm):
        await asyncio.gather(*(send(c, tally, wait_echo=True) for c in customers))
    settled = await wait_for_background_work(base, settle)
    print(f"  {warm} more messages each, unmeasured; background work (translation, bot) done in {settled:.1f} s")
    tally.reset()
    print(f"  load average before measuring: {os.getloadavg()[0]:.2f}")

    # Paced: a fixed total rate, spread over the customers in turn.
    cpu_before = server_cpu_seconds(server_pid)
    total = int(rate * seconds)
    interval = 1.0 / rate
    begin = time.perf_counter()
    for n in range(total):
        target = begin + n * interval
        delay = target - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        asyncio.create_task(send(customers[n % len(customers)], tally, wait_echo=False))
    sending_time = time.perf_counter() - begin
    await drain(tally, total * len(agent_tokens))
    report("paced", tally, total, sending_time, len(agent_tokens))
    await cpu_per_message("paced", cpu_before, total)

    # Saturated: every customer in a closed loop.
    tally.reset()
    cpu_before = server_cpu_seconds(server_pid)
    stop_at = time.perf_counter() + seconds
    sent_counter = 0

    async def closed_loop(customer: Customer) -> None:
        nonlocal sent_counter
        while time.perf_counter() < stop_at:
            await send(customer, tally, wait_echo=True)
            sent_counter += 1

    begin = time.perf_counter()
    await asyncio.gather(*(closed_loop(c) for c in customers))
    elapsed = time.perf_counter() - begin
    await drain(tally, sent_counter * len(agent_tokens))
    report("saturated", tally, sent_counter, elapsed, len(agent_tokens))
    await cpu_per_message("saturated", cpu_before, sent_counter)

    for customer in customers:
        await customer.socket.close()  # type: ignore[attr-defined]
    for listener in listeners:
        listener.cancel()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--customers", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--agents", type=int, default=5)
    parser.add_argument("--rate", type=float, default=500.0, help="messages/s in the paced phase")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--settle", type=float, default=2.0, help="at least this many seconds between opening the conversations and measuring")
    parser.add_argument("--warm", type=int, default=3, help="unmeasured messages per customer after the first")
    parser.add_argument("--bot", choices=["on", "off"], default="off", help="the FAQ bot answers every message of the demo inbox (measured on its own in faq_bot.py)")
    parser.add_argument("--translation", choices=["on", "off"], default="on", help="Apertium translates for agents")
    args = parser.parse_args()
    print(f"machine: {machine_description()}")
    print("database: SQLite (WAL) in a temporary directory; server: one uvicorn process; load: one asyncio process")
    print(f"features: language detection and routing on; FAQ bot {args.bot}; translation {args.translation}")
    for count in args.customers:
        with tempfile.TemporaryDirectory(prefix="dragoman-bench-") as tmp:
            data_dir = Path(tmp)
            _account, website_token, agent_tokens = make_agents_after_migration(data_dir, args.agents, bot=args.bot == "on")
            port = _free_port()
            server = start_server(data_dir, port, translation=args.translation == "on")
            try:
                asyncio.run(run_load(port, website_token, agent_tokens, count, args.rate, args.seconds, args.settle, args.warm, server.pid))
            finally:
                server.terminate()
                server.wait(timeout=10)


def make_agents_after_migration(data_dir: Path, count: int, *, bot: bool) -> tuple[int, str, list[str]]:
    env = {**os.environ, "DRAGOMAN_DATA_DIR": str(data_dir), "DRAGOMAN_DATABASE_URL": f"sqlite:///{data_dir / 'bench.db'}"}
    subprocess.run([PYTHON, "-m", "dragoman.cli", "db", "upgrade"], env=env, check=True, cwd=ROOT, capture_output=True)
    return make_agents(data_dir, count, bot=bot)


if __name__ == "__main__":
    main()
