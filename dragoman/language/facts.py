"""Protected facts: the parts of a message a translation must never change.

URLs, e-mail addresses, order numbers (by the account's pattern), amounts
with a currency, phone numbers, dates and plain numbers. `find_facts` finds
them (no overlaps; the earlier kind in `KINDS` wins); `missing_facts` says which of a source's facts a translation lost.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

KINDS = ("placeholder", "url", "email", "order", "date", "amount", "phone", "number")

_CURRENCY_SYMBOLS = "$€£¥₹₩₽₺₪฿₫₱"
_CURRENCY_CODES = (
    "USD|EUR|GBP|JPY|CNY|RMB|HKD|TWD|SGD|MYR|THB|VND|IDR|PHP|INR|KRW|AUD|NZD|CAD|CHF|SEK|NOK|DKK|PLN|CZK|"
    "RUB|UAH|TRY|ILS|AED|SAR|EGP|MXN|BRL|ARS|CLP|COP|PEN|ZAR"
)
_NUMBER = r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?"
_PATTERNS: dict[str, str] = {
    # Text that already looks like one of our placeholders must survive too.
    "placeholder": r"Z\s?X\s?\d+\s?Q\s?Z",
    "url": r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]",
    "email": r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
    "amount": (
        rf"(?:[{_CURRENCY_SYMBOLS}]\s?{_NUMBER}|\b(?:{_CURRENCY_CODES})\s?{_NUMBER}"
        # "25 €", "25 EUR", but not the "$" that starts the next amount in "5 $10".
        rf"|{_NUMBER}\s?(?:[{_CURRENCY_SYMBOLS}]|(?:{_CURRENCY_CODES})\b)(?!\s?\d))"
    ),
    # A leading + or groups split by spaces or hyphens: "+34 612 345 678",
    # "(555) 123-4567"; a bare "1234567" stays a plain number.
    "phone": r"(?:\+\d[\d\s().-]{5,}\d|(?<![\d.,])\(?\d{2,4}\)?[\s-]\d{3,4}[\s-]\d{3,4}(?:[\s-]\d{2,4})?\b)",
    "date": r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\b",
    "number": _NUMBER,
}


@dataclass(frozen=True)
class Fact:
    kind: str
    text: str
    start: int
    end: int


@lru_cache(maxsize=64)
def _compiled(order_pattern: str | None) -> list[tuple[str, re.Pattern[str]]]:
    compiled = []
    for kind in KINDS:
        if kind == "order":
            if order_pattern:
                compiled.append((kind, re.compile(order_pattern)))
            continue
        compiled.append((kind, re.compile(_PATTERNS[kind], re.IGNORECASE if kind in ("placeholder", "url", "email") else 0)))
    return compiled


def check_order_pattern(pattern: str) -> str | None:
    """Why an account's order-number pattern is unusable, or None if it is fine."""
    try:
        compiled = re.compile(pattern)
    except re.error as exc:
        return f"not a valid regular expression: {exc}"
    if compiled.match(""):
        return "the pattern matches an empty string"
    return None


def find_facts(text: str, order_pattern: str | None = None) -> list[Fact]:
    """Non-overlapping facts in text order. Kinds are searched in `KINDS`
    order, each in what earlier kinds left: an order number's digits are not
    also an amount, and a currency sign after it still starts one."""
    masked = text
    facts: list[Fact] = []
    for kind, pattern in _compiled(order_pattern):
        for match in pattern.finditer(masked):
            # A match may not run into an earlier fact (URLs match most characters).
            if match.end() > match.start() and "\x00" not in match.group(0):
                facts.append(Fact(kind, text[match.start() : match.end()], match.start(), match.end()))
        for fact in facts:
            if masked[fact.start] != "\x00":
                masked = masked[: fact.start] + "\x00" * (fact.end - fact.start) + masked[fact.end :]
    return sorted(facts, key=lambda fact: fact.start)


def missing_facts(source_facts: list[Fact], target: str) -> list[Fact]:
    """Facts of the source that the target does not contain as often as the source."""
    needed = Counter(fact.text for fact in source_facts)
    missing: list[Fact] = []
    for text, count in needed.items():
        found = target.count(text)
        if found < count:
            missing.extend([fact for fact in source_facts if fact.text == text][: count - found])
    return missing
