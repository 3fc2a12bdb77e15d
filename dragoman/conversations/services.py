"""Conversations and messages: ingest, reply, note, assign, resolve, list.

`receive_*`, `send_*`, `assign_*`, `change_*` change state and record the
event the rest of the system reacts to (the WebSocket push, webhooks, and
later routing and translation). Callers commit; events go out after commit.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, String, and_, bindparam, cast, delete, exists, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from dragoman.accounts.models import Team, User
from dragoman.accounts.permissions import Viewer, can_view_conversation, visible_conversations_clause
from dragoman.contacts.models import Contact
from dragoman.conversations.models import (
    Conversation,
    ConversationStatus,
    Direction,
    FileUpload,
    Message,
    Priority,
    SenderType,
)
from dragoman.conversations.events import (
    ConversationAssigned,
    ConversationCreated,
    ConversationPayload,
    ConversationStatusChanged,
    ConversationUpdated,
    MessageCreated,
    MessageUpdated,
    PreviousAssignment,
)
from dragoman.conversations.schemas import ContactRef, ConversationOut, MessageOut, PersonRef
from dragoman.core import events
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.files import store_file, stored_file
from dragoman.core.like import LIKE_ESCAPE, contains_pattern
from dragoman.core.validation import optional_language, require_text
from dragoman.inboxes import channel_kinds
from dragoman.inboxes.models import Inbox
from dragoman.language import services as language_services

MAX_MESSAGE_CHARS = 10_000
PAGE_SIZE = 50

# -- serialising --------------------------------------------------------------


def _person(db: Session, model: type[User] | type[Team], ident: int | None) -> PersonRef | None:
    if ident is None:
        return None
    row = db.get(model, ident)  # identity map: one query per person per request
    return PersonRef(id=ident, name=row.name if row else None)


def messages_out(db: Session, messages: Sequence[Message]) -> list[MessageOut]:
    """A timeline: its senders loaded in one query per kind, however many
    messages (one query per message was the timeline's cost)."""
    contacts = _by_id(db, Contact, {m.sender_id for m in messages if m.sender_type is SenderType.contact and m.sender_id is not None})
    # Held here for the loop: the session keeps loaded rows only weakly, and
    # `_person`'s `db.get` finds them in its identity map while they live.
    users = _by_id(db, User, {m.sender_id for m in messages if m.sender_type is SenderType.user and m.sender_id is not None})
    out = [message_out(db, m, contacts.get(m.sender_id) if m.sender_id is not None else None) for m in messages]
    del users
    return out


def message_out(db: Session, message: Message, contact: Contact | None = None) -> MessageOut:
    """`contact`, when the caller has it loaded, saves a query: the session
    holds loaded rows only weakly, so a fresh `db.get` may go to the database."""
    sender: PersonRef | None = None
    if message.sender_type is SenderType.user:
        sender = _person(db, User, message.sender_id)
    elif message.sender_type is SenderType.contact and message.sender_id is not None:
        if contact is None or contact.id != message.sender_id:
            contact = db.get(Contact, message.sender_id)
        sender = PersonRef(id=message.sender_id, name=contact.name if contact else None)
    return MessageOut(
        id=message.id,
        conversation_id=message.conversation_id,
        inbox_id=message.inbox_id,
        direction=message.direction.value,
        content=message.content,
        sender_type=message.sender_type.value,
        sender=sender,
        source_id=message.source_id,
        attributes=dict(message.attributes or {}),
        created_at=isoformat(message.created_at) or "",
        delivery_status=message.delivery_status,  # type: ignore[arg-type]
        delivery_error=message.delivery_error,
    )


def conversation_out(
    db: Session, conversation: Conversation, last_message: Message | None = None, contact: Contact | None = None
) -> ConversationOut:
    if contact is None or contact.id != conversation.contact_id:
        contact = db.get(Contact, conversation.contact_id)
    assert contact is not None
    return ConversationOut(
        id=conversation.id,
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        status=conversation.status.value,
        priority=conversation.priority.value,
        language=conversation.language,
        contact=ContactRef(id=contact.id, name=contact.name, email=contact.email, language=contact.language),
        assignee=_person(db, User, conversation.assignee_id),
        team=_person(db, Team, conversation.team_id),
        unanswered_count=conversation.unanswered_count,
        bot_active=bool(conversation.bot_active),
        last_activity_at=isoformat(conversation.last_activity_at) or "",
        created_at=isoformat(conversation.created_at) or "",
        last_message=message_out(db, last_message, contact) if last_message is not None else None,
    )


def _record(
    db: Session, kind: type[ConversationPayload], conversation: Conversation, *, message: Message | None = None, **fields: Any
) -> None:
    """Publish `kind` after commit, with the conversation (and message) as the API shows them."""
    contact = db.get(Contact, conversation.contact_id)
    out = conversation_out(db, conversation, contact=contact)
    if message is not None:
        fields["message"] = message_out(db, message, contact)
    events.record_event(db, events.Event(conversation.account_id, kind(conversation=out, **fields)))


# -- reading ----------------------------------------------------------------


def get_conversation(db: Session, viewer: Viewer, conversation_id: int) -> Conversation:
    """The conversation if the viewer may see it; 404 otherwise, whoever owns it."""
    conversation = db.get(Conversation, conversation_id)
    if conversation is None or not can_view_conversation(
        viewer,
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        assignee_id=conversation.assignee_id,
        team_id=conversation.team_id,
    ):
        raise NotFound(f"conversation {conversation_id} not found", field="conversation_id")
    return conversation


def visible_contacts_clause(viewer: Viewer) -> ColumnElement[bool]:
    """Contacts the viewer may read and edit: supervisors and admins every
    contact of their account; an agent only the customers of conversations
    the agent can see (the one visibility rule), since a contact's details
    are part of those conversations."""
    same_account = Contact.account_id == viewer.account_id
    if viewer.sees_whole_account:
        return same_account
    seen = select(Conversation.id).where(Conversation.contact_id == Contact.id, visible_conversations_clause(viewer, Conversation))
    return and_(same_account, seen.exists())


def get_visible_contact(db: Session, viewer: Viewer, contact_id: int) -> Contact:
    """The contact if the viewer may see it; 404 otherwise, exactly as for a
    contact that does not exist or belongs to another account."""
    contact = db.scalar(select(Contact).where(Contact.id == contact_id, visible_contacts_clause(viewer)))
    if contact is None:
        raise NotFound(f"contact {contact_id} not found", field="contact_id")
    return contact


@dataclass(frozen=True)
class ConversationFilter:
    assignee: str = "all"  # mine | unassigned | my_teams | all
    status: str | None = "open"  # open | pending | resolved | None for every status
    query: str | None = None  # contact name, e-mail or phone
    inbox_id: int | None = None
    team_id: int | None = None
    before_id: int | None = None  # paging: conversations older than this one


ASSIGNEE_FILTERS = ("mine", "unassigned", "my_teams", "all")


def _assignee_clause(viewer: Viewer, which: str) -> Any:
    if which == "mine":
        return Conversation.assignee_id == viewer.user_id
    if which == "unassigned":
        return Conversation.assignee_id.is_(None)
    if which == "my_teams":
        return Conversation.team_id.in_(viewer.team_ids) if viewer.team_ids else Conversation.id.is_(None)
    return None


def list_conversations(db: Session, viewer: Viewer, spec: ConversationFilter) -> list[ConversationOut]:
    if spec.assignee not in ASSIGNEE_FILTERS:
        raise InvalidInput(f"assignee must be one of {', '.join(ASSIGNEE_FILTERS)}", field="assignee")
    statuses = [s.value for s in ConversationStatus]
    if spec.status is not None and spec.status not in statuses:
        raise InvalidInput(f"status must be one of {', '.join(statuses)}", field="status")
    statement = select(Conversation).where(visible_conversations_clause(viewer, Conversation))
    clause = _assignee_clause(viewer, spec.assignee)
    if clause is not None:
        statement = statement.where(clause)
    if spec.status is not None:
        statement = statement.where(Conversation.status == ConversationStatus(spec.status))
    if spec.inbox_id is not None:
        statement = statement.where(Conversation.inbox_id == spec.inbox_id)
    if spec.team_id is not None:
        statement = statement.where(Conversation.team_id == spec.team_id)
    if spec.query and spec.query.strip():
        pattern = contains_pattern(spec.query.strip().lower())
        statement = statement.join(Contact, Contact.id == Conversation.contact_id).where(
            or_(
                func.lower(Contact.name).like(pattern, escape=LIKE_ESCAPE),
                func.lower(Contact.email).like(pattern, escape=LIKE_ESCAPE),
                Contact.phone.like(pattern, escape=LIKE_ESCAPE),
            )
        )
    if spec.before_id is not None:
        anchor = db.get(Conversation, spec.before_id)
        if anchor is not None:
            statement = statement.where(
                or_(
                    Conversation.last_activity_at < anchor.last_activity_at,
                    and_(Conversation.last_activity_at == anchor.last_activity_at, Conversation.id < anchor.id),
                )
            )
    rows = list(db.scalars(statement.order_by(Conversation.last_activity_at.desc(), Conversation.id.desc()).limit(PAGE_SIZE)))
    last = _last_visible_messages(db, [row.id for row in rows])
    # One query per kind for the whole page; the dicts also keep the rows
    # alive so the per-row lookups below hit the session's identity map.
    contacts = _by_id(db, Contact, {row.contact_id for row in rows})
    _keep_alive = (
        _by_id(db, User, {row.assignee_id for row in rows if row.assignee_id is not None}),
        _by_id(db, Team, {row.team_id for row in rows if row.team_id is not None}),
    )
    return [conversation_out(db, row, last.get(row.id), contacts.get(row.contact_id)) for row in rows]


def _by_id(db: Session, model: Any, ids: set[int]) -> dict[int, Any]:
    if not ids:
        return {}
    return {row.id: row for row in db.scalars(select(model).where(model.id.in_(ids)))}


def _last_visible_messages(db: Session, conversation_ids: Sequence[int]) -> dict[int, Message]:
    """The newest customer or agent message of each conversation, in one query."""
    if not conversation_ids:
        return {}
    newest = (
        select(func.max(Message.id))
        .where(
            Message.conversation_id.in_(conversation_ids),
            Message.direction.in_([Direction.incoming, Direction.outgoing]),
        )
        .group_by(Message.conversation_id)
    )
    return {m.conversation_id: m for m in db.scalars(select(Message).where(Message.id.in_(newest)))}


def count_open_conversations(db: Session, viewer: Viewer) -> dict[str, int]:
    counts: dict[str, int] = {}
    for which in ASSIGNEE_FILTERS:
        statement = select(func.count(Conversation.id)).where(
            visible_conversations_clause(viewer, Conversation), Conversation.status == ConversationStatus.open
        )
        clause = _assignee_clause(viewer, which)
        if clause is not None:
            statement = statement.where(clause)
        counts[which] = db.scalar(statement) or 0
    return counts


def list_messages(
    db: Session, conversation: Conversation, *, include_private: bool = True, after_id: int | None = None, limit: int = 500
) -> list[Message]:
    statement = select(Message).where(Message.conversation_id == conversation.id)
    if not include_private:
        statement = statement.where(Message.direction.in_([Direction.incoming, Direction.outgoing]))
    if after_id is not None:
        statement = statement.where(Message.id > after_id)
    return list(db.scalars(statement.order_by(Message.id).limit(limit)))


# Statements on the message path are built once: building one and computing
# its cache key cost about a quarter of storing a chat message (py-spy on
# benchmarks/message_path.py); a prebuilt statement memoises its key.
_LATEST_CONVERSATION_AND_CONTACT = (
    select(Conversation, Contact)
    .join(Contact, Contact.id == Conversation.contact_id)
    .where(Conversation.contact_id == bindparam("contact_id"), Conversation.inbox_id == bindparam("inbox_id"))
    .order_by(Conversation.id.desc())
    .limit(1)
)
_MESSAGE_BY_SOURCE = select(Message).where(
    Message.inbox_id == bindparam("inbox_id"), Message.source_id == bindparam("source_id")
)


def latest_conversations_and_contacts(
    db: Session, inbox_id: int, contact_ids: Sequence[int]
) -> dict[int, tuple[Conversation, Contact]]:
    """`latest_conversation_and_contact` for many contacts of one inbox, in one
    query (the group-commit writer's batches: one query instead of one per
    message). Contacts with no conversation in the inbox are absent."""
    newest = (
        select(func.max(Conversation.id))
        .where(Conversation.inbox_id == inbox_id, Conversation.contact_id.in_(set(contact_ids)))
        .group_by(Conversation.contact_id)
    )
    rows = db.execute(
        select(Conversation, Contact).join(Contact, Contact.id == Conversation.contact_id).where(Conversation.id.in_(newest))
    )
    return {conversation.contact_id: (conversation, contact) for conversation, contact in rows}


def messages_by_source(db: Session, inbox_id: int, source_ids: Sequence[str]) -> dict[str, Message]:
    """Messages of an inbox already stored under these channel ids."""
    if not source_ids:
        return {}
    rows = db.scalars(select(Message).where(Message.inbox_id == inbox_id, Message.source_id.in_(set(source_ids))))
    return {message.source_id: message for message in rows if message.source_id is not None}


def latest_conversation(db: Session, contact_id: int, inbox_id: int) -> Conversation | None:
    """The contact's newest conversation in the inbox, whatever its status."""
    return latest_conversation_and_contact(db, contact_id, inbox_id)[0]


def latest_conversation_and_contact(
    db: Session, contact_id: int, inbox_id: int
) -> tuple[Conversation | None, Contact | None]:
    """The same and its contact, in one query. A caller that holds the
    contact spares the events of what it stores next a query of their own
    (the session's identity map keeps rows only while someone holds them)."""
    row = db.execute(_LATEST_CONVERSATION_AND_CONTACT, {"contact_id": contact_id, "inbox_id": inbox_id}).first()
    return (row[0], row[1]) if row is not None else (None, None)


def record_message_updated(db: Session, conversation: Conversation, message: Message) -> None:
    payload = MessageUpdated(conversation=conversation_out(db, conversation), message=message_out(db, message))
    events.record_event(db, events.Event(conversation.account_id, payload))


# -- changing -----------------------------------------------------------------


def start_conversation(
    db: Session, inbox: Inbox, contact: Contact, *, language: str | None = None, priority: Priority = Priority.normal
) -> Conversation:
    if contact.account_id != inbox.account_id:
        raise NotFound(f"contact {contact.id} not found", field="contact_id")
    conversation = Conversation(
        account_id=inbox.account_id,
        inbox_id=inbox.id,
        contact_id=contact.id,
        status=ConversationStatus.open,
        priority=priority,
        language=optional_language(language) or contact.language,
        last_activity_at=utcnow(),
        unanswered_count=0,
        # The FAQ bot (kb.bot) answers first where the inbox enables it;
        # routing leaves the conversation alone until it hands over.
        bot_active=bool((inbox.settings or {}).get("bot")),
    )
    db.add(conversation)
    db.flush()
    _record(db, ConversationCreated, conversation)
    return conversation


def _add_message(
    db: Session,
    conversation: Conversation,
    *,
    direction: Direction,
    content: str,
    sender_type: SenderType,
    sender_id: int | None,
    source_id: str | None = None,
    attributes: dict[str, Any] | None = None,
) -> Message:
    delivery_status = None
    if direction is Direction.outgoing:
        inbox = db.get(Inbox, conversation.inbox_id)
        delivery_status = channel_kinds.initial_delivery_status(inbox.channel_type if inbox is not None else None)
    message = Message(
        account_id=conversation.account_id,
        conversation_id=conversation.id,
        inbox_id=conversation.inbox_id,
        direction=direction,
        delivery_status=delivery_status,
        content=content,
        sender_type=sender_type,
        sender_id=sender_id,
        source_id=source_id,
        attributes=dict(attributes or {}),
        created_at=utcnow(),
    )
    db.add(message)  # callers flush once, after their other changes
    return message


def get_message(db: Session, conversation: Conversation, message_id: int) -> Message:
    message = db.get(Message, message_id)
    if message is None or message.conversation_id != conversation.id:
        raise NotFound(f"message {message_id} not found", field="message_id")
    return message


def check_message_content(content: str | None) -> str:
    return require_text(content, "content", max_length=MAX_MESSAGE_CHARS)


# Files agents attach to replies, on channels that deliver them (the kind's
# `files` capability: a mail carries them, the web chat offers downloads).
MAX_REPLY_FILES = 5


def check_file_channel(db: Session, conversation: Conversation, field: str) -> None:
    inbox = db.get(Inbox, conversation.inbox_id)
    channel = inbox.channel_type if inbox is not None else "unknown"
    kind = channel_kinds.find_kind(channel)
    if kind is None or not kind.capabilities.files:
        able = " and ".join(k.labels["en"] for k in channel_kinds.all_kinds() if k.capabilities.files)
        raise InvalidInput(f"this conversation's channel ({channel}) cannot deliver files; {able} can", field=field)


def file_uses(db: Session) -> set[tuple[int, str]]:
    """Every (account id, file digest) a message names: files agents sent,
    files visitors sent (attributes["attachments"]) and received mail's
    attachments (attributes["email"]["attachments"]). Only messages whose
    attributes mention a digest are read, by their JSON text (the same on
    SQLite and PostgreSQL)."""
    used: set[tuple[int, str]] = set()
    rows = db.execute(select(Message.account_id, Message.attributes).where(cast(Message.attributes, String).like('%"sha256"%')))
    for account_id, attributes in rows:
        used.update((account_id, digest) for digest in message_file_digests(attributes))
    return used


def message_file_digests(attributes: dict[str, Any] | None) -> list[str]:
    """The digests of the files a message's attributes name."""
    attributes = attributes or {}
    files = [*(attributes.get("attachments") or []), *((attributes.get("email") or {}).get("attachments") or [])]
    return [file["sha256"] for file in files if isinstance(file, dict) and isinstance(file.get("sha256"), str)]


def forget_unused_uploads(db: Session, uses: set[tuple[int, str]], uploaded_before: datetime) -> int:
    """Delete the uploads made before `uploaded_before` whose file no message
    of their account names (`uses`, from file_uses); returns how many."""
    stale = [
        upload_id
        for upload_id, account_id, digest in db.execute(
            select(FileUpload.id, FileUpload.account_id, FileUpload.sha256).where(FileUpload.uploaded_at < uploaded_before)
        )
        if (account_id, digest) not in uses
    ]
    for start in range(0, len(stale), 500):
        db.execute(delete(FileUpload).where(FileUpload.id.in_(stale[start : start + 500])))
    return len(stale)


def user_uploader(user_id: int) -> str:
    """How file_uploads names an agent (or an API token's user) who uploaded a file."""
    return f"user:{user_id}"


def contact_uploader(contact_id: int) -> str:
    """How file_uploads names a customer whose file arrived (chat or mail)."""
    return f"contact:{contact_id}"


def keep_file(db: Session, directory: Path, data: bytes, *, account_id: int, uploader: str) -> str:
    """Store `data` (core.files.store_file) as a file of `account_id`
    uploaded by `uploader`, and return its digest. Every way a file reaches
    this server goes through here, so an account can only ever send or read
    bytes it was given itself. A second upload of the same bytes renews the
    upload's time, as store_file renews the file's."""
    digest = store_file(directory, data)
    values = {"account_id": account_id, "sha256": digest, "uploader": uploader, "uploaded_at": utcnow()}
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(FileUpload).values(**values)
    db.execute(
        statement.on_conflict_do_update(
            index_elements=["account_id", "sha256", "uploader"], set_={"uploaded_at": statement.excluded.uploaded_at}
        )
    )
    return digest


def account_has_file(db: Session, account_id: int, digest: str, uploader: str | None = None) -> bool:
    """Whether `account_id` (and, when given, that `uploader` in it) uploaded the file `digest`."""
    statement = select(FileUpload.id).where(FileUpload.account_id == account_id, FileUpload.sha256 == digest)
    if uploader is not None:
        statement = statement.where(FileUpload.uploader == uploader)
    return db.scalar(statement.limit(1)) is not None


def require_account_file(db: Session, account_id: int, files: Sequence[Any], index: int) -> None:
    """Before a download: the `index`th of a message's files must belong to
    the caller's account (`account_id`: the agent's, or the visitor's
    inbox's). One that does not answers exactly as a file missing on this
    server (core.files.download_of), so a digest planted in a message
    reveals nothing."""
    if 0 <= index < len(files) and isinstance(files[index], dict) and isinstance(files[index].get("sha256"), str):
        if not account_has_file(db, account_id, files[index]["sha256"]):
            raise NotFound("the file is missing on this server", field="index")


def check_filename(name: str | None, field: str) -> str:
    """A file's name as the customer will see it: one line, no folders."""
    text = require_text(name, field, max_length=200)
    if any(c in text for c in "\r\n/\\\0"):
        raise InvalidInput(f"{field} must be a file name on one line, without folders", field=field)
    return text


def check_reply_files(
    db: Session, conversation: Conversation, files: Sequence[Any], directory: Path, uploader: str
) -> list[dict[str, Any]]:
    """The files a reply carries, as its attributes keep them; each must have
    been uploaded by `uploader` (the agent sending the reply) in the
    conversation's account first. Raises InvalidInput naming the file, the
    same for a file never uploaded and for one only another account or
    another agent uploaded."""
    if not files:
        return []
    check_file_channel(db, conversation, "attachments")
    if len(files) > MAX_REPLY_FILES:
        raise InvalidInput(f"at most {MAX_REPLY_FILES} files in one reply", field="attachments")
    kept: list[dict[str, Any]] = []
    for index, ref in enumerate(files):
        field = f"attachments[{index}]"
        # Ownership first: whether the bytes are on disk at all is only
        # looked at for the account's own uploads.
        path = stored_file(directory, ref.sha256) if account_has_file(db, conversation.account_id, ref.sha256, uploader) else None
        if path is None:
            raise InvalidInput(f"{field}: no uploaded file {ref.sha256!r}; upload it first", field=field)
        kept.append({"filename": check_filename(ref.filename, f"{field}.filename"), "content_type": file_content_type(ref.content_type), "size": path.stat().st_size, "sha256": ref.sha256})
    return kept


_CONTENT_TYPE = re.compile(r"^[a-z0-9][a-z0-9!#$&^_.+-]*/[a-z0-9][a-z0-9!#$&^_.+-]*$")


def file_content_type(value: str | None) -> str:
    """A file's type as its sender named it, when it is one; else the type
    that claims nothing (it is only ever offered as a download)."""
    return value if value and _CONTENT_TYPE.match(value) else "application/octet-stream"


def receive_incoming_message(
    db: Session,
    conversation: Conversation,
    content: str | None,
    *,
    source_id: str | None = None,
    attributes: dict[str, Any] | None = None,
    source_id_looked_up: bool = False,
    detect_language: bool = True,
) -> tuple[Message, bool]:
    """Store what the customer wrote. Returns (message, created).

    A message whose channel id was already stored for this inbox is returned
    as it is, unchanged: channels redeliver, and a customer must not appear to
    have written twice. `source_id_looked_up`: the caller already looked the
    id up (`messages_by_source`, for a batch) and found nothing; the unique
    constraint still refuses a duplicate stored since. `detect_language`:
    False when the content is no words of the customer's (a file's name).
    """
    text = check_message_content(content)
    if source_id is not None:
        source_id = require_text(source_id, "source_id", max_length=255)
    if source_id is not None and not source_id_looked_up:
        existing = db.scalar(_MESSAGE_BY_SOURCE, {"inbox_id": conversation.inbox_id, "source_id": source_id})
        if existing is not None:
            return existing, False
    # The message's language, detected here (well under a millisecond), and
    # the conversation's language weighed with it; translation comes later.
    if detect_language:
        attributes = {**(attributes or {}), **language_services.note_incoming_message(db, conversation, text)}
    # Two deliveries of one message at the same instant can still race past
    # the check above on PostgreSQL; the unique constraint then refuses the
    # second, which the API answers with 409 and the channel retries.
    message = _add_message(
        db,
        conversation,
        direction=Direction.incoming,
        content=text,
        sender_type=SenderType.contact,
        sender_id=conversation.contact_id,
        source_id=source_id,
        attributes=attributes,
    )
    conversation.last_activity_at = message.created_at
    conversation.unanswered_count += 1
    previous_status = conversation.status
    if previous_status is not ConversationStatus.open:
        # A customer who writes again after "resolved" or "pending" needs someone again.
        conversation.status = ConversationStatus.open
    db.flush()
    if previous_status is not ConversationStatus.open:
        _record(db, ConversationStatusChanged, conversation, previous_status=previous_status.value)
    _record(db, MessageCreated, conversation, message=message)
    return message, True


def send_reply(
    db: Session,
    viewer: Viewer,
    conversation: Conversation,
    content: str | None,
    attributes: dict[str, Any] | None = None,
    files: list[dict[str, Any]] | None = None,
) -> Message:
    """`attributes`: a translated reply carries the agent's original there.
    `files`: as `check_reply_files` gave them, kept in attributes["attachments"].

    Replying to a conversation nobody holds makes it the replier's, as agents
    expect: the customer is being answered by them, so routing must not hand
    it to someone else, and the FAQ bot steps aside."""
    text = check_message_content(content)
    if files:
        attributes = {**(attributes or {}), "attachments": files}
    if conversation.assignee_id is None:
        # Locked and read again: of two agents replying at once, the first takes it.
        lock_conversation(db, conversation)
        if conversation.assignee_id is None:
            assign_conversation(db, viewer, conversation, assignee_id=viewer.user_id)
    message = _add_message(
        db,
        conversation,
        direction=Direction.outgoing,
        content=text,
        sender_type=SenderType.user,
        sender_id=viewer.user_id,
        attributes=attributes,
    )
    conversation.last_activity_at = message.created_at
    conversation.unanswered_count = 0
    db.flush()
    _record(db, MessageCreated, conversation, message=message)
    return message


def send_bot_reply(db: Session, conversation: Conversation, content: str, attributes: dict[str, Any]) -> Message:
    """The FAQ bot's answer: an outgoing message from the system, marked by
    `attributes["bot"]`, delivered like any reply. The customer may still be
    waiting for a person, so the waiting count is left as it is."""
    message = _add_message(
        db,
        conversation,
        direction=Direction.outgoing,
        content=check_message_content(content),
        sender_type=SenderType.system,
        sender_id=None,
        attributes=attributes,
    )
    conversation.last_activity_at = message.created_at
    db.flush()
    _record(db, MessageCreated, conversation, message=message)
    return message


def lock_conversation(db: Session, conversation: Conversation) -> None:
    """Take the conversation's row lock (PostgreSQL) or the write lock
    (SQLite) until the transaction ends, and read it again: what this
    transaction then decides from it cannot be overtaken by another's change."""
    # A write that changes nothing takes the lock (not the primary key:
    # SQLite moves a row whose rowid is written).
    db.execute(
        update(Conversation)
        .where(Conversation.id == conversation.id)
        .values(last_activity_at=Conversation.last_activity_at)
        .execution_options(synchronize_session=False)
    )
    db.refresh(conversation)


def a_person_has_replied(db: Session, conversation_id: int, since: datetime | None = None) -> bool:
    """Whether an agent has written to the customer in this conversation
    (since `since`, when given); a note is not a reply."""
    condition = and_(
        Message.conversation_id == conversation_id,
        Message.direction == Direction.outgoing,
        Message.sender_type == SenderType.user,
    )
    if since is not None:
        condition = and_(condition, Message.created_at >= since)
    return bool(db.scalar(select(exists().where(condition))))


def bot_may_speak(db: Session, conversation: Conversation) -> bool:
    """Whether the FAQ bot may still write to the customer: it is handling
    the conversation and no person has it (assigned) or has answered in it.
    Locks the conversation first, so an agent's reply or assignment cannot
    land between this check and the bot's message: call it in the
    transaction that stores the bot's message, right before it."""
    lock_conversation(db, conversation)
    return conversation.bot_active and conversation.assignee_id is None and not a_person_has_replied(db, conversation.id)


def end_bot_handling(db: Session, conversation: Conversation, text: str, attributes: dict[str, Any]) -> Conversation:
    """The bot stops (hand-off, or an agent stepped in): a quiet line in the
    timeline (`attributes["activity"]`, English `text` as fallback), and
    conversation.updated so routing sees a conversation it may now assign."""
    if not conversation.bot_active:
        return conversation
    conversation.bot_active = False
    db.flush()
    _add_activity(db, conversation, text, attributes)
    _record(db, ConversationUpdated, conversation)
    return conversation


def add_note(db: Session, viewer: Viewer, conversation: Conversation, content: str | None) -> Message:
    text = check_message_content(content)
    message = _add_message(
        db, conversation, direction=Direction.note, content=text, sender_type=SenderType.user, sender_id=viewer.user_id
    )
    db.flush()
    _record(db, MessageCreated, conversation, message=message)
    return message


def add_translated_note(
    db: Session,
    viewer: Viewer,
    language_runtime: Any,
    conversation: Conversation,
    content: str | None,
    attributes: dict[str, Any] | None = None,
) -> Message:
    """A private note for whoever works the conversation next (a transfer's
    note or summary), translated from the writer's working language into
    each working language of those who will read it; the console shows each
    reader their own. Call after the conversation's new assignee or team is
    set: they decide who reads it."""
    note = add_note(db, viewer, conversation, content)
    # The language it is written in (an agent may write a note in any
    # language they write), as the transfer's check decided.
    source = language_services.note_language(db, viewer.user_id, note.content)
    translations: dict[str, Any] = {}
    for target in language_services.working_languages(db, conversation):
        if target != source:
            translations[target] = language_services.translate_for_account(
                db, language_runtime, conversation.account_id, note.content, source, target
            ).as_dict()
    note.attributes = {**(note.attributes or {}), **(attributes or {}), "language": {"code": source}, "translations": translations}
    db.flush()
    record_message_updated(db, conversation, note)
    return note


def _add_activity(db: Session, conversation: Conversation, text: str, attributes: dict[str, Any]) -> Message:
    """A quiet line in the timeline. `attributes["activity"]` names what
    happened so the console can word it in the reader's own language; `text`
    is the English fallback for integrators."""
    message = _add_message(
        db,
        conversation,
        direction=Direction.activity,
        content=text,
        sender_type=SenderType.system,
        sender_id=None,
        attributes=attributes,
    )
    db.flush()
    _record(db, MessageCreated, conversation, message=message)
    return message


def add_activity(db: Session, conversation: Conversation, text: str, attributes: dict[str, Any]) -> Message:
    """An activity line written by another feature (routing's reason, ...)."""
    return _add_activity(db, conversation, text, attributes)


_UNCHANGED: Any = object()


def assign_conversation(
    db: Session,
    viewer: Viewer,
    conversation: Conversation,
    *,
    assignee_id: int | None = _UNCHANGED,
    team_id: int | None = _UNCHANGED,
    activity: tuple[str, dict[str, Any]] | None = None,
) -> Conversation:
    """Give the conversation to an agent and/or a team (None takes it away).
    `activity`: the timeline line (text, attributes) to write instead of the
    plain "X assigned ..." one, for a caller that has more to say (routing
    says why), so one assignment is one line."""
    if assignee_id is not _UNCHANGED and assignee_id is not None:
        assignee: User | None = db.get(User, assignee_id)
        if assignee is None or assignee.account_id != conversation.account_id:
            raise NotFound(f"agent {assignee_id} not found", field="assignee_id")
        if not assignee.active:
            raise InvalidInput(f"agent {assignee_id} is deactivated", field="assignee_id")
    if team_id is not _UNCHANGED and team_id is not None:
        team: Team | None = db.get(Team, team_id)
        if team is None or team.account_id != conversation.account_id:
            raise NotFound(f"team {team_id} not found", field="team_id")
    previous = PreviousAssignment(assignee_id=conversation.assignee_id, team_id=conversation.team_id)
    changed = False
    if assignee_id is not _UNCHANGED and conversation.assignee_id != assignee_id:
        conversation.assignee_id = assignee_id
        changed = True
    if team_id is not _UNCHANGED and conversation.team_id != team_id:
        conversation.team_id = team_id
        changed = True
    if not changed:
        return conversation
    db.flush()
    assignee_ref = _person(db, User, conversation.assignee_id)
    team_ref = _person(db, Team, conversation.team_id)
    attributes: dict[str, Any] = {
        "activity": "assigned",
        "actor": viewer.name,
        "assignee": assignee_ref.name if assignee_ref else None,
        "team": team_ref.name if team_ref else None,
    }
    if assignee_ref is None and team_ref is None:
        attributes["activity"] = "unassigned"
        text = f"{viewer.name} unassigned the conversation"
    else:
        target = " / ".join(name for name in (attributes["assignee"], attributes["team"]) if name)
        text = f"{viewer.name} assigned the conversation to {target}"
    if activity is not None:
        text, attributes = activity[0], {**attributes, **activity[1]}
    _add_activity(db, conversation, text, attributes)
    # Who held it before, so the push can tell agents who lose sight of it.
    _record(db, ConversationAssigned, conversation, previous=previous)
    return conversation


def change_status(db: Session, viewer: Viewer, conversation: Conversation, status: str) -> Conversation:
    try:
        new_status = ConversationStatus(status)
    except ValueError:
        raise InvalidInput("status must be open, pending or resolved", field="status") from None
    previous = conversation.status
    if previous is new_status:
        return conversation
    conversation.status = new_status
    conversation.last_activity_at = utcnow()
    db.flush()
    verbs = {"open": "reopened", "pending": "marked as pending", "resolved": "resolved"}
    _add_activity(
        db,
        conversation,
        f"{viewer.name} {verbs[new_status.value]} the conversation",
        {"activity": f"status_{new_status.value}", "actor": viewer.name},
    )
    _record(db, ConversationStatusChanged, conversation, previous_status=previous.value)
    return conversation


def update_conversation(
    db: Session, conversation: Conversation, *, priority: str | None = None, language: str | None = None
) -> Conversation:
    if priority is not None:
        try:
            conversation.priority = Priority(priority)
        except ValueError:
            raise InvalidInput("priority must be low, normal, high or urgent", field="priority") from None
    if language is not None:
        conversation.language = optional_language(language)
        # An explicit choice (agent, or the customer in the widget) sticks:
        # later messages no longer move it. "" hands it back to the evidence.
        language_services.override_conversation_language(db, conversation, conversation.language)
    db.flush()
    _record(db, ConversationUpdated, conversation)
    return conversation
