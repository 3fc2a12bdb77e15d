"""The e-mail channel end to end, against real servers: customers' mail comes
in through Dragoman's SMTP listener (aiosmtpd) or from a Dovecot IMAP
mailbox (with IDLE), becomes a ticket, and the agent's reply leaves through
an SMTP server that asks for STARTTLS and a login, with headers that thread
it; the customer's answer lands on the same ticket."""

from __future__ import annotations

import base64
import dataclasses
import email
import email.policy
import imaplib
import ipaddress
import smtplib
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from email.header import Header
from email.utils import formatdate
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from fastapi.testclient import TestClient

from conftest import DemoWorld, allow_local_mail_servers, seed_demo_world, wait_until
from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core import outbound
from dragoman.core.http import AppContext
from dragoman.inboxes.models import Inbox
from servers import DovecotServer, free_port, start_dovecot

ADDRESS = "support@shop.example"
PROVIDER_USER = "relay-user"
PROVIDER_PASSWORD = "relay-password"


@dataclasses.dataclass
class Delivered:
    mail_from: str
    rcpt_tos: list[str]
    raw: bytes
    over_tls: bool
    login: str | None

    @property
    def message(self) -> email.message.EmailMessage:
        return email.message_from_bytes(self.raw, policy=email.policy.default)  # type: ignore[return-value]


class Provider:
    """The company's outgoing mail server: STARTTLS required, then a login."""

    def __init__(self, cert: Path, key: Path) -> None:
        self.delivered: list[Delivered] = []
        self.port = free_port()
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        self.controller = Controller(
            self,
            hostname="127.0.0.1",
            port=self.port,
            tls_context=context,
            require_starttls=True,
            authenticator=self.authenticate,
            auth_required=True,
        )

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and auth_data.login == PROVIDER_USER.encode() and auth_data.password == PROVIDER_PASSWORD.encode()
        return AuthResult(success=ok, auth_data=auth_data)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        login = session.auth_data.login.decode() if session.authenticated and isinstance(session.auth_data, LoginPassword) else None
        self.delivered.append(Delivered(envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content or envelope.content, session.ssl is not None, login))
        return "250 OK"


@pytest.fixture(scope="module")
def dovecot() -> Iterator[DovecotServer]:
    server = start_dovecot()
    yield server
    server.stop()


@pytest.fixture
def provider(dovecot: DovecotServer, settings: Settings) -> Iterator[Provider]:
    # The certificate Dovecot's test setup made serves here too: one throwaway CA file.
    relay = Provider(dovecot.cert_path, dovecot.cert_path.with_name("key.pem"))
    # An on-premises relay: the install allows 127.0.0.1 on its port, no other.
    allow_local_mail_servers(settings, relay.port)
    relay.controller.start()
    yield relay
    relay.controller.stop()


@pytest.fixture
def listen_port() -> int:
    return free_port()


@pytest.fixture
def mail_app(settings: Settings, listen_port: int) -> Any:
    # The same Settings object, not a copy: the allow-list a test sets counts for the app.
    settings.smtp_listen = f"127.0.0.1:{listen_port}"
    return create_app(settings)


@pytest.fixture
def mail_client(mail_app: Any) -> Iterator[TestClient]:
    with TestClient(mail_app) as test_client:
        yield test_client


@pytest.fixture
def mail_ctx(mail_app: Any) -> AppContext:
    return mail_app.state.ctx  # type: ignore[no-any-return]


@pytest.fixture
def mail_demo(mail_ctx: AppContext) -> DemoWorld:
    return seed_demo_world(mail_ctx)


def base(demo: DemoWorld) -> str:
    return f"/api/v1/accounts/{demo.account_id}"


def smtp_settings(provider: Provider, dovecot: DovecotServer) -> dict[str, Any]:
    return {
        "host": "127.0.0.1",
        "port": provider.port,
        "security": "starttls",
        "username": PROVIDER_USER,
        "password": PROVIDER_PASSWORD,
        "ca_certificates": dovecot.cert_path.read_text(),
    }


def make_inbox(client: TestClient, demo: DemoWorld, admin: dict[str, str], settings: dict[str, Any]) -> dict[str, Any]:
    teams = client.get(f"{base(demo)}/teams", headers=admin).json()
    response = client.post(
        f"{base(demo)}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "team_ids": [t["id"] for t in teams], "settings": settings},
        headers=admin,
    )
    assert response.status_code == 201, response.text
    return response.json()  # type: ignore[no-any-return]


def mail(
    *,
    sender: str,
    subject: str,
    body: str,
    message_id: str,
    charset: str = "utf-8",
    to: str = ADDRESS,
    headers: dict[str, str] | None = None,
) -> bytes:
    head = [
        f"From: {Header('Kunde', 'utf-8').encode()} <{sender}>",
        f"To: {to}",
        f"Subject: {Header(subject, charset).encode()}",
        f"Message-ID: <{message_id}>",
        f"Date: {formatdate()}",
        "MIME-Version: 1.0",
        f"Content-Type: text/plain; charset={charset}",
        "Content-Transfer-Encoding: base64",
    ]
    head += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(head) + "\r\n\r\n").encode("ascii") + base64.encodebytes(body.encode(charset)).replace(b"\n", b"\r\n")


def send_to_listener(port: int, sender: str, raw: bytes, to: str = ADDRESS) -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as smtp:
        smtp.sendmail(sender, [to], raw)


