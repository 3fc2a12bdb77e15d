"""Sending replies by SMTP: TLS or STARTTLS and authentication as the inbox's
settings say. Knows nothing of the database: it gets an OutboundMessage with
the threading headers already worked out (channels/email/services.py).
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

from dragoman.channels.base import OutboundMessage
from dragoman.channels.email.config import EmailSettings, MailServer
from dragoman.channels.email.connections import GuardedSMTP, GuardedSMTPSSL
from dragoman.core.mime import build_reply
from dragoman.inboxes.channel_kinds import DeliveryFailed
from dragoman.core.outbound import EXCERPT_CHARS, OutboundAllow, OutboundError, OutboundRefused, response_excerpt


# The most of an error a reply's status or the log keeps (a refusal's reason
# with a long host name fits; a server's answer is cut shorter, `said`).
ERROR_CHARS = 400


class DeliveryError(DeliveryFailed):
    """A reply that did not go out. `permanent`: the server refused it for
    good (a 5xx: unknown recipient, refused content); retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool) -> None:
        super().__init__(message, permanent=permanent)


def _read_file(file: dict[str, str]) -> tuple[str, str, bytes]:
    """(name, type, bytes) of a file the reply carries, read from the path
    the service found it at."""
    try:
        return file["filename"], file["content_type"], Path(file["path"]).read_bytes()
    except OSError as error:
        raise DeliveryError(f"the attached file {file['filename']!r} could not be read: {error}", permanent=True) from None


def tls_context(server: MailServer) -> ssl.SSLContext:
    """Certificates verified for the host name, against the inbox's own CA
    certificates where it has them, the system's otherwise."""
    return ssl.create_default_context(cadata=server.ca_certificates)


def said(raw: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """What a mail server (or whatever answered on its port) said, as an
    error may show it: a short excerpt without control characters."""
    return response_excerpt(raw, limit)


def open_smtp(server: MailServer, timeout: float, allow: OutboundAllow) -> smtplib.SMTP:
    """A logged-in SMTP connection to an address the outbound guard allows.
    Raises smtplib/OSError errors as they come, OutboundError when refused."""
    if server.security == "tls":
        smtp: smtplib.SMTP = GuardedSMTPSSL(server.host, server.port, allow=allow, timeout=timeout, context=tls_context(server))
    else:
        smtp = GuardedSMTP(server.host, server.port, allow=allow, timeout=timeout)
        if server.security == "starttls":
            smtp.starttls(context=tls_context(server))
    try:
        if server.username:
            smtp.login(server.username, server.password or "")
    except BaseException:
        smtp.close()
        raise
    return smtp


class EmailAdapter:
    channel_type = "email"

    def __init__(self, settings: EmailSettings, allow: OutboundAllow = OutboundAllow(), timeout: float = 30.0) -> None:
        """`allow`: the install's allow-list; by default only public mail servers."""
        self.settings = settings
        self.allow = allow
        self.timeout = timeout

    def normalize_identity(self, raw: str) -> str:
        return raw.strip().lower()

    def compose(self, message: OutboundMessage) -> EmailMessage:
        """The mail as it goes out: headers that thread it, the files it carries."""
        headers = message.attributes
        return build_reply(
            from_address=self.settings.address,
            from_name=message.sender_name,
            to_address=message.recipient_id,
            subject=headers.get("subject") or "",
            text=message.content,
            in_reply_to=headers.get("in_reply_to"),
            references=headers.get("references") or (),
            message_id_domain=self.settings.address.split("@", 1)[1],
            ticket_id=headers.get("ticket_id"),
            message_id=headers.get("message_id"),
            automatic=bool(headers.get("automatic")),
            attachments=[_read_file(file) for file in headers.get("files") or ()],
        )

    def send(self, message: OutboundMessage) -> None:
        server = self.settings.smtp
        if server is None:
            raise DeliveryError("this inbox has no SMTP server to send through (settings.smtp)", permanent=True)
        mail = self.compose(message)
        try:
            with open_smtp(server, self.timeout, self.allow) as smtp:
                smtp.send_message(mail, from_addr=self.settings.address, to_addrs=[message.recipient_id])
        except OutboundRefused as refused:
            # Sending again cannot help until the settings (or the allow-list) change.
            raise DeliveryError(f"the SMTP server may not be reached: {said(str(refused), ERROR_CHARS)}", permanent=True) from None
        except OutboundError as error:  # the name does not resolve (now)
            raise DeliveryError(f"could not reach the SMTP server: {said(str(error), ERROR_CHARS)}", permanent=False) from None
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _text in error.recipients.values()]
            answers = "; ".join(f"{code} {said(text)}" for code, text in error.recipients.values())
            raise DeliveryError(f"recipient refused: {answers}", permanent=all(c >= 500 for c in codes)) from None
        except smtplib.SMTPAuthenticationError as error:
            raise DeliveryError(f"the SMTP server refused the login: {error.smtp_code} {said(error.smtp_error)}", permanent=False) from None
        except smtplib.SMTPResponseException as error:
            raise DeliveryError(f"the SMTP server said {error.smtp_code} {said(error.smtp_error)}", permanent=error.smtp_code >= 500) from None
        except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError) as error:
            raise DeliveryError(f"could not reach the SMTP server {server.host}:{server.port}: {said(str(error))}", permanent=False) from None
