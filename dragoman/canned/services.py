"""Saved replies: kept per account with a version per language, filled in
for one conversation in its customer's language."""

from __future__ import annotations

import re
from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dragoman.accounts.models import Account, User
from dragoman.accounts.permissions import Viewer
from dragoman.canned.models import CannedReply, CannedReplyVersion
from dragoman.canned.placeholders import PLACEHOLDERS, fill_placeholders, pick_language, unclosed_placeholder, unknown_placeholders
from dragoman.canned.schemas import CannedReplyIn, CannedReplyOut, FilledReplyOut
from dragoman.contacts.models import Contact
from dragoman.conversations.models import Conversation
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.validation import require_language, require_text
from dragoman.tickets.models import Ticket

KINDS = ("greeting", "reassurance", "closing", "other")
MAX_BODY = 10_000  # a reply is a message (conversations.MAX_MESSAGE_CHARS)
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


def _check(body: CannedReplyIn) -> tuple[str, str, str, dict[str, str]]:
    shortcut = (body.shortcut or "").strip().lower().lstrip("/")
    if not _SHORTCUT.match(shortcut):
        raise InvalidInput("shortcut must be 1-60 lower-case letters, digits, - or _ (e.g. delivery-delay)", field="shortcut")
    title = require_text(body.title, "title", max_length=200)
    if body.kind not in KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(KINDS)}", field="kind")
    if not body.versions:
        raise InvalidInput("give at least one version: {\"en\": \"text\"}", field="versions")
    versions: dict[str, str] = {}
    for language, text in body.versions.items():
        field = f"versions.{language}"
        code = require_language(language, field)
        text = require_text(text, field, max_length=MAX_BODY)
        unknown = unknown_placeholders(text)
        if unknown:
            raise InvalidInput(
                f"{field} uses an unknown placeholder {{{{{unknown[0]}}}}}; known: "
                + ", ".join("{{" + name + "}}" for name in PLACEHOLDERS),
                field=field,
            )
        if unclosed_placeholder(text):
            raise InvalidInput(f"{field} has a placeholder without its closing }}}}", field=field)
        versions[code] = text
    return shortcut, title, body.kind, versions


def save_canned_reply(db: Session, account_id: int, body: CannedReplyIn, reply: CannedReply | None = None) -> CannedReply:
    shortcut, title, kind, versions = _check(body)
    taken = db.scalar(select(CannedReply.id).where(CannedReply.account_id == account_id, CannedReply.shortcut == shortcut))
    if taken is not None and (reply is None or taken != reply.id):
        raise Conflict(f"another saved reply already has the shortcut /{shortcut}", field="shortcut")
    if reply is None:
        reply = CannedReply(account_id=account_id, shortcut=shortcut, title=title, kind=kind)
        db.add(reply)
        db.flush()
    else:
        reply.shortcut, reply.title, reply.kind, reply.updated_at = shortcut, title, kind, utcnow()
        db.execute(delete(CannedReplyVersion).where(CannedReplyVersion.canned_reply_id == reply.id))
    for language, text in sorted(versions.items()):
        db.add(CannedReplyVersion(canned_reply_id=reply.id, language=language, body=text))
    db.flush()
    return reply


def get_canned_reply(db: Session, account_id: int, canned_reply_id: int) -> CannedReply:
    reply = db.get(CannedReply, canned_reply_id)
    if reply is None or reply.account_id != account_id:
        raise NotFound(f"saved reply {canned_reply_id} not found", field="canned_reply_id")
    return reply


def _versions(db: Session, reply_ids: Sequence[int]) -> dict[int, dict[str, str]]:
    found: dict[int, dict[str, str]] = {rid: {} for rid in reply_ids}
    if reply_ids:
        for version in db.scalars(
            select(CannedReplyVersion).where(CannedReplyVersion.canned_reply_id.in_(reply_ids)).order_by(CannedReplyVersion.language)
        ):
            found[version.canned_reply_id][version.language] = version.body
    return found


def canned_reply_out(reply: CannedReply, versions: dict[str, str]) -> CannedReplyOut:
    return CannedReplyOut(
        id=reply.id, shortcut=reply.shortcut, title=reply.title, kind=reply.kind, versions=versions, updated_at=isoformat(reply.updated_at) or ""
    )


def list_canned_replies(db: Session, account_id: int, query: str | None = None) -> list[CannedReplyOut]:
    statement = select(CannedReply).where(CannedReply.account_id == account_id).order_by(CannedReply.kind, CannedReply.shortcut)
    replies = list(db.scalars(statement))
    versions = _versions(db, [r.id for r in replies])
    out = [canned_reply_out(r, versions[r.id]) for r in replies]
    if query:
        # Few replies per account (tens, not thousands): matched here, in any language.
        needle = query.strip().lower().lstrip("/")
        out = [
            r for r in out
            if needle in r.shortcut or needle in r.title.lower() or any(needle in text.lower() for text in r.versions.values())
        ]
    return out


def read_canned_reply(db: Session, reply: CannedReply) -> CannedReplyOut:
    return canned_reply_out(reply, _versions(db, [reply.id])[reply.id])


def _first_word(name: str | None) -> str | None:
    return name.split()[0] if name and name.split() else None


def fill_for_conversation(db: Session, viewer: Viewer, reply: CannedReply, conversation: Conversation) -> FilledReplyOut:
    """The reply in the customer's language, with this conversation's values."""
    versions = _versions(db, [reply.id])[reply.id]
    contact = db.get(Contact, conversation.contact_id)
    agent = db.get(User, viewer.user_id)
    account = db.get(Account, conversation.account_id)
    ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conversation.id))
    customer_language = conversation.language or (contact.language if contact else None)
    fallbacks = [code for code in ((agent.working_language if agent else None), (account.default_locale if account else None), "en") if code]
    language, exact = pick_language(sorted(versions), customer_language, fallbacks)
    if language is None:
        raise NotFound(f"saved reply {reply.id} has no text", field="canned_reply_id")
    values: dict[str, str | int | None] = {
        "contact.name": contact.name if contact else None,
        "contact.first_name": _first_word(contact.name if contact else None),
        "contact.email": contact.email if contact else None,
        "agent.name": agent.name if agent else viewer.name,
        "agent.first_name": _first_word(agent.name if agent else viewer.name),
        "ticket.id": ticket.id if ticket else None,
        "ticket.subject": ticket.subject if ticket else None,
        "conversation.id": conversation.id,
        "account.name": account.name if account else None,
    }
    return FilledReplyOut(
        canned_reply_id=reply.id,
        text=fill_placeholders(versions[language], values),
        language=language,
        customer_language=customer_language,
        exact=exact,
    )