def tickets_of(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> list[dict[str, Any]]:
    response = client.get(f"{base(demo)}/tickets", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()["items"]  # type: ignore[no-any-return]


def messages_of(client: TestClient, demo: DemoWorld, admin: dict[str, str], conversation_id: int) -> list[dict[str, Any]]:
    response = client.get(f"{base(demo)}/conversations/{conversation_id}/messages", headers=admin)
    assert response.status_code == 200, response.text
    return response.json()  # type: ignore[no-any-return]


def test_mail_to_the_listener_becomes_a_ticket_the_reply_threads_and_the_answer_joins_it(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider, dovecot: DovecotServer, listen_port: int
) -> None:
    admin = as_user(mail_demo.user("admin"))
    inbox = make_inbox(
        mail_client, mail_demo, admin,
        {"address": ADDRESS, "from_name": "Shop Support", "receive": "smtp", "smtp": smtp_settings(provider, dovecot)},
    )
    # The mailbox password is never shown back, and a form that sends the mask keeps it.
    assert inbox["settings"]["smtp"]["password"] == "********"
    patched = mail_client.patch(
        f"{base(mail_demo)}/inboxes/{inbox['id']}", json={"settings": {"smtp": inbox["settings"]["smtp"]}}, headers=admin
    )
    assert patched.status_code == 200, patched.text
    # Stored sealed: a copy of the database alone does not give the mailbox away.
    with mail_ctx.session_factory() as db:
        stored = db.get(Inbox, inbox["id"]).settings["smtp"]["password"]  # type: ignore[union-attr]
    assert stored.startswith("sealed:v1:") and PROVIDER_PASSWORD not in stored

    send_to_listener(
        listen_port, "aiko@example.jp",
        mail(sender="aiko@example.jp", subject="注文 4711 が届きません", body="先週注文した商品がまだ届いていません。確認していただけますか。",
             message_id="first-4711@example.jp", charset="iso-2022-jp"),
    )
    [ticket] = wait_until(lambda: tickets_of(mail_client, mail_demo, admin))
    assert ticket["subject"] == "注文 4711 が届きません"
    assert ticket["source"] == "email"
    conversation_id = ticket["conversation_id"]
    [first] = messages_of(mail_client, mail_demo, admin, conversation_id)
    assert first["content"].startswith("先週注文した商品がまだ届いていません")
    assert first["source_id"] == "first-4711@example.jp"
    conversation = mail_client.get(f"{base(mail_demo)}/conversations/{conversation_id}", headers=admin).json()
    assert conversation["language"] == "ja"

    reply = mail_client.post(
        f"{base(mail_demo)}/conversations/{conversation_id}/messages",
        json={"content": "ご連絡ありがとうございます。配送状況を確認しております。"},
        headers=admin,
    )
    assert reply.status_code == 201, reply.text
    delivered = wait_until(lambda: provider.delivered, timeout=10)[0]
    assert delivered.over_tls and delivered.login == PROVIDER_USER
    assert delivered.rcpt_tos == ["aiko@example.jp"]
    sent = delivered.message
    assert sent["In-Reply-To"] == "<first-4711@example.jp>"
    assert "<first-4711@example.jp>" in sent["References"]
    assert sent["Subject"] == f"Re: 注文 4711 が届きません [#{ticket['id']}]"
    assert sent["From"].addresses[0].addr_spec == ADDRESS and sent["From"].addresses[0].display_name == "Shop Support"
    assert "配送状況を確認しております" in sent.get_content()
    our_id = sent["Message-ID"].strip("<>")
    stored = wait_until(
        lambda: [m for m in messages_of(mail_client, mail_demo, admin, conversation_id) if m["id"] == reply.json()["id"] and m["source_id"]]
    )[0]
    assert stored["source_id"] == our_id
    assert stored["delivery_status"] == "sent" and stored["delivery_error"] is None

    # The customer answers our reply (In-Reply-To our Message-ID): same ticket.
    send_to_listener(
        listen_port, "aiko@example.jp",
        mail(sender="aiko@example.jp", subject=f"Re: 注文 4711 [#{ticket['id']}]", body="ありがとうございます。待っています。\n\n> 配送状況を確認しております。",
             message_id="second-4711@example.jp", headers={"In-Reply-To": f"<{our_id}>", "References": f"<first-4711@example.jp> <{our_id}>"}),
    )
    # Incoming, our reply (which made the ticket the admin's: an activity line), the answer.
    wait_until(lambda: len([m for m in messages_of(mail_client, mail_demo, admin, conversation_id) if m["direction"] != "activity"]) == 3)
    assert len(tickets_of(mail_client, mail_demo, admin)) == 1
    answer = messages_of(mail_client, mail_demo, admin, conversation_id)[-1]
    assert answer["content"] == "ありがとうございます。待っています。"  # the quoted reply folded away

    # An out-of-office answer to our reply: no ticket, no reply back (no loop), a timeline line.
    send_to_listener(
        listen_port, "aiko@example.jp",
        mail(sender="aiko@example.jp", subject="Automatic reply: away", body="I am away until Monday.",
             message_id="ooo-1@example.jp", headers={"Auto-Submitted": "auto-replied", "In-Reply-To": f"<{our_id}>"}),
    )
    lines = wait_until(lambda: [m for m in messages_of(mail_client, mail_demo, admin, conversation_id) if m["direction"] == "activity" and m["attributes"].get("activity") != "assigned"])
    assert "Auto-Submitted: auto-replied" in lines[-1]["content"]
    assert len(tickets_of(mail_client, mail_demo, admin)) == 1
    mail_ctx.services["email"].wait_idle()
    assert len(provider.delivered) == 1

    # Nobody here receives mail for another address: refused at RCPT, before any data.
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_to_listener(listen_port, "x@example.org", mail(sender="x@example.org", subject="hi", body="hi", message_id="x@example.org"), to="sales@other.example")
    assert refused.value.recipients["sales@other.example"][0] == 550


def test_a_new_request_is_acknowledged_by_mail_in_the_customers_language_once(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider, dovecot: DovecotServer, listen_port: int
) -> None:
    admin = as_user(mail_demo.user("admin"))
    inbox = make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": smtp_settings(provider, dovecot), "acknowledge": True})
    url = f"{base(mail_demo)}/inboxes/{inbox['id']}"
    refused = mail_client.patch(url, json={"settings": {"acknowledge": "yes"}}, headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "settings.acknowledge"
    assert mail_client.get(url, headers=admin).json()["settings"]["acknowledge"] is True  # nothing lost

    send_to_listener(
        listen_port, "lucia@example.es",
        mail(sender="lucia@example.es", subject="Mi pedido 4711 no ha llegado",
             body="Hola, hice un pedido la semana pasada y todavía no ha llegado. ¿Pueden revisarlo, por favor?",
             message_id="pedido-4711@example.es"),
    )
    [ticket] = wait_until(lambda: tickets_of(mail_client, mail_demo, admin))
    sent = wait_until(lambda: provider.delivered, timeout=10)[0].message
    assert sent["To"] == "lucia@example.es" and sent["In-Reply-To"] == "<pedido-4711@example.es>"
    assert sent["Subject"] == f"Re: Mi pedido 4711 no ha llegado [#{ticket['id']}]"
    # RFC 3834: an auto-responder on the customer's side must not answer it.
    assert sent["Auto-Submitted"] == "auto-replied"
    body = sent.get_content()
    assert body.startswith("Gracias por escribirnos") and f"#{ticket['id']}" in body
    # The agent sees it in the timeline as an automatic reply, not as a person's answer.
    messages = wait_until(lambda: [m for m in messages_of(mail_client, mail_demo, admin, ticket["conversation_id"]) if m["source_id"]][1:])
    acknowledged = messages[0]
    assert acknowledged["sender_type"] == "system" and acknowledged["attributes"]["auto_reply"]["kind"] == "acknowledged"
    assert acknowledged["attributes"]["auto_reply"]["language"] == "es"

    # The customer answers on the thread: the same request, acknowledged once.
    send_to_listener(
        listen_port, "lucia@example.es",
        mail(sender="lucia@example.es", subject=f"Re: Mi pedido 4711 no ha llegado [#{ticket['id']}]", body="El número de pedido es 4711.",
             message_id="pedido-4711-b@example.es", headers={"In-Reply-To": f"<{acknowledged['source_id']}>"}),
    )
    wait_until(lambda: len(messages_of(mail_client, mail_demo, admin, ticket["conversation_id"])) == 3)
    # An out-of-office on a new thread: no request, so nothing to acknowledge.
    send_to_listener(
        listen_port, "otto@example.de",
        mail(sender="otto@example.de", subject="Abwesenheitsnotiz", body="Ich bin bis Montag nicht im Büro.",
             message_id="ooo-2@example.de", headers={"Auto-Submitted": "auto-replied"}),
    )
    # A person's reply goes out unmarked.
    reply = mail_client.post(
        f"{base(mail_demo)}/conversations/{ticket['conversation_id']}/messages", json={"content": "Lo estamos revisando."}, headers=admin
    )
    assert reply.status_code == 201, reply.text
    wait_until(lambda: len(provider.delivered) == 2, timeout=10)
    mail_ctx.services["email"].wait_idle()
    assert len(tickets_of(mail_client, mail_demo, admin)) == 1
    assert len(provider.delivered) == 2
    assert provider.delivered[1].message["Auto-Submitted"] is None
    assert "Lo estamos revisando." in provider.delivered[1].message.get_content()


def test_an_agent_sends_files_with_a_reply_and_the_customer_gets_them_attached(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider, dovecot: DovecotServer, listen_port: int
) -> None:
    admin = as_user(mail_demo.user("admin"))
    make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": smtp_settings(provider, dovecot)})
    send_to_listener(
        listen_port, "jonas@example.de",
        mail(sender="jonas@example.de", subject="Rechnung 4711 fehlt", body="Können Sie mir die Rechnung schicken?", message_id="rechnung-4711@example.de"),
    )
    [ticket] = wait_until(lambda: tickets_of(mail_client, mail_demo, admin))
    conversation = f"{base(mail_demo)}/conversations/{ticket['conversation_id']}"
    invoice = b"%PDF-1.4 Rechnung 4711" + bytes(2000)
    uploaded = mail_client.post(f"{conversation}/attachments", files={"file": ("Rechnung 4711.pdf", invoice, "application/pdf")}, headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    file = uploaded.json()
    assert file["size"] == len(invoice) and file["filename"] == "Rechnung 4711.pdf"

    # Bad input names the field, and nothing is sent.
    for body, field in (
        ({"content": "Anbei", "attachments": [{**file, "sha256": "0" * 64}]}, "attachments[0]"),
        ({"content": "Anbei", "attachments": [{**file, "filename": "../../etc/passwd"}]}, "attachments[0].filename"),
        ({"content": "Anbei", "attachments": [file] * 6}, "attachments"),
        ({"content": "Anbei", "message_type": "note", "attachments": [file]}, "attachments"),
    ):
        refused = mail_client.post(f"{conversation}/messages", json=body, headers=admin)
        assert refused.status_code == 422 and refused.json()["field"] == field, (field, refused.text)
    empty = mail_client.post(f"{conversation}/attachments", files={"file": ("leer.txt", b"", "text/plain")}, headers=admin)
    assert empty.status_code == 422 and empty.json()["field"] == "file"
    too_big = mail_client.post(f"{conversation}/attachments", files={"file": ("big.bin", bytes(10 * 1024 * 1024 + 1), "application/octet-stream")}, headers=admin)
    assert too_big.status_code == 422 and too_big.json()["field"] == "file"

    reply = mail_client.post(f"{conversation}/messages", json={"content": "Anbei die Rechnung.", "attachments": [file]}, headers=admin)
    assert reply.status_code == 201, reply.text
    assert reply.json()["attributes"]["attachments"] == [{**file, "content_type": "application/pdf"}]
    sent = wait_until(lambda: provider.delivered, timeout=10)[0].message
    [attached] = list(sent.iter_attachments())
    assert attached.get_filename() == "Rechnung 4711.pdf" and attached.get_content_type() == "application/pdf"
    assert attached.get_content() == invoice
    assert "Anbei die Rechnung." in sent.get_body(("plain",)).get_content()
    # The agent (and colleagues) download it from the conversation.
    download = mail_client.get(f"{conversation}/messages/{reply.json()['id']}/files/0", headers=admin)
    assert download.status_code == 200 and download.content == invoice
    assert "attachment" in download.headers["content-disposition"]
    assert mail_client.get(f"{conversation}/messages/{reply.json()['id']}/files/1", headers=admin).status_code == 404


def test_files_are_refused_where_the_channel_cannot_deliver_them(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    # An integrator's own channel (channel_type api) has no way to hand files on.
    admin = as_user(demo.user("admin"))
    inbox = client.post(f"{base(demo)}/inboxes", json={"name": "Shop app", "channel_type": "api"}, headers=admin).json()
    contact = client.post(f"{base(demo)}/contacts", json={"name": "Hans", "email": "hans@example.de"}, headers=admin).json()
    created = client.post(
        f"{base(demo)}/conversations", json={"inbox_id": inbox["id"], "contact_id": contact["id"], "content": "Hallo"}, headers=admin
    )
    conversation = f"{base(demo)}/conversations/{created.json()['id']}"
    refused = client.post(f"{conversation}/attachments", files={"file": ("a.txt", b"hello", "text/plain")}, headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "file" and "cannot deliver files" in refused.json()["message"]
    file = {"sha256": "0" * 64, "filename": "a.txt", "content_type": "text/plain"}
    reply = client.post(f"{conversation}/messages", json={"content": "Schau", "attachments": [file]}, headers=admin)
    assert reply.status_code == 422 and reply.json()["field"] == "attachments"


def test_mail_in_every_common_charset_is_read_from_an_imap_mailbox_and_idle_hears_new_mail(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, dovecot: DovecotServer
) -> None:
    admin = as_user(mail_demo.user("admin"))
    allow_local_mail_servers(mail_ctx.settings, dovecot.tls_port)
    user = f"box{time.monotonic_ns()}@shop.example"
    dovecot.add_user(user, "imap-secret")
    samples = [
        ("utf-8", "Pedido 4711 no llegó", "Mi pedido 4711 todavía no ha llegado, ¿pueden ayudarme?"),
        ("iso-8859-1", "Commande 4711 non reçue", "Ma commande n'est toujours pas arrivée, où est-elle ?"),
        ("iso-8859-2", "Zamówienie 4711", "Moje zamówienie jeszcze nie dotarło. Proszę o pomoc."),
        ("windows-1251", "Заказ 4711 не пришёл", "Мой заказ до сих пор не доставлен, помогите пожалуйста."),
        ("windows-1252", "Bestellung 4711 – wo bleibt sie?", "Meine Bestellung ist noch nicht angekommen – bitte prüfen."),
        ("gb2312", "订单 4711 没有收到", "我的订单还没有到，请帮我查一下。"),
        ("gbk", "订单 4712 退款", "我想申请退款，谢谢。"),
        ("big5", "訂單 4713 沒有收到", "我的訂單還沒有到，請幫我查一下。"),
        ("shift_jis", "注文 4714 について", "注文した商品がまだ届きません。"),
        ("iso-2022-jp", "注文 4715 の確認", "注文の確認をお願いします。"),
        ("euc-kr", "주문 4716 배송 문의", "주문한 상품이 아직 도착하지 않았습니다."),
    ]
    imap_conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
    imap_conn.login(user, "imap-secret")
    for index, (charset, subject, body) in enumerate(samples):
        raw = mail(sender=f"customer{index}@example.net", subject=subject, body=body, message_id=f"cs-{index}@example.net", charset=charset)
        assert imap_conn.append("INBOX", None, None, raw)[0] == "OK"
    inbox = make_inbox(
        mail_client, mail_demo, admin,
        {
            "address": user,
            "receive": "imap",
            # TLS from the first byte, trusting the test server's own certificate;
            # polling only every 5 minutes, so only IDLE can bring the last mail in time.
            "imap": {"host": "127.0.0.1", "port": dovecot.tls_port, "security": "tls", "username": user,
                     "password": "imap-secret", "ca_certificates": dovecot.cert_path.read_text(), "poll_seconds": 300},
        },
    )
    tickets = wait_until(lambda: (t := tickets_of(mail_client, mail_demo, admin)) and len(t) == len(samples) and t, timeout=20)
    by_subject = {t["subject"]: t for t in tickets}
    for charset, subject, body in samples:
        assert subject in by_subject, f"{charset}: {subject!r} not among {sorted(by_subject)}"
        [message] = messages_of(mail_client, mail_demo, admin, by_subject[subject]["conversation_id"])
        assert message["content"] == body, charset

    poller = mail_ctx.services["email"].poller(inbox["id"])
    assert poller is not None and poller.using_idle
    wait_until(lambda: poller.rounds >= 1)
    late = mail(sender="late@example.net", subject="Noch eine Frage", body="Wann kommt das Paket?", message_id="late@example.net")
    assert imap_conn.append("INBOX", None, None, late)[0] == "OK"
    imap_conn.logout()
    wait_until(lambda: any(t["subject"] == "Noch eine Frage" for t in tickets_of(mail_client, mail_demo, admin)), timeout=15)
    # Nothing was marked read or moved in the mailbox: a person may read it too.
    check = imaplib.IMAP4("127.0.0.1", dovecot.port)
    check.login(user, "imap-secret")
    check.select("INBOX", readonly=True)
    assert len(check.search(None, "UNSEEN")[1][0].split()) == len(samples) + 1
    check.logout()


def test_a_restart_reads_only_new_mail_and_sends_replies_that_had_not_gone_out(
    settings: Settings, dovecot: DovecotServer, provider: Provider, as_user: Any
) -> None:
    user = f"restart{time.monotonic_ns()}@shop.example"
    dovecot.add_user(user, "pw")
    conn = imaplib.IMAP4("127.0.0.1", dovecot.port)
    conn.login(user, "pw")
    conn.append("INBOX", None, None, mail(sender="a@example.net", subject="One", body="First question.", message_id="r1@example.net"))
    box = {"host": "127.0.0.1", "port": dovecot.port, "security": "starttls", "username": user, "password": "pw",
           "ca_certificates": dovecot.cert_path.read_text(), "poll_seconds": 1, "idle": False}
    down = free_port()  # a relay that is down at first
    allow_local_mail_servers(settings, dovecot.port, down)
    app = create_app(settings)
    ctx: AppContext = app.state.ctx
    with TestClient(app) as client:
        demo = seed_demo_world(ctx)
        admin = as_user(demo.user("admin"))
        make_inbox(client, demo, admin, {"address": user, "receive": "imap", "imap": box, "smtp": {**smtp_settings(provider, dovecot), "port": down}})
        [ticket] = wait_until(lambda: tickets_of(client, demo, admin), timeout=15)
        # The SMTP server is unreachable: the reply waits, queued with the reason for the agent.
        ctx.services["email"].retry_seconds = (60.0,)
        reply = client.post(f"{base(demo)}/conversations/{ticket['conversation_id']}/messages", json={"content": "We are looking."}, headers=admin)
        assert reply.status_code == 201
        waiting = wait_until(
            lambda: [m for m in messages_of(client, demo, admin, ticket["conversation_id"]) if m["id"] == reply.json()["id"] and m["delivery_status"] == "queued" and m["delivery_error"]],
            timeout=15,
        )
        assert "could not reach the SMTP server" in waiting[0]["delivery_error"]
        # The admin fixes the SMTP port.
        inbox_id = [i for i in client.get(f"{base(demo)}/inboxes", headers=admin).json() if i["settings"].get("address") == user][0]["id"]
        assert client.patch(f"{base(demo)}/inboxes/{inbox_id}", json={"settings": {"smtp": {**smtp_settings(provider, dovecot)}}}, headers=admin).status_code == 200
    conn.append("INBOX", None, None, mail(sender="b@example.net", subject="Two", body="Second question.", message_id="r2@example.net"))
    conn.logout()
    # A new process: the cursor says mail 1 is read; the unsent reply goes out once.
    app = create_app(settings)
    with TestClient(app) as client:
        tickets = wait_until(lambda: (t := tickets_of(client, demo, admin)) and len(t) == 2 and t, timeout=15)
        assert sorted(t["subject"] for t in tickets) == ["One", "Two"]
        delivered = wait_until(lambda: provider.delivered, timeout=15)
        assert [d.rcpt_tos for d in delivered] == [["a@example.net"]]
        assert delivered[0].message["Subject"] == f"Re: One [#{ticket['id']}]"


def test_bad_mail_and_bad_settings_are_refused_with_a_reason_and_nothing_is_lost(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, listen_port: int, settings: Settings
) -> None:
    admin = as_user(mail_demo.user("admin"))
    for body, field in (
        ({"receive": "smtp"}, "settings.address"),
        ({"address": ADDRESS, "receive": "pigeon"}, "settings.receive"),
        ({"address": ADDRESS, "receive": "imap"}, "settings.imap"),
        ({"address": ADDRESS, "smtp": {"host": "mail.example", "port": 0}}, "settings.smtp.port"),
        ({"address": ADDRESS, "smtp": {"host": "mail.example", "security": "ssl3"}}, "settings.smtp.security"),
        ({"address": ADDRESS, "smtp": {"host": "mail.example", "password": "x"}}, "settings.smtp.username"),
        ({"address": ADDRESS, "smtp": {"host": "mail.example\r\nRCPT TO:<x@y>"}}, "settings.smtp.host"),
    ):
        response = mail_client.post(
            f"{base(mail_demo)}/inboxes", json={"name": "Bad", "channel_type": "email", "settings": body}, headers=admin
        )
        assert response.status_code == 422, (body, response.text)
        assert response.json()["field"] == field
    assert not [i for i in mail_client.get(f"{base(mail_demo)}/inboxes", headers=admin).json() if i["name"] == "Bad"]

    inbox = make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "max_bytes": 64 * 1024})
    # Over the inbox's limit: refused with a reason, and the bytes kept on disk.
    big = mail(sender="big@example.net", subject="Huge", body="x" * 200_000, message_id="big@example.net")
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_to_listener(listen_port, "big@example.net", big)
    assert refused.value.smtp_code == 554 and b"limit" in refused.value.smtp_error
    kept = list((settings.data_dir / "mail-kept").glob("*.eml"))
    assert [p.read_bytes() for p in kept] == [big]
    # Broken MIME and an unknown charset: stored anyway, with what could be read.
    broken = (
        b"From: odd@example.net\r\nTo: " + ADDRESS.encode() + b"\r\nSubject: Broken\r\nMessage-ID: <broken@example.net>\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"never-closed\"\r\n\r\n--never-closed\r\n"
        b"Content-Type: text/plain; charset=x-unknown-7\r\n\r\nMy order 4711 \xe9 is late.\r\n"
    )
    send_to_listener(listen_port, "odd@example.net", broken)
    ticket = wait_until(lambda: [t for t in tickets_of(mail_client, mail_demo, admin) if t["subject"] == "Broken"])[0]
    [message] = messages_of(mail_client, mail_demo, admin, ticket["conversation_id"])
    assert "My order 4711" in message["content"]
    assert message["attributes"]["email"]["warnings"]
    # A mail from our own address (a loop through a forwarding rule) is dropped.
    send_to_listener(listen_port, ADDRESS, mail(sender=ADDRESS, subject="Loop", body="Re: Re: Re:", message_id="loop@shop.example"))
    mail_ctx.services["email"].wait_idle()
    assert not [t for t in tickets_of(mail_client, mail_demo, admin) if t["subject"] == "Loop"]
    assert inbox["id"]


def test_attachments_are_stored_and_downloaded_as_files(
    mail_client: TestClient, mail_demo: DemoWorld, as_user: Any, listen_port: int
) -> None:
    from email.message import EmailMessage

    admin = as_user(mail_demo.user("admin"))
    make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp"})
    message = EmailMessage()
    message["From"] = "buyer@example.net"
    message["To"] = ADDRESS
    message["Subject"] = "Damaged parcel"
    message["Message-ID"] = "<photo@example.net>"
    message.set_content("The parcel arrived damaged, photo attached.")
    message.add_alternative('<p>The parcel arrived <b>damaged</b>.<img src="https://tracker.example/pixel.gif"><script>alert(1)</script></p>', subtype="html")
    photo = bytes(range(256)) * 40
    message.add_attachment(photo, maintype="image", subtype="jpeg", filename="schaden Foto.jpg")
    message.add_attachment(b"<script>alert(document.cookie)</script>", maintype="text", subtype="html", filename="page.html")
    send_to_listener(listen_port, "buyer@example.net", message.as_bytes(policy=email.policy.SMTP))
    ticket = wait_until(lambda: tickets_of(mail_client, mail_demo, admin))[0]
    [stored] = messages_of(mail_client, mail_demo, admin, ticket["conversation_id"])
    files = stored["attributes"]["email"]["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [
        ("schaden Foto.jpg", "image/jpeg", len(photo)),
        ("page.html", "text/html", 39),
    ]
    html = stored["attributes"]["email"]["html"]
    assert "<b>damaged</b>" in html and "tracker.example" not in html and "<script" not in html
    url = f"{base(mail_demo)}/conversations/{ticket['conversation_id']}/messages/{stored['id']}/attachments"
    first = mail_client.get(f"{url}/0", headers=admin)
    assert first.status_code == 200 and first.content == photo
    assert first.headers["content-disposition"] == "attachment; filename*=UTF-8''schaden%20Foto.jpg"
    second = mail_client.get(f"{url}/1", headers=admin)
    assert second.headers["content-type"] == "application/octet-stream" and second.headers["x-content-type-options"] == "nosniff"
    assert mail_client.get(f"{url}/2", headers=admin).status_code == 404
    # Someone who may not see the conversation cannot fetch its files.
    assert mail_client.get(f"{url}/0").status_code == 401


def test_mail_tickets_are_routed_like_chats_to_an_agent_who_reads_the_language(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    maria, sam = as_user(demo.user("maria")), as_user(demo.user("sam"))
    inbox = make_inbox(client, demo, admin, {"address": ADDRESS, "receive": "smtp"})
    body = {"name": "Support mail", "inbox_ids": [inbox["id"]], "steps": [{"after_seconds": 0, "min_language_level": 4}]}
    # A chat queue cannot route a mailbox: said at once, not found out later.
    wrong = client.post(f"{base(demo)}/routing/queues", json=body, headers=admin)
    assert wrong.status_code == 422 and wrong.json()["field"] == "inbox_ids" and "email" in wrong.json()["message"]
    queue = client.post(f"{base(demo)}/routing/queues", json={**body, "channel": "email"}, headers=admin)
    assert queue.status_code == 201, queue.text
    for headers in (maria, sam):
        assert client.patch("/api/v1/profile", json={"availability": "online"}, headers=headers).status_code == 200
    receipt = ctx.services["email"].receive_raw(
        inbox["id"],
        mail(sender="lucia@example.es", subject="Pedido 4711 sin llegar", body="Hola, mi pedido 4711 todavía no ha llegado. ¿Pueden revisarlo?", message_id="routed@example.es"),
    )
    assert receipt.outcome == "ticket"
    maria_id = demo.user("maria").id
    routed = wait_until(lambda: (t := client.get(f"{base(demo)}/tickets/{receipt.ticket_id}", headers=admin).json())["assignee_id"] == maria_id and t)
    assert routed["language"] == "es"
    lines = [m for m in messages_of(client, demo, admin, receipt.conversation_id) if m["attributes"].get("activity") == "routed"]
    assert lines and lines[0]["attributes"]["queue"] == "Support mail"


def test_sealed_secrets_open_only_with_the_install_key() -> None:
    from dragoman.core.secrets import SecretUnreadable, seal, unseal

    sealed = seal("relay-password", "key one")
    assert sealed != seal("relay-password", "key one")  # a fresh IV each time
    assert unseal(sealed, "key one") == "relay-password"
    assert seal(sealed, "key one") == sealed  # never sealed twice
    assert unseal("never sealed", "key one") == "never sealed"
    with pytest.raises(SecretUnreadable):
        unseal(sealed, "another key")



# -- where an inbox's mail servers may be (core/outbound.py) ---------------------------------

# A public address (documentation ranges are not public, so a real one).
PUBLIC_ADDRESS = "93.184.215.14"


@pytest.fixture
def fake_dns(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Host name -> addresses for the guard's resolver; a test changes them
    between saving and connecting, as a DNS rebinding attack would. Other
    names do not resolve, so nothing depends on the machine's DNS."""
    names: dict[str, list[str]] = {"localhost": ["127.0.0.1", "::1"]}

    def resolve(host: str, port: int) -> list[outbound.IPAddress]:
        if host.lower() not in names:
            raise outbound.OutboundUnresolved(f"{host} does not resolve")
        return [ipaddress.ip_address(a) for a in names[host.lower()]]

    monkeypatch.setattr(outbound, "resolve_host", resolve)
    return names


def post_inbox(client: TestClient, demo: DemoWorld, admin: dict[str, str], settings: dict[str, Any]) -> Any:
    return client.post(f"{base(demo)}/inboxes", json={"name": "Relay", "channel_type": "email", "settings": settings}, headers=admin)


@pytest.mark.parametrize(
    ("server", "host", "said"),
    [
        ("smtp", "127.0.0.1", "loopback"),
        ("smtp", "169.254.169.254", "metadata"),
        ("smtp", "2130706433", "loopback"),  # 127.0.0.1 written as one decimal number
        ("smtp", "0x7f.1", "loopback"),
        ("smtp", "[::1]", "loopback"),
        ("smtp", "10.1.2.3", "private"),
        ("smtp", "localhost", "loopback"),
        ("imap", "127.0.0.1", "loopback"),
        ("imap", "100.100.100.200", "metadata"),
        ("imap", "0xa9fea9fe", "metadata"),
    ],
)
def test_a_mail_server_on_this_machine_or_an_internal_address_is_refused_when_saved(
    client: TestClient, demo: DemoWorld, as_user: Any, fake_dns: dict[str, list[str]], server: str, host: str, said: str
) -> None:
    """An account admin could otherwise make this server talk SMTP or IMAP to
    its own services or the cloud's metadata service and read the answers."""
    admin = as_user(demo.user("admin"))
    settings: dict[str, Any] = {"address": ADDRESS, "receive": "smtp"}
    settings[server] = {"host": host, "port": 6379, "security": "none"}
    if server == "imap":
        settings["receive"] = "imap"
    refused = post_inbox(client, demo, admin, settings)
    assert refused.status_code == 422, refused.text
    assert refused.json()["field"] == f"settings.{server}.host"
    assert said in refused.json()["message"] and "DRAGOMAN_OUTBOUND_ALLOW" in refused.json()["message"]
    assert not [i for i in client.get(f"{base(demo)}/inboxes", headers=admin).json() if i["name"] == "Relay"]


def test_changing_a_saved_inbox_to_an_internal_server_is_refused_and_keeps_what_was_stored(
    client: TestClient, demo: DemoWorld, as_user: Any, fake_dns: dict[str, list[str]]
) -> None:
    admin = as_user(demo.user("admin"))
    fake_dns["smtp.provider.example"] = [PUBLIC_ADDRESS]
    fake_dns["sneaky.example"] = [PUBLIC_ADDRESS, "10.0.0.8"]
    created = post_inbox(client, demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {"host": "smtp.provider.example", "port": 587}})
    assert created.status_code == 201, created.text
    url = f"{base(demo)}/inboxes/{created.json()['id']}"
    for host in ("127.1", "sneaky.example"):
        refused = client.patch(url, json={"settings": {"smtp": {"host": host, "port": 587}}}, headers=admin)
        assert refused.status_code == 422 and refused.json()["field"] == "settings.smtp.host", refused.text
    assert client.get(url, headers=admin).json()["settings"]["smtp"]["host"] == "smtp.provider.example"


def test_the_trusted_certificates_are_pem_text_never_a_file_on_the_server(
    client: TestClient, demo: DemoWorld, as_user: Any, dovecot: DovecotServer
) -> None:
    """A path would let an account admin make the server open any file it can
    read and learn from the error whether it exists."""
    admin = as_user(demo.user("admin"))
    smtp = {"host": PUBLIC_ADDRESS, "port": 587}
    for extra, field in (
        ({"ca_file": "/etc/shadow"}, "settings.smtp.ca_file"),
        ({"ca_certificates": "/etc/ssl/certs/ca-certificates.crt"}, "settings.smtp.ca_certificates"),
        ({"ca_certificates": "-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n"}, "settings.smtp.ca_certificates"),
        ({"ca_certificates": dovecot.cert_path.read_text() + dovecot.cert_path.with_name("key.pem").read_text()}, "settings.smtp.ca_certificates"),
    ):
        refused = post_inbox(client, demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {**smtp, **extra}})
        assert refused.status_code == 422 and refused.json()["field"] == field, (extra, refused.text)
    saved = post_inbox(client, demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {**smtp, "ca_certificates": dovecot.cert_path.read_text()}})
    assert saved.status_code == 201, saved.text


class Catcher:
    """An SMTP server the install does not allow: it must never be reached."""

    def __init__(self) -> None:
        self.received: list[bytes] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append(envelope.original_content or envelope.content)
        return "250 OK"


def reply_status(client: TestClient, demo: DemoWorld, admin: dict[str, str], conversation_id: int, message_id: int) -> dict[str, Any]:
    [reply] = [m for m in messages_of(client, demo, admin, conversation_id) if m["id"] == message_id]
    return {"status": reply["delivery_status"], "error": reply["delivery_error"]}


def test_a_name_that_resolves_to_this_machine_when_connecting_is_refused_and_nothing_is_sent(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider,
    dovecot: DovecotServer, fake_dns: dict[str, list[str]],
) -> None:
    """The name is checked again at every connection, and the connection goes
    to the address checked: a name that resolved to a public address when
    saved and to 127.0.0.1 later (DNS rebinding) reaches nothing local,
    although 127.0.0.1 is allowed on the relay's port."""
    admin = as_user(mail_demo.user("admin"))
    catcher = Catcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        fake_dns["relay.shop.example"] = [PUBLIC_ADDRESS]
        inbox = make_inbox(mail_client, mail_demo, admin, {
            "address": ADDRESS, "receive": "smtp",
            "smtp": {"host": "relay.shop.example", "port": controller.port, "security": "none"},
        })
        fake_dns["relay.shop.example"] = ["127.0.0.1"]
        receipt = mail_ctx.services["email"].receive_raw(
            inbox["id"], mail(sender="eva@example.net", subject="Frage", body="Wo ist mein Paket?", message_id="rebind@example.net")
        )
        reply = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages", json={"content": "Wir schauen nach."}, headers=admin)
        assert reply.status_code == 201, reply.text
        status = wait_until(lambda: (s := reply_status(mail_client, mail_demo, admin, receipt.conversation_id, reply.json()["id"])).get("status") == "failed" and s)
        assert "may not be reached" in status["error"] and "relay.shop.example resolves to 127.0.0.1" in status["error"]
        assert catcher.received == [] and provider.delivered == []

        # The same for a mailbox: saved while its name did not resolve (that
        # passes: it may not be set up yet), then it resolves to this machine.
        user = f"rebind{time.monotonic_ns()}@shop.example"
        dovecot.add_user(user, "pw")
        box = make_inbox(mail_client, mail_demo, admin, {
            "address": user, "receive": "imap",
            "imap": {"host": "imap.shop.example", "port": dovecot.port, "security": "none", "username": user, "password": "pw", "poll_seconds": 1, "idle": False},
        })
        fake_dns["imap.shop.example"] = ["127.0.0.1"]
        poller = wait_until(lambda: mail_ctx.services["email"].poller(box["id"]))  # started off the request's thread
        error = wait_until(lambda: "resolves to" in (poller.last_error or "") and poller.last_error, timeout=15)
        assert "imap.shop.example resolves to 127.0.0.1, which is loopback" in error and poller.rounds == 0
    finally:
        controller.stop()


def test_an_allow_list_entry_with_a_port_lets_the_local_relay_work_and_no_other_port(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider, dovecot: DovecotServer
) -> None:
    admin = as_user(mail_demo.user("admin"))
    assert mail_ctx.settings.outbound_allow == f"127.0.0.1:{provider.port}"  # the provider fixture's entry, nothing more
    # Another service on the same address (here Dovecot's IMAP port) stays out of reach.
    refused = post_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {**smtp_settings(provider, dovecot), "port": dovecot.port}})
    assert refused.status_code == 422 and refused.json()["field"] == "settings.smtp.host", refused.text
    assert "127.0.0.1 is loopback" in refused.json()["message"]
    inbox = make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": smtp_settings(provider, dovecot)})
    receipt = mail_ctx.services["email"].receive_raw(
        inbox["id"], mail(sender="ana@example.pt", subject="Encomenda", body="Onde está a minha encomenda?", message_id="port@example.pt")
    )
    first = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages", json={"content": "Estamos a verificar."}, headers=admin)
    assert first.status_code == 201
    assert wait_until(lambda: provider.delivered, timeout=10)[0].rcpt_tos == ["ana@example.pt"]

    # The operator narrows the allow-list to another port: the next connection is refused.
    mail_ctx.settings.outbound_allow = f"127.0.0.1:{dovecot.port}"
    second = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages", json={"content": "Já foi enviada."}, headers=admin)
    status = wait_until(lambda: (s := reply_status(mail_client, mail_demo, admin, receipt.conversation_id, second.json()["id"])).get("status") == "failed" and s)
    assert "127.0.0.1 is loopback" in status["error"]
    assert len(provider.delivered) == 1


def test_what_a_non_mail_service_answers_is_kept_short_and_without_control_characters(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, settings: Settings
) -> None:
    """An allowed port where something else listens: the agent sees an
    excerpt of its answer, never pages of it or terminal escapes."""
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def answer_junk() -> None:
        while True:
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            with conn:
                conn.sendall(b"\x1b[2J\x1b[31mREDIS-LIKE " + b"secret-config " * 300 + b"\x07\r\n")

    threading.Thread(target=answer_junk, daemon=True).start()
    try:
        allow_local_mail_servers(settings, port)
        admin = as_user(mail_demo.user("admin"))
        inbox = make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {"host": "127.0.0.1", "port": port, "security": "none"}})
        receipt = mail_ctx.services["email"].receive_raw(
            inbox["id"], mail(sender="li@example.cn", subject="订单", body="我的订单在哪里？", message_id="junk@example.cn")
        )
        mail_ctx.services["email"].retry_seconds = (3600.0,)
        reply = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages", json={"content": "正在查询。"}, headers=admin)
        status = wait_until(lambda: (s := reply_status(mail_client, mail_demo, admin, receipt.conversation_id, reply.json()["id"])).get("error") and s)
        error = status["error"]
        assert "REDIS-LIKE secret-config" in error
        assert len(error) <= 400 and "\x1b" not in error and "\x07" not in error
    finally:
        listener.close()


