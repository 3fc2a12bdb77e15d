"""One translation: protect, try the engines of the chain in order, check.

For each engine of the chain that supports the pair: the translation memory
is asked first; otherwise the engine translates the protected text. An answer
that is empty, in the wrong script, or that lost a placeholder is refused and
the next engine is tried; every refusal and failure is logged with the
engine's name and kept in `attempts`. When no engine answers well, the best
refused answer (one that lost placeholders) is returned flagged, and when
there is none the result says "not translated" and why. Nothing here touches
the database: the memory is a port the caller provides.
"""

from __future__ import annotations

import logging
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from dragoman.language.engines import EngineError, Translator
from dragoman.language.glossary import GlossaryEntry, Protected, lost_in_translation, protect, restore, strip_placeholders

log = logging.getLogger(__name__)

# The script a language is written in, by the first word of Unicode's
# character names. Languages not listed are not checked.
SCRIPTS: dict[str, tuple[str, ...]] = {
    **{code: ("LATIN",) for code in "en es pt fr de it nl pl tr vi id ms sv ro cs ca da nb nn no fi et lv lt sk sl hr hu ga gl eu af is oc sq".split()},
    **{code: ("CYRILLIC",) for code in "ru uk be bg mk sr kk ky mn".split()},
    "ar": ("ARABIC",), "fa": ("ARABIC",), "ur": ("ARABIC",),
    "he": ("HEBREW",), "el": ("GREEK",), "hi": ("DEVANAGARI",), "th": ("THAI",),
    "zh": ("CJK",), "ja": ("CJK", "HIRAGANA", "KATAKANA"), "ko": ("HANGUL", "CJK"),
}  # fmt: skip


def script_share(text: str, target: str) -> float | None:
    """Share of the letters that are in the target language's script; None when unknown or no letters."""
    scripts = SCRIPTS.get(target)
    if scripts is None:
        return None
    letters = [char for char in strip_placeholders(text) if char.isalpha()]
    if not letters:
        return None
    matching = sum(1 for char in letters if unicodedata.name(char, "").startswith(scripts))
    return matching / len(letters)


def garbage_reason(translated: str, target: str) -> str | None:
    """Why an engine's answer is unusable, or None."""
    if not strip_placeholders(translated).strip() and not translated.strip():
        return "empty"
    if "\ufffd" in translated:
        return "broken characters"
    share = script_share(translated, target)
    if share is not None and share < 0.5:
        return "wrong script"
    return None


class Memory(Protocol):
    def get(self, engine: str) -> tuple[str, str | None] | None: ...

    def put(self, engine: str, text: str, pivot: str | None) -> None: ...


@dataclass
class TranslationResult:
    source: str
    target: str
    status: str  # translated | not_translated
    text: str | None = None
    engine: str | None = None
    pivot: str | None = None
    reason: str | None = None  # why not translated
    flags: list[str] = field(default_factory=list)  # facts_missing, placeholders_lost
    missing_facts: list[str] = field(default_factory=list)
    attempts: list[dict[str, str]] = field(default_factory=list)
    from_memory: bool = False

    def as_dict(self) -> dict[str, object]:
        return {
            "status": self.status,
            "from": self.source,
            "to": self.target,
            "text": self.text,
            "engine": self.engine,
            "pivot": self.pivot,
            "reason": self.reason,
            "flags": list(self.flags),
            "missing_facts": list(self.missing_facts),
            "attempts": list(self.attempts),
            "from_memory": self.from_memory,
        }


def no_engine_reason(source: str, target: str) -> str:
    return f"not translated: no engine for {source}→{target}"


def _check(protected: Protected, translated: str) -> tuple[str, list[str], list[str]]:
    restored = restore(translated, protected)
    flags: list[str] = []
    if restored.missing_slots or restored.repeated_slots:
        flags.append("placeholders_lost")
    lost = lost_in_translation(protected, restored.text)
    if lost:
        flags.append("facts_missing")
    return restored.text, flags, lost


def translate_text(
    text: str,
    source: str,
    target: str,
    chain: Sequence[Translator],
    *,
    glossary: Iterable[GlossaryEntry] = (),
    order_pattern: str | None = None,
    memory: Memory | None = None,
) -> TranslationResult:
    result = TranslationResult(source=source, target=target, status="not_translated")
    engines = [engine for engine in chain if engine.supports(source, target)]
    if not engines:
        result.reason = no_engine_reason(source, target)
        return result
    protected = protect(text, source, target, glossary, order_pattern)
    fallback: TranslationResult | None = None
    for engine in engines:
        remembered = memory.get(engine.name) if memory is not None else None
        if remembered is not None:
            # Memory holds finished text: only the fact check applies to it.
            lost = lost_in_translation(protected, remembered[0])
            result.text, result.engine, result.pivot = remembered[0], engine.name, remembered[1]
            result.status, result.from_memory = "translated", True
            result.flags = ["facts_missing"] if lost else []
            result.missing_facts = lost
            return result
        try:
            output = engine.translate(protected.text, source, target)
        except EngineError as exc:
            log.warning("translation engine %s failed on %s→%s: %s", engine.name, source, target, exc)
            result.attempts.append({"engine": engine.name, "error": str(exc)})
            continue
        except Exception as exc:  # noqa: BLE001 - a broken engine must not lose the message
            log.exception("translation engine %s crashed on %s→%s", engine.name, source, target)
            result.attempts.append({"engine": engine.name, "error": f"crashed: {type(exc).__name__}"})
            continue
        bad = garbage_reason(output.text, target)
        if bad is not None:
            log.warning("translation engine %s returned unusable text on %s→%s: %s", engine.name, source, target, bad)
            result.attempts.append({"engine": engine.name, "error": bad})
            continue
        restored, flags, lost = _check(protected, output.text)
        candidate = TranslationResult(
            source=source, target=target, status="translated", text=restored, engine=engine.name,
            pivot=output.pivot, flags=flags, missing_facts=lost, attempts=list(result.attempts),
        )  # fmt: skip
        if "placeholders_lost" in flags:
            log.warning("translation engine %s lost placeholders on %s→%s", engine.name, source, target)
            result.attempts.append({"engine": engine.name, "error": "lost protected text"})
            fallback = fallback or candidate
            continue
        if memory is not None:
            memory.put(engine.name, restored, output.pivot)
        return candidate
    if fallback is not None:
        fallback.attempts = list(result.attempts)
        return fallback
    result.reason = "not translated: " + "; ".join(f"{a['engine']}: {a['error']}" for a in result.attempts)
    return result
