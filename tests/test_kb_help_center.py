"""The public help center: pages per account and language, search, links
between language versions, sanitised bodies, and a look at it in Chromium
on a desktop and a phone."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import expect, sync_playwright
from sqlalchemy import select

from conftest import DEMO_PASSWORD, DemoWorld, LiveServer, api_token
from dragoman.conversations.models import Message
from dragoman.core.http import AppContext
from dragoman.inboxes.models import Inbox
from dragoman.kb.pages import matching_locale
from servers import CHROMIUM_ARGS, chromium_executable


def hc(demo: DemoWorld) -> str:
    return f"/hc/{demo.account_id}"


def article_id(client: TestClient, demo: DemoWorld, as_user, slug: str) -> int:  # type: ignore[no-untyped-def]
    articles = client.get(f"/api/v1/accounts/{demo.account_id}/kb/articles", headers=as_user(demo.user("admin"))).json()
    return next(a["id"] for a in articles if a["slug"] == slug)  # type: ignore[no-any-return]


def test_the_root_sends_the_browser_to_its_language(client: TestClient, demo: DemoWorld) -> None:
    response = client.get(hc(demo), headers={"Accept-Language": "de-CH,de;q=0.9"}, follow_redirects=False)
    assert response.status_code == 302 and response.headers["location"] == f"{hc(demo)}/de"
    korean = client.get(hc(demo), headers={"Accept-Language": "ko"}, follow_redirects=False)
    assert korean.headers["location"] == f"{hc(demo)}/en"


@pytest.mark.parametrize("spelling", ["zh-Hans", "zh-CN", "zh_Hans", "ZH", "zh-hans-CN"])
def test_other_spellings_of_a_language_lead_to_its_pages(client: TestClient, demo: DemoWorld, spelling: str) -> None:
    home = client.get(f"{hc(demo)}/{spelling}", follow_redirects=False)
    assert home.status_code == 301 and home.headers["location"] == f"{hc(demo)}/zh"
    search = client.get(f"{hc(demo)}/{spelling}/search", params={"q": "退货"}, follow_redirects=False)
    assert search.status_code == 301 and search.headers["location"].startswith(f"{hc(demo)}/zh/search?q=")
    assert client.get(f"{hc(demo)}/{spelling}").status_code == 200


def test_the_rule_for_spellings_of_a_language() -> None:
    assert matching_locale("pt-BR", ["pt-BR", "pt-PT"]) == "pt-BR"
    assert matching_locale("pt", ["pt-BR", "pt-PT"]) is None  # two candidates: no guess
    assert matching_locale("pt-AO", ["en", "pt-PT"]) == "pt-PT"
    assert matching_locale("ko", ["en", "zh"]) is None


def test_home_lists_categories_and_articles_in_the_language(client: TestClient, demo: DemoWorld) -> None:
    page = client.get(f"{hc(demo)}/es")
    assert page.status_code == 200 and page.headers["content-language"] == "es"
    assert 'lang="es" dir="ltr"' in page.text
    assert "Pedidos y envíos" in page.text and "¿Dónde está mi pedido?" in page.text
    assert "Where is my order?" not in page.text
    arabic = client.get(f"{hc(demo)}/ar")
    assert 'dir="rtl"' in arabic.text and "أين طلبي؟" in arabic.text
    # No external asset: no script, no stylesheet link, nothing from another host.
    assert "<script" not in page.text and "<link" not in page.text and "http://" not in page.text and "https://" not in page.text


def test_article_page_links_its_other_language_versions(client: TestClient, demo: DemoWorld, as_user) -> None:  # type: ignore[no-untyped-def]
    ident = article_id(client, demo, as_user, "shipping-costs")
    page = client.get(f"{hc(demo)}/fr/articles/{ident}-shipping-costs")
    assert page.status_code == 200
    assert "Combien coûte la livraison ?" in page.text
    assert "<li>Standard (3 à 5 jours ouvrés)" in page.text  # "- " lines became a list
    for code in ("en", "es", "de", "pt", "zh", "ja", "ar"):
        assert f'href="{hc(demo)}/{code}/articles/{ident}-shipping-costs"' in page.text
    # The id alone, or an old slug, redirects to the one address of the page.
    short = client.get(f"{hc(demo)}/fr/articles/{ident}", follow_redirects=False)
    assert short.status_code == 301 and short.headers["location"] == f"{hc(demo)}/fr/articles/{ident}-shipping-costs"


def test_search_finds_articles_and_says_so_when_nothing_matches(client: TestClient, demo: DemoWorld) -> None:
    found = client.get(f"{hc(demo)}/de/search", params={"q": "Rücksendung Paket"})
    assert found.status_code == 200 and 'data-testid="hc-results"' in found.text
    assert "Wie schicke ich einen Artikel zurück?" in found.text
    nothing = client.get(f"{hc(demo)}/de/search", params={"q": "xyzzy"})
    assert 'data-testid="hc-no-results"' in nothing.text
    huge = client.get(f"{hc(demo)}/de/search", params={"q": "Paket " * 9000})
    assert huge.status_code == 200
    empty = client.get(f"{hc(demo)}/de/search", params={"q": ""})
    assert empty.status_code == 200 and 'data-testid="hc-no-results"' in empty.text


@pytest.mark.parametrize(
    "path", ["/ko", "/es/articles/999999-nope", "/es/articles/abc", "/es/nope/x", "/es/articles/99999999999999999999999-big"]
)
def test_missing_pages_are_a_friendly_404(client: TestClient, demo: DemoWorld, path: str) -> None:
    response = client.get(hc(demo) + path)
    assert response.status_code == 404
    if path != "/es/nope/x":
        assert 'data-testid="hc-not-found"' in response.text
    assert client.get("/hc/987654/en").status_code == 404


def test_drafts_are_not_public_and_bodies_are_sanitised(client: TestClient, demo: DemoWorld, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user(demo.user("admin"))
    kb = f"/api/v1/accounts/{demo.account_id}/kb"
    broken = '<p>Fine <b>bold <a href="javascript:alert(1)" onclick="steal()">click</a><script>alert("x")</script><img src=x onerror=alert(2)> <div>unclosed'
    created = client.post(
        f"{kb}/articles",
        json={
            "slug": "broken-markup",
            "versions": [
                {"language": "en", "title": "Broken <markup>", "body": broken, "status": "published"},
                {"language": "es", "title": "Borrador", "body": "Aún no.", "status": "draft"},
            ],
        },
        headers=admin,
    ).json()
    page = client.get(f"{hc(demo)}/en/articles/{created['id']}-broken-markup")
    assert page.status_code == 200
    assert "<script" not in page.text and "onerror" not in page.text and "onclick" not in page.text
    assert "javascript:" not in page.text
    assert "Broken &lt;markup&gt;" in page.text and "<b>bold" in page.text
    assert client.get(f"{hc(demo)}/es/articles/{created['id']}-broken-markup").status_code == 404
    assert f"{created['id']}-broken-markup" not in client.get(f"{hc(demo)}/en/articles/{created['id']}-broken-markup").text.split("hc-other-languages")[-1]


@pytest.mark.browser
def test_the_help_center_reads_well_on_a_desktop_and_a_phone(
    live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    base = f"{live_server.url}/hc/{demo.account_id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        try:
            desktop = browser.new_page(viewport={"width": 1280, "height": 900})
            desktop.goto(f"{base}/en")
            assert desktop.get_by_test_id("hc-categories").locator("section").count() == 5
            desktop.screenshot(path=str(test_output_dir / "hc-home-en-desktop.png"), full_page=True)
            desktop.get_by_test_id("hc-search-input").fill("my parcel never arrived")
            desktop.keyboard.press("Enter")
            desktop.wait_for_url("**/search?q=*")
            desktop.screenshot(path=str(test_output_dir / "hc-search-en-desktop.png"), full_page=True)
            desktop.get_by_test_id("hc-results").locator("a").first.click()
            desktop.get_by_test_id("hc-article").wait_for()
            desktop.screenshot(path=str(test_output_dir / "hc-article-en-desktop.png"), full_page=True)
            # Follow the link to the Japanese version.
            desktop.get_by_test_id("hc-other-languages").locator('a[lang="ja"]').click()
            desktop.wait_for_url("**/ja/articles/*")
            assert desktop.locator("html").get_attribute("lang") == "ja"
            desktop.screenshot(path=str(test_output_dir / "hc-article-ja-desktop.png"), full_page=True)

            phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
            phone.goto(f"{base}/ar")
            assert phone.locator("html").get_attribute("dir") == "rtl"
            # Nothing wider than the phone: no sideways scrolling.
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            phone.screenshot(path=str(test_output_dir / "hc-home-ar-phone.png"), full_page=True)
            phone.goto(f"{base}/es")
            phone.locator("a", has_text="¿Cuánto cuesta el envío?").click()
            phone.get_by_test_id("hc-article").wait_for()
            assert phone.evaluate("document.documentElement.scrollWidth") <= 390
            phone.screenshot(path=str(test_output_dir / "hc-article-es-phone.png"), full_page=True)
        finally:
            browser.close()


def _customer_says(server: LiveServer, demo: DemoWorld, language: str, text: str) -> None:
    visitor = httpx.post(f"{server.url}/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": language})
    sent = httpx.post(
        f"{server.url}/widget/api/messages", json={"content": text}, headers={"X-Visitor-Token": visitor.json()["visitor_token"]}
    )
    assert sent.status_code == 201, sent.text
    assert server.ctx.services["faq_bot"].wait_idle(30)


@pytest.mark.browser
def test_admins_see_what_the_bot_did_and_turn_a_question_into_an_article(
    live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    with live_server.ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "bot": True}
        db.commit()
    _customer_says(live_server, demo, "es", "¿Dónde está mi pedido?")
    _customer_says(live_server, demo, "de", "Wie lange dauert die Lieferung?")
    _customer_says(live_server, demo, "en", "Are gift certificates available?")
    _customer_says(live_server, demo, "en", "Zero sign of the box since Tuesday")
    admin = {"Authorization": f"Bearer {api_token(live_server.ctx, demo.user('admin'))}"}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
            page.goto(f"{live_server.url}/login")
            page.get_by_test_id("login-email").fill("admin@demo.dragoman.test")
            page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
            page.get_by_test_id("login-submit").click()
            page.wait_for_url(re.compile(r"/app"))
            page.goto(f"{live_server.url}/app/kb/bot")
            stats = page.get_by_test_id("kb-stats")
            assert stats.locator("tbody tr").count() == 3  # de, en, es
            unanswered = page.get_by_test_id("kb-unanswered")
            assert "Are gift certificates available?" in unanswered.inner_text()
            page.screenshot(path=str(test_output_dir / "kb-bot-admin.png"), full_page=True)
            form = unanswered.locator("li", has_text="Are gift certificates").locator('form[data-mode="new"]')
            form.locator('input[name="slug"]').fill("gift-vouchers")
            form.locator('input[name="title"]').fill("Gift vouchers")
            form.locator('input[name="summary"]').fill("Yes: vouchers from 10 to 200 euros, sent by e-mail.")
            form.locator("button").click()
            expect(unanswered.locator("li")).to_have_count(1)
            # The other asks where a parcel is: a new way of asking an article that exists.
            parcel = unanswered.locator("li", has_text="Zero sign of the box")
            parcel.get_by_test_id("kb-add-to").select_option(label="Where is my order?")
            parcel.get_by_role("button", name="Add as a way of asking it").click()
            page.get_by_text("Nothing waiting").wait_for()
            page.screenshot(path=str(test_output_dir / "kb-bot-admin-after.png"), full_page=True)
            # An Italian customer: no article has an Italian version; the admin
            # has them all machine-translated as drafts to review.
            _customer_says(live_server, demo, "it", "Quanto costa la spedizione in Italia?")
            page.reload()
            italian = page.get_by_test_id("kb-stats").locator("tbody tr", has_text="it")
            articles = len(httpx.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/kb/articles", headers=admin).json())
            expect(italian.locator(".kb-coverage")).to_contain_text(f"0 / {articles}")
            italian.get_by_test_id("kb-translate-it").click()
            expect(italian.locator(".kb-coverage")).to_contain_text(f"{articles} drafts to review", timeout=90_000)
            expect(italian.get_by_test_id("kb-translate-it")).to_have_count(0)
            page.screenshot(path=str(test_output_dir / "kb-bot-admin-translated.png"), full_page=True)
            # No engine here reaches Korean: the page says so and nothing is made.
            _customer_says(live_server, demo, "ko", "배송비는 얼마인가요?")
            page.reload()
            korean = page.get_by_test_id("kb-stats").locator("tbody tr", has_text="ko")
            korean.get_by_test_id("kb-translate-ko").click()
            expect(korean.locator(".kb-status")).to_contain_text(f"0 translated, {articles} not")
            expect(korean.locator(".kb-status")).to_contain_text("no engine translates into ko")
            expect(korean.locator(".kb-coverage")).to_contain_text(f"0 / {articles}")
        finally:
            browser.close()
    _customer_says(live_server, demo, "en", "Are gift certificates available?")
    with live_server.ctx.session_factory() as db:
        last = db.scalar(select(Message).order_by(Message.id.desc()).limit(1))
        assert last is not None and last.content.startswith("Yes: vouchers")
    articles = httpx.get(f"{live_server.url}/api/v1/accounts/{demo.account_id}/kb/articles", headers=admin).json()
    [english] = [v for a in articles if a["slug"] == "where-is-my-order" for v in a["versions"] if v["language"] == "en"]
    assert english["questions"][-1] == "Zero sign of the box since Tuesday"


def test_the_bot_page_is_for_supervisors_and_admins(client: TestClient, demo: DemoWorld, ctx: AppContext, as_user) -> None:  # type: ignore[no-untyped-def]
    with ctx.session_factory() as db:
        inbox = db.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "bot": True, "bot_threshold": 0.61}
        db.commit()
        inbox_name = inbox.name
    anonymous = client.get("/app/kb/bot", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    agent = client.get("/app/kb/bot", headers=as_user(demo.user("maria")))
    assert agent.status_code == 403 and 'data-testid="kb-forbidden"' in agent.text
    supervisor = client.get("/app/kb/bot", headers=as_user(demo.user("supervisor")))
    assert supervisor.status_code == 200 and 'data-testid="kb-stats"' in supervisor.text
    # How the bot scores, and each bot inbox's threshold for that scoring.
    # The tests run the server without the embedding model.
    assert "By words only" in supervisor.text and "DRAGOMAN_BOT_EMBEDDINGS=false" in supervisor.text
    # The inbox's 0.61 was set for embedding scores, so words-only scoring uses its default.
    thresholds = supervisor.text.split('data-testid="kb-thresholds"')[1].split("</table>")[0]
    assert inbox_name in thresholds and "<strong>0.25</strong> (the default)" in thresholds and "0.61" not in thresholds
    assert "bot_words_threshold" in supervisor.text
    # Only admins get the forms (and the script that sends them).
    assert "kb_admin.js" not in supervisor.text
    assert client.get("/app/kb/assets/kb_admin.js").status_code == 200
    assert client.get("/app/kb/assets/admin.py").status_code == 404


@pytest.mark.browser
def test_an_admin_writes_an_article_machine_translates_a_language_and_reviews_it(
    live_server: LiveServer, demo: DemoWorld, test_output_dir: Path
) -> None:
    from conftest import bearer

    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    account = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_executable(), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900}, locale="en-US")
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.goto(f"{live_server.url}/login")
            page.get_by_test_id("login-email").fill("admin@demo.dragoman.test")
            page.get_by_test_id("login-password").fill(DEMO_PASSWORD)
            page.get_by_test_id("login-submit").click()
            page.wait_for_url(re.compile(r"/app"))
            page.get_by_test_id("nav-kb").click()
            page.wait_for_url(re.compile(r"/app/kb/articles$"))
            items = page.get_by_test_id("article-item")
            items.first.wait_for()
            demo_count = items.count()
            assert demo_count >= 10  # the demo store's articles

            page.get_by_test_id("new-article").click()
            form = page.get_by_test_id("article-form")
            form.locator("[name=slug]").fill("Gift Vouchers!")
            form.locator("[name=title]").fill("Gift vouchers")
            form.locator("[name=summary]").fill("We sell gift vouchers from 10 to 200 euros, sent by e-mail within minutes.")
            form.locator("[name=body]").fill("Buy them under **Gifts**. A voucher is valid for two years.")
            form.locator("[name=questions]").fill("Do you sell gift cards?\nCan I give a voucher as a present?\nhow long is a voucher valid")
            form.locator("[name=status][value=published]").check()
            page.get_by_test_id("save-article").click()
            expect(page.get_by_test_id("form-error")).to_contain_text("slug")
            expect(form.locator("[name=slug]")).to_have_attribute("aria-invalid", "true")
            form.locator("[name=slug]").fill("gift-vouchers")
            page.get_by_test_id("save-article").click()
            expect(page.get_by_test_id("saved")).to_have_text("Saved.")
            expect(items).to_have_count(demo_count + 1)
            expect(page.locator("#editor-title")).to_have_text("Article: Gift vouchers")

            # Spanish is missing: machine-translate it, read it, publish it.
            page.locator('[data-testid="language-tab"][data-language="es"]').click()
            expect(page.locator("#missing-note")).to_be_visible()
            page.get_by_test_id("translate-version").click()
            expect(page.get_by_test_id("mt-note")).to_be_visible()
            expect(page.locator('[data-testid="language-tab"][data-language="es"]')).to_contain_text("machine-translated")
            title = form.locator("[name=title]").input_value()
            assert title and title != "Gift vouchers"
            page.screenshot(path=str(test_output_dir / "kb-article-editor.png"), full_page=True)
            form.locator("[name=status][value=published]").check()
            page.get_by_test_id("save-article").click()
            expect(page.get_by_test_id("saved")).to_have_text("Saved.")
            expect(page.get_by_test_id("mt-note")).to_be_hidden()

            # Import: a broken file is refused with the reason; a CSV of questions adds a draft article.
            page.get_by_test_id("import-file").set_input_files(
                files=[{"name": "base.json", "mimeType": "application/json", "buffer": b'{"format": "dragoman-kb",'}]
            )
            expect(page.get_by_test_id("import-status")).to_contain_text("Not imported: the file is not valid JSON")
            csv_file = "article,language,question,answer\nstore-opening-hours,en,When is your shop open?,Monday to Saturday 9-19.\n"
            page.get_by_test_id("import-file").set_input_files(
                files=[{"name": "questions.csv", "mimeType": "text/csv", "buffer": csv_file.encode()}]
            )
            expect(page.get_by_test_id("import-status")).to_contain_text("Imported: 1 new articles")
            expect(items).to_have_count(demo_count + 2)
            expect(items.filter(has_text="When is your shop open?")).to_contain_text("1 draft")
            assert errors == []
        finally:
            browser.close()

    [article] = [a for a in httpx.get(f"{account}/kb/articles", headers=admin).json() if a["slug"] == "gift-vouchers"]
    versions = {v["language"]: v for v in article["versions"]}
    assert versions["en"]["status"] == "published" and versions["en"]["questions"][0] == "Do you sell gift cards?"
    assert versions["es"]["status"] == "published" and versions["es"]["machine_translated"] is False
    # Published: the help center shows it in both languages.
    for language in ("en", "es"):
        shown = httpx.get(f"{live_server.url}/hc/{demo.account_id}/{language}/articles/{article['id']}-gift-vouchers")
        assert shown.status_code == 200 and versions[language]["title"] in shown.text


def test_the_article_editor_is_for_admins(client: TestClient, demo: DemoWorld, as_user) -> None:  # type: ignore[no-untyped-def]
    anonymous = client.get("/app/kb/articles", follow_redirects=False)
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    assert client.get("/app/kb/articles", headers=as_user(demo.user("supervisor"))).status_code == 403
    admin = client.get("/app/kb/articles", headers=as_user(demo.user("admin")))
    assert admin.status_code == 200 and 'id="article-form"' in admin.text
    assert client.get("/app/kb/assets/kb_articles.js").status_code == 200


def test_the_bot_page_names_the_articles_with_few_ways_of_asking(client: TestClient, demo: DemoWorld, as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user(demo.user("admin"))
    # The demo writes many ways of asking per article and language: nothing to name.
    page = client.get("/app/kb/bot", headers=admin).text
    assert 'data-testid="kb-thin-row"' not in page and "Every published article has at least 5 ways of asking" in page
    created = client.post(
        f"/api/v1/accounts/{demo.account_id}/kb/articles",
        json={"slug": "gift-cards", "versions": [
            {"language": "en", "title": "Gift cards", "summary": "From 10 to 200 euros.", "questions": ["Do you sell gift cards?"], "status": "published"},
            {"language": "de", "title": "Gutscheine", "summary": "Von 10 bis 200 Euro.", "questions": ["Gutschein?"], "status": "draft"},
        ]},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    page = client.get("/app/kb/bot", headers=admin).text
    rows = re.findall(r'data-testid="kb-thin-row" data-language="(\w+)"><td>\w+</td><td>([^<]*)</td>', page)
    # The English version is published with one way of asking; the German one is a draft the bot does not use.
    assert rows == [("en", "Gift cards (1)")]
