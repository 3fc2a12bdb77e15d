"""Translation engines behind one protocol.

An engine translates plain text (with placeholders already in it) between two
ISO 639-1 languages, or raises `EngineError`. It knows nothing of accounts,
glossaries or the database; `dragoman.language.pipeline` chains engines and
checks what they return.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


class EngineError(Exception):
    """The engine could not translate this text now (down, timeout, bad answer)."""


class UnsupportedPair(EngineError):
    pass


@dataclass(frozen=True)
class EngineOutput:
    text: str
    # The language the text went through when the engine has no direct pair.
    pivot: str | None = None


class Translator(Protocol):
    name: str

    def supports(self, source: str, target: str) -> bool: ...

    def translate(self, text: str, source: str, target: str) -> EngineOutput: ...

    def close(self) -> None: ...


class EngineRegistry:
    """The engines this process has, by name, in the default fallback order."""

    def __init__(self) -> None:
        self._engines: dict[str, Translator] = {}

    def add(self, engine: Translator) -> None:
        self._engines[engine.name] = engine

    def remove(self, name: str) -> None:
        engine = self._engines.pop(name, None)
        if engine is not None:
            engine.close()

    def get(self, name: str) -> Translator | None:
        return self._engines.get(name)

    def names(self) -> list[str]:
        return list(self._engines)

    def close(self) -> None:
        """Closes this registry's own engines; a process-wide one stays for the other apps."""
        for engine in self._engines.values():
            if not getattr(engine, "shared", False):
                engine.close()
