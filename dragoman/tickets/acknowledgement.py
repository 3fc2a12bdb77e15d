"""The mail a customer gets back when their mail opens a request: that it
arrived, and its number to quote (what help desks call an auto-responder or
"request received" notification). Sent only where the inbox turns it on
(`settings.acknowledge`), only for a new request (a reply on a thread, an
out-of-office or a bounce gets none), marked `Auto-Submitted: auto-replied`
(RFC 3834) so that the customer's own auto-responder does not answer it.
For a request by mail (the e-mail channel) or through the support form.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, Message
from dragoman.language.detect import base_language

ACKNOWLEDGED = {
    "en": "Thank you for writing to us. We have received your request and will answer as soon as we can. Its number is #{id}: to add anything, just reply to this mail.",
    "es": "Gracias por escribirnos. Hemos recibido tu solicitud y te responderemos lo antes posible. Su número es #{id}: si quieres añadir algo, responde a este correo.",
    "fr": "Merci de nous avoir écrit. Nous avons bien reçu votre demande et vous répondrons dès que possible. Son numéro est le #{id} : pour ajouter quelque chose, répondez simplement à ce message.",
    "de": "Danke für Ihre Nachricht. Wir haben Ihre Anfrage erhalten und antworten so bald wie möglich. Ihre Nummer ist #{id}: Wenn Sie etwas ergänzen möchten, antworten Sie einfach auf diese E-Mail.",
    "pt": "Obrigado por nos escrever. Recebemos o seu pedido e responderemos o mais breve possível. O número é #{id}: para acrescentar algo, basta responder a este e-mail.",
    "it": "Grazie per averci scritto. Abbiamo ricevuto la tua richiesta e ti risponderemo il prima possibile. Il suo numero è #{id}: per aggiungere qualcosa, rispondi a questa e-mail.",
    "zh": "感谢您的来信。我们已收到您的请求，会尽快回复。请求编号为 #{id}：如需补充，直接回复本邮件即可。",
    "ja": "お問い合わせありがとうございます。ご依頼を受け付けました。できるだけ早くお返事いたします。お問い合わせ番号は #{id} です。追加のご連絡は、このメールにご返信ください。",
    "ar": "شكرًا على مراسلتنا. لقد استلمنا طلبك وسنرد عليك في أقرب وقت ممكن. رقمه هو #{id}: لإضافة أي شيء، ما عليك سوى الرد على هذه الرسالة.",
}


def acknowledgement(language: str | None, ticket_id: int) -> tuple[str, str]:
    """(text, the language it is in) for a new request, in the customer's
    language where we have the words, else English."""
    code = language if language in ACKNOWLEDGED else "en"
    return ACKNOWLEDGED[code].format(id=ticket_id), code


def acknowledge_request(db: Session, conversation: Conversation, ticket_id: int) -> Message:
    """The "we received your request #N" mail, in the customer's language:
    sent after commit like any reply (answering their mail, where there is
    one). For a new request by mail or through the support form."""
    text, language = acknowledgement(base_language(conversation.language), ticket_id)
    return conversations.send_bot_reply(
        db, conversation, text, {"auto_reply": {"kind": "acknowledged", "language": language, "ticket_id": ticket_id}}
    )
