"""REST routes: the knowledge base (admins write, everyone in the account
reads), its import and export, and the bot's record (supervisors and admins)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal, supervisor_principal
from dragoman.core.clock import isoformat
from dragoman.core.edge import check_text, parse_json
from dragoman.core.errors import InvalidInput
from dragoman.core.http import app_context, get_db
from dragoman.core.validation import require_text
from dragoman.kb import portable, services
from dragoman.kb.models import BotExchange, KbArticle, KbCategory
from dragoman.kb.portable import ArticleData, CategoryData
from dragoman.kb.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlePatchIn,
    CategoryIn,
    CategoryOut,
    CategoryPatchIn,
    ExchangeOut,
    ImportOut,
    ResolveIn,
    TranslateIn,
    TranslateMissingIn,
    TranslateMissingOut,
    TranslationFailure,
    VersionIn,
    VersionOut,
)

router = APIRouter(prefix="/api/v1/accounts/{account_id}/kb", tags=["knowledge base"])

MAX_IMPORT_BYTES = 20 * 1024 * 1024


def category_out(row: KbCategory) -> CategoryOut:
    return CategoryOut(id=row.id, slug=row.slug, names=dict(row.names or {}), position=row.position)


def article_out(db: Session, article: KbArticle, versions: list[Any] | None = None) -> ArticleOut:
    if versions is None:
        versions = services.versions_of(db, [article.id]).get(article.id, [])
    return ArticleOut(
        id=article.id,
        slug=article.slug,
        category_id=article.category_id,
        position=article.position,
        always_human=article.always_human,
        versions=[VersionOut(**services.version_dict(v), updated_at=isoformat(v.updated_at) or "") for v in versions],
        updated_at=isoformat(article.updated_at) or "",
    )


def exchange_out(row: BotExchange) -> ExchangeOut:
    return ExchangeOut(
        id=row.id,
        conversation_id=row.conversation_id,
        message_id=row.message_id,
        language=row.language,
        question=row.question,
        article_id=row.article_id,
        score=row.score,
        outcome=row.outcome.value,
        reason=row.reason,
        helpful=row.helpful,
        resolved_article_id=row.resolved_article_id,
        created_at=isoformat(row.created_at) or "",
    )


def _category_data(slug: Any, names: Any, position: int) -> CategoryData:
    checked_names = {
        portable.check_language(code, "names"): require_text(name, f"names.{code}", max_length=portable.MAX_TITLE)
        for code, name in (names or {}).items()
    }
    if not checked_names:
        raise InvalidInput("names needs a name in at least one language", field="names")
    return CategoryData(portable.check_slug(slug, "slug"), checked_names, position)


def _versions(items: list[VersionIn]) -> tuple[portable.VersionData, ...]:
    versions = tuple(portable.parse_version(v.model_dump(), f"versions[{i}]") for i, v in enumerate(items))
    if len({v.language for v in versions}) != len(versions):
        raise InvalidInput("versions: one version per language", field="versions")
    return versions


# -- categories ---------------------------------------------------------------------


@router.get("/categories", response_model=list[CategoryOut])
def list_categories(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[CategoryOut]:
    return [category_out(c) for c in services.list_categories(db, principal.account_id)]


@router.post("/categories", response_model=CategoryOut, status_code=201)
def create_category(body: CategoryIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> CategoryOut:
    row = services.save_category(db, principal.account_id, _category_data(body.slug, body.names, body.position))
    db.commit()
    return category_out(row)


@router.patch("/categories/{category_id}", response_model=CategoryOut)
def patch_category(
    category_id: int, body: CategoryPatchIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> CategoryOut:
    row = services.get_category(db, principal.account_id, category_id)
    data = _category_data(
        body.slug if body.slug is not None else row.slug,
        body.names if body.names is not None else row.names,
        body.position if body.position is not None else row.position,
    )
    services.save_category(db, principal.account_id, data, row)
    db.commit()
    return category_out(row)


@router.delete("/categories/{category_id}", status_code=204)
def delete_category(category_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    services.delete_category(db, services.get_category(db, principal.account_id, category_id))
    db.commit()
    return Response(status_code=204)


# -- articles -----------------------------------------------------------------------


@router.get("/articles", response_model=list[ArticleOut], summary="Every article with all its versions (drafts too)")
def list_articles(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[ArticleOut]:
    articles = services.list_articles(db, principal.account_id)
    versions = services.versions_of(db, [a.id for a in articles])
    return [article_out(db, a, versions.get(a.id, [])) for a in articles]


@router.post("/articles", response_model=ArticleOut, status_code=201)
def create_article(body: ArticleIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> ArticleOut:
    article = services.create_article(
        db,
        principal.account_id,
        slug=body.slug,
        category_id=body.category_id,
        position=body.position,
        always_human=body.always_human,
        versions=_versions(body.versions),
    )
    db.commit()
    return article_out(db, article)


@router.get("/articles/{article_id}", response_model=ArticleOut)
def read_article(article_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> ArticleOut:
    return article_out(db, services.get_article(db, principal.account_id, article_id))


@router.patch("/articles/{article_id}", response_model=ArticleOut)
def patch_article(
    article_id: int, body: ArticlePatchIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> ArticleOut:
    article = services.get_article(db, principal.account_id, article_id)
    services.update_article(db, article, **body.model_dump(exclude_unset=True))
    db.commit()
    return article_out(db, article)


@router.delete("/articles/{article_id}", status_code=204)
def delete_article(article_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    services.delete_article(db, services.get_article(db, principal.account_id, article_id))
    db.commit()
    return Response(status_code=204)


@router.put("/articles/{article_id}/versions/{language}", response_model=ArticleOut, summary="Create or replace one language version")
def put_version(
    article_id: int, language: str, body: VersionIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> ArticleOut:
    article = services.get_article(db, principal.account_id, article_id)
    raw = body.model_dump()
    if raw.get("language") is not None and portable.check_language(raw["language"], "language") != portable.check_language(language, "language"):
        raise InvalidInput("language in the body differs from the one in the URL", field="language")
    raw["language"] = language
    services.put_version(db, article, portable.parse_version(raw))
    db.commit()
    return article_out(db, article)


@router.post(
    "/articles/{article_id}/versions/{language}/translate",
    response_model=ArticleOut,
    summary="Machine-translate a missing version (a draft marked machine_translated, for review)",
)
def translate_version(
    article_id: int,
    language: str,
    request: Request,
    body: TranslateIn | None = None,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
) -> ArticleOut:
    article = services.get_article(db, principal.account_id, article_id)
    options = body or TranslateIn()
    services.translate_version(
        db,
        app_context(request).services["language"],
        article,
        portable.check_language(language, "language"),
        source=portable.check_language(options.source, "source") if options.source else None,
        overwrite=options.overwrite,
    )
    db.commit()
    return article_out(db, article)


@router.delete("/articles/{article_id}/versions/{language}", status_code=204)
def delete_version(
    article_id: int, language: str, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> Response:
    article = services.get_article(db, principal.account_id, article_id)
    services.delete_version(db, article, portable.check_language(language, "language"))
    db.commit()
    return Response(status_code=204)


@router.post(
    "/translate-missing",
    response_model=TranslateMissingOut,
    summary="Machine-translate every article that lacks a language (drafts marked machine_translated, for review)",
)
def translate_missing(
    body: TranslateMissingIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> TranslateMissingOut:
    summary = services.translate_missing_versions(
        db,
        app_context(request).services["language"],
        principal.account_id,
        portable.check_language(body.language, "language"),
        source=portable.check_language(body.source, "source") if body.source else None,
        after_each_article=db.commit,
    )
    return TranslateMissingOut(
        translated=summary.translated, failed=[TranslationFailure(slug=slug, message=why) for slug, why in summary.failed]
    )


# -- import and export ----------------------------------------------------------------


@router.get("/export", summary="The whole knowledge base as JSON (the format import reads)")
def export_json(principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    data = services.export_knowledge_base(db, principal.account_id)
    return Response(
        json.dumps(data, ensure_ascii=False, indent=1),
        media_type="application/json",
        headers={"Content-Disposition": 'attachment; filename="knowledge-base.json"'},
    )


async def _body_text(request: Request) -> str:
    raw = await request.body()
    if len(raw) > MAX_IMPORT_BYTES:
        raise InvalidInput(f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MiB", field="file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput("the file is not UTF-8 text", field="file") from None
    return check_text(text, "file")


@router.post("/import", response_model=ImportOut, summary="Merge a knowledge-base JSON file (by slug; nothing is removed)")
async def import_json(request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> ImportOut:
    raw = parse_json(await _body_text(request), field="file")
    data = portable.parse_knowledge_base(raw)
    summary = services.import_knowledge_base(db, principal.account_id, data)
    db.commit()
    return ImportOut(**summary.as_dict())


@router.get("/export.csv", summary="Question/answer pairs as CSV: article, language, question, answer, title")
def export_csv(principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    return Response(
        services.export_question_pairs_csv(db, principal.account_id),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="knowledge-base-questions.csv"'},
    )


@router.post("/import.csv", response_model=ImportOut, summary="Add question/answer pairs from CSV (new articles start as drafts)")
async def import_csv(request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> ImportOut:
    summary = services.import_question_pairs_csv(db, principal.account_id, await _body_text(request))
    db.commit()
    return ImportOut(**summary.as_dict())


# -- the bot's record -------------------------------------------------------------------


@router.get("/bot/exchanges", response_model=list[ExchangeOut], summary="What the bot answered and what it handed over")
def list_exchanges(
    outcome: str | None = None,
    language: str | None = None,
    unresolved: bool = False,
    limit: int = 100,
    principal: Principal = Depends(supervisor_principal),
    db: Session = Depends(get_db),
) -> list[ExchangeOut]:
    rows = services.list_exchanges(db, principal.account_id, outcome=outcome, language=language, unresolved=unresolved, limit=limit)
    return [exchange_out(r) for r in rows]


@router.get("/bot/stats", summary="Per language: answered, handed over, helpful, containment rate")
def bot_stats(principal: Principal = Depends(supervisor_principal), db: Session = Depends(get_db)) -> dict[str, Any]:
    return services.bot_stats(db, principal.account_id)


@router.post("/bot/exchanges/{exchange_id}/resolve", response_model=ArticleOut, summary="Turn a question into an article or add it to one")
def resolve_exchange(
    exchange_id: int, body: ResolveIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> ArticleOut:
    exchange = services.get_exchange(db, principal.account_id, exchange_id)
    new_article = None
    if body.article is not None:
        new_article = ArticleData(
            slug=portable.check_slug(body.article.slug, "article.slug"),
            position=body.article.position,
            always_human=body.article.always_human,
            versions=_versions(body.article.versions),
        )
    # The new article's category was dropped before: it is checked (404 for
    # one of another account, as for a missing one) and kept.
    category_id = body.article.category_id if body.article is not None else None
    article = services.resolve_exchange(db, exchange, article_id=body.article_id, new_article=new_article, category_id=category_id)
    db.commit()
    return article_out(db, article)
