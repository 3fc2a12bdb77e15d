"""Authentication, tenancy and bad input at the API: clear 4xx answers,
nothing of another account revealed, nothing stored half-way."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from conftest import DemoWorld, api_token, bearer
from dragoman.accounts import services as accounts
from dragoman.accounts.auth import SESSION_COOKIE
from dragoman.accounts.models import AuthSession, Role, User
from dragoman.channels.webchat.adapter import VisitorTokens
from dragoman.conversations.models import Message
from dragoman.core.clock import utcnow
from dragoman.core.errors import NotAuthenticated
from dragoman.core.http import AppContext


def _chat(client: TestClient, demo: DemoWorld) -> int:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()
    sent = client.post("/widget/api/messages", json={"content": "hello"}, headers={"X-Visitor-Token": visitor["visitor_token"]})
    return int(sent.json()["conversation_id"])


def _message_count(ctx: AppContext) -> int:
    with ctx.session_factory() as db:
        return int(db.scalar(select(func.count(Message.id))) or 0)


def _other_account_admin(ctx: AppContext) -> tuple[int, User]:
    with ctx.session_factory() as db:
        account = accounts.create_account(db, "Rival Corp")
        user = accounts.create_user(db, account.id, email="boss@rival.test", name="Boss", password="rival-pass-1", role=Role.admin)
        db.commit()
        return account.id, user


def test_no_credentials_bad_token_and_revoked_token_are_401(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    url = f"/api/v1/accounts/{demo.account_id}/conversations"
    missing = client.get(url)
    assert missing.status_code == 401 and "API token" in missing.json()["message"]
    assert client.get(url, headers=bearer("dgm_not-a-token")).status_code == 401

    token = api_token(ctx, demo.user("admin"))
    assert client.get(url, headers=bearer(token)).status_code == 200
    token_id = client.get(f"/api/v1/accounts/{demo.account_id}/api_tokens", headers=bearer(token)).json()[0]["id"]
    assert client.delete(f"/api/v1/accounts/{demo.account_id}/api_tokens/{token_id}", headers=bearer(token)).status_code == 204
    revoked = client.get(url, headers=bearer(token))
    assert revoked.status_code == 401 and "revoked" in revoked.json()["message"]


def test_chatwoot_style_token_header_works(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    token = api_token(ctx, demo.user("admin"))
    assert client.get(f"/api/v1/accounts/{demo.account_id}/inboxes", headers={"api_access_token": token}).status_code == 200


def _session_cookie(ctx: AppContext, user: User) -> tuple[str, str]:
    with ctx.session_factory() as db:
        token, row = accounts.start_session(db, db.get(User, user.id), hours=1)  # type: ignore[arg-type]
        db.commit()
        return token, row.csrf_token


def test_cookie_session_needs_the_csrf_header_for_changes(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    conversation_id = _chat(client, demo)
    cookie, csrf = _session_cookie(ctx, demo.user("maria"))
    client.cookies.set(SESSION_COOKIE, cookie)
    url = f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages"
    assert client.get(url).status_code == 200  # reads need no token
    before = _message_count(ctx)
    forged = client.post(url, json={"content": "sent by another site"})
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["message"]
    assert _message_count(ctx) == before
    assert client.post(url, json={"content": "sent by me"}, headers={"X-CSRF-Token": csrf}).status_code == 201
    assert client.get("/api/v1/profile").json()["csrf_token"] == csrf


def test_expired_session_is_refused_and_removed(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    cookie, _csrf = _session_cookie(ctx, demo.user("maria"))
    with ctx.session_factory() as db:
        for row in db.scalars(select(AuthSession)):
            row.expires_at = utcnow() - timedelta(minutes=1)
        db.commit()
    client.cookies.set(SESSION_COOKIE, cookie)
    answer = client.get("/api/v1/profile")
    assert answer.status_code == 401 and "expired" in answer.json()["message"]
    with ctx.session_factory() as db:
        assert db.scalar(select(func.count()).select_from(AuthSession)) == 0


def test_a_deactivated_agent_loses_access(client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any) -> None:
    sam_headers = as_user(demo.user("sam"))
    admin = as_user(demo.user("admin"))
    client.patch(f"/api/v1/accounts/{demo.account_id}/agents/{demo.user('sam').id}", json={"active": False}, headers=admin)
    assert client.get("/api/v1/profile", headers=sam_headers).status_code == 401


def test_another_accounts_ids_answer_404_never_403(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    conversation_id = _chat(client, demo)
    rival_account, rival_admin = _other_account_admin(ctx)
    rival = bearer(api_token(ctx, rival_admin))
    ours = f"/api/v1/accounts/{demo.account_id}"
    for path in ("/conversations", f"/conversations/{conversation_id}", "/contacts", "/agents", "/inboxes", "/teams"):
        answer = client.get(ours + path, headers=rival)
        assert answer.status_code == 404, path
        assert "Dragoman Demo" not in answer.text
    # Through their own account path, our ids do not exist either.
    theirs = f"/api/v1/accounts/{rival_account}"
    assert client.get(f"{theirs}/conversations/{conversation_id}", headers=rival).status_code == 404
    assert client.post(f"{theirs}/conversations/{conversation_id}/messages", json={"content": "x"}, headers=rival).status_code == 404
    demo_contact = client.get(f"{ours}/contacts", headers=bearer(api_token(ctx, demo.user("admin")))).json()[0]["id"]
    assert client.get(f"{theirs}/contacts/{demo_contact}", headers=rival).status_code == 404
    assigned = client.post(
        f"{ours}/conversations/{conversation_id}/assignments",
        json={"assignee_id": rival_admin.id},
        headers=bearer(api_token(ctx, demo.user("admin"))),
    )
    assert assigned.status_code == 404 and assigned.json()["field"] == "assignee_id"


@pytest.mark.parametrize(
    ("content", "reason"),
    [("", "must not be empty"), ("   \n ", "must not be empty"), ("x" * 10_001, "the limit is 10000")],
)
def test_empty_and_oversized_messages_are_refused_and_nothing_is_stored(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, content: str, reason: str
) -> None:
    conversation_id = _chat(client, demo)
    before = _message_count(ctx)
    answer = client.post(
        f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages",
        json={"content": content},
        headers=as_user(demo.user("admin")),
    )
    assert answer.status_code == 422
    assert answer.json()["field"] == "content" and reason in answer.json()["message"]
    assert _message_count(ctx) == before


def test_exactly_ten_thousand_characters_is_accepted(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    conversation_id = _chat(client, demo)
    answer = client.post(
        f"/api/v1/accounts/{demo.account_id}/conversations/{conversation_id}/messages",
        json={"content": "y" * 10_000},
        headers=as_user(demo.user("admin")),
    )
    assert answer.status_code == 201


def test_malformed_json_unknown_ids_and_missing_fields(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    admin = as_user(demo.user("admin"))
    base = f"/api/v1/accounts/{demo.account_id}"
    broken = client.post(f"{base}/contacts", content=b'{"name": "Hans",', headers={**admin, "Content-Type": "application/json"})
    assert broken.status_code == 400 and broken.json()["error"] == "malformed_json"
    unknown = client.get(f"{base}/conversations/987654", headers=admin)
    assert unknown.status_code == 404 and unknown.json()["field"] == "conversation_id"
    missing = client.post(f"{base}/conversations", json={"contact_id": 1}, headers=admin)
    assert missing.status_code == 422 and missing.json()["field"] == "inbox_id"
    wrong_type = client.post(f"{base}/conversations/1/toggle_status", json={"status": "closed"}, headers=admin)
    assert wrong_type.status_code in (404, 422)
    bad_email = client.post(f"{base}/contacts", json={"email": "not-an-email"}, headers=admin)
    assert bad_email.status_code == 422 and bad_email.json()["field"] == "email"


def test_only_admins_manage_people_and_inboxes(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    base = f"/api/v1/accounts/{demo.account_id}"
    new_agent = {"email": "new@demo.dragoman.test", "name": "New", "password": "long-enough-1"}
    for who in ("maria", "supervisor"):
        headers = as_user(demo.user(who))
        assert client.post(f"{base}/agents", json=new_agent, headers=headers).status_code == 403
        assert client.post(f"{base}/inboxes", json={"name": "x"}, headers=headers).status_code == 403
    admin = as_user(demo.user("admin"))
    created = client.post(f"{base}/agents", json={**new_agent, "languages": [{"language": "ja", "reading": 5, "writing": 4}]}, headers=admin)
    assert created.status_code == 201 and created.json()["languages"][0]["language"] == "ja"
    duplicate = client.post(f"{base}/agents", json=new_agent, headers=admin)
    assert duplicate.status_code == 409 and duplicate.json()["field"] == "email"
    short = client.post(f"{base}/agents", json={**new_agent, "email": "other@x.test", "password": "short"}, headers=admin)
    assert short.status_code == 422 and short.json()["field"] == "password"
    bad_level = client.post(
        f"{base}/agents", json={**new_agent, "email": "o2@x.test", "languages": [{"language": "es", "reading": 9}]}, headers=admin
    )
    assert bad_level.status_code == 422 and bad_level.json()["field"] == "languages.0.reading"


def test_visitor_tokens_are_signed_and_expire(client: TestClient, demo: DemoWorld) -> None:
    forged = client.get("/widget/api/session", headers={"X-Visitor-Token": "eyJpIjoxLCJ2IjoiYWJjIn0.forged.sig"})
    assert forged.status_code == 401 and "invalid" in forged.json()["message"]
    tokens = VisitorTokens("some-secret", max_age_seconds=-1)
    token, _claims = tokens.issue(demo.inbox_id)
    with pytest.raises(NotAuthenticated, match="expired"):
        tokens.verify(token)
    # A token signed with another install's key is worthless here.
    foreign, _ = VisitorTokens("another-install").issue(demo.inbox_id)
    assert client.get("/widget/api/session", headers={"X-Visitor-Token": foreign}).status_code == 401


def test_api_description_is_served_offline(client: TestClient) -> None:
    docs = client.get("/api/docs")
    assert docs.status_code == 200 and "/api/docs/assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/api/docs/assets/swagger-ui-bundle.js").status_code == 200
    spec = client.get("/api/openapi.json").json()
    assert spec["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert spec["paths"]["/api/v1/accounts/{account_id}/conversations"]["get"]["security"] == [{"apiToken": []}]
    assert "security" not in spec["paths"]["/widget/api/session"]["get"]
    for path in (
        "/api/v1/accounts/{account_id}/conversations",
        "/api/v1/accounts/{account_id}/conversations/{conversation_id}/messages",
        "/api/v1/accounts/{account_id}/contacts",
        "/api/v1/accounts/{account_id}/inboxes",
        "/api/v1/accounts/{account_id}/agents",
        "/api/v1/accounts/{account_id}/teams",
    ):
        assert path in spec["paths"], path


def test_the_last_admin_cannot_lock_the_account_out(client: TestClient, ctx: AppContext, demo: DemoWorld) -> None:
    admin = bearer(api_token(ctx, demo.user("admin")))
    url = f"/api/v1/accounts/{demo.account_id}/agents/{demo.user('admin').id}"
    for change, field in (({"role": "agent"}, "role"), ({"active": False}, "active")):
        refused = client.patch(url, json=change, headers=admin)
        assert refused.status_code == 409 and refused.json()["field"] == field, refused.text
    assert client.get("/api/v1/profile", headers=admin).json()["role"] == "admin"
    # With a second admin, the first may step down.
    second = client.patch(f"/api/v1/accounts/{demo.account_id}/agents/{demo.user('supervisor').id}", json={"role": "admin"}, headers=admin)
    assert second.status_code == 200, second.text
    assert client.patch(url, json={"role": "supervisor"}, headers=admin).status_code == 200
