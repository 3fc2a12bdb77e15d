"""Background work as durable jobs (core.jobs), as operators and admins rely
on it: nothing queued is lost when a process dies, two runners never run the
same job at once, failures are retried and then kept for an admin, and the
survey a resolved chat asks for is offered even by the next process."""

from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import DemoWorld, wait_until
from dragoman.accounts import services as accounts
from dragoman.accounts.models import Role, User
from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core.http import AppContext
from dragoman.core.jobs import Job, JobRunner, JobStatus, claim, enqueue, period_key, retry_delay
from dragoman.conversations.translation_worker import TRANSLATE, register_translation_jobs
from dragoman.csat.models import CsatSurvey
from dragoman.inboxes.models import Inbox
from dragoman.kb.models import BotExchange
from dragoman.kb.worker import BOT_ANSWER, BotWorker, register_bot_jobs


def test_retries_back_off_doubling_up_to_an_hour_and_a_schedule_has_one_key_per_period() -> None:
    assert [retry_delay(n) for n in (1, 2, 3, 4)] == [5.0, 10.0, 20.0, 40.0]
    assert retry_delay(30) == 3600.0
    key, at = period_key(datetime(2026, 12, 7, 10, 59, 59), 3600)
    assert (key, at) == period_key(datetime(2026, 12, 7, 10, 0, 0), 3600)
    assert at == datetime(2026, 12, 7, 11, 0, 0)
    assert period_key(datetime(2026, 12, 7, 11, 0, 0), 3600)[0] != key


def test_two_runners_share_the_jobs_and_run_each_exactly_once(ctx: AppContext) -> None:
    ran: Counter[int] = Counter()
    lock = threading.Lock()

    def record(_db: Any, payload: dict[str, Any]) -> None:
        with lock:
            ran[int(payload["n"])] += 1

    with ctx.session_factory() as db:
        for n in range(60):
            enqueue(db, "test.record", {"n": n})
        # The same key twice is one job (an event delivered twice, a retried request).
        assert enqueue(db, "test.record", {"n": 60}, key="once") is not None
        assert enqueue(db, "test.record", {"n": 60}, key="once") is None
        db.commit()
    runners = [JobRunner(ctx.session_factory, name=f"dragoman-test-jobs-{i}", batch=4) for i in range(2)]
    for runner in runners:
        runner.handle("test.record", record)
        runner.start()
    try:
        wait_until(lambda: sum(ran.values()) >= 61, timeout=30)
        assert all(runner.wait_idle(10) for runner in runners)
    finally:
        for runner in runners:
            runner.stop()
    assert sorted(ran) == list(range(61)) and set(ran.values()) == {1}
    with ctx.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(Job).where(Job.status != JobStatus.done)) == 0


def test_a_job_whose_runner_died_is_taken_again_once_its_lease_ends(ctx: AppContext) -> None:
    with ctx.session_factory() as db:
        enqueue(db, "test.slow", {"n": 1})
        db.commit()
        # A runner claims it and dies (nothing finishes it).
        taken = claim(db, "runner-that-died", ["test.slow"], lease_seconds=0.3)
        assert [job.attempts for job in taken] == [1]
        # While the lease holds, nobody else takes it.
        assert claim(db, "another", ["test.slow"]) == []
    time.sleep(0.5)
    done: list[int] = []
    runner = JobRunner(ctx.session_factory, name="dragoman-test-jobs")
    runner.handle("test.slow", lambda _db, payload: done.append(payload["n"]))
    runner.start()
    try:
        wait_until(lambda: done == [1], timeout=10)
    finally:
        runner.stop()
    with ctx.session_factory() as db:
        job = db.scalar(select(Job).where(Job.kind == "test.slow"))
        assert job is not None and job.status is JobStatus.done and job.attempts == 2


