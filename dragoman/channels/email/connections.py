"""Connections to the mail servers an inbox's settings name, through the
outbound guard (core/outbound.py).

An account admin types the SMTP and IMAP hosts and ports. Unguarded, they
could point them at this server's own services (127.0.0.1:6379), at the
machines beside it or at the cloud's metadata service, and read what
answered in a reply's error or the mailbox's log: a port scanner and a
server-side request forgery. So a host is checked when the settings are
saved (`check_mail_servers`: a 422 naming the field) and again at every
connection, which goes to the very address that was checked: the classes
here replace only the socket smtplib and imaplib open. Everything above the
socket is theirs, so TLS (and STARTTLS) is still for the host name the
admin typed and the certificate is checked for it.

The install's allow-list (DRAGOMAN_OUTBOUND_ALLOW) lets an operator allow
an on-premises server, on one port if the entry names one (127.0.0.1:25).
"""

from __future__ import annotations

import imaplib
import smtplib
import socket
import ssl

from dragoman.channels.email.config import EmailSettings
from dragoman.core.errors import InvalidInput
from dragoman.core.outbound import OutboundAllow, OutboundRefused, check_host, open_checked_socket


def check_mail_servers(settings: EmailSettings, allow: OutboundAllow) -> None:
    """The check when an admin saves an e-mail inbox: raises InvalidInput
    naming the host field of a server that may not be reached. A name that
    does not resolve yet passes (every connection checks again)."""
    for key, server in (("smtp", settings.smtp), ("imap", settings.imap)):
        if server is None:
            continue
        try:
            check_host(server.host, server.port, allow)
        except OutboundRefused as refused:
            raise InvalidInput(f"settings.{key}.host: {refused}", field=f"settings.{key}.host") from None


class GuardedSMTP(smtplib.SMTP):
    """smtplib.SMTP connecting only to an address the guard checked."""

    def __init__(self, host: str, port: int, *, allow: OutboundAllow, timeout: float) -> None:
        self._allow = allow
        super().__init__(host, port, timeout=timeout)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:  # type: ignore[override]
        return open_checked_socket(host, port, self._allow, timeout)


class GuardedSMTPSSL(smtplib.SMTP_SSL, GuardedSMTP):
    """smtplib.SMTP_SSL over GuardedSMTP's socket: SMTP_SSL._get_socket wraps
    what the next class in line (GuardedSMTP) opens, for the host name."""

    def __init__(self, host: str, port: int, *, allow: OutboundAllow, timeout: float, context: ssl.SSLContext) -> None:
        self._allow = allow
        smtplib.SMTP_SSL.__init__(self, host, port, timeout=timeout, context=context)


class GuardedIMAP4(imaplib.IMAP4):
    """imaplib.IMAP4 connecting only to an address the guard checked."""

    def __init__(self, host: str, port: int, *, allow: OutboundAllow, timeout: float) -> None:
        self._allow = allow
        super().__init__(host, port, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        return open_checked_socket(self.host, self.port, self._allow, timeout)


class GuardedIMAP4SSL(imaplib.IMAP4_SSL):
    """imaplib.IMAP4_SSL whose socket is GuardedIMAP4's, wrapped for the host
    name (IMAP4_SSL._create_socket calls IMAP4's directly, so it is replaced whole)."""

    def __init__(self, host: str, port: int, *, allow: OutboundAllow, timeout: float, ssl_context: ssl.SSLContext) -> None:
        self._allow = allow
        super().__init__(host, port, ssl_context=ssl_context, timeout=timeout)

    def _create_socket(self, timeout: float | None) -> socket.socket:
        sock = open_checked_socket(self.host, self.port, self._allow, timeout)
        return self.ssl_context.wrap_socket(sock, server_hostname=self.host)
