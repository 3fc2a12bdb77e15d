"""The FAQ bot on the web chat, end to end: a visitor writes through the
widget API, the bot's worker answers (word matching here; the embedding model
has its own tests), and agents, routing and admins see what it did."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from conftest import DemoWorld, wait_until
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message, SenderType
from dragoman.conversations.events import ConversationUpdated
from dragoman.core import events
from dragoman.core.http import AppContext
from dragoman.inboxes.models import Inbox
from dragoman.kb.bot import PHRASES
from dragoman.kb.models import BotExchange
from dragoman.language import services as language_services


@pytest.fixture
def bot_demo(demo: DemoWorld, ctx: AppContext) -> DemoWorld:
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        assert inbox is not None
        inbox.settings = {**(inbox.settings or {}), "bot": True}
        db.commit()
    return demo


@pytest.fixture
def published(ctx: AppContext) -> Iterator[list[events.Event]]:
    seen: list[events.Event] = []
    ctx.bus.subscribe(seen.append)
    yield seen


def visitor(client: TestClient, demo: DemoWorld, language: str = "es") -> dict[str, str]:
    response = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": language})
    assert response.status_code == 201, response.text
    return {"X-Visitor-Token": response.json()["visitor_token"]}


def say(client: TestClient, ctx: AppContext, headers: dict[str, str], text: str) -> list[dict[str, object]]:
    """Send as the customer, let the bot work, return what the customer sees."""
    response = client.post("/widget/api/messages", json={"content": text}, headers=headers)
    assert response.status_code == 201, response.text
    assert ctx.services["faq_bot"].wait_idle(30)
    return client.get("/widget/api/session", headers=headers).json()["messages"]  # type: ignore[no-any-return]


def conversation_of(db: Session) -> Conversation:
    db.expire_all()
    conversation = db.scalar(select(Conversation).order_by(Conversation.id.desc()).limit(1))
    assert conversation is not None
    return conversation


def timeline(db: Session, conversation: Conversation) -> list[Message]:
    return list(db.scalars(select(Message).where(Message.conversation_id == conversation.id).order_by(Message.id)))


def test_the_bot_answers_in_the_customers_language_with_a_link_and_asks_if_it_helped(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session
) -> None:
    customer = visitor(client, bot_demo, "es")
    seen = say(client, ctx, customer, "¿Dónde está mi pedido?")
    assert [m["direction"] for m in seen] == ["incoming", "outgoing"]
    answer = str(seen[1]["content"])
    assert answer.startswith("Puedes seguir tu paquete")
    assert f"/hc/{bot_demo.account_id}/es/articles/" in answer and "-where-is-my-order" in answer
    assert PHRASES["es"]["ask"] in answer
    conversation = conversation_of(db)
    assert conversation.bot_active and conversation.assignee_id is None
    reply = timeline(db, conversation)[1]
    assert reply.sender_type is SenderType.system and reply.direction is Direction.outgoing
    assert reply.attributes["bot"]["article_slug"] == "where-is-my-order"
    assert reply.attributes["bot"]["article_language"] == "es"
    # Agents see the exchange in the conversation's timeline, bot marker included.
    admin = {"Authorization": "Bearer " + __import__("conftest").api_token(ctx, bot_demo.user("admin"))}
    messages = client.get(f"/api/v1/accounts/{bot_demo.account_id}/conversations/{conversation.id}/messages", headers=admin).json()
    items = messages if isinstance(messages, list) else messages.get("items", messages.get("payload", []))
    assert any(m["attributes"].get("bot", {}).get("kind") == "answer" for m in items)
    listing = client.get(f"/api/v1/accounts/{bot_demo.account_id}/conversations/{conversation.id}", headers=admin).json()
    assert listing["bot_active"] is True


def test_yes_closes_the_conversation_as_contained(client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user) -> None:  # type: ignore[no-untyped-def]
    customer = visitor(client, bot_demo, "fr")
    say(client, ctx, customer, "Comment suivre mon colis ?")
    seen = say(client, ctx, customer, "oui merci")
    assert seen[-1]["content"] == PHRASES["fr"]["thank"]
    conversation = conversation_of(db)
    assert conversation.status is ConversationStatus.resolved
    stats = client.get(f"/api/v1/accounts/{bot_demo.account_id}/kb/bot/stats", headers=as_user(bot_demo.user("admin"))).json()
    assert stats["languages"]["fr"]["helpful"] == 1
    assert stats["languages"]["fr"]["containment_rate"] == 1.0


def test_two_unhelpful_answers_hand_over_to_routing(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, published: list[events.Event]
) -> None:
    customer = visitor(client, bot_demo, "en")
    say(client, ctx, customer, "How can I track my parcel?")
    seen = say(client, ctx, customer, "no")
    assert seen[-1]["content"] == PHRASES["en"]["rephrase"]
    assert conversation_of(db).bot_active
    say(client, ctx, customer, "What payment options are there?")
    seen = say(client, ctx, customer, "no")
    assert seen[-1]["content"] == PHRASES["en"]["handoff"]
    conversation = conversation_of(db)
    assert not conversation.bot_active and conversation.assignee_id is None
    activity = [m for m in timeline(db, conversation) if m.direction is Direction.activity]
    assert activity[-1].attributes["activity"] == "bot_handoff" and activity[-1].attributes["reason"] == "unhelpful"
    assert "did not help" in activity[-1].content
    updated = [
        e.payload for e in published if isinstance(e.payload, ConversationUpdated) and e.payload.conversation.id == conversation.id
    ]
    assert updated and updated[-1].conversation.bot_active is False
    # The bot is quiet from now on.
    seen = say(client, ctx, customer, "hello?")
    assert seen[-1]["direction"] == "incoming"


@pytest.mark.parametrize(
    ("language", "text", "reason"),
    [
        ("es", "quiero hablar con un humano", "asked_for_person"),
        ("zh", "转人工", "asked_for_person"),
        ("de", "Ich möchte eine Rückerstattung", "always_human"),
        ("en", "I want to make a complaint", "always_human"),
        ("es", "¿qué temperatura hace en Valencia?", "low_score"),
    ],
)
def test_the_bot_hands_over_at_once(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, language: str, text: str, reason: str
) -> None:
    customer = visitor(client, bot_demo, language)
    seen = say(client, ctx, customer, text)
    assert seen[-1]["content"] == PHRASES[language]["handoff"]
    conversation = conversation_of(db)
    assert not conversation.bot_active
    handoff = [m for m in timeline(db, conversation) if m.direction is Direction.activity][-1]
    assert handoff.attributes["reason"] == reason
    if reason == "always_human":
        assert handoff.attributes["topic"] in {"refunds", "complaints"}


def test_a_near_miss_hands_over_with_the_articles_that_came_close(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session
) -> None:
    # Word matching scores this 0.22 for where-is-my-order: under the 0.25
    # threshold, within the 0.05 margin; a person is still called.
    customer = visitor(client, bot_demo, "en")
    seen = say(client, ctx, customer, "wheres my package")
    text = str(seen[-1]["content"])
    assert text.startswith(PHRASES["en"]["handoff"]) and PHRASES["en"]["meanwhile"] in text
    assert "• Where is my order? – /hc/" in text and "-where-is-my-order" in text
    conversation = conversation_of(db)
    assert not conversation.bot_active
    handoff = [m for m in timeline(db, conversation) if m.direction is Direction.activity][-1]
    assert handoff.attributes["reason"] == "low_score"
    assert handoff.attributes["suggested"][0]["slug"] == "where-is-my-order"


def test_a_question_in_a_language_the_base_lacks_is_translated_into_one_it_has(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The demo base has no Italian version; Apertium (installed by the
    # Makefile) translates Italian to Spanish directly, so the bot searches
    # the Spanish words and answers with the article.
    customer = visitor(client, bot_demo, "it")
    seen = say(client, ctx, customer, "Il mio pacco non è ancora arrivato, dov'è?")
    reply = [m for m in timeline(db, conversation_of(db)) if m.direction is Direction.outgoing][-1]
    assert reply.attributes["bot"]["kind"] == "answer", seen
    assert reply.attributes["bot"]["article_slug"] == "where-is-my-order"
    searched = reply.attributes["bot"]["searched"]
    assert searched["from"] == "it" and searched["language"] == "es" and searched["engine"] == "apertium"
    assert "llegado" in searched["text"]
    # No Italian version either: the short answer is machine-translated for
    # this customer and says so, in Italian; from the Spanish version, which
    # Apertium translates directly (English would go through Spanish first).
    translated = reply.attributes["bot"]["answer_translated"]
    assert translated == {"text": translated["text"], "from": "es", "to": "it", "engine": "apertium"}
    assert reply.content.startswith(translated["text"] + "\n" + PHRASES["it"]["translated"])
    assert PHRASES["it"]["ask"] in reply.content and reply.attributes["bot"]["article_url"] in reply.content
    # Its "yes" to "did that help?" is read as such: the bot translates and
    # searches nothing (the agents' own translation of the message goes on).
    bot_translations: list[list[tuple[str, str, str]]] = []
    counted = language_services.translate_preferring_direct

    def counting(db: Session, runtime: Any, account_id: int, attempts: Any) -> Any:
        tried = list(attempts)
        bot_translations.append(tried)
        return counted(db, runtime, account_id, tried)

    monkeypatch.setattr(language_services, "translate_preferring_direct", counting)
    seen = say(client, ctx, customer, "sì, grazie")
    assert seen[-1]["content"] == PHRASES["it"]["thank"] and bot_translations == []
    # Nor is a request for a person.
    say(client, ctx, visitor(client, bot_demo, "it"), "voglio parlare con un operatore")
    handoff = [m for m in timeline(db, conversation_of(db)) if m.direction is Direction.activity][-1]
    assert handoff.attributes["reason"] == "asked_for_person" and bot_translations == []
    # A question still is.
    say(client, ctx, visitor(client, bot_demo, "it"), "Quanto costa la spedizione?")
    assert bot_translations and bot_translations[0][0][0] == "Quanto costa la spedizione?"
    # A question in a language no engine here translates is searched as it came.
    other = visitor(client, bot_demo, "ko")
    say(client, ctx, other, "비밀번호를 잊어버렸어요")
    last = [m for m in timeline(db, conversation_of(db)) if m.direction is Direction.outgoing][-1]
    assert "searched" not in last.attributes["bot"]


@pytest.mark.parametrize("text", ["🙂", "?" * 3, "가" * 9_999 + "?", "Lorem <script>alert(1)</script> " * 300])
def test_odd_messages_get_a_hand_over_never_an_error(client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, text: str) -> None:
    customer = visitor(client, bot_demo, "ko")
    seen = say(client, ctx, customer, text)
    # Korean is not in the knowledge base: English words, and a person.
    assert seen[-1]["content"] == PHRASES["en"]["handoff"]
    assert not conversation_of(db).bot_active


def test_an_agent_who_replies_takes_over_from_the_bot(client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user) -> None:  # type: ignore[no-untyped-def]
    customer = visitor(client, bot_demo, "es")
    say(client, ctx, customer, "¿Dónde está mi pedido?")
    conversation = conversation_of(db)
    reply = client.post(
        f"/api/v1/accounts/{bot_demo.account_id}/conversations/{conversation.id}/messages",
        json={"content": "Hola Eva, lo miro ahora mismo."},
        headers=as_user(bot_demo.user("maria")),
    )
    assert reply.status_code == 201, reply.text
    assert ctx.services["faq_bot"].wait_idle(30)
    conversation = conversation_of(db)
    assert not conversation.bot_active
    assert timeline(db, conversation)[-1].attributes["reason"] == "agent_took_over"
    seen = say(client, ctx, customer, "¿Cómo puedo rastrear mi paquete?")
    assert seen[-1]["direction"] == "incoming"


def test_no_bot_where_the_inbox_does_not_enable_it(client: TestClient, demo: DemoWorld, ctx: AppContext, db: Session) -> None:
    customer = visitor(client, demo, "es")
    seen = say(client, ctx, customer, "¿Dónde está mi pedido?")
    assert [m["direction"] for m in seen] == ["incoming"]
    assert not conversation_of(db).bot_active


def test_an_unanswered_question_becomes_an_article_the_bot_then_uses(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, as_user
) -> None:  # type: ignore[no-untyped-def]
    admin = as_user(bot_demo.user("admin"))
    kb = f"/api/v1/accounts/{bot_demo.account_id}/kb"
    say(client, ctx, visitor(client, bot_demo, "en"), "Are gift certificates available?")
    unanswered = client.get(f"{kb}/bot/exchanges", params={"outcome": "handoff", "unresolved": True}, headers=admin).json()
    assert unanswered[0]["question"] == "Are gift certificates available?" and unanswered[0]["reason"] == "low_score"
    article = {
        "slug": "gift-cards",
        "versions": [
            {"language": "en", "title": "Gift cards", "summary": "Yes: gift cards from 10 to 200 euros, sent by e-mail.", "status": "published"}
        ],
    }
    resolved = client.post(f"{kb}/bot/exchanges/{unanswered[0]['id']}/resolve", json={"article": article}, headers=admin)
    assert resolved.status_code == 200, resolved.text
    assert resolved.json()["versions"][0]["questions"] == ["Are gift certificates available?"]
    assert client.get(f"{kb}/bot/exchanges", params={"outcome": "handoff", "unresolved": True}, headers=admin).json() == []
    seen = say(client, ctx, visitor(client, bot_demo, "en"), "Are gift certificates available?")
    assert str(seen[-1]["content"]).startswith("Yes: gift cards")
    bad = client.post(f"{kb}/bot/exchanges/{unanswered[0]['id']}/resolve", json={}, headers=admin)
    assert bad.status_code == 422 and bad.json()["field"] == "article_id"
    assert client.get(f"{kb}/bot/exchanges", params={"outcome": "maybe"}, headers=admin).json()["field"] == "outcome"


def test_the_widget_receives_the_answer_live(client: TestClient, bot_demo: DemoWorld, ctx: AppContext) -> None:
    token = visitor(client, bot_demo, "de")["X-Visitor-Token"]
    with client.websocket_connect(f"/widget/api/ws?token={token}") as socket:
        socket.send_text(json.dumps({"type": "message", "content": "Was kostet der Versand?", "client_id": "m1"}))
        contents = []
        for _ in range(6):
            frame = json.loads(socket.receive_text())
            if frame.get("event") == "message":
                contents.append(frame["message"]["content"])
                if frame["message"]["direction"] == "outgoing":
                    break
    assert contents[0] == "Was kostet der Versand?"
    assert contents[-1].startswith("Der Standardversand kostet 4,90 €")


def test_an_agent_who_takes_the_conversation_stops_the_bot(client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user) -> None:  # type: ignore[no-untyped-def]
    customer = visitor(client, bot_demo, "pt")
    say(client, ctx, customer, "Onde está a minha encomenda?")
    conversation = conversation_of(db)
    maria = bot_demo.user("maria")
    taken = client.post(
        f"/api/v1/accounts/{bot_demo.account_id}/conversations/{conversation.id}/assignments",
        json={"assignee_id": maria.id},
        headers=as_user(maria),
    )
    assert taken.status_code == 200, taken.text
    seen = say(client, ctx, customer, "Quanto custa o frete?")
    assert seen[-1]["direction"] == "incoming"  # no bot answer after the agent took it
    conversation = conversation_of(db)
    assert not conversation.bot_active and conversation.assignee_id == maria.id
    assert [m.attributes.get("reason") for m in timeline(db, conversation) if m.direction is Direction.activity][-1] == "agent_took_over"


def test_after_the_bots_hand_off_routing_gives_the_chat_to_an_agent_who_speaks_the_language(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, as_user, db: Session  # type: ignore[no-untyped-def]
) -> None:
    admin, maria = as_user(bot_demo.user("admin")), as_user(bot_demo.user("maria"))
    queue = client.post(
        f"/api/v1/accounts/{bot_demo.account_id}/routing/queues",
        json={"name": "Website chat", "inbox_ids": [bot_demo.inbox_id], "steps": [{"min_language_level": 4}]},
        headers=admin,
    )
    assert queue.status_code == 201, queue.text
    assert client.patch("/api/v1/profile", json={"availability": "online"}, headers=maria).status_code == 200
    headers = visitor(client, bot_demo, "es")
    say(client, ctx, headers, "Quiero hablar con una persona, por favor")
    maria_id = bot_demo.user("maria").id
    assert wait_until(lambda: conversation_of(db).assignee_id == maria_id, timeout=15)
    conversation = conversation_of(db)
    assert conversation.bot_active is False
    lines = db.scalars(
        select(Message).where(Message.conversation_id == conversation.id, Message.direction == Direction.activity)
    ).all()
    assert [m.attributes.get("activity") for m in lines][-2:] == ["bot_handoff", "routed"]


def test_an_inbox_threshold_counts_only_for_the_scoring_it_was_set_for(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session
) -> None:
    # The tests' bot matches words only. A threshold set for embedding scores
    # (0.9, a scale words-only scoring never reaches for this question) must
    # not make it hand over; one set for words-only scoring must.
    inbox = db.get(Inbox, bot_demo.inbox_id)
    assert inbox is not None
    inbox.settings = {**inbox.settings, "bot_threshold": 0.9}
    db.commit()
    seen = say(client, ctx, visitor(client, bot_demo, "es"), "¿Dónde está mi pedido?")
    assert str(seen[-1]["content"]).startswith("Puedes seguir tu paquete")
    inbox.settings = {**inbox.settings, "bot_words_threshold": 0.9}
    db.commit()
    seen = say(client, ctx, visitor(client, bot_demo, "es"), "¿Dónde está mi pedido?")
    assert seen[-1]["content"] == PHRASES["es"]["handoff"]
    handoff = [m for m in timeline(db, conversation_of(db)) if m.direction is Direction.activity][-1]
    assert handoff.attributes["reason"] == "low_score"


def test_a_file_from_the_customer_goes_to_a_person(client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session) -> None:
    customer = visitor(client, bot_demo, "es")
    say(client, ctx, customer, "¿Dónde está mi pedido?")
    assert conversation_of(db).bot_active
    # A photo of what arrived broken: the bot cannot look at it, so it hands
    # over at once (even while it waits for "did that help?"), searching nothing.
    sent = client.post("/widget/api/files", files={"file": ("IMG_2041.jpg", b"\xff\xd8\xff photo", "image/jpeg")}, headers=customer)
    assert sent.status_code == 201, sent.text
    assert ctx.services["faq_bot"].wait_idle(30)
    seen = client.get("/widget/api/session", headers=customer).json()["messages"]
    assert seen[-1]["content"] == PHRASES["es"]["handoff"]
    conversation = conversation_of(db)
    assert not conversation.bot_active
    handoff = [m for m in timeline(db, conversation) if m.direction is Direction.activity][-1]
    assert handoff.attributes["reason"] == "sent_files"


# -- the bot never speaks after a person ------------------------------------------------


def _hold(ctx: AppContext, monkeypatch: pytest.MonkeyPatch, step: str) -> threading.Event:
    """Hold the bot's worker at `step` ("handle": before it looks at the
    message, as with a backlog after a restart; "_search": while it
    searches) until the returned event is set."""
    worker = ctx.services["faq_bot"]
    gate = threading.Event()
    original: Callable[..., Any] = getattr(worker, step)

    def held(*args: Any, **kwargs: Any) -> Any:
        assert gate.wait(30)
        return original(*args, **kwargs)

    monkeypatch.setattr(worker, step, held)
    return gate


def _step_in(client: TestClient, demo: DemoWorld, as_user: Any, conversation_id: int, how: str) -> None:
    maria = demo.user("maria")
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    if how == "reply":
        done = client.post(f"{url}/messages", json={"content": "Hola Eva, lo miro ahora mismo."}, headers=as_user(maria))
    else:
        done = client.post(f"{url}/assignments", json={"assignee_id": maria.id}, headers=as_user(maria))
    assert done.status_code in (200, 201), done.text


def _nothing_from_the_bot(db: Session, conversation: Conversation) -> None:
    conversation = conversation_of(db)
    stored = timeline(db, conversation)
    assert [m for m in stored if m.direction is Direction.outgoing and m.sender_type is SenderType.system] == []
    assert db.scalars(select(BotExchange).where(BotExchange.conversation_id == conversation.id)).all() == []
    assert not conversation.bot_active
    assert [m.attributes.get("reason") for m in stored if m.direction is Direction.activity][-1] == "agent_took_over"


@pytest.mark.parametrize("how", ["reply", "assign"])
def test_bot_work_queued_before_a_person_stepped_in_is_dropped(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """After a restart the bot works through its backlog: a question an agent
    has answered (or taken) since it was queued gets nothing from the bot."""
    gate = _hold(ctx, monkeypatch, "handle")
    customer = visitor(client, bot_demo, "es")
    assert client.post("/widget/api/messages", json={"content": "¿Dónde está mi pedido?"}, headers=customer).status_code == 201
    conversation = conversation_of(db)
    _step_in(client, bot_demo, as_user, conversation.id, how)
    gate.set()
    assert ctx.services["faq_bot"].wait_idle(30)
    _nothing_from_the_bot(db, conversation)


@pytest.mark.parametrize("how", ["reply", "assign"])
def test_a_person_who_steps_in_while_the_bot_searches_silences_it(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user: Any, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """Checked when the bot is about to send, not only when the work was
    queued; and the agent never waits for the bot's search."""
    gate = _hold(ctx, monkeypatch, "_search")
    customer = visitor(client, bot_demo, "es")
    assert client.post("/widget/api/messages", json={"content": "¿Dónde está mi pedido?"}, headers=customer).status_code == 201
    conversation = conversation_of(db)
    agent = threading.Thread(target=_step_in, args=(client, bot_demo, as_user, conversation.id, how))
    agent.start()
    agent.join(15)
    waited = agent.is_alive()
    gate.set()
    agent.join(30)
    assert not waited, "the agent's request waited for the bot"
    assert ctx.services["faq_bot"].wait_idle(30)
    _nothing_from_the_bot(db, conversation)


