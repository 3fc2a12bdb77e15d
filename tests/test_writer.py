"""The group-commit writer: many messages in one transaction, and one bad
message never costs the others."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.core.errors import InvalidInput
from dragoman.core.events import Event, Payload, record_event
from dragoman.core.http import AppContext
from dragoman.core.writer import BatchWriter


class AccountAdded(Payload, kind="test.account_added"):
    name: str


def _add_account(name: str):  # type: ignore[no-untyped-def]
    def unit(db: Session) -> int:
        account = accounts.create_account(db, name)  # raises InvalidInput on an empty name
        record_event(db, Event(account.id, AccountAdded(name=name)))
        return account.id

    return unit


def test_a_failing_unit_is_reported_alone_and_the_rest_commit(ctx: AppContext) -> None:
    heard: list[str] = []
    ctx.bus.subscribe(lambda event: heard.append(event.payload.name) if isinstance(event.payload, AccountAdded) else None)
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


def test_a_batch_of_socket_messages_reads_once_and_stores_each_where_it_belongs(ctx: AppContext, demo) -> None:  # type: ignore[no-untyped-def]
    """The writer's batch hints let the web chat read every contact's
    conversation and every stored message id in one query each; the outcome
    must be what one-by-one storing gives."""
    from dragoman.channels.webchat.services import SocketWrite, store_message_from
    from dragoman.contacts.services import create_contact
    from dragoman.conversations.models import Conversation, ConversationStatus, Message
    from dragoman.core.writer import BATCH_HINTS

    heard: list[str] = []
    ctx.bus.subscribe(lambda event: heard.append(event.name))
    with ctx.session_factory() as db:
        ana, bo = (create_contact(db, demo.account_id, name=n).id for n in ("Ana", "Bo"))
        earlier, _ = store_message_from(db, ana, demo.inbox_id, "Hola", "a0")
        bo_first, _ = store_message_from(db, bo, demo.inbox_id, "Hi", "b0")
        db.get(Conversation, bo_first.conversation_id).status = ConversationStatus.resolved
        db.commit()
    heard.clear()

    batch = [(ana, "¿Y mi pedido?", "a1"), (bo, "Me again", "b1"), (ana, "¿Y mi pedido?", "a1"), (ana, "Hola", "a0"), (ana, "Gracias", "a2")]
    with ctx.session_factory() as db:
        db.info[BATCH_HINTS] = [SocketWrite(contact, demo.inbox_id, client) for contact, _, client in batch]
        results = [store_message_from(db, contact, demo.inbox_id, text, client) for contact, text, client in batch]
        db.commit()

    created = [was_new for _, was_new in results]
    assert created == [True, True, False, False, True]
    # The resend in the batch and the one from before are the stored messages.
    assert results[2][0].id == results[0][0].id and results[3][0].id == earlier.id
    assert {m.conversation_id for m, _ in (results[0], results[4])} == {earlier.conversation_id}
    # Bo's conversation was resolved: his message opened a new one.
    assert results[1][0].conversation_id != bo_first.conversation_id
    with ctx.session_factory() as db:
        assert db.scalar(select(func.count(Message.id)).where(Message.direction == "incoming")) == 5
        assert db.get(Conversation, bo_first.conversation_id).status is ConversationStatus.resolved
    assert heard.count("message.created") == 3 and heard.count("conversation.created") == 1
