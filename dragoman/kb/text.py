"""Turning a question or an article into search terms, per language.

Words are lemmatised with simplemma (54 languages, data shipped with the
package) so that "pedidos" finds "pedido" and "returned" finds "return", then
lower-cased and stripped of accents, because customers type "donde esta mi
pedido" as often as "dónde está mi pedido". Chinese, Japanese, Korean and Thai
are written without spaces: overlapping character pairs stand in for words,
which needs no dictionary and matches "订单" inside "我的订单在哪里".
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import simplemma
from simplemma.strategies.dictionaries.dictionary_factory import SUPPORTED_LANGUAGES

LEMMATISED_LANGUAGES: frozenset[str] = frozenset(SUPPORTED_LANGUAGES)

# A run of letters written without spaces (Han, kana, Hangul, Thai), or a word.
_DENSE = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uf900-\ufaff"
_TOKEN = re.compile(rf"[{_DENSE}]+|[^\W_{_DENSE}]+", re.UNICODE)
_DENSE_RUN = re.compile(rf"^[{_DENSE}]+$")


def strip_accents(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(char for char in decomposed if unicodedata.category(char) != "Mn")


@lru_cache(maxsize=65536)
def _lemma(word: str, language: str) -> str:
    return simplemma.lemmatize(word, lang=language)


def terms(text: str, language: str | None) -> list[str]:
    """Search terms of `text`; `language` is an ISO 639-1 code or None."""
    lang = (language or "").split("-", 1)[0].lower()
    normalised = unicodedata.normalize("NFKC", text).lower()
    out: list[str] = []
    for token in _TOKEN.findall(normalised):
        if _DENSE_RUN.match(token):
            if len(token) == 1:
                out.append(token)
            else:
                out.extend(token[i : i + 2] for i in range(len(token) - 1))
            continue
        if lang in LEMMATISED_LANGUAGES and not token.isdigit():
            token = _lemma(token, lang).lower()
        out.append(strip_accents(token))
    return out