def test_tls_is_verified_for_the_host_name_while_the_socket_goes_to_the_checked_address(
    provider: Provider, dovecot: DovecotServer, fake_dns: dict[str, list[str]]
) -> None:
    """The guard replaces only the socket: STARTTLS, SMTP over TLS and IMAP
    over TLS still check the certificate for the name in the settings (the
    test certificate is for localhost and 127.0.0.1, not for mail.shop.test)."""
    from dragoman.channels.email import imap
    from dragoman.channels.email.adapter import open_smtp
    from dragoman.channels.email.config import ImapMailbox, MailServer

    fake_dns.update({"localhost": ["127.0.0.1"], "mail.shop.test": ["127.0.0.1"]})
    pem = dovecot.cert_path.read_text()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(dovecot.cert_path, dovecot.cert_path.with_name("key.pem"))
    implicit = Controller(Catcher(), hostname="127.0.0.1", port=free_port(), ssl_context=context)
    implicit.start()
    try:
        allow = outbound.OutboundAllow.parse(f"127.0.0.1:{provider.port}, 127.0.0.1:{implicit.port}, 127.0.0.1:{dovecot.tls_port}")
        for server in (
            MailServer("localhost", provider.port, "starttls", PROVIDER_USER, PROVIDER_PASSWORD, pem),
            MailServer("localhost", implicit.port, "tls", ca_certificates=pem),
        ):
            open_smtp(server, 10, allow).quit()
            with pytest.raises(ssl.SSLCertVerificationError):
                open_smtp(dataclasses.replace(server, host="mail.shop.test"), 10, allow)
        box = ImapMailbox("localhost", dovecot.tls_port, "tls", ca_certificates=pem)
        imap.close_mailbox(imap.open_mailbox(box, allow))
        with pytest.raises(imap.MailboxError, match="CERTIFICATE_VERIFY_FAILED"):
            imap.open_mailbox(dataclasses.replace(box, host="mail.shop.test"), allow)
    finally:
        implicit.stop()


