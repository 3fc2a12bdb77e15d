"""An e-mail ticket in the agent console: the customer's attachments are
downloads beside the mail, and a reply the mail server did not take says so
on the reply, so the agent knows the customer has not got it."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from conftest import DemoWorld, LiveServer, allow_local_mail_servers, api_token, bearer, wait_until
from servers import free_port
from test_browser_console import Customer, browser, contexts, conversation_item, shoot, signed_in_page  # noqa: F401

pytestmark = pytest.mark.browser


def test_an_agent_sees_a_mails_attachments_and_a_reply_that_did_not_go_out(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin = bearer(api_token(live_server.ctx, demo.user("admin")))
    api = f"{live_server.url}/api/v1/accounts/{demo.account_id}"
    teams = httpx.get(f"{api}/teams", headers=admin).json()
    # Nothing listens on this port: the reply cannot leave (the install allows it, as a local relay).
    closed = free_port()
    allow_local_mail_servers(live_server.ctx.settings, closed)
    created = httpx.post(
        f"{api}/inboxes",
        json={
            "name": "Support mail",
            "channel_type": "email",
            "team_ids": [t["id"] for t in teams],
            "settings": {"address": "support@shop.example", "receive": "smtp",
                         "smtp": {"host": "127.0.0.1", "port": closed, "security": "none"}},
        },
        headers=admin,
    )
    assert created.status_code == 201, created.text
    for body in (
        {"key": "order_number", "type": "text", "labels": {"en": "Order number", "de": "Bestellnummer"}, "required_to_solve": True},
        {"key": "reason", "type": "select", "labels": {"en": "Reason"}, "options": ["damaged", "late", "wrong item"]},
    ):
        assert httpx.post(f"{api}/ticket_fields", json=body, headers=admin).status_code == 201
    email = live_server.ctx.services["email"]
    email.retry_seconds = (3600.0,)
    mail = EmailMessage()
    mail["From"] = "Jonas Weber <jonas@example.de>"
    mail["To"] = "support@shop.example"
    mail["Subject"] = "Paket beschädigt angekommen"
    mail["Message-ID"] = "<damaged-4711@example.de>"
    mail.set_content("Hallo, mein Paket mit der Bestellung 4711 kam beschädigt an. Fotos und Rechnung anbei.")
    mail.add_alternative(
        '<p>Hallo, mein Paket kam <b>beschädigt</b> an.</p><img src="https://tracker.example/open.gif"><script>parent.document.title="owned"</script>',
        subtype="html",
    )
    mail.add_attachment(b"\xff\xd8\xff" + bytes(50_000), maintype="image", subtype="jpeg", filename="paket.jpg")
    mail.add_attachment(b"%PDF-1.4 invoice", maintype="application", subtype="pdf", filename="Rechnung 4711.pdf")
    receipt = email.receive_raw(created.json()["id"], mail.as_bytes())
    assert receipt.outcome == "ticket"

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, receipt.conversation_id).click()
    files = page.get_by_test_id("attachments")
    expect(files).to_contain_text("paket.jpg")
    expect(files).to_contain_text("Rechnung 4711.pdf")
    with page.expect_download() as download:
        files.get_by_role("link", name="Rechnung 4711.pdf").click()
    assert download.value.suggested_filename == "Rechnung 4711.pdf"
    assert Path(download.value.path()).read_bytes() == b"%PDF-1.4 invoice"
    # The sender's formatting, on request, in a frame that runs nothing.
    page.get_by_test_id("mail-html-toggle").click()
    formatted = page.frame_locator("[data-testid=mail-html]")
    expect(formatted.locator("b")).to_have_text("beschädigt")
    expect(formatted.locator("img")).to_have_count(0)
    assert page.title() != "owned"
    card = page.get_by_test_id("ticket-card")
    expect(card).to_contain_text("Paket beschädigt angekommen")
    # The account's own ticket fields, saved as the agent fills them in.
    expect(card).to_contain_text("Order number *")
    # Solving it before the required field is filled in is refused, naming
    # the field by its label, and the card keeps the status it had.
    page.get_by_test_id("ticket-status").select_option("solved")
    expect(page.locator(".toast", has_text="Order number must be filled in before the ticket is solved")).to_be_visible()
    expect(page.get_by_test_id("ticket-status")).not_to_have_value("solved")
    page.get_by_test_id("ticket-field-order_number").fill("4711")
    page.get_by_test_id("ticket-field-order_number").press("Tab")
    page.get_by_test_id("ticket-field-reason").select_option("damaged")
    ticket_url = f"{api}/tickets/{receipt.ticket_id}"
    wait_until(lambda: httpx.get(ticket_url, headers=admin).json()["custom_fields"] == {"order_number": "4711", "reason": "damaged"})

    page.get_by_test_id("reply-input").fill("Das tut uns leid! Wir schicken Ersatz.")
    page.get_by_test_id("reply-send").click()
    problem = page.get_by_test_id("delivery-error")
    expect(problem).to_contain_text("Not sent yet, trying again")
    expect(problem).to_contain_text("could not reach the SMTP server")
    shoot(page, test_output_dir, "email-ticket")
    wait_until(lambda: email.wait_idle())


def mail_inbox(server: LiveServer, demo: DemoWorld) -> tuple[dict[str, str], str, httpx.Response]:
    """An e-mail inbox that receives through the SMTP listener and has no
    server to send through: the admin's headers, the account's API address
    and the inbox as created."""
    admin = bearer(api_token(server.ctx, demo.user("admin")))
    api = f"{server.url}/api/v1/accounts/{demo.account_id}"
    created = httpx.post(
        f"{api}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "settings": {"address": "support@shop.example", "receive": "smtp"}},
        headers=admin,
    )
    assert created.status_code == 201, created.text
    return admin, api, created


def test_an_admin_turns_on_the_acknowledgement_of_new_mail_requests(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path  # noqa: F811
) -> None:
    admin, api, created = mail_inbox(live_server, demo)
    page = signed_in_page(contexts, browser, live_server, "admin")
    page.goto(f"{live_server.url}/app/admin/inboxes")
    card = page.get_by_test_id("inbox-card").filter(has_text="Support mail")
    card.get_by_role("button", name="Edit").click()
    switch = page.locator("label.check", has_text="Answer each new request at once by mail").locator("input")
    expect(switch).not_to_be_checked()
    # A mail inbox has no chat greeting or bot threshold; nothing of theirs is shown (not even "null").
    expect(page.locator("#form-dialog")).not_to_contain_text("Greeting")
    expect(page.locator("#form-dialog")).not_to_contain_text("null")
    switch.check()
    shoot(page, test_output_dir, "email-inbox-acknowledge")
    page.get_by_test_id("dialog-submit").click()
    wait_until(lambda: httpx.get(f"{api}/inboxes/{created.json()['id']}", headers=admin).json()["settings"].get("acknowledge") is True)
    # Address and the rest are kept: the form sends only what it shows.
    assert httpx.get(f"{api}/inboxes/{created.json()['id']}", headers=admin).json()["settings"]["address"] == "support@shop.example"

    mail = EmailMessage()
    mail["From"] = "Léa Martin <lea@example.fr>"
    mail["To"] = "support@shop.example"
    mail["Subject"] = "Commande 4711 pas encore arrivée"
    mail["Message-ID"] = "<commande-4711@example.fr>"
    mail.set_content("Bonjour, ma commande 4711 n'est toujours pas arrivée. Pouvez-vous vérifier, s'il vous plaît ?")
    receipt = live_server.ctx.services["email"].receive_raw(created.json()["id"], mail.as_bytes())
    assert receipt.outcome == "ticket"
    # The agent sees the acknowledgement in the timeline, marked as automatic.
    page.goto(f"{live_server.url}/app")
    conversation_item(page, receipt.conversation_id).click()
    expect(page.get_by_role("list", name="Messages").get_by_text("Merci de nous avoir écrit.")).to_be_visible()
    expect(page.get_by_text("Automatic reply").first).to_be_visible()
    shoot(page, test_output_dir, "email-acknowledged")
    wait_until(lambda: live_server.ctx.services["email"].wait_idle())


def test_an_agent_attaches_a_file_to_a_mail_reply(
    browser: Browser, contexts: list[BrowserContext], live_server: LiveServer, demo: DemoWorld, test_output_dir: Path, tmp_path: Path  # noqa: F811
) -> None:
    admin, api, created = mail_inbox(live_server, demo)
    email = live_server.ctx.services["email"]
    email.retry_seconds = (3600.0,)
    mail = EmailMessage()
    mail["From"] = "Jonas Weber <jonas@example.de>"
    mail["To"] = "support@shop.example"
    mail["Subject"] = "Rechnung 4711 fehlt"
    mail["Message-ID"] = "<rechnung-4711@example.de>"
    mail.set_content("Können Sie mir die Rechnung für Bestellung 4711 schicken?")
    receipt = email.receive_raw(created.json()["id"], mail.as_bytes())
    invoice = tmp_path / "Rechnung 4711.pdf"
    invoice.write_bytes(b"%PDF-1.4 Rechnung 4711" + bytes(3000))

    page = signed_in_page(contexts, browser, live_server, "admin")
    conversation_item(page, receipt.conversation_id).click()
    attach = page.get_by_test_id("attach-files")
    expect(attach).to_be_visible()
    page.get_by_test_id("attach-input").set_input_files(str(invoice))
    expect(page.get_by_test_id("composer-file")).to_contain_text("Rechnung 4711.pdf")
    # A private note carries no files: the button goes while writing one.
    page.get_by_test_id("note-toggle").click()
    expect(attach).to_be_hidden()
    page.get_by_test_id("note-toggle").click()
    page.get_by_test_id("attach-input").set_input_files(str(invoice))
    page.get_by_test_id("reply-input").fill("Anbei die Rechnung.")
    shoot(page, test_output_dir, "email-reply-with-file")
    page.get_by_test_id("reply-send").click()
    sent = page.get_by_test_id("reply-files")
    expect(sent).to_contain_text("Rechnung 4711.pdf")
    expect(page.get_by_test_id("composer-file")).to_have_count(0)
    with page.expect_download() as download:
        sent.get_by_role("link", name="Rechnung 4711.pdf").click()
    assert Path(download.value.path()).read_bytes() == invoice.read_bytes()
    messages = httpx.get(f"{api}/conversations/{receipt.conversation_id}/messages", headers=admin).json()
    assert [f["filename"] for f in messages[-1]["attributes"]["attachments"]] == ["Rechnung 4711.pdf"]
    # A web chat conversation offers files too; the customer downloads them in the chat.
    customer = Customer(live_server, demo.website_token, "Eva", "eva@example.es", language="es")
    chat_id = customer.write("Hola, ¿dónde está mi pedido?")["conversation_id"]
    conversation_item(page, chat_id).click()
    expect(page.get_by_test_id("attach-files")).to_be_visible()
    wait_until(lambda: email.wait_idle())
