"""Knowledge base: categories, articles and their language versions; import
and export; what the bot answered and could not, and turning an unanswered
question into an article.

Callers commit. Every check names the field it rejects.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dragoman.core.clock import utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.kb import markup, portable
from dragoman.kb.models import (
    BotExchange,
    BotOutcome,
    BotSession,
    KbArticle,
    KbArticleVersion,
    KbCategory,
    VersionStatus,
)
from dragoman.kb.portable import ArticleData, CategoryData, KnowledgeBaseData, VersionData
from dragoman.kb.retrieval import Document

# -- categories -------------------------------------------------------------------


def list_categories(db: Session, account_id: int) -> list[KbCategory]:
    return list(
        db.scalars(select(KbCategory).where(KbCategory.account_id == account_id).order_by(KbCategory.position, KbCategory.id))
    )


def category_or_none(db: Session, account_id: int, category_id: int | None) -> KbCategory | None:
    row = db.get(KbCategory, category_id) if category_id is not None else None
    return row if row is not None and row.account_id == account_id else None


def get_category(db: Session, account_id: int, category_id: int) -> KbCategory:
    row = category_or_none(db, account_id, category_id)
    if row is None:
        raise NotFound(f"category {category_id} not found", field="category_id")
    return row


def _category_by_slug(db: Session, account_id: int, slug: str) -> KbCategory | None:
    return db.scalar(select(KbCategory).where(KbCategory.account_id == account_id, KbCategory.slug == slug))


def save_category(db: Session, account_id: int, data: CategoryData, row: KbCategory | None = None) -> KbCategory:
    """Create (row None) or replace a category's slug, names and position."""
    clash = _category_by_slug(db, account_id, data.slug)
    if clash is not None and clash is not row:
        raise Conflict(f"a category with slug {data.slug!r} exists", field="slug")
    if row is None:
        row = KbCategory(account_id=account_id)
        db.add(row)
    row.slug, row.names, row.position = data.slug, dict(data.names), data.position
    db.flush()
    return row


def delete_category(db: Session, category: KbCategory) -> None:
    # Its articles stay, uncategorised (the foreign key sets NULL).
    db.delete(category)
    db.flush()


# -- articles ---------------------------------------------------------------------


def list_articles(db: Session, account_id: int) -> list[KbArticle]:
    return list(
        db.scalars(select(KbArticle).where(KbArticle.account_id == account_id).order_by(KbArticle.position, KbArticle.id))
    )


def article_or_none(db: Session, account_id: int, article_id: int) -> KbArticle | None:
    row = db.get(KbArticle, article_id)
    return row if row is not None and row.account_id == account_id else None


def get_article(db: Session, account_id: int, article_id: int) -> KbArticle:
    row = article_or_none(db, account_id, article_id)
    if row is None:
        raise NotFound(f"article {article_id} not found", field="article_id")
    return row


def article_by_slug(db: Session, account_id: int, slug: str) -> KbArticle | None:
    return db.scalar(select(KbArticle).where(KbArticle.account_id == account_id, KbArticle.slug == slug))


def versions_of(db: Session, article_ids: list[int]) -> dict[int, list[KbArticleVersion]]:
    """Every version of these articles, in one query."""
    out: dict[int, list[KbArticleVersion]] = defaultdict(list)
    if article_ids:
        rows = db.scalars(
            select(KbArticleVersion).where(KbArticleVersion.article_id.in_(article_ids)).order_by(KbArticleVersion.language)
        )
        for row in rows:
            out[row.article_id].append(row)
    return out


# Fewer ways of asking than this in a language, and customers' own words
# often score under the threshold there (docs/benchmarks.md, FAQ bot, "small
# bases": with 2 ways of asking per article one question in two fell under it;
# with 5 none of those probed did).
MIN_WAYS_OF_ASKING = 5


def thinly_asked(versions: Mapping[int, list[KbArticleVersion]]) -> dict[str, list[KbArticleVersion]]:
    """Per language, the published versions with fewer than
    MIN_WAYS_OF_ASKING ways of asking (example questions). Pure."""
    out: dict[str, list[KbArticleVersion]] = defaultdict(list)
    for article_versions in versions.values():
        for version in article_versions:
            if version.status is VersionStatus.published and len(version.questions or []) < MIN_WAYS_OF_ASKING:
                out[version.language].append(version)
    return dict(sorted(out.items()))


