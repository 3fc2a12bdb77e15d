"""The console's pages: sign-in, the agent console and the settings area.

The pages are shells: the server renders the frame in the reader's language
and embeds what the scripts need (the user, the CSRF token, the translated
strings); the scripts then work through the same REST API and WebSocket that
integrators use, so the console can never do what the API would refuse.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, FastAPI, Form, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.orm import Session

from dragoman.core.edge import plain_integer
from dragoman.accounts import services as accounts
from dragoman.accounts.auth import SESSION_COOKIE, Principal
from dragoman.accounts.schemas import agent_out
from dragoman.inboxes import channel_kinds
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.core.security import hmac_sha256_hex, new_token
from dragoman.web.rendering import (
    LANGUAGE_NAMES,
    STATIC_DIR,
    STATIC_PREFIX,
    choose_locale,
    html_lang,
    js_strings,
    render_page,
    translations_for,
)

router = APIRouter(include_in_schema=False)

# Before sign-in there is no session to hold a CSRF token, so the login form
# uses a double-submit cookie: a random nonce in a cookie, and in the form its
# HMAC under the server's secret (a cookie planted by a sibling subdomain
# cannot come with a matching form value).
LOGIN_CSRF_COOKIE = "dragoman_login_csrf"
LOGIN_CSRF_FIELD = "csrf_token"

ADMIN_SECTIONS = (
    "agents", "teams", "inboxes", "webhooks", "language", "ticket-fields", "sla-policies", "saved-replies", "satisfaction",
)
# Sections supervisors use too (the API lets them: saved replies are the team's
# words, and satisfaction is read by whoever sees the whole account).
SUPERVISOR_SECTIONS = ("saved-replies", "satisfaction")
PERSONAL_SECTIONS = ("api-tokens",)


def mount_static(app: FastAPI) -> None:
    app.mount(STATIC_PREFIX, StaticFiles(directory=STATIC_DIR), name="console-static")


# -- who is looking -------------------------------------------------------------


def _session_principal(request: Request, db: Session) -> Principal | None:
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = accounts.resolve_session(db, cookie)
    if found is None:
        db.commit()  # resolve_session deletes an expired row
        return None
    user, auth_session = found
    return Principal(user=user, viewer=accounts.load_viewer(db, user), via="session", csrf_token=auth_session.csrf_token)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: an open redirect would let a phishing link
    borrow the sign-in page."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/app"


def _to_login(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    response = RedirectResponse(f"/login?next={quote(target, safe='')}", status_code=303)
    if request.cookies.get(SESSION_COOKIE):
        response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@dataclass(frozen=True)
class PageReader:
    principal: Principal
    locale: str


def _reader(request: Request, db: Session) -> PageReader | None:
    principal = _session_principal(request, db)
    if principal is None:
        return None
    return PageReader(principal, choose_locale(request, principal.user.ui_locale))


# -- sign-in ----------------------------------------------------------------------


def _same_secret(sent: str, expected: str) -> bool:
    # Bytes, because compare_digest raises on non-ASCII str and a form field
    # can hold anything.
    return hmac.compare_digest(sent.encode(), expected.encode())


def _login_csrf_value(ctx: AppContext, nonce: str) -> str:
    return hmac_sha256_hex(ctx.settings.secret_key, f"login-csrf:{nonce}".encode())


def _login_page(
    request: Request,
    db: Session,
    *,
    error: str | None = None,
    email: str = "",
    next_path: str = "/app",
    status_code: int = 200,
    accounts_to_choose: list[tuple[int, str]] | None = None,
) -> Response:
    ctx = app_context(request)
    showroom = ctx.services.get("showroom")
    locale = choose_locale(request)
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE) or new_token(24)
    response = render_page(
        request,
        "login.html",
        locale,
        {
            "error": error,
            "email": email,
            "next_path": next_path,
            "csrf_token": _login_csrf_value(ctx, nonce),
            "accounts_to_choose": accounts_to_choose or [],
            # The demo's box of users, where demo/feature.py hands the demo over.
            "demo_logins": showroom.logins(db) if showroom is not None else [],
            "demo_password": showroom.password if showroom is not None else "",
        },
        status_code=status_code,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        nonce,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    return response


@router.get("/")
def home(request: Request, db: Session = Depends(get_db)) -> Response:
    return RedirectResponse("/app" if _session_principal(request, db) else "/login", status_code=303)


@router.get("/login")
def login_form(request: Request, next: str | None = None, db: Session = Depends(get_db)) -> Response:
    if _session_principal(request, db) is not None:
        return RedirectResponse(_safe_next(next), status_code=303)
    return _login_page(request, db, next_path=_safe_next(next))


def _chosen_account(value: str) -> int | None:
    """The account the login form names, if any (anything else, a number too
    large for the database included, means none was chosen)."""
    value = value.strip()
    return plain_integer(value)


@router.post("/login")
def login(
    request: Request,
    email: str = Form(""),
    password: str = Form(""),
    csrf_token: str = Form(""),
    next: str = Form("/app"),
    account_id: str = Form("", description="The account to sign in to, when the e-mail and password fit several"),
    db: Session = Depends(get_db),
) -> Response:
    ctx = app_context(request)
    translations = translations_for(choose_locale(request))
    next_path = _safe_next(next)
    nonce = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not nonce or not _same_secret(csrf_token, _login_csrf_value(ctx, nonce)):
        return _login_page(
            request,
            db,
            error=translations.gettext("The sign-in form had expired. Please sign in again."),
            email=email,
            next_path=next_path,
            status_code=403,
        )
    ip_key = request.client.host if request.client else "unknown"
    email_key = email.strip().lower()
    wait = max(ctx.login_limiter_ip.retry_after(ip_key), ctx.login_limiter_email.retry_after(email_key))
    if wait > 0:
        # Checked before the password: while blocked, even the right password
        # is refused, or the limit would not slow a guesser down.
        minutes = (wait + 59) // 60
        message = translations.ngettext(
            "Too many failed sign-in attempts. Try again in %(num)d minute.",
            "Too many failed sign-in attempts. Try again in %(num)d minutes.",
            minutes,
        ) % {"num": minutes}
        response = _login_page(request, db, error=message, email=email, next_path=next_path, status_code=429)
        response.headers["Retry-After"] = str(wait)
        return response
    try:
        user = accounts.authenticate(db, email, password, _chosen_account(account_id))
    except accounts.SeveralAccounts as several:
        # The password was right for each: the person says which account.
        return _login_page(
            request,
            db,
            error=translations.gettext("This e-mail address signs in to several accounts. Choose one and enter the password again."),
            email=email,
            next_path=next_path,
            accounts_to_choose=several.accounts,
        )
    if user is None:
        ctx.login_limiter_ip.hit(ip_key)
        ctx.login_limiter_email.hit(email_key)
        return _login_page(
            request,
            db,
            error=translations.gettext("The e-mail address or the password is wrong."),
            email=email,
            next_path=next_path,
            status_code=401,
        )
    ctx.login_limiter_email.reset(email_key)
    token, _auth_session = accounts.start_session(db, user, ctx.settings.session_hours)
    db.commit()
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=ctx.settings.session_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=ctx.settings.secure_cookies,
        path="/",
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
def logout(request: Request, csrf_token: str = Form(""), db: Session = Depends(get_db)) -> Response:
    principal = _session_principal(request, db)
    if principal is not None:
        if not _same_secret(csrf_token, principal.csrf_token or ""):
            locale = choose_locale(request, principal.user.ui_locale)
            return _error_page(request, db, PageReader(principal, locale), 403)
        accounts.end_session(db, request.cookies[SESSION_COOKIE])
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- signed-in pages --------------------------------------------------------------


def _bootstrap(db: Session, reader: PageReader, page: str, **extra: Any) -> dict[str, Any]:
    """What the page's scripts start from, embedded as JSON."""
    principal = reader.principal
    profile = agent_out(principal.user, accounts.user_team_ids(db, principal.user.id)).model_dump(mode="json")
    return {
        "page": page,
        "account_id": principal.account_id,
        "csrf_token": principal.csrf_token,
        "user": profile,
        "is_admin": principal.viewer.is_admin,
        # The channels a reply may carry files on (the reply box offers "Attach files" there).
        "file_channels": channel_kinds.kinds_where(lambda kind: kind.capabilities.files),
        "sees_whole_account": principal.viewer.sees_whole_account,
        "locale": reader.locale,
        "lang": html_lang(reader.locale),
        "languages": LANGUAGE_NAMES,
        "strings": js_strings(translations_for(reader.locale)),
        **extra,
    }


