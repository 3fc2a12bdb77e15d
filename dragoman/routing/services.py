"""Routing services: skills, agents' skills and capacities, queues (checked
field by field), turning rows into the engine's specs, and storing what the
engine decided (assignment, timeline line, decision row).

The in-memory engine and its thread live in `runtime.py`; this module only
reads and writes the database.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts_services
from dragoman.accounts.models import Availability, InboxTeam, Role, Team, TeamMember, User
from dragoman.accounts.permissions import Viewer
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.events import ConversationNeedsTicket
from dragoman.conversations.models import Conversation, ConversationStatus, Direction, Message, SenderType
from dragoman.core import events
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.validation import require_language, require_text
from dragoman.inboxes.models import Inbox
from dragoman.language import services as language_services
from dragoman.language.detect import base_language
from dragoman.routing.engine import (
    MAX_LEVEL,
    AgentSpec,
    Channel,
    Decision,
    LanguageLevel,
    Presence,
    QueueSpec,
    Step,
    Strategy,
    WorkItem,
    WorkKind,
    work_channel,
)
from dragoman.routing.autoreply import busy_reply, closed_reply
from dragoman.calendars.hours import BusinessHours, Window
from dragoman.calendars.schemas import HoursIn
from dragoman.calendars.services import check_hours_input, from_epoch, hhmm, to_epoch
from dragoman.routing.models import (
    AgentCapacity,
    AgentSchedule,
    AgentSkill,
    RoutingConversation,
    RoutingDecision,
    RoutingHours,
    RoutingQueue,
    RoutingQueueInbox,
    RoutingQueueTeam,
    RoutingSkill,
    RoutingStep,
)
from dragoman.inboxes import channel_kinds
from dragoman.routing.schemas import QueueIn, QueueOut, StepOut
from dragoman.tickets.models import Ticket

# What an agent holds at once when nobody set it: a common contact-center default.
DEFAULT_CAPACITY: dict[Channel, int] = {Channel.chat: 3, Channel.email: 5, Channel.voice: 1}
MAX_CAPACITY = 100
PRESENCE_OF: dict[Availability, Presence] = {
    Availability.online: Presence.online,
    Availability.away: Presence.away,
    Availability.on_break: Presence.on_break,
    Availability.offline: Presence.offline,
}
ROUTING_ACTOR = "Routing"


def inbox_channel(channel_type: str) -> Channel:
    """Which of an agent's capacities an inbox's work takes: its channel kind says (inboxes.channel_kinds)."""
    return Channel(channel_kinds.routing_channel_of(channel_type))


# -- skills ---------------------------------------------------------------------------


def list_skills(db: Session, account_id: int) -> list[RoutingSkill]:
    return list(db.scalars(select(RoutingSkill).where(RoutingSkill.account_id == account_id).order_by(RoutingSkill.name)))


def skills_by_name(db: Session, account_id: int) -> dict[str, int]:
    return {skill.name: skill.id for skill in list_skills(db, account_id)}


def skill_names(db: Session, account_id: int | None = None) -> dict[int, str]:
    statement = select(RoutingSkill.id, RoutingSkill.name)
    if account_id is not None:
        statement = statement.where(RoutingSkill.account_id == account_id)
    return {ident: name for ident, name in db.execute(statement)}


def create_skill(db: Session, account_id: int, name: str | None) -> RoutingSkill:
    clean = require_text(name, "name", max_length=80)
    if clean in skills_by_name(db, account_id):
        raise Conflict(f"a skill named {clean!r} already exists", field="name")
    skill = RoutingSkill(account_id=account_id, name=clean)
    db.add(skill)
    db.flush()
    return skill


def delete_skill(db: Session, account_id: int, skill_id: int) -> None:
    skill = db.get(RoutingSkill, skill_id)
    if skill is None or skill.account_id != account_id:
        raise NotFound(f"skill {skill_id} not found", field="skill_id")
    if db.scalar(select(RoutingStep.id).where(RoutingStep.skill_id == skill_id).limit(1)) is not None:
        raise Conflict(f"skill {skill.name!r} is named in a routing step; change the step first", field="skill_id")
    db.delete(skill)
    db.flush()


def _known_skill(known: dict[str, int], name: str | None, field: str) -> int:
    clean = (name or "").strip()
    if clean not in known:
        raise InvalidInput(f"unknown skill {name!r}; create it under /routing/skills first", field=field)
    return known[clean]


def _known_language(account_languages: Sequence[str], code: str | None, field: str) -> str:
    clean = base_language(require_language(code, field))
    assert clean is not None
    if clean not in account_languages:
        raise InvalidInput(
            f"unknown language {code!r}; the account's languages are {', '.join(account_languages)}", field=field
        )
    return clean


# -- agents ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentRouting:
    user: User
    skills: list[tuple[str, int]]
    capacities: dict[str, int]


def agent_routing(db: Session, user: User) -> AgentRouting:
    names = skill_names(db, user.account_id)
    skills = sorted(
        (names[row.skill_id], row.level)
        for row in db.scalars(select(AgentSkill).where(AgentSkill.user_id == user.id))
        if row.skill_id in names
    )
    capacities = {channel.value: DEFAULT_CAPACITY[channel] for channel in Channel}
    for row in db.scalars(select(AgentCapacity).where(AgentCapacity.user_id == user.id)):
        capacities[row.channel] = row.capacity
    return AgentRouting(user=user, skills=skills, capacities=capacities)


def set_agent_routing(
    db: Session, user: User, *, skills: Sequence[tuple[str, int]] | None, capacities: dict[str, int] | None
) -> None:
    if skills is not None:
        known = skills_by_name(db, user.account_id)
        rows: dict[int, int] = {}
        for index, (name, level) in enumerate(skills):
            skill_id = _known_skill(known, name, f"skills[{index}].skill")
            if not isinstance(level, int) or not 1 <= level <= MAX_LEVEL:
                raise InvalidInput("level must be 1 to 5", field=f"skills[{index}].level")
            if skill_id in rows:
                raise InvalidInput(f"skill {name!r} is listed twice", field=f"skills[{index}].skill")
            rows[skill_id] = level
        db.execute(delete(AgentSkill).where(AgentSkill.user_id == user.id))
        for skill_id, level in rows.items():
            db.add(AgentSkill(user_id=user.id, skill_id=skill_id, level=level))
    if capacities is not None:
        for channel_name, capacity in capacities.items():
            if channel_name not in Channel.__members__:
                raise InvalidInput(f"unknown channel {channel_name!r}; use chat, email or voice", field=f"capacities.{channel_name}")
            if not isinstance(capacity, int) or capacity < 0:
                raise InvalidInput("capacity must be 0 or more", field=f"capacities.{channel_name}")
            if capacity > MAX_CAPACITY:
                raise InvalidInput(f"capacity must be at most {MAX_CAPACITY}", field=f"capacities.{channel_name}")
        for channel_name, capacity in capacities.items():
            row = db.get(AgentCapacity, (user.id, channel_name))
            if row is None:
                db.add(AgentCapacity(user_id=user.id, channel=channel_name, capacity=capacity))
            else:
                row.capacity = capacity
    db.flush()


def set_agent_schedule(
    db: Session, user: User, hours: Sequence[HoursIn], holiday_country: str | None, holiday_subdivision: str | None
) -> None:
    """The agent's working hours (empty: always working), checked in their time zone."""
    windows, country, subdivision = check_hours_input(
        hours, user.timezone or "UTC", holiday_country, holiday_subdivision, field="working_hours"
    )
    row = db.get(AgentSchedule, user.id)
    if not windows and not country:
        if row is not None:
            db.delete(row)
        db.flush()
        return
    if row is None:
        row = AgentSchedule(user_id=user.id)
        db.add(row)
    row.windows = [{"weekday": w.weekday, "start": w.start, "end": w.end} for w in windows]
    row.holiday_country, row.holiday_subdivision = country, subdivision
    db.flush()