def _resolve_category(db: Session, account_id: int, category_id: int | None) -> int | None:
    if category_id is None:
        return None
    return get_category(db, account_id, category_id).id


def create_article(
    db: Session,
    account_id: int,
    *,
    slug: str,
    category_id: int | None = None,
    position: int = 0,
    always_human: bool = False,
    versions: tuple[VersionData, ...] = (),
) -> KbArticle:
    portable.check_slug(slug, "slug")
    if article_by_slug(db, account_id, slug) is not None:
        raise Conflict(f"an article with slug {slug!r} exists", field="slug")
    article = KbArticle(
        account_id=account_id,
        slug=slug,
        category_id=_resolve_category(db, account_id, category_id),
        position=position,
        always_human=always_human,
    )
    db.add(article)
    db.flush()
    for version in versions:
        put_version(db, article, version)
    return article


_UNSET: Any = object()


def update_article(
    db: Session,
    article: KbArticle,
    *,
    slug: Any = _UNSET,
    category_id: Any = _UNSET,
    position: Any = _UNSET,
    always_human: Any = _UNSET,
) -> KbArticle:
    if slug is not _UNSET:
        portable.check_slug(slug, "slug")
        clash = article_by_slug(db, article.account_id, slug)
        if clash is not None and clash.id != article.id:
            raise Conflict(f"an article with slug {slug!r} exists", field="slug")
        article.slug = slug
    if category_id is not _UNSET:
        article.category_id = _resolve_category(db, article.account_id, category_id)
    if position is not _UNSET:
        article.position = position
    if always_human is not _UNSET:
        article.always_human = bool(always_human)
    article.updated_at = utcnow()
    db.flush()
    return article


def delete_article(db: Session, article: KbArticle) -> None:
    db.execute(delete(KbArticleVersion).where(KbArticleVersion.article_id == article.id))
    db.delete(article)
    db.flush()


def put_version(db: Session, article: KbArticle, data: VersionData) -> KbArticleVersion:
    """Create or replace the article's version in `data.language`."""
    row = db.scalar(
        select(KbArticleVersion).where(KbArticleVersion.article_id == article.id, KbArticleVersion.language == data.language)
    )
    if row is None:
        row = KbArticleVersion(article_id=article.id, account_id=article.account_id, language=data.language)
        db.add(row)
    row.title = data.title
    row.summary = data.summary
    row.body = data.body
    row.questions = list(data.questions)
    row.status = VersionStatus(data.status)
    row.machine_translated = data.machine_translated
    row.updated_at = utcnow()
    article.updated_at = row.updated_at  # the index notices a change by this
    db.flush()
    return row


def delete_version(db: Session, article: KbArticle, language: str) -> None:
    row = db.scalar(
        select(KbArticleVersion).where(KbArticleVersion.article_id == article.id, KbArticleVersion.language == language)
    )
    if row is None:
        raise NotFound(f"article {article.id} has no {language!r} version", field="language")
    db.delete(row)
    article.updated_at = utcnow()
    db.flush()


# -- machine translation of a missing version ------------------------------------------


def translate_version(
    db: Session, runtime: Any, article: KbArticle, target: str, *, source: str | None = None, overwrite: bool = False
) -> KbArticleVersion:
    """Fill the article's `target` version by machine translation of another
    version (`source`, else English, else the oldest), through the account's
    engines, glossary and memory. The result is a draft marked
    machine-translated, for an admin to read and publish. A version a person
    wrote is never replaced unless `overwrite`."""
    from dragoman.language import services as language  # kb → language, never the reverse

    versions = {v.language: v for v in versions_of(db, [article.id]).get(article.id, [])}
    existing = versions.get(target)
    if existing is not None and not existing.machine_translated and not overwrite:
        raise Conflict(f"the {target!r} version was written by a person; send overwrite to replace it", field="language")
    candidates = [source] if source else ["en", *sorted(versions)]
    original = next((versions[code] for code in candidates if code in versions and code != target), None)
    if original is None:
        raise InvalidInput(
            f"no version in {source!r} to translate from" if source else "the article has no other version to translate from",
            field="source" if source else "language",
        )

    # Memory entries are stored with the version, after every engine call:
    # a write before then would hold SQLite's write lock, which the chat's
    # writer waits for, for as long as the engines work.
    new_memory: list[Any] = []

    def translated(text: str) -> str:
        if not text.strip():
            return text
        result = language.translate_for_account(
            db, runtime, article.account_id, text, original.language, target, pending_memory=new_memory
        )
        if result.status != "translated" or result.text is None:
            raise InvalidInput(
                f"cannot translate {original.language} to {target}: {result.reason or 'no engine for this pair'}", field="language"
            )
        # Engines may pad their output (Apertium leaves a leading space).
        return result.text.strip()

    data = VersionData(
        language=target,
        title=translated(original.title)[: portable.MAX_TITLE],
        summary=translated(original.summary)[: portable.MAX_SUMMARY],
        body=markup.translate_markup(original.body, translated),
        questions=tuple(translated(q)[: portable.MAX_QUESTION] for q in original.questions or []),
        status="draft",
        machine_translated=True,
    )
    language.store_memory(db, new_memory)
    return put_version(db, article, data)


