"""What the API, the WebSocket push and the webhooks say about conversations.

One shape everywhere: an integrator who reads a webhook body sees the same
fields the REST API returns.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class PersonRef(BaseModel):
    id: int
    name: str | None


class ContactRef(BaseModel):
    id: int
    name: str | None
    email: str | None
    language: str | None


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    inbox_id: int
    direction: Literal["incoming", "outgoing", "note", "activity"]
    content: str
    sender_type: Literal["contact", "user", "system"]
    sender: PersonRef | None
    source_id: str | None
    attributes: dict[str, Any]
    created_at: str
    delivery_status: Literal["queued", "sent", "delivered", "read", "failed"] | None = Field(
        None, description="Outgoing messages: queued, sent, delivered, read, or failed (delivery_error says why)"
    )
    delivery_error: str | None = Field(None, description="Why a delivery failed, or why the last try did not go out")


class ConversationOut(BaseModel):
    id: int
    account_id: int
    inbox_id: int
    status: Literal["open", "pending", "resolved"]
    priority: Literal["low", "normal", "high", "urgent"]
    language: str | None
    contact: ContactRef
    assignee: PersonRef | None
    team: PersonRef | None
    unanswered_count: int
    bot_active: bool = Field(False, description="The FAQ bot is answering; routing waits until it hands over")
    last_activity_at: str
    created_at: str
    last_message: MessageOut | None = None


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    counts: dict[str, int] = Field(description="Open conversations per filter: mine, unassigned, my_teams, all")


class FileRef(BaseModel):
    sha256: str = Field(description="As POST …/conversations/{id}/attachments returned it")
    filename: str
    content_type: str = "application/octet-stream"


class StoredFileOut(FileRef):
    size: int


class NewMessageIn(BaseModel):
    content: str = Field(description="The text; 1 to 10,000 characters")
    message_type: Literal["outgoing", "note", "incoming"] = Field(
        "outgoing", description="outgoing: a reply the customer sees; note: only agents see it; incoming: on behalf of the contact (API only)"
    )
    source_id: str | None = Field(None, description="The channel's own id for the message; a repeat is stored once")
    translate: bool | None = Field(
        None,
        description="outgoing only. Left out or true: the reply's language is detected per send (among the agent's "
        "languages and the customer's); text not in the conversation's language reaches the customer translated "
        "(the original stays in attributes.original), and when no engine serves the pair the reply is refused "
        "(422 unsupported_language_pair) rather than sent in a language the customer did not write in. "
        "false: sent exactly as written (the explicit 'send untranslated'). A conversation with no language yet "
        "gets the text as written unless translate is true.",
    )
    confirm: bool = Field(False, description="Send a translated reply even though the fact check flagged it (else 409)")
    translation: str | None = Field(None, description="With translate: the agent's own edit of the translation")
    attachments: list[FileRef] = Field(
        default_factory=list, description="outgoing only: files uploaded first (POST …/attachments), sent with the reply (e-mail only, at most 5)"
    )


class NewConversationIn(BaseModel):
    inbox_id: int
    contact_id: int
    content: str | None = Field(None, description="An optional first incoming message")
    language: str | None = None


class AssignmentIn(BaseModel):
    assignee_id: int | None = Field(None, description="An agent's id; null to unassign")
    team_id: int | None = Field(None, description="A team's id; null to leave the team out")
    note: str | None = Field(
        None,
        description="A transfer's private note for the new agent or team, translated into each reader's working language",
    )
    note_untranslated: bool = Field(
        False,
        description="true: the note goes as written even where neither the new agent (or a member of the new team) "
        "reads its language nor an engine translates it for them; else such a note is refused (422 note_untranslatable, "
        "naming language and readers) and nothing changes",
    )


class StatusIn(BaseModel):
    status: Literal["open", "pending", "resolved"]


class ConversationPatchIn(BaseModel):
    priority: Literal["low", "normal", "high", "urgent"] | None = None
    language: str | None = None