def _schedule_hours(row: AgentSchedule, timezone_name: str) -> BusinessHours:
    return BusinessHours(
        timezone=timezone_name,
        windows=[Window(w["weekday"], w["start"], w["end"]) for w in row.windows or ()],
        holiday_country=row.holiday_country,
        holiday_subdivision=row.holiday_subdivision,
    )


def agent_schedule(db: Session, user: User) -> BusinessHours | None:
    row = db.get(AgentSchedule, user.id)
    return _schedule_hours(row, user.timezone or "UTC") if row is not None else None


def agent_schedules(db: Session, users: Sequence[User]) -> dict[int, BusinessHours]:
    by_id = {user.id: user for user in users}
    if not by_id:
        return {}
    return {
        row.user_id: _schedule_hours(row, by_id[row.user_id].timezone or "UTC")
        for row in db.scalars(select(AgentSchedule).where(AgentSchedule.user_id.in_(list(by_id))))
    }


def agent_loads(db: Session, user_ids: Iterable[int] | None = None) -> dict[int, dict[Channel, int]]:
    """Open conversations each agent holds, per channel: what counts against capacity."""
    statement = (
        select(Conversation.assignee_id, Inbox.channel_type, func.count(Conversation.id))
        .join(Inbox, Inbox.id == Conversation.inbox_id)
        .where(Conversation.assignee_id.is_not(None), Conversation.status == ConversationStatus.open)
        .group_by(Conversation.assignee_id, Inbox.channel_type)
    )
    if user_ids is not None:
        statement = statement.where(Conversation.assignee_id.in_(list(user_ids)))
    loads: dict[int, dict[Channel, int]] = defaultdict(lambda: {channel: 0 for channel in Channel})
    for assignee_id, channel_type, count in db.execute(statement):
        loads[assignee_id][inbox_channel(channel_type)] += count
    return loads


def effective_presence(user: User, schedule: BusinessHours | None, now: float) -> Presence:
    """Outside their working hours an agent gets no new work: away to routing,
    whatever their status says (they may still finish what they hold)."""
    presence = PRESENCE_OF.get(user.availability, Presence.offline)
    if presence is Presence.online and schedule is not None and not schedule.is_open(now):
        return Presence.away
    return presence


def active_users_statement(user_ids: Iterable[int] | None) -> Any:
    statement = select(User).where(User.active.is_(True))
    if user_ids is not None:
        statement = statement.where(User.id.in_(list(user_ids)))
    return statement


def agent_specs(db: Session, user_ids: Iterable[int] | None = None, now: float | None = None) -> list[AgentSpec]:
    return agent_specs_and_schedules(db, user_ids, now)[0]


