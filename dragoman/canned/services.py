"""Saved replies: kept per account with a version per language, filled in
for one conversation in its customer's language."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dragoman.accounts.models import Account, User
from dragoman.accounts.services import get_team
from dragoman.accounts.permissions import Viewer
from dragoman.canned.models import CannedReply, CannedReplyVersion
from dragoman.canned.placeholders import PLACEHOLDERS, fill_placeholders, pick_language, unclosed_placeholder, unknown_placeholders
from dragoman.canned.schemas import CannedReplyIn, CannedReplyOut, FilledReplyOut, MacroActions
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.validation import require_language, require_text
from dragoman.tickets import services as tickets
from dragoman.tickets.models import Ticket
from dragoman.tickets.schemas import TicketPatchIn
from dragoman.tickets.services import clean_tags

KINDS = ("greeting", "reassurance", "closing", "other")
MAX_BODY = 10_000  # a reply is a message (conversations.MAX_MESSAGE_CHARS)
_SHORTCUT = re.compile(r"^[a-z0-9][a-z0-9_-]{0,59}$")


TICKET_STATUSES = ("new", "open", "pending", "on_hold", "solved", "closed")
PRIORITIES = ("low", "normal", "high", "urgent")
# A macro on a conversation that is not a ticket: the nearest conversation status.
CONVERSATION_STATUS_OF = {"new": "open", "open": "open", "on_hold": "open", "pending": "pending", "solved": "resolved", "closed": "resolved"}


def _check_actions(db: Session, account_id: int, actions: MacroActions) -> dict[str, Any]:
    checked: dict[str, Any] = {}
    if actions.ticket_status is not None:
        if actions.ticket_status not in TICKET_STATUSES:
            raise InvalidInput(f"actions.ticket_status must be one of {', '.join(TICKET_STATUSES)}", field="actions.ticket_status")
        checked["ticket_status"] = actions.ticket_status
    if actions.priority is not None:
        if actions.priority not in PRIORITIES:
            raise InvalidInput(f"actions.priority must be one of {', '.join(PRIORITIES)}", field="actions.priority")
        checked["priority"] = actions.priority
    if actions.add_tags:
        checked["add_tags"] = clean_tags(actions.add_tags)
    if actions.team_id is not None:
        try:
            get_team(db, account_id, actions.team_id)
        except NotFound:
            raise NotFound(f"team {actions.team_id} not found", field="actions.team_id") from None
        checked["team_id"] = actions.team_id
    return checked


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
    actions = _check_actions(db, account_id, body.actions)
    taken = db.scalar(select(CannedReply.id).where(CannedReply.account_id == account_id, CannedReply.shortcut == shortcut))
    if taken is not None and (reply is None or taken != reply.id):
        raise Conflict(f"another saved reply already has the shortcut /{shortcut}", field="shortcut")
    if reply is None:
        reply = CannedReply(account_id=account_id, shortcut=shortcut, title=title, kind=kind, actions=actions)
        db.add(reply)
        db.flush()
    else:
        reply.shortcut, reply.title, reply.kind, reply.updated_at = shortcut, title, kind, utcnow()
        reply.actions = actions
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
        id=reply.id,
        shortcut=reply.shortcut,
        title=reply.title,
        kind=reply.kind,
        versions=versions,
        actions=MacroActions(**(reply.actions or {})),
        updated_at=isoformat(reply.updated_at) or "",
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


def apply_macro(db: Session, viewer: Viewer, reply: CannedReply, conversation: Conversation) -> list[str]:
    """Carry out a macro's actions on the conversation (its ticket's status,
    priority and tags; the team). Returns what was done, for the agent."""
    actions = dict(reply.actions or {})
    done: list[str] = []
    ticket = db.scalar(select(Ticket).where(Ticket.conversation_id == conversation.id))
    if ticket is not None:
        patch: dict[str, Any] = {}
        if "ticket_status" in actions:
            patch["status"] = actions["ticket_status"]
        if "priority" in actions:
            patch["priority"] = actions["priority"]
        if actions.get("add_tags"):
            patch["tags"] = [*(ticket.tags or ()), *(t for t in actions["add_tags"] if t not in (ticket.tags or ()))]
        if patch:
            tickets.update_ticket(db, viewer, ticket, conversation, TicketPatchIn(**patch))
            done += [f"{key}={value}" for key, value in patch.items()]
    else:
        if "ticket_status" in actions:
            status = CONVERSATION_STATUS_OF[actions["ticket_status"]]
            if conversation.status.value != status:
                conversations.change_status(db, viewer, conversation, status)
            done.append(f"status={status}")
        if "priority" in actions:
            conversations.update_conversation(db, conversation, priority=actions["priority"])
            done.append(f"priority={actions['priority']}")
    if "team_id" in actions and conversation.team_id != actions["team_id"]:
        conversations.assign_conversation(db, viewer, conversation, assignee_id=None, team_id=actions["team_id"])
        done.append(f"team_id={actions['team_id']}")
    return done