def test_an_admin_tries_an_inbox_mail_servers_before_relying_on_them(
    client: TestClient, demo: DemoWorld, as_user: Any, mail_catcher: Any
) -> None:
    admin = as_user(demo.user("admin"))
    closed = free_port()  # nothing listens here
    allow_local_mail_servers(client.app.state.ctx.settings, closed)  # type: ignore[attr-defined]
    inbox = make_inbox(client, demo, admin, {
        "address": "support@shop.example", "receive": "imap",
        "imap": {"host": "127.0.0.1", "port": closed, "security": "none", "username": "support", "password": "imap-secret"},
        "smtp": {"host": "127.0.0.1", "port": mail_catcher.port, "security": "none"},
    })
    url = f"{base(demo)}/inboxes/{inbox['id']}/test_connection"
    answer = client.post(url, headers=admin)
    assert answer.status_code == 200, answer.text
    checks = {check["server"]: check for check in answer.json()["checks"]}
    assert checks["smtp"]["ok"] is True and f"127.0.0.1:{mail_catcher.port}" in checks["smtp"]["detail"]
    assert checks["imap"]["ok"] is False and f"could not open 127.0.0.1:{closed}" in checks["imap"]["detail"]
    assert "imap-secret" not in answer.text
    assert mail_catcher.received == []  # nothing was sent
    # Only e-mail inboxes have servers; only admins try them.
    assert client.post(f"{base(demo)}/inboxes/{demo.inbox_id}/test_connection", headers=admin).json()["field"] == "inbox_id"
    assert client.post(url, headers=as_user(demo.user("supervisor"))).status_code == 403


