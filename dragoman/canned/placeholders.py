"""Placeholders in saved replies: `{{contact.name}}`, `{{ticket.id}}`,
`{{agent.name}}`..., each with an optional fallback for when the value is
unknown: `{{contact.name|there}}` reads "Hello there" for a customer who
never gave a name. Pure: no I/O.

Only the names in PLACEHOLDERS exist; a reply naming another is refused
when it is saved (a typo found by the admin, not by a customer).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

PLACEHOLDERS: tuple[str, ...] = (
    "contact.name",
    "contact.first_name",
    "contact.email",
    "agent.name",
    "agent.first_name",
    "ticket.id",
    "ticket.subject",
    "conversation.id",
    "account.name",
)

_PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+(?:\.[a-z_]+)*)\s*(?:\|([^{}]*))?\}\}")


def unknown_placeholders(body: str) -> list[str]:
    """Names used in `body` that no reply can fill, in order of appearance."""
    seen: list[str] = []
    for found in _PLACEHOLDER.finditer(body):
        name = found.group(1)
        if name not in PLACEHOLDERS and name not in seen:
            seen.append(name)
    return seen


def unclosed_placeholder(body: str) -> bool:
    """A "{{" left open (or a "}}" with no start) once the real placeholders are gone."""
    rest = _PLACEHOLDER.sub("", body)
    return "{{" in rest or "}}" in rest


_PUNCTUATION = ",.!?;:，。！？、"


def fill_placeholders(body: str, values: Mapping[str, str | int | None]) -> str:
    """`body` with each placeholder replaced by its value, or its fallback
    when the value is missing or empty (or nothing, without a fallback).
    A placeholder that comes out empty takes the spaces before it along when
    punctuation follows: "Hello {{contact.name}}," reads "Hello," not "Hello ,"."""
    out: list[str] = []
    position = 0
    for found in _PLACEHOLDER.finditer(body):
        out.append(body[position : found.start()])
        position = found.end()
        value = values.get(found.group(1))
        text = str(value) if value is not None and value != "" else (found.group(2) or "").strip()
        if not text and body[position : position + 1] in tuple(_PUNCTUATION):
            out[-1] = out[-1].rstrip(" \t")
        out.append(text)
    out.append(body[position:])
    return "".join(out)


def pick_language(available: Sequence[str], wanted: str | None, fallbacks: Sequence[str]) -> tuple[str | None, bool]:
    """The version to use for a customer who reads `wanted`: that language,
    else the same base language ("pt" for "pt-BR", or "pt-BR" for "pt"),
    else the first of `fallbacks` there is (the agent's own language, then
    the account's), else the first version. Returns (language, exact):
    exact is False when what is inserted should be translated for the customer."""
    if not available:
        return None, False
    if wanted:
        if wanted in available:
            return wanted, True
        base = wanted.split("-")[0].lower()
        for language in available:
            if language.split("-")[0].lower() == base:
                return language, True
    exact = wanted is None  # nobody knows the customer's language: nothing to translate into
    for language in fallbacks:
        if language in available:
            return language, exact
    return available[0], exact