@dataclass(frozen=True)
class TranslationSummary:
    translated: list[str]  # slugs of the articles given a machine-translated draft
    failed: list[tuple[str, str]]  # (slug, why) where no engine could


def translate_missing_versions(
    db: Session,
    runtime: Any,
    account_id: int,
    target: str,
    *,
    source: str | None = None,
    after_each_article: Callable[[], None] = lambda: None,
) -> TranslationSummary:
    """A machine-translated draft in `target` for every article with no
    version in it (a draft or a person's version is left alone), for an admin
    to read and publish: what the FAQ bot page offers for a language customers
    write in that the base lacks. Each article is translated from `source`
    where it has that version, else from the version with a direct pair to
    `target` (English first), a pivot through a third language only where
    none has: Apertium reaches Italian from Spanish, from English only
    through Spanish. An article no engine can translate is listed with the
    reason; the others are still done. `after_each_article` runs once each
    is written (the route commits there, so that no write waits for the
    whole base to be translated)."""
    from dragoman.language import services as language  # kb → language, never the reverse

    articles = list_articles(db, account_id)
    versions = versions_of(db, [a.id for a in articles])
    translated: list[str] = []
    failed: list[tuple[str, str]] = []
    for article in articles:
        have = {v.language: v for v in versions.get(article.id, [])}
        if target in have or not have:
            continue
        chosen = source if source in have else None
        if chosen is None:
            # The titles tell which version translates directly; the whole
            # version then goes through translate_version from it.
            ordered = sorted(have.values(), key=lambda v: (v.language != "en", v.language))
            probe = language.translate_preferring_direct(db, runtime, account_id, ((v.title, v.language, target) for v in ordered))
            if probe is None:
                failed.append((article.slug, f"no engine translates into {target} from {', '.join(sorted(have))}"))
                continue
            chosen = probe[1]
        try:
            translate_version(db, runtime, article, target, source=chosen)
        except InvalidInput as exc:
            failed.append((article.slug, exc.message))
        else:
            translated.append(article.slug)
            after_each_article()
    return TranslationSummary(translated, failed)


