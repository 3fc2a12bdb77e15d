"""Detection at ingest and the conversation's language, through the API the
widget and agents use (real database, real detector)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from conftest import DemoWorld


def _visitor(client: TestClient, demo: DemoWorld, language: str | None = "es") -> dict[str, str]:
    body = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Carmen", "language": language}).json()
    return {"X-Visitor-Token": body["visitor_token"]}


def _say(client: TestClient, visitor: dict[str, str], text: str) -> dict[str, Any]:
    sent = client.post("/widget/api/messages", json={"content": text}, headers=visitor)
    assert sent.status_code == 201, sent.text
    return sent.json()  # type: ignore[no-any-return]


def test_every_incoming_message_stores_its_language_and_confidence(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    visitor = _visitor(client, demo)
    first = _say(client, visitor, "Hola, quiero saber dónde está mi pedido, por favor")
    _say(client, visitor, "我的订单还没有到")
    admin = as_user(demo.user("admin"))
    base = f"/api/v1/accounts/{demo.account_id}/conversations/{first['conversation_id']}"
    messages = client.get(f"{base}/messages", headers=admin).json()
    detected = [m["attributes"]["language"] for m in messages]
    assert [d["code"] for d in detected] == ["es", "zh"]
    assert all(0.5 < d["confidence"] <= 1 for d in detected)
    assert detected[0]["words"] == 9


def test_short_messages_do_not_flip_the_conversation_and_an_override_sticks(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    visitor = _visitor(client, demo, "es")
    conversation_id = _say(client, visitor, "Hola, tengo un problema con la factura de este mes")["conversation_id"]
    admin = as_user(demo.user("admin"))
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}"
    for short in ("ok", "thanks!", "👍", "merci beaucoup", "gracias!"):
        _say(client, visitor, short)
        assert client.get(url, headers=admin).json()["language"] == "es", short
    # Clear evidence does move it: two full English sentences.
    _say(client, visitor, "Sorry, I would rather write in English if that is fine")
    _say(client, visitor, "The invoice shows the wrong amount for last month")
    assert client.get(url, headers=admin).json()["language"] == "en"
    # An agent's choice sticks, whatever the customer writes next.
    assert client.patch(url, json={"language": "es"}, headers=admin).json()["language"] == "es"
    for sentence in ("Can you please check the invoice again for me", "I still think the amount on the invoice is wrong"):
        _say(client, visitor, sentence)
    assert client.get(url, headers=admin).json()["language"] == "es"
    # So does the customer's, from the widget's language menu.
    assert client.patch("/widget/api/visitor", json={"language": "pt"}, headers=visitor).status_code == 200
    _say(client, visitor, "Please answer in English, the invoice is still wrong")
    _say(client, visitor, "I wrote to you three times about this invoice already")
    assert client.get(url, headers=admin).json()["language"] == "pt"


def test_phone_country_is_evidence_when_nothing_else_is_known(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    account = f"/api/v1/accounts/{demo.account_id}"
    contact = client.post(f"{account}/contacts", json={"name": "Jorge", "phone": "+34 612 345 678"}, headers=admin).json()
    created = client.post(
        f"{account}/conversations", json={"inbox_id": demo.inbox_id, "contact_id": contact["id"], "content": "ok"}, headers=admin
    )
    assert created.status_code == 201, created.text
    assert created.json()["language"] == "es"
    # One full sentence outweighs a phone country.
    url = f"{account}/conversations/{created.json()['id']}"
    client.post(f"{url}/messages", json={"message_type": "incoming", "content": "Bonjour, je voudrais changer mon adresse de livraison"}, headers=admin)
    assert client.get(url, headers=admin).json()["language"] == "fr"


def test_account_languages_restrict_detection(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    account = f"/api/v1/accounts/{demo.account_id}"
    text = "Obrigado pela ajuda de ontem"  # Portuguese
    assert client.post(f"{account}/language/detect", json={"text": text}, headers=admin).json()["language"] == "pt"
    patched = client.patch(f"{account}/language_settings", json={"languages": ["en", "es", "zh-Hans"]}, headers=admin)
    assert patched.status_code == 200, patched.text
    assert patched.json()["languages"] == ["en", "es", "zh"]
    assert client.post(f"{account}/language/detect", json={"text": text}, headers=admin).json()["language"] == "es"
    short = client.post(f"{account}/language/detect", json={"text": "ok!"}, headers=admin).json()
    assert short["counts_for_conversation"] is False


def test_language_settings_reject_bad_input_naming_the_field(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    url = f"/api/v1/accounts/{demo.account_id}/language_settings"
    for body, field in (
        ({"languages": []}, "languages"),
        ({"languages": ["not a code"]}, "languages"),
        ({"order_pattern": "ORD-("}, "order_pattern"),
        ({"order_pattern": r"\d*"}, "order_pattern"),
        ({"engine_chains": {"es-en": ["babelfish"]}}, "engine_chains"),
        ({"engine_chains": {"spanish": ["apertium"]}}, "engine_chains"),
    ):
        answer = client.patch(url, json=body, headers=admin)
        assert answer.status_code == 422, body
        assert answer.json()["field"] == field, body
    assert client.patch(url, json={"languages": ["en"]}, headers=as_user(demo.user("maria"))).status_code == 403
    settings = client.get(url, headers=as_user(demo.user("maria"))).json()
    engines = {e["name"]: e for e in settings["engines"]}
    assert engines["apertium"]["available"] is True
    assert engines["deepl"]["available"] is False and "DRAGOMAN_DEEPL_API_KEY" in engines["deepl"]["reason"]
    assert settings["default_chain"] == ["apertium"]
