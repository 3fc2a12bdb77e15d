"""Engines behind an HTTP API: DeepL, Google Cloud Translation (v2),
LibreTranslate, and any OpenAI-compatible chat-completions endpoint.

Each speaks its service's documented request and response format through one
`httpx.Client` with a timeout; a connection error, a timeout, 429 or a 5xx is
retried a couple of times with a short back-off, anything else fails at once.
Every failure is an `EngineError` naming the engine, so the chain can log it
and go on to the next engine; what a service answered is kept only as a short
excerpt without control characters (agents see it in a message's translation
attempts).

These engines' addresses come from the server's own environment
(`DRAGOMAN_DEEPL_URL`, `DRAGOMAN_LIBRETRANSLATE_URL`, ...), set by its
operator, never from an account: a LibreTranslate or a local LLM on
127.0.0.1 is the usual on-premises set-up, and HTTPS_PROXY is honoured. So
they do not go through `core.outbound`'s guard, which is for destinations an
account chooses (webhooks). An engine whose address an account could set
would have to use `core.outbound.guarded_client`.
"""

from __future__ import annotations

import time
from typing import Any

import httpx

from dragoman.core.outbound import response_excerpt
from dragoman.language.engines import EngineError, EngineOutput

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})


class HttpEngine:
    name = "http"

    def __init__(self, *, timeout: float = 10.0, retries: int = 2, backoff: float = 0.2, languages: set[str] | None = None) -> None:
        self._client = httpx.Client(timeout=timeout)
        self._retries = retries
        self._backoff = backoff
        self._languages = languages

    def supports(self, source: str, target: str) -> bool:
        return self._languages is None or (source in self._languages and target in self._languages)

    def close(self) -> None:
        self._client.close()

    def _post(self, url: str, *, json: dict[str, Any], headers: dict[str, str] | None = None, params: dict[str, str] | None = None) -> Any:
        last = ""
        for attempt in range(self._retries + 1):
            if attempt:
                time.sleep(self._backoff * 2 ** (attempt - 1))
            try:
                response = self._client.post(url, json=json, headers=headers, params=params)
            except httpx.TimeoutException:
                last = "timed out"
                continue
            except httpx.HTTPError as exc:
                last = type(exc).__name__
                continue
            if response.status_code in RETRY_STATUSES:
                last = f"HTTP {response.status_code}"
                continue
            if response.status_code != 200:
                raise EngineError(f"{self.name}: HTTP {response.status_code}: {response_excerpt(response.text)}")
            try:
                return response.json()
            except ValueError as exc:
                raise EngineError(f"{self.name}: the answer is not JSON") from exc
        raise EngineError(f"{self.name}: {last} after {self._retries + 1} attempts")


def _dig(body: Any, *path: str | int) -> Any:
    """body[path[0]][path[1]]... or None when the shape differs."""
    for key in path:
        try:
            body = body[key]
        except (KeyError, IndexError, TypeError):
            return None
    return body


def _text_or_error(engine: str, value: Any) -> str:
    if not isinstance(value, str):
        raise EngineError(f"{engine}: the answer has no translated text")
    return value


# -- DeepL ----------------------------------------------------------------------

DEEPL_LANGUAGES = frozenset(
    "ar bg cs da de el en es et fi fr hu id it ja ko lt lv nb nl pl pt ro ru sk sl sv tr uk zh".split()
)
# DeepL wants a regional variant for some targets.
DEEPL_TARGETS = {"en": "EN-US", "pt": "PT-PT", "zh": "ZH-HANS"}


class DeepLEngine(HttpEngine):
    """POST /v2/translate with `Authorization: DeepL-Auth-Key ...` (JSON body)."""

    name = "deepl"

    def __init__(self, api_key: str, base_url: str = "https://api-free.deepl.com", **options: Any) -> None:
        super().__init__(languages=set(DEEPL_LANGUAGES), **options)
        self._key = api_key
        self._url = base_url.rstrip("/") + "/v2/translate"

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        body = self._post(
            self._url,
            json={"text": [text], "source_lang": source.upper(), "target_lang": DEEPL_TARGETS.get(target, target.upper())},
            headers={"Authorization": f"DeepL-Auth-Key {self._key}"},
        )
        return EngineOutput(_text_or_error(self.name, _dig(body, "translations", 0, "text")))


# -- Google Cloud Translation, basic (v2) ------------------------------------------


class GoogleTranslateEngine(HttpEngine):
    """POST /language/translate/v2?key=... with {q, source, target, format}."""

    name = "google"

    def __init__(self, api_key: str, base_url: str = "https://translation.googleapis.com", **options: Any) -> None:
        super().__init__(**options)
        self._key = api_key
        self._url = base_url.rstrip("/") + "/language/translate/v2"

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        body = self._post(
            self._url,
            json={"q": [text], "source": source, "target": target, "format": "text"},
            params={"key": self._key},
        )
        return EngineOutput(_text_or_error(self.name, _dig(body, "data", "translations", 0, "translatedText")))


# -- LibreTranslate ---------------------------------------------------------------


class LibreTranslateEngine(HttpEngine):
    """POST /translate with {q, source, target, format, api_key}."""

    name = "libretranslate"

    def __init__(self, base_url: str, api_key: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._url = base_url.rstrip("/")
        self._key = api_key

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        payload: dict[str, Any] = {"q": text, "source": source, "target": target, "format": "text"}
        if self._key:
            payload["api_key"] = self._key
        body = self._post(f"{self._url}/translate", json=payload)
        return EngineOutput(_text_or_error(self.name, _dig(body, "translatedText")))


# -- OpenAI-compatible chat completions (self-hosted LLMs) ----------------------------

LLM_INSTRUCTIONS = (
    "You translate customer-support messages from {source} to {target}. "
    "Answer with the translation only, no quotes or comments. "
    "Copy every token of the form ZX<number>QZ exactly as it is."
)


class OpenAIChatEngine(HttpEngine):
    """POST {base}/chat/completions with {model, messages, temperature}."""

    name = "openai"

    def __init__(self, base_url: str, model: str, api_key: str | None = None, **options: Any) -> None:
        super().__init__(**options)
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._key = api_key

    def translate(self, text: str, source: str, target: str) -> EngineOutput:
        headers = {"Authorization": f"Bearer {self._key}"} if self._key else None
        body = self._post(
            self._url,
            json={
                "model": self._model,
                "temperature": 0,
                "messages": [
                    {"role": "system", "content": LLM_INSTRUCTIONS.format(source=source, target=target)},
                    {"role": "user", "content": text},
                ],
            },
            headers=headers,
        )
        content = _text_or_error(self.name, _dig(body, "choices", 0, "message", "content"))
        return EngineOutput(content.strip())
