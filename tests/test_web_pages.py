"""The console's pages: who may open which, in which language, and that
every string the pages and scripts show is translated."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient

from conftest import DemoWorld
from dragoman.web.js_strings import JS_STRINGS, strings_of
from dragoman.web.rendering import LOCALES_DIR, STATIC_DIR
from test_web_login import sign_in

REPO = Path(__file__).resolve().parent.parent
ADMIN_PAGES = ("/app/admin/agents", "/app/admin/teams", "/app/admin/inboxes", "/app/admin/webhooks", "/app/admin/language")


def bootstrap_of(page: str) -> dict[str, Any]:
    """The JSON a page embeds for its scripts."""
    found = re.search(r'<script type="application/json" id="bootstrap">(.*?)</script>', page, re.S)
    assert found, "the page embeds its bootstrap"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_are_refused_to_agents_and_supervisors(client: TestClient, demo: DemoWorld, path: str) -> None:
    for who in ("li.wei", "supervisor"):
        client.cookies.clear()
        sign_in(client, f"{who}@demo.dragoman.test")
        page = client.get(path)
        assert page.status_code == 403, who
        assert 'data-testid="error-page"' in page.text
        assert 'id="settings-content"' not in page.text


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_open_for_an_admin(client: TestClient, demo: DemoWorld, path: str) -> None:
    sign_in(client, "admin@demo.dragoman.test")
    page = client.get(path)
    assert page.status_code == 200
    assert 'id="settings-content"' in page.text


def test_admin_pages_ask_strangers_to_sign_in(client: TestClient) -> None:
    response = client.get("/app/admin/agents", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")


def test_every_user_has_the_api_token_page(client: TestClient, demo: DemoWorld) -> None:
    sign_in(client, "li.wei@demo.dragoman.test")
    assert client.get("/app/settings/api-tokens").status_code == 200
    assert client.get("/app/settings/nothing-here").status_code == 404
    assert client.get("/app/admin/nothing-here").status_code == 404
    unknown = client.get("/app/no/such/page")
    assert unknown.status_code == 404
    assert "This page does not exist" in unknown.text or "页面不存在" in unknown.text


def test_console_page_embeds_the_user_and_csrf_token_but_no_conversation(client: TestClient, demo: DemoWorld) -> None:
    sign_in(client, "li.wei@demo.dragoman.test")
    csrf = client.get("/api/v1/profile").json()["csrf_token"]
    page = client.get("/app?conversation=12345")
    assert page.status_code == 200
    bootstrap = bootstrap_of(page.text)
    assert bootstrap["csrf_token"] == csrf
    assert bootstrap["conversation_id"] == 12345
    assert bootstrap["user"]["email"] == "li.wei@demo.dragoman.test"
    assert page.headers["content-security-policy"].startswith("default-src 'self'")


def test_ui_language_follows_the_user_then_the_browser(client: TestClient, demo: DemoWorld) -> None:
    # The sign-in page follows the browser.
    login = client.get("/login", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"})
    assert '<html lang="zh-Hans">' in login.text
    assert "登录" in login.text
    assert '<html lang="en">' in client.get("/login", headers={"Accept-Language": "de-DE"}).text
    # li.wei chose Chinese: the console is Chinese whatever the browser says.
    sign_in(client, "li.wei@demo.dragoman.test")
    console = client.get("/app", headers={"Accept-Language": "en-US"})
    assert '<html lang="zh-Hans">' in console.text
    assert "内部备注" in console.text
    assert bootstrap_of(console.text)["strings"]["send"] == "发送"  # the scripts' strings too
    csrf = client.get("/api/v1/profile").json()["csrf_token"]
    # Choosing "same as the browser" hands the choice back to Accept-Language.
    assert client.patch("/api/v1/profile", json={"ui_locale": ""}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert '<html lang="en">' in client.get("/app", headers={"Accept-Language": "en-US"}).text
    assert client.patch("/api/v1/profile", json={"ui_locale": "en"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert '<html lang="en">' in client.get("/app", headers={"Accept-Language": "zh-CN"}).text


def test_static_files_are_served_with_a_version(client: TestClient, demo: DemoWorld) -> None:
    sign_in(client, "admin@demo.dragoman.test")
    page = client.get("/app").text
    script = re.search(r'src="(/static/console/index\.js\?v=[0-9a-f]{12})"', page)
    assert script
    assert client.get(script.group(1)).status_code == 200


# -- catalogues ----------------------------------------------------------------


def _source_messages() -> set[str]:
    """What `make messages` extracts, straight from the sources."""
    with (REPO / "babel.cfg").open() as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    found: set[str] = set()
    for _filename, _lineno, message, _comments, _context in extract_from_dir(str(REPO), method_map, options_map):
        found.add(message[0] if isinstance(message, tuple) else message)
    return found


def _placeholders(text: str) -> set[str]:
    return set(re.findall(r"%\((\w+)\)[sd]", text))


def test_chinese_catalogue_translates_every_string_of_the_console() -> None:
    with (LOCALES_DIR / "zh_Hans" / "LC_MESSAGES" / "console.po").open("rb") as handle:
        catalog = read_po(handle, locale="zh_Hans")
    translated: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        text = message.string[0] if isinstance(message.string, tuple) else message.string
        if text:
            translated[key] = text
    sources = _source_messages()
    assert len(sources) > 200
    missing = sorted(sources - set(translated))
    assert not missing, f"untranslated (run `make messages` and translate): {missing}"
    for key in sources:
        assert _placeholders(translated[key]) == _placeholders(key), key


# The console's pages get every string under web/static; a feature page gets
# the kit's and its own folder's (web/feature_pages.py).
FRONT_END_FOLDERS = (STATIC_DIR, *(REPO / "dragoman" / feature / "static" for feature in ("routing", "tickets", "kb", "demo")))


@pytest.mark.parametrize("folder", FRONT_END_FOLDERS, ids=lambda folder: folder.parent.name)
def test_scripts_use_only_strings_their_page_provides(folder: Path) -> None:
    provided = strings_of(folder)
    used: set[str] = set()
    dynamic_prefixes: set[str] = set()
    for script in folder.rglob("*.js"):
        text = script.read_text()
        used |= set(re.findall(r'\bt\(\s*"([a-z_]+)"', text))
        dynamic_prefixes |= set(re.findall(r"\b(?:t|hasString)\(`([a-z_]+)\$\{", text))
    assert used, "the scripts call t()"
    assert sorted(used - set(provided)) == []
    for prefix in dynamic_prefixes:
        assert any(key.startswith(prefix) for key in provided), prefix


def test_every_script_string_is_in_the_catalogue_and_said_once() -> None:
    """`make messages` extracts each strings.json (babel.cfg), so translators see
    every string; a key given twice would show one of its texts wrongly."""
    sources = _source_messages()
    every = strings_of(*FRONT_END_FOLDERS)
    assert len(every) > 500
    assert sorted(set(every.values()) - sources) == []
    for key in ("status_open", "status_pending", "status_resolved", "availability_away", "role_supervisor", "routing_hours_day_6"):
        assert key in every
    assert set(JS_STRINGS) <= set(every)


@pytest.mark.parametrize(
    ("path", "current"),
    [("/app/tickets", "Tickets"), ("/app/routing/wall", "Live wall"), ("/app/routing/queues", "Queues"), ("/app/kb/articles", "Knowledge base"), ("/app/kb/bot", "Knowledge base")],
)
def test_every_feature_page_keeps_the_main_navigation(client: TestClient, demo: DemoWorld, path: str, current: str) -> None:
    sign_in(client, "admin@demo.dragoman.test")
    page = client.get(path)
    assert page.status_code == 200
    nav = re.search(r'<nav class="topnav"[^>]*data-testid="main-nav">(.*?)</nav>', page.text, re.S)
    assert nav, f"{path} has the console's main navigation"
    links = re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1))
    assert [href for href, _ in links] == ["/app", "/app/tickets", "/app/routing/wall", "/app/routing/queues", "/app/kb/articles", "/app/admin/agents"]
    assert re.search(r'aria-current="page">' + re.escape(current) + "<", nav.group(1))
    # An agent's bar has only what an agent may open.
    client.cookies.clear()
    sign_in(client, "maria@demo.dragoman.test")
    agent_nav = re.search(r'data-testid="main-nav">(.*?)</nav>', client.get("/app/tickets").text, re.S)
    assert agent_nav and "/app/routing/queues" not in agent_nav.group(1) and "/app/settings/api-tokens" in agent_nav.group(1)
