"""What the language API takes and returns."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field


class EngineInfo(BaseModel):
    name: str
    available: bool
    reason: str | None = Field(None, description="Why the engine cannot run here (package missing, not configured)")


class LanguageSettingsOut(BaseModel):
    languages: list[str] = Field(description="Customer languages the account serves; detection picks among them")
    order_pattern: str | None = Field(description="Regular expression of the account's order numbers (kept unchanged)")
    engine_chains: dict[str, list[str]] = Field(description="Engine order per pair ('es-en') or for every pair ('*')")
    glossary_version: int
    default_chain: list[str] = Field(description="The order used where the account set none")
    engines: list[EngineInfo]


class LanguageSettingsIn(BaseModel):
    languages: list[str] | None = None
    order_pattern: str | None = Field(None, description="'' removes it")
    engine_chains: dict[str, list[str]] | None = None


class GlossaryTermIn(BaseModel):
    term: str = Field(description="The word or phrase as it appears in messages")
    translation: str | None = Field(None, description="Always translate the term as this; null: never translate it")
    source_language: str | None = Field(None, description="Only for messages in this language; null: any")
    target_language: str | None = Field(None, description="Only for translations into this language; null: any")
    case_sensitive: bool = False


class GlossaryTermPatch(BaseModel):
    term: str | None = None
    translation: str | None = None
    source_language: str | None = None
    target_language: str | None = None
    case_sensitive: bool | None = None


class GlossaryTermOut(BaseModel):
    id: int
    term: str
    translation: str | None
    source_language: str | None
    target_language: str | None
    case_sensitive: bool


class TranslationOut(BaseModel):
    status: Literal["translated", "not_translated"]
    from_: str = Field(alias="from")
    to: str
    text: str | None
    engine: str | None
    pivot: str | None = Field(description="The language the text went through when no direct pair exists")
    reason: str | None
    flags: list[str] = Field(description="facts_missing: a protected fact is not in the translation; placeholders_lost")
    missing_facts: list[str]
    attempts: list[dict[str, str]] = Field(description="Engines that failed before, and why")
    from_memory: bool

    model_config = {"populate_by_name": True}


class TranslateMessageIn(BaseModel):
    target_language: str = Field(description="ISO 639-1 code, e.g. 'en'")
    force: bool = Field(False, description="Translate again even if a translation is stored")


class CorrectionIn(BaseModel):
    text: str = Field(description="The right translation; reused for the same text from now on")


class TranslateIn(BaseModel):
    text: str
    target_language: str
    source_language: str | None = Field(None, description="Detected among the account's languages when left out")


class DetectIn(BaseModel):
    text: str


class DetectOut(BaseModel):
    language: str | None
    confidence: float
    words: int
    counts_for_conversation: bool = Field(description="False for messages too short to move a conversation's language")


class PreviewIn(BaseModel):
    content: str = Field(description="What the agent wrote, in their working language")
    translation: str | None = Field(None, description="The agent's own edit of the translation, to check")


class PreviewOut(BaseModel):
    original: str
    content: str | None = Field(description="What the customer would receive")
    from_: str = Field(alias="from")
    to: str
    engine: str | None
    pivot: str | None
    status: str
    reason: str | None
    flags: list[str]
    missing_facts: list[str]
    needs_confirmation: bool = Field(description="True: sending needs confirm: true (or an edit)")
    edited: bool
    not_needed: bool = Field(description="True: the text is already in the customer's language and goes out as written")

    model_config = {"populate_by_name": True}


class TranscriptLine(BaseModel):
    id: int
    created_at: str
    direction: str
    sender: str | None
    language: str | None
    original: str
    translation: str | None
    translation_language: str | None
    engine: str | None
    flags: list[str]


class TranscriptOut(BaseModel):
    conversation_id: int
    language: str = Field(description="The reader's language: the second column")
    lines: list[TranscriptLine]


def as_model(model: type[BaseModel], data: dict[str, Any]) -> Any:
    return model.model_validate(data)
