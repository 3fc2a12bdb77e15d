"""The widget's pages without a browser: the loader, the frame, the demo
store, and the widget's catalogues."""

from __future__ import annotations

import json
import re

import pytest
from babel.messages.pofile import read_po
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from conftest import DemoWorld
from dragoman.channels.webchat.pages import greeting_for
from dragoman.customer_pages.texts import LOCALES_DIR, WIDGET_TEXTS, widget_catalogs, widget_languages, widget_texts
from dragoman.inboxes.models import Inbox

REQUIRED_LOCALES = {"en", "es", "fr", "de", "pt", "it", "zh_Hans", "ja", "ar", "ko", "th", "vi"}


def frame_config(html: str) -> dict:  # type: ignore[type-arg]
    found = re.search(r'<script type="application/json" id="widget-config">(.*?)</script>', html, re.S)
    assert found, "the frame embeds its config"
    return json.loads(found.group(1))  # type: ignore[no-any-return]


def test_every_required_language_has_a_complete_catalogue() -> None:
    assert REQUIRED_LOCALES <= set(widget_catalogs().locales)
    for po_path in sorted(LOCALES_DIR.glob("*/LC_MESSAGES/widget.po")):
        with po_path.open("rb") as handle:
            catalog = read_po(handle)
        # Some texts are rightly the same as the English ("optional" in
        # German), so completeness is a non-empty entry for every source text.
        translated = {message.id: message.string for message in catalog if message.id and message.string}
        missing = [source for source in WIDGET_TEXTS.values() if source not in translated]
        assert not missing, f"{po_path.parent.parent.name} lacks {missing}"
        for source in WIDGET_TEXTS.values():
            for placeholder in re.findall(r"\{\w+\}", source):
                assert placeholder in translated[source], f"{po_path}: {source!r} lost {placeholder}"
    assert widget_texts("ja")["send"] == "送信"
    assert widget_texts("ar")["start"] == "ابدأ المحادثة"


def test_languages_are_bcp47_named_in_their_own_language_and_arabic_is_rtl() -> None:
    by_tag = {language.tag: language for language in widget_languages()}
    assert "zh-Hans" in by_tag and "zh_Hans" not in by_tag
    assert by_tag["zh-Hans"].locale == "zh_Hans"
    assert by_tag["ar"].direction == "rtl"
    assert by_tag["ja"].name == "日本語"
    assert by_tag["es"].name == "Español"
    assert {language.direction for tag, language in by_tag.items() if tag != "ar"} == {"ltr"}
    assert widget_languages()[0].tag == "en"


def test_the_loader_is_javascript_that_builds_the_frame_url_from_its_own_src(client: TestClient) -> None:
    response = client.get("/widget.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert "data-website-token" in response.text
    assert '"/widget/"' in response.text


def test_only_the_listed_assets_are_served(client: TestClient) -> None:
    assert client.get("/widget/assets/chat.js").status_code == 200
    assert client.get("/widget/assets/chat.css").headers["content-type"].startswith("text/css")
    for name in ("loader.js", "..%2Fpages.py", "nothing.css"):
        response = client.get(f"/widget/assets/{name}")
        assert response.status_code == 404, name


@pytest.mark.parametrize(
    ("accept_language", "tag", "direction"),
    [("zh-CN,zh;q=0.9,en;q=0.8", "zh-Hans", "ltr"), ("ar-EG", "ar", "rtl"), ("pt-BR,pt;q=0.9", "pt", "ltr"), ("xx", "en", "ltr")],
)
def test_the_frame_starts_in_the_browsers_language(
    client: TestClient, demo: DemoWorld, accept_language: str, tag: str, direction: str
) -> None:
    response = client.get(f"/widget/{demo.website_token}", headers={"Accept-Language": accept_language})
    assert response.status_code == 200
    assert f'<html lang="{tag}" dir="{direction}">' in response.text
    config = frame_config(response.text)
    assert config["initialLanguage"] == tag
    assert config["websiteToken"] == demo.website_token
    assert config["maxChars"] == 10_000
    assert set(config["texts"]) == {language.tag for language in widget_languages()}
    # The option the pre-chat form preselects.
    assert f'<option value="{tag}" lang="{tag}" selected>' in response.text


def test_the_frame_may_be_embedded_anywhere_but_runs_no_inline_script(client: TestClient, demo: DemoWorld) -> None:
    response = client.get(f"/widget/{demo.website_token}")
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors *" in policy
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    assert "x-frame-options" not in response.headers


def test_the_default_greeting_is_translated_and_a_greeting_per_language_is_used(
    client: TestClient, demo: DemoWorld, db: Session
) -> None:
    config = frame_config(client.get(f"/widget/{demo.website_token}").text)
    assert config["greetings"]["en"] == "Hi! How can we help you today?"
    assert config["greetings"]["es"] == "¡Hola! ¿En qué podemos ayudarte hoy?"
    assert config["greetings"]["zh-Hans"].startswith("您好")

    inbox = db.get(Inbox, demo.inbox_id)
    assert inbox is not None
    inbox.settings = {"greeting": {"en": "Welcome to the store!", "es": "¡Bienvenida a la tienda!", "zh_Hans": "欢迎光临！"}}
    db.commit()
    config = frame_config(client.get(f"/widget/{demo.website_token}").text)
    assert config["greetings"]["es"] == "¡Bienvenida a la tienda!"
    assert config["greetings"]["zh-Hans"] == "欢迎光临！"
    assert config["greetings"]["fr"] == "Welcome to the store!"  # no French text: the English one

    # An admin's own single greeting is shown as written, in every language.
    by_tag = {language.tag: language for language in widget_languages()}
    inbox.settings = {"greeting": "Hello from Valencia"}
    assert greeting_for(inbox, by_tag["ja"]) == "Hello from Valencia"
    inbox.settings = {}
    assert greeting_for(inbox, by_tag["ja"]) == ""


def test_the_demo_page_embeds_the_widget_like_a_customer_site(client: TestClient, demo: DemoWorld) -> None:
    response = client.get("/demo")
    assert response.status_code == 200
    assert "Dragoman Demo Store" in response.text
    assert f'<script src="/widget.js" data-website-token="{demo.website_token}" async></script>' in response.text
    assert 'href="/login"' in response.text


def test_the_demo_page_says_how_to_seed_the_demo(client: TestClient) -> None:
    response = client.get("/demo")
    assert response.status_code == 200
    assert "dragoman demo" in response.text
    assert 'data-testid="demo-not-seeded"' in response.text
    assert "/widget.js" not in response.text
