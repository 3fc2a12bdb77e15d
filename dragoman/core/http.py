"""Request plumbing shared by every feature's routes: the app context, the
database session, and turning errors into clear 4xx answers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker
from starlette.exceptions import HTTPException as StarletteHTTPException

from dragoman.config import Settings
from dragoman.core.errors import DragomanError
from dragoman.core.events import EventBus
from dragoman.core.ratelimit import SlidingWindowLimiter


@dataclass
class AppContext:
    """Everything long-lived that one running Dragoman holds."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    bus: EventBus
    login_limiter_ip: SlidingWindowLimiter
    login_limiter_email: SlidingWindowLimiter
    services: dict[str, Any] = field(default_factory=dict)


def app_context(request: Request) -> AppContext:
    return request.app.state.ctx  # type: ignore[no-any-return]


def get_db(request: Request) -> Iterator[Session]:
    """A session per request. Routes commit what they change; anything left
    uncommitted (an error half-way) is rolled back, so nothing is stored
    half-way."""
    session = app_context(request).session_factory()
    try:
        yield session
    finally:
        # FastAPI may run this on another thread than the route: whatever the
        # route left (an error half-way) ends here, and the write lock with it.
        try:
            session.rollback()
        finally:
            session.close()


def _field_name(location: tuple[Any, ...] | list[Any]) -> str:
    parts = [str(part) for part in location if part not in ("body", "query", "path", "header", "cookie")]
    return ".".join(parts) if parts else "body"


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(DragomanError)
    async def _domain_error(_request: Request, exc: DragomanError) -> JSONResponse:
        retry_after = getattr(exc, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else None
        return JSONResponse(exc.as_dict(), status_code=exc.status_code, headers=headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = exc.errors()
        for error in errors:
            if error.get("type") == "json_invalid":
                return JSONResponse(
                    {"error": "malformed_json", "message": "the request body is not valid JSON"}, status_code=400
                )
        first = errors[0] if errors else {"loc": ("body",), "msg": "invalid request"}
        name = _field_name(first.get("loc", ()))
        fields = {_field_name(e.get("loc", ())): e.get("msg", "invalid") for e in errors}
        return JSONResponse(
            {"error": "invalid", "message": f"{name}: {first.get('msg', 'invalid')}", "field": name, "fields": fields},
            status_code=422,
        )

    @app.exception_handler(IntegrityError)
    async def _integrity_error(_request: Request, _exc: IntegrityError) -> JSONResponse:
        # Reached only by a race the services' own checks could not see (two
        # requests storing the same thing at once); the request changed nothing.
        return JSONResponse(
            {"error": "conflict", "message": "this conflicts with a change stored at the same moment; retry"},
            status_code=409,
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "not_authenticated", 403: "forbidden", 404: "not_found", 405: "method_not_allowed"}
        return JSONResponse(
            {"error": codes.get(exc.status_code, "error"), "message": str(exc.detail)},
            status_code=exc.status_code,
            headers=getattr(exc, "headers", None),
        )


# What each error status means; every one answers `ErrorOut`'s shape.
ERROR_STATUSES: dict[int, str] = {
    400: "Malformed: the body is not valid JSON, or not the form it must be",
    401: "Not signed in: no token, or one that was revoked or has expired",
    403: "Signed in, but not allowed to do this",
    404: "No such thing in this account (another account's ids answer the same)",
    409: "Conflicts with what is stored",
    413: "The body is larger than this server takes",
    422: "Invalid input: `field` names what was wrong",
    429: "Too many requests: `Retry-After` says when to try again",
    503: "The database is busy with other changes: retry",
}
ERROR_SCHEMA: dict[str, Any] = {
    "title": "ErrorOut",
    "type": "object",
    "required": ["error", "message"],
    "properties": {
        "error": {"type": "string", "description": "A code: invalid, not_found, not_authenticated, forbidden, conflict, ..."},
        "message": {"type": "string"},
        "field": {"type": "string", "description": "The input that was refused"},
        "fields": {"type": "object", "additionalProperties": {"type": "string"}, "description": "Every refused input, when several were"},
        "reason": {"type": "string", "description": "A word a client may say in its reader's language"},
    },
}


def describe_error_responses(schema: dict[str, Any], *, authenticated: Callable[[dict[str, Any]], bool]) -> None:
    """Documents in an OpenAPI description the errors the handlers above and
    the edge (core.edge) answer, in their real shape: FastAPI documents only
    a 422 in a shape this API never sends. `authenticated` tells the
    operations that need a token (401, 403)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["ErrorOut"] = ERROR_SCHEMA
    components.pop("HTTPValidationError", None)
    components.pop("ValidationError", None)
    for path, operations in schema.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for status in error_statuses(method, path, operation, authenticated=authenticated(operation)):
                responses[str(status)] = {
                    "description": ERROR_STATUSES[status],
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorOut"}}},
                }


def error_statuses(method: str, path: str, operation: dict[str, Any], *, authenticated: bool) -> list[int]:
    """The error statuses an operation can answer, from what it takes."""
    statuses = []
    takes_body = "requestBody" in operation
    if takes_body:
        statuses += [400, 413]
    if authenticated:
        statuses += [401, 403]
    # Path ids, and ids named in a body or query, may name nothing.
    if "{" in path or takes_body or operation.get("parameters"):
        statuses.append(404)
    if method.lower() != "get":
        statuses += [409, 503]
    if takes_body or operation.get("parameters"):
        statuses.append(422)
    if "429" in operation.get("responses", {}):
        statuses.append(429)
    return sorted(statuses)
