"""Custom ticket fields an account defines (order number, product, refund
amount...): checking a value against its definition. Pure: no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from dragoman.core.errors import InvalidInput

FIELD_TYPES = ("text", "number", "select", "checkbox", "date")
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")
MAX_TEXT = 1000


@dataclass(frozen=True)
class FieldDefinition:
    key: str
    type: str
    options: tuple[str, ...] = ()
    required_to_solve: bool = False


def check_key(key: str, field: str = "key") -> str:
    if not _KEY.match(key or ""):
        raise InvalidInput("a field key is 1-50 lower-case letters, digits or _, starting with a letter (order_number)", field=field)
    return key


def check_value(definition: FieldDefinition, value: Any) -> Any:
    """The value as stored, or InvalidInput naming `custom_fields.<key>`.
    None (or "") clears the field."""
    field = f"custom_fields.{definition.key}"
    if value is None or value == "":
        return None
    if definition.type == "text":
        if not isinstance(value, str) or len(value) > MAX_TEXT:
            raise InvalidInput(f"{field} must be text of at most {MAX_TEXT} characters", field=field)
        return value.strip()
    if definition.type == "number":
        if isinstance(value, bool) or not isinstance(value, int | float):
            try:
                value = float(str(value).replace(",", "."))
            except ValueError:
                raise InvalidInput(f"{field} must be a number", field=field) from None
        return int(value) if float(value).is_integer() else float(value)
    if definition.type == "select":
        if value not in definition.options:
            raise InvalidInput(f"{field} must be one of {', '.join(definition.options)}", field=field)
        return value
    if definition.type == "checkbox":
        if not isinstance(value, bool):
            raise InvalidInput(f"{field} must be true or false", field=field)
        return value
    if definition.type == "date":
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise InvalidInput(f"{field} must be a date such as 2026-11-30", field=field) from None
    raise InvalidInput(f"{field} has an unknown type", field=field)


def check_fields(definitions: dict[str, FieldDefinition], values: dict[str, Any]) -> dict[str, Any]:
    """All of `values` checked; an unknown key is refused, naming it."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        definition = definitions.get(key)
        if definition is None:
            known = ", ".join(sorted(definitions)) or "none"
            raise InvalidInput(f"no ticket field {key!r} is defined (defined: {known})", field=f"custom_fields.{key}")
        out[key] = check_value(definition, value)
    return out


def label_for(labels: dict[str, str], language: str, key: str) -> str:
    """A field's label for a reader of `language` (a tag: "de", "zh-Hans"):
    theirs, else their base language's, else English, else any, else the key.
    The console's fieldLabel does the same. Pure."""
    wanted = language.lower()
    for code, text in labels.items():
        if code.lower() == wanted:
            return text
    for code, text in labels.items():
        if code.lower().split("-")[0] == wanted.split("-")[0]:
            return text
    return labels.get("en") or next(iter(labels.values()), key)


def missing_to_solve(definitions: dict[str, FieldDefinition], values: dict[str, Any]) -> list[str]:
    return [key for key, d in definitions.items() if d.required_to_solve and values.get(key) in (None, "")]
