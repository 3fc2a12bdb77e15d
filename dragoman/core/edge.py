"""What every request must satisfy before any route sees it.

Checked here once, for every route present and future: a body no larger than
a limit, JSON that is not nested absurdly deep, text that is valid Unicode
without NUL (a lone surrogate such as "\\ud800" parses as JSON but cannot be
stored: SQLite and PostgreSQL both refuse it, and PostgreSQL refuses NUL), and
integers that fit an id column (32 bits on PostgreSQL: ids in paths, query
parameters and bodies). Each refusal is a 4xx naming the field, as the rest of the API does.

The checks are pure functions (`json_problem`, `text_problem`, ...) so that
other edges that parse outside input themselves (the web chat's socket
frames, the knowledge-base import) use the very same rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from dragoman.core.errors import DragomanError, InvalidInput

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# The largest integer every column takes: ids and counts are INTEGER, which
# PostgreSQL keeps in 32 bits (the fuzzer's 2**40 in a path was a 500 there,
# and a 404 on SQLite).
MAX_INTEGER = 2**31 - 1
# Longer than that in digits, a number is checked against it.
_MAX_INTEGER_DIGITS = len(str(MAX_INTEGER)) - 1
# Deeper than any document the API describes; deep enough for any import.
MAX_JSON_DEPTH = 32
# JSON bodies: the knowledge-base import (kb.routes.MAX_IMPORT_BYTES) is the
# largest the API takes. Other bodies: one 10 MB file in a multipart form.
MAX_JSON_BODY_BYTES = 20 * 1024 * 1024
MAX_OTHER_BODY_BYTES = 12 * 1024 * 1024

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
_DIGITS = re.compile(r"^[+-]?\d+$")


@dataclass(frozen=True)
class Problem:
    field: str
    message: str
    status: int = 422
    error: str = "invalid"

    def as_dict(self) -> dict[str, str]:
        return {"error": self.error, "message": f"{self.field}: {self.message}", "field": self.field}


def text_problem(value: str) -> str | None:
    """Why a text cannot be stored, or None."""
    bad = _UNSTORABLE.search(value)
    if bad is None:
        return None
    if bad.group() == "\x00":
        return "must not contain NUL characters"
    return "is not valid Unicode (a lone surrogate)"


def check_text(value: str, field: str) -> str:
    """Raises InvalidInput naming `field` when `value` cannot be stored."""
    problem = text_problem(value)
    if problem:
        raise InvalidInput(f"{field} {problem}", field=field)
    return value


def storable_text(value: str) -> str:
    """Text from a source that must never be refused (a received mail): NUL
    removed, and bytes a parser kept as lone surrogates (Python's
    "surrogateescape", as the e-mail package does for raw 8-bit headers) read
    as UTF-8, anything unreadable becoming U+FFFD."""
    if _UNSTORABLE.search(value) is None:
        return value
    value = value.replace("\x00", "")
    if re.search("[\ud800-\udfff]", value):
        value = value.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        value = re.sub("[\ud800-\udfff]", "\ufffd", value)
    return value


def _join(path: str, key: object) -> str:
    return f"{path}.{key}" if path else str(key)


def value_problem(value: Any, path: str = "") -> Problem | None:
    """The first thing in a parsed JSON value that cannot be stored: a string
    with NUL or a lone surrogate (keys included), an integer beyond MAX_INTEGER,
    or nesting deeper than MAX_JSON_DEPTH. Iterative, so no input can exhaust
    the stack."""
    stack: list[tuple[Any, str, int]] = [(value, path, 0)]
    while stack:
        item, where, depth = stack.pop()
        if isinstance(item, str):
            problem = text_problem(item)
            if problem:
                return Problem(where or "body", problem)
        elif isinstance(item, bool) or item is None:
            continue
        elif isinstance(item, (int, float)):
            # A float beyond MAX_INTEGER would still become an out-of-range id.
            if not -MAX_INTEGER <= item <= MAX_INTEGER:
                return Problem(where or "body", f"is out of range (at most {MAX_INTEGER})")
        elif isinstance(item, (dict, list)):
            if depth >= MAX_JSON_DEPTH:
                return Problem(where or "body", f"is nested more than {MAX_JSON_DEPTH} levels deep", status=400, error="too_deep")
            if isinstance(item, dict):
                for key, child in item.items():
                    problem = text_problem(key)
                    if problem:
                        return Problem(_join(where, key.encode("unicode_escape").decode()), "has a name that " + problem)
                    stack.append((child, _join(where, key), depth + 1))
            else:
                stack.extend((child, _join(where, index), depth + 1) for index, child in enumerate(item))
    return None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(raw: bytes | str, field: str = "body") -> Any:
    """Parses outside JSON by the edge's rules; InvalidInput names `field`
    (or the part of the document at fault)."""
    try:
        value = json.loads(raw, parse_constant=_refuse_constant)
    except RecursionError:
        raise InvalidInput(f"{field} is nested more than {MAX_JSON_DEPTH} levels deep", field=field) from None
    except json.JSONDecodeError as exc:
        raise InvalidInput(f"the {field} is not valid JSON ({exc.msg}, line {exc.lineno})", field=field) from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"the {field} is not valid JSON ({exc})", field=field) from None
    problem = value_problem(value)
    if problem is not None:
        name = field if problem.field == "body" else f"{field}.{problem.field}" if field != "body" else problem.field
        raise InvalidInput(f"{name} {problem.message}", field=name)
    return value


def plain_integer(text: str | None) -> int | None:
    """A non-negative integer written in ASCII digits up to MAX_INTEGER, or
    None. `str.isdigit()` alone also accepts "²" (which int() refuses) and
    any length (which the database refuses)."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > 19:
        return None
    value = int(text)
    return value if value <= MAX_INTEGER else None


