"""Local stand-ins for the cloud translation services, speaking each one's
documented wire format (paths, auth headers, request and response JSON):

  DeepL           POST /v2/translate         Authorization: DeepL-Auth-Key K
                  {"text": [...], "source_lang": "ES", "target_lang": "EN-US"}
                  -> {"translations": [{"detected_source_language": "ES", "text": "..."}]}
  Google v2       POST /language/translate/v2?key=K   {"q": [...], "source", "target", "format"}
                  -> {"data": {"translations": [{"translatedText": "..."}]}}
  LibreTranslate  POST /translate            {"q", "source", "target", "format", "api_key"}
                  -> {"translatedText": "..."}
  OpenAI chat     POST /v1/chat/completions  Authorization: Bearer K   {"model", "messages", ...}
                  -> {"choices": [{"message": {"role": "assistant", "content": "..."}}]}

The "translation" is `[target] text`, so tests can tell who translated. `mode`
makes the service misbehave: "fail" (HTTP 500 every time), "fail_once" (503,
then fine), "slow" (answers after `delay` seconds), "empty", "cyrillic" (wrong
script), "drop_placeholders" (loses ZX..QZ tokens and the digits).
"""

from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

from servers import free_port

KEY = "test-key"


@dataclass
class FakeTranslationService:
    mode: str = "ok"
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    _server: ThreadingHTTPServer | None = None
    _failed_once: bool = False

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def translate(self, text: str, target: str) -> str:
        if self.mode == "empty":
            return ""
        if self.mode == "cyrillic":
            return "Привет мир"
        if self.mode == "drop_placeholders":
            return f"[{target}] " + re.sub(r"ZX\d+QZ|\d", "", text)
        return f"[{target}] {text}"

    def status(self) -> int:
        if self.mode == "fail":
            return 500
        if self.mode == "fail_once" and not self._failed_once:
            self._failed_once = True
            return 503
        if self.mode == "slow":
            time.sleep(self.delay)
        return 200

    def start(self) -> "FakeTranslationService":
        service = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_args: Any) -> None:
                pass

            def _answer(self, status: int, body: Any) -> None:
                raw = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                try:
                    self.wfile.write(raw)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout test)

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                parsed = urlparse(self.path)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
                auth = self.headers.get("Authorization")
                service.requests.append({"path": parsed.path, "query": parse_qs(parsed.query), "auth": auth, "body": body})
                status = service.status()
                if status != 200:
                    self._answer(status, {"message": "unavailable"})
                    return
                if parsed.path == "/v2/translate":
                    if auth != f"DeepL-Auth-Key {KEY}":
                        self._answer(403, {"message": "Wrong endpoint or key"})
                        return
                    target = body["target_lang"].split("-")[0].lower()
                    self._answer(200, {"translations": [
                        {"detected_source_language": body.get("source_lang", "EN"), "text": service.translate(t, target)}
                        for t in body["text"]
                    ]})  # fmt: skip
                elif parsed.path == "/language/translate/v2":
                    if parse_qs(parsed.query).get("key") != [KEY]:
                        self._answer(400, {"error": {"code": 400, "message": "API key not valid."}})
                        return
                    self._answer(200, {"data": {"translations": [
                        {"translatedText": service.translate(q, body["target"])} for q in body["q"]
                    ]}})  # fmt: skip
                elif parsed.path == "/translate":
                    if not isinstance(body.get("q"), str) or body.get("format") != "text":
                        self._answer(400, {"error": "Invalid request"})
                        return
                    self._answer(200, {"translatedText": service.translate(body["q"], body["target"])})
                elif parsed.path == "/v1/chat/completions":
                    if auth != f"Bearer {KEY}":
                        self._answer(401, {"error": {"message": "Incorrect API key provided"}})
                        return
                    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
                    target = re.search(r"to (\w+)\.", system).group(1)  # type: ignore[union-attr]
                    self._answer(200, {
                        "id": "chatcmpl-1", "object": "chat.completion", "model": body["model"],
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": service.translate(user, target)}}],
                    })  # fmt: skip
                else:
                    self._answer(404, {"error": "not found"})

        self._server = ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
