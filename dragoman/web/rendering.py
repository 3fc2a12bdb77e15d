"""Templates, UI language and static asset URLs for the console pages.

Translations are never installed on the Jinja2 environment: requests run in
parallel threads, each in its reader's language, so every render receives its
own `gettext`/`ngettext` in the template context (the i18n extension looks
them up there).
"""

from __future__ import annotations

import gettext
import hashlib
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import jinja2
from fastapi import Request
from fastapi.responses import HTMLResponse

from dragoman.core.i18n import SOURCE_LOCALE, Catalogs, negotiate_locale
from dragoman.web.js_strings import WEB_STATIC, strings_of, translated

WEB_DIR = Path(__file__).parent
TEMPLATES_DIR = WEB_DIR / "templates"
STATIC_DIR = WEB_DIR / "static"
LOCALES_DIR = WEB_DIR / "locales"
DOMAIN = "console"
STATIC_PREFIX = "/static"

# What the language switcher offers, each named in its own language.
LANGUAGE_NAMES = {"en": "English", "zh_Hans": "简体中文"}

# The pages run no inline script and load nothing from elsewhere; the JSON the
# server embeds is read as data (type="application/json"), never executed.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@lru_cache(maxsize=1)
def console_catalogs() -> Catalogs:
    return Catalogs(LOCALES_DIR, DOMAIN)


def choose_locale(request: Request, preferred: str | None = None) -> str:
    """The user's own choice when a catalogue exists for it, else the browser's."""
    available = console_catalogs().locales
    if preferred and preferred in available:
        return preferred
    return negotiate_locale(request.headers.get("accept-language"), available, default=SOURCE_LOCALE)


def html_lang(locale: str) -> str:
    """BCP 47 for `<html lang>` and `Intl`: zh_Hans -> zh-Hans."""
    return locale.replace("_", "-")


def translations_for(locale: str) -> gettext.NullTranslations:
    return console_catalogs().get(locale)


def demo_mail_page(request: Request) -> bool:
    """Whether the main navigation links the demo mail page: on an install
    that catches mail (DRAGOMAN_MAIL_CATCHER), for its admins."""
    ctx = getattr(request.app.state, "ctx", None)
    return bool(ctx is not None and ctx.settings.mail_catcher)


def js_strings(translations: gettext.NullTranslations, folders: tuple[Path, ...] = (WEB_STATIC,)) -> dict[str, str]:
    """The strings the scripts of `folders` use (and the kit's), in the reader's
    language: what a page embeds for `t(key)` (js_strings.py)."""
    return translated(translations, strings_of(*folders))


@lru_cache(maxsize=None)
def _asset_version(relative_path: str) -> str:
    # A digest of the file, so a browser never runs yesterday's script against
    # today's pages; computed once per process.
    return hashlib.sha256((STATIC_DIR / relative_path).read_bytes()).hexdigest()[:12]


def static_url(relative_path: str) -> str:
    return f"{STATIC_PREFIX}/{relative_path}?v={_asset_version(relative_path)}"


def initials(name: str) -> str:
    """"Li Wei" -> "LW", for avatars (the scripts do the same for the pages they draw)."""
    parts = name.split()
    if not parts:
        return "?"
    letters = parts[0][:1] + (parts[-1][:1] if len(parts) > 1 else "")
    return letters.upper()


def _build_environment(feature_templates: Path | None, assets_prefix: str | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(TEMPLATES_DIR)]
    if feature_templates is not None:
        # The feature's own templates first, then the console's (base.html).
        loaders.insert(0, jinja2.FileSystemLoader(feature_templates))
    environment = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        autoescape=jinja2.select_autoescape(["html"]),
        extensions=["jinja2.ext.i18n"],
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.globals.update(static_url=static_url, language_names=LANGUAGE_NAMES)
    if assets_prefix is not None:
        environment.globals["asset_url"] = lambda name: f"{assets_prefix}/{name}"
    if feature_templates is not None:
        # The feature's front-end folder: its scripts, stylesheet and strings.json.
        environment.globals["feature_static"] = feature_templates.parent / "static"
    environment.filters["initials"] = initials
    return environment


@lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    return _build_environment(None, None)


@lru_cache(maxsize=None)
def feature_environment(templates_dir: Path, assets_prefix: str) -> jinja2.Environment:
    """The environment for a feature's own console pages (routing, kb): its
    templates beside the console's, its assets under `assets_prefix`."""
    return _build_environment(templates_dir, assets_prefix)


def render_page(
    request: Request,
    template: str,
    locale: str,
    context: Mapping[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    translations = translations_for(locale)
    values: dict[str, Any] = {
        "request": request,
        "locale": locale,
        "html_lang": html_lang(locale),
        "gettext": translations.gettext,
        "ngettext": translations.ngettext,
        "demo_mail_page": demo_mail_page(request),
        **(context or {}),
    }
    html = _environment().get_template(template).render(values)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)
