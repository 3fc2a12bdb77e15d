"""The knowledge base's console pages.

The admins' view of the FAQ bot (`/app/kb/bot`): how it scores questions
(by meaning and words, or by words only and why) and the threshold each
inbox hands over below; per language what it
answered, what it handed over and its containment rate; the questions it
could not answer, each with a form that turns it into a new article (through
`POST .../kb/bot/exchanges/{id}/resolve`).

The article editor (`/app/kb/articles`): every article and its language
versions, edited over the REST API by its script (kb_articles.js), in the
console's catalogue.

Rendered on the server from the same services as the API; the page's script
only sends the forms. It reuses the console's base template and stylesheet.
Its words come from the console's catalogue (babel.cfg extracts kb_*.html).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal
from dragoman.core.http import app_context, get_db
from dragoman.inboxes.services import list_inboxes
from dragoman.kb import services
from dragoman.kb.models import BotOutcome
from dragoman.kb.retrieval import default_threshold, inbox_threshold, threshold_setting
from dragoman.web.feature_pages import feature_asset, render_feature_page
from dragoman.web.rendering import feature_environment

HERE = Path(__file__).parent
ASSETS = {"kb_admin.js": "text/javascript", "kb_articles.js": "text/javascript", "kb_admin.css": "text/css"}
ROWS = 50

router = APIRouter(include_in_schema=False)


def _environment() -> jinja2.Environment:
    return feature_environment(HERE / "templates", "/app/kb/assets")


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{100 * value:.0f}%"


@router.get("/app/kb/bot")
def bot_page(request: Request, db: Session = Depends(get_db)) -> Response:
    def page_values(principal: Principal) -> dict[str, Any]:
        account_id = principal.account_id
        articles = services.list_articles(db, account_id)
        versions = services.versions_of(db, [a.id for a in articles])
        faq_bot = app_context(request).services["faq_bot"]
        scoring = faq_bot.scoring()
        return {
            "is_admin": principal.viewer.is_admin,
            # The model and the first indexes are loading: customers are handed over meanwhile.
            "starting": faq_bot.starting,
            "percent": _percent,
            "scoring": scoring,
            "default_threshold": default_threshold(scoring.semantic),
            "threshold_setting": threshold_setting(scoring.semantic),
            # Each inbox the bot answers in, with the threshold it hands over
            # below for the scoring in use (its own, or the default).
            "bot_inboxes": [
                (inbox, *inbox_threshold(inbox.settings or {}, scoring.semantic))
                for inbox in list_inboxes(db, account_id)
                if (inbox.settings or {}).get("bot")
            ],
            "stats": services.bot_stats(db, account_id),
            # Per language customers wrote in: how many articles it has, so that
            # an admin sees where customers ask in a language the base lacks.
            "versions_by_language": services.version_counts(db, account_id),
            # Published versions with few ways of asking: where the bot is likely to miss.
            "thinly_asked": services.thinly_asked(versions),
            "min_ways": services.MIN_WAYS_OF_ASKING,
            "article_count": len(articles),
            "unanswered": [
                e for e in services.list_exchanges(db, account_id, outcome="handoff", unresolved=True, limit=ROWS)
                if e.reason in services.UNANSWERED_REASONS
            ],
            "answered": services.list_exchanges(db, account_id, outcome=BotOutcome.answered.value, limit=ROWS),
            "slugs": {a.id: a.slug for a in articles},
            # For "add this question to an article": each article by a title.
            "article_titles": [(a.id, _title(versions.get(a.id, []), a.slug)) for a in articles],
        }

    return render_feature_page(
        request,
        db,
        _environment(),
        "kb_bot.html",
        lambda principal: principal.viewer.sees_whole_account,
        context=page_values,
    )


def _title(versions: list[Any], fallback: str) -> str:
    by_language = {v.language: v.title for v in versions}
    return by_language.get("en") or next(iter(by_language.values()), fallback)


@router.get("/app/kb/articles")
def articles_page(request: Request, db: Session = Depends(get_db)) -> Response:
    return render_feature_page(request, db, _environment(), "kb_articles.html", lambda principal: principal.viewer.is_admin)


@router.get("/app/kb/assets/{name}")
def bot_page_asset(name: str) -> Response:
    return feature_asset(HERE / "static", ASSETS, name)
