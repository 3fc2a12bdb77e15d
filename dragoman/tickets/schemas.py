"""API shapes for tickets, SLA policies and SLA events."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from dragoman.calendars.schemas import HoursIn

PriorityName = Literal["low", "normal", "high", "urgent"]
TicketStatusName = Literal["new", "open", "pending", "on_hold", "solved", "closed"]


class SlaPolicyIn(BaseModel):
    name: str
    priority: PriorityName = Field(description="The tickets this policy covers")
    first_response_seconds: int | None = Field(None, description="First public reply within this much business time")
    next_response_seconds: int | None = Field(None, description="Each later customer message answered within this")
    resolution_seconds: int | None = Field(None, description="Solved within this much business time")
    warn_ratio: float = Field(0.75, description="A warning fires when this share of a target is used")
    breach_action: Literal["notify", "raise_priority", "reassign"] = Field(
        "notify",
        description="At a breach: a timeline line for the team; raise_priority: and one priority up; "
        "reassign: and the agent holding it loses it, back to routing's queue",
    )
    tier: str | None = Field(None, description="Only for contacts of this tier (gold, enterprise...); none: everyone else")
    timezone: str = "UTC"
    hours: list[HoursIn] = Field([], description="Business hours; empty: around the clock")
    holiday_country: str | None = Field(None, description="Public holidays of this country do not count (e.g. DE)")
    holiday_subdivision: str | None = None


class SlaPolicyOut(SlaPolicyIn):
    id: int


class SlaTimerOut(BaseModel):
    metric: str
    state: str = Field(description="running, paused, met or cancelled")
    target_seconds: int
    used_seconds: float = Field(description="Business time used so far")
    remaining_seconds: float = Field(description="Business time left; negative once breached")
    warn_at: str | None
    due_at: str | None = Field(description="The deadline (UTC); none while paused or stopped")
    warned: bool
    breached: bool
    started_at: str
    stopped_at: str | None


class TicketContact(BaseModel):
    id: int
    name: str | None
    email: str | None


class TicketCsat(BaseModel):
    rating: int = Field(description="1 (very unsatisfied) to 5 (very satisfied)")
    comment: str | None
    answered_at: str


class TicketOut(BaseModel):
    id: int
    conversation_id: int
    inbox_id: int
    subject: str
    status: TicketStatusName
    priority: PriorityName
    type: str | None
    tags: list[str]
    custom_fields: dict[str, Any]
    source: str
    language: str | None
    assignee_id: int | None
    team_id: int | None
    contact: TicketContact
    created_at: str
    updated_at: str
    solved_at: str | None
    first_response_at: str | None
    timers: list[SlaTimerOut]
    next_deadline: SlaTimerOut | None = Field(description="The running timer due first: what the console counts down")
    csat: TicketCsat | None = Field(None, description="The customer's latest satisfaction rating of this ticket")
    merged_into_id: int | None = Field(None, description="Closed by a merge into this ticket")
    linked_ticket_ids: list[int] = Field(default_factory=list, description="Related tickets")


class MergeIn(BaseModel):
    into_ticket_id: int
    note: str | None = Field(None, description="Why, for whoever works the ticket merged into")


class TransferIn(BaseModel):
    team_id: int
    summary: str = Field(description="What the team needs to know, in the sender's language; translated for each of its agents")
    summary_untranslated: bool = Field(
        False,
        description="true: the summary goes as written even where a member of the team neither reads its language nor "
        "has an engine translating it for them; else such a summary is refused (422 note_untranslatable) and nothing changes",
    )


class LinkIn(BaseModel):
    ticket_id: int


class TicketPage(BaseModel):
    items: list[TicketOut]


class NewTicketIn(BaseModel):
    inbox_id: int
    contact_id: int | None = Field(None, description="An existing contact; or give email (and name)")
    email: str | None = None
    name: str | None = None
    subject: str
    description: str = Field(description="The customer's request: the ticket's first message")
    priority: PriorityName = "normal"
    type: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}
    language: str | None = None


class TicketFromConversationIn(BaseModel):
    subject: str | None = Field(None, description="Defaults to the start of the customer's first message")
    priority: PriorityName | None = None
    type: str | None = None
    tags: list[str] = []
    custom_fields: dict[str, Any] = {}


class TicketPatchIn(BaseModel):
    subject: str | None = None
    status: TicketStatusName | None = None
    priority: PriorityName | None = None
    type: str | None = None
    tags: list[str] | None = None
    custom_fields: dict[str, Any] | None = None


class TicketBulkIn(BaseModel):
    ticket_ids: list[int] = Field(..., description="The tickets to change (at most 100)")
    status: TicketStatusName | None = None
    priority: PriorityName | None = None
    add_tags: list[str] = Field(default_factory=list, description="Tags added to each ticket's own")
    assignee_id: int | None = Field(None, description="Give each ticket to this agent; null (sent) takes it away; absent leaves it")


class TicketBulkFailure(BaseModel):
    ticket_id: int
    message: str
    field: str | None
    reason: str | None = Field(None, description="required_to_solve: the field named by `field` must be filled in first")


class TicketBulkOut(BaseModel):
    updated: list[int]
    failed: list[TicketBulkFailure] = Field(..., description="Tickets the change could not apply to, with the reason; the others changed")


class SlaEventOut(BaseModel):
    ticket_id: int
    metric: str
    kind: str
    at: str
    priority: str
    team_id: int | None
    assignee_id: int | None
    language: str | None
    used_seconds: float | None


class TicketFieldIn(BaseModel):
    key: str = Field(description="How the API names it in custom_fields: order_number")
    type: str = Field(description="text, number, select, checkbox or date")
    labels: dict[str, str] = Field(description='The label per language: {"en": "Order number", "de": "Bestellnummer"}')
    options: list[str] = Field(default_factory=list, description="A select field's choices")
    required_to_solve: bool = False
    position: int = 0


class TicketFieldOut(TicketFieldIn):
    id: int



class TicketViewIn(BaseModel):
    name: str = Field(..., description="Shown above the ticket list, e.g. \"My urgent tickets\"")
    filters: dict[str, Any] = Field(
        default_factory=dict,
        description="The list's filters as its address spells them: status, assignee, priority, team_id, tag, order",
    )


class TicketViewOut(BaseModel):
    id: int
    name: str
    filters: dict[str, str]
    url: str = Field(..., description="The console's ticket list with these filters")
