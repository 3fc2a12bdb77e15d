"""Who is calling: a console session (cookie + CSRF header) or an API token."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from dragoman.accounts import services
from dragoman.accounts.models import User
from dragoman.accounts.permissions import Viewer
from dragoman.core.errors import Forbidden, NotAuthenticated, NotFound
from dragoman.core.http import get_db

SESSION_COOKIE = "dragoman_session"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


@dataclass(frozen=True)
class Principal:
    user: User
    viewer: Viewer
    via: str  # "session" or "token"
    csrf_token: str | None = None

    @property
    def account_id(self) -> int:
        return self.user.account_id


def api_token_from(request: Request) -> str | None:
    authorization = request.headers.get("authorization", "")
    if authorization.lower().startswith("bearer "):
        return authorization[7:].strip() or None
    # Chatwoot's header name, so existing integrations carry over.
    return request.headers.get("api_access_token") or None


def authenticate_request(request: Request, db: Session) -> Principal:
    token = api_token_from(request)
    if token is not None:
        user = services.resolve_api_token(db, token)
        if user is None:
            raise NotAuthenticated("the API token is invalid or revoked")
        db.commit()  # keeps last_used_at
        return Principal(user=user, viewer=services.load_viewer(db, user), via="token")
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise NotAuthenticated("sign in, or send an API token in the Authorization header")
    found = services.resolve_session(db, cookie)
    if found is None:
        db.commit()  # removes an expired session row
        raise NotAuthenticated("your session has expired; sign in again")
    user, auth_session = found
    if request.method not in _SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        # Bytes: compare_digest refuses non-ASCII str, and a header is attacker input.
        if not hmac.compare_digest(sent.encode(), auth_session.csrf_token.encode()):
            raise Forbidden(f"missing or wrong {CSRF_HEADER} header")
    return Principal(user=user, viewer=services.load_viewer(db, user), via="session", csrf_token=auth_session.csrf_token)


def current_principal(request: Request, db: Session = Depends(get_db)) -> Principal:
    principal = authenticate_request(request, db)
    request.state.principal = principal
    return principal


def account_principal(account_id: int, principal: Principal = Depends(current_principal)) -> Principal:
    """The caller, checked to belong to the account in the path.

    Another account's id answers 404, as if it did not exist."""
    if principal.account_id != account_id:
        raise NotFound(f"account {account_id} not found", field="account_id")
    return principal


def admin_principal(principal: Principal = Depends(account_principal)) -> Principal:
    if not principal.viewer.is_admin:
        raise Forbidden("only an admin may do this")
    return principal


def supervisor_principal(principal: Principal = Depends(account_principal)) -> Principal:
    if not principal.viewer.sees_whole_account:
        raise Forbidden("only a supervisor or an admin may do this")
    return principal
