"""Protected facts: the parts of a message a translation must never change.

By default, with no settings: URLs, e-mail addresses, codes (every token that
mixes letters and digits, or a "#" and digits: order, ticket, tracking and
model numbers such as #DR-48213, SKU-12-XL, 1Z999AA10123456784), dates
(2026-12-07, 07/12/2026, 7 Dec 2026), times, amounts with a currency, phone
numbers and plain numbers. An account's order-number pattern only adds to
these. `find_facts` finds them (no overlaps; the earlier kind in `KINDS`
wins); `missing_facts` says which of a source's facts a translation lost.
Pure functions, no I/O.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

# Dates and times before codes: "7th" of "7th December 2026" is part of a date.
KINDS = ("placeholder", "url", "email", "order", "date", "time", "code", "amount", "phone", "number")

_CURRENCY_SYMBOLS = "$€£¥₹₩₽₺₪฿₫₱"
_CURRENCY_CODES = (
    "USD|EUR|GBP|JPY|CNY|RMB|HKD|TWD|SGD|MYR|THB|VND|IDR|PHP|INR|KRW|AUD|NZD|CAD|CHF|SEK|NOK|DKK|PLN|CZK|"
    "RUB|UAH|TRY|ILS|AED|SAR|EGP|MXN|BRL|ARS|CLP|COP|PEN|ZAR|RON|HUF|BGN|ISK"
)
# Letters and digits of Latin-script words. A code ends where a Chinese or
# Japanese character starts ("订单DR48213已发货"): those scripts need no spaces.
_LATIN_ALNUM = "A-Za-z0-9\u00c0-\u024f"
# English month names, capitalised ("may" is a verb). Dates written with
# another language's month names keep their numbers protected as numbers and
# their month word translated, so the customer reads the month in their language.
_MONTH = (
    r"(?:Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?"
    r"|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)\b\.?"
)
_MARKS = ("#", "*")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_NUMBER = r"\d+(?:[.,\u00a0\u202f ]\d{3})*(?:[.,]\d+)?"
_PATTERNS: dict[str, str] = {
    # Text that already looks like one of our placeholders must survive too.
    "placeholder": r"Z\s?X\s?\d+\s?Q\s?Z",
    "url": r"\b(?:https?://|www\.)[^\s<>\"']+[^\s<>\"'.,;:!?)\]]",
    # A token of Latin letters and digits joined by - _ / . : # ("SKU-12-XL",
    # "INV/2026/0042", "v3.0.0.4", "#DR-48213"); `is_code` keeps those that mix
    # letters and digits, or start with "#" ("#48213").
    "code": rf"(?<![{_LATIN_ALNUM}#])#?[{_LATIN_ALNUM}]+(?:[-_/.:#][{_LATIN_ALNUM}]+)*",
    "email": r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b",
    "amount": (
        # "US$ 25" and "R$ 349,90": the letters belong to the currency.
        rf"(?:(?:\b(?:US|C|A|R|HK|NZ|S|MX))?[{_CURRENCY_SYMBOLS}]\s?{_NUMBER}|\b(?:{_CURRENCY_CODES})\s?{_NUMBER}"
        # "25 €", "25 EUR", but not the "$" that starts the next amount in "5 $10".
        rf"|{_NUMBER}\s?(?:[{_CURRENCY_SYMBOLS}]|(?:{_CURRENCY_CODES})\b)(?!\s?\d))"
    ),
    # A leading + or groups split by spaces or hyphens: "+34 612 345 678",
    # "(555) 123-4567"; a bare "1234567" stays a plain number.
    # "555-0142" too: an engine that changes the hyphen keeps both numbers.
    "phone": (
        r"(?:\+\d[\d\s().-]{5,}\d|(?<![\d.,])\(?\d{2,4}\)?[\s-]\d{3,4}[\s-]\d{3,4}(?:[\s-]\d{2,4})?\b"
        r"|(?<![\d.,-])\b\d{3,4}-\d{4}\b(?!-\d))"
    ),
    "date": (
        r"\b(?:\d{4}-\d{1,2}-\d{1,2}|\d{1,2}[/.]\d{1,2}[/.]\d{2,4})\b"
        # 7 Dec 2026, 7th of December, December 31, 2026, Dec 7
        rf"|\b{_DAY}\s(?:of\s)?{_MONTH}(?:,?\s\d{{4}}\b)?"
        rf"|\b{_MONTH}\s{_DAY}\b(?:,?\s\d{{4}}\b)?"
    ),
    # 09:00, 17:30:15, 9:30 am
    "time": r"(?<![\d:.,])\b\d{1,2}:\d{2}(?::\d{2})?\b(?![:.,]\d)(?:\s?(?:[ap]\.m\.|[AaPp][Mm]\b))?",
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


def is_code(token: str) -> bool:
    """Whether a token of letters and digits is a code (an order, ticket,
    tracking or model number) rather than a word or a plain number."""
    has_digit = any(char.isdigit() for char in token)
    return has_digit and (token.startswith("#") or any(char.isalpha() for char in token))


def find_facts(text: str, order_pattern: str | None = None) -> list[Fact]:
    """Non-overlapping facts in text order. Kinds are searched in `KINDS`
    order, each in what earlier kinds left: an order number's digits are not
    also an amount, and a currency sign after it still starts one."""
    masked = text
    facts: list[Fact] = []
    for kind, pattern in _compiled(order_pattern):
        for match in pattern.finditer(masked):
            if kind == "code" and not is_code(match.group(0)):
                continue
            # Apertium marks a word it could not generate with "#" glued to
            # it ("#support@example.com"): that is a changed fact, not the
            # fact. Only a code may start with "#".
            if kind not in ("code", "placeholder") and text[match.start() - 1 : match.start()] in _MARKS:
                continue
            # A match may not run into an earlier fact (URLs match most characters).
            if match.end() > match.start() and "\x00" not in match.group(0):
                facts.append(Fact(kind, text[match.start() : match.end()], match.start(), match.end()))
        for fact in facts:
            if masked[fact.start] != "\x00":
                masked = masked[: fact.start] + "\x00" * (fact.end - fact.start) + masked[fact.end :]
    return sorted(facts, key=lambda fact: fact.start)


def _standalone(text: str) -> re.Pattern[str]:
    """`text` where nothing is glued to it: not a letter or digit, nor one
    behind a joiner ("-12-", "12.5", "#12"), nor an engine's mark."""
    alnum = _LATIN_ALNUM
    before = rf"(?<![{alnum}#*])(?<![{alnum}][-_/#.:,])"
    after = rf"(?![{alnum}])(?![-_/#.:,][{alnum}])"
    return re.compile(before + re.escape(text) + after)


