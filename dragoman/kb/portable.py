"""The knowledge base as a file: the JSON that export writes and import
reads, checked here field by field so that a bad file is refused whole with
a message naming the place (`articles[3].versions[0].language`), before
anything is stored. The demo knowledge base and `dragoman bot eval` read the
same format.

    {"format": "dragoman-kb", "version": 1,
     "categories": [{"slug", "position", "names": {"en": "Orders", ...}}],
     "articles": [{"slug", "category", "position", "always_human",
                   "versions": [{"language", "status", "title", "summary",
                                 "body", "questions": [...]}]}]}
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dragoman.core.errors import InvalidInput
from dragoman.core.validation import require_language, require_text
from dragoman.kb.retrieval import Document

FORMAT = "dragoman-kb"
FORMAT_VERSION = 1
DEMO_KNOWLEDGE_BASE = Path(__file__).resolve().parent / "demo" / "knowledge_base.json"

STATUSES = ("draft", "published")
MAX_TITLE = 300
MAX_SUMMARY = 1_000
MAX_BODY = 50_000
MAX_QUESTION = 500
MAX_QUESTIONS = 50
_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


@dataclass(frozen=True)
class VersionData:
    language: str
    title: str
    summary: str = ""
    body: str = ""
    questions: tuple[str, ...] = ()
    status: str = "draft"
    machine_translated: bool = False


@dataclass(frozen=True)
class ArticleData:
    slug: str
    category: str | None = None
    position: int = 0
    always_human: bool = False
    versions: tuple[VersionData, ...] = ()


@dataclass(frozen=True)
class CategoryData:
    slug: str
    names: dict[str, str] = field(default_factory=dict)
    position: int = 0


@dataclass(frozen=True)
class KnowledgeBaseData:
    categories: tuple[CategoryData, ...]
    articles: tuple[ArticleData, ...]

    def documents(self, *, published_only: bool = True) -> list[Document]:
        return [
            Document(article.slug, version.language, version.title, version.questions, version.summary)
            for article in self.articles
            for version in article.versions
            if version.status == "published" or not published_only
        ]


def check_slug(value: Any, where: str) -> str:
    if not isinstance(value, str) or not _SLUG.match(value) or len(value) > 120:
        raise InvalidInput(f"{where} must be lower-case letters, digits and dashes, like 'where-is-my-order'", field=where)
    return value


def check_language(value: Any, where: str) -> str:
    code = require_language(value if isinstance(value, str) else None, where)
    # One code per language: 'zh-Hans' and 'zh' must not become two versions.
    return code.split("-", 1)[0].lower()


def check_questions(value: Any, where: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or len(value) > MAX_QUESTIONS:
        raise InvalidInput(f"{where} must be a list of at most {MAX_QUESTIONS} questions", field=where)
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str):
            raise InvalidInput(f"{where}[{i}] must be text", field=where)
        text = require_text(item, f"{where}[{i}]", max_length=MAX_QUESTION, allow_empty=True)
        if text:
            out.append(text)
    return tuple(dict.fromkeys(out))


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise InvalidInput(f"{where} must be an object", field=where)
    return value


def _int(value: Any, where: str, default: int = 0) -> int:
    if value is None:
        return default
    if not isinstance(value, int) or isinstance(value, bool):
        raise InvalidInput(f"{where} must be a whole number", field=where)
    return value


def _text(value: Any, where: str, max_length: int, *, allow_empty: bool = True) -> str:
    if value is not None and not isinstance(value, str):
        raise InvalidInput(f"{where} must be text", field=where)
    return require_text(value, where, max_length=max_length, allow_empty=allow_empty)


def _at(where: str, name: str) -> str:
    return f"{where}.{name}" if where else name


def parse_version(raw: Any, where: str = "", *, language: Any = None) -> VersionData:
    """`where` prefixes field names in errors ("articles[2].versions[0]");
    `language` comes from the URL when the body does not carry it."""
    item = _object(raw, where or "body")
    status = item.get("status", "draft")
    if status not in STATUSES:
        raise InvalidInput(f"{_at(where, 'status')} must be draft or published", field=_at(where, "status"))
    return VersionData(
        language=check_language(item.get("language", language), _at(where, "language")),
        title=_text(item.get("title"), _at(where, "title"), MAX_TITLE, allow_empty=False),
        summary=_text(item.get("summary"), _at(where, "summary"), MAX_SUMMARY),
        body=_text(item.get("body"), _at(where, "body"), MAX_BODY),
        questions=check_questions(item.get("questions"), _at(where, "questions")),
        status=status,
        machine_translated=bool(item.get("machine_translated", False)),
    )


def parse_knowledge_base(raw: Any) -> KnowledgeBaseData:
    data = _object(raw, "body")
    if data.get("format", FORMAT) != FORMAT:
        raise InvalidInput(f"format must be {FORMAT!r}", field="format")
    if _int(data.get("version"), "version", FORMAT_VERSION) != FORMAT_VERSION:
        raise InvalidInput(f"version must be {FORMAT_VERSION}", field="version")
    categories_raw = data.get("categories") or []
    articles_raw = data.get("articles")
    if not isinstance(categories_raw, list):
        raise InvalidInput("categories must be a list", field="categories")
    if not isinstance(articles_raw, list):
        raise InvalidInput("articles must be a list", field="articles")
    categories = []
    for i, raw_category in enumerate(categories_raw):
        where = f"categories[{i}]"
        item = _object(raw_category, where)
        names_raw = _object(item.get("names") or {}, f"{where}.names")
        names = {
            check_language(code, f"{where}.names"): _text(name, f"{where}.names.{code}", MAX_TITLE, allow_empty=False)
            for code, name in names_raw.items()
        }
        if not names:
            raise InvalidInput(f"{where}.names needs a name in at least one language", field=f"{where}.names")
        categories.append(CategoryData(check_slug(item.get("slug"), f"{where}.slug"), names, _int(item.get("position"), f"{where}.position")))
    known_categories = {c.slug for c in categories}
    if len(known_categories) != len(categories):
        raise InvalidInput("categories: two categories share a slug", field="categories")
    articles = []
    for i, raw_article in enumerate(articles_raw):
        where = f"articles[{i}]"
        item = _object(raw_article, where)
        category = item.get("category")
        if category is not None and category not in known_categories:
            raise InvalidInput(f"{where}.category {category!r} is not among the categories", field=f"{where}.category")
        versions_raw = item.get("versions") or []
        if not isinstance(versions_raw, list):
            raise InvalidInput(f"{where}.versions must be a list", field=f"{where}.versions")
        versions = tuple(parse_version(v, f"{where}.versions[{j}]") for j, v in enumerate(versions_raw))
        if len({v.language for v in versions}) != len(versions):
            raise InvalidInput(f"{where}.versions: one version per language", field=f"{where}.versions")
        articles.append(
            ArticleData(
                slug=check_slug(item.get("slug"), f"{where}.slug"),
                category=category,
                position=_int(item.get("position"), f"{where}.position"),
                always_human=bool(item.get("always_human", False)),
                versions=versions,
            )
        )
    if len({a.slug for a in articles}) != len(articles):
        raise InvalidInput("articles: two articles share a slug", field="articles")
    return KnowledgeBaseData(tuple(categories), tuple(articles))


def load_knowledge_base_file(path: Path) -> KnowledgeBaseData:
    with path.open(encoding="utf-8") as handle:
        return parse_knowledge_base(json.load(handle))


@functools.cache
def demo_knowledge_base() -> KnowledgeBaseData:
    """Parsed once per process: the file ships with the package and never changes."""
    return load_knowledge_base_file(DEMO_KNOWLEDGE_BASE)
