"""Generated requests over the whole OpenAPI (schemathesis), against a real
server holding the demo world, signed in as an agent and as the admin: no
request may crash the server (5xx), answer a status the API's description
does not list, or answer in a shape it does not promise.

Deterministic (derandomized, fixed seed), so a failure reproduces. As the
admin, every operation gets the coverage phase's edge cases (types, bounds,
missing and unexpected parts), then `max-examples` generated requests; as an
agent, generated requests only. Ids are mostly ones that exist (hooks below). Failures found this way are kept as plain tests
in tests/test_api_regressions.py."""

from __future__ import annotations

import shutil
import tempfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance
from sqlalchemy import select

from conftest import _empty_all_tables, api_token, bearer, seed_demo_world, serve_in_thread, settings_for_tests
from dragoman.accounts.models import ApiToken, Team, User, Vendor
from dragoman.app import create_app
from dragoman.canned.models import CannedReply
from dragoman.config import Settings
from dragoman.core.http import AppContext
from dragoman.contacts.models import Contact
from dragoman.conversations.models import Conversation, Message
from dragoman.inboxes.models import Inbox
from dragoman.kb.models import BotExchange, KbArticle, KbCategory
from dragoman.language.models import GlossaryTerm
from dragoman.routing.models import RoutingQueue, RoutingSkill
from dragoman.tickets.models import SlaPolicy, Ticket, TicketField, TicketView
from dragoman.webhooks.models import Webhook, WebhookDelivery


def _api_description() -> dict[str, Any]:
    """The app's OpenAPI, built once at collection (schemathesis makes one
    test per operation from it); the engine never connects."""
    scratch = Path(tempfile.mkdtemp(prefix="dragoman-openapi-"))
    try:
        app = create_app(Settings(database_url=f"sqlite:///{scratch / 'unused.db'}", secret_key="openapi", data_dir=scratch))
        description = app.openapi()
        app.state.ctx.engine.dispose()
        return description
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


# The admin's run: every phase (the coverage phase's edge cases, then
# generated requests). The agent's: generated requests only, since most
# operations answer an agent 403 before reading their input.
ADMIN_CONFIG = schemathesis.Config.from_dict({"seed": 19, "generation": {"max-examples": 10, "deterministic": True, "mode": "all"}})
AGENT_CONFIG = schemathesis.Config.from_dict(
    {
        "seed": 19,
        "generation": {"max-examples": 8, "deterministic": True, "mode": "all"},
        "phases": {"coverage": {"enabled": False}},
    }
)
# Both runs together, per CI run: the floor.
MIN_REQUESTS = 2000
API_DESCRIPTION = _api_description()
admin_schema = schemathesis.openapi.from_dict(API_DESCRIPTION, config=ADMIN_CONFIG)
agent_schema = schemathesis.openapi.from_dict(API_DESCRIPTION, config=AGENT_CONFIG)
OPERATIONS = sum(len(operations) for operations in API_DESCRIPTION["paths"].values())


@dataclass
class FuzzWorld:
    url: str
    ctx: AppContext
    account_id: int
    website_token: str
    tokens: dict[str, str]
    own_token_ids: set[int]
    caller_ids: set[int]
    visitor_tokens: list[str]
    # Existing ids per path parameter name, refreshed before each operation.
    ids: dict[str, list[Any]] = field(default_factory=dict)
    sent: Counter[str] = field(default_factory=Counter)


WORLD: FuzzWorld | None = None

ID_TABLES: dict[str, Any] = {
    "agent_id": User,
    "team_id": Team,
    "vendor_id": Vendor,
    "token_id": ApiToken,
    "contact_id": Contact,
    "inbox_id": Inbox,
    "conversation_id": Conversation,
    "message_id": Message,
    "term_id": GlossaryTerm,
    "category_id": KbCategory,
    "article_id": KbArticle,
    "exchange_id": BotExchange,
    "skill_id": RoutingSkill,
    "queue_id": RoutingQueue,
    "policy_id": SlaPolicy,
    "ticket_id": Ticket,
    "other_id": Ticket,
    "view_id": TicketView,
    "field_id": TicketField,
    "canned_reply_id": CannedReply,
    "webhook_id": Webhook,
    "delivery_id": WebhookDelivery,
}


def _seed_more(client: httpx.Client, world: FuzzWorld) -> None:
    """Conversations, messages, a ticket, a webhook and its deliveries…: ids for the fuzzer to find."""
    admin = bearer(world.tokens["admin"])
    base = f"/api/v1/accounts/{world.account_id}"
    for name, language, text in (("Lola", "es", "Hola, ¿dónde está mi pedido?"), ("Li", "zh-Hans", "你好"), ("Ann", "en", "Hi there")):
        visitor = client.post(f"/widget/api/{world.website_token}/visitors", json={"name": name, "language": language})
        assert visitor.status_code == 201, visitor.text
        token = visitor.json()["visitor_token"]
        world.visitor_tokens.append(token)
        sent = client.post("/widget/api/messages", json={"content": text, "client_id": f"seed-{name}"}, headers={"X-Visitor-Token": token})
        assert sent.status_code == 201, sent.text
    conversation_id = sent.json()["conversation_id"]
    assert client.post(f"{base}/webhooks", json={"url": "https://hooks.example.com/dragoman", "events": ["message_created"]}, headers=admin).status_code == 201
    reply = client.post(f"{base}/conversations/{conversation_id}/messages", json={"content": "Hello Ann"}, headers=admin)
    assert reply.status_code == 201, reply.text
    ticket = client.post(f"{base}/conversations/{conversation_id}/ticket", json={}, headers=admin)
    assert ticket.status_code == 201, ticket.text


