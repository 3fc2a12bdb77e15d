"""API shapes for routing: skills, agents' routing profiles, queues, decisions, the wall."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from dragoman.calendars.schemas import HoursIn

ChannelName = Literal["chat", "email", "voice"]
StrategyName = Literal["longest_idle", "least_occupied", "round_robin", "most_skilled"]


class SkillIn(BaseModel):
    name: str = Field(description="e.g. 'presales', 'order tracking', 'technical support'")


class SkillOut(BaseModel):
    id: int
    name: str


class AgentSkillIn(BaseModel):
    skill: str = Field(description="A skill's name, as created under /routing/skills")
    level: int = Field(description="1 (basic) to 5 (expert)")


class AgentRoutingIn(BaseModel):
    skills: list[AgentSkillIn] | None = Field(None, description="Replaces the agent's skills when given")
    capacities: dict[str, int] | None = Field(
        None, description="Conversations held at once per channel, e.g. {'chat': 3, 'email': 5, 'voice': 1}"
    )
    working_hours: list["HoursIn"] | None = Field(
        None, description="The agent's shifts in their own time zone; outside them routing gives them nothing. [] : always"
    )
    holiday_country: str | None = Field(None, description="With working_hours: the public holidays the agent is off")
    holiday_subdivision: str | None = None


class AgentRoutingOut(BaseModel):
    agent_id: int
    name: str
    availability: str
    skills: list[AgentSkillIn]
    capacities: dict[str, int]
    load: dict[str, int] = Field(description="Open conversations the agent holds now, per channel")
    timezone: str = "UTC"
    working_hours: list["HoursIn"] = Field(default_factory=list, description="Empty: always working")
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    working_now: bool = Field(True, description="Within the working hours now")


class StepIn(BaseModel):
    after_seconds: int = Field(0, description="Open once the conversation has waited this long")
    min_language_level: int = Field(0, description="0: language not required; 1-5: at least this proficiency")
    min_skill_level: int = Field(0, description="0: skill not required; 1-5: at least this level")
    language: str | None = Field(None, description="A fixed language instead of the conversation's")
    skill: str | None = Field(None, description="A fixed skill instead of the conversation's")
    machine_translation: bool = False
    skippable: bool = Field(True, description="Skipped at once when no online agent matches it")


class StepOut(StepIn):
    position: int


class QueueIn(BaseModel):
    name: str
    channel: ChannelName = "chat"
    strategy: StrategyName = "longest_idle"
    position: int = 0
    inbox_ids: list[int] = Field(description="Inboxes whose new conversations this queue routes")
    team_ids: list[int] = Field([], description="Teams whose agents work the queue; empty: any team working its inboxes")
    languages: list[str] = Field([], description="Languages served; empty: all")
    default_skill: str | None = Field(None, description="The skill a conversation needs when it names none")
    sticky_seconds: int = Field(0, description="A returning customer waits this long for their last agent")
    service_target_seconds: int = Field(20, description="The wall's service level: share answered within this")
    answer_timeout_seconds: int = Field(
        0,
        description="0: off. An agent who neither replies nor accepts a routed conversation within this many "
        "seconds loses it back to the queue and is set away (chat auto-assign with no-answer timeout; "
        "an offer for voice-like channels)",
    )
    overflow_queue_id: int | None = Field(None, description="Where a conversation goes after waiting overflow_after_seconds")
    overflow_after_seconds: int = 0
    ticket_after_seconds: int = Field(
        0, description="0: off. After this long waiting with nobody free, it also becomes a ticket (the customer gets its number)"
    )
    when_closed: Literal["reply", "ticket"] = Field(
        "reply",
        description="Every queue closed: reply tells the customer when someone answers; ticket also makes it a ticket and "
        "gives the customer its number",
    )
    steps: list[StepIn] = Field(default_factory=lambda: [StepIn()])
    timezone: str = "UTC"
    hours: list[HoursIn] = Field([], description="Opening windows; none: always open")
    holiday_country: str | None = Field(None, description="ISO country code for public holidays, e.g. 'ES'")
    holiday_subdivision: str | None = None
    closed_dates: list[str] = Field([], description="Extra closed days, YYYY-MM-DD")
    enabled: bool = True


class QueueOut(QueueIn):
    id: int
    steps: list[StepOut]  # type: ignore[assignment]
    open_now: bool
    opens_at: str | None = Field(None, description="When closed: the next opening (UTC)")


class ConversationRoutingIn(BaseModel):
    skill: str | None = Field(None, description="The skill this conversation needs ('' clears)")
    vip: bool | None = None
    queue_id: int | None = Field(None, description="Move it to this queue (a transfer) and route it again")
    note: str | None = Field(None, description="With a transfer: a private note for whoever takes it next")


class DecisionOut(BaseModel):
    id: int
    conversation_id: int
    queue_id: int | None
    agent_id: int | None
    outcome: str
    step: int | None
    machine_translation: bool
    waited_seconds: float | None
    closed_until: str | None
    reason: dict[str, Any]
    created_at: str


class WallQueueOut(BaseModel):
    queue_id: int
    name: str
    open: bool
    waiting: int
    longest_wait: float
    languages: dict[str, dict[str, int | float]]
    agents: dict[str, int]
    service_target_seconds: int
    answered_last_hour: int
    service_level_last_hour: float | None = Field(description="Share answered within the target; None: nothing answered")


class WallOut(BaseModel):
    queues: list[WallQueueOut]
    generated_at: str


AgentRoutingIn.model_rebuild()
AgentRoutingOut.model_rebuild()
