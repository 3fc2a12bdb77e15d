"""Offline language detection of one message.

lingua-language-detector, restricted to the languages an account serves, won
the measurement in `benchmarks/language_detection.py` (see docs/benchmarks.md):
restricting the candidates is what makes two-word messages reliable. One
detector per distinct language set is built once and reused; lingua loads each
language's model once per process and shares it between detectors, so an extra
set costs little.

Nothing here touches the database: `detect_language` is called in the message
write path and must stay well under a millisecond.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from lingua import ConfidenceValue, IsoCode639_1, Language, LanguageDetector, LanguageDetectorBuilder

# Every language of the evaluation set in shared/data/langid (ISO 639-1).
EVALUATED_LANGUAGES: tuple[str, ...] = (
    "en", "es", "pt", "fr", "de", "it", "nl", "pl", "ru", "uk", "tr", "ar", "he",
    "fa", "hi", "id", "ms", "vi", "th", "zh", "ja", "ko", "sv", "ro", "el", "cs",
)  # fmt: skip

# What an account detects until an admin lists its own languages: the
# languages of the customers the design names plus the common European ones.
# Fewer candidates is both faster and more accurate on short messages
# (docs/benchmarks.md); Malay and Indonesian are left out together because
# no detector tells them apart on short text.
DEFAULT_LANGUAGES: tuple[str, ...] = (
    "en", "es", "pt", "fr", "de", "it", "nl", "ru", "tr", "ar", "zh", "ja", "ko", "th", "vi",
)  # fmt: skip

# lingua knows these ISO 639-1 codes; anything else in an account's list is
# ignored by detection (it may still be a translation target).
SUPPORTED_LANGUAGES: frozenset[str] = frozenset(language.iso_code_639_1.name.lower() for language in Language.all())


@dataclass(frozen=True)
class Detection:
    language: str | None  # ISO 639-1, None when the text has no letters
    confidence: float  # 0..1: lingua's relative confidence among the candidates
    letters: int  # letters in the text: how much evidence it carries
    words: int

    def as_dict(self) -> dict[str, object]:
        return {"code": self.language, "confidence": round(self.confidence, 4), "letters": self.letters, "words": self.words}


def base_language(code: str | None) -> str | None:
    """'zh-Hans' -> 'zh', 'pt-BR' -> 'pt'."""
    if not code:
        return None
    return code.split("-", 1)[0].split("_", 1)[0].lower()


_LETTER = re.compile(r"[^\W\d_]")
# Scripts written without spaces between words: Thai, kana, CJK, Hangul.
_DENSE_LETTER = re.compile(r"[\u0e00-\u0e7f\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")
_SPACED_WORD = re.compile(r"\S*[^\W\d_]\S*")


def count_letters_and_words(text: str) -> tuple[int, int]:
    """Letters (any script) and words. Han, kana, Thai etc. are written without
    spaces, so for them every two letters count as a word: a four-character
    Chinese message carries about as much as a two-word English one."""
    letters = len(_LETTER.findall(text))
    dense = len(_DENSE_LETTER.findall(text))
    spaced_words = len(_SPACED_WORD.findall(text))
    words = max(spaced_words, dense // 2) if dense else spaced_words
    return letters, words


class LanguageDetection:
    """Detectors by language set, built on first use and kept for the process."""

    def __init__(self, default_languages: Iterable[str] = DEFAULT_LANGUAGES) -> None:
        self._default = self.normalise(default_languages)
        self._detectors: dict[frozenset[str], LanguageDetector] = {}
        # The same tuple of languages comes with every message of an account.
        self._by_request: dict[tuple[str, ...] | None, LanguageDetector] = {}
        self._lock = threading.Lock()

    @staticmethod
    def normalise(languages: Iterable[str] | None) -> frozenset[str]:
        codes = {base_language(code) for code in languages or ()}
        return frozenset(code for code in codes if code in SUPPORTED_LANGUAGES)

    def detector_for(self, languages: Iterable[str] | None = None) -> LanguageDetector:
        key = tuple(languages) if languages is not None else None
        found = self._by_request.get(key)
        if found is not None:
            return found
        found = self._build(languages)
        if len(self._by_request) < 1000:
            self._by_request[key] = found
        return found

    def _build(self, languages: Iterable[str] | None) -> LanguageDetector:
        wanted = self.normalise(languages) if languages else self._default
        if len(wanted) < 2:
            # lingua needs at least two candidates; an account that serves one
            # language still wants to notice English among its messages.
            wanted = wanted | {"en", "es"}
        detector = self._detectors.get(wanted)
        if detector is None:
            with self._lock:
                detector = self._detectors.get(wanted)
                if detector is None:
                    codes = [getattr(IsoCode639_1, code.upper()) for code in sorted(wanted)]
                    detector = LanguageDetectorBuilder.from_iso_codes_639_1(*codes).with_preloaded_language_models().build()
                    self._detectors[wanted] = detector
        return detector

    def warm_up(self) -> None:
        """Load the default models now (about a second), not on the first message."""
        self.detector_for(None).detect_language_of("warm up")

    def detect(self, text: str, languages: Iterable[str] | None = None) -> Detection:
        letters, words = count_letters_and_words(text)
        if letters == 0:
            return Detection(None, 0.0, 0, words)
        return _best(self.detector_for(languages).compute_language_confidence_values(text), letters, words)


def _best(values: Sequence[ConfidenceValue], letters: int, words: int) -> Detection:
    if letters == 0 or not values or values[0].value <= 0.0:
        return Detection(None, 0.0, letters, words)
    best = values[0]
    return Detection(best.language.iso_code_639_1.name.lower(), float(best.value), letters, words)


_SHARED: LanguageDetection | None = None
_SHARED_LOCK = threading.Lock()


def shared_detection() -> LanguageDetection:
    """The process's detectors. lingua's models take seconds and hundreds of
    MiB to load: every app in the process (tests build many) shares one set."""
    global _SHARED
    with _SHARED_LOCK:
        if _SHARED is None:
            _SHARED = LanguageDetection()
        return _SHARED