def test_a_failing_job_is_retried_then_kept_for_the_admin_who_can_run_it_again(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    attempts: list[int] = []
    fixed = threading.Event()

    def flaky(_db: Any, payload: dict[str, Any]) -> None:
        attempts.append(payload["n"])
        if not fixed.is_set():
            raise RuntimeError("the mail server said 451")

    with ctx.session_factory() as db:
        job = enqueue(db, "test.flaky", {"n": 7}, account_id=demo.account_id, max_attempts=2)
        db.commit()
        job_id = job.id  # type: ignore[union-attr]
    runner = JobRunner(ctx.session_factory, name="dragoman-test-jobs")
    runner.handle("test.flaky", flaky)
    try:
        runner.run_due()
        with ctx.session_factory() as db:
            row = db.get(Job, job_id)
            assert row is not None and row.status is JobStatus.queued and row.attempts == 1
            assert "451" in (row.last_error or "")
            # Back-off: not due again before its delay.
            assert row.run_at > datetime.utcnow() + timedelta(seconds=3)
            row.run_at = datetime.utcnow() - timedelta(seconds=1)
            db.commit()
        runner.run_due()
        assert attempts == [7, 7]

        admin = as_user(demo.user("admin"))
        url = f"/api/v1/accounts/{demo.account_id}/jobs"
        dead = client.get(url, headers=admin).json()
        assert [(j["id"], j["status"], j["attempts"]) for j in dead] == [(job_id, "dead", 2)]
        assert "RuntimeError: the mail server said 451" == dead[0]["last_error"]
        # Only a dead job can be retried; an agent cannot see the jobs at all.
        assert client.get(url, headers=as_user(demo.user("maria"))).status_code in (403, 404)
        fixed.set()
        assert client.post(f"{url}/{job_id}/retry", headers=admin).json()["status"] == "queued"
        assert client.post(f"{url}/{job_id}/retry", headers=admin).status_code == 409
        runner.run_due()
        assert attempts == [7, 7, 7]
        assert client.get(url, headers=admin).json() == []
        assert client.get("/api/health").json()["jobs"]["dead"] == 0
    finally:
        runner.stop()


def test_another_accounts_admin_cannot_see_or_retry_a_job(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    with ctx.session_factory() as db:
        job = enqueue(db, "test.other", {}, account_id=demo.account_id)
        assert job is not None
        job.status = JobStatus.dead
        db.commit()
        job_id = job.id
    # A second account and its admin.
    with ctx.session_factory() as db:
        other = accounts.create_account(db, "Other Co")
        boss = accounts.create_user(db, other.id, email="boss@other.test", name="Boss", password="admin-pass-123", role=Role.admin)
        db.commit()
        other_id = other.id
    headers = as_user(boss)
    assert client.post(f"/api/v1/accounts/{other_id}/jobs/{job_id}/retry", headers=headers).status_code == 404
    assert client.get(f"/api/v1/accounts/{other_id}/jobs", headers=headers).json() == []
    # Nor through the first account's address.
    assert client.get(f"/api/v1/accounts/{demo.account_id}/jobs", headers=headers).status_code in (403, 404)


def test_a_survey_asked_for_by_a_resolution_is_offered_by_the_next_process_when_the_first_died(
    settings: Settings, demo: DemoWorld, as_user: Any
) -> None:
    with TestClient(create_app(settings)) as first:
        ctx: AppContext = first.app.state.ctx  # type: ignore[attr-defined]
        with ctx.session_factory() as db:
            inbox = db.get(Inbox, demo.inbox_id)
            inbox.settings = {**(inbox.settings or {}), "csat": True}  # type: ignore[union-attr]
            db.commit()
        # The process "dies" before its runner gets to the job: it is stopped first.
        ctx.services["jobs"].stop()
        visitor = first.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Ana", "language": "pt"}).json()
        headers = {"X-Visitor-Token": visitor["visitor_token"]}
        conversation_id = first.post("/widget/api/messages", json={"content": "Olá, o meu pedido chegou partido."}, headers=headers).json()["conversation_id"]
        maria = as_user(demo.user("maria"))
        base = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
        assert first.post(f"{base}/toggle_status", json={"status": "resolved"}, headers=maria).status_code == 200
        with ctx.session_factory() as db:
            assert db.scalar(select(func.count()).select_from(CsatSurvey)) == 0
            assert db.scalar(select(func.count()).select_from(Job).where(Job.kind == "csat.offer_survey", Job.status == JobStatus.queued)) == 1

    with TestClient(create_app(settings)) as second:
        second_ctx: AppContext = second.app.state.ctx  # type: ignore[attr-defined]
        assert second_ctx.services["jobs"].wait_idle(30)
        messages = second.get("/widget/api/session", headers=headers).json()["messages"]
        assert any("/csat/" in m["content"] for m in messages)
        with second_ctx.session_factory() as db:
            assert db.scalar(select(func.count()).select_from(CsatSurvey)) == 1


def _kinds_waiting(ctx: AppContext) -> Counter[str]:
    with ctx.session_factory() as db:
        return Counter(db.scalars(select(Job.kind).where(Job.status.in_([JobStatus.queued, JobStatus.running]))))


def test_a_translation_and_a_bot_answer_left_by_a_process_that_died_are_done_once_by_the_next(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "bot": True}  # type: ignore[union-attr]
        db.commit()
    # The process "dies" before its runner gets to the work.
    ctx.services["jobs"].stop()
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    headers = {"X-Visitor-Token": visitor["visitor_token"]}
    sent = client.post("/widget/api/messages", json={"content": "¿Dónde está mi pedido ORD-55177?"}, headers=headers)
    assert sent.status_code == 201, sent.text
    message_id = sent.json()["id"]
    # Written with the message: one translation job and one for the bot.
    waiting = _kinds_waiting(ctx)
    assert (waiting[TRANSLATE], waiting[BOT_ANSWER]) == (1, 1)
    assert client.get("/api/health").json()["backlog"] == {"translation": 1, "faq_bot": 1}
    # It had even claimed them when it died: their leases run out.
    with ctx.session_factory() as db:
        assert len(claim(db, "process-that-died", [TRANSLATE, BOT_ANSWER], lease_seconds=0.3)) == 2
    time.sleep(0.5)

    # The next process: two runners, as two processes would have.
    runners = [JobRunner(ctx.session_factory, name=f"dragoman-test-next-{n}") for n in range(2)]
    for runner in runners:
        register_translation_jobs(runner, ctx.session_factory, ctx.services["language"])
        bot = BotWorker(ctx.session_factory, semantic=False, warm_up=False)
        bot.start()
        register_bot_jobs(runner, bot)
        runner.start()
    try:
        def bot_replies() -> list[dict[str, Any]]:
            messages = client.get("/widget/api/session", headers=headers).json()["messages"]
            return [m for m in messages if m["direction"] == "outgoing"]

        wait_until(lambda: bot_replies(), timeout=60)
        assert all(runner.wait_idle(30) for runner in runners)
    finally:
        for runner in runners:
            runner.stop()
    assert len(bot_replies()) == 1
    admin = as_user(demo.user("admin"))
    conversation_id = sent.json()["conversation_id"]
    timeline = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages", headers=admin).json()
    [question] = [m for m in timeline if m["id"] == message_id]
    english = question["attributes"]["translations"]["en"]
    assert english["status"] == "translated" and "ORD-55177" in english["text"]
    with ctx.session_factory() as db:
        done = list(db.scalars(select(Job).where(Job.kind.in_([TRANSLATE, BOT_ANSWER]))))
        assert sorted((job.kind, job.status, job.attempts) for job in done) == sorted(
            [(TRANSLATE, JobStatus.done, 2), (BOT_ANSWER, JobStatus.done, 2)]
        )
        assert db.scalar(select(func.count()).select_from(BotExchange).where(BotExchange.message_id == message_id)) == 1


def test_a_message_every_reader_can_read_asks_for_no_translation(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    with ctx.session_factory() as db:
        for user in db.scalars(select(User).where(User.account_id == demo.account_id)):
            user.working_language = "es"
        db.commit()
    ctx.services["jobs"].stop()
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    headers = {"X-Visitor-Token": visitor["visitor_token"]}
    for text in ("Hola, buenos días.", "¿Dónde está mi pedido ORD-55177? Lo pedí hace dos semanas."):
        assert client.post("/widget/api/messages", json={"content": text}, headers=headers).status_code == 201
    assert _kinds_waiting(ctx)[TRANSLATE] == 0
    assert client.get("/api/health").json()["backlog"]["translation"] == 0
