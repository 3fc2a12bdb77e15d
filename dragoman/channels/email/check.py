"""Trying an e-mail inbox's servers now, for the admin who just typed them:
the IMAP mailbox is opened (signed in, folder selected read-only) and the
SMTP server greeted and signed in to; nothing is read, changed or sent.
Through the outbound guard, like every connection (channels/email/connections.py)."""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl
from dataclasses import dataclass

from dragoman.channels.email.adapter import ERROR_CHARS, open_smtp, said
from dragoman.channels.email.config import EmailSettings
from dragoman.channels.email.imap import MailboxError, close_mailbox, open_mailbox, select_folder
from dragoman.core.outbound import OutboundAllow, OutboundError

# An admin waits for the answer: a server that does not answer in this long is an answer too.
CHECK_TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ServerCheck:
    server: str  # "imap" or "smtp"
    ok: bool
    # What the server said, or why it could not be reached (English, from the server or the guard).
    detail: str


def check_imap(settings: EmailSettings, allow: OutboundAllow, timeout: float = CHECK_TIMEOUT_SECONDS) -> ServerCheck | None:
    box = settings.imap
    if box is None or settings.receive != "imap":
        return None
    try:
        conn = open_mailbox(box, allow, timeout)
    except MailboxError as error:
        return ServerCheck("imap", False, str(error))
    try:
        select_folder(conn, box.folder)
    except (MailboxError, imaplib.IMAP4.error, OSError) as error:
        return ServerCheck("imap", False, said(str(error), ERROR_CHARS))
    finally:
        close_mailbox(conn)
    return ServerCheck("imap", True, f"signed in to {box.host}:{box.port}, folder {box.folder}")


def check_smtp(settings: EmailSettings, allow: OutboundAllow, timeout: float = CHECK_TIMEOUT_SECONDS) -> ServerCheck | None:
    server = settings.smtp
    if server is None:
        return None
    try:
        smtp = open_smtp(server, timeout, allow)
    except smtplib.SMTPAuthenticationError as error:
        return ServerCheck("smtp", False, f"{server.host}:{server.port} refused the user name or password: {said(error.smtp_error)}")
    except (smtplib.SMTPException, OSError, socket.timeout, ssl.SSLError, OutboundError) as error:
        return ServerCheck("smtp", False, f"could not open {server.host}:{server.port}: {said(str(error), ERROR_CHARS)}")
    try:
        smtp.noop()
        smtp.quit()
    except (smtplib.SMTPException, OSError):
        smtp.close()
    return ServerCheck("smtp", True, f"connected to {server.host}:{server.port}" + (" and signed in" if server.username else ""))


def check_servers(settings: EmailSettings, allow: OutboundAllow, timeout: float = CHECK_TIMEOUT_SECONDS) -> list[ServerCheck]:
    """The inbox's mailbox and outgoing server, each tried once."""
    return [check for check in (check_imap(settings, allow, timeout), check_smtp(settings, allow, timeout)) if check is not None]
