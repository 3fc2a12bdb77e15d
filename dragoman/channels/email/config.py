"""An e-mail inbox's settings: the address customers write to, how mail comes
in (an IMAP mailbox it polls, or Dragoman's own SMTP listener) and the SMTP
server replies leave through.

Stored in `inboxes.settings` as JSON; checked here so a bad setting is a 422
naming the field (`settings.imap.port`), never a receiver that dies later.
Pure: no I/O. Whether the hosts may be reached at all is the outbound
guard's question (channels/email/connections.py), asked when the settings
are saved and at every connection.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass, replace
from typing import Any

from dragoman.core.errors import InvalidInput
from dragoman.core.secrets import unseal
from dragoman.core.validation import require_email

SECURITY = ("tls", "starttls", "none")
RECEIVE_MODES = ("imap", "smtp")
# The largest mail any inbox may accept (its own max_bytes is at most this).
MAX_BYTES_LIMIT = 100 * 1024 * 1024
# A company's own CA certificates, as PEM text: a chain of a few certificates
# is a few kilobytes.
MAX_CA_CERTIFICATES_CHARS = 64 * 1024


@dataclass(frozen=True)
class MailServer:
    host: str
    port: int
    security: str  # "tls": TLS from the first byte; "starttls": upgrade; "none": plain (a local relay)
    username: str | None = None
    password: str | None = None
    # PEM text of the certificates to trust (a company's own CA); the system's otherwise.
    ca_certificates: str | None = None


@dataclass(frozen=True)
class ImapMailbox(MailServer):
    folder: str = "INBOX"
    # IMAP IDLE, where the server offers it, hears new mail at once; polling
    # every `poll_seconds` is the fallback and the safety net.
    idle: bool = True
    poll_seconds: float = 60.0


@dataclass(frozen=True)
class EmailSettings:
    address: str
    from_name: str | None
    receive: str
    smtp: MailServer | None
    imap: ImapMailbox | None
    max_bytes: int
    acknowledge: bool = False  # mail a new request's number back (channels/email/acknowledgement.py)


def _text(raw: dict[str, Any], key: str, field: str, *, required: bool = False, max_length: int = 255) -> str | None:
    value = raw.get(key)
    if value is None or value == "":
        if required:
            raise InvalidInput(f"{field} is required", field=field)
        return None
    if not isinstance(value, str) or len(value) > max_length or "\r" in value or "\n" in value:
        raise InvalidInput(f"{field} must be one line of text up to {max_length} characters", field=field)
    return value.strip()


def _port(raw: dict[str, Any], field: str, default: int) -> int:
    value = raw.get("port", default)
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 65535:
        raise InvalidInput(f"{field} must be a port number from 1 to 65535", field=field)
    return value


def _security(raw: dict[str, Any], field: str, default: str) -> str:
    value = raw.get("security", default)
    if value not in SECURITY:
        raise InvalidInput(f"{field} must be one of {', '.join(SECURITY)}", field=field)
    return str(value)


def _ca_certificates(raw: dict[str, Any], field: str) -> str | None:
    """PEM text of one or more CA certificates, checked by loading them the
    way a connection will (in memory: no file is involved)."""
    value = raw.get("ca_certificates")
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > MAX_CA_CERTIFICATES_CHARS:
        raise InvalidInput(f"{field} must be PEM text of at most {MAX_CA_CERTIFICATES_CHARS} characters", field=field)
    if "-----BEGIN CERTIFICATE-----" not in value or "PRIVATE KEY" in value:
        raise InvalidInput(f"{field} must hold certificates only, as PEM text (-----BEGIN CERTIFICATE-----)", field=field)
    try:
        ssl.create_default_context(cadata=value)
    except (ssl.SSLError, ValueError):
        raise InvalidInput(f"{field}: the certificates could not be read (PEM text expected)", field=field) from None
    return value


def _server_fields(raw: Any, prefix: str, default_ports: dict[str, int], default_security: str) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise InvalidInput(f"{prefix} must be an object with host, port and security", field=prefix)
    security = _security(raw, f"{prefix}.security", default_security)
    fields: dict[str, Any] = {
        "host": _text(raw, "host", f"{prefix}.host", required=True),
        "port": _port(raw, f"{prefix}.port", default_ports[security]),
        "security": security,
        "username": _text(raw, "username", f"{prefix}.username"),
        "password": _text(raw, "password", f"{prefix}.password", max_length=1000),
        "ca_certificates": _ca_certificates(raw, f"{prefix}.ca_certificates"),
    }
    if raw.get("ca_file") is not None:
        # A path would let an account admin make the server open any file it
        # can read (and tell from the error whether it exists and what it
        # holds); the certificates themselves are all the connection needs.
        raise InvalidInput(
            f"{prefix}.ca_file: file paths on the server are not accepted; "
            f"paste the certificates (PEM text) as {prefix}.ca_certificates",
            field=f"{prefix}.ca_file",
        )
    if fields["password"] and not fields["username"]:
        raise InvalidInput(f"{prefix}.username is required with a password", field=f"{prefix}.username")
    return fields


def read_email_settings(settings: dict[str, Any] | None) -> EmailSettings:
    """The checked settings of an e-mail inbox. Raises InvalidInput naming the field."""
    raw = dict(settings or {})
    address = require_email(raw.get("address"), "settings.address")
    receive = raw.get("receive", "imap" if raw.get("imap") else "smtp")
    if receive not in RECEIVE_MODES:
        raise InvalidInput(f"settings.receive must be one of {', '.join(RECEIVE_MODES)}", field="settings.receive")
    smtp = None
    if raw.get("smtp") is not None:
        smtp = MailServer(**_server_fields(raw["smtp"], "settings.smtp", {"tls": 465, "starttls": 587, "none": 25}, "starttls"))
    imap = None
    if raw.get("imap") is not None:
        fields = _server_fields(raw["imap"], "settings.imap", {"tls": 993, "starttls": 143, "none": 143}, "tls")
        box = raw["imap"]
        folder = _text(box, "folder", "settings.imap.folder") or "INBOX"
        idle = box.get("idle", True)
        if not isinstance(idle, bool):
            raise InvalidInput("settings.imap.idle must be true or false", field="settings.imap.idle")
        poll = box.get("poll_seconds", 60)
        if isinstance(poll, bool) or not isinstance(poll, int | float) or not 1 <= poll <= 86400:
            raise InvalidInput("settings.imap.poll_seconds must be from 1 to 86400", field="settings.imap.poll_seconds")
        imap = ImapMailbox(**fields, folder=folder, idle=idle, poll_seconds=float(poll))
    if receive == "imap" and imap is None:
        raise InvalidInput("settings.imap is required when mail is received by IMAP", field="settings.imap")
    max_bytes = raw.get("max_bytes", 25 * 1024 * 1024)
    if isinstance(max_bytes, bool) or not isinstance(max_bytes, int) or not 1024 <= max_bytes <= MAX_BYTES_LIMIT:
        raise InvalidInput("settings.max_bytes must be from 1024 to 104857600", field="settings.max_bytes")
    acknowledge = raw.get("acknowledge", False)
    if not isinstance(acknowledge, bool):
        raise InvalidInput("settings.acknowledge must be true or false", field="settings.acknowledge")
    return EmailSettings(
        address=address,
        from_name=_text(raw, "from_name", "settings.from_name", max_length=200),
        receive=str(receive),
        smtp=smtp,
        imap=imap,
        max_bytes=max_bytes,
        acknowledge=acknowledge,
    )


def with_clear_passwords(settings: EmailSettings, secret_key: str) -> EmailSettings:
    """The settings the channel connects with. Raises SecretUnreadable when a
    password was sealed under another secret key."""
    smtp = replace(settings.smtp, password=unseal(settings.smtp.password, secret_key)) if settings.smtp and settings.smtp.password else settings.smtp
    imap = replace(settings.imap, password=unseal(settings.imap.password, secret_key)) if settings.imap and settings.imap.password else settings.imap
    return replace(settings, smtp=smtp, imap=imap)