# -- while the bot starts ---------------------------------------------------------------


def test_while_the_bot_starts_its_page_says_so_and_customers_go_to_a_person_at_once(
    client: TestClient, bot_demo: DemoWorld, ctx: AppContext, db: Session, as_user, monkeypatch: pytest.MonkeyPatch  # type: ignore[no-untyped-def]
) -> None:
    worker = ctx.services["faq_bot"]
    page = client.get("/app/kb/bot", headers=as_user(bot_demo.user("supervisor"))).text
    assert 'data-testid="kb-bot-starting"' not in page  # ready: nothing to say
    # The model and the first index still loading (minutes on a slow machine).
    monkeypatch.setattr(type(worker), "starting", property(lambda self: True))
    supervisor = as_user(bot_demo.user("supervisor"))
    page = client.get("/app/kb/bot", headers=supervisor).text
    assert 'data-testid="kb-bot-starting"' in page and "The FAQ bot is starting" in page
    chinese = client.get("/app/kb/bot", headers={**supervisor, "Accept-Language": "zh-CN"}).text
    assert "常见问题机器人正在启动" in chinese
    customer = visitor(client, bot_demo, "es")
    seen = say(client, ctx, customer, "¿Dónde está mi pedido?")
    assert seen[-1]["content"] == PHRASES["es"]["starting"]
    conversation = conversation_of(db)
    assert not conversation.bot_active  # a person's now, for routing to assign
    assert timeline(db, conversation)[-1].attributes["reason"] == "starting"
