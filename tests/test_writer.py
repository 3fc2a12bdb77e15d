"""The group-commit writer: many messages in one transaction, and one bad
message never costs the others."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.core.errors import InvalidInput
from dragoman.core.events import Event, record_event
from dragoman.core.http import AppContext
from dragoman.core.writer import BatchWriter


def _add_account(name: str):  # type: ignore[no-untyped-def]
    def unit(db: Session) -> int:
        account = accounts.create_account(db, name)  # raises InvalidInput on an empty name
        record_event(db, Event("test.account_added", account.id, {"name": name}))
        return account.id

    return unit


def test_a_failing_unit_is_reported_alone_and_the_rest_commit(ctx: AppContext) -> None:
    heard: list[str] = []
    ctx.bus.subscribe(lambda event: heard.append(event.data["name"]) if event.name == "test.account_added" else None)
    writer = BatchWriter(ctx.session_factory)
    writer.start()

    async def submit_all() -> list[object]:
        return await asyncio.gather(
            *(writer.submit(_add_account(name)) for name in ("Alpha", "", "Gamma", "Delta")), return_exceptions=True
        )

    try:
        results = asyncio.run(submit_all())
    finally:
        writer.stop()
    assert isinstance(results[1], InvalidInput) and results[1].field == "name"
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 1)
    from dragoman.accounts.models import Account

    with ctx.session_factory() as db:
        assert sorted(db.scalars(select(Account.name))) == ["Alpha", "Delta", "Gamma"]
    # Events only for what was committed, each once, in submission order.
    assert heard == ["Alpha", "Gamma", "Delta"]


def test_submit_before_start_is_refused(ctx: AppContext) -> None:
    writer = BatchWriter(ctx.session_factory)
    with pytest.raises(RuntimeError, match="not running"):
        asyncio.run(writer.submit(_add_account("Nope")))
    from dragoman.accounts.models import Account

    with ctx.session_factory() as db:
        assert db.scalar(select(func.count(Account.id))) == 0
