"""Reading and writing e-mail. Pure: bytes in, values out; no I/O.

Real mail is messy: wrong or unknown charsets, broken MIME, HTML only,
replies quoting the whole thread, auto-replies and bounces. `parse_email`
never raises: what it cannot read it decodes with replacement characters and
notes in `warnings`, so a receiver can always store the mail (and its raw
bytes) and show the agent something.
"""

from __future__ import annotations

import email
import email.header
import email.utils
import email.policy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from email.message import EmailMessage, Message
from email.utils import getaddresses, make_msgid, parsedate_to_datetime
from html import unescape

import nh3

from dragoman.core.edge import storable_text

MAX_EMAIL_BYTES = 25 * 1024 * 1024
MAX_REFERENCES = 20

# Labels that real mail uses for a superset: mail labelled gb2312 often holds
# GBK characters, ks_c_5601-1987 is Microsoft's name for EUC-KR's superset.
CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "shift_jis": "cp932",
    "x-sjis": "cp932",
    "iso-8859-8-i": "iso-8859-8",
    "unicode-1-1-utf-7": "utf-7",
}

# Markers after which a reply quotes the earlier mail, in the languages
# customers write in. The first match ends the new text.
QUOTE_MARKERS = [
    re.compile(r"^\s*On .{3,200}wrote:\s*$", re.MULTILINE),
    re.compile(r"^\s*Le .{3,200}a écrit\s*:\s*$", re.MULTILINE),
    re.compile(r"^\s*Am .{3,200}schrieb .{0,200}:\s*$", re.MULTILINE),
    re.compile(r"^\s*El .{3,200}escribió:\s*$", re.MULTILINE),
    re.compile(r"^\s*Em .{3,200}escreveu:\s*$", re.MULTILINE),
    re.compile(r"^\s*Il .{3,200}ha scritto:\s*$", re.MULTILINE),
    re.compile(r"^\s*在.{3,200}写道[:：]\s*$", re.MULTILINE),
    re.compile(r"^.{0,200}\d{4}年.{0,100}(?:書きました|のメッセージ)[:：]?\s*$", re.MULTILINE),
    re.compile(r"^\s*-{2,}\s*(?:Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original)\s*-{2,}\s*$", re.MULTILINE | re.IGNORECASE),
    re.compile(r"^\s*From: .+\n\s*Sent: .+$", re.MULTILINE),
]
SIGNATURE = re.compile(r"^-- ?$", re.MULTILINE)
TICKET_REFERENCE = re.compile(r"\[(?:Ticket\s*)?#(\d{1,12})\]", re.IGNORECASE)
REPLY_PREFIX = re.compile(r"^\s*((re|aw|sv|antw|réf|rif|res|回复|答复|返信)\s*(\[\d+\])?\s*[:：]\s*)+", re.IGNORECASE)


class HeaderInjectionError(ValueError):
    """A header value with a line break: it would let the sender add headers."""

    def __init__(self, field: str) -> None:
        super().__init__(f"{field} must not contain a line break")
        self.field = field


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str
    data: bytes
    content_id: str | None = None
    inline: bool = False


@dataclass(frozen=True)
class ParsedEmail:
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender_address: str
    sender_name: str | None
    to: tuple[str, ...]
    date: datetime | None
    text: str
    html: str | None
    new_text: str
    attachments: tuple[Attachment, ...] = ()
    is_automatic: bool = False
    automatic_reason: str | None = None
    warnings: tuple[str, ...] = field(default_factory=tuple)


def check_size(raw: bytes, limit: int = MAX_EMAIL_BYTES) -> str | None:
    """Why a mail is refused for its size, or None."""
    if len(raw) > limit:
        return f"the message is {len(raw) / 2**20:.1f} MiB, over the {limit / 2**20:.0f} MiB limit"
    return None


def _codec(charset: str | None) -> str:
    name = (charset or "utf-8").strip().strip('"').lower()
    return CHARSET_ALIASES.get(name, name)


def _decode(data: bytes, charset: str | None, warnings: list[str]) -> str:
    return storable_text(_decode_bytes(data, charset, warnings))


def _decode_bytes(data: bytes, charset: str | None, warnings: list[str]) -> str:
    codec = _codec(charset)
    try:
        return data.decode(codec)
    except LookupError:
        warnings.append(f"unknown charset {charset!r}; read as UTF-8 with replacement")
        return data.decode("utf-8", errors="replace")
    except UnicodeDecodeError:
        warnings.append(f"text not valid in {charset!r}; undecodable bytes replaced")
        return data.decode(codec, errors="replace")


def _header(message: Message, name: str, warnings: list[str]) -> str:
    """A header as text, RFC 2047 words decoded, whatever their charset."""
    raw = message.get(name)
    if raw is None:
        return ""
    try:
        parts = email.header.decode_header(str(raw))
    except Exception:  # noqa: BLE001 - a broken header must not lose the mail
        warnings.append(f"undecodable {name} header")
        return storable_text(str(raw))
    text = []
    for value, charset in parts:
        if isinstance(value, bytes):
            text.append(_decode(value, charset or "utf-8", warnings))
        else:
            text.append(value)
    # A raw 8-bit header arrives as surrogate escapes: read them as UTF-8.
    return storable_text(" ".join("".join(text).split()))