def _integer_problem(value: str) -> bool:
    return bool(_DIGITS.match(value)) and abs(int(value)) > MAX_INTEGER


def path_problem(path: str) -> Problem | None:
    """A path no route can serve: NUL, a lone surrogate, or a number no id can
    have (answered as the missing thing it is: 404)."""
    for segment in path.split("/"):
        if text_problem(segment) or (len(segment) > _MAX_INTEGER_DIGITS and _integer_problem(segment)):
            return Problem("path", "names nothing that exists", status=404, error="not_found")
    return None


def query_problem(query_string: bytes) -> Problem | None:
    try:
        pairs = parse_qsl(query_string.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="surrogateescape")
    except ValueError:
        return Problem("query", "is not a valid query string", status=400, error="bad_request")
    for name, value in pairs:
        problem = text_problem(name) or text_problem(value)
        if problem:
            return Problem(name if not text_problem(name) else "query", "is not valid text: " + problem)
        if len(value) > _MAX_INTEGER_DIGITS and _integer_problem(value):
            return Problem(name, f"is out of range (at most {MAX_INTEGER})")
    return None


def form_problem(raw: bytes) -> Problem | None:
    try:
        pairs = parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="strict")
    except (ValueError, UnicodeDecodeError):
        return Problem("body", "is not valid UTF-8 form data", status=400, error="bad_request")
    for name, value in pairs:
        problem = text_problem(value) or text_problem(name)
        if problem:
            return Problem(name if not text_problem(name) else "body", problem)
    return None


def _content_type(scope: Scope) -> str:
    for key, value in scope.get("headers", ()):
        if key == b"content-type":
            return value.decode("latin-1").split(";", 1)[0].strip().lower()
    return ""


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


class BodyTooLarge(DragomanError):
    """Raised while a streamed body is read past its limit; the app's error
    handlers answer it like any other DragomanError."""

    status_code = 413
    code = "too_large"

    def __init__(self, limit: int) -> None:
        super().__init__(f"body is larger than {limit // (1024 * 1024)} MiB", field="body")


class RequestLimits:
    """ASGI middleware applying the edge's rules to every HTTP request.

    JSON and form bodies are read whole (bounded), checked, then handed to
    the app unchanged; other bodies (multipart uploads) are passed through
    while their size is counted."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_json_body: int = MAX_JSON_BODY_BYTES,
        max_other_body: int = MAX_OTHER_BODY_BYTES,
    ) -> None:
        self.app = app
        self.max_json_body = max_json_body
        self.max_other_body = max_other_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw_path = scope.get("raw_path") or scope.get("path", "").encode("utf-8", "surrogateescape")
        problem = path_problem(unquote(raw_path.decode("latin-1"), errors="surrogateescape")) or query_problem(
            scope.get("query_string", b"")
        )
        if problem is None and scope["type"] == "http":
            content_type = _content_type(scope)
            limit = self.max_json_body if _is_json(content_type) else self.max_other_body
            declared = _content_length(scope)
            if declared is not None and declared > limit:
                problem = _too_large(limit)
            elif _is_json(content_type) or content_type == "application/x-www-form-urlencoded":
                body = await _read_body(receive, limit)
                if body is None:
                    return  # the client went away before its body arrived
                problem = _too_large(limit) if len(body) > limit else _body_problem(body, content_type)
                receive = _replay(body, receive)
            else:
                receive = _counting(receive, limit)
        if problem is not None:
            if scope["type"] == "websocket":
                await send({"type": "websocket.close", "code": 1008})
                return
            await _answer(send, problem)
            return
        await self.app(scope, receive, send)


def _too_large(limit: int) -> Problem:
    return Problem("body", f"is larger than {limit // (1024 * 1024)} MiB", status=413, error="too_large")


def _body_problem(body: bytes, content_type: str) -> Problem | None:
    if not body:
        return None
    if content_type == "application/x-www-form-urlencoded":
        return form_problem(body)
    try:
        value = json.loads(body, parse_constant=_refuse_constant)
    except RecursionError:
        return Problem("body", f"is nested more than {MAX_JSON_DEPTH} levels deep", status=400, error="too_deep")
    except (ValueError, UnicodeDecodeError):
        return None  # the route's own parser answers 400 malformed_json
    return value_problem(value)


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or as much as one byte past `limit` (enough to refuse
    it); None when the client disconnected."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        chunks.append(chunk)
        if size > limit or not message.get("more_body", False):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()  # a disconnect, when the client goes

    return replay


def _counting(receive: Receive, limit: int) -> Receive:
    size = 0

    async def counted() -> Message:
        nonlocal size
        message = await receive()
        if message["type"] == "http.request":
            size += len(message.get("body", b""))
            if size > limit:
                raise BodyTooLarge(limit)
        return message

    return counted


async def _answer(send: Send, problem: Problem) -> None:
    body = json.dumps(problem.as_dict(), ensure_ascii=False).encode("utf-8")
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
