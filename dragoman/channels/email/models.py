"""Where each IMAP mailbox was read up to.

A mailbox's UIDs only grow while its UIDVALIDITY stays the same, so "the
highest UID stored" is a cursor that survives restarts without marking mail
as read (a person may also read that mailbox with a mail client). When the
server changes UIDVALIDITY the cursor starts again; Message-IDs already
stored keep the mail from being stored twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from dragoman.core.db import Base


class MailboxCursor(Base):
    __tablename__ = "email_mailbox_cursors"
    inbox_id: Mapped[int] = mapped_column(ForeignKey("inboxes.id", ondelete="CASCADE"), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_at: Mapped[datetime | None] = mapped_column(DateTime, nullable=True)
