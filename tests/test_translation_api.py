"""Translation in the product: incoming messages translated after commit for
the agents who read them, translated replies with the fact check, glossary,
memory and corrections, on-demand translation and the bilingual transcript.
Apertium is the real engine; a local LibreTranslate stand-in plays a
misbehaving one."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete

from conftest import DemoWorld
from dragoman.conversations.events import MessageUpdated
from dragoman.core import events
from dragoman.core.http import AppContext
from dragoman.language.engines.remote import LibreTranslateEngine
from translation_fakes import FakeTranslationService


def _chat(client: TestClient, demo: DemoWorld, text: str, language: str = "es") -> tuple[dict[str, str], int]:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen", "language": language}).json()
    headers = {"X-Visitor-Token": visitor["visitor_token"]}
    sent = client.post("/widget/api/messages", json={"content": text}, headers=headers)
    assert sent.status_code == 201, sent.text
    return headers, sent.json()["conversation_id"]


def _settle(ctx: AppContext) -> None:
    assert ctx.services["translation_worker"].wait_idle(30)


def _messages(client: TestClient, demo: DemoWorld, headers: dict[str, str], conversation_id: int) -> list[dict[str, Any]]:
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages"
    return client.get(url, headers=headers).json()  # type: ignore[no-any-return]


def test_incoming_message_is_translated_for_its_readers_after_commit(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    heard: list[events.Event] = []
    ctx.bus.subscribe(heard.append)
    _visitor, conversation_id = _chat(client, demo, "Hola, mi pedido ORD-55120 no ha llegado todavía")
    _settle(ctx)
    admin = as_user(demo.user("admin"))
    incoming = _messages(client, demo, admin, conversation_id)[0]
    assert incoming["content"] == "Hola, mi pedido ORD-55120 no ha llegado todavía"  # the original is never overwritten
    translations = incoming["attributes"]["translations"]
    # Unassigned: every agent's working language (en, es, zh-Hans); not the message's own.
    assert set(translations) == {"en", "zh"}
    english = translations["en"]
    assert english["status"] == "translated" and english["engine"] == "apertium" and english["from"] == "es"
    assert "ORD-55120" in english["text"] and english["text"] != incoming["content"]
    chinese = translations["zh"]
    assert chinese["status"] == "not_translated" and chinese["text"] is None
    assert chinese["reason"] == "not translated: no engine for es→zh"
    updated = [e for e in heard if isinstance(e.payload, MessageUpdated)]
    assert len(updated) == 1
    assert isinstance(updated[0].payload, MessageUpdated)
    assert updated[0].payload.message.attributes["translations"]["en"]["text"] == english["text"]
    assert updated[0].payload.conversation.id == conversation_id  # so the hub forwards it to who may see it


def test_assigning_translates_into_the_new_assignees_language(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    _visitor, conversation_id = _chat(client, demo, "Hola, necesito cambiar la dirección de entrega")
    _settle(ctx)
    changed = client.patch("/api/v1/profile", json={"working_language": "fr"}, headers=as_user(demo.user("sam")))
    assert changed.status_code == 200, changed.text
    assert "fr" not in _messages(client, demo, admin, conversation_id)[0]["attributes"]["translations"]
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    client.post(f"{url}/assignments", json={"assignee_id": demo.user("sam").id}, headers=admin)
    _settle(ctx)
    french = _messages(client, demo, admin, conversation_id)[0]["attributes"]["translations"]["fr"]
    assert french["status"] == "translated" and french["engine"] == "apertium"


def test_translating_any_message_on_request(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    _visitor, conversation_id = _chat(client, demo, "Gracias por la ayuda de ayer")
    _settle(ctx)
    agent = as_user(demo.user("maria"))
    message_id = _messages(client, demo, agent, conversation_id)[0]["id"]
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages/{message_id}/translations"
    unsupported = client.post(url, json={"target_language": "de"}, headers=agent)
    assert unsupported.status_code == 422
    assert unsupported.json() == {
        "error": "unsupported_language_pair",
        "message": "not translated: no engine for es→de",
        "field": "target_language",
    }
    assert client.post(url, json={"target_language": "not a language"}, headers=agent).json()["field"] == "target_language"
    done = client.post(url, json={"target_language": "pt"}, headers=agent)
    assert done.status_code == 200, done.text
    assert done.json()["attributes"]["translations"]["pt"]["engine"] == "apertium"
    assert client.post(url.replace(str(message_id), "999999"), json={"target_language": "pt"}, headers=agent).status_code == 404


def test_memory_reuses_a_translation_and_a_glossary_change_invalidates_it(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    account = f"/api/v1/accounts/{demo.account_id}"
    body = {"text": "Your Acme Cloud plan renews on 2026-12-01", "source_language": "en", "target_language": "es"}
    first = client.post(f"{account}/language/translate", json=body, headers=admin).json()
    again = client.post(f"{account}/language/translate", json=body, headers=admin).json()
    assert first["from_memory"] is False and again["from_memory"] is True and again["text"] == first["text"]
    assert "Acme Cloud" not in first["text"]  # Apertium translates the brand...
    term = client.post(f"{account}/glossary", json={"term": "Acme Cloud"}, headers=admin)
    assert term.status_code == 201, term.text
    kept = client.post(f"{account}/language/translate", json=body, headers=admin).json()
    assert kept["from_memory"] is False and "Acme Cloud" in kept["text"]  # ...until the glossary says not to
    assert "2026-12-01" in kept["text"] and kept["flags"] == []
    detected = client.post(f"{account}/language/translate", json={"text": "Muchas gracias por todo", "target_language": "en"}, headers=admin)
    assert detected.json()["from"] == "es"
    unsupported = client.post(f"{account}/language/translate", json={**body, "target_language": "ja"}, headers=admin)
    assert unsupported.status_code == 422 and unsupported.json()["message"] == "not translated: no engine for en→ja"


def test_glossary_crud_and_forced_translations(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    url = f"/api/v1/accounts/{demo.account_id}/glossary"
    forced = client.post(url, json={"term": "refund", "translation": "devolución", "source_language": "en", "target_language": "es"}, headers=admin)
    assert forced.status_code == 201
    assert client.post(url, json={"term": "Refund", "translation": "x", "source_language": "en", "target_language": "es"}, headers=admin).status_code == 409
    missing_pair = client.post(url, json={"term": "order", "translation": "pedido"}, headers=admin)
    assert missing_pair.status_code == 422 and missing_pair.json()["field"] == "target_language"
    assert client.post(url, json={"term": "  "}, headers=admin).json()["field"] == "term"
    assert client.post(url, json={"term": "Acme"}, headers=as_user(demo.user("maria"))).status_code == 403
    translated = client.post(
        f"/api/v1/accounts/{demo.account_id}/language/translate",
        json={"text": "We sent your refund today", "source_language": "en", "target_language": "es"},
        headers=admin,
    ).json()
    assert "devolución" in translated["text"]
    term_id = forced.json()["id"]
    patched = client.patch(f"{url}/{term_id}", json={"translation": "reembolso"}, headers=admin)
    assert patched.status_code == 200 and patched.json()["translation"] == "reembolso"
    assert [t["term"] for t in client.get(url, headers=as_user(demo.user("maria"))).json()] == ["refund"]
    assert client.delete(f"{url}/{term_id}", headers=admin).status_code == 204
    assert client.get(url, headers=admin).json() == []
    assert client.delete(f"{url}/{term_id}", headers=admin).status_code == 404


def test_agent_reply_is_sent_in_the_customers_language_with_the_original_kept(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    visitor, conversation_id = _chat(client, demo, "Hola, ¿cuándo llega mi pedido ORD-55120?")
    sam = as_user(demo.user("sam"))  # works in English
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    client.patch(f"/api/v1/accounts/{demo.account_id}/language_settings", json={"order_pattern": r"ORD-\d{5}"}, headers=as_user(demo.user("admin")))
    text = "Your order ORD-55120 ships tomorrow, the total is $25.50."
    preview = client.post(f"{url}/translation_preview", json={"content": text}, headers=sam)
    assert preview.status_code == 200, preview.text
    shown = preview.json()
    assert shown["from"] == "en" and shown["to"] == "es" and shown["engine"] == "apertium"
    assert shown["needs_confirmation"] is False
    assert "ORD-55120" in shown["content"] and "$25.50" in shown["content"]
    sent = client.post(f"{url}/messages", json={"content": text, "translate": True}, headers=sam)
    assert sent.status_code == 201, sent.text
    message = sent.json()
    assert message["content"] == shown["content"]  # what the customer receives
    assert message["attributes"]["original"]["content"] == text
    assert message["attributes"]["original"]["language"] == "en"
    session = client.get("/widget/api/session", headers=visitor).json()
    assert session["messages"][-1]["content"] == shown["content"]
    assert client.post(f"{url}/translation_preview", json={"content": " "}, headers=sam).json()["field"] == "content"


def test_order_numbers_and_other_facts_reach_the_customer_unchanged_without_any_setting(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    """The demo account has no order pattern: Apertium alone turns "#DR-48213"
    into "#DR.-48213" and "SKU-12-XL" into "SKU-12-#XL"; protected by default,
    they reach the customer as written, and an edit that changes one is stopped."""
    visitor, conversation_id = _chat(client, demo, "Hola, ¿dónde está mi pedido #DR-48213?")
    sam = as_user(demo.user("sam"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    text = "Your order #DR-48213 ships on 7 Dec 2026; the SKU-12-XL costs $12.50, tracking 1Z999AA10123456784."
    sent = client.post(f"{url}/messages", json={"content": text, "translate": True}, headers=sam)
    assert sent.status_code == 201, sent.text
    content = sent.json()["content"]
    assert content != text and sent.json()["attributes"]["original"]["engine"] == "apertium"
    for fact in ("#DR-48213", "7 Dec 2026", "SKU-12-XL", "$12.50", "1Z999AA10123456784"):
        assert fact in content
    assert "#DR.-48213" not in content and "SKU-12-#XL" not in content
    assert client.get("/widget/api/session", headers=visitor).json()["messages"][-1]["content"] == content
    mangled = {"content": text, "translate": True, "translation": content.replace("#DR-48213", "#DR.-48213")}
    stopped = client.post(f"{url}/messages", json=mangled, headers=sam)
    assert stopped.status_code == 409 and stopped.json()["preview"]["missing_facts"] == ["#DR-48213"]


@pytest.fixture
def lossy_engine(ctx: AppContext, client: TestClient, demo: DemoWorld, as_user: Any) -> Iterator[FakeTranslationService]:
    """A LibreTranslate that loses numbers, first in the account's en→es chain."""
    fake = FakeTranslationService(mode="drop_placeholders").start()
    ctx.services["language"].engines.add(LibreTranslateEngine(fake.url))
    answer = client.patch(
        f"/api/v1/accounts/{demo.account_id}/language_settings",
        json={"engine_chains": {"en-es": ["libretranslate"]}},
        headers=as_user(demo.user("admin")),
    )
    assert answer.status_code == 200, answer.text
    yield fake
    ctx.services["language"].engines.remove("libretranslate")
    fake.stop()


