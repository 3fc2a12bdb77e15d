"""Reading real-world mail and writing replies that thread (pure)."""

from __future__ import annotations

from email.header import Header
from email.message import EmailMessage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText

import pytest
from hypothesis import given, settings, strategies as st

from dragoman.core.mime import (
    HeaderInjectionError,
    build_reply,
    check_size,
    parse_email,
    reply_subject,
    thread_keys,
    ticket_reference_in_subject,
)

# (charset, text): each one a customer of a store abroad really writes in.
CHARSET_SAMPLES = [
    ("utf-8", "Grüße aus München – 我的订单在哪里？"),
    ("iso-8859-1", "Où est ma commande ? Très pressé."),
    ("iso-8859-2", "Gdzie jest moje zamówienie? Żółć."),
    ("iso-8859-15", "Le prix était 20 € de plus."),
    ("windows-1250", "Dobrý den, kde je moje objednávka?"),
    ("windows-1251", "Где мой заказ? Спасибо."),
    ("windows-1252", "Don’t charge me twice — thanks"),
    ("gb2312", "我的订单还没有到，请帮我查一下。"),
    ("gbk", "請問我的訂單什麼時候發貨？"),  # traditional characters: GBK, not GB2312
    ("big5", "請問我的訂單什麼時候到？"),
    ("shift_jis", "注文した商品がまだ届きません。"),
    ("iso-2022-jp", "返品したいのですが、どうすればいいですか。"),
    ("euc-kr", "주문한 상품이 아직 도착하지 않았어요."),
]


def raw_mail(body: str, charset: str, subject: str | None = None) -> bytes:
    message = MIMEText(body, "plain", charset)
    message["From"] = "Kunde <Kunde@Example.DE>"
    message["To"] = "support@shop.example"
    message["Subject"] = Header(subject or body[:20], charset).encode()
    message["Message-ID"] = "<abc.123@example.de>"
    message["Date"] = "Sun, 22 Nov 2026 10:00:00 +0100"
    return message.as_bytes()


@pytest.mark.parametrize(("charset", "text"), CHARSET_SAMPLES)
def test_every_common_charset_is_read_in_body_and_subject(charset: str, text: str) -> None:
    parsed = parse_email(raw_mail(text, charset, subject=text[:12]))
    assert parsed.text == text
    assert parsed.subject == text[:12]
    assert parsed.sender_address == "kunde@example.de" and parsed.sender_name == "Kunde"
    assert parsed.message_id == "abc.123@example.de"
    assert parsed.date is not None and parsed.date.hour == 9  # stored in UTC
    assert not parsed.warnings


def test_html_mail_is_sanitised_and_remote_images_are_not_loaded() -> None:
    message = MIMEMultipart("alternative")
    message["From"] = "ana@example.es"
    message["Subject"] = "Pedido"
    message.attach(MIMEText("Hola, ¿dónde está mi pedido?", "plain", "utf-8"))
    message.attach(
        MIMEText(
            '<p onclick="steal()">Hola, <b>¿dónde</b> está mi pedido?</p><script>alert(1)</script>'
            '<img src="http://tracker.example/pixel.gif"><img src="cid:logo@x"><a href="https://shop.example/o/1">pedido</a>',
            "html",
            "utf-8",
        )
    )
    parsed = parse_email(message.as_bytes())
    assert parsed.text == "Hola, ¿dónde está mi pedido?"
    assert parsed.html is not None
    assert "<b>¿dónde</b>" in parsed.html and 'href="https://shop.example/o/1"' in parsed.html
    assert "script" not in parsed.html and "onclick" not in parsed.html and "tracker.example" not in parsed.html
    assert 'src="cid:logo@x"' in parsed.html  # the mail's own image stays


def test_html_only_mail_still_gives_the_agent_text() -> None:
    message = MIMEText("<div>Bonjour,</div><div>ma commande <b>4711</b></div>", "html", "utf-8")
    message["From"] = "luc@example.fr"
    parsed = parse_email(message.as_bytes())
    assert parsed.text == "Bonjour,\nma commande 4711"


def test_attachments_keep_their_bytes_and_non_ascii_names() -> None:
    message = EmailMessage()
    message["From"] = "kunde@example.de"
    message["Subject"] = "Rechnung"
    message.set_content("Anbei die Rechnung.")
    pdf = b"%PDF-1.4 \x00\x01\x02 fake invoice"
    message.add_attachment(pdf, maintype="application", subtype="pdf", filename="Rechnung März.pdf")
    parsed = parse_email(message.as_bytes())
    assert parsed.text == "Anbei die Rechnung."
    assert len(parsed.attachments) == 1
    attachment = parsed.attachments[0]
    assert attachment.filename == "Rechnung März.pdf" and attachment.content_type == "application/pdf"
    assert attachment.data == pdf