def _shell_context(db: Session, reader: PageReader, page: str, **extra: Any) -> dict[str, Any]:
    return {
        "user": reader.principal.user,
        "is_admin": reader.principal.viewer.is_admin,
        "sees_whole_account": reader.principal.viewer.sees_whole_account,
        "csrf_token": reader.principal.csrf_token,
        "page": page,
        "bootstrap": _bootstrap(db, reader, page, **extra),
    }


def _error_page(request: Request, db: Session, reader: PageReader, status_code: int) -> Response:
    context = _shell_context(db, reader, "error")
    context["status_code"] = status_code
    return render_page(request, "error.html", reader.locale, context, status_code=status_code)


@router.get("/app")
def console(request: Request, conversation: str | None = None, db: Session = Depends(get_db)) -> Response:
    reader = _reader(request, db)
    if reader is None:
        return _to_login(request)
    # The id only tells the script what to open; whether the reader may see it
    # is the API's answer, the same rule as everywhere else.
    conversation_id = plain_integer(conversation)
    context = _shell_context(db, reader, "console", conversation_id=conversation_id)
    return render_page(request, "console.html", reader.locale, context)


@router.get("/app/admin")
def admin_home() -> Response:
    return RedirectResponse("/app/admin/agents", status_code=303)


@router.get("/app/settings")
def settings_home() -> Response:
    return RedirectResponse("/app/settings/api-tokens", status_code=303)