def _unclaimed(
    source_facts: list[Fact], target: str, read: dict[str, list[Fact]], order: list[int]
) -> list[Fact]:
    """Source facts left without a place in the target, taking them in `order`.
    Each fact claims a place no other fact has: first where the finder read
    exactly it, else where it stands with nothing glued to it."""
    claimed = [False] * len(target)
    missing: list[Fact] = []
    for index in order:
        fact = source_facts[index]
        spans = [(found.start, found.end) for found in read.get(fact.text, [])]
        masked = "".join("\x00" if taken else char for char, taken in zip(target, claimed))
        spans += [(match.start(), match.end()) for match in _standalone(fact.text).finditer(masked)]
        for start, end in spans:
            if not any(claimed[start:end]):
                claimed[start:end] = [True] * (end - start)
                break
        else:
            missing.append(fact)
    return sorted(missing, key=lambda item: item.start)


def missing_facts(source_facts: list[Fact], target: str, order_pattern: str | None = None) -> list[Fact]:
    """Facts of the source that the target does not contain as often as the source.

    The target is read with the same finder as the source, and a fact counts
    where the finder finds exactly it: "12" is not in "$12.50" nor in
    "SKU-12-#XL", so an engine that changed what was around a number (or
    inside a code) cannot pass the check on the digits alone. Where the
    target's neighbours make the finder read it otherwise ("25 EUR 42" reads
    "EUR 42"), a fact also counts where it stands with nothing glued to it.
    Every fact needs a place of its own; when adjacent facts make the places
    ambiguous, a few orders of claiming them are tried and the best kept
    (each is a valid reading, so none can pass a fact that is not there)."""
    if not source_facts:
        return []
    read: dict[str, list[Fact]] = {}
    for fact in find_facts(target, order_pattern):
        read.setdefault(fact.text, []).append(fact)
    indexes = list(range(len(source_facts)))
    longest_first = sorted(indexes, key=lambda index: -len(source_facts[index].text))
    best: list[Fact] | None = None
    for order in (longest_first, indexes, indexes[::-1]):
        missing = _unclaimed(source_facts, target, read, order)
        if best is None or len(missing) < len(best):
            best = missing
        if not best:
            break
    return best or []
