"""LIKE patterns built from what a person typed: `%` and `_` in a search
term are the characters themselves, not wildcards that match everything."""

from __future__ import annotations

# The escape character every LIKE built here declares (`.like(p, escape=LIKE_ESCAPE)`).
LIKE_ESCAPE = "\\"


def escape_like(text: str) -> str:
    """`text` with LIKE's wildcards (and the escape character itself) escaped."""
    return text.replace(LIKE_ESCAPE, LIKE_ESCAPE * 2).replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_")


def contains_pattern(text: str) -> str:
    """A LIKE pattern matching values that contain `text` as it was typed."""
    return f"%{escape_like(text)}%"