@router.get("/app/admin/{section}")
def admin_page(section: str, request: Request, db: Session = Depends(get_db)) -> Response:
    reader = _reader(request, db)
    if reader is None:
        return _to_login(request)
    if section not in ADMIN_SECTIONS:
        return _error_page(request, db, reader, 404)
    viewer = reader.principal.viewer
    if not (viewer.is_admin or (section in SUPERVISOR_SECTIONS and viewer.sees_whole_account)):
        return _error_page(request, db, reader, 403)
    return _settings_page(request, db, reader, section)


@router.get("/app/settings/{section}")
def personal_settings_page(section: str, request: Request, db: Session = Depends(get_db)) -> Response:
    reader = _reader(request, db)
    if reader is None:
        return _to_login(request)
    if section not in PERSONAL_SECTIONS:
        return _error_page(request, db, reader, 404)
    return _settings_page(request, db, reader, section)


@router.get("/app/{rest:path}")
def unknown_console_page(rest: str, request: Request, db: Session = Depends(get_db)) -> Response:
    reader = _reader(request, db)
    if reader is None:
        return _to_login(request)
    return _error_page(request, db, reader, 404)


def _settings_page(request: Request, db: Session, reader: PageReader, section: str) -> Response:
    context = _shell_context(db, reader, section)
    context["section"] = section
    # The section's own styles, where it has any (web/static/settings/<section>/).
    stylesheet = f"settings/{section}/{section}.css"
    context["section_stylesheet"] = stylesheet if (STATIC_DIR / stylesheet).is_file() else None
    return render_page(request, "settings.html", reader.locale, context)