def agent_specs_and_schedules(
    db: Session, user_ids: Iterable[int] | None = None, now: float | None = None
) -> tuple[list[AgentSpec], dict[int, BusinessHours]]:
    """Every active user (or those named) as the engine sees them. Teams and
    the inboxes they work come from the same tables as `load_viewer`, so
    routing and visibility agree."""
    users = list(db.scalars(active_users_statement(user_ids)))
    if not users:
        return [], {}
    ids = [user.id for user in users]
    teams: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in db.execute(select(TeamMember.team_id, TeamMember.user_id).where(TeamMember.user_id.in_(ids))):
        teams[user_id].add(team_id)
    inboxes_of_team: dict[int, set[int]] = defaultdict(set)
    all_teams = {team for found in teams.values() for team in found}
    if all_teams:
        for inbox_id, team_id in db.execute(select(InboxTeam.inbox_id, InboxTeam.team_id).where(InboxTeam.team_id.in_(all_teams))):
            inboxes_of_team[team_id].add(inbox_id)
    vendors = {ident: vendor for ident, vendor in db.execute(select(Team.id, Team.vendor_id).where(Team.id.in_(all_teams)))} if all_teams else {}
    names = skill_names(db)
    schedules = agent_schedules(db, users)
    now = now if now is not None else to_epoch(utcnow())
    skills: dict[int, dict[str, int]] = defaultdict(dict)
    for row in db.scalars(select(AgentSkill).where(AgentSkill.user_id.in_(ids))):
        if row.skill_id in names:
            skills[row.user_id][names[row.skill_id]] = row.level
    capacities: dict[int, dict[Channel, int]] = defaultdict(lambda: dict(DEFAULT_CAPACITY))
    for row in db.scalars(select(AgentCapacity).where(AgentCapacity.user_id.in_(ids))):
        if row.channel in Channel.__members__:
            capacities[row.user_id][Channel(row.channel)] = row.capacity
    specs = []
    for user in users:
        languages: dict[str, LanguageLevel] = {}
        for known in user.languages:
            code = base_language(known.language)
            if code is None:
                continue
            level = LanguageLevel(writing=known.writing, voice=known.speaking)
            previous = languages.get(code)  # zh-Hans and zh-Hant both count as zh: keep the better
            if previous is None or (level.writing, level.voice) > (previous.writing, previous.voice):
                languages[code] = level
        team_ids = frozenset(teams.get(user.id, ()))
        specs.append(
            AgentSpec(
                id=user.id,
                account_id=user.account_id,
                name=user.name,
                role=user.role,
                languages=languages,
                skills=dict(skills.get(user.id, {})),
                team_ids=team_ids,
                inbox_ids=frozenset(inbox for team in team_ids for inbox in inboxes_of_team.get(team, ())),
                vendor_id=next((vendors[t] for t in sorted(team_ids) if vendors.get(t)), None),
                capacity=dict(capacities[user.id]),
                presence=effective_presence(user, schedules.get(user.id), now),
                timezone=user.timezone or "UTC",
                working_language=base_language(user.working_language),
            )
        )
    return specs, schedules


# -- queues -----------------------------------------------------------------------------


def _check_ids(db: Session, model: Any, account_id: int, ids: Sequence[int], field: str, what: str) -> list[int]:
    wanted = list(dict.fromkeys(ids))
    if wanted:
        found = set(db.scalars(select(model.id).where(model.account_id == account_id, model.id.in_(wanted))))
        for index, ident in enumerate(ids):
            if ident not in found:
                raise NotFound(f"{what} {ident} not found", field=f"{field}[{index}]")
    return wanted