@pytest.mark.parametrize(
    ("reply", "new"),
    [
        ("Thanks, that works.\n\nOn Sun, 22 Nov 2026 at 10:00, Support <s@x> wrote:\n> Try again", "Thanks, that works."),
        ("Merci !\n\nLe dim. 22 nov. 2026 à 10:00, Support <s@x> a écrit :\n> Essayez", "Merci !"),
        ("Danke.\n\nAm 22.11.2026 um 10:00 schrieb Support <s@x>:\n> Bitte", "Danke."),
        ("谢谢，收到了。\n\n在 2026年11月22日 10:00，Support <s@x> 写道：\n> 请再试", "谢谢，收到了。"),
        ("Ok\n-----Original Message-----\nFrom: Support", "Ok"),
        ("See below\n> quoted line\nmy answer\n-- \nJonas Weber\nACME GmbH", "See below\nmy answer"),
    ],
)
def test_quoted_replies_are_folded_away(reply: str, new: str) -> None:
    message = MIMEText(reply, "plain", "utf-8")
    message["From"] = "c@example.com"
    assert parse_email(message.as_bytes()).new_text == new


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({"Auto-Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
        ({"Precedence": "bulk"}, "Precedence: bulk"),
        ({"X-Autoreply": "yes"}, "X-Autoreply: yes"),
    ],
)
def test_auto_replies_and_bulk_mail_are_recognised(headers: dict[str, str], reason: str) -> None:
    message = MIMEText("I am out of office until Monday.", "plain", "utf-8")
    message["From"] = "c@example.com"
    for name, value in headers.items():
        message[name] = value
    parsed = parse_email(message.as_bytes())
    assert parsed.is_automatic and parsed.automatic_reason == reason


def test_a_bounce_is_recognised() -> None:
    bounce = (
        b"From: MAILER-DAEMON@mx.example.com\r\nSubject: Undelivered Mail Returned to Sender\r\n"
        b"MIME-Version: 1.0\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\r\n\r\n"
        b"--B\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you that your message could not be delivered.\r\n"
        b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\n"
        b"Final-Recipient: rfc822; x@example.org\r\nAction: failed\r\n\r\n--B--\r\n"
    )
    parsed = parse_email(bounce)
    assert parsed.is_automatic and "delivery report" in (parsed.automatic_reason or "")
    ordinary = MIMEText("Hello", "plain")
    ordinary["From"] = "c@example.com"
    ordinary["Auto-Submitted"] = "no"
    assert not parse_email(ordinary.as_bytes()).is_automatic


def test_broken_mime_and_unknown_charsets_give_text_and_warnings_not_errors() -> None:
    broken = (
        b"From: c@example.com\r\nSubject: =?x-unknown-foo?Q?Hallo?=\r\nContent-Type: multipart/mixed; boundary=\"XYZ\"\r\n\r\n"
        b"--XYZ\r\nContent-Type: text/plain; charset=x-unknown-foo\r\n\r\nMeine Bestellung \xfc\r\n"
        # no closing boundary
    )
    parsed = parse_email(broken)
    assert "Meine Bestellung" in parsed.text
    assert any("unknown charset" in w for w in parsed.warnings)
    assert any("defect" in w.lower() for w in parsed.warnings)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw: bytes) -> None:
    parsed = parse_email(raw)
    assert isinstance(parsed.text, str)


def test_thread_keys_and_ticket_reference() -> None:
    message = MIMEText("Still waiting", "plain")
    message["From"] = "c@example.com"
    message["In-Reply-To"] = "<r2@shop.example>"
    message["References"] = "<q1@example.com> <r1@shop.example> <r2@shop.example>"
    assert thread_keys(parse_email(message.as_bytes())) == ("r2@shop.example", "r1@shop.example", "q1@example.com")
    assert ticket_reference_in_subject("Re: Lieferung [#4711]") == 4711
    assert ticket_reference_in_subject("AW: [Ticket #12] Rechnung") == 12
    assert ticket_reference_in_subject("Order 4711") is None


def test_a_reply_threads_under_the_customers_mail() -> None:
    reply = build_reply(
        from_address="support@shop.example",
        from_name="Shop Support",
        to_address="kunde@example.de",
        subject="AW: Re: Bestellung 4711",
        text="Ihre Bestellung ist unterwegs.",
        in_reply_to="c2@example.de",
        references=["c1@example.de", "r1@shop.example"],
        message_id_domain="shop.example",
        ticket_id=42,
    )
    assert reply["Subject"] == "Re: Bestellung 4711 [#42]"
    assert reply["In-Reply-To"] == "<c2@example.de>"
    assert reply["References"] == "<c1@example.de> <r1@shop.example> <c2@example.de>"
    assert reply["Message-ID"].endswith("@shop.example>")
    assert reply_subject("Re: Re: Lieferung [#42]", 42) == "Re: Lieferung [#42]"
    parsed = parse_email(reply.as_bytes())
    assert parsed.text.strip() == "Ihre Bestellung ist unterwegs." and not parsed.is_automatic


def test_line_breaks_in_headers_are_refused() -> None:
    with pytest.raises(HeaderInjectionError) as refused:
        build_reply(
            from_address="support@shop.example",
            from_name=None,
            to_address="kunde@example.de",
            subject="Hello\r\nBcc: everyone@example.com",
            text="x",
            message_id_domain="shop.example",
        )
    assert refused.value.field == "subject"


def test_oversized_mail_is_refused_with_a_reason() -> None:
    assert check_size(b"x" * 100) is None
    reason = check_size(b"x" * (30 * 1024 * 1024))
    assert reason is not None and "30.0 MiB" in reason
