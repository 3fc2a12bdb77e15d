"""A feature's own console page (routing's queues and wall, the knowledge
base's article editor): signed in or sent to the login page, in the reader's
console language, with what its script needs (account, CSRF token), and a 403
page when the reader may not use it. The features keep their templates and
scripts; this is the part they would otherwise each repeat."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, authenticate_request
from dragoman.core.errors import NotAuthenticated
from dragoman.web.rendering import SECURITY_HEADERS, choose_locale, demo_mail_page, html_lang, js_strings, translations_for


def render_feature_page(
    request: Request,
    db: Session,
    environment: jinja2.Environment,
    template: str,
    may_see: Callable[[Principal], bool],
    config: Mapping[str, Any] | None = None,
    context: Callable[[Principal], Mapping[str, Any]] | None = None,
) -> Response:
    """`context`: the page's own values, asked for only when the reader may see it."""
    try:
        principal = authenticate_request(request, db)
    except NotAuthenticated:
        return RedirectResponse(f"/login?next={quote(request.url.path, safe='')}", status_code=303)
    locale = choose_locale(request, principal.user.ui_locale)
    translations = translations_for(locale)
    allowed = may_see(principal)
    page_config = {
        "account_id": principal.account_id,
        "lang": html_lang(locale),
        # Changes made with the session cookie carry this header.
        "csrf_token": principal.csrf_token,
        **(config or {}),
    }
    html = environment.get_template(template).render(
        locale=locale,
        html_lang=html_lang(locale),
        gettext=translations.gettext,
        ngettext=translations.ngettext,
        allowed=allowed,
        user=principal.user,
        demo_mail_page=demo_mail_page(request),
        config=page_config,
        # What the page's scripts start from (kit/api.js pageBootstrap): the
        # config, and the kit's and the feature's strings in the reader's
        # language (kit/i18n.js t()).
        bootstrap={**page_config, "strings": js_strings(translations, (environment.globals["feature_static"],))},
        **(context(principal) if allowed and context is not None else {}),
    )
    return HTMLResponse(html, status_code=200 if allowed else 403, headers=SECURITY_HEADERS)


def feature_asset(static_dir: Path, media_types: Mapping[str, str], name: str) -> Response:
    """One of a feature page's own files (its script, its stylesheet), only
    from the feature's list; anything else is a 404."""
    if name not in media_types:
        return Response(status_code=404)
    return FileResponse(static_dir / name, media_type=media_types[name], headers={"Cache-Control": "no-cache"})