def version_counts(db: Session, account_id: int) -> dict[str, dict[str, int]]:
    """Per language: how many articles have a published version in it and
    how many only a draft (machine-translated drafts waiting for review among them)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"published": 0, "draft": 0})
    for language, status, count in db.execute(
        select(KbArticleVersion.language, KbArticleVersion.status, func.count())
        .where(KbArticleVersion.account_id == account_id)
        .group_by(KbArticleVersion.language, KbArticleVersion.status)
    ):
        counts[language]["published" if status is VersionStatus.published else "draft"] += count
    return dict(counts)


# -- what the bot and the help center read ------------------------------------------


def published_documents(db: Session, account_id: int) -> list[Document]:
    rows = db.scalars(
        select(KbArticleVersion)
        .join(KbArticle, KbArticle.id == KbArticleVersion.article_id)
        .where(KbArticleVersion.account_id == account_id, KbArticleVersion.status == VersionStatus.published)
        .order_by(KbArticle.position, KbArticle.id, KbArticleVersion.language)
    )
    return [
        Document(
            version.article_id, version.language, version.title, tuple(version.questions or ()), version.summary, version.body
        )
        for version in rows
    ]


def knowledge_base_fingerprint(db: Session, account_id: int) -> tuple[int, datetime | None]:
    """Changes whenever a version is added, changed or removed (articles'
    `updated_at` moves with their versions): one small query tells the bot
    whether its index is stale, in this process or after another one edited."""
    count, newest = db.execute(
        select(func.count(KbArticleVersion.id), func.max(KbArticle.updated_at))
        .select_from(KbArticle)
        .outerjoin(KbArticleVersion, KbArticleVersion.article_id == KbArticle.id)
        .where(KbArticle.account_id == account_id)
    ).one()
    return int(count or 0), newest


def accounts_with_articles(db: Session) -> list[int]:
    return list(
        db.scalars(select(KbArticleVersion.account_id).where(KbArticleVersion.status == VersionStatus.published).distinct())
    )


def published_languages(db: Session, account_id: int) -> list[str]:
    return sorted(
        db.scalars(
            select(KbArticleVersion.language)
            .where(KbArticleVersion.account_id == account_id, KbArticleVersion.status == VersionStatus.published)
            .distinct()
        )
    )


def published_version(db: Session, article_id: int, language: str) -> KbArticleVersion | None:
    return db.scalar(
        select(KbArticleVersion).where(
            KbArticleVersion.article_id == article_id,
            KbArticleVersion.language == language,
            KbArticleVersion.status == VersionStatus.published,
        )
    )


def published_versions(db: Session, article_id: int) -> list[KbArticleVersion]:
    return list(
        db.scalars(
            select(KbArticleVersion)
            .where(KbArticleVersion.article_id == article_id, KbArticleVersion.status == VersionStatus.published)
            .order_by(KbArticleVersion.id)
        )
    )


def best_version(db: Session, article_id: int, wanted: str, fallbacks: tuple[str, ...] = ("en",)) -> KbArticleVersion | None:
    """The published version in the wanted language, else in a fallback, else any."""
    for language in (wanted, *fallbacks):
        version = published_version(db, article_id, language)
        if version is not None:
            return version
    versions = published_versions(db, article_id)
    return versions[0] if versions else None


# -- import and export ------------------------------------------------------------


@dataclass(frozen=True)
class ImportSummary:
    categories: int
    articles_created: int
    articles_updated: int
    versions: int

    def as_dict(self) -> dict[str, int]:
        return {
            "categories": self.categories,
            "articles_created": self.articles_created,
            "articles_updated": self.articles_updated,
            "versions": self.versions,
        }


def import_knowledge_base(db: Session, account_id: int, data: KnowledgeBaseData) -> ImportSummary:
    """Merge by slug: categories and articles named in the file are created or
    replaced, their versions created or replaced by language; nothing the
    file does not name is removed. Idempotent: importing twice changes nothing
    the second time."""
    category_ids: dict[str, int] = {}
    for category in data.categories:
        row = _category_by_slug(db, account_id, category.slug)
        category_ids[category.slug] = save_category(db, account_id, category, row).id
    created = updated = versions = 0
    for item in data.articles:
        category_id = None
        if item.category is not None:
            category_id = category_ids.get(item.category)
            if category_id is None:
                existing = _category_by_slug(db, account_id, item.category)
                category_id = existing.id if existing else None
        article = article_by_slug(db, account_id, item.slug)
        if article is None:
            article = create_article(
                db, account_id, slug=item.slug, category_id=category_id, position=item.position, always_human=item.always_human
            )
            created += 1
        else:
            update_article(db, article, category_id=category_id, position=item.position, always_human=item.always_human)
            updated += 1
        for version in item.versions:
            put_version(db, article, version)
            versions += 1
    return ImportSummary(len(data.categories), created, updated, versions)


def export_knowledge_base(db: Session, account_id: int) -> dict[str, Any]:
    categories = list_categories(db, account_id)
    slugs = {c.id: c.slug for c in categories}
    articles = list_articles(db, account_id)
    versions = versions_of(db, [a.id for a in articles])
    return {
        "format": portable.FORMAT,
        "version": portable.FORMAT_VERSION,
        "categories": [{"slug": c.slug, "position": c.position, "names": dict(c.names or {})} for c in categories],
        "articles": [
            {
                "slug": a.slug,
                "category": slugs.get(a.category_id) if a.category_id else None,
                "position": a.position,
                "always_human": a.always_human,
                "versions": [version_dict(v) for v in versions.get(a.id, [])],
            }
            for a in articles
        ],
    }


def version_dict(version: KbArticleVersion) -> dict[str, Any]:
    return {
        "language": version.language,
        "status": version.status.value,
        "title": version.title,
        "summary": version.summary,
        "body": version.body,
        "questions": list(version.questions or []),
        "machine_translated": version.machine_translated,
    }


CSV_COLUMNS = ("article", "language", "question", "answer", "title")


def export_question_pairs_csv(db: Session, account_id: int) -> str:
    """One row per example question: article slug, language, the question,
    the short answer, the title. Spreadsheets open it as it is."""
    articles = list_articles(db, account_id)
    versions = versions_of(db, [a.id for a in articles])
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    for article in articles:
        for version in versions.get(article.id, []):
            for question in version.questions or []:
                writer.writerow([article.slug, version.language, question, version.summary, version.title])
    return buffer.getvalue()


def import_question_pairs_csv(db: Session, account_id: int, text: str) -> ImportSummary:
    """Rows of article, language, question, answer (and optionally title).
    A row adds its question to that article's version in that language; a
    missing article or version is created as a draft, titled by the title
    column or else the first question, for an admin to review and publish.
    The whole file is checked before anything is stored."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = {"article", "language", "question", "answer"} - set(reader.fieldnames or [])
    if missing:
        raise InvalidInput(f"the CSV header lacks {', '.join(sorted(missing))}", field="file")
    grouped: dict[tuple[str, str], dict[str, Any]] = {}
    for number, row in enumerate(reader, start=2):
        where = f"line {number}"
        slug = portable.check_slug((row.get("article") or "").strip(), f"{where}: article")
        language = portable.check_language((row.get("language") or "").strip(), f"{where}: language")
        question = (row.get("question") or "").strip()
        if not question or len(question) > portable.MAX_QUESTION:
            raise InvalidInput(f"{where}: question must be 1 to {portable.MAX_QUESTION} characters", field="question")
        answer = (row.get("answer") or "").strip()
        if len(answer) > portable.MAX_SUMMARY:
            raise InvalidInput(f"{where}: answer is longer than {portable.MAX_SUMMARY} characters", field="answer")
        entry = grouped.setdefault((slug, language), {"questions": [], "answer": "", "title": ""})
        entry["questions"].append(question)
        entry["answer"] = entry["answer"] or answer
        entry["title"] = entry["title"] or (row.get("title") or "").strip()[: portable.MAX_TITLE]
    created = versions = 0
    slugs_seen: set[str] = set()
    for (slug, language), entry in grouped.items():
        article = article_by_slug(db, account_id, slug)
        if article is None:
            article = create_article(db, account_id, slug=slug)
            created += 1
        slugs_seen.add(slug)
        existing = db.scalar(
            select(KbArticleVersion).where(KbArticleVersion.article_id == article.id, KbArticleVersion.language == language)
        )
        if existing is None:
            put_version(
                db,
                article,
                VersionData(
                    language=language,
                    title=entry["title"] or entry["questions"][0][: portable.MAX_TITLE],
                    summary=entry["answer"],
                    questions=tuple(dict.fromkeys(entry["questions"])),
                ),
            )
        else:
            existing.questions = list(dict.fromkeys([*(existing.questions or []), *entry["questions"]]))[: portable.MAX_QUESTIONS]
            existing.summary = existing.summary or entry["answer"]
            existing.updated_at = article.updated_at = utcnow()
            db.flush()
        versions += 1
    return ImportSummary(0, created, len(slugs_seen) - created, versions)


