"""Domain errors. Services raise these; the HTTP layer turns them into 4xx."""

from __future__ import annotations


class DragomanError(Exception):
    status_code = 400
    code = "bad_request"

    def __init__(self, message: str, *, field: str | None = None, reason: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # A word a client may say in its reader's language instead of the
        # English message (the console does, for "required_to_solve").
        self.reason = reason

    def as_dict(self) -> dict[str, object]:
        body: dict[str, object] = {"error": self.code, "message": self.message}
        if self.field:
            body["field"] = self.field
        if self.reason:
            body["reason"] = self.reason
        return body


class InvalidInput(DragomanError):
    status_code = 422
    code = "invalid"


class NotFound(DragomanError):
    # Also used for another account's ids: saying "forbidden" would confirm
    # that the id exists somewhere.
    status_code = 404
    code = "not_found"


class NotAuthenticated(DragomanError):
    status_code = 401
    code = "not_authenticated"


class Forbidden(DragomanError):
    status_code = 403
    code = "forbidden"


class Conflict(DragomanError):
    status_code = 409
    code = "conflict"


class RateLimited(DragomanError):
    status_code = 429
    code = "rate_limited"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after