def save_queue(db: Session, account_id: int, body: QueueIn, queue: RoutingQueue | None = None) -> RoutingQueue:
    """Create a queue, or replace every setting of `queue`. Every field is
    checked before anything is written; an error names the field."""
    name = require_text(body.name, "name", max_length=200)
    clash = db.scalar(select(RoutingQueue.id).where(RoutingQueue.account_id == account_id, RoutingQueue.name == name))
    if clash is not None and (queue is None or clash != queue.id):
        raise Conflict(f"a queue named {name!r} already exists", field="name")
    inbox_ids = _check_ids(db, Inbox, account_id, body.inbox_ids, "inbox_ids", "inbox")
    if not inbox_ids:
        raise InvalidInput("a queue routes at least one inbox", field="inbox_ids")
    # A queue serves one channel; an inbox of another would never be routed by it.
    for inbox_id, channel_type in db.execute(select(Inbox.id, Inbox.channel_type).where(Inbox.id.in_(inbox_ids)).order_by(Inbox.id)):
        if inbox_channel(channel_type).value != body.channel:
            raise InvalidInput(
                f"inbox {inbox_id} is a {channel_type} inbox ({inbox_channel(channel_type).value} work); "
                f"a {body.channel} queue cannot route it",
                field="inbox_ids",
            )
    team_ids = _check_ids(db, Team, account_id, body.team_ids, "team_ids", "team")
    account_languages = language_services.get_settings(db, account_id).languages
    languages = [_known_language(account_languages, code, f"languages[{i}]") for i, code in enumerate(body.languages)]
    known_skills = skills_by_name(db, account_id)
    default_skill_id = (
        _known_skill(known_skills, body.default_skill, "default_skill") if body.default_skill else None
    )
    for field_name, value, low, high in (
        ("sticky_seconds", body.sticky_seconds, 0, 3600),
        ("service_target_seconds", body.service_target_seconds, 1, 86_400),
        ("answer_timeout_seconds", body.answer_timeout_seconds, 0, 3600),
        ("overflow_after_seconds", body.overflow_after_seconds, 0, 86_400),
        ("ticket_after_seconds", body.ticket_after_seconds, 0, 86_400),
    ):
        if not low <= value <= high:
            raise InvalidInput(f"{field_name} must be {low} to {high}", field=field_name)
    if body.overflow_queue_id is not None:
        target = db.get(RoutingQueue, body.overflow_queue_id)
        if target is None or target.account_id != account_id:
            raise NotFound(f"queue {body.overflow_queue_id} not found", field="overflow_queue_id")
        if queue is not None and target.id == queue.id:
            raise InvalidInput("a queue cannot overflow into itself", field="overflow_queue_id")
        # Its agents must see the conversations that overflow to them.
        missing = set(inbox_ids) - {row.inbox_id for row in target.inboxes}
        if missing:
            raise InvalidInput(
                f"queue {target.name!r} does not route inbox {min(missing)}; its agents could not see these conversations",
                field="overflow_queue_id",
            )
    if not body.steps:
        raise InvalidInput("a queue needs at least one step", field="steps")
    steps: list[RoutingStep] = []
    previous_after = -1
    for index, step in enumerate(body.steps):
        where = f"steps[{index}]"
        if step.after_seconds < 0 or step.after_seconds > 86_400:
            raise InvalidInput("after_seconds must be 0 to 86400", field=f"{where}.after_seconds")
        if step.after_seconds < previous_after:
            raise InvalidInput("steps must open in order: after_seconds may not go down", field=f"{where}.after_seconds")
        previous_after = step.after_seconds
        for level_field in ("min_language_level", "min_skill_level"):
            if not 0 <= getattr(step, level_field) <= MAX_LEVEL:
                raise InvalidInput(f"{level_field} must be 0 to 5", field=f"{where}.{level_field}")
        language = _known_language(account_languages, step.language, f"{where}.language") if step.language else None
        skill_id = _known_skill(known_skills, step.skill, f"{where}.skill") if step.skill else None
        steps.append(
            RoutingStep(
                position=index,
                after_seconds=step.after_seconds,
                min_language_level=step.min_language_level,
                min_skill_level=step.min_skill_level,
                language=language,
                skill_id=skill_id,
                machine_translation=step.machine_translation,
                skippable=step.skippable,
            )
        )
    windows, country, subdivision = check_hours_input(
        body.hours, body.timezone, body.holiday_country, body.holiday_subdivision
    )
    closed: list[str] = []
    for index, text in enumerate(body.closed_dates):
        try:
            closed.append(date.fromisoformat(text).isoformat())
        except (TypeError, ValueError):
            raise InvalidInput("use YYYY-MM-DD", field=f"closed_dates[{index}]") from None

    if queue is None:
        queue = RoutingQueue(account_id=account_id)
        db.add(queue)
    queue.name = name
    queue.channel = body.channel
    queue.strategy = body.strategy
    queue.position = body.position
    queue.languages = languages
    queue.default_skill_id = default_skill_id
    queue.sticky_seconds = body.sticky_seconds
    queue.service_target_seconds = body.service_target_seconds
    queue.answer_timeout_seconds = body.answer_timeout_seconds
    queue.overflow_queue_id = body.overflow_queue_id
    queue.overflow_after_seconds = body.overflow_after_seconds
    queue.when_closed = body.when_closed
    queue.ticket_after_seconds = body.ticket_after_seconds
    queue.timezone = body.timezone
    queue.holiday_country = country
    queue.holiday_subdivision = subdivision
    queue.closed_dates = closed
    queue.enabled = body.enabled
    queue.steps = steps
    queue.hours = [RoutingHours(weekday=w.weekday, start_minute=w.start, end_minute=w.end) for w in windows]
    queue.inboxes = [RoutingQueueInbox(inbox_id=ident) for ident in inbox_ids]
    queue.teams = [RoutingQueueTeam(team_id=ident) for ident in team_ids]
    db.flush()
    return queue


def get_queue(db: Session, account_id: int, queue_id: int) -> RoutingQueue:
    queue = db.get(RoutingQueue, queue_id)
    if queue is None or queue.account_id != account_id:
        raise NotFound(f"queue {queue_id} not found", field="queue_id")
    return queue


def list_queues(db: Session, account_id: int | None = None) -> list[RoutingQueue]:
    statement = select(RoutingQueue).order_by(RoutingQueue.position, RoutingQueue.id)
    if account_id is not None:
        statement = statement.where(RoutingQueue.account_id == account_id)
    return list(db.scalars(statement))


def delete_queue(db: Session, queue: RoutingQueue) -> None:
    db.delete(queue)
    db.flush()


def business_hours(queue: RoutingQueue) -> BusinessHours | None:
    if not queue.hours and not queue.holiday_country and not queue.closed_dates:
        return None
    return BusinessHours(
        timezone=queue.timezone,
        windows=[Window(h.weekday, h.start_minute, h.end_minute) for h in queue.hours],
        holiday_country=queue.holiday_country,
        holiday_subdivision=queue.holiday_subdivision,
        closed_dates=[date.fromisoformat(text) for text in queue.closed_dates or ()],
    )


