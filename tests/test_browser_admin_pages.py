"""The admin's settings pages that used to need the API: e-mail inboxes,
SLA policies and satisfaction results, created, edited and read in the
console, with a bad value shown under its field; agents get no such page."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, BrowserContext, Page, expect

from conftest import DemoWorld, LiveServer, api_token, bearer
from test_browser_console import browser, contexts, new_page, sign_in, signed_in_page  # noqa: F401
from dragoman.channels.email.config import read_email_settings, with_clear_passwords
from dragoman.inboxes.models import Inbox
from test_csat import answered_surveys

pytestmark = pytest.mark.browser


def shoot_both_widths(page: Page, output: Path, name: str) -> None:
    """The page at desktop and phone width, tall enough to show it whole
    (the settings body scrolls inside the window), then back to desktop."""
    page.set_viewport_size({"width": 1280, "height": 1300})
    page.screenshot(path=str(output / f"admin-{name}-1280.png"))
    page.set_viewport_size({"width": 390, "height": 1700})
    page.wait_for_timeout(100)
    page.screenshot(path=str(output / f"admin-{name}-390.png"))
    page.set_viewport_size({"width": 1280, "height": 800})


def test_an_admin_sets_up_mail_and_sla_and_reads_satisfaction_in_the_console(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    page = signed_in_page(contexts, browser, live_server, "admin")

    # -- an e-mail inbox: a bad port is named under its field, the password never comes back
    page.goto(f"{live_server.url}/app/admin/inboxes")
    page.get_by_test_id("add-email-button").click()
    page.locator("#f-name").fill("Support mail")
    page.locator("#f-address").fill("support@shop.example")
    page.locator("#f-imap_host").fill("imap.shop.example")
    page.locator("#f-imap_port").fill("70000")
    page.locator("#f-imap_username").fill("support")
    page.locator("#f-imap_password").fill("imap-secret-1")
    page.locator("#f-smtp_host").fill("smtp.shop.example")
    page.locator("#f-smtp_username").fill("support")
    page.locator("#f-smtp_password").fill("smtp-secret-1")
    page.get_by_test_id("dialog-submit").click()
    port_field = page.locator(".field", has=page.locator("#f-imap_port"))
    expect(port_field.get_by_test_id("field-error")).to_contain_text("settings.imap.port must be a port number from 1 to 65535")
    expect(page.locator("#f-imap_port")).to_have_attribute("aria-invalid", "true")
    page.locator("#f-imap_port").fill("993")
    page.get_by_test_id("dialog-submit").click()
    card = page.get_by_test_id("inbox-card").filter(has_text="Support mail")
    expect(card).to_contain_text("support@shop.example")
    expect(card).to_contain_text("imap.shop.example:993")
    # Trying the servers says, per server, that it does not work and why (these names do not resolve).
    card.get_by_test_id("mail-test").click()
    imap_check = card.locator('[data-testid="mail-check"][data-server="imap"]')
    expect(imap_check).to_contain_text("IMAP server (incoming): does not work")
    expect(imap_check).to_contain_text("imap.shop.example")
    expect(card.locator('[data-testid="mail-check"][data-server="smtp"]')).to_contain_text("does not work")
    shoot_both_widths(page, test_output_dir, "inboxes")
    stored = next(i for i in httpx.get(f"{api}/inboxes", headers=admin).json() if i["name"] == "Support mail")
    assert stored["channel_type"] == "email"
    assert stored["settings"]["imap"]["password"] == "********" and stored["settings"]["smtp"]["host"] == "smtp.shop.example"
    # Editing shows no password; saving without typing one keeps it.
    card.get_by_role("button", name="Edit").click()
    expect(page.locator("#f-imap_password")).to_have_value("")
    expect(page.locator("#form-dialog")).not_to_contain_text("imap-secret-1")
    page.locator("#f-from_name").fill("Shop support")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("#form-dialog")).not_to_be_visible()
    with live_server.ctx.session_factory() as db:
        inbox = db.get(Inbox, stored["id"])
        settings = with_clear_passwords(read_email_settings(inbox.settings), live_server.ctx.settings.secret_key)  # type: ignore[union-attr]
    assert settings.imap.password == "imap-secret-1" and settings.smtp.password == "smtp-secret-1"  # type: ignore[union-attr]
    assert settings.from_name == "Shop support"

    # -- an SLA policy: a bad time is named in its row, then saved, edited and deleted
    page.goto(f"{live_server.url}/app/admin/sla-policies")
    expect(page.get_by_test_id("add-button")).to_be_enabled()
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("Urgent tickets")
    page.locator("#f-priority").select_option("urgent")
    page.locator("[name=first_response_seconds_amount]").fill("30")
    page.locator("[name=first_response_seconds_unit]").select_option("60")
    page.locator("[name=resolution_seconds_amount]").fill("1")
    page.locator("[name=resolution_seconds_unit]").select_option("86400")
    page.locator("#f-timezone").fill("Europe/Berlin")
    page.get_by_test_id("add-sla-hours").click()
    page.locator("[name=hours-end]").first.fill("25:00")
    page.locator("#f-holiday_country").fill("de")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator("[name=hours-end]").first).to_have_attribute("aria-invalid", "true")
    expect(page.locator('[data-testid="sla-hours-row"] + [data-testid="field-error"]')).to_have_text("use a time from 00:00 to 24:00")
    page.screenshot(path=str(test_output_dir / "admin-sla-dialog-error.png"))
    page.locator("[name=hours-end]").first.fill("18:00")
    page.get_by_test_id("add-sla-hours").click()
    page.get_by_test_id("dialog-submit").click()
    row = page.get_by_test_id("sla-policy-row").filter(has_text="Urgent tickets")
    expect(row).to_contain_text("30 min")
    expect(row).to_contain_text("1 d")
    expect(row).to_contain_text("Mon 09:00–18:00 · Tue 09:00–18:00")
    expect(row).to_contain_text("Europe/Berlin · holidays: DE")
    policy = next(p for p in httpx.get(f"{api}/sla_policies", headers=admin).json() if p["name"] == "Urgent tickets")
    assert (policy["first_response_seconds"], policy["resolution_seconds"], policy["holiday_country"]) == (1800, 86400, "DE")
    assert [h["weekday"] for h in policy["hours"]] == [0, 1]
    row.get_by_role("button", name="Edit").click()
    page.locator("[name=first_response_seconds_amount]").fill("1")
    page.locator("[name=first_response_seconds_unit]").select_option("3600")
    page.get_by_test_id("dialog-submit").click()
    expect(row).to_contain_text("1 h")
    shoot_both_widths(page, test_output_dir, "sla-policies")
    # A second policy for the same priority is refused by field.
    page.get_by_test_id("add-button").click()
    page.locator("#f-name").fill("Also urgent")
    page.locator("#f-priority").select_option("urgent")
    page.get_by_test_id("dialog-submit").click()
    expect(page.locator(".field", has=page.locator("#f-priority")).get_by_test_id("field-error")).to_contain_text("already covers priority urgent")
    page.locator("#form-dialog-cancel").click()
    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_role("button", name="Delete").click()
    expect(page.get_by_test_id("sla-policy-row")).to_have_count(0)
    assert httpx.get(f"{api}/sla_policies", headers=admin).json() == []

    # -- satisfaction: the score per agent and language, and the comments
    answered_surveys(live_server.ctx, demo, TestClient(live_server.app), [
        ("maria", "es", 5, "Muy amable, gracias.", 1),
        ("maria", "es", 3, None, 2),
        ("li.wei", "zh-Hans", 4, "很快就解决了我的问题", 3),
    ])
    page.goto(f"{live_server.url}/app/admin/satisfaction")
    expect(page.get_by_test_id("csat-answered")).to_contain_text("3")
    expect(page.get_by_test_id("csat-average")).to_contain_text("4.00 / 5")
    expect(page.get_by_test_id("csat-satisfied")).to_contain_text("66.7%")
    expect(page.get_by_test_id("csat-by-agent").locator(f'tr[data-key="{demo.user("maria").id}"]')).to_contain_text("María García")
    expect(page.get_by_test_id("csat-by-language")).to_contain_text("Spanish")
    # A click on a header sorts the table by it (counts most first); a second click reverses it.
    by_agent = page.get_by_test_id("csat-by-agent")
    by_agent.get_by_role("button", name="Answers").click()
    expect(by_agent.locator("tbody tr").first).to_contain_text("María García")
    expect(by_agent.locator("th", has_text="Answers")).to_have_attribute("aria-sort", "descending")
    by_agent.get_by_role("button", name="Answers").click()
    expect(by_agent.locator("tbody tr").first).to_contain_text("Li Wei")
    expect(by_agent.locator("th", has_text="Answers")).to_have_attribute("aria-sort", "ascending")
    by_agent.get_by_role("button", name="Agent").click()
    expect(by_agent.locator("tbody tr").first).to_contain_text("Li Wei")
    expect(by_agent.locator("tbody tr").last).to_contain_text("María García")
    expect(page.get_by_test_id("csat-comment")).to_have_count(2)
    expect(page.get_by_test_id("csat-comment").first).to_contain_text("Muy amable, gracias.")
    shoot_both_widths(page, test_output_dir, "satisfaction")
    # A period with no answers says so.
    page.get_by_test_id("csat-since").fill("2020-01-01")
    page.get_by_test_id("csat-until").fill("2020-01-31")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_test_id("csat-answered")).to_contain_text("0")
    expect(page.get_by_test_id("csat-by-agent")).to_contain_text("No answers in this period.")
    assert page.script_errors == []  # type: ignore[attr-defined]

    # -- the same pages in Chinese
    chinese = new_page(contexts, browser, locale="zh-CN")
    sign_in(chinese, live_server, "admin")
    for section, heading in (("inboxes", "收件箱"), ("sla-policies", "SLA 策略"), ("satisfaction", "满意度")):
        chinese.goto(f"{live_server.url}/app/admin/{section}")
        expect(chinese.locator(".settings-head h2")).to_have_text(heading)
        expect(chinese.locator("#settings-content .loading")).to_have_count(0)
        shoot_both_widths(chinese, test_output_dir, f"{section}-zh")
    chinese.goto(f"{live_server.url}/app/admin/inboxes")
    chinese.get_by_test_id("add-email-button").click()
    expect(chinese.locator("#form-dialog")).to_contain_text("IMAP 服务器（收信）")
    chinese.screenshot(path=str(test_output_dir / "admin-email-dialog-zh.png"), full_page=True)

    # -- agents have no such pages
    agent = signed_in_page(contexts, browser, live_server, "maria")
    agent.goto(f"{live_server.url}/app/settings/api-tokens")
    expect(agent.get_by_test_id("nav-satisfaction")).to_have_count(0)
    expect(agent.get_by_test_id("nav-sla-policies")).to_have_count(0)
    for section in ("sla-policies", "satisfaction"):
        assert agent.goto(f"{live_server.url}/app/admin/{section}").status == 403  # type: ignore[union-attr]
