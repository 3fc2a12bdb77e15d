"""The web-chat channel: visitors identified by a signed token.

The visitor token is the only credential a web visitor has. It is signed with
the install's secret key, so nobody can mint one for another visitor, and it
carries a random visitor id, not a guessable database id.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from dragoman.core.errors import NotAuthenticated

VISITOR_TOKEN_MAX_AGE = 365 * 24 * 3600


@dataclass(frozen=True)
class VisitorClaims:
    inbox_id: int
    visitor_id: str


class VisitorTokens:
    def __init__(self, secret_key: str, max_age_seconds: int = VISITOR_TOKEN_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret_key, salt="dragoman.webchat.visitor")
        self.max_age = max_age_seconds

    def issue(self, inbox_id: int, visitor_id: str | None = None) -> tuple[str, VisitorClaims]:
        claims = VisitorClaims(inbox_id=inbox_id, visitor_id=visitor_id or uuid.uuid4().hex)
        return self._serializer.dumps({"i": claims.inbox_id, "v": claims.visitor_id}), claims

    def verify(self, token: str | None) -> VisitorClaims:
        if not token:
            raise NotAuthenticated("the visitor token is missing")
        try:
            data = self._serializer.loads(token, max_age=self.max_age)
        except SignatureExpired:
            raise NotAuthenticated("the visitor token has expired; start a new chat") from None
        except BadSignature:
            raise NotAuthenticated("the visitor token is invalid") from None
        return VisitorClaims(inbox_id=int(data["i"]), visitor_id=str(data["v"]))