def queue_spec(queue: RoutingQueue, names: dict[int, str]) -> QueueSpec:
    return QueueSpec(
        id=queue.id,
        account_id=queue.account_id,
        name=queue.name,
        channel=Channel(queue.channel),
        strategy=Strategy(queue.strategy),
        steps=tuple(
            Step(
                after_seconds=float(step.after_seconds),
                min_language_level=step.min_language_level,
                min_skill_level=step.min_skill_level,
                language=step.language,
                skill=names.get(step.skill_id) if step.skill_id is not None else None,
                machine_translation=step.machine_translation,
                skippable=step.skippable,
            )
            for step in queue.steps
        ),
        inbox_ids=frozenset(row.inbox_id for row in queue.inboxes),
        team_ids=frozenset(row.team_id for row in queue.teams),
        languages=frozenset(queue.languages or ()),
        default_skill=names.get(queue.default_skill_id) if queue.default_skill_id is not None else None,
        sticky_seconds=float(queue.sticky_seconds),
        hours=business_hours(queue),
        position=queue.position,
        overflow_queue_id=queue.overflow_queue_id,
        overflow_after_seconds=float(queue.overflow_after_seconds),
        ticket_after_seconds=float(queue.ticket_after_seconds),
    )


TranslationReach = Callable[[Session, int], Mapping[str, frozenset[str]]]


def queue_specs(db: Session, translation_reach: TranslationReach | None = None) -> list[QueueSpec]:
    """Every enabled queue as the engine sees it; with `translation_reach`
    (the account's engines, language.services.translation_reach), a machine
    translation step admits only agents an engine connects with the customer."""
    names = skill_names(db)
    queues = [queue for queue in list_queues(db) if queue.enabled]
    reach: dict[int, Mapping[str, frozenset[str]]] = {}
    if translation_reach is not None:
        for account_id in {queue.account_id for queue in queues}:
            reach[account_id] = translation_reach(db, account_id)
    return [replace(queue_spec(queue, names), translation_reach=reach.get(queue.account_id)) for queue in queues]


def answer_timeouts(db: Session) -> dict[int, int]:
    """queue id -> seconds an agent has to answer a routed conversation (queues that set one)."""
    return {
        ident: seconds
        for ident, seconds in db.execute(
            select(RoutingQueue.id, RoutingQueue.answer_timeout_seconds).where(RoutingQueue.answer_timeout_seconds > 0)
        )
    }


def take_back_unanswered(db: Session, conversation_id: int, agent_id: int, seconds: int, assigned_at: datetime) -> bool:
    """The agent let a routed conversation go unanswered: it goes back to the
    queue (its wait keeps counting from when it first arrived) and the agent
    is set away, as a contact center does after a missed offer. False if it
    is no longer theirs, or a person has answered the customer since
    `assigned_at` (routing never moves a conversation someone is answering)."""
    conversation = db.get(Conversation, conversation_id)
    agent = db.get(User, agent_id)
    if conversation is None or agent is None:
        return False
    # Locked and read again, so a reply committed a moment ago is seen.
    conversations.lock_conversation(db, conversation)
    if conversation.assignee_id != agent_id or conversation.status is not ConversationStatus.open:
        return False
    if conversations.a_person_has_replied(db, conversation_id, since=assigned_at):
        return False
    # Presence first: its event reaches the routing thread before the hand-back,
    # so the conversation is not offered straight back to the same agent.
    if agent.availability is Availability.online:
        accounts_services.set_availability(db, agent, Availability.away)
    conversations.assign_conversation(db, _routing_viewer(conversation.account_id), conversation, assignee_id=None)
    conversations.add_activity(
        db,
        conversation,
        f"{agent.name} did not answer within {seconds} s; back in the queue, and {agent.name} is set away",
        {"activity": "routing_no_answer", "actor": ROUTING_ACTOR, "assignee": agent.name, "seconds": seconds},
    )
    return True


def queue_out(db: Session, queue: RoutingQueue, now: datetime | None = None) -> QueueOut:
    names = skill_names(db, queue.account_id)
    hours = business_hours(queue)
    moment = to_epoch(now or utcnow())
    open_now = hours is None or hours.is_open(moment)
    opens = None if open_now or hours is None else hours.next_open(moment)
    return QueueOut(
        id=queue.id,
        name=queue.name,
        channel=queue.channel,  # type: ignore[arg-type]
        strategy=queue.strategy,  # type: ignore[arg-type]
        position=queue.position,
        inbox_ids=sorted(row.inbox_id for row in queue.inboxes),
        team_ids=sorted(row.team_id for row in queue.teams),
        languages=list(queue.languages or ()),
        default_skill=names.get(queue.default_skill_id) if queue.default_skill_id is not None else None,
        sticky_seconds=queue.sticky_seconds,
        service_target_seconds=queue.service_target_seconds,
        answer_timeout_seconds=queue.answer_timeout_seconds,
        overflow_queue_id=queue.overflow_queue_id,
        overflow_after_seconds=queue.overflow_after_seconds,
        when_closed=queue.when_closed,  # type: ignore[arg-type]
        ticket_after_seconds=queue.ticket_after_seconds,
        steps=[
            StepOut(
                position=step.position,
                after_seconds=step.after_seconds,
                min_language_level=step.min_language_level,
                min_skill_level=step.min_skill_level,
                language=step.language,
                skill=names.get(step.skill_id) if step.skill_id is not None else None,
                machine_translation=step.machine_translation,
                skippable=step.skippable,
            )
            for step in queue.steps
        ],
        timezone=queue.timezone,
        hours=[{"weekday": h.weekday, "start": hhmm(h.start_minute), "end": hhmm(h.end_minute)} for h in queue.hours],  # type: ignore[misc]
        holiday_country=queue.holiday_country,
        holiday_subdivision=queue.holiday_subdivision,
        closed_dates=list(queue.closed_dates or ()),
        enabled=queue.enabled,
        open_now=open_now,
        opens_at=isoformat(from_epoch(opens)) if opens is not None else None,
    )


