"""Every write operation of the API, in turn, failing half-way while other
customers write: the failure stays with its own request. A fault hook in the
server's database sessions makes each request's commit fail after its writes
were flushed (the moment a failing request used to keep SQLite's write lock
for good); generated requests (schemathesis, positive cases, fixed seed)
reach each operation's writes; customers keep writing beside them, and after
each operation a customer's message must still be stored at once."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from sqlalchemy import event

from conftest import _empty_all_tables, api_token, bearer, seed_demo_world, serve_in_thread, settings_for_tests, wait_until
from dragoman.app import create_app
from dragoman.core.http import AppContext
import test_api_fuzz
from test_api_fuzz import API_DESCRIPTION, FuzzWorld, _refresh_ids, _seed_more, flatmap_headers, flatmap_path_parameters, locks_the_caller_out

CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 7,
        "generation": {"max-examples": 2, "deterministic": True, "mode": "positive"},
        "phases": {"coverage": {"enabled": False}},
    }
)
write_schema = schemathesis.openapi.from_dict(API_DESCRIPTION, config=CONFIG).include(method=["POST", "PUT", "PATCH", "DELETE"])
write_schema.hook(flatmap_path_parameters)
write_schema.hook(flatmap_headers)


HUNG = -1  # a customer's request that got no answer within 30 s


@dataclass
class Faults:
    """Whether requests' commits fail now, and what the customers beside them got."""

    on: threading.Event = field(default_factory=threading.Event)
    injected: int = 0
    beside: Counter[int] = field(default_factory=Counter)


@dataclass
class FaultWorld:
    fuzz: FuzzWorld
    faults: Faults
    customer: dict[str, str]
    sent: int = 0


WORLD: FaultWorld | None = None


def _install_fault(ctx: AppContext, faults: Faults) -> None:
    def fail_the_commit(session: Any, _context: Any) -> None:
        if not faults.on.is_set() or session.info.get("fault_injected"):
            return
        session.info["fault_injected"] = True
        faults.injected += 1

        def failing_commit() -> None:
            raise RuntimeError("fault injected after the request's writes")

        session.commit = failing_commit

    event.listen(ctx.session_factory, "after_flush", fail_the_commit)


def _customers_writing(url: str, headers: dict[str, str], faults: Faults, stop: threading.Event) -> None:
    """Customers writing all along, as on a live site: none may wait past the
    lock's time-out (503) or hang."""
    with httpx.Client(base_url=url, timeout=30) as client:
        number = 0
        while not stop.is_set():
            number += 1
            try:
                status = client.post("/widget/api/messages", json={"content": f"still here {number}", "client_id": f"beside-{number}"}, headers=headers).status_code
            except httpx.TimeoutException:
                status = HUNG
            except httpx.TransportError:
                status = 500  # the fault hit this customer's own commit and uvicorn dropped the connection
            faults.beside[status] += 1
            time.sleep(0.05)


@pytest.fixture(scope="module")
def fault_world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FaultWorld]:
    global WORLD
    _empty_all_tables(database_url)
    settings_ = settings_for_tests(database_url, tmp_path_factory.mktemp("faults"), run_background_workers=False)
    app = create_app(settings_)
    with serve_in_thread(app) as server:
        demo = seed_demo_world(server.ctx)
        tokens = {who: api_token(server.ctx, demo.user(who), name=f"faults-{who}") for who in ("admin", "maria")}
        fuzz = FuzzWorld(server.url, server.ctx, demo.account_id, demo.website_token, tokens, set(), {demo.user("admin").id}, [])
        with httpx.Client(base_url=server.url, timeout=30) as client:
            _seed_more(client, fuzz)
            visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Proof", "language": "en"}).json()
            # Made before any fault is injected: the customer beside must exist.
            beside_visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Beside", "language": "en"}).json()
        faults = Faults()
        _install_fault(server.ctx, faults)
        stop = threading.Event()
        beside_headers = {"X-Visitor-Token": beside_visitor["visitor_token"]}
        beside = threading.Thread(target=_customers_writing, args=(server.url, beside_headers, faults, stop), daemon=True)
        beside.start()
        wait_until(lambda: faults.beside[201] > 0, timeout=15)
        WORLD = FaultWorld(fuzz, faults, {"X-Visitor-Token": visitor["visitor_token"]})
        # The fuzz module's hooks (existing ids, visitors' tokens) read its world.
        test_api_fuzz.WORLD = fuzz
        try:
            yield WORLD
        finally:
            stop.set()
            beside.join(timeout=40)
            WORLD = test_api_fuzz.WORLD = None
        assert not beside.is_alive(), "a customer's request beside the faults never finished"
        # Beside the failing requests, customers were stored or (when the fault
        # hit their own commit) failed: never left waiting for a lock.
        assert faults.beside[201] > 0 and faults.beside[503] == 0 and faults.beside[HUNG] == 0, faults.beside
        assert faults.injected > 0


@pytest.fixture
def ready(fault_world: FaultWorld) -> FaultWorld:
    _refresh_ids(fault_world.fuzz, fault_world.fuzz.ctx)
    return fault_world


@write_schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much, HealthCheck.too_slow])
def test_a_write_that_fails_half_way_leaves_every_other_write_working(case: schemathesis.Case, ready: FaultWorld) -> None:
    if locks_the_caller_out(case, ready.fuzz):
        return
    ready.faults.on.set()
    try:
        case.call(base_url=ready.fuzz.url, headers=bearer(ready.fuzz.tokens["admin"]), timeout=30)
    except Exception:  # noqa: BLE001 - the injected fault may cut the connection; what follows is the test
        pass
    finally:
        ready.faults.on.clear()
    ready.sent += 1
    # Straight after: a customer's message is stored at once.
    proof = httpx.post(
        f"{ready.fuzz.url}/widget/api/messages",
        json={"content": f"after {case.operation.label}", "client_id": f"proof-{ready.sent}"},
        headers=ready.customer,
        timeout=30,
    )
    assert proof.status_code == 201, f"after a fault in {case.operation.label}: {proof.status_code} {proof.text}"
