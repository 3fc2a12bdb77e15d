"""Gettext catalogues (Babel), loaded from .po files, and locale negotiation.

Catalogues are compiled in memory at start-up, so a checkout needs no build
step and a translator's edit to a .po file shows after a restart. Each UI
keeps its own domain: the console ("console") and the chat widget ("widget").
"""

from __future__ import annotations

import gettext
import io
from collections.abc import Iterable
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SOURCE_LOCALE = "en"  # the language the source strings are written in


def N_(message: str) -> str:
    """Marks a source string for `pybabel extract`; it is translated later,
    per request, in the reader's language."""
    return message


class Catalogs:
    """Every locale of one gettext domain found under `directory`."""

    def __init__(self, directory: Path, domain: str) -> None:
        self.domain = domain
        self._translations: dict[str, gettext.NullTranslations] = {SOURCE_LOCALE: gettext.NullTranslations()}
        for po_path in sorted(directory.glob(f"*/LC_MESSAGES/{domain}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as handle:
                catalog = read_po(handle, locale=locale, domain=domain)
            buffer = io.BytesIO()
            write_mo(buffer, catalog, use_fuzzy=False)
            buffer.seek(0)
            self._translations[locale] = Translations(fp=buffer, domain=domain)

    @property
    def locales(self) -> list[str]:
        return sorted(self._translations)

    def get(self, locale: str | None) -> gettext.NullTranslations:
        if locale and locale in self._translations:
            return self._translations[locale]
        return self._translations[SOURCE_LOCALE]


# Browser tags that mean a locale we keep under another name.
_ALIASES = {
    "zh": "zh_Hans",
    "zh-cn": "zh_Hans",
    "zh-sg": "zh_Hans",
    "zh-hans": "zh_Hans",
    "zh-hans-cn": "zh_Hans",
    "zh-tw": "zh_Hant",
    "zh-hk": "zh_Hant",
    "zh-mo": "zh_Hant",
    "zh-hant": "zh_Hant",
}


def parse_accept_language(header: str | None) -> list[str]:
    """Language tags from an Accept-Language header, best first."""
    if not header:
        return []
    weighted: list[tuple[float, int, str]] = []
    for index, part in enumerate(header.split(",")):
        piece = part.strip()
        if not piece:
            continue
        tag, _, params = piece.partition(";")
        quality = 1.0
        if params.strip().startswith("q="):
            try:
                quality = float(params.strip()[2:])
            except ValueError:
                quality = 0.0
        if tag.strip() and tag.strip() != "*" and quality > 0:
            weighted.append((-quality, index, tag.strip()))
    return [tag for _q, _i, tag in sorted(weighted)]


def match_locale(tag: str, available: Iterable[str]) -> str | None:
    """The available locale that serves a language tag such as 'zh-CN' or 'es-MX'."""
    options = {a.lower().replace("_", "-"): a for a in available}
    lowered = tag.lower().replace("_", "-")
    for candidate in (lowered, _ALIASES.get(lowered, "").lower().replace("_", "-")):
        if candidate and candidate in options:
            return options[candidate]
    primary = lowered.split("-")[0]
    alias = _ALIASES.get(primary)
    if alias and alias.lower().replace("_", "-") in options:
        return options[alias.lower().replace("_", "-")]
    return options.get(primary)


def negotiate_locale(accept_language: str | None, available: Iterable[str], default: str = SOURCE_LOCALE) -> str:
    choices = list(available)
    for tag in parse_accept_language(accept_language):
        found = match_locale(tag, choices)
        if found:
            return found
    return default