# -- conversations ------------------------------------------------------------------------


def needs_routing(conversation: Conversation) -> bool:
    """Open, nobody (no agent, no team) holds it, and no bot is answering it
    (the bot's hand-off sends conversation.updated, and routing takes over)."""
    return (
        conversation.status is ConversationStatus.open
        and conversation.assignee_id is None
        and conversation.team_id is None
        and not conversation.bot_active
    )


def work_item(db: Session, conversation: Conversation, enqueued_at: datetime | None = None) -> WorkItem:
    """The conversation as a work item the engine routes. Its language:
    `conversation.language` (detected, or chosen), else the contact's. Its
    kind: a ticket where it is one, a chat otherwise (calls and callbacks
    come with the voice channel)."""
    inbox = db.get(Inbox, conversation.inbox_id)
    contact = db.get(Contact, conversation.contact_id)
    extra = db.get(RoutingConversation, conversation.id)
    names = skill_names(db, conversation.account_id) if extra is not None and extra.skill_id is not None else {}
    language = base_language(conversation.language or (contact.language if contact is not None else None))
    last_agent_id = db.scalar(
        select(Conversation.assignee_id)
        .where(
            Conversation.contact_id == conversation.contact_id,
            Conversation.id != conversation.id,
            Conversation.assignee_id.is_not(None),
        )
        .order_by(Conversation.id.desc())
        .limit(1)
    )
    started = enqueued_at or (extra.enqueued_at if extra is not None and extra.enqueued_at else None) or conversation.created_at
    ticketed = _is_ticket(db, conversation.id)
    kind = WorkKind.ticket if ticketed else WorkKind.chat
    return WorkItem(
        id=conversation.id,
        account_id=conversation.account_id,
        inbox_id=conversation.inbox_id,
        channel=work_channel(kind, inbox_channel(inbox.channel_type if inbox is not None else "webchat")),
        kind=kind,
        language=language,
        skill=names.get(extra.skill_id) if extra is not None and extra.skill_id is not None else None,
        priority=conversation.priority.value,
        vip=bool(extra.vip) if extra is not None else False,
        enqueued_at=to_epoch(started),
        last_agent_id=last_agent_id,
        queue_id=extra.queue_id if extra is not None else None,
        ticketed=ticketed,
    )


# The name routing's runtime asks for.
waiting_spec = work_item


def _is_ticket(db: Session, conversation_id: int) -> bool:
    return _ticket_id(db, conversation_id) is not None


def mark_enqueued(db: Session, conversation_id: int, moment: datetime) -> None:
    """A conversation back in line (reopened, unassigned) waits from now."""
    extra = db.get(RoutingConversation, conversation_id)
    if extra is None:
        db.add(RoutingConversation(conversation_id=conversation_id, vip=False, enqueued_at=moment))
    else:
        extra.enqueued_at = moment


def waiting_conversations(db: Session, inbox_ids: Iterable[int]) -> list[Conversation]:
    ids = list(inbox_ids)
    if not ids:
        return []
    return list(
        db.scalars(
            select(Conversation)
            .where(
                Conversation.inbox_id.in_(ids),
                Conversation.status == ConversationStatus.open,
                Conversation.assignee_id.is_(None),
                Conversation.team_id.is_(None),
            )
            .order_by(Conversation.id)
        )
    )


def set_conversation_routing(
    db: Session, conversation: Conversation, *, skill: str | None, vip: bool | None, queue_id: int | None
) -> RoutingConversation:
    extra = db.get(RoutingConversation, conversation.id)
    if extra is None:
        extra = RoutingConversation(conversation_id=conversation.id, vip=False)
        db.add(extra)
    if skill is not None:
        extra.skill_id = _known_skill(skills_by_name(db, conversation.account_id), skill, "skill") if skill else None
    if vip is not None:
        extra.vip = vip
    if queue_id is not None:
        target = get_queue(db, conversation.account_id, queue_id)
        if conversation.inbox_id not in {row.inbox_id for row in target.inboxes}:
            raise InvalidInput(
                f"queue {target.name!r} does not route this conversation's inbox; its agents could not see it",
                field="queue_id",
            )
        extra.queue_id = queue_id
        # A customer still waiting keeps their wait: moving the conversation
        # to another queue does not make them wait less. One an agent held
        # waits from now, as after any hand-back.
        if conversation.assignee_id is not None:
            extra.enqueued_at = utcnow()
    db.flush()
    return extra


# -- decisions ----------------------------------------------------------------------------


def _routing_viewer(account_id: int) -> Viewer:
    # Routing acts for the account as a whole; the name is what timelines show.
    return Viewer(user_id=0, account_id=account_id, role=Role.admin, name=ROUTING_ACTOR)