def test_a_reply_the_smtp_server_never_takes_is_retried_then_failed_with_its_reason_and_sent_again_by_the_agent(
    mail_client: TestClient, mail_ctx: AppContext, mail_demo: DemoWorld, as_user: Any, provider: Provider, dovecot: DovecotServer
) -> None:
    admin = as_user(mail_demo.user("admin"))
    down = free_port()  # allowed, but nothing listens there
    mail_ctx.settings.outbound_allow = f"127.0.0.1:{provider.port}, 127.0.0.1:{down}"
    inbox = make_inbox(mail_client, mail_demo, admin, {"address": ADDRESS, "receive": "smtp", "smtp": {**smtp_settings(provider, dovecot), "port": down}})
    receipt = mail_ctx.services["email"].receive_raw(
        inbox["id"], mail(sender="tom@example.net", subject="Refund", body="Where is my refund?", message_id="refund@example.net")
    )
    mail_ctx.services["email"].retry_seconds = (0.1, 0.1)
    reply = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages", json={"content": "It is on its way."}, headers=admin)
    assert reply.status_code == 201 and reply.json()["delivery_status"] == "queued"
    status = wait_until(lambda: (s := reply_status(mail_client, mail_demo, admin, receipt.conversation_id, reply.json()["id"]))["status"] == "failed" and s, timeout=20)
    assert f"could not reach the SMTP server 127.0.0.1:{down}" in status["error"] and provider.delivered == []

    # The admin fixes the port; the agent sends the reply again: the server takes it.
    fixed = mail_client.patch(f"{base(mail_demo)}/inboxes/{inbox['id']}", json={"settings": {"smtp": smtp_settings(provider, dovecot)}}, headers=admin)
    assert fixed.status_code == 200, fixed.text
    again = mail_client.post(f"{base(mail_demo)}/conversations/{receipt.conversation_id}/messages/{reply.json()['id']}/retry_delivery", headers=admin)
    assert again.status_code == 200, again.text
    wait_until(lambda: reply_status(mail_client, mail_demo, admin, receipt.conversation_id, reply.json()["id"])["status"] == "sent", timeout=20)
    assert [d.rcpt_tos for d in provider.delivered] == [["tom@example.net"]]
