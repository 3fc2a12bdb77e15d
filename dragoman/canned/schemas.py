"""API shapes for saved replies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dragoman.canned.placeholders import PLACEHOLDERS

PLACEHOLDER_HELP = "Placeholders: " + ", ".join("{{" + name + "}}" for name in PLACEHOLDERS) + "; a fallback after |: {{contact.name|there}}"


class MacroActions(BaseModel):
    ticket_status: str | None = Field(None, description="new, open, pending, on_hold, solved or closed (a ticket's)")
    priority: str | None = Field(None, description="low, normal, high or urgent")
    add_tags: list[str] = Field(default_factory=list, description="Tags added to the ticket")
    team_id: int | None = Field(None, description="Hand the conversation to this team")


class CannedReplyIn(BaseModel):
    shortcut: str = Field(description="What agents type after / in the reply box: lower-case letters, digits, - and _")
    title: str
    kind: str = Field("other", description="greeting, reassurance, closing or other")
    versions: dict[str, str] = Field(description="Language code -> text. " + PLACEHOLDER_HELP)
    actions: MacroActions = Field(default_factory=MacroActions, description="A macro: what sending it also does")


class CannedReplyOut(BaseModel):
    id: int
    shortcut: str
    title: str
    kind: str
    versions: dict[str, str]
    actions: MacroActions
    updated_at: str


class FilledReplyOut(BaseModel):
    canned_reply_id: int
    text: str = Field(description="The version's text with the conversation's values filled in")
    language: str = Field(description="The version used")
    customer_language: str | None
    exact: bool = Field(description="False: no version in the customer's language; translate before sending")


class MacroDoneOut(BaseModel):
    done: list[str] = Field(description="What the macro changed, e.g. status=pending")

