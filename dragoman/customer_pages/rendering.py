"""Rendering a customer page of any feature (the survey, the support form):
script-free, in the customer's language, in the pages' shared style sheet."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse

from dragoman.customer_pages.texts import WidgetLanguage, widget_texts

STATIC_DIR = Path(__file__).parent / "static"
STYLE_SHEET = "page.css"
STYLE_SHEET_PATH = "/customer/assets/" + STYLE_SHEET

router = APIRouter(include_in_schema=False)


@lru_cache(maxsize=1)
def style_sheet_url() -> str:
    # A digest of the file, so a long cache never serves yesterday's styles
    # with today's page; computed once per process.
    return f"{STYLE_SHEET_PATH}?v={hashlib.sha256((STATIC_DIR / STYLE_SHEET).read_bytes()).hexdigest()[:12]}"


@router.get(STYLE_SHEET_PATH)
def style_sheet() -> FileResponse:
    return FileResponse(
        STATIC_DIR / STYLE_SHEET,
        media_type="text/css; charset=utf-8",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


def customer_page_headers(*, frameable: bool) -> dict[str, str]:
    """A script-free page for customers (the survey, the support form); a
    frameable one may sit in a company's own site."""
    ancestors = "*" if frameable else "'none'"
    return {
        "Content-Security-Policy": (
            "default-src 'self'; script-src 'none'; style-src 'self'; img-src 'self' data:; "
            f"base-uri 'none'; form-action 'self'; frame-ancestors {ancestors}"
        ),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
    }


@lru_cache(maxsize=None)
def _page_environment(template_dir: Path) -> jinja2.Environment:
    return jinja2.Environment(loader=jinja2.FileSystemLoader(template_dir), autoescape=True, undefined=jinja2.StrictUndefined)


def render_customer_page(
    template_dir: Path, template: str, context: dict[str, Any], *, status_code: int = 200, frameable: bool = False
) -> HTMLResponse:
    """A customer page of another feature, in the widget's language and style:
    `language` and `texts` (the widget catalogue) and `css` are added to `context`."""
    language: WidgetLanguage = context["language"]
    values = {"texts": widget_texts(language.locale), "css": style_sheet_url(), **context}
    html = _page_environment(template_dir).get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=customer_page_headers(frameable=frameable))
