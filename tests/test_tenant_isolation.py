"""Tenant isolation as a matrix, generated from the app's OpenAPI: every
route that takes an id, called by an admin of account B with the ids of
account A's objects, answers 404 exactly as for a missing id, and nothing of
A changes.

Two accounts are seeded alike (one object of each kind, through the API and
the services). For each route:
- account A's id in the path (every /api/v1/accounts/{account_id} route);
- B's own account in the path, with A's ids for every other id parameter;
- B's own objects for all ids but one, which is A's (B's conversation with
  A's message, B's ticket linked to A's ticket...).

A new route is covered without writing a test; a route with a path
parameter this file cannot fill fails with a message saying to add it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import or_, select

from conftest import api_token, bearer
from dragoman.accounts import services as accounts
from dragoman.accounts.models import Role
from dragoman.config import Settings
from dragoman.core.db import Base
from dragoman.core.http import AppContext
from dragoman.core.jobs import JobStatus, enqueue
from dragoman.kb.models import BotExchange, BotOutcome

PREFIX = "/api/v1/accounts/{account_id}"

# Path parameters that are not ids: the same value for both accounts.
PLAIN_PARAMETERS = {"index": "0", "language": "en", "target_language": "es"}

# Routes that take an id yet are public by design, with the reason.
NOT_TENANT_ROUTES = {
    # The website token is the widget's public credential, printed in every
    # page of the customer's site: anyone may start a chat with it.
    ("POST", "/widget/api/{website_token}/visitors"): "public widget entry point",
}

# Some routes read a different object of the same kind: the mail
# attachment route needs a received mail, not a chat message.
PER_ROUTE_IDS = {
    "/conversations/{conversation_id}/messages/{message_id}/attachments/{index}": {
        "conversation_id": "mail_conversation_id",
        "message_id": "mail_message_id",
    },
}

# Request bodies the generated minimal body does not fit (a handler that
# checks its body before looking the ids up would answer 422, not 404).
BODY_OVERRIDES: dict[tuple[str, str], Any] = {}


@dataclass
class World:
    """One account and one object of each kind in it."""

    account_id: int
    headers: dict[str, str]
    visitor_headers: dict[str, str]
    ids: dict[str, int] = field(default_factory=dict)


def _ok(answer: Any, what: str) -> Any:
    assert answer.status_code in (200, 201, 204), f"seeding {what}: {answer.status_code} {answer.text}"
    return answer.json() if answer.status_code != 204 else None


def seed_world(client: TestClient, ctx: AppContext, tag: str) -> World:
    """An account named after `tag` with an admin and one of everything."""
    with ctx.session_factory() as db:
        account = accounts.create_account(db, f"Shop {tag}")
        admin = accounts.create_user(db, account.id, email=f"admin@{tag}.test", name=f"Admin {tag}", password="admin-pass-123", role=Role.admin)
        db.commit()
        account_id = account.id
    headers = bearer(api_token(ctx, admin))
    base = f"/api/v1/accounts/{account_id}"
    ids: dict[str, int] = {}

    def post(path: str, body: Any) -> Any:
        return _ok(client.post(base + path, json=body, headers=headers), path)

    ids["team_id"] = post("/teams", {"name": f"Team {tag}"})["id"]
    ids["agent_id"] = post(
        "/agents", {"email": f"agent@{tag}.test", "name": f"Agent {tag}", "password": "agent-pass-123", "team_ids": [ids["team_id"]]}
    )["id"]
    ids["token_id"] = post("/api_tokens", {"name": f"integration {tag}"})["id"]
    ids["vendor_id"] = post("/vendors", {"name": f"Vendor {tag}"})["id"]
    inbox = post("/inboxes", {"name": f"Chat {tag}", "team_ids": [ids["team_id"]], "settings": {"customer_files": True}})
    ids["inbox_id"] = inbox["id"]
    ids["webhook_id"] = post("/webhooks", {"url": f"https://hooks.{tag}.example/in", "events": ["message_created"]})["id"]

    visitor = _ok(client.post(f"/widget/api/{inbox['website_token']}/visitors", json={"name": f"Customer {tag}", "language": "en"}), "visitor")
    visitor_headers = {"X-Visitor-Token": visitor["visitor_token"]}
    ids["contact_id"] = visitor["contact_id"]
    first = _ok(client.post("/widget/api/messages", json={"content": f"hello from {tag}"}, headers=visitor_headers), "message")
    ids["conversation_id"] = first["conversation_id"]
    photo = _ok(client.post("/widget/api/files", files={"file": ("p.png", f"photo {tag}".encode(), "image/png")}, headers=visitor_headers), "file")
    ids["message_id"] = photo["id"]

    mail_inbox = post("/inboxes", {"name": f"Mail {tag}", "channel_type": "email", "settings": {"address": f"support@{tag}.example"}})
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = f"buyer@{tag}.example", f"support@{tag}.example", "Invoice", f"<m@{tag}>"
    mail.set_content("Invoice attached.")
    mail.add_attachment(f"invoice {tag}".encode(), maintype="application", subtype="pdf", filename="invoice.pdf")
    receipt = ctx.services["email"].receive_raw(mail_inbox["id"], mail.as_bytes())
    ids["mail_conversation_id"], ids["mail_message_id"] = receipt.conversation_id, receipt.message_id

    ids["term_id"] = post("/glossary", {"term": f"Brand{tag}"})["id"]
    ids["category_id"] = post("/kb/categories", {"slug": f"cat-{tag}", "names": {"en": f"Category {tag}"}})["id"]
    ids["article_id"] = post(
        "/kb/articles", {"slug": f"art-{tag}", "category_id": ids["category_id"], "versions": [{"language": "en", "title": f"Returns {tag}", "summary": "30 days"}]}
    )["id"]
    ids["skill_id"] = post("/routing/skills", {"name": f"skill-{tag}"})["id"]
    ids["queue_id"] = post("/routing/queues", {"name": f"Queue {tag}", "inbox_ids": [ids["inbox_id"]], "team_ids": [ids["team_id"]]})["id"]
    ids["policy_id"] = post("/sla_policies", {"name": f"SLA {tag}", "priority": "high", "first_response_seconds": 3600})["id"]
    ids["ticket_id"] = post(f"/conversations/{ids['conversation_id']}/ticket", {"subject": f"Ticket {tag}"})["id"]
    ids["other_id"] = post("/tickets", {"inbox_id": ids["inbox_id"], "email": f"other@{tag}.example", "subject": "Other", "description": "Another"})["id"]
    post(f"/tickets/{ids['ticket_id']}/links", {"ticket_id": ids["other_id"]})
    ids["view_id"] = post("/ticket_views", {"name": f"View {tag}", "filters": {"status": "open"}})["id"]
    ids["field_id"] = post("/ticket_fields", {"key": f"order_{tag}", "type": "text", "labels": {"en": "Order"}})["id"]
    ids["canned_reply_id"] = post("/canned_replies", {"shortcut": f"hi-{tag}", "title": "Hi", "versions": {"en": "Hello!"}})["id"]
    with ctx.session_factory() as db:
        # The FAQ bot writes these as it answers; here one is written as it would.
        exchange = BotExchange(
            account_id=account_id, conversation_id=ids["conversation_id"], language="en", question=f"question {tag}", outcome=BotOutcome.handoff
        )
        db.add(exchange)
        # A job that failed for good (a dead letter an admin may retry), as the runner leaves one.
        dead = enqueue(db, "test.dead", {"tag": tag}, account_id=account_id)
        assert dead is not None
        dead.status = JobStatus.dead
        db.commit()
        ids["exchange_id"] = exchange.id
        ids["job_id"] = dead.id
    deliveries = client.get(f"{base}/webhooks/{ids['webhook_id']}/deliveries", headers=headers).json()
    assert deliveries, "the webhook has a delivery of message.created"
    ids["delivery_id"] = deliveries[0]["id"]
    return World(account_id=account_id, headers=headers, visitor_headers=visitor_headers, ids=ids)


def _operations(app: FastAPI) -> list[tuple[str, str, dict[str, Any]]]:
    spec = app.openapi()
    found = []
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete") and "{" in path:
                found.append((method.upper(), path, operation))
    return found


def _path_parameters(path: str) -> list[str]:
    return re.findall(r"{([^}]+)}", path)


def _is_id(name: str) -> bool:
    return name.endswith("_id")


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def minimal_value(spec: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The smallest value a JSON schema accepts, so that the handler runs
    (and looks its ids up) instead of answering 422 about the body."""
    schema = _resolve(spec, schema)
    if "default" in schema:
        return schema["default"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            options = [o for o in schema[key] if _resolve(spec, o).get("type") != "null"]
            return minimal_value(spec, options[0]) if options else None
    kind = schema.get("type")
    if kind == "object":
        return {name: minimal_value(spec, schema["properties"][name]) for name in schema.get("required", [])}
    if kind == "array":
        return [minimal_value(spec, schema["items"]) for _ in range(schema.get("minItems", 0))]
    if kind == "string":
        return "x" * max(1, schema.get("minLength", 1))
    if kind in ("integer", "number"):
        return max(1, schema.get("minimum", 1))
    if kind == "boolean":
        return False
    return {}


def _request_kwargs(spec: dict[str, Any], method: str, path: str, operation: dict[str, Any]) -> dict[str, Any]:
    if (method, path) in BODY_OVERRIDES:
        return {"json": BODY_OVERRIDES[(method, path)]}
    content = (operation.get("requestBody") or {}).get("content") or {}
    if "multipart/form-data" in content:
        return {"files": {"file": ("probe.txt", b"probe", "text/plain")}}
    if "application/json" in content:
        return {"json": minimal_value(spec, content["application/json"]["schema"])}
    return {}


def _fill(path: str, values: dict[str, str]) -> str:
    return re.sub(r"{([^}]+)}", lambda m: values[m.group(1)], path)


def _values_for(path: str, world: World, name: str) -> str:
    """The value of path parameter `name` in `world` for this route."""
    if name == "account_id":
        return str(world.account_id)
    if name in PLAIN_PARAMETERS:
        return PLAIN_PARAMETERS[name]
    overrides = next((o for suffix, o in PER_ROUTE_IDS.items() if path.endswith(suffix)), {})
    key = overrides.get(name, name)
    if key not in world.ids:
        pytest.fail(
            f"tests/test_tenant_isolation.py cannot build {{{name}}} for {path}: seed one such object in seed_world "
            f"(ids[{key!r}]), or list the parameter in PLAIN_PARAMETERS, or the route in NOT_TENANT_ROUTES with the reason"
        )
    return str(world.ids[key])


def _snapshot(ctx: AppContext, account_id: int, data_dir: Path) -> dict[str, Any]:
    """Every row of account A: of the tables with an account_id, and of the
    tables without one, the rows that point at one of those (a ticket's
    links, an article's versions, a user's languages). And the files on disk."""
    rows: dict[str, Any] = {}
    owned = {table.name: table for table in Base.metadata.sorted_tables if "account_id" in table.c}
    with ctx.session_factory() as db:
        for table in Base.metadata.sorted_tables:
            if table.name in BACKGROUND_TABLES:
                continue
            if table.name in owned:
                mine = [table.c.account_id == account_id]
            else:
                mine = [
                    fk.parent.in_(select(fk.column).where(owned[fk.column.table.name].c.account_id == account_id))
                    for fk in table.foreign_keys
                    if fk.column.table.name in owned
                ]
                if not mine:
                    continue
            kept = [c for c in table.columns if c.name not in VOLATILE_COLUMNS.get(table.name, ())]
            result = db.execute(select(*kept).where(or_(*mine)).order_by(*table.primary_key.columns))
            rows[table.name] = [tuple(str(v) for v in row) for row in result]
    rows["files"] = sorted(str(p.relative_to(data_dir)) for p in data_dir.rglob("*") if p.is_file())
    return rows


# The durable job queue (core.jobs): the server's own runners claim, finish
# and write next attempts of jobs (a webhook's retry) while the test runs.
# A job is work about account data, not account data: what a job a refused
# request wrongly caused would change shows in the tables above.
BACKGROUND_TABLES = {"jobs"}

# Columns the server's own threads change on their own (webhook retries,
# last use of a token): not something account B could have caused.
VOLATILE_COLUMNS: dict[str, tuple[str, ...]] = {
    "api_tokens": ("last_used_at",),
    "webhook_deliveries": ("status", "attempts", "next_attempt_at", "last_status_code", "last_error", "delivered_at", "attempt_log", "claimed_until"),
}


def test_every_route_with_an_id_answers_404_to_another_account(
    client: TestClient, app: FastAPI, ctx: AppContext, settings: Settings
) -> None:
    a = seed_world(client, ctx, "alpha")
    b = seed_world(client, ctx, "bravo")
    spec = app.openapi()
    before = _snapshot(ctx, a.account_id, settings.data_dir)
    leaks: list[str] = []
    tried = 0
    for method, path, operation in _operations(app):
        if (method, path) in NOT_TENANT_ROUTES:
            continue
        names = _path_parameters(path)
        kwargs = _request_kwargs(spec, method, path, operation)
        widget = path.startswith("/widget/")
        headers = b.visitor_headers if widget else b.headers
        cases: list[tuple[str, dict[str, str]]] = []
        ours = {name: _values_for(path, a, name) for name in names}
        if "account_id" in names:
            cases.append(("A's account and ids", ours))
        id_names = [name for name in names if _is_id(name) and name != "account_id"]
        if not id_names and "account_id" not in names and not widget:
            pytest.fail(f"{method} {path} takes {names} but none is an id this test knows: add it to PLAIN_PARAMETERS or NOT_TENANT_ROUTES")
        theirs = {name: _values_for(path, b, name) for name in names}
        if id_names:
            cases.append(("B's account, A's ids", {**ours, **({"account_id": str(b.account_id)} if "account_id" in names else {})}))
            if len(id_names) > 1:
                for name in id_names:
                    cases.append((f"B's ids but A's {name}", {**theirs, name: ours[name]}))
        for label, values in cases:
            url = _fill(path, values)
            answer = client.request(method, url, headers=headers, **kwargs)
            tried += 1
            if answer.status_code != 404:
                leaks.append(f"{method} {path} ({label}): {answer.status_code} {answer.text[:200]}")
            elif "alpha" in answer.text.lower():
                leaks.append(f"{method} {path} ({label}): the 404 names account A's data: {answer.text[:200]}")
    assert not leaks, "another account's ids must answer 404:\n" + "\n".join(leaks)
    assert tried > 100
    after = _snapshot(ctx, a.account_id, settings.data_dir)
    changed = {name: (sorted(set(before[name]) - set(after[name])), sorted(set(after[name]) - set(before[name]))) for name in before if before[name] != after[name]}
    assert not changed, f"a refused request changed account A's data (table: (rows before, rows after)): {changed}"


def test_minimal_bodies_are_what_their_schemas_require() -> None:
    spec = {"components": {"schemas": {"In": {"type": "object", "required": ["name", "ids"], "properties": {
        "name": {"type": "string"}, "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1}, "note": {"type": "string"}}}}}}
    assert minimal_value(spec, {"$ref": "#/components/schemas/In"}) == {"name": "x", "ids": [1]}
    assert minimal_value(spec, {"anyOf": [{"type": "null"}, {"type": "integer"}]}) == 1


# Ids inside request bodies: which object of a world each field names.
BODY_ID_FIELDS = {
    "team_id": "team_id", "team_ids": "team_id", "actions.team_id": "team_id",
    "vendor_id": "vendor_id",
    "member_ids": "agent_id", "assignee_id": "agent_id",
    "inbox_id": "inbox_id", "inbox_ids": "inbox_id",
    "contact_id": "contact_id",
    "category_id": "category_id", "article.category_id": "category_id",
    "article_id": "article_id",
    "queue_id": "queue_id", "overflow_queue_id": "queue_id",
    "ticket_id": "other_id", "ticket_ids": "ticket_id", "into_ticket_id": "other_id",
}
# Body fields named like ids that name no stored object, with the reason.
NOT_OBJECT_IDS = {
    "source_id": "the channel's own message id, free text",
    "client_id": "the widget's own message id, free text",
}
MISSING_ID = 987654321
# Routes that answer 2xx to a missing id in the body by design, with the reason.
REPORTS_MISSING_IN_ITS_ANSWER = {
    ("POST", "/api/v1/accounts/{account_id}/tickets/bulk"): "a bulk change answers 200 and lists each ticket's failure by field",
}


def _body_id_fields(spec: dict[str, Any], schema: dict[str, Any], prefix: str = "") -> list[str]:
    """The dotted names of the fields of a body schema that name objects by id."""
    schema = _resolve(spec, schema)
    found: list[str] = []
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            found += _body_id_fields(spec, option, prefix)
    for name, prop in (schema.get("properties") or {}).items():
        if name.endswith(("_id", "_ids")):
            found.append(prefix + name)
        found += _body_id_fields(spec, prop, f"{prefix}{name}.")
    return found


def _property(spec: dict[str, Any], schema: dict[str, Any], name: str) -> dict[str, Any]:
    schema = _resolve(spec, schema)
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, []):
            if name in (_resolve(spec, option).get("properties") or {}):
                return _property(spec, option, name)
    return schema["properties"][name]


def _with_field(spec: dict[str, Any], schema: dict[str, Any], body: dict[str, Any], dotted: str, value: Any) -> dict[str, Any]:
    """`body` with the field at `dotted` set to `value` (a list of it for an *_ids field)."""
    body = dict(body)
    head, _, rest = dotted.partition(".")
    prop = _property(spec, schema, head)
    if rest:
        inner = body.get(head) if isinstance(body.get(head), dict) else minimal_value(spec, prop)
        body[head] = _with_field(spec, prop, inner or {}, rest, value)
    else:
        body[head] = [value] if head.endswith("_ids") else value
    return body


def _masked(answer: Any) -> tuple[int, str]:
    return answer.status_code, re.sub(r"\d+", "N", answer.text)


def test_ids_in_request_bodies_answer_as_missing_ones(client: TestClient, app: FastAPI, ctx: AppContext, settings: Settings) -> None:
    """Account B names one of A's objects inside a body (assign to A's
    agent, a queue over A's inbox, merge into A's ticket...): the answer is
    the one for an id that does not exist, and nothing is stored."""
    a = seed_world(client, ctx, "alpha")
    b = seed_world(client, ctx, "bravo")
    spec = app.openapi()
    before = _snapshot(ctx, a.account_id, settings.data_dir)
    leaks: list[str] = []
    tried = 0
    for method, path, operation in _operations(app):
        content = (operation.get("requestBody") or {}).get("content") or {}
        if "application/json" not in content or (method, path) in NOT_TENANT_ROUTES:
            continue
        schema = content["application/json"]["schema"]
        fields = [f for f in _body_id_fields(spec, schema) if f.rsplit(".", 1)[-1] not in NOT_OBJECT_IDS]
        if not fields:
            continue
        names = _path_parameters(path)
        url = _fill(path, {name: _values_for(path, b, name) for name in names})
        base = BODY_OVERRIDES.get((method, path), minimal_value(spec, schema))
        for dotted in fields:
            if dotted not in BODY_ID_FIELDS:
                pytest.fail(f"{method} {path}: body field {dotted} names an object this test cannot build: add it to BODY_ID_FIELDS or NOT_OBJECT_IDS")
        # Every id the minimal body needs names B's own object...
        for dotted in fields:
            head = dotted.split(".")[0]
            if head in base:
                base = _with_field(spec, schema, base, dotted, b.ids[BODY_ID_FIELDS[dotted]])
        # ...but the one field under test.
        for dotted in fields:
            headers = b.visitor_headers if path.startswith("/widget/") else b.headers
            missing = client.request(method, url, headers=headers, json=_with_field(spec, schema, base, dotted, MISSING_ID))
            theirs = client.request(method, url, headers=headers, json=_with_field(spec, schema, base, dotted, a.ids[BODY_ID_FIELDS[dotted]]))
            tried += 1
            if missing.status_code < 400 and (method, path) not in REPORTS_MISSING_IN_ITS_ANSWER:
                leaks.append(f"{method} {path} {dotted}: a missing id was accepted ({missing.status_code} {missing.text[:150]})")
            elif _masked(theirs) != _masked(missing):
                leaks.append(f"{method} {path} {dotted}: A's id answers {theirs.status_code} {theirs.text[:150]} but a missing one {missing.status_code} {missing.text[:150]}")
    assert not leaks, "ids of another account in a body must answer as missing ones:\n" + "\n".join(leaks)
    assert tried > 20
    after = _snapshot(ctx, a.account_id, settings.data_dir)
    changed = {name: (sorted(set(before[name]) - set(after[name])), sorted(set(after[name]) - set(before[name]))) for name in before if before[name] != after[name]}
    assert not changed, f"a refused request changed account A's data: {changed}"


def test_an_address_used_in_another_account_can_be_a_user_here_and_reveals_nothing(client: TestClient, ctx: AppContext) -> None:
    """E-mails are unique per account: creating a user never says whether
    another account has the address; within one account it is still a 409."""
    a = seed_world(client, ctx, "alpha")
    b = seed_world(client, ctx, "bravo")
    body = {"email": "AGENT@alpha.test", "name": "Same address", "password": "other-pass-123"}
    created = client.post(f"/api/v1/accounts/{b.account_id}/agents", json=body, headers=b.headers)
    assert created.status_code == 201, created.text
    assert created.json()["email"] == "agent@alpha.test"
    again = client.post(f"/api/v1/accounts/{b.account_id}/agents", json=body, headers=b.headers)
    assert again.status_code == 409 and again.json()["field"] == "email"
    # Account A's agent is untouched and still theirs alone.
    agents_of_a = client.get(f"/api/v1/accounts/{a.account_id}/agents", headers=a.headers).json()
    assert [x["name"] for x in agents_of_a if x["email"] == "agent@alpha.test"] == ["Agent alpha"]