# -- the bot's record ---------------------------------------------------------------


def list_exchanges(
    db: Session, account_id: int, *, outcome: str | None = None, language: str | None = None, unresolved: bool = False, limit: int = 100
) -> list[BotExchange]:
    statement = select(BotExchange).where(BotExchange.account_id == account_id)
    if outcome is not None:
        try:
            statement = statement.where(BotExchange.outcome == BotOutcome(outcome))
        except ValueError:
            raise InvalidInput("outcome must be answered or handoff", field="outcome") from None
    if language:
        statement = statement.where(BotExchange.language == language)
    if unresolved:
        statement = statement.where(BotExchange.resolved_article_id.is_(None))
    return list(db.scalars(statement.order_by(BotExchange.id.desc()).limit(max(1, min(limit, 500)))))


# Hand-offs that mean "the bot could not answer", as opposed to a customer who
# asked for a person or a topic kept for people on purpose.
UNANSWERED_REASONS = ("low_score", "unhelpful", "no_knowledge_base")


def bot_stats(db: Session, account_id: int) -> dict[str, Any]:
    """Per language: questions answered and handed over, answers marked
    helpful or not, conversations the bot handled and how many it contained
    (ended without a person: resolved by the customer's "yes", or left open
    with no hand-off)."""
    per_language: dict[str, dict[str, Any]] = defaultdict(
        lambda: {"answered": 0, "handed_off": 0, "unanswered": 0, "helpful": 0, "not_helpful": 0, "conversations": 0, "contained": 0}
    )
    for language, outcome, reason, helpful, count in db.execute(
        select(BotExchange.language, BotExchange.outcome, BotExchange.reason, BotExchange.helpful, func.count())
        .where(BotExchange.account_id == account_id)
        .group_by(BotExchange.language, BotExchange.outcome, BotExchange.reason, BotExchange.helpful)
    ):
        entry = per_language[language or "unknown"]
        if outcome is BotOutcome.answered:
            entry["answered"] += count
        else:
            entry["handed_off"] += count
            if reason in UNANSWERED_REASONS:
                entry["unanswered"] += count
        if helpful is True:
            entry["helpful"] += count
        elif helpful is False:
            entry["not_helpful"] += count
    # A conversation's language: that of its first exchange.
    first = (
        select(BotExchange.conversation_id, func.min(BotExchange.id).label("first_id"))
        .where(BotExchange.account_id == account_id)
        .group_by(BotExchange.conversation_id)
        .subquery()
    )
    rows = db.execute(
        select(BotExchange.language, BotSession.ended)
        .join(first, first.c.first_id == BotExchange.id)
        .join(BotSession, BotSession.conversation_id == BotExchange.conversation_id)
    )
    for language, ended in rows:
        entry = per_language[language or "unknown"]
        entry["conversations"] += 1
        entry["contained"] += ended is None or ended == "resolved"
    total = {key: sum(e[key] for e in per_language.values()) for key in ("answered", "handed_off", "unanswered", "helpful", "not_helpful", "conversations", "contained")}
    for entry in (*per_language.values(), total):
        entry["containment_rate"] = round(entry["contained"] / entry["conversations"], 4) if entry["conversations"] else None
    return {"languages": dict(sorted(per_language.items())), "total": total}


