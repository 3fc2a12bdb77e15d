"""What a customer is told when every queue that could serve them is closed.

Pure: the words per language and the opening time written the reader's way
(Babel's CLDR data, in the queue's time zone, which is named so a customer
elsewhere can convert it).
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_skeleton

# {when}: the next opening, e.g. "mar, 24 de noviembre 9:00 (Europe/Madrid)".
CLOSED_UNTIL = {
    "en": "Thank you for your message. We are closed right now; someone will answer from {when}.",
    "es": "Gracias por tu mensaje. Ahora mismo estamos cerrados; te responderemos a partir del {when}.",
    "fr": "Merci pour votre message. Nous sommes fermés pour le moment ; quelqu'un vous répondra à partir du {when}.",
    "de": "Danke für Ihre Nachricht. Wir haben gerade geschlossen; ab {when} antwortet Ihnen jemand.",
    "pt": "Obrigado pela sua mensagem. Neste momento estamos fechados; alguém responderá a partir de {when}.",
    "it": "Grazie per il tuo messaggio. In questo momento siamo chiusi; qualcuno ti risponderà a partire da {when}.",
    "zh": "感谢您的留言。我们目前不在服务时间，将于{when}起为您回复。",
    "ja": "メッセージありがとうございます。現在は営業時間外です。{when}以降に担当者がお返事いたします。",
    "ar": "شكرًا على رسالتك. نحن مغلقون الآن؛ سيرد عليك أحد موظفينا ابتداءً من {when}.",
}
CLOSED_NO_OPENING = {
    "en": "Thank you for your message. We are closed right now; we will answer as soon as we reopen.",
    "es": "Gracias por tu mensaje. Ahora mismo estamos cerrados; te responderemos en cuanto volvamos a abrir.",
    "fr": "Merci pour votre message. Nous sommes fermés pour le moment ; nous vous répondrons dès notre réouverture.",
    "de": "Danke für Ihre Nachricht. Wir haben gerade geschlossen; wir antworten, sobald wir wieder geöffnet haben.",
    "pt": "Obrigado pela sua mensagem. Neste momento estamos fechados; responderemos assim que reabrirmos.",
    "it": "Grazie per il tuo messaggio. In questo momento siamo chiusi; ti risponderemo appena riapriamo.",
    "zh": "感谢您的留言。我们目前不在服务时间，重新开放后会尽快回复您。",
    "ja": "メッセージありがとうございます。現在は営業時間外です。営業再開後、できるだけ早くお返事いたします。",
    "ar": "شكرًا على رسالتك. نحن مغلقون الآن؛ سنرد عليك فور إعادة الفتح.",
}


# Said after the above when the conversation became a ticket.
TICKET_NUMBER = {
    "en": "Your request number is #{id}.",
    "es": "El número de tu solicitud es #{id}.",
    "fr": "Le numéro de votre demande est le #{id}.",
    "de": "Ihre Anfragenummer ist #{id}.",
    "pt": "O número do seu pedido é #{id}.",
    "it": "Il numero della tua richiesta è #{id}.",
    "zh": "您的请求编号为 #{id}。",
    "ja": "お問い合わせ番号は #{id} です。",
    "ar": "رقم طلبك هو #{id}.",
}


# Everyone is busy: the conversation became a ticket and keeps its place.
BUSY_TICKET = {
    "en": "All our agents are busy right now. We have opened request #{id} for you and will answer here as soon as someone is free.",
    "es": "Todos nuestros agentes están ocupados ahora mismo. Hemos abierto la solicitud #{id} y te responderemos aquí en cuanto alguien esté libre.",
    "fr": "Tous nos conseillers sont occupés pour le moment. Nous avons ouvert la demande #{id} et vous répondrons ici dès que quelqu'un sera disponible.",
    "de": "Alle unsere Mitarbeiter sind gerade beschäftigt. Wir haben die Anfrage #{id} für Sie angelegt und antworten hier, sobald jemand frei ist.",
    "pt": "Todos os nossos agentes estão ocupados neste momento. Abrimos o pedido #{id} e responderemos aqui assim que alguém estiver livre.",
    "it": "Tutti i nostri operatori sono occupati in questo momento. Abbiamo aperto la richiesta #{id} e ti risponderemo qui appena qualcuno sarà libero.",
    "zh": "我们的客服目前都在忙。我们已为您创建请求 #{id}，有客服空闲时会立即在这里回复您。",
    "ja": "ただいま担当者がすべて対応中です。お問い合わせ #{id} を作成しました。担当者が空き次第、こちらでご返信いたします。",
    "ar": "جميع موظفينا مشغولون الآن. لقد فتحنا الطلب رقم #{id} وسنرد عليك هنا فور توفر أحدهم.",
}


def busy_reply(language: str | None, ticket_id: int) -> tuple[str, str]:
    """(text, language it is in) for a customer whose wait became a ticket."""
    code = language if language in BUSY_TICKET else "en"
    return BUSY_TICKET[code].format(id=ticket_id), code


def opening_time_text(opens_at: datetime, timezone: str, language: str) -> str:
    zone = ZoneInfo(timezone)
    day = format_skeleton("MMMMEEEEd", opens_at, tzinfo=zone, locale=language)
    clock = format_skeleton("Hm", opens_at, tzinfo=zone, locale=language)
    return f"{day} {clock} ({timezone})"


def closed_reply(language: str | None, opens_at: datetime | None, timezone: str, ticket_id: int | None = None) -> tuple[str, str]:
    """(text, language it is in): the customer's language when we have the
    words, English otherwise; with the ticket's number when it became one."""
    code = language if language in CLOSED_UNTIL else "en"
    if opens_at is None:
        text = CLOSED_NO_OPENING[code]
    else:
        text = CLOSED_UNTIL[code].format(when=opening_time_text(opens_at, timezone, code))
    if ticket_id is not None:
        text = f"{text} {TICKET_NUMBER[code].format(id=ticket_id)}" if code not in ("zh", "ja") else text + TICKET_NUMBER[code].format(id=ticket_id)
    return text, code