def _refresh_ids(world: FuzzWorld, ctx: AppContext) -> None:
    with ctx.session_factory() as db:
        for name, table in ID_TABLES.items():
            world.ids[name] = list(db.scalars(select(table.id).order_by(table.id)))
    world.ids["token_id"] = [i for i in world.ids["token_id"] if i not in world.own_token_ids]
    world.ids["account_id"] = [world.account_id]
    world.ids["index"] = [0]
    world.ids["language"] = world.ids["target_language"] = ["en", "es", "zh-Hans"]
    world.ids["website_token"] = [world.website_token]


@pytest.fixture(scope="module")
def fuzz_world(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FuzzWorld]:
    global WORLD
    _empty_all_tables(database_url)
    data_dir = tmp_path_factory.mktemp("fuzz")
    # No webhook deliveries: URLs the fuzzer invents are never called.
    settings = settings_for_tests(database_url, data_dir, run_background_workers=False)
    app = create_app(settings)
    with serve_in_thread(app) as server:
        demo = seed_demo_world(server.ctx)
        tokens = {who: api_token(server.ctx, demo.user(who), name=f"fuzz-{who}") for who in ("admin", "maria")}
        with server.ctx.session_factory() as db:
            own = set(db.scalars(select(ApiToken.id)))
        callers = {demo.user(who).id for who in ("admin", "maria")}
        world = FuzzWorld(server.url, server.ctx, demo.account_id, demo.website_token, tokens, own, callers, [])
        with httpx.Client(base_url=server.url, timeout=30) as client:
            _seed_more(client, world)
        WORLD = world
        try:
            yield world
        finally:
            WORLD = None
    runs = [label for label in world.sent if not label.startswith("skipped")]
    requests = sum(world.sent[label] for label in runs)
    print(f"\n{requests} generated requests over {len(runs)} operation runs")
    if len(runs) == 2 * OPERATIONS:  # the whole API ran, not a -k selection
        assert requests >= MIN_REQUESTS, f"only {requests} generated requests were sent"


@pytest.fixture
def current_ids(fuzz_world: FuzzWorld) -> FuzzWorld:
    _refresh_ids(fuzz_world, fuzz_world.ctx)
    return fuzz_world


def flatmap_path_parameters(context: schemathesis.HookContext, path_parameters: dict[str, Any]) -> Any:
    """Mostly an id that exists (each existing one as likely as the generated
    value): random ids almost never do, and what lies behind a real one is
    what needs testing."""
    assert WORLD is not None
    choices = {}
    for name, value in (path_parameters or {}).items():
        real = WORLD.ids.get(name)
        choices[name] = st.sampled_from([value, *real]) if real else st.just(value)
    return st.fixed_dictionaries(choices)


def flatmap_headers(context: schemathesis.HookContext, headers: dict[str, Any] | None) -> Any:
    """The web chat's operations: mostly the token of a visitor who exists."""
    assert WORLD is not None
    if not headers or "x-visitor-token" not in {k.lower() for k in headers}:
        return st.just(headers)
    key = next(k for k in headers if k.lower() == "x-visitor-token")
    return st.sampled_from([headers[key], *WORLD.visitor_tokens]).map(lambda token: {**headers, key: token})


for fuzzed in (admin_schema, agent_schema):
    fuzzed.hook(flatmap_path_parameters)
    fuzzed.hook(flatmap_headers)


def locks_the_caller_out(case: schemathesis.Case, world: FuzzWorld) -> bool:
    """Revoking the fuzzer's own token, or demoting or deactivating the people
    it signs in as, would turn every later request into a 401 or 403 and test
    nothing more (tests/test_api_security.py covers revoking a token)."""
    path = case.path_parameters or {}
    if case.method == "DELETE" and case.operation.path.endswith("/api_tokens/{token_id}"):
        return str(path.get("token_id")) in {str(i) for i in world.own_token_ids}
    if case.method == "PATCH" and case.operation.path.endswith("/agents/{agent_id}") and isinstance(case.body, dict):
        if str(path.get("agent_id")) in {str(i) for i in world.caller_ids}:
            return "role" in case.body or "active" in case.body
    return False


CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]


def _call_as(case: schemathesis.Case, world: FuzzWorld, who: str) -> None:
    if locks_the_caller_out(case, world):
        world.sent["skipped: would lock the caller out"] += 1
        return
    world.sent[f"{who} {case.operation.label}"] += 1
    case.call_and_validate(base_url=world.url, headers=bearer(world.tokens[who]), checks=CHECKS)


# An agent first: the admin's requests may change what agents see.
@agent_schema.parametrize()
# `current_ids` runs once per operation, not per generated request: meant.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_as_an_agent_no_request_crashes_the_server_or_breaks_the_description(case: schemathesis.Case, current_ids: FuzzWorld) -> None:
    _call_as(case, current_ids, "maria")


@admin_schema.parametrize()
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_as_the_admin_no_request_crashes_the_server_or_breaks_the_description(case: schemathesis.Case, current_ids: FuzzWorld) -> None:
    _call_as(case, current_ids, "admin")