def _ids(value: str) -> list[str]:
    return [match.strip() for match in re.findall(r"<([^<>\s]+)>", value or "")]


def _one_id(value: str) -> str | None:
    found = _ids(value)
    if found:
        return found[0]
    value = (value or "").strip()
    return value or None


def html_to_text(html: str) -> str:
    """Readable text from HTML: block ends become line breaks, tags go."""
    text = re.sub(r"(?is)<(script|style|head)[^>]*>.*?</\1>", "", html)
    text = re.sub(r"(?i)<br\s*/?>", "\n", text)
    text = re.sub(r"(?i)</(p|div|li|tr|h[1-6]|blockquote)>", "\n", text)
    text = unescape(re.sub(r"<[^>]+>", "", text))
    return re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in text.splitlines())).strip()


def sanitize_html(html: str) -> str:
    """HTML safe to show an agent: no scripts, no event handlers, and no
    remote content (a tracking pixel tells the sender the mail was read):
    images only from the mail itself (cid:) or data: URLs."""
    cleaned = nh3.clean(
        html,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
    )
    return re.sub(r"(?is)<img\b(?![^>]*\bsrc=\"(?:cid:|data:))[^>]*>", "", cleaned)


def fold_quoted(text: str) -> str:
    """The new part of a reply: cut at the first quote marker, drop ">" lines
    and the signature."""
    cut = len(text)
    for marker in QUOTE_MARKERS:
        found = marker.search(text)
        if found is not None and found.start() < cut:
            cut = found.start()
    text = text[:cut]
    signature = SIGNATURE.search(text)
    if signature is not None:
        text = text[: signature.start()]
    lines = [line for line in text.splitlines() if not line.lstrip().startswith(">")]
    return "\n".join(lines).strip()


def _automatic(message: Message, sender: str) -> str | None:
    auto = (message.get("Auto-Submitted") or "").strip().lower()
    if auto and auto != "no":
        return f"Auto-Submitted: {auto}"
    precedence = (message.get("Precedence") or "").strip().lower()
    if precedence in ("bulk", "junk", "list", "auto_reply"):
        return f"Precedence: {precedence}"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        value = (message.get(name) or "").strip().lower()
        if value and (name != "X-Auto-Response-Suppress" or "all" in value or "oof" in value):
            return f"{name}: {value}"
    if message.get_content_type() == "multipart/report":
        return f"delivery report ({message.get_param('report-type') or 'report'})"
    local = sender.split("@")[0]
    if local in ("mailer-daemon", "postmaster"):
        return f"sent by {local}"
    return None


def parse_email(raw: bytes) -> ParsedEmail:
    warnings: list[str] = []
    try:
        message = email.message_from_bytes(raw, policy=email.policy.compat32)
    except Exception:  # noqa: BLE001 - never lose a mail to the parser
        text = storable_text(raw.decode("utf-8", errors="replace"))
        return ParsedEmail(None, None, (), "", "", None, (), None, text, None, text, warnings=("unreadable MIME; stored as raw text",))
    for defect in message.defects:
        warnings.append(f"MIME defect: {type(defect).__name__}")
    subject = _header(message, "Subject", warnings)
    sender_name, sender_address = "", ""
    try:
        found = getaddresses([_header(message, "From", warnings)])
        if found:
            sender_name, sender_address = found[0]
    except Exception:  # noqa: BLE001
        warnings.append("unreadable From header")
    to = tuple(address.lower() for _name, address in getaddresses([_header(message, "To", warnings)]) if address)
    date = None
    try:
        if message.get("Date"):
            parsed_date = parsedate_to_datetime(str(message.get("Date")))
            date = parsed_date.astimezone(timezone.utc).replace(tzinfo=None) if parsed_date.tzinfo else parsed_date
    except (TypeError, ValueError, IndexError):
        warnings.append("unreadable Date header")
    plain: list[str] = []
    html: list[str] = []
    attachments: list[Attachment] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        content_type = part.get_content_type()
        disposition = (part.get("Content-Disposition") or "").split(";")[0].strip().lower()
        filename = part.get_filename()
        if filename:
            filename = _header_value(filename, warnings)
        try:
            payload = part.get_payload(decode=True) or b""
        except Exception:  # noqa: BLE001
            warnings.append(f"undecodable {content_type} part")
            payload = b""
        if disposition == "attachment" or filename or not content_type.startswith("text/"):
            if content_type.startswith("message/delivery-status"):
                continue
            content_id = _one_id(part.get("Content-ID") or "")
            attachments.append(
                Attachment(filename or "attachment", content_type, payload, content_id, inline=disposition == "inline")
            )
            continue
        text = _decode(payload, part.get_content_charset(), warnings)
        if content_type == "text/html":
            html.append(text)
        else:
            plain.append(text)
    html_text = "\n".join(html) if html else None
    text = "\n".join(plain).strip() if plain else (html_to_text(html_text) if html_text else "")
    reason = _automatic(message, sender_address.lower())
    return ParsedEmail(
        message_id=_one_id(str(message.get("Message-ID") or "")),
        in_reply_to=_one_id(str(message.get("In-Reply-To") or "")),
        references=tuple(_ids(str(message.get("References") or ""))),
        subject=subject,
        sender_address=sender_address.strip().lower(),
        sender_name=sender_name.strip() or None,
        to=to,
        date=date,
        text=text,
        html=sanitize_html(html_text) if html_text else None,
        new_text=fold_quoted(text) or text,
        attachments=tuple(attachments),
        is_automatic=reason is not None,
        automatic_reason=reason,
        warnings=tuple(warnings),
    )


