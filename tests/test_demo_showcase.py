"""What `dragoman demo` (and so `make run`) shows a newcomer beyond people and
the web chat: language queues on the Live wall, SLA policies, and customers'
requests waiting as tickets with their clocks running."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from conftest import DemoWorld
from dragoman.core.http import AppContext
from dragoman.demo.showcase import DEMO_REQUESTS, seed_showcase


def _seed(ctx: AppContext, demo: DemoWorld) -> Any:
    with ctx.session_factory() as db:
        summary = seed_showcase(db, demo.account_id)
        db.commit()
    return summary


def test_the_demo_shows_queues_promises_and_waiting_requests_once(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    first = _seed(ctx, demo)
    assert (first.queues, first.policies, first.requests) == (4, 4, len(DEMO_REQUESTS))
    again = _seed(ctx, demo)
    assert (again.queues, again.policies, again.requests) == (0, 0, 0)

    supervisor = as_user(demo.user("supervisor"))
    base = f"/api/v1/accounts/{demo.account_id}"
    queues = client.get(f"{base}/routing/queues", headers=supervisor).json()
    assert [q["name"] for q in queues] == ["English", "Spanish and Portuguese", "Chinese", "Every other language"]
    assert [len(q["steps"]) for q in queues] == [3, 3, 3, 3] and queues[0]["steps"][2]["machine_translation"]
    policies = client.get(f"{base}/sla_policies", headers=supervisor).json()
    assert {p["priority"] for p in policies} == {"normal", "high", "urgent"} and any(p["tier"] == "gold" for p in policies)

    page = client.get(f"{base}/tickets", params={"limit": 50}, headers=supervisor).json()
    listed = page["items"]
    assert len(listed) == len(DEMO_REQUESTS)
    languages = {t["language"] for t in listed}
    for ticket in listed:
        first_response = next(t for t in ticket["timers"] if t["metric"] == "first_response")
        assert first_response["state"] == "running" and not first_response["breached"]
    urgent = next(t for t in listed if t["priority"] == "urgent")
    assert next(t for t in urgent["timers"] if t["metric"] == "first_response")["target_seconds"] == 900
    assert languages == {"es", "de", "en", "zh", "pt", "fr", "ja"}
