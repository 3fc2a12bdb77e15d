"""Bad input at the edge: text that cannot be stored, JSON nested too deep,
numbers beyond 64 bits and bodies too large answer a 4xx naming the field,
store nothing, and leave the server writing for everyone else."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import DemoWorld, api_token, bearer
from dragoman.core.mime import parse_email
from dragoman.contacts.models import Contact
from dragoman.conversations.models import Message
from dragoman.core.edge import MAX_JSON_DEPTH, parse_json, plain_integer, storable_text, value_problem
from dragoman.core.errors import InvalidInput
from dragoman.core.http import AppContext

JSON = {"Content-Type": "application/json"}


def _count(ctx: AppContext, model: Any) -> int:
    with ctx.session_factory() as db:
        return int(db.scalar(select(func.count(model.id))) or 0)


def _visitor(client: TestClient, demo: DemoWorld) -> dict[str, str]:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()
    return {"X-Visitor-Token": visitor["visitor_token"]}


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ('{"content": "\\ud800"}', "lone surrogate"),
        ('{"content": "hi \\udfff there"}', "lone surrogate"),
        ('{"content": "nul \\u0000 inside"}', "NUL"),
    ],
)
def test_a_widget_message_that_cannot_be_stored_is_refused_by_field(
    client: TestClient, ctx: AppContext, demo: DemoWorld, raw: str, reason: str
) -> None:
    visitor = _visitor(client, demo)
    before = _count(ctx, Message)
    for _ in range(10):  # ten of them must not stop anyone else
        answer = client.post("/widget/api/messages", content=raw.encode(), headers={**visitor, **JSON})
        assert answer.status_code == 422, answer.text
        assert answer.json()["field"] == "content" and reason in answer.json()["message"]
    assert _count(ctx, Message) == before
    sent = client.post("/widget/api/messages", json={"content": "a normal question"}, headers=visitor)
    assert sent.status_code == 201


def test_a_pair_of_surrogates_is_ordinary_text(client: TestClient, demo: DemoWorld) -> None:
    # "\ud83d\ude00" is an escaped emoji, not a lone surrogate.
    answer = client.post(
        "/widget/api/messages", content='{"content": "thanks \\ud83d\\ude00"}'.encode(), headers={**_visitor(client, demo), **JSON}
    )
    assert answer.status_code == 201 and answer.json()["content"] == "thanks 😀"


def test_api_fields_nested_keys_and_forms_name_what_is_wrong(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    base = f"/api/v1/accounts/{demo.account_id}"
    before = _count(ctx, Contact)
    nul = client.post(f"{base}/contacts", content=b'{"name": "Ann\\u0000"}', headers={**admin, **JSON})
    assert nul.status_code == 422 and nul.json()["field"] == "name"
    nested = client.post(
        f"{base}/contacts", content=b'{"name": "Ann", "attributes": {"notes": ["ok", "\\ud834"]}}', headers={**admin, **JSON}
    )
    assert nested.status_code == 422 and nested.json()["field"] == "attributes.notes.1"
    assert _count(ctx, Contact) == before
    form = client.post("/login", data={"email": "admin@demo.test", "password": "x\x00y"})
    assert form.status_code == 422 and form.json()["field"] == "password"


def test_json_nested_too_deep_is_refused_not_a_server_error(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    deep = "[" * 100_000 + "]" * 100_000
    for content_type in ("application/json", "text/plain"):
        answer = client.post(
            f"/api/v1/accounts/{demo.account_id}/kb/import", content=deep.encode(), headers={**admin, "Content-Type": content_type}
        )
        assert 400 <= answer.status_code < 500, answer.text
        assert "nested" in answer.json()["message"]


@pytest.mark.parametrize("number", ["99999999999999999999999", "-99999999999999999999999", "18446744073709551616", "2147483648"])
def test_ids_beyond_what_an_integer_column_holds_are_missing_or_invalid_never_500(
    client: TestClient, ctx: AppContext, demo: DemoWorld, number: str
) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    base = f"/api/v1/accounts/{demo.account_id}"
    assert client.get(f"{base}/conversations/{number}", headers=admin).status_code == 404
    assert client.get(f"/api/v1/accounts/{number}/conversations", headers=admin).status_code == 404
    query = client.get(f"{base}/conversations?before_id={number}", headers=admin)
    assert query.status_code == 422 and query.json()["field"] == "before_id"
    body = client.post(f"{base}/conversations", content=f'{{"contact_id": {number}, "inbox_id": 1}}'.encode(), headers={**admin, **JSON})
    assert body.status_code == 422 and body.json()["field"] == "contact_id"


def test_nan_infinity_and_huge_floats_are_refused(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    for literal in ("NaN", "Infinity", "1e400", "1e30"):
        answer = client.post(
            f"/api/v1/accounts/{demo.account_id}/conversations",
            content=f'{{"contact_id": {literal}, "inbox_id": 1}}'.encode(),
            headers={**admin, **JSON},
        )
        assert 400 <= answer.status_code < 500, (literal, answer.text)


def test_nul_in_a_path_or_query_is_refused(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    base = f"/api/v1/accounts/{demo.account_id}"
    assert client.get(f"{base}/contacts?q=%00", headers=admin).status_code == 422
    assert client.get(f"{base}/contacts?q=%ff%fe", headers=admin).status_code == 422
    assert client.get("/hc/1/en/articles/a%00b").status_code == 404


def test_a_body_over_the_limit_is_413(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    huge = b'{"name": "' + b"x" * (21 * 1024 * 1024) + b'"}'
    answer = client.post(f"/api/v1/accounts/{demo.account_id}/contacts", content=huge, headers={**admin, **JSON})
    assert answer.status_code == 413 and answer.json()["field"] == "body"


def test_socket_frames_follow_the_same_rules(client: TestClient, demo: DemoWorld) -> None:
    visitor = _visitor(client, demo)
    with client.websocket_connect(f"/widget/api/ws?token={visitor['X-Visitor-Token']}") as socket:
        socket.send_text('{"type": "message", "content": "\\ud800", "client_id": "s1"}')
        error = socket.receive_json()
        assert error["event"] == "error" and error["field"] == "frame.content"
        socket.send_text('{"type": "message", "content": "still here", "client_id": "s2"}')
        echoed = socket.receive_json()
        while echoed.get("event") != "message":
            echoed = socket.receive_json()
        assert echoed["message"]["content"] == "still here"


def test_received_mail_is_kept_with_unstorable_characters_removed() -> None:
    raw = (
        b"From: Ana <ana@example.com>\r\nTo: help@shop.test\r\nSubject: Pedido\r\n"
        b"Content-Type: text/plain; charset=utf-8\r\n\r\nMi pedido\x00 DR-48213 no lleg\xc3\xb3\r\n"
    )
    parsed = parse_email(raw)
    assert parsed.text == "Mi pedido DR-48213 no llegó"


def test_the_rules_as_functions() -> None:
    assert value_problem({"a": [1, "ok", {"b": 2**31 - 1}]}) is None
    assert value_problem({"a": [2**31]}).field == "a.0"  # type: ignore[union-attr]
    too_deep: Any = "x"
    for _ in range(MAX_JSON_DEPTH + 1):
        too_deep = [too_deep]
    assert value_problem(too_deep).error == "too_deep"  # type: ignore[union-attr]
    with pytest.raises(InvalidInput) as refused:
        parse_json('{"articles": [{"title": "\\udc00"}]}', field="file")
    assert refused.value.field == "file.articles.0.title"
    assert storable_text("caf\udcc3\udca9\x00") == "café"
    assert json.loads(json.dumps(storable_text("\udcff"))) == "\ufffd"


def test_a_csv_import_with_nul_is_refused_whole(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    csv_text = "article,language,question,answer\nshipping-time,en,How long\x00?,Three days\n"
    answer = client.post(
        f"/api/v1/accounts/{demo.account_id}/kb/import.csv", content=csv_text.encode(), headers={**admin, "Content-Type": "text/csv"}
    )
    assert answer.status_code == 422 and answer.json()["field"] == "file" and "NUL" in answer.json()["message"]


def test_digits_that_are_not_ascii_are_not_numbers(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    from test_web_login import sign_in

    assert plain_integer("42") == 42 and plain_integer("²") is None and plain_integer("１") is None
    assert plain_integer(str(2**63)) is None and plain_integer("") is None and plain_integer("-1") is None
    sign_in(client, "admin@demo.dragoman.test")
    assert client.get("/app", params={"conversation": "²"}).status_code == 200
    assert client.get("/app/tickets", params={"offset": "²"}).status_code in (200, 422)
    assert client.get("/app/tickets", params={"team_id": "²"}).status_code in (200, 422)
    assert client.get(f"/hc/{demo.account_id}/es/articles/²-x").status_code == 404