def routed_text(decision: Decision, agent_name: str) -> str:
    reason = decision.reason
    if decision.step is None:
        where = f"queue {reason.get('queue')}"
    else:
        where = f"queue {reason.get('queue')}, step {decision.step} ({reason.get('rule')})"
    text = f"Routed to {agent_name} by {where}: {reason.get('why')}"
    if decision.machine_translation:
        text += "; machine translation on"
    return text


STORED = "stored"
CONVERSATION_CHANGED = "conversation_changed"  # taken by hand or resolved meanwhile
AGENT_GONE = "agent_gone"  # deactivated or deleted meanwhile


def store_decision(db: Session, decision: Decision, now: datetime) -> str:
    """Carry out one engine decision in the caller's transaction. Returns
    STORED, or why it could not be: the caller then gives the agent's slot
    back (CONVERSATION_CHANGED) or forgets the agent and routes the
    conversation again (AGENT_GONE)."""
    # Locked on PostgreSQL, so a person assigning the same conversation at
    # this instant waits for this transaction and sees its result.
    conversation = db.get(Conversation, decision.conversation_id, with_for_update=True)
    if conversation is None:
        return CONVERSATION_CHANGED
    if decision.outcome == "assigned":
        # On SQLite too: the write lock, then the conversation as committed, so
        # an agent's reply (which makes it theirs) a moment ago is seen.
        conversations.lock_conversation(db, conversation)
    waited = decision.reason.get("waited_seconds")
    closed_until = from_epoch(decision.closed_until) if decision.closed_until is not None else None
    if decision.outcome == "assigned":
        if not needs_routing(conversation):
            return CONVERSATION_CHANGED
        agent = db.get(User, decision.agent_id)
        if agent is None or not agent.active:
            return AGENT_GONE
        conversations.assign_conversation(
            db,
            _routing_viewer(conversation.account_id),
            conversation,
            assignee_id=agent.id,
            activity=(
                routed_text(decision, agent.name),
                {
                    "activity": "routed",
                    "actor": ROUTING_ACTOR,
                    "assignee": agent.name,
                    "queue": decision.reason.get("queue"),
                    "queue_id": decision.queue_id,
                    "step": decision.step,
                    "rule": decision.reason.get("rule"),
                    "rule_parts": decision.reason.get("rule_parts"),
                    "strategy": decision.reason.get("strategy"),
                    "why": decision.reason.get("why"),
                    "candidates": decision.reason.get("candidates"),
                    "waited_seconds": waited,
                    "machine_translation": decision.machine_translation,
                    "overflowed_from": decision.reason.get("overflowed_from"),
                },
            ),
        )
    elif decision.outcome == "queued" and decision.reason.get("overflowed_from"):
        conversations.add_activity(
            db,
            conversation,
            f"Moved from queue {decision.reason['overflowed_from']} to queue {decision.reason.get('queue')} after a long wait",
            {
                "activity": "routing_overflow",
                "actor": ROUTING_ACTOR,
                "from_queue": decision.reason["overflowed_from"],
                "queue": decision.reason.get("queue"),
                "queue_id": decision.queue_id,
            },
        )
    elif decision.outcome == "ticket":
        if not needs_routing(conversation):
            return CONVERSATION_CHANGED
        ticket_id = _make_ticket(db, conversation)
        conversations.add_activity(
            db,
            conversation,
            f"Nobody was free within {waited:.0f} s: ticket #{ticket_id}" if waited is not None else f"Ticket #{ticket_id}",
            {"activity": "routing_ticket", "actor": ROUTING_ACTOR, "ticket_id": ticket_id, "queue": decision.reason.get("queue"), "waited_seconds": waited},
        )
        text, language = busy_reply(base_language(conversation.language), ticket_id)
        conversations.send_bot_reply(db, conversation, text, {"auto_reply": {"kind": "busy", "language": language, "ticket_id": ticket_id}})
    elif decision.outcome == "closed":
        until = isoformat(closed_until) if closed_until is not None else None
        # Routed again in the same closed period (a reload, a queue saved
        # again): the decision is logged, but the timeline and the customer
        # have already been told.
        if not _customer_told_closed(db, conversation.id, closed_until):
            text = (
                f"Every queue for this conversation is closed; someone will answer from {until}"
                if until
                else "Every queue for this conversation is closed, with no opening in the next weeks"
            )
            conversations.add_activity(
                db,
                conversation,
                text,
                {"activity": "routing_closed", "queue": decision.reason.get("queue"), "queue_id": decision.queue_id, "closed_until": until},
            )
            ticket_id = _ticket_when_closed(db, conversation, decision)
            _tell_customer_closed(db, conversation, decision, closed_until, ticket_id)
    db.add(
        RoutingDecision(
            account_id=conversation.account_id,
            conversation_id=conversation.id,
            queue_id=decision.queue_id,
            agent_id=decision.agent_id,
            outcome=decision.outcome,
            step=decision.step,
            machine_translation=decision.machine_translation,
            waited_seconds=float(waited) if waited is not None else None,
            closed_until=closed_until,
            reason=dict(decision.reason),
            created_at=now,
        )
    )
    db.flush()
    return STORED


def _customer_told_closed(db: Session, conversation_id: int, closed_until: datetime | None) -> bool:
    """Once per closed period: a conversation routed again while still closed
    (its language changed, the customer wrote again) is not told twice."""
    earlier = select(RoutingDecision.id).where(
        RoutingDecision.conversation_id == conversation_id,
        RoutingDecision.outcome == "closed",
        RoutingDecision.closed_until.is_(None) if closed_until is None else RoutingDecision.closed_until == closed_until,
    )
    return db.scalar(earlier.limit(1)) is not None