def test_a_reply_that_loses_a_fact_waits_for_the_agents_confirmation(
    client: TestClient, demo: DemoWorld, as_user: Any, lossy_engine: FakeTranslationService
) -> None:
    _visitor, conversation_id = _chat(client, demo, "Hola, ¿cuánto cuesta el envío urgente?")
    sam = as_user(demo.user("sam"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    text = "Express shipping costs $12 and takes 2 days."
    stopped = client.post(f"{url}/messages", json={"content": text, "translate": True}, headers=sam)
    assert stopped.status_code == 409
    body = stopped.json()
    assert body["error"] == "translation_unconfirmed" and body["field"] == "confirm"
    assert set(body["preview"]["missing_facts"]) == {"$12", "2"}
    assert "facts_missing" in body["preview"]["flags"]
    assert [m["direction"] for m in _messages(client, demo, sam, conversation_id)] == ["incoming"]  # nothing sent
    # The agent edits the translation: checked again, sent, and remembered.
    edited = "El envío urgente cuesta $12 y tarda 2 días."
    sent = client.post(f"{url}/messages", json={"content": text, "translate": True, "translation": edited}, headers=sam)
    assert sent.status_code == 201, sent.text
    assert sent.json()["content"] == edited and sent.json()["attributes"]["original"]["engine"] == "agent"
    reused = client.post(f"{url}/translation_preview", json={"content": text}, headers=sam).json()
    assert reused["content"] == edited and reused["engine"] == "correction" and reused["needs_confirmation"] is False
    # An edit that loses a fact is stopped too; confirm sends it anyway, flagged.
    bad_edit = {"content": "Costs $9", "translate": True, "translation": "Cuesta poco"}
    assert client.post(f"{url}/messages", json=bad_edit, headers=sam).status_code == 409
    other = "Standard shipping costs $5."
    confirmed = client.post(f"{url}/messages", json={"content": other, "translate": True, "confirm": True}, headers=sam)
    assert confirmed.status_code == 201
    original = confirmed.json()["attributes"]["original"]
    assert original["confirmed"] is True and original["missing_facts"] == ["$5"]


def test_an_agents_correction_of_an_incoming_translation_is_reused(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    text = "Mi paquete llegó roto"
    _visitor, conversation_id = _chat(client, demo, text)
    _settle(ctx)
    agent = as_user(demo.user("sam"))
    message_id = _messages(client, demo, agent, conversation_id)[0]["id"]
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages/{message_id}/translations/en"
    corrected = client.put(url, json={"text": "My parcel arrived broken"}, headers=agent)
    assert corrected.status_code == 200, corrected.text
    assert corrected.json()["attributes"]["translations"]["en"] == {
        **corrected.json()["attributes"]["translations"]["en"], "text": "My parcel arrived broken", "engine": "correction",
    }
    _visitor2, second = _chat(client, demo, text)
    _settle(ctx)
    assert _messages(client, demo, agent, second)[0]["attributes"]["translations"]["en"]["text"] == "My parcel arrived broken"


def test_bilingual_transcript(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    _visitor, conversation_id = _chat(client, demo, "Buenos días, tengo una pregunta sobre mi factura")
    sam = as_user(demo.user("sam"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    client.post(f"{url}/messages", json={"content": "Good morning, how can I help?", "translate": True}, headers=sam)
    client.post(f"{url}/messages", json={"content": "internal: check billing", "message_type": "note"}, headers=sam)
    _settle(ctx)
    lines = client.get(f"{url}/transcript", headers=sam).json()["lines"]
    assert [line["direction"] for line in lines] == ["incoming", "outgoing"]  # notes stay internal
    assert lines[0]["language"] == "es" and lines[0]["translation_language"] == "en" and lines[0]["engine"] == "apertium"
    assert lines[1]["translation"] == "Good morning, how can I help?" and lines[1]["language"] == "es"
    text = client.get(f"{url}/transcript", params={"format": "text"}, headers=sam)
    assert text.headers["content-type"].startswith("text/plain")
    assert "Buenos días, tengo una pregunta sobre mi factura" in text.text and "en, apertium:" in text.text
    assert client.get(f"{url}/transcript", params={"format": "pdf"}, headers=sam).json()["field"] == "format"


def test_a_reply_already_in_the_customers_language_goes_out_as_written(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    _visitor, conversation_id = _chat(client, demo, "Hi, my app crashes when I open it", language="en")
    li_wei = as_user(demo.user("li.wei"))  # works in Chinese
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    text = "Sorry to hear that! Which phone do you use?"
    preview = client.post(f"{url}/translation_preview", json={"content": text}, headers=li_wei).json()
    assert preview["not_needed"] is True and preview["content"] == text and preview["engine"] is None
    sent = client.post(f"{url}/messages", json={"content": text, "translate": True}, headers=li_wei)
    assert sent.status_code == 201 and sent.json()["content"] == text
    assert "original" not in sent.json()["attributes"]
    # Chinese to English has no engine here: a clear 4xx, and nothing is sent.
    unsupported = client.post(f"{url}/messages", json={"content": "请重新启动应用程序", "translate": True}, headers=li_wei)
    assert unsupported.status_code == 422
    assert unsupported.json()["error"] == "unsupported_language_pair"
    assert unsupported.json()["message"] == "not translated: no engine for zh→en"
    sent_so_far = [m for m in client.get(f"{url}/messages", headers=li_wei).json() if m["direction"] != "activity"]
    assert len(sent_so_far) == 2


def test_an_impossible_translation_is_not_redone_on_every_assignment(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    heard: list[events.Event] = []
    ctx.bus.subscribe(heard.append)
    _visitor, conversation_id = _chat(client, demo, "Hola, ¿tienen tienda en Valencia?")
    _settle(ctx)
    admin = as_user(demo.user("admin"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    assert client.post(f"{url}/assignments", json={"assignee_id": demo.user("li.wei").id}, headers=admin).status_code == 200
    _settle(ctx)
    # es→zh has no engine: already stored as such when the message came in; nothing new to announce.
    assert [e.name for e in heard].count(MessageUpdated.kind) == 1
    translations = _messages(client, demo, admin, conversation_id)[0]["attributes"]["translations"]
    assert translations["zh"]["reason"] == "not translated: no engine for es→zh"


def test_an_integrators_reply_follows_the_language_it_is_written_in(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    """Without `translate`, English to a Spanish customer reaches her in
    Spanish; Spanish goes as written; `translate: false` is the explicit
    opt-out."""
    visitor, conversation_id = _chat(client, demo, "Hola, ¿cuándo llega mi pedido?")
    sam = as_user(demo.user("sam"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    english = client.post(f"{url}/messages", json={"content": "Your parcel will arrive tomorrow morning."}, headers=sam)
    assert english.status_code == 201, english.text
    assert "mañana" in english.json()["content"]
    assert english.json()["attributes"]["original"]["content"] == "Your parcel will arrive tomorrow morning."
    spanish = client.post(f"{url}/messages", json={"content": "Gracias por su paciencia, llegará mañana."}, headers=sam)
    assert spanish.json()["content"] == "Gracias por su paciencia, llegará mañana."
    assert "original" not in spanish.json()["attributes"]
    as_written = client.post(f"{url}/messages", json={"content": "See you soon!", "translate": False}, headers=sam)
    assert as_written.json()["content"] == "See you soon!"
    received = [m["content"] for m in client.get("/widget/api/session", headers=visitor).json()["messages"][1:]]
    assert received == [english.json()["content"], "Gracias por su paciencia, llegará mañana.", "See you soon!"]


def test_a_reply_no_engine_can_translate_needs_the_explicit_send_untranslated(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    visitor, conversation_id = _chat(client, demo, "Hallo, wo ist meine Bestellung?", language="de")
    sam = as_user(demo.user("sam"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    refused = client.post(f"{url}/messages", json={"content": "It ships tomorrow."}, headers=sam)
    assert refused.status_code == 422 and refused.json()["error"] == "unsupported_language_pair"
    assert refused.json()["field"] == "translate"
    assert len(client.get("/widget/api/session", headers=visitor).json()["messages"]) == 1
    sent = client.post(f"{url}/messages", json={"content": "It ships tomorrow.", "translate": False}, headers=sam)
    assert sent.status_code == 201 and sent.json()["content"] == "It ships tomorrow."
    # A note is for colleagues: never translated, never refused.
    note = client.post(f"{url}/messages", json={"content": "Customer writes German", "message_type": "note"}, headers=sam)
    assert note.status_code == 201


def test_a_transfer_note_no_engine_translates_for_the_taker_needs_the_agents_second_word(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    _visitor, conversation_id = _chat(client, demo, "Hola, quiero devolver mi pedido 4711.")
    maria = as_user(demo.user("maria"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    note = "Quiere devolver el pedido 4711; el paquete está sin abrir."
    # Li Wei works in Chinese and reads English, not Spanish; nothing here translates es→zh.
    refused = client.post(f"{url}/assignments", json={"assignee_id": demo.user("li.wei").id, "note": note}, headers=maria)
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["error"] == "note_untranslatable" and body["field"] == "note" and body["language"] == "es"
    assert body["readers"] == [{"name": "Li Wei", "working_language": "zh"}]
    # Nothing changed: not assigned, no note.
    after = client.get(url, headers=maria).json()
    assert after["assignee"] is None
    assert not [m for m in _messages(client, demo, maria, conversation_id) if m["direction"] == "note"]
    # A team with Li Wei in it is refused too, naming only him.
    teams = {team["name"]: team["id"] for team in client.get(f"/api/v1/accounts/{demo.account_id}/teams", headers=maria).json()}
    team = client.post(f"{url}/assignments", json={"team_id": teams["Tech support"], "assignee_id": None, "note": note}, headers=maria)
    assert team.status_code == 422 and [r["name"] for r in team.json()["readers"]] == ["Li Wei"]

    # Said explicitly, it goes as written.
    sent = client.post(
        f"{url}/assignments", json={"assignee_id": demo.user("li.wei").id, "note": note, "note_untranslated": True}, headers=maria
    )
    assert sent.status_code == 200, sent.text
    assert sent.json()["assignee"]["id"] == demo.user("li.wei").id
    admin = as_user(demo.user("admin"))  # María no longer sees a chat she handed over
    written = [m for m in _messages(client, demo, admin, conversation_id) if m["direction"] == "note"][-1]
    assert written["content"] == note and written["attributes"]["language"]["code"] == "es"

    # Sam works in English: Apertium serves es→en, so the note just goes, translated.
    _visitor, second = _chat(client, demo, "Hola, ¿dónde está mi pedido 4712?")
    to_sam = client.post(
        f"/api/v1/accounts/{demo.account_id}/conversations/{second}/assignments",
        json={"assignee_id": demo.user("sam").id, "note": note},
        headers=maria,
    )
    assert to_sam.status_code == 200, to_sam.text
    translated = [m for m in _messages(client, demo, admin, second) if m["direction"] == "note"][-1]
    assert translated["attributes"]["translations"]["en"]["status"] == "translated"

    # A ticket's transfer summary is held the same way (field summary).
    sofia = as_user(demo.user("supervisor"))  # writes English and Spanish
    ticket = client.post(f"/api/v1/accounts/{demo.account_id}/conversations/{second}/ticket", json={}, headers=sofia).json()
    transfer = f"/api/v1/accounts/{demo.account_id}/tickets/{ticket['id']}/transfer"
    summary = {"team_id": teams["Tech support"], "summary": "El cliente quiere devolver el pedido 4712; el paquete está sin abrir."}
    held = client.post(transfer, json=summary, headers=sofia)
    assert held.status_code == 422 and held.json()["field"] == "summary" and [r["name"] for r in held.json()["readers"]] == ["Li Wei"]
    assert client.get(f"/api/v1/accounts/{demo.account_id}/tickets/{ticket['id']}", headers=sofia).json()["team_id"] != teams["Tech support"]
    moved = client.post(transfer, json={**summary, "summary_untranslated": True}, headers=sofia)
    assert moved.status_code == 200 and moved.json()["team_id"] == teams["Tech support"]


def test_messages_stored_while_no_translator_ran_are_translated_when_it_starts(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    """A server stopped with a backlog, or messages written by `dragoman
    demo`: the next start translates them for their readers."""
    from dragoman.conversations.translation_worker import TranslationWorker
    from dragoman.core.jobs import Job

    ctx.services["jobs"].stop()
    _visitor, conversation_id = _chat(client, demo, "Hola, mi pedido ORD-55177 llegó roto")
    # Written with no job to translate it (as `dragoman demo` writes).
    with ctx.session_factory() as db:
        db.execute(delete(Job))
        db.commit()
    admin = as_user(demo.user("admin"))
    assert "translations" not in _messages(client, demo, admin, conversation_id)[0]["attributes"]
    restarted = TranslationWorker(ctx.session_factory, ctx.services["language"])
    restarted.start()
    try:
        assert restarted.wait_idle(30)
    finally:
        restarted.stop()
    english = _messages(client, demo, admin, conversation_id)[0]["attributes"]["translations"]["en"]
    assert english["status"] == "translated" and "ORD-55177" in english["text"]
