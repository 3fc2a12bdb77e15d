"""The public help center: `/hc/{account_id}/{locale}/...`, server-rendered,
one self-contained page per request (its CSS inline, no script, no external
asset), readable on a phone, right-to-left for Arabic.

- `/hc/{account_id}` sends the browser to its best language;
- `/hc/{account_id}/{locale}`: categories with their articles, and search;
- `/hc/{account_id}/{locale}/search?q=`: the articles the bot would pick;
- `/hc/{account_id}/{locale}/articles/{id}-{slug}`: one article, with links to
  its other language versions.

Only published versions appear. Bodies go through `kb.markup`; nothing an
article holds is rendered as it is.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from babel import Locale
from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dragoman.accounts.models import Account
from dragoman.core.edge import plain_integer
from dragoman.core.http import app_context, get_db
from dragoman.core.i18n import negotiate_locale
from dragoman.kb import services
from dragoman.kb.markup import plain_text, render_body
from dragoman.kb.models import KbArticleVersion
from dragoman.kb.portable import MAX_QUESTION

router = APIRouter(include_in_schema=False)

TEMPLATES_DIR = Path(__file__).parent / "templates"
RTL_LANGUAGES = frozenset({"ar", "he", "fa", "ur"})
SEARCH_RESULTS = 8

# The help center's own words, per language; English for any other.
TEXTS: dict[str, dict[str, str]] = {
    "en": {"help_center": "Help center", "search": "Search", "placeholder": "How can we help?", "results": "Results for “{q}”",
           "no_results": "No article matches. Try other words, or write to us in the chat.", "other_languages": "Also in",
           "machine": "Translated by a machine", "home": "All topics", "not_found": "This page does not exist.", "other": "Other"},
    "es": {"help_center": "Centro de ayuda", "search": "Buscar", "placeholder": "¿En qué podemos ayudarte?", "results": "Resultados para «{q}»",
           "no_results": "Ningún artículo coincide. Prueba con otras palabras o escríbenos por el chat.", "other_languages": "También en",
           "machine": "Traducido automáticamente", "home": "Todos los temas", "not_found": "Esta página no existe.", "other": "Otros"},
    "fr": {"help_center": "Centre d'aide", "search": "Rechercher", "placeholder": "Comment pouvons-nous vous aider ?", "results": "Résultats pour « {q} »",
           "no_results": "Aucun article ne correspond. Essayez d'autres mots ou écrivez-nous dans le chat.", "other_languages": "Aussi en",
           "machine": "Traduit automatiquement", "home": "Tous les sujets", "not_found": "Cette page n'existe pas.", "other": "Autres"},
    "de": {"help_center": "Hilfe-Center", "search": "Suchen", "placeholder": "Wie können wir helfen?", "results": "Ergebnisse für „{q}“",
           "no_results": "Kein Artikel passt. Versuchen Sie andere Wörter oder schreiben Sie uns im Chat.", "other_languages": "Auch auf",
           "machine": "Maschinell übersetzt", "home": "Alle Themen", "not_found": "Diese Seite gibt es nicht.", "other": "Sonstiges"},
    "pt": {"help_center": "Central de ajuda", "search": "Pesquisar", "placeholder": "Como podemos ajudar?", "results": "Resultados para «{q}»",
           "no_results": "Nenhum artigo corresponde. Tente outras palavras ou escreva-nos no chat.", "other_languages": "Também em",
           "machine": "Traduzido automaticamente", "home": "Todos os temas", "not_found": "Esta página não existe.", "other": "Outros"},
    "zh": {"help_center": "帮助中心", "search": "搜索", "placeholder": "有什么可以帮您？", "results": "“{q}”的搜索结果",
           "no_results": "没有找到相关文章。请换个说法，或在聊天中联系我们。", "other_languages": "其他语言",
           "machine": "机器翻译", "home": "全部主题", "not_found": "该页面不存在。", "other": "其他"},
    "ja": {"help_center": "ヘルプセンター", "search": "検索", "placeholder": "どのようなことでお困りですか？", "results": "「{q}」の検索結果",
           "no_results": "該当する記事がありません。別の言葉で検索するか、チャットでお問い合わせください。", "other_languages": "他の言語",
           "machine": "機械翻訳", "home": "すべてのトピック", "not_found": "このページは存在しません。", "other": "その他"},
    "ar": {"help_center": "مركز المساعدة", "search": "بحث", "placeholder": "كيف يمكننا مساعدتك؟", "results": "نتائج البحث عن «{q}»",
           "no_results": "لا توجد مقالة مطابقة. جرّب كلمات أخرى أو راسلنا عبر الدردشة.", "other_languages": "متوفر أيضًا بـ",
           "machine": "ترجمة آلية", "home": "كل المواضيع", "not_found": "هذه الصفحة غير موجودة.", "other": "أخرى"},
}  # fmt: skip


def texts_for(locale: str) -> dict[str, str]:
    return TEXTS.get(locale, TEXTS["en"])


@lru_cache(maxsize=64)
def language_name(code: str) -> str:
    """A language's name in itself ("Español", "日本語")."""
    try:
        name = Locale.parse(code).get_display_name(code) or code
    except (ValueError, LookupError):
        return code
    return name[:1].upper() + name[1:]


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


