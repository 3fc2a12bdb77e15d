"""Glossary and placeholders: what goes into an engine and what comes back.

Before translation, protected facts and glossary terms are replaced by
placeholders (`ZX0QZ`, `ZX1QZ`, ...): tokens that Apertium passes through as
unknown words and that neural and remote engines leave alone. After
translation each placeholder is put back: a fact or a do-not-translate term as
it was, a forced translation as the glossary says. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dragoman.language.facts import Fact, find_facts, missing_facts

PLACEHOLDER = "ZX{index}QZ"
# Engines may change the case, or split the token at a digit boundary.
_PLACEHOLDER_BACK = re.compile(r"Z\s?X\s?(\d+)\s?Q\s?Z", re.IGNORECASE)


@dataclass(frozen=True)
class GlossaryEntry:
    term: str
    # None: keep the term as it is (brand and product names).
    translation: str | None = None
    # None: for every language (do-not-translate terms usually are).
    source_language: str | None = None
    target_language: str | None = None
    case_sensitive: bool = False

    def applies(self, source: str, target: str) -> bool:
        return (self.source_language in (None, source)) and (self.target_language in (None, target))


@dataclass(frozen=True)
class Protected:
    text: str  # what the engine receives
    slots: tuple[str, ...]  # slot i: what placeholder i becomes in the target
    facts: tuple[Fact, ...]  # the source's protected facts (for the check afterwards)
    terms: tuple[str, ...]  # glossary terms found (for the record)
    # What each glossary term must read in the target: the term itself, or its forced translation.
    term_targets: tuple[str, ...] = ()
    order_pattern: str | None = None


_DENSE_RANGES = ((0x0E00, 0x0E7F), (0x3040, 0x30FF), (0x3400, 0x9FFF), (0xAC00, 0xD7AF), (0xF900, 0xFAFF))


def _is_dense(char: str) -> bool:
    return any(low <= ord(char) <= high for low, high in _DENSE_RANGES)


def _is_spaced(term: str) -> bool:
    """Whether the term needs word boundaries. Chinese, Japanese and Thai have
    no spaces, and Korean glues particles to names ("삼성에서"), so a term in
    those scripts matches anywhere."""
    return not all(_is_dense(char) for char in term if char.isalpha())


def _term_pattern(entry: GlossaryEntry) -> re.Pattern[str]:
    body = re.escape(entry.term)
    if _is_spaced(entry.term):
        body = rf"(?<!\w){body}(?!\w)"
    return re.compile(body, 0 if entry.case_sensitive else re.IGNORECASE)


def protect(
    text: str,
    source: str,
    target: str,
    entries: Iterable[GlossaryEntry] = (),
    order_pattern: str | None = None,
) -> Protected:
    facts = find_facts(text, order_pattern)
    spans: list[tuple[int, int, str]] = [(fact.start, fact.end, fact.text) for fact in facts]
    taken = [False] * len(text)
    for fact in facts:
        for index in range(fact.start, fact.end):
            taken[index] = True
    terms: list[str] = []
    term_targets: list[str] = []
    # Longest terms first, so "Acme Cloud Pro" wins over "Acme Cloud".
    applicable = sorted((e for e in entries if e.term and e.applies(source, target)), key=lambda e: -len(e.term))
    for entry in applicable:
        for match in _term_pattern(entry).finditer(text):
            if any(taken[match.start() : match.end()]):
                continue
            for index in range(match.start(), match.end()):
                taken[index] = True
            replacement = entry.translation if entry.translation is not None else match.group(0)
            spans.append((match.start(), match.end(), replacement))
            terms.append(match.group(0))
            term_targets.append(replacement)
    spans.sort()
    pieces: list[str] = []
    slots: list[str] = []
    cursor = 0
    for start, end, replacement in spans:
        pieces.append(text[cursor:start])
        pieces.append(PLACEHOLDER.format(index=len(slots)))
        slots.append(replacement)
        cursor = end
    pieces.append(text[cursor:])
    return Protected("".join(pieces), tuple(slots), tuple(facts), tuple(terms), tuple(term_targets), order_pattern)


@dataclass(frozen=True)
class Restored:
    text: str
    missing_slots: tuple[int, ...]  # placeholders the engine lost
    repeated_slots: tuple[int, ...]  # placeholders the engine produced more than once


def restore(translated: str, protected: Protected) -> Restored:
    seen: dict[int, int] = {}

    def put_back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(protected.slots):
            return match.group(0)  # not ours: leave it for the fact check to notice
        seen[index] = seen.get(index, 0) + 1
        return protected.slots[index]

    text = _PLACEHOLDER_BACK.sub(put_back, translated)
    missing = tuple(i for i in range(len(protected.slots)) if i not in seen)
    repeated = tuple(i for i, count in seen.items() if count > 1)
    return Restored(text, missing, repeated)


def missing_terms(expected: Iterable[str], target: str) -> list[str]:
    """Glossary texts the target does not contain as often as expected.
    Longer ones claim their places first: "Acme" is not counted inside the
    "Acme Cloud" that is also expected."""
    needed: dict[str, int] = {}
    for text in expected:
        needed[text] = needed.get(text, 0) + 1
    remaining = target
    missing: list[str] = []
    for text in sorted(needed, key=lambda item: (-len(item), item)):
        pattern = re.compile(rf"(?<!\w){re.escape(text)}(?!\w)" if _is_spaced(text) else re.escape(text))
        found = 0
        for match in pattern.finditer(remaining):
            if found == needed[text]:
                break
            found += 1
            remaining = remaining[: match.start()] + "\x00" * len(match.group(0)) + remaining[match.end() :]
        missing.extend([text] * (needed[text] - found))
    return missing


def lost_in_translation(protected: Protected, target: str) -> list[str]:
    """The fact check: every protected fact and glossary term of the source
    that the target (what the customer or agent would read) does not contain
    unchanged. Used on an engine's answer, on remembered and corrected
    translations and on an agent's own edit alike."""
    lost = [fact.text for fact in missing_facts(list(protected.facts), target, protected.order_pattern)]
    return lost + missing_terms(protected.term_targets, target)


def strip_placeholders(text: str) -> str:
    return _PLACEHOLDER_BACK.sub(" ", text)