def get_exchange(db: Session, account_id: int, exchange_id: int) -> BotExchange:
    row = db.get(BotExchange, exchange_id)
    if row is None or row.account_id != account_id:
        raise NotFound(f"exchange {exchange_id} not found", field="exchange_id")
    return row


def resolve_exchange(
    db: Session,
    exchange: BotExchange,
    *,
    article_id: int | None = None,
    new_article: ArticleData | None = None,
    category_id: int | None = None,
) -> KbArticle:
    """Teach the bot an unanswered question: add it to an existing article's
    example questions (in the question's language), or create a new article
    (a draft unless its versions say published, in `category_id` when given)
    that starts with it."""
    if (article_id is None) == (new_article is None):
        raise InvalidInput("give either article_id or article", field="article_id")
    language = exchange.language or "en"
    if new_article is not None:
        article = create_article(
            db,
            exchange.account_id,
            slug=new_article.slug,
            category_id=category_id,
            position=new_article.position,
            always_human=new_article.always_human,
            versions=new_article.versions,
        )
    else:
        assert article_id is not None
        article = get_article(db, exchange.account_id, article_id)
    version = db.scalar(
        select(KbArticleVersion).where(KbArticleVersion.article_id == article.id, KbArticleVersion.language == language)
    )
    question = exchange.question[: portable.MAX_QUESTION]
    if version is None:
        put_version(db, article, VersionData(language=language, title=question[: portable.MAX_TITLE], questions=(question,)))
    elif question not in (version.questions or []):
        version.questions = [*(version.questions or []), question][-portable.MAX_QUESTIONS :]
        version.updated_at = article.updated_at = utcnow()
    exchange.resolved_article_id = article.id
    db.flush()
    return article