def _header_value(value: str, warnings: list[str]) -> str:
    try:
        parts = email.header.decode_header(value)
    except Exception:  # noqa: BLE001
        return storable_text(value)
    return storable_text("".join(_decode(v, c, warnings) if isinstance(v, bytes) else v for v, c in parts))


def thread_keys(parsed: ParsedEmail) -> tuple[str, ...]:
    """Message ids this mail answers, the most specific first."""
    keys: list[str] = []
    if parsed.in_reply_to:
        keys.append(parsed.in_reply_to)
    keys += [ref for ref in reversed(parsed.references) if ref not in keys]
    return tuple(keys)


def ticket_reference_in_subject(subject: str) -> int | None:
    found = TICKET_REFERENCE.search(subject or "")
    return int(found.group(1)) if found else None


def _no_line_breaks(value: str | None, field_name: str) -> str | None:
    if value is not None and ("\r" in value or "\n" in value):
        raise HeaderInjectionError(field_name)
    return value


def reply_subject(subject: str, ticket_id: int | None) -> str:
    """"Re: " once, whatever prefixes the customer's client added, and the
    ticket's reference so a reply finds the ticket even without headers."""
    bare = REPLY_PREFIX.sub("", subject or "").strip()
    text = f"Re: {bare}" if bare else "Re:"
    if ticket_id is not None and ticket_reference_in_subject(text) != ticket_id:
        text = f"{text} [#{ticket_id}]"
    return text


def build_reply(
    *,
    from_address: str,
    from_name: str | None,
    to_address: str,
    subject: str,
    text: str,
    html: str | None = None,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    message_id_domain: str,
    ticket_id: int | None = None,
    message_id: str | None = None,
    automatic: bool = False,
    attachments: Sequence[tuple[str, str, bytes]] = (),
) -> EmailMessage:
    """An agent's reply that the customer's mail client threads under their
    mail. `automatic`: no person wrote it, which RFC 3834 says to mark, so
    that an auto-responder does not answer it (and we do not answer that)."""
    for value, name in ((from_address, "from_address"), (from_name, "from_name"), (to_address, "to_address"), (subject, "subject")):
        _no_line_breaks(value, name)
    for index, ref in enumerate(references):
        _no_line_breaks(ref, f"references[{index}]")
    _no_line_breaks(in_reply_to, "in_reply_to")
    message = EmailMessage()
    message["From"] = email.utils.formataddr((from_name or "", from_address))
    message["To"] = to_address
    message["Subject"] = reply_subject(subject, ticket_id)
    # A given id (without <>) keeps one Message-ID across retries of one reply.
    _no_line_breaks(message_id, "message_id")
    message["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain=message_id_domain)
    message["Date"] = email.utils.formatdate(localtime=False)
    if automatic:
        message["Auto-Submitted"] = "auto-replied"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    chain = [ref for ref in references if ref] + ([in_reply_to] if in_reply_to and in_reply_to not in references else [])
    if chain:
        message["References"] = " ".join(f"<{ref}>" for ref in chain[-MAX_REFERENCES:])
    message.set_content(text)
    if html:
        message.add_alternative(html, subtype="html")
    for name, content_type, data in attachments:
        _no_line_breaks(name, "attachment filename")
        maintype, _, subtype = content_type.partition("/")
        if not maintype or not subtype:
            maintype, subtype = "application", "octet-stream"
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return message


# What a message holds (conversations.MAX_MESSAGE_CHARS); the rest is cut, with a note.
MAX_CONTENT = 10_000


def stored_content(parsed: ParsedEmail) -> tuple[str, dict[str, Any]]:
    """The text a mail is stored as (the new part, quoted history folded away)
    and its `attributes["email"]`: subject, Message-ID, warnings, attachments."""
    text = parsed.new_text or parsed.text or "(no text)"
    attributes: dict[str, Any] = {"email": {"message_id": parsed.message_id, "subject": parsed.subject}}
    if len(text) > MAX_CONTENT:
        attributes["truncated_from"] = len(text)
        text = text[:MAX_CONTENT]
    if parsed.warnings:
        attributes["email"]["warnings"] = list(parsed.warnings)
    if parsed.attachments:
        attributes["email"]["attachments"] = [
            {"filename": a.filename, "content_type": a.content_type, "size": len(a.data)} for a in parsed.attachments
        ]
    return text, attributes
