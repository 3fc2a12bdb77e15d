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


# A sentence ends at . ! ? (followed by a space) or at a full-width 。！？
# (no space follows in Chinese and Japanese).
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|(?<=[。！？])")
# A body passage gathers sentences up to about this many characters: one or
# two sentences, a unit e5 embeds as one point without blurring topics. Dense
# scripts say as much in about a third of the characters.
PASSAGE_CHARS = 220
DENSE_PASSAGE_CHARS = 90
MAX_BODY_PASSAGES = 40  # a 50,000-character body costs the index no more than a long article


def body_passages(body: str) -> list[str]:
    """An article body as passages of whole sentences, in order, markup
    removed: what the bot searches besides the title, since an ordinary
    knowledge base says everything it knows there."""
    from dragoman.kb.markup import plain_text  # markup imports nh3; text stays light for the tests that need only terms

    text = plain_text(body or "")
    if not text:
        return []
    passages: list[str] = []
    current = ""
    for sentence in (s.strip() for s in _SENTENCE_END.split(text)):
        if not sentence:
            continue
        limit = DENSE_PASSAGE_CHARS if re.search(rf"[{_DENSE}]", sentence) else PASSAGE_CHARS
        if current and len(current) + len(sentence) + 1 > limit:
            passages.append(current)
            current = ""
        joiner = "" if not current or current.endswith(("。", "！", "？")) else " "
        current = current + joiner + sentence
        if len(passages) >= MAX_BODY_PASSAGES:
            break
    if current and len(passages) < MAX_BODY_PASSAGES:
        passages.append(current)
    return passages


def short_answer(summary: str, body: str, title: str) -> str:
    """What the bot replies with: the article's short answer, or where it
    has none (most bases: a title and a body), the body's first passage,
    which usually says the gist; the title only for an empty article."""
    if summary and summary.strip():
        return summary.strip()
    opening = body_passages(body)
    return opening[0] if opening else title.strip()