@dataclass(frozen=True)
class ArticleLink:
    url: str
    title: str
    summary: str


def article_url(account_id: int, locale: str, article_id: int, slug: str) -> str:
    return f"/hc/{account_id}/{locale}/articles/{article_id}-{quote(slug)}"


def _page(template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    locale = context["locale"]
    context.setdefault("t", texts_for(locale))
    context.setdefault("query", "")
    context.setdefault("direction", "rtl" if locale in RTL_LANGUAGES else "ltr")
    html = _environment().get_template(template).render(context)
    # Public pages: cacheable for a minute, never framed by another site.
    headers = {"Cache-Control": "public, max-age=60", "X-Frame-Options": "SAMEORIGIN", "Content-Language": locale}
    return HTMLResponse(html, status_code=status_code, headers=headers)


def _not_found(account: Account | None, locale: str, languages: list[str]) -> HTMLResponse:
    return _page(
        "hc_not_found.html",
        status_code=404,
        locale=locale if locale in TEXTS else "en",
        account_name=account.name if account else "",
        home=f"/hc/{account.id}/{locale}" if account and locale in languages else None,
        languages=[(code, language_name(code), f"/hc/{account.id}/{code}") for code in languages] if account else [],
    )


def matching_locale(requested: str, languages: list[str]) -> str | None:
    """The help center's language that a BCP 47 form or alias names:
    "zh-Hans", "zh-CN", "zh_Hans" and "ZH" all find "zh"; "pt-BR" finds
    "pt-BR" if the base has it, else "pt". None when nothing matches. Pure."""
    wanted = requested.replace("_", "-").lower()
    by_lower = {code.lower(): code for code in languages}
    if wanted in by_lower:
        return by_lower[wanted]
    base = wanted.split("-", 1)[0]
    if base in by_lower:
        return by_lower[base]
    same_base = [code for code in languages if code.lower().split("-", 1)[0] == base]
    return same_base[0] if len(same_base) == 1 else None


def _alias_redirect(request: Request, account_id: int, locale: str, languages: list[str]) -> Response | None:
    """One address per page: another spelling of a language the help center has redirects there."""
    found = matching_locale(locale, languages)
    if found is None or found == locale:
        return None
    prefix = f"/hc/{account_id}/{quote(locale)}"
    path = request.url.path
    rest = path[len(prefix):] if path.startswith(prefix) else ""
    target = f"/hc/{account_id}/{found}{rest}" + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(target, status_code=301)


def _context(db: Session, account_id: int, locale: str) -> tuple[Account | None, list[str]]:
    account = db.get(Account, account_id)
    languages = services.published_languages(db, account_id) if account else []
    return account, languages


@router.get("/hc/{account_id:int}")
def help_center_root(account_id: int, request: Request, db: Session = Depends(get_db)) -> Response:
    account, languages = _context(db, account_id, "en")
    if account is None or not languages:
        return _not_found(account, "en", languages)
    default = "en" if "en" in languages else languages[0]
    locale = negotiate_locale(request.headers.get("accept-language"), languages, default=default)
    return RedirectResponse(f"/hc/{account_id}/{locale}", status_code=302)


@router.get("/hc/{account_id:int}/{locale}")
def help_center_home(account_id: int, locale: str, request: Request, db: Session = Depends(get_db)) -> Response:
    account, languages = _context(db, account_id, locale)
    if account is not None and locale not in languages and (alias := _alias_redirect(request, account_id, locale, languages)):
        return alias
    if account is None or locale not in languages:
        return _not_found(account, locale, languages)
    categories = services.list_categories(db, account_id)
    articles = services.list_articles(db, account_id)
    versions = services.versions_of(db, [a.id for a in articles])
    grouped: dict[int | None, list[ArticleLink]] = {}
    for article in articles:
        version = _published_in(versions.get(article.id, []), locale)
        if version is not None:
            link = ArticleLink(article_url(account_id, locale, article.id, article.slug), version.title, version.summary)
            grouped.setdefault(article.category_id, []).append(link)
    sections = [
        (category.names.get(locale) or category.names.get("en") or category.slug, grouped[category.id])
        for category in categories
        if category.id in grouped
    ]
    known = {c.id for c in categories}
    loose = [link for key, links in grouped.items() if key not in known for link in links]
    if loose:
        sections.append((texts_for(locale)["other"], loose))
    return _page(
        "hc_home.html",
        locale=locale,
        account_name=account.name,
        home=f"/hc/{account_id}/{locale}",
        sections=sections,
        languages=[(code, language_name(code), f"/hc/{account_id}/{code}") for code in languages],
        query="",
    )


@router.get("/hc/{account_id:int}/{locale}/search")
def help_center_search(account_id: int, locale: str, request: Request, q: str = "", db: Session = Depends(get_db)) -> Response:
    account, languages = _context(db, account_id, locale)
    if account is not None and locale not in languages and (alias := _alias_redirect(request, account_id, locale, languages)):
        return alias
    if account is None or locale not in languages:
        return _not_found(account, locale, languages)
    query = q.strip()[:MAX_QUESTION]
    results: list[ArticleLink] = []
    if query:
        bot = app_context(request).services["faq_bot"]
        # The bot's own index when it is current (embeddings), else word matching.
        index = bot.indexes.peek(db, account_id) or bot.lexical_indexes.get(db, account_id)
        matches = index.search(query, locale, limit=SEARCH_RESULTS)
        for match in matches:
            # Only the articles close to the best one: a list of every
            # article sharing a word with the question helps nobody.
            close = match.score >= matches[0].score - 0.05 if index.semantic else match.lexical >= 0.5 * matches[0].lexical
            if match.lexical <= 0 and match.semantic <= 0 or not close:
                continue
            version = services.best_version(db, int(match.article), locale)
            article = services.get_article(db, account_id, int(match.article))
            if version is not None:
                snippet = version.summary or plain_text(version.body)[:200]
                results.append(ArticleLink(article_url(account_id, version.language, article.id, article.slug), version.title, snippet))
    return _page(
        "hc_search.html",
        locale=locale,
        account_name=account.name,
        home=f"/hc/{account_id}/{locale}",
        languages=[(code, language_name(code), f"/hc/{account_id}/{code}/search?q={quote(query)}") for code in languages],
        query=query,
        results=results,
    )


def _published_in(versions: list[KbArticleVersion], locale: str) -> KbArticleVersion | None:
    return next((v for v in versions if v.language == locale and v.status.value == "published"), None)


@router.get("/hc/{account_id:int}/{locale}/articles/{article_ref}")
def help_center_article(account_id: int, locale: str, article_ref: str, request: Request, db: Session = Depends(get_db)) -> Response:
    account, languages = _context(db, account_id, locale)
    if account is not None and locale not in languages and (alias := _alias_redirect(request, account_id, locale, languages)):
        return alias
    # An id no article can have (not ASCII digits, beyond 64 bits) is a missing page, not a server error.
    identifier = plain_integer(article_ref.split("-", 1)[0])
    if account is None or identifier is None:
        return _not_found(account, locale if locale in languages else "en", languages)
    article = services.article_or_none(db, account_id, identifier)
    versions = services.versions_of(db, [article.id]).get(article.id, []) if article else []
    version = _published_in(versions, locale)
    if article is None or version is None:
        return _not_found(account, locale if locale in languages else "en", languages)
    canonical = article_url(account_id, locale, article.id, article.slug)
    if article_ref != canonical.rsplit("/", 1)[-1]:
        # Old slug, or the id alone: one address per page.
        return RedirectResponse(canonical, status_code=301)
    others = [
        (v.language, language_name(v.language), article_url(account_id, v.language, article.id, article.slug))
        for v in versions
        if v.status.value == "published" and v.language != locale
    ]
    category = services.category_or_none(db, account_id, article.category_id)
    return _page(
        "hc_article.html",
        locale=locale,
        account_name=account.name,
        home=f"/hc/{account_id}/{locale}",
        category=(category.names.get(locale) or category.names.get("en") or category.slug) if category else None,
        title=version.title,
        summary=version.summary,
        body=render_body(version.body),
        machine_translated=version.machine_translated,
        others=others,
        languages=[(code, language_name(code), f"/hc/{account_id}/{code}") for code in languages],
        query="",
    )
