"""Checks shared by services. Each names the field it rejects."""

from __future__ import annotations

import re

from dragoman.core.edge import check_text
from dragoman.core.errors import InvalidInput

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# BCP 47 as people use it: "es", "zh-Hans", "pt-BR".
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


def require_text(value: str | None, field: str, *, max_length: int, allow_empty: bool = False) -> str:
    text = (value or "").strip()
    if not text and not allow_empty:
        raise InvalidInput(f"{field} must not be empty", field=field)
    if len(text) > max_length:
        raise InvalidInput(f"{field} is {len(text)} characters long; the limit is {max_length}", field=field)
    return check_text(text, field)


def require_email(value: str | None, field: str = "email") -> str:
    email = (value or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 320:
        raise InvalidInput(f"{field} is not a valid e-mail address", field=field)
    return email


def optional_email(value: str | None, field: str = "email") -> str | None:
    if value is None or not value.strip():
        return None
    return require_email(value, field)


def require_language(value: str | None, field: str = "language") -> str:
    code = (value or "").strip()
    if not _LANGUAGE.match(code):
        raise InvalidInput(f"{field} must be a language code such as 'es' or 'zh-Hans', got {value!r}", field=field)
    return code


def optional_language(value: str | None, field: str = "language") -> str | None:
    if value is None or not value.strip():
        return None
    return require_language(value, field)
