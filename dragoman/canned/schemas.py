"""API shapes for saved replies."""

from __future__ import annotations

from pydantic import BaseModel, Field

from dragoman.canned.placeholders import PLACEHOLDERS

PLACEHOLDER_HELP = "Placeholders: " + ", ".join("{{" + name + "}}" for name in PLACEHOLDERS) + "; a fallback after |: {{contact.name|there}}"


class CannedReplyIn(BaseModel):
    shortcut: str = Field(description="What agents type after / in the reply box: lower-case letters, digits, - and _")
    title: str
    kind: str = Field("other", description="greeting, reassurance, closing or other")
    versions: dict[str, str] = Field(description="Language code -> text. " + PLACEHOLDER_HELP)


class CannedReplyOut(BaseModel):
    id: int
    shortcut: str
    title: str
    kind: str
    versions: dict[str, str]
    updated_at: str


class FilledReplyOut(BaseModel):
    canned_reply_id: int
    text: str = Field(description="The version's text with the conversation's values filled in")
    language: str = Field(description="The version used")
    customer_language: str | None
    exact: bool = Field(description="False: no version in the customer's language; translate before sending")
