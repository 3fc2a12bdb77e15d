"""The mail catcher: on an install that tries Dragoman out (the demo, `make
run`), replies by e-mail never leave it. The sending thread hands each mail,
exactly as it would have gone to the inbox's SMTP server, to the catcher,
which keeps it in the data directory; admins read what their account's
customers would have received on the demo mail page (demo/pages.py).

Turned on by DRAGOMAN_MAIL_CATCHER; kept per account (a folder each), so an
admin reads only their own account's mail.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

from dragoman.core.clock import utcnow

# The most a listing reads: a page of recent mail, never the whole folder.
MAX_LISTED = 50


@dataclass(frozen=True)
class CaughtMail:
    caught_at: datetime
    sender: str
    to: str
    subject: str
    text: str
    automatic: bool  # sent by Dragoman itself (an acknowledgement, a survey), not by a person


class MailCatcher:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def _folder(self, account_id: int) -> Path:
        return self.directory / str(int(account_id))

    def keep(self, account_id: int, mail: EmailMessage) -> Path:
        """Store one mail as the SMTP server would have received it."""
        folder = self._folder(account_id)
        folder.mkdir(parents=True, exist_ok=True)
        # Sortable by time; the random part keeps two mails of one instant apart.
        path = folder / f"{utcnow():%Y%m%dT%H%M%S%f}-{secrets.token_hex(4)}.eml"
        path.write_bytes(mail.as_bytes())
        return path

    def recent(self, account_id: int, limit: int = MAX_LISTED) -> list[CaughtMail]:
        """The account's caught mail, newest first."""
        folder = self._folder(account_id)
        if not folder.is_dir():
            return []
        paths = sorted(folder.glob("*.eml"), reverse=True)[: max(0, min(limit, MAX_LISTED))]
        return [read_caught(path) for path in paths]


def read_caught(path: Path) -> CaughtMail:
    mail = BytesParser(policy=policy.default).parsebytes(path.read_bytes())
    body = mail.get_body(preferencelist=("plain",))  # type: ignore[attr-defined]
    text = body.get_content() if body is not None else ""
    stamp = path.name.split("-", 1)[0]
    return CaughtMail(
        caught_at=datetime.strptime(stamp, "%Y%m%dT%H%M%S%f"),
        sender=str(mail.get("From", "")),
        to=str(mail.get("To", "")),
        subject=str(mail.get("Subject", "")),
        text=str(text).strip(),
        automatic=bool(mail.get("Auto-Submitted")) and str(mail.get("Auto-Submitted")).lower() != "no",
    )