def _ticket_when_closed(db: Session, conversation: Conversation, decision: Decision) -> int | None:
    """The queue says a conversation that finds everyone closed becomes a
    ticket: worked when the team is back, against its SLA. Returns its id."""
    queue = db.get(RoutingQueue, decision.queue_id) if decision.queue_id is not None else None
    if queue is None or queue.when_closed != "ticket":
        return None
    return _make_ticket(db, conversation)


def _ticket_id(db: Session, conversation_id: int) -> int | None:
    return db.scalar(select(Ticket.id).where(Ticket.conversation_id == conversation_id))


def _make_ticket(db: Session, conversation: Conversation) -> int:
    """The conversation's ticket (made now, its subject the customer's first
    words). Tickets make it, reacting to `conversation.needs_ticket`."""
    existing = _ticket_id(db, conversation.id)
    if existing is not None:
        return existing
    first = db.scalar(
        select(Message.content)
        .where(Message.conversation_id == conversation.id, Message.direction == Direction.incoming)
        .order_by(Message.id)
        .limit(1)
    )
    subject = " ".join((first or "").split())[:120] or f"Conversation {conversation.id}"
    events.emit_in_transaction(
        db,
        events.Event(conversation.account_id, ConversationNeedsTicket(conversation_id=conversation.id, subject=subject, source="chat")),
    )
    made = _ticket_id(db, conversation.id)
    if made is None:
        raise RuntimeError("no ticket was made: tickets do not react to conversation.needs_ticket (see tickets/feature.py)")
    return made


def _tell_customer_closed(
    db: Session, conversation: Conversation, decision: Decision, closed_until: datetime | None, ticket_id: int | None = None
) -> None:
    queue = db.get(RoutingQueue, decision.queue_id) if decision.queue_id is not None else None
    opens_at = closed_until.replace(tzinfo=timezone.utc) if closed_until is not None else None
    text, language = closed_reply(base_language(conversation.language), opens_at, queue.timezone if queue else "UTC", ticket_id)
    conversations.send_bot_reply(
        db,
        conversation,
        text,
        {
            "auto_reply": {
                "kind": "closed",
                "opens_at": isoformat(closed_until) if closed_until else None,
                "language": language,
                "ticket_id": ticket_id,
            }
        },
    )


def list_decisions(db: Session, conversation_id: int) -> list[RoutingDecision]:
    return list(
        db.scalars(
            select(RoutingDecision).where(RoutingDecision.conversation_id == conversation_id).order_by(RoutingDecision.id)
        )
    )


@dataclass(frozen=True)
class CustomerWait:
    seconds: float  # to the agent's first reply, or so far when not answered
    answered: bool


def waits_since(db: Session, account_id: int, since: datetime, now: datetime) -> dict[int, list[CustomerWait]]:
    """Per queue, the customers' waits of conversations routed to an agent
    since `since`, measured to the agent's first reply to the customer: being
    assigned is not being answered."""
    decisions = db.execute(
        select(RoutingDecision.queue_id, RoutingDecision.conversation_id, RoutingDecision.waited_seconds, RoutingDecision.created_at).where(
            RoutingDecision.account_id == account_id,
            RoutingDecision.created_at >= since,
            RoutingDecision.outcome == "assigned",
        )
    ).all()
    replies: dict[int, list[datetime]] = defaultdict(list)
    conversation_ids = {row.conversation_id for row in decisions}
    if conversation_ids:
        for conversation_id, moment in db.execute(
            select(Message.conversation_id, Message.created_at)
            .where(
                Message.conversation_id.in_(conversation_ids),
                Message.direction == Direction.outgoing,
                Message.sender_type == SenderType.user,
                Message.created_at >= since,
            )
            .order_by(Message.created_at)
        ):
            replies[conversation_id].append(moment)
    waits: dict[int, list[CustomerWait]] = defaultdict(list)
    for queue_id, conversation_id, waited, decided_at in decisions:
        if queue_id is None or waited is None:
            continue
        first = next((moment for moment in replies[conversation_id] if moment >= decided_at), None)
        until = first if first is not None else now
        waits[queue_id].append(CustomerWait(waited + max(0.0, (until - decided_at).total_seconds()), first is not None))
    return waits


def service_level(waits: Sequence[CustomerWait], target: int) -> tuple[int, float | None]:
    """(answered, share answered within `target`). A chat not answered yet
    counts against the share once its wait has passed the target, and not at
    all before: it may still be answered in time. Pure."""
    answered = [wait for wait in waits if wait.answered]
    late = sum(1 for wait in waits if not wait.answered and wait.seconds > target)
    counted = len(answered) + late
    within = sum(1 for wait in answered if wait.seconds <= target)
    return len(answered), (within / counted if counted else None)


def service_levels(db: Session, account_id: int, now: datetime) -> dict[int, tuple[int, float | None, int]]:
    """queue id -> (answered in the last hour, share within target, target)."""
    waits = waits_since(db, account_id, now - timedelta(hours=1), now)
    result: dict[int, tuple[int, float | None, int]] = {}
    for queue in list_queues(db, account_id):
        answered, share = service_level(waits.get(queue.id, []), queue.service_target_seconds)
        result[queue.id] = (answered, share, queue.service_target_seconds)
    return result
