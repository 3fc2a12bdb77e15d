"""API shapes for people, teams and tokens."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from dragoman.accounts import services
from dragoman.accounts.models import ApiToken, Team, User, Vendor
from dragoman.core.clock import isoformat


class LanguageSkillIn(BaseModel):
    language: str = Field(description="BCP 47 code, e.g. 'es', 'zh-Hans'")
    reading: int = Field(0, ge=0, le=5)
    writing: int = Field(0, ge=0, le=5)
    speaking: int = Field(0, ge=0, le=5)


class AgentOut(BaseModel):
    id: int
    account_id: int
    email: str
    name: str
    role: Literal["admin", "supervisor", "agent"]
    availability: Literal["online", "away", "break", "offline"]
    ui_locale: str | None
    working_language: str
    timezone: str
    active: bool
    languages: list[LanguageSkillIn]
    team_ids: list[int]


class ProfileOut(AgentOut):
    csrf_token: str | None = Field(None, description="Send as X-CSRF-Token on changes made with the session cookie")


class AgentIn(BaseModel):
    email: str
    name: str
    password: str = Field(description="At least 8 characters")
    role: Literal["admin", "supervisor", "agent"] = "agent"
    languages: list[LanguageSkillIn] = []
    team_ids: list[int] = []
    working_language: str = "en"
    ui_locale: str | None = None
    timezone: str = "UTC"


class AgentPatchIn(BaseModel):
    name: str | None = None
    role: Literal["admin", "supervisor", "agent"] | None = None
    password: str | None = None
    languages: list[LanguageSkillIn] | None = None
    team_ids: list[int] | None = None
    working_language: str | None = None
    timezone: str | None = None
    active: bool | None = None


class ProfilePatchIn(BaseModel):
    name: str | None = None
    availability: Literal["online", "away", "break", "offline"] | None = None
    ui_locale: Literal["en", "zh_Hans", ""] | None = Field(None, description="'' follows the browser")
    working_language: str | None = None
    timezone: str | None = None


class TeamOut(BaseModel):
    id: int
    name: str
    vendor_id: int | None
    member_ids: list[int]


class TeamIn(BaseModel):
    name: str
    vendor_id: int | None = None
    member_ids: list[int] = []


class TeamPatchIn(BaseModel):
    name: str | None = None
    vendor_id: int | None = None
    member_ids: list[int] | None = None


class VendorOut(BaseModel):
    id: int
    name: str


class VendorIn(BaseModel):
    name: str


class ApiTokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    user_id: int
    created_at: str
    last_used_at: str | None


class ApiTokenCreatedOut(ApiTokenOut):
    token: str = Field(description="Shown once; store it now")


class ApiTokenIn(BaseModel):
    name: str


def to_skills(items: list[LanguageSkillIn]) -> list[services.LanguageSkill]:
    return [services.LanguageSkill(i.language, i.reading, i.writing, i.speaking) for i in items]


def agent_out(user: User, team_ids: list[int]) -> AgentOut:
    return AgentOut(
        id=user.id,
        account_id=user.account_id,
        email=user.email,
        name=user.name,
        role=user.role.value,
        availability=user.availability.value,
        ui_locale=user.ui_locale,
        working_language=user.working_language,
        timezone=user.timezone,
        active=user.active,
        languages=[
            LanguageSkillIn(language=l.language, reading=l.reading, writing=l.writing, speaking=l.speaking)
            for l in user.languages
        ],
        team_ids=team_ids,
    )


def team_out(team: Team, member_ids: list[int]) -> TeamOut:
    return TeamOut(id=team.id, name=team.name, vendor_id=team.vendor_id, member_ids=member_ids)


def vendor_out(vendor: Vendor) -> VendorOut:
    return VendorOut(id=vendor.id, name=vendor.name)


def api_token_out(row: ApiToken) -> ApiTokenOut:
    return ApiTokenOut(
        id=row.id,
        name=row.name,
        prefix=row.prefix,
        user_id=row.user_id,
        created_at=isoformat(row.created_at) or "",
        last_used_at=isoformat(row.last_used_at),
    )
