"""Reading an IMAP mailbox: new mail by UID, and IMAP IDLE to hear of it at once.

No database here; `runtime.py` keeps the cursor (UIDVALIDITY, last UID) and
stores what this returns. imaplib in Python 3.11 has no IDLE command, so
`wait_for_mail` speaks it (RFC 2177) through imaplib's public send/readline.
"""

from __future__ import annotations

import imaplib
import re
import select
import ssl
import time
from collections.abc import Callable, Iterator

from dragoman.channels.email.adapter import ERROR_CHARS, said, tls_context
from dragoman.channels.email.config import ImapMailbox
from dragoman.channels.email.connections import GuardedIMAP4, GuardedIMAP4SSL
from dragoman.core.outbound import OutboundAllow, OutboundError

_UIDVALIDITY = re.compile(rb"UIDVALIDITY (\d+)")
_FETCHED_UID = re.compile(rb"UID (\d+)")
# RFC 2177: a client must re-issue IDLE at least every 29 minutes.
MAX_IDLE_SECONDS = 25 * 60


class MailboxError(Exception):
    pass


def open_mailbox(box: ImapMailbox, allow: OutboundAllow = OutboundAllow(), timeout: float = 30.0) -> imaplib.IMAP4:
    """Logged in, with the folder selected read-only (Dragoman never changes
    the mailbox: no flags set, nothing moved). Only to a server the outbound
    guard allows (`allow`: the install's allow-list)."""
    conn: imaplib.IMAP4 | None = None
    try:
        if box.security == "tls":
            conn = GuardedIMAP4SSL(box.host, box.port, allow=allow, ssl_context=tls_context(box), timeout=timeout)
        else:
            conn = GuardedIMAP4(box.host, box.port, allow=allow, timeout=timeout)
            if box.security == "starttls":
                conn.starttls(ssl_context=tls_context(box))
        if box.username:
            conn.login(box.username, box.password or "")
    except (imaplib.IMAP4.error, OSError, OutboundError) as error:
        if conn is not None:
            close_mailbox(conn)
        # What answered may be anything (an HTTP server, a database): only a short, clean excerpt.
        raise MailboxError(f"could not open {box.host}:{box.port}: {said(str(error), ERROR_CHARS)}") from None
    return conn


def select_folder(conn: imaplib.IMAP4, folder: str) -> int:
    """Select `folder` read-only; returns its UIDVALIDITY."""
    status, _data = conn.select(_quoted(folder), readonly=True)
    if status != "OK":
        raise MailboxError(f"the server has no folder {folder!r}")
    for item in conn.response("UIDVALIDITY")[1] or []:
        if item:
            return int(item)
    status, data = conn.status(_quoted(folder), "(UIDVALIDITY)")
    found = _UIDVALIDITY.search(data[0] or b"") if status == "OK" and data else None
    if found is None:
        raise MailboxError("the server gave no UIDVALIDITY")
    return int(found.group(1))


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def new_uids(conn: imaplib.IMAP4, after_uid: int) -> list[int]:
    # "n:*" always matches the last message even when its UID is below n, so filter.
    status, data = conn.uid("SEARCH", f"UID {after_uid + 1}:*")
    if status != "OK":
        raise MailboxError(f"UID SEARCH failed: {data!r}")
    return sorted(uid for uid in (int(x) for x in (data[0] or b"").split()) if uid > after_uid)


def fetch_mail(conn: imaplib.IMAP4, uids: list[int]) -> Iterator[tuple[int, bytes]]:
    """(UID, raw bytes) for each, without setting \\Seen (BODY.PEEK)."""
    for uid in uids:
        status, data = conn.uid("FETCH", str(uid), "(UID BODY.PEEK[])")
        if status != "OK":
            raise MailboxError(f"FETCH {uid} failed: {data!r}")
        for part in data:
            if isinstance(part, tuple) and len(part) == 2:
                found = _FETCHED_UID.search(part[0])
                yield (int(found.group(1)) if found else uid), part[1]
                break


def supports_idle(conn: imaplib.IMAP4) -> bool:
    return "IDLE" in conn.capabilities


def wait_for_mail(
    conn: imaplib.IMAP4, seconds: float, should_stop: Callable[[], bool] = lambda: False, tag: bytes = b"DIDLE"
) -> bool:
    """IDLE until the server reports new mail (True), `seconds` pass or
    `should_stop()` (False). Returns with the connection ready for the next command."""
    conn.send(tag + b" IDLE\r\n")
    first = conn.readline()
    if not first.startswith(b"+"):
        raise MailboxError(f"the server refused IDLE: {first!r}")
    # Wait on the socket with select, not a socket timeout: after a timeout
    # the socket's file object refuses every later read.
    sock = conn.socket()
    deadline = time.monotonic() + min(seconds, MAX_IDLE_SECONDS)
    arrived = False
    while not arrived and not should_stop():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        pending = isinstance(sock, ssl.SSLSocket) and sock.pending() > 0
        if not pending and not select.select([sock], [], [], min(remaining, 1.0))[0]:
            continue
        line = conn.readline()
        if not line:
            raise MailboxError("the server closed the connection during IDLE")
        arrived = line.startswith(b"*") and (b"EXISTS" in line or b"RECENT" in line)
    conn.send(b"DONE\r\n")
    while True:
        line = conn.readline()
        if not line:
            raise MailboxError("the server closed the connection after IDLE")
        if line.startswith(tag + b" "):
            if not line.startswith(tag + b" OK"):
                raise MailboxError(f"IDLE ended badly: {line!r}")
            return arrived


def close_mailbox(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
