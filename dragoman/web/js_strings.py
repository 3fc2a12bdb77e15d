"""The interface text the console's scripts show, and how it reaches them.

Each front-end folder keeps its scripts' strings beside them in a
`strings.json` ({"key": "English text"}): the shared kit's in
web/static/kit/, the console's in web/static/console/, a settings section's
in web/static/settings/<section>/, a feature page's in its package's static/
folder. The English texts are gettext message ids of the console's catalogue
(dragoman/web/locales, extracted by `make messages` through
`extract_strings_json`); a page embeds the strings its scripts use,
translated for the reader, in its bootstrap block, and the kit's `t(key)`
looks them up. `%(name)s` placeholders are filled by the script.
"""

from __future__ import annotations

import gettext
import json
from collections.abc import Iterable, Iterator
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

WEB_STATIC = Path(__file__).parent / "static"
STRINGS_FILE = "strings.json"
# What every page's scripts may use: the shared component kit's words (errors, "None yet.").
KIT_FOLDER = WEB_STATIC / "kit"


@lru_cache(maxsize=None)
def _read(path: Path) -> dict[str, str]:
    data = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in data.items()):
        raise ValueError(f"{path}: a strings file maps keys to English texts")
    return data


@lru_cache(maxsize=None)
def strings_of(*folders: Path) -> dict[str, str]:
    """The kit's strings and those of every strings.json in and under
    `folders`, by key. A key may be said once only: two folders giving one
    key two meanings would show one of them wrongly."""
    found: dict[str, str] = {}
    owner: dict[str, Path] = {}
    paths = {KIT_FOLDER / STRINGS_FILE, *(path for folder in folders for path in folder.rglob(STRINGS_FILE))}
    for path in sorted(paths):
        for key, text in _read(path).items():
            if key in found:
                raise ValueError(f"the string key {key!r} is in both {owner[key]} and {path}")
            found[key], owner[key] = text, path
    return found


def translated(translations: gettext.NullTranslations, strings: dict[str, str]) -> dict[str, str]:
    return {key: translations.gettext(text) for key, text in strings.items()}


# The console's pages (the conversations, the settings) embed all of
# web/static's strings; tickets/pages.py words SLA clocks with the same ones.
JS_STRINGS: dict[str, str] = strings_of(WEB_STATIC)


def extract_strings_json(
    fileobj: IO[bytes], keywords: Iterable[str], comment_tags: Iterable[str], options: dict[str, Any]
) -> Iterator[tuple[int, str | None, str, list[str]]]:
    """Babel's extractor for strings.json (babel.cfg): each English text, at its line."""
    text = fileobj.read().decode("utf-8")
    lines = text.splitlines()
    for key, message in json.loads(text).items():
        number = next((index + 1 for index, line in enumerate(lines) if line.lstrip().startswith(json.dumps(key) + ":")), 1)
        yield number, None, message, [f"key: {key}"]
