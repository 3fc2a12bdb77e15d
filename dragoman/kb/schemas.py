"""What the knowledge-base API reads and returns."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class CategoryIn(BaseModel):
    slug: str = Field(description="Lower-case letters, digits and dashes; unique in the account")
    names: dict[str, str] = Field(description='The category\'s name per language: {"en": "Orders", "es": "Pedidos"}')
    position: int = 0


class CategoryPatchIn(BaseModel):
    slug: str | None = None
    names: dict[str, str] | None = None
    position: int | None = None


class CategoryOut(BaseModel):
    id: int
    slug: str
    names: dict[str, str]
    position: int


class VersionIn(BaseModel):
    language: str | None = Field(None, description="Taken from the URL when the URL names it")
    title: str
    summary: str = Field("", description="The bot's short answer, 1,000 characters at most")
    body: str = Field(
        "",
        description="The help-center page: paragraphs, '- ' lists, *emphasis*, **strong**, [links](https://...), "
        "or HTML (sanitised when shown; never shown as it is)",
    )
    questions: list[str] = Field([], description="How customers ask for this article; the bot matches against them")
    status: Literal["draft", "published"] = "draft"
    machine_translated: bool = False


class VersionOut(BaseModel):
    language: str
    status: str
    title: str
    summary: str
    body: str
    questions: list[str]
    machine_translated: bool
    updated_at: str


class ArticleIn(BaseModel):
    slug: str
    category_id: int | None = None
    position: int = 0
    always_human: bool = Field(False, description="A topic for people only (complaints, refunds): the bot hands over")
    versions: list[VersionIn] = []


class ArticlePatchIn(BaseModel):
    slug: str | None = None
    category_id: int | None = None
    position: int | None = None
    always_human: bool | None = None


class ArticleOut(BaseModel):
    id: int
    slug: str
    category_id: int | None
    position: int
    always_human: bool
    versions: list[VersionOut]
    updated_at: str


class ImportOut(BaseModel):
    categories: int
    articles_created: int
    articles_updated: int
    versions: int


class ExchangeOut(BaseModel):
    id: int
    conversation_id: int
    message_id: int | None
    language: str | None
    question: str
    article_id: int | None
    score: float | None
    outcome: str
    reason: str | None
    helpful: bool | None
    resolved_article_id: int | None
    created_at: str


class ResolveIn(BaseModel):
    article_id: int | None = Field(None, description="Add the question to this article's example questions")
    article: ArticleIn | None = Field(None, description="Or create this article, starting with the question")


class TranslateIn(BaseModel):
    source: str | None = Field(None, description="The version to translate from; English, else the oldest, when omitted")
    overwrite: bool = Field(False, description="Replace a version a person wrote (never done otherwise)")


class TranslateMissingIn(BaseModel):
    language: str = Field(..., description="Give every article with no version in this language a machine-translated draft")
    source: str | None = Field(None, description="Translate from this version where an article has it; otherwise from the version with a direct pair into the language, English first")


class TranslationFailure(BaseModel):
    slug: str
    message: str


class TranslateMissingOut(BaseModel):
    translated: list[str] = Field(..., description="Slugs of the articles given a draft, for an admin to review and publish")
    failed: list[TranslationFailure] = Field(..., description="Articles no engine could translate, with the reason")
