"""Customer mail for the demo's e-mail inbox: realistic sample requests in
several languages, and their delivery through the server's own SMTP
listener, the path any mail to the inbox takes (channels/email/runtime.py).
"""

from __future__ import annotations

import random
import smtplib
from dataclasses import dataclass
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


@dataclass(frozen=True)
class SampleMail:
    language: str
    name: str
    sender: str
    subject: str
    body: str


SAMPLE_MAILS: tuple[SampleMail, ...] = (
    SampleMail(
        "en", "Laura Bennett", "laura.bennett@example.com", "Order DR-48377 arrived without the charger",
        "Hello,\n\nmy order DR-48377 (wireless headphones) arrived today, but the USB-C charging cable is missing "
        "from the box. Could you send one?\n\nThanks,\nLaura",
    ),
    SampleMail(
        "es", "Javier Ortega", "javier.ortega@example.es", "Cambio de talla pedido DR-48391",
        "Hola,\n\nlas zapatillas del pedido DR-48391 me quedan pequeñas (pedí la 42). ¿Puedo cambiarlas por la 43 "
        "sin pagar otro envío?\n\nUn saludo,\nJavier",
    ),
    SampleMail(
        "zh", "周婷", "zhou.ting@example.cn", "订单 DR-48402 什么时候发货？",
        "您好，\n\n我三天前下的订单 DR-48402 还显示“待发货”。请问什么时候能发出？我下周要出差。\n\n谢谢！\n周婷",
    ),
    SampleMail(
        "pt", "Inês Almeida", "ines.almeida@example.pt", "Fatura da encomenda DR-48415",
        "Olá,\n\npreciso da fatura com NIF da encomenda DR-48415 para a empresa. O NIF é 509 123 456.\n\n"
        "Obrigada,\nInês",
    ),
    SampleMail(
        "fr", "Thomas Lefèvre", "thomas.lefevre@example.fr", "Colis DR-48420 endommagé",
        "Bonjour,\n\nle colis DR-48420 est arrivé ouvert et la lampe à l'intérieur est cassée. J'ai des photos si "
        "besoin. Que dois-je faire ?\n\nCordialement,\nThomas Lefèvre",
    ),
    SampleMail(
        "de", "Anna Schmidt", "anna.schmidt@example.de", "Rechnung doppelt bezahlt – DR-48433",
        "Guten Tag,\n\nich habe die Rechnung für Bestellung DR-48433 versehentlich zweimal überwiesen "
        "(2 × 89,90 €). Bitte erstatten Sie den doppelten Betrag.\n\nMit freundlichen Grüßen\nAnna Schmidt",
    ),
    SampleMail(
        "ja", "鈴木 花子", "suzuki.hanako@example.jp", "注文 DR-48440 のキャンセルについて",
        "お世話になっております。\n\n昨日注文した DR-48440 をキャンセルしたいです。まだ発送前でしょうか？\n\nよろしくお願いいたします。\n鈴木",
    ),
    SampleMail(
        "it", "Marco Rossi", "marco.rossi@example.it", "Codice sconto non valido",
        "Buongiorno,\n\nil codice BENVENUTO10 risulta non valido al pagamento, ma l'ho ricevuto ieri nella "
        "newsletter. Potete aiutarmi?\n\nGrazie,\nMarco",
    ),
)


def mail_bytes(name: str, sender: str, to: str, subject: str, body: str, at: datetime) -> bytes:
    """A customer's plain mail as their mail program would send it (`at`: naive UTC)."""
    mail = EmailMessage()
    mail["From"] = f"{name} <{sender}>"
    mail["To"] = to
    mail["Subject"] = subject
    mail["Date"] = format_datetime(at.replace(tzinfo=timezone.utc))
    mail["Message-ID"] = make_msgid(domain=sender.split("@", 1)[1])
    mail.set_content(body)
    return mail.as_bytes()


def pick_sample(rng: random.Random | None = None) -> SampleMail:
    return (rng or random.Random()).choice(SAMPLE_MAILS)


def deliver_by_smtp(listen: str, sender: str, to: str, raw: bytes, timeout: float = 30.0) -> None:
    """Hand the mail to the SMTP listener at `listen` ("host:port"), as a
    customer's mail server would. Raises smtplib/OSError errors as they come."""
    host, _, port = listen.rpartition(":")
    with smtplib.SMTP(host or "127.0.0.1", int(port), timeout=timeout) as smtp:
        smtp.sendmail(sender, [to], raw)
