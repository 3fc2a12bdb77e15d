"""The routing engine: who takes which waiting conversation, and why.

Pure and in memory: no database, no clock, no threads. The caller (the
routing service) feeds it agents, queues and conversations, tells it the time
on every call (seconds since the epoch, a float), and stores the decisions it
returns. The same engine runs in the benchmark with 10,000 agents.

How a decision avoids scanning every agent
------------------------------------------
Each queue keeps *buckets* of its member agents, one per exact
(language, language level, skill, skill level) an agent has, plus one bucket
per language alone, per skill alone and one for everybody. A routing step
such as "Spanish at 4 or more and billing at 3 or more" is the union of a few
buckets (levels 4-5 x 3-5). Each bucket holds a heap ordered by the queue's
strategy (longest idle, round robin, least occupied); an agent whose state
changes gets a new entry with a new version, and stale entries are dropped
when they reach the top. Picking an agent therefore peeks the top of a
handful of heaps instead of looking at every agent.

Waiting conversations sit in per-queue heaps keyed by (language, skill) and
by priority class, ordered by arrival. When an agent frees capacity, only the
oldest conversation of each class can be the best one the agent may take
(steps widen with waiting time, so the oldest of a class is the most widened),
so the agent looks at one entry per class.

Steps widen on timers, not polling: `next_wakeup()` says when the earliest
waiting conversation enters its next step, and `tick(now)` routes those.
"""

from __future__ import annotations

import enum
import heapq
import itertools
import math
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from dragoman.accounts.models import Role
from dragoman.accounts.permissions import Viewer, can_view_conversation
from dragoman.calendars.hours import BusinessHours

MAX_LEVEL = 5


class Channel(str, enum.Enum):
    chat = "chat"
    email = "email"
    voice = "voice"


class Presence(str, enum.Enum):
    online = "online"
    away = "away"
    offline = "offline"
    on_break = "break"


class Strategy(str, enum.Enum):
    longest_idle = "longest_idle"
    least_occupied = "least_occupied"
    round_robin = "round_robin"
    most_skilled = "most_skilled"


# How many seconds of waiting a priority is worth: the queue is ordered by
# arrival time minus this boost, so an urgent chat overtakes normal ones that
# arrived up to three minutes before it, and a normal chat that has waited
# longer than that still comes first ("long waits rise").
PRIORITY_BOOST: Mapping[str, float] = {"low": -60.0, "normal": 0.0, "high": 60.0, "urgent": 180.0}
VIP_BOOST = 120.0


def priority_boost(priority: str, vip: bool) -> float:
    return PRIORITY_BOOST.get(priority, 0.0) + (VIP_BOOST if vip else 0.0)


@dataclass(frozen=True, slots=True)
class LanguageLevel:
    """Proficiency 0-5 in writing (chat, e-mail) and speaking (voice)."""

    writing: int = 0
    voice: int = 0

    def for_channel(self, channel: Channel) -> int:
        return self.voice if channel is Channel.voice else self.writing


@dataclass(frozen=True, slots=True)
class Step:
    """One ring of a queue's bullseye. Open once a conversation has waited
    `after_seconds`. Levels of 0 mean "not required". `language` / `skill`
    name a fixed language or skill instead of the conversation's own."""

    after_seconds: float = 0.0
    min_language_level: int = 0
    min_skill_level: int = 0
    language: str | None = None
    skill: str | None = None
    machine_translation: bool = False
    # Skipped at once when no online agent matches it: nobody would ever answer.
    skippable: bool = True

    def describe(self, language: str | None, skill: str | None) -> str:
        parts: list[str] = []
        lang = self.language or language
        wanted_skill = self.skill or skill
        if self.min_language_level and lang:
            parts.append(f"{lang} ≥ {self.min_language_level}")
        if self.min_skill_level and wanted_skill:
            parts.append(f"{wanted_skill} ≥ {self.min_skill_level}")
        text = " and ".join(parts) or "any agent"
        return text + (" (machine translation)" if self.machine_translation else "")


@dataclass(slots=True)
class QueueSpec:
    id: int
    account_id: int
    name: str
    channel: Channel = Channel.chat
    strategy: Strategy = Strategy.longest_idle
    steps: Sequence[Step] = (Step(),)
    inbox_ids: frozenset[int] = frozenset()
    # Agents of these teams work the queue; empty: any team that works its inboxes.
    team_ids: frozenset[int] = frozenset()
    # Languages the queue serves; empty: every language.
    languages: frozenset[str] = frozenset()
    default_skill: str | None = None
    sticky_seconds: float = 0.0
    hours: BusinessHours | None = None
    position: int = 0
    # After this long in line, a conversation moves to the overflow queue
    # (another team, a wider pool) with its wait kept: every step there is open.
    overflow_queue_id: int | None = None
    overflow_after_seconds: float = 0.0
    # After this long in line with nobody free, the conversation also becomes
    # a ticket (the customer is told its number); it keeps its place. 0: never.
    ticket_after_seconds: float = 0.0
    # For each customer language: the languages an agent may work in with
    # machine translation, because the account's engines serve both
    # directions (reading the customer, writing to them). A machine
    # translation step admits only agents who write the customer's language
    # or one of these. None: not known, the step admits anyone (as before).
    translation_reach: Mapping[str, frozenset[str]] | None = None


@dataclass(slots=True)
class AgentSpec:
    id: int
    account_id: int
    name: str = ""
    role: Role = Role.agent
    languages: Mapping[str, LanguageLevel] = field(default_factory=dict)
    skills: Mapping[str, int] = field(default_factory=dict)
    team_ids: frozenset[int] = frozenset()
    # Inboxes worked by the agent's teams (what `load_viewer` computes).
    inbox_ids: frozenset[int] = frozenset()
    vendor_id: int | None = None
    capacity: Mapping[Channel, int] = field(default_factory=dict)
    presence: Presence = Presence.offline
    timezone: str = "UTC"
    # The language the agent's console translates into: what a machine
    # translation step needs an engine for, both ways with the customer's.
    working_language: str | None = None


class WorkKind(str, enum.Enum):
    """What waits to be worked. Every kind stands on a conversation (a call,
    a callback request and a ticket each have theirs), so work items share
    one id space and one engine."""

    chat = "chat"  # a live conversation: web chat, a messaging app
    ticket = "ticket"  # a request answered in its own time (a mail, a web form, a chat nobody could take)
    call = "call"  # a phone call ringing now
    callback = "callback"  # a customer asked to be called back


def work_channel(kind: WorkKind, inbox_channel: Channel) -> Channel:
    """Which of an agent's capacities the work takes: a call or a callback
    is voice whatever inbox it came through; other work is its inbox's."""
    return Channel.voice if kind in (WorkKind.call, WorkKind.callback) else inbox_channel


@dataclass(slots=True)
class WorkItem:
    """One piece of work the engine routes: a chat, a ticket, a call or a
    callback. `id` is the conversation it stands on."""

    id: int
    account_id: int
    inbox_id: int
    channel: Channel = Channel.chat
    kind: WorkKind = WorkKind.chat
    language: str | None = None
    skill: str | None = None
    priority: str = "normal"
    vip: bool = False
    enqueued_at: float = 0.0
    last_agent_id: int | None = None
    # Route into this queue only (a transfer to a language queue).
    queue_id: int | None = None
    # Queues it already overflowed from: it never goes round in a circle.
    overflowed_from: tuple[int, ...] = ()
    # Already a ticket: a long wait does not make it one again.
    ticketed: bool = False


@dataclass(slots=True)
class Decision:
    """What the engine did with one conversation.

    outcome: "assigned" (agent_id set), "queued" (waits in queue_id),
    "closed" (waits, every queue for it is closed until `closed_until`),
    "no_queue" (no queue serves its inbox and language: routing leaves it alone),
    "ticket" (waited the queue's ticket_after_seconds: it becomes a ticket and keeps waiting).
    """

    conversation_id: int
    outcome: str
    agent_id: int | None = None
    queue_id: int | None = None
    step: int | None = None  # 1-based, as people count steps
    machine_translation: bool = False
    closed_until: float | None = None
    reason: Mapping[str, Any] = field(default_factory=dict)
    channel: Channel = Channel.chat  # whose capacity an assignment uses


# -- internal state -------------------------------------------------------------

BucketKey = tuple[str | None, int, str | None, int]
_UNKNOWN = object()
_EVERYONE: BucketKey = (None, 0, None, 0)


class _Bucket:
    __slots__ = ("heap", "available", "online", "members")

    def __init__(self) -> None:
        # entries: (key1, key2, agent_id, version)
        self.heap: list[tuple[float, float, int, int]] = []
        self.available = 0
        self.online = 0
        self.members = 0


class _Seat:
    """An agent's standing on one channel. Kept in one small object because
    a decision reads most of these together: one object, not one dict each,
    is fewer memory reads scattered over a large engine."""

    __slots__ = ("load", "version", "available", "cap", "levels", "queues", "keys")

    def __init__(self, spec: AgentSpec, channel: Channel) -> None:
        self.load = 0
        # Bumped whenever the agent's heap entries on this channel go stale.
        self.version = 0
        self.available = False  # counted as free in their buckets
        # Read on every decision: looked up once here (a changed spec makes a new _Agent).
        self.cap: int = spec.capacity.get(channel, 0)
        self.levels: dict[str | None, int] = {code: level.for_channel(channel) for code, level in spec.languages.items()}
        self.queues: list[_Queue] = []
        self.keys: list[BucketKey] = _agent_keys(spec, channel)


class _Agent:
    __slots__ = ("spec", "seats", "idle_since", "last_routed", "viewer", "sticky", "wake_at", "skill_lines")

    def __init__(self, spec: AgentSpec, now: float) -> None:
        self.spec = spec
        self.seats: dict[Channel, _Seat] = {channel: _Seat(spec, channel) for channel in Channel}
        self.idle_since = now
        self.last_routed = 0
        self.viewer = Viewer(
            user_id=spec.id,
            account_id=spec.account_id,
            role=spec.role,
            name=spec.name,
            team_ids=spec.team_ids,
            inbox_ids=spec.inbox_ids,
        )
        # Returning customers held for this agent (sticky routing), oldest first.
        self.sticky: list[int] = []
        # When a step opens for this free agent on a conversation that waits
        # (the agent-side timer); infinity: none pending.
        self.wake_at = math.inf
        # The skill lines a freed agent looks at when every step needs the
        # conversation's skill: their own skills, and conversations with none.
        self.skill_lines: tuple[str | None, ...] = (*spec.skills, None)

    def capacity(self, channel: Channel) -> int:
        return self.seats[channel].cap

    def can_take(self, channel: Channel) -> bool:
        seat = self.seats[channel]
        return self.spec.presence is Presence.online and seat.load < seat.cap

    def language_level(self, language: str | None, channel: Channel) -> int:
        return self.seats[channel].levels.get(language, 0)

    def skill_level(self, skill: str | None) -> int:
        return self.spec.skills.get(skill, 0) if skill is not None else 0


def _agent_keys(spec: AgentSpec, channel: Channel) -> list[BucketKey]:
    languages = [(code, level.for_channel(channel)) for code, level in spec.languages.items()]
    languages = [(code, min(level, MAX_LEVEL)) for code, level in languages if level > 0]
    skills = [(name, min(level, MAX_LEVEL)) for name, level in spec.skills.items() if level > 0]
    keys: list[BucketKey] = [_EVERYONE]
    keys += [(code, level, None, 0) for code, level in languages]
    if spec.working_language:
        # Machine translation steps look agents up by working language too.
        working = WORKING_PREFIX + spec.working_language
        keys += [(working, 1, None, 0)] + [(working, 1, name, level) for name, level in skills]
    keys += [(None, 0, name, level) for name, level in skills]
    keys += [(code, level, name, skill) for code, level in languages for name, skill in skills]
    return keys


class _Waiting:
    __slots__ = ("spec", "queue", "order", "sticky_until", "seq", "step_timer", "in_line")

    def __init__(self, spec: WorkItem, seq: int) -> None:
        self.spec = spec
        self.queue: _Queue | None = None
        self.order = spec.enqueued_at
        self.sticky_until = 0.0
        self.seq = seq
        self.step_timer = -1  # index of the step whose opening is on the timer heap
        self.in_line = False  # in the queue's waiting heaps (not assigned at once, not held)


class _Queue:
    __slots__ = (
        "spec", "buckets", "lines", "by_rank", "waiting_count", "step_keys", "rules", "admit_cache", "opens_cache", "members",
        "partial_viewers", "every_step_needs_skill", "every_step_needs_language", "covers_earlier",
        "free_epoch", "nobody_free",
    )

    def __init__(self, spec: QueueSpec) -> None:
        self.spec = spec
        self.buckets: dict[BucketKey, _Bucket] = {}
        # skill -> language -> priority boost -> heap of (enqueued_at, seq, conversation id)
        self.lines: dict[str | None, dict[str | None, dict[float, list[tuple[float, int, int]]]]] = {}
        # skill -> heap of (rank, seq, conversation id) over every language and
        # priority: a freed agent usually finds their conversation in the
        # first few entries, and falls back to `lines` when not.
        self.by_rank: dict[str | None, list[tuple[float, int, int]]] = {}
        self.waiting_count = 0
        self.step_keys: dict[tuple[int, str | None, str | None], list[BucketKey]] = {}
        self.rules: dict[tuple[int, str | None, str | None], str] = {}
        # Both depend on who is online; emptied whenever that changes.
        self.admit_cache: dict[tuple[str | None, str | None, int, int], tuple[float, int] | None] = {}
        self.opens_cache: dict[tuple[str | None, str | None], list[float]] = {}
        self.members: set[int] = set()
        # Members who see only some of the queue's inboxes: the only ones
        # whose visibility must be checked conversation by conversation.
        self.partial_viewers: set[int] = set()
        # When every step asks for the conversation's own skill (language), a
        # freed agent need only look at lines of skills (languages) they have.
        self.every_step_needs_skill = all(st.min_skill_level > 0 and st.skill is None for st in spec.steps)
        self.every_step_needs_language = all(st.min_language_level > 0 and st.language is None for st in spec.steps)
        # covers_earlier[k]: every agent who meets an earlier step meets step
        # k too (a widening bullseye). Then when step k, the widest one open,
        # has no free agent, neither has any earlier step: one look instead
        # of one per step.
        self.covers_earlier = [all(_widens(spec.steps[i], step) for i in range(k)) for k, step in enumerate(spec.steps)]
        # Counts the times a member became free to take work. A search that
        # found nobody free for (widest open step, language, skill, inbox) stays
        # true until then: an arrival after it can queue without looking.
        self.free_epoch = 0
        self.nobody_free: dict[tuple[int, str | None, str | None, int], int] = {}

    def forget_presence(self) -> None:
        self.admit_cache.clear()
        self.opens_cache.clear()

    def serves(self, spec: WorkItem) -> bool:
        if spec.inbox_id not in self.spec.inbox_ids or spec.channel is not self.spec.channel:
            return False
        languages = self.spec.languages
        return not languages or spec.language in languages

    def is_open(self, now: float) -> bool:
        return self.spec.hours is None or self.spec.hours.is_open(now)

    def rule_parts(self, index: int, language: str | None, skill: str | None) -> dict[str, Any]:
        """The step's rule as data, for readers of other languages than `rule`'s English."""
        step = self.spec.steps[index]
        lang = step.language or language
        wanted_skill = step.skill or skill
        return {
            "language": lang if step.min_language_level and lang else None,
            "min_language_level": step.min_language_level if lang else 0,
            "skill": wanted_skill if step.min_skill_level and wanted_skill else None,
            "min_skill_level": step.min_skill_level if wanted_skill else 0,
            "machine_translation": step.machine_translation,
            # The working languages the engines connect with the customer's
            # both ways (None: the step asks for none).
            "translated_languages": translated_languages(step, language, self.spec.translation_reach),
        }

    def rule(self, index: int, language: str | None, skill: str | None) -> str:
        cache_key = (index, language, skill)
        text = self.rules.get(cache_key)
        if text is None:
            step = self.spec.steps[index]
            text = step.describe(language, skill)
            readable = translated_languages(step, language, self.spec.translation_reach)
            if readable is not None:
                text += f": writes {language or step.language}" + (
                    f", or works in {' or '.join(readable)} (translated both ways)" if readable else ""
                )
            self.rules[cache_key] = text
        return text

    def keys_for(self, index: int, language: str | None, skill: str | None) -> list[BucketKey]:
        cache_key = (index, language, skill)
        keys = self.step_keys.get(cache_key)
        if keys is None:
            keys = _step_keys(self.spec.steps[index], language, skill, self.spec.translation_reach)
            self.step_keys[cache_key] = keys
        return keys


# Bucket keys of agents by working language (not a language they write).
WORKING_PREFIX = "work:"


def translated_languages(step: Step, language: str | None, reach: Mapping[str, frozenset[str]] | None) -> list[str] | None:
    """The working languages that meet a machine-translation step for a
    customer writing `language`: those the account's engines connect with it
    both ways (the agent reads the customer translated and is translated
    back). None when the step asks for none (no translation step, a
    language level of its own, an unknown language or reach). An agent who
    writes the customer's language meets the step too."""
    lang = step.language or language
    if not step.machine_translation or step.min_language_level or not lang or reach is None:
        return None
    return sorted(reach.get(lang, frozenset()))


def _step_keys(
    step: Step, language: str | None, skill: str | None, reach: Mapping[str, frozenset[str]] | None = None
) -> list[BucketKey]:
    """The buckets whose agents meet `step`, best-qualified first (skill
    before language), so "most skilled" can stop at the first hit."""
    lang = step.language or language
    wanted_skill = step.skill or skill
    need_skill = step.min_skill_level if wanted_skill else 0
    working = translated_languages(step, language, reach)
    if working is not None:
        # Who writes the customer's language first (no translation needed),
        # then who works in a language the engines connect with it.
        if need_skill:
            return [
                key
                for y in range(MAX_LEVEL, need_skill - 1, -1)
                for key in [(lang, x, wanted_skill, y) for x in range(MAX_LEVEL, 0, -1)]
                + [(WORKING_PREFIX + code, 1, wanted_skill, y) for code in working]
            ]
        return [(lang, x, None, 0) for x in range(MAX_LEVEL, 0, -1)] + [(WORKING_PREFIX + code, 1, None, 0) for code in working]
    need_lang = step.min_language_level if lang else 0
    if need_lang and need_skill:
        return [
            (lang, x, wanted_skill, y)
            for y in range(MAX_LEVEL, need_skill - 1, -1)
            for x in range(MAX_LEVEL, need_lang - 1, -1)
        ]
    if need_lang:
        return [(lang, x, None, 0) for x in range(MAX_LEVEL, need_lang - 1, -1)]
    if need_skill:
        return [(None, 0, wanted_skill, y) for y in range(MAX_LEVEL, need_skill - 1, -1)]
    return [_EVERYONE]


def _widens(narrow: Step, wide: Step) -> bool:
    """Whether every agent who meets `narrow` meets `wide`, whatever the
    conversation's language and skill."""
    if wide.min_language_level and (narrow.language != wide.language or narrow.min_language_level < wide.min_language_level):
        return False
    if wide.machine_translation and not wide.min_language_level and not (narrow.min_language_level and narrow.language == wide.language):
        # A translation step asks for a language an engine serves: only a
        # step that asks for the customer's own language is inside it.
        return False
    return not wide.min_skill_level or (narrow.skill == wide.skill and narrow.min_skill_level >= wide.min_skill_level)


def _meets(
    agent: _Agent, step: Step, language: str | None, skill: str | None, channel: Channel,
    reach: Mapping[str, frozenset[str]] | None = None,
) -> bool:  # fmt: skip
    lang = step.language or language
    wanted_skill = step.skill or skill
    working = translated_languages(step, language, reach)
    if working is not None and agent.language_level(lang, channel) == 0 and agent.spec.working_language not in working:
        return False
    if step.min_language_level and lang and agent.language_level(lang, channel) < step.min_language_level:
        return False
    if step.min_skill_level and wanted_skill and agent.skill_level(wanted_skill) < step.min_skill_level:
        return False
    return True


class RoutingEngine:
    def __init__(self) -> None:
        self._agents: dict[int, _Agent] = {}
        self._queues: dict[int, _Queue] = {}
        self._waiting: dict[int, _Waiting] = {}
        self._timers: list[tuple[float, int, int]] = []  # (when, seq, conversation id)
        # A free agent who may take a waiting conversation once its wait
        # reaches a step: (when, seq, agent id). Steps can open later than a
        # conversation's own timer foresaw (an agent came online and a step
        # is no longer skipped), so both sides keep a timer.
        self._agent_timers: list[tuple[float, int, int]] = []
        self._earliest = math.inf  # set while a freed agent looks for work
        self._seq = itertools.count(1)
        self._routed = itertools.count(1)
        # (account, inbox) -> queues serving it, by position; rebuilt when queues change.
        self._by_inbox: dict[tuple[int, int], list[_Queue]] = {}

    def _index_queues(self) -> None:
        self._by_inbox = {}
        for queue in sorted(self._queues.values(), key=lambda q: (q.spec.position, q.spec.id)):
            for inbox_id in queue.spec.inbox_ids:
                self._by_inbox.setdefault((queue.spec.account_id, inbox_id), []).append(queue)

    # -- reading --------------------------------------------------------------------

    def agent_load(self, agent_id: int, channel: Channel) -> int:
        agent = self._agents.get(agent_id)
        return agent.seats[channel].load if agent is not None else 0

    def agent_capacity(self, agent_id: int, channel: Channel) -> int:
        agent = self._agents.get(agent_id)
        return agent.capacity(channel) if agent is not None else 0

    def agent_spec(self, agent_id: int) -> AgentSpec | None:
        agent = self._agents.get(agent_id)
        return agent.spec if agent is not None else None

    def is_waiting(self, conversation_id: int) -> bool:
        return conversation_id in self._waiting

    def waiting_ids(self) -> list[int]:
        return list(self._waiting)

    def queue_of(self, conversation_id: int) -> int | None:
        waiting = self._waiting.get(conversation_id)
        return waiting.queue.spec.id if waiting is not None and waiting.queue is not None else None

    def queue_ids(self) -> list[int]:
        return list(self._queues)

    def next_wakeup(self) -> float | None:
        while self._timers and self._timers[0][2] not in self._waiting:
            heapq.heappop(self._timers)
        while self._agent_timers and not self._agent_timer_live(self._agent_timers[0]):
            heapq.heappop(self._agent_timers)
        times = [heap[0][0] for heap in (self._timers, self._agent_timers) if heap]
        return min(times) if times else None

    def _agent_timer_live(self, entry: tuple[float, int, int]) -> bool:
        agent = self._agents.get(entry[2])
        return agent is not None and agent.wake_at == entry[0]

    def snapshot(self, account_id: int, now: float) -> dict[str, Any]:
        """Per queue and per language: waiting, longest wait; agents by state."""
        queues: list[dict[str, Any]] = []
        for queue in sorted(self._queues.values(), key=lambda q: (q.spec.position, q.spec.id)):
            if queue.spec.account_id != account_id:
                continue
            by_language: dict[str, dict[str, float]] = {}
            longest = 0.0
            waiting = 0
            for waiting_item in self._waiting.values():
                if waiting_item.queue is not queue:
                    continue
                waiting += 1
                wait = max(0.0, now - waiting_item.spec.enqueued_at)
                longest = max(longest, wait)
                entry = by_language.setdefault(waiting_item.spec.language or "und", {"waiting": 0, "longest_wait": 0.0})
                entry["waiting"] += 1
                entry["longest_wait"] = max(entry["longest_wait"], wait)
            channel = queue.spec.channel
            for code, entry in by_language.items():
                # Who could answer in that language without translation (level 2+).
                speakers = [
                    self._agents[i] for i in queue.members
                    if self._agents[i].spec.presence is Presence.online and self._agents[i].language_level(code, channel) >= 2
                ]
                entry["speakers_online"] = len(speakers)
                entry["speakers_free"] = sum(1 for a in speakers if a.can_take(channel))
            states = {"online": 0, "busy": 0, "away": 0, "offline": 0}
            for agent_id in queue.members:
                agent = self._agents[agent_id]
                presence = agent.spec.presence
                if presence is Presence.online:
                    states["online" if agent.can_take(queue.spec.channel) else "busy"] += 1
                elif presence is Presence.offline:
                    states["offline"] += 1
                else:
                    states["away"] += 1
            queues.append(
                {
                    "queue_id": queue.spec.id,
                    "name": queue.spec.name,
                    "open": queue.is_open(now),
                    "waiting": waiting,
                    "longest_wait": longest,
                    "languages": by_language,
                    "agents": states,
                }
            )
        return {"queues": queues}

    # -- agents -----------------------------------------------------------------------

    def upsert_agent(self, spec: AgentSpec, now: float, load: Mapping[Channel, int] | None = None) -> list[Decision]:
        """Add an agent or replace what is known of them (skills, teams,
        capacity, presence). Their current load is kept unless given."""
        spec = replace(spec)  # the engine changes presence on its own copy
        old = self._agents.get(spec.id)
        kept_load = {channel: seat.load for channel, seat in old.seats.items()} if old is not None else {}
        sticky = list(old.sticky) if old is not None else []
        # Queues whose online agents change with this: their skipped steps may too.
        touched = [q for c in Channel for q in old.seats[c].queues] if old is not None and old.spec.presence is Presence.online else []
        if old is not None:
            self._detach_agent(old)
        agent = _Agent(spec, now)
        if old is not None:
            agent.idle_since = old.idle_since
            agent.last_routed = old.last_routed
            for channel, seat in agent.seats.items():
                seat.version = old.seats[channel].version + 1
        for channel, seat in agent.seats.items():
            seat.load = max(0, (load or kept_load).get(channel, 0))
        self._agents[spec.id] = agent
        for queue in self._queues.values():
            self._join_if_member(agent, queue)
        decisions: list[Decision] = []
        for conversation_id in sticky:
            held = self._waiting.get(conversation_id)
            if held is None or not held.sticky_until:
                continue
            if held.queue is not None and spec.id in held.queue.members and self._visible(agent, held.spec):
                agent.sticky.append(conversation_id)
            else:
                # No longer theirs to take (teams or inboxes changed): back in line.
                self._end_sticky(held)
                self._put_in_line(held)
                decision = self._route_or_wait(held, now)
                if decision is not None:
                    decisions.append(decision)
        decisions += self._fill(agent, now)
        for queue in touched:
            decisions += self._retry_queue(queue, now)
        return decisions

    def remove_agent(self, agent_id: int, now: float) -> list[Decision]:
        agent = self._agents.pop(agent_id, None)
        if agent is None:
            return []
        touched = [q for c in Channel for q in agent.seats[c].queues] if agent.spec.presence is Presence.online else []
        self._detach_agent(agent)
        # One fewer online may empty a skippable step.
        return [decision for queue in touched for decision in self._retry_queue(queue, now)]

    def set_presence(self, agent_id: int, presence: Presence, now: float) -> list[Decision]:
        agent = self._agents.get(agent_id)
        if agent is None or agent.spec.presence is presence:
            return []
        was_online = agent.spec.presence is Presence.online
        agent.spec.presence = presence
        is_online = presence is Presence.online
        if was_online != is_online:
            self._count_online(agent, 1 if is_online else -1)
        if is_online:
            agent.idle_since = now
        for channel in Channel:
            self._refresh(agent, channel)
        if is_online:
            return self._fill(agent, now)
        # Fewer agents online may empty a skippable step: conversations that
        # waited for it move on to wider steps now.
        decisions: list[Decision] = []
        for channel in Channel:
            for queue in agent.seats[channel].queues:
                decisions += self._retry_queue(queue, now)
        return decisions

    def note_assigned(self, agent_id: int, channel: Channel, now: float) -> None:
        """Someone assigned work by hand: it counts against the agent's capacity."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return
        agent.seats[channel].load += 1
        agent.idle_since = now
        self._refresh(agent, channel)

    def release(self, agent_id: int, channel: Channel, now: float) -> list[Decision]:
        """The agent finished (or lost) one conversation on `channel`: they take
        the best waiting conversations they may, at once."""
        agent = self._agents.get(agent_id)
        if agent is None:
            return []
        seat = agent.seats[channel]
        seat.load = max(0, seat.load - 1)
        agent.idle_since = now
        # The freed slot is usually filled at once: refreshing the agent's
        # heap entries before and again after that would do the work twice.
        return self._fill(agent, now, channels=(channel,), changed=True)

    # -- queues -----------------------------------------------------------------------

    def upsert_queue(self, spec: QueueSpec, now: float) -> list[Decision]:
        """Add or replace a queue; conversations waiting in the old one are
        routed again with their original arrival time."""
        old = self._queues.pop(spec.id, None)
        waiting_again: list[WorkItem] = []
        if old is not None:
            for agent_id in old.members:
                agent = self._agents.get(agent_id)
                if agent is not None:
                    agent.seats[old.spec.channel].queues = [q for q in agent.seats[old.spec.channel].queues if q is not old]
            for waiting in list(self._waiting.values()):
                if waiting.queue is old:
                    del self._waiting[waiting.spec.id]
                    waiting_again.append(waiting.spec)
        queue = _Queue(spec)
        self._queues[spec.id] = queue
        self._index_queues()
        for agent in self._agents.values():
            self._join_if_member(agent, queue)
        decisions = [self.enqueue(item, now) for item in sorted(waiting_again, key=lambda w: w.enqueued_at)]
        for agent_id in list(queue.members):
            decisions += self._fill(self._agents[agent_id], now, channels=(spec.channel,))
        return decisions

    def remove_queue(self, queue_id: int, now: float) -> list[Decision]:
        queue = self._queues.pop(queue_id, None)
        if queue is None:
            return []
        self._index_queues()
        for agent_id in queue.members:
            agent = self._agents.get(agent_id)
            if agent is not None:
                agent.seats[queue.spec.channel].queues = [q for q in agent.seats[queue.spec.channel].queues if q is not queue]
        orphans = [w.spec for w in self._waiting.values() if w.queue is queue]
        for spec in orphans:
            del self._waiting[spec.id]
        return [self.enqueue(spec, now) for spec in orphans]

    def _join_if_member(self, agent: _Agent, queue: _Queue) -> None:
        spec = agent.spec
        qspec = queue.spec
        if spec.account_id != qspec.account_id or agent.capacity(qspec.channel) <= 0:
            return
        if qspec.team_ids and not (spec.team_ids & qspec.team_ids):
            return
        # Work goes to people whose teams work the queue's inboxes, whatever
        # their role: an admin or supervisor sees everything but is routed
        # to only through a team.
        if not (spec.inbox_ids & qspec.inbox_ids):
            return
        queue.members.add(spec.id)
        if not agent.viewer.sees_whole_account and not qspec.inbox_ids <= spec.inbox_ids:
            queue.partial_viewers.add(spec.id)
        agent.seats[qspec.channel].queues.append(queue)
        online = spec.presence is Presence.online
        can_take = agent.can_take(qspec.channel)
        entry = self._entry(agent, queue)
        for key in agent.seats[qspec.channel].keys:
            bucket = queue.buckets.get(key)
            if bucket is None:
                bucket = queue.buckets[key] = _Bucket()
            bucket.members += 1
            if online:
                bucket.online += 1
            if can_take:
                bucket.available += 1
                heapq.heappush(bucket.heap, entry)
        if can_take:
            queue.free_epoch += 1
        agent.seats[qspec.channel].available = can_take
        queue.forget_presence()

    def _detach_agent(self, agent: _Agent) -> None:
        online = agent.spec.presence is Presence.online
        for seat in agent.seats.values():
            available = seat.available
            for queue in seat.queues:
                queue.members.discard(agent.spec.id)
                queue.partial_viewers.discard(agent.spec.id)
                for key in seat.keys:
                    bucket = queue.buckets[key]
                    bucket.members -= 1
                    if online:
                        bucket.online -= 1
                    if available:
                        bucket.available -= 1
                queue.forget_presence()
            seat.queues = []
            seat.version += 1  # every heap entry of theirs is now stale

    def _count_online(self, agent: _Agent, delta: int) -> None:
        for seat in agent.seats.values():
            for queue in seat.queues:
                for key in seat.keys:
                    queue.buckets[key].online += delta
                queue.forget_presence()

    def _entry(self, agent: _Agent, queue: _Queue) -> tuple[float, float, int, int]:
        strategy = queue.spec.strategy
        channel = queue.spec.channel
        seat = agent.seats[channel]
        version = seat.version
        if strategy is Strategy.round_robin:
            return (float(agent.last_routed), 0.0, agent.spec.id, version)
        if strategy is Strategy.least_occupied:
            return (seat.load / max(1, seat.cap), agent.idle_since, agent.spec.id, version)
        return (agent.idle_since, 0.0, agent.spec.id, version)

    def _refresh(self, agent: _Agent, channel: Channel) -> None:
        """The agent's standing on `channel` changed: old heap entries go stale,
        new ones go in if they can take work."""
        seat = agent.seats[channel]
        seat.version += 1
        can_take = agent.spec.presence is Presence.online and seat.load < seat.cap
        delta = int(can_take) - int(seat.available)
        if not can_take and not delta:
            return  # still full: the version bump made their entries stale
        seat.available = can_take
        keys = seat.keys
        push = heapq.heappush
        for queue in seat.queues:
            buckets = queue.buckets
            if delta:
                if delta > 0:
                    queue.free_epoch += 1
                for key in keys:
                    buckets[key].available += delta
            if not can_take:
                continue
            entry = self._entry(agent, queue)
            for key in keys:
                bucket = buckets[key]
                heap = bucket.heap
                if len(heap) > 2 * bucket.members + 32:
                    self._compact(bucket, channel)
                    heap = bucket.heap
                push(heap, entry)

    def _compact(self, bucket: _Bucket, channel: Channel) -> None:
        agents = self._agents
        live = []
        for entry in bucket.heap:
            agent = agents.get(entry[2])
            if agent is None:
                continue
            seat = agent.seats[channel]
            if seat.version == entry[3] and seat.available:
                live.append(entry)
        heapq.heapify(live)
        bucket.heap = live

    # -- conversations ------------------------------------------------------------------

    def choose_queue(self, spec: WorkItem, now: float) -> tuple[_Queue | None, float | None]:
        """The first queue (by position) that serves the conversation and is
        open now; if all that serve it are closed, the first of them and the
        earliest moment one opens (follow-the-sun: another region's queue for
        the same language takes over while this one sleeps).

        Hours decide where a conversation goes and what the customer is told;
        an agent of a closed queue who is still online may still take it."""
        if spec.queue_id is not None:
            queue = self._queues.get(spec.queue_id)
            candidates = [queue] if queue is not None and queue.spec.account_id == spec.account_id else []
        else:
            candidates = [q for q in self._by_inbox.get((spec.account_id, spec.inbox_id), ()) if q.serves(spec)]
        if not candidates:
            return None, None
        for queue in candidates:
            if queue.is_open(now):
                return queue, None
        openings = [t for t in (q.spec.hours.next_open(now) for q in candidates if q.spec.hours) if t is not None]
        return candidates[0], min(openings) if openings else None

    def enqueue(self, spec: WorkItem, now: float) -> Decision:
        """A conversation needs an agent: assign one now if one is free, else
        it waits (and a timer will widen its steps)."""
        self.withdraw(spec.id)
        queue, closed_until = self.choose_queue(spec, now)
        if queue is None:
            return Decision(spec.id, "no_queue", reason={"why": "no queue serves this inbox and language"})
        waiting = _Waiting(spec, next(self._seq))
        waiting.queue = queue
        waiting.order = spec.enqueued_at - priority_boost(spec.priority, spec.vip)
        if spec.skill is None and queue.spec.default_skill:
            spec = replace(spec, skill=queue.spec.default_skill)
            waiting.spec = spec
        self._waiting[spec.id] = waiting
        # Sticky: the agent who served this customer last, if they may take it.
        last = self._agents.get(spec.last_agent_id) if spec.last_agent_id is not None else None
        sticky_window = queue.spec.sticky_seconds
        if last is not None and sticky_window > 0 and last.spec.id in queue.members and self._visible(last, spec):
            if last.can_take(queue.spec.channel):
                return self._assign(waiting, last, None, now, why="returning customer: the agent who served them last")
            if now - spec.enqueued_at < sticky_window:
                waiting.sticky_until = spec.enqueued_at + sticky_window
                last.sticky.append(spec.id)
                heapq.heappush(self._timers, (waiting.sticky_until, next(self._seq), spec.id))
                return Decision(
                    spec.id,
                    "queued",
                    queue_id=queue.spec.id,
                    reason={"queue": queue.spec.name, "why": f"held {sticky_window:.0f} s for {last.spec.name or last.spec.id}, who served this customer last"},
                )
        decision = self._route_waiting(waiting, now)
        if decision is not None:
            return decision
        self._put_in_line(waiting)
        self._arm_timer(waiting, now)
        if closed_until is not None or not queue.is_open(now):
            return Decision(
                spec.id,
                "closed",
                queue_id=queue.spec.id,
                closed_until=closed_until,
                reason={"queue": queue.spec.name, "why": "every queue for this conversation is closed now"},
            )
        return Decision(
            spec.id, "queued", queue_id=queue.spec.id, reason={"queue": queue.spec.name, "why": "no matching agent is free"}
        )

    def withdraw(self, conversation_id: int) -> bool:
        """The conversation no longer waits (taken by hand, resolved, deleted).
        Its heap entries go stale and are dropped when reached."""
        waiting = self._waiting.pop(conversation_id, None)
        if waiting is None:
            return False
        if waiting.queue is not None and waiting.in_line:
            waiting.queue.waiting_count -= 1
        return True

    def tick(self, now: float) -> list[Decision]:
        """Timers that are due: steps that open, sticky holds that end."""
        decisions: list[Decision] = []
        while self._agent_timers and self._agent_timers[0][0] <= now:
            entry = heapq.heappop(self._agent_timers)
            if self._agent_timer_live(entry):
                agent = self._agents[entry[2]]
                agent.wake_at = math.inf
                decisions += self._fill(agent, now)
        while self._timers and self._timers[0][0] <= now:
            _when, _seq, conversation_id = heapq.heappop(self._timers)
            waiting = self._waiting.get(conversation_id)
            if waiting is None:
                continue
            if waiting.sticky_until:
                if now < waiting.sticky_until:
                    continue
                self._end_sticky(waiting)
                self._put_in_line(waiting)
            ticket = self._ticket_due(waiting, now)
            if ticket is not None:
                decisions.append(ticket)
            decision = self._overflow(waiting, now) or self._route_or_wait(waiting, now)
            if decision is not None:
                decisions.append(decision)
        return decisions

    def _ticket_due(self, waiting: _Waiting, now: float) -> Decision | None:
        """A "ticket" decision for a conversation that has waited its queue's
        ticket_after_seconds; once. It stays in line for the next free agent."""
        queue = waiting.queue
        spec = waiting.spec
        if queue is None or not waiting.in_line or spec.ticketed or queue.spec.ticket_after_seconds <= 0:
            return None
        waited = now - spec.enqueued_at
        if waited < queue.spec.ticket_after_seconds:
            return None
        waiting.spec = replace(spec, ticketed=True)
        return Decision(
            spec.id,
            "ticket",
            queue_id=queue.spec.id,
            reason={
                "queue": queue.spec.name,
                "why": f"nobody free within {queue.spec.ticket_after_seconds:.0f} s",
                "waited_seconds": round(waited, 3),
            },
            channel=spec.channel,
        )

    def _route_or_wait(self, waiting: _Waiting, now: float) -> Decision | None:
        """Route a conversation already in line; if nobody may take it yet,
        set the timer for its next step."""
        decision = self._route_waiting(waiting, now)
        if decision is None:
            self._arm_timer(waiting, now)
        return decision

    def _end_sticky(self, waiting: _Waiting) -> None:
        waiting.sticky_until = 0.0
        last = self._agents.get(waiting.spec.last_agent_id or -1)
        if last is not None and waiting.spec.id in last.sticky:
            last.sticky.remove(waiting.spec.id)

    def _put_in_line(self, waiting: _Waiting) -> None:
        queue = waiting.queue
        assert queue is not None
        spec = waiting.spec
        classes = queue.lines.setdefault(spec.skill, {}).setdefault(spec.language, {})
        boost = priority_boost(spec.priority, spec.vip)
        heapq.heappush(classes.setdefault(boost, []), (spec.enqueued_at, waiting.seq, spec.id))
        heapq.heappush(queue.by_rank.setdefault(spec.skill, []), (waiting.order, waiting.seq, spec.id))
        queue.waiting_count += 1
        waiting.in_line = True
        if queue.spec.overflow_queue_id is not None and self._overflow_target(waiting) is not None:
            heapq.heappush(self._timers, (spec.enqueued_at + queue.spec.overflow_after_seconds, next(self._seq), spec.id))
        if queue.spec.ticket_after_seconds > 0 and not spec.ticketed:
            heapq.heappush(self._timers, (spec.enqueued_at + queue.spec.ticket_after_seconds, next(self._seq), spec.id))

    def _overflow_target(self, waiting: _Waiting) -> _Queue | None:
        queue = waiting.queue
        if queue is None or queue.spec.overflow_queue_id is None:
            return None
        target = self._queues.get(queue.spec.overflow_queue_id)
        if target is None or target is queue or target.spec.id in waiting.spec.overflowed_from:
            return None
        return target

    def _overflow(self, waiting: _Waiting, now: float) -> Decision | None:
        """Move a conversation that waited too long to its queue's overflow
        queue; None if it is not due (or has nowhere to go)."""
        queue = waiting.queue
        target = self._overflow_target(waiting)
        if queue is None or target is None or not waiting.in_line:
            return None
        if now - waiting.spec.enqueued_at < queue.spec.overflow_after_seconds:
            return None
        moved = replace(
            waiting.spec, queue_id=target.spec.id, overflowed_from=(*waiting.spec.overflowed_from, queue.spec.id)
        )
        decision = self.enqueue(moved, now)
        note = f"overflowed from {queue.spec.name} after {queue.spec.overflow_after_seconds:.0f} s"
        decision.reason = {**decision.reason, "overflowed_from": queue.spec.name, "why": f"{note}; {decision.reason.get('why', '')}"}
        return decision

    def _step_opens(self, queue: _Queue, language: str | None, skill: str | None) -> list[float]:
        """When each step opens for a conversation of this language and skill:
        its own start, or at once after a skippable step nobody online matches."""
        cache_key = (language, skill)
        opens = queue.opens_cache.get(cache_key)
        if opens is not None:
            return opens
        opens = []
        skip_to: float | None = 0.0
        for index, step in enumerate(queue.spec.steps):
            start = step.after_seconds if skip_to is None else min(step.after_seconds, skip_to)
            opens.append(start)
            skip_to = start if step.skippable and not self._anyone_online(queue, index, language, skill) else None
        queue.opens_cache[cache_key] = opens
        return opens

    def _anyone_online(self, queue: _Queue, index: int, language: str | None, skill: str | None) -> bool:
        buckets = queue.buckets
        for key in queue.keys_for(index, language, skill):
            bucket = buckets.get(key)
            if bucket is not None and bucket.online > 0:
                return True
        return False

    def _arm_timer(self, waiting: _Waiting, now: float) -> None:
        queue = waiting.queue
        assert queue is not None
        spec = waiting.spec
        wait = now - spec.enqueued_at
        for index, opens in enumerate(self._step_opens(queue, spec.language, spec.skill)):
            if opens > wait:
                if waiting.step_timer != index:
                    waiting.step_timer = index
                    heapq.heappush(self._timers, (spec.enqueued_at + opens, next(self._seq), spec.id))
                return

    def _visible(self, agent: _Agent, spec: WorkItem, queue: _Queue | None = None) -> bool:
        """The foundation's rule: an agent sees unassigned conversations in
        inboxes their teams work. Members who see every inbox of `queue`
        need no check per conversation."""
        if queue is not None and agent.spec.id not in queue.partial_viewers and spec.inbox_id in queue.spec.inbox_ids:
            return True
        return can_view_conversation(
            agent.viewer, account_id=spec.account_id, inbox_id=spec.inbox_id, assignee_id=None, team_id=None
        )

    def _top_agent(
        self, bucket: _Bucket, channel: Channel, spec: WorkItem, queue: _Queue
    ) -> tuple[float, float, int, int] | None:
        """The bucket's best agent who can take work and may see the
        conversation; stale entries are dropped on the way."""
        heap = bucket.heap
        agents = self._agents
        set_aside: list[tuple[float, float, int, int]] = []
        found = None
        while heap:
            entry = heap[0]
            agent = agents.get(entry[2])
            seat = agent.seats[channel] if agent is not None else None
            if seat is None or seat.version != entry[3] or not seat.available:
                heapq.heappop(heap)
                continue
            if not self._visible(agent, spec, queue):
                set_aside.append(heapq.heappop(heap))
                continue
            found = entry
            break
        for entry in set_aside:
            heapq.heappush(heap, entry)
        return found

    def _route_waiting(self, waiting: _Waiting, now: float) -> Decision | None:
        """Conversation side: the best free agent for this conversation in
        the innermost step open to it, or None."""
        queue = waiting.queue
        assert queue is not None
        spec = waiting.spec
        channel = queue.spec.channel
        wait = now - spec.enqueued_at
        most_skilled = queue.spec.strategy is Strategy.most_skilled
        buckets = queue.buckets
        opens = self._step_opens(queue, spec.language, spec.skill)
        widest = -1
        for index, opens_at in enumerate(opens):
            if opens_at > wait:
                break
            widest = index
        if widest < 0:
            return None
        # Who may see it depends on its inbox, so the inbox is part of the key.
        searched = (widest, spec.language, spec.skill, spec.inbox_id)
        if queue.nobody_free.get(searched) == queue.free_epoch:
            return None
        if queue.covers_earlier[widest]:
            for key in queue.keys_for(widest, spec.language, spec.skill):
                bucket = buckets.get(key)
                if bucket is not None and bucket.available:
                    break
            else:
                queue.nobody_free[searched] = queue.free_epoch
                return None  # nobody free in the widest open step, so in none
        for index in range(widest + 1):
            best: tuple[float, float, int, int] | None = None
            candidates = 0
            for key in queue.keys_for(index, spec.language, spec.skill):
                bucket = buckets.get(key)
                if bucket is None or bucket.available == 0:
                    continue
                candidates += bucket.available
                if best is not None and most_skilled:
                    continue  # already have the best-qualified; only counting now
                entry = self._top_agent(bucket, channel, spec, queue)
                if entry is not None and (best is None or entry < best):
                    best = entry
            if best is not None:
                agent = self._agents[best[2]]
                return self._assign(waiting, agent, index, now, candidates=candidates)
        queue.nobody_free[searched] = queue.free_epoch
        return None

    def _admit_after(
        self, queue: _Queue, agent: _Agent, language: str | None, skill: str | None
    ) -> tuple[float, int] | None:
        """How long a conversation of this language and skill must wait before
        `agent` may take it, and at which step; None if never."""
        channel = queue.spec.channel
        cache_key = (language, skill, agent.seats[channel].levels.get(language, 0), agent.spec.skills.get(skill, 0) if skill is not None else 0)
        if queue.spec.translation_reach is not None:
            # A translation step's answer also depends on the agent's working language.
            cache_key = (*cache_key, agent.spec.working_language)  # type: ignore[assignment]
        cached = queue.admit_cache.get(cache_key, _UNKNOWN)
        if cached is not _UNKNOWN:
            return cached  # type: ignore[return-value]
        result: tuple[float, int] | None = None
        opens = self._step_opens(queue, language, skill)
        for index, step in enumerate(queue.spec.steps):
            if _meets(agent, step, language, skill, channel, queue.spec.translation_reach):
                result = (opens[index], index)
                break
        queue.admit_cache[cache_key] = result
        return result

    def _best_waiting_for(self, agent: _Agent, channel: Channel, now: float) -> tuple[_Waiting, int | None, str] | None:
        """Agent side: the waiting conversation this agent should take now."""
        # A returning customer held for this agent comes first.
        while agent.sticky:
            held = self._waiting.get(agent.sticky[0])
            if held is not None and held.sticky_until and held.spec.channel is channel:
                return held, None, "returning customer: the agent who served them last"
            agent.sticky.pop(0)
        best: tuple[float, int] | None = None
        chosen: tuple[_Waiting, int | None, str] | None = None
        for queue in agent.seats[channel].queues:
            if queue.waiting_count <= 0:
                continue
            lines = queue.lines
            by_rank = queue.by_rank
            skills: Iterable[str | None] = agent.skill_lines if queue.every_step_needs_skill else list(lines)
            for skill in skills:
                if not by_rank.get(skill):
                    # Nothing waits for this skill (its lines, if any, are empty).
                    if skill in lines and not lines[skill]:
                        del lines[skill]
                    continue
                found, complete = self._first_admitted(queue, skill, agent, now, best)
                if not complete:
                    found = self._best_in_lines(queue, skill, agent, now)
                if found is not None:
                    waiting, step_index = found
                    rank = (waiting.order, waiting.seq)
                    if best is None or rank < best:
                        best = rank
                        chosen = (waiting, step_index, "")
                if not lines.get(skill, True):
                    del lines[skill]
        return chosen

    # How many conversations a freed agent passes over in rank order (other
    # languages, steps not open yet) before searching line by line instead.
    RANK_SCAN_LIMIT = 12

    def _first_admitted(
        self, queue: _Queue, skill: str | None, agent: _Agent, now: float, better_than: tuple[float, int] | None
    ) -> tuple[tuple[_Waiting, int] | None, bool]:
        """The best-ranked conversation needing `skill` that `agent` may take
        now, walking the rank heap. Returns (found, complete): complete is
        False when the walk gave up, and the caller must search the lines."""
        heap = queue.by_rank.get(skill)
        if not heap:
            return None, True
        waiting_by_id = self._waiting
        # The hot path of a freed agent: `_admit_after`'s cache and
        # `_visible`'s common case are read here without the calls.
        admit_cache = queue.admit_cache
        levels = agent.seats[queue.spec.channel].levels
        skill_level = agent.spec.skills.get(skill, 0) if skill is not None else 0
        sees_all = agent.spec.id not in queue.partial_viewers
        queue_inboxes = queue.spec.inbox_ids
        set_aside: list[tuple[float, int, int]] | None = None
        found: tuple[_Waiting, int] | None = None
        complete = True
        pop = heapq.heappop
        while heap:
            entry = heap[0]
            if better_than is not None and (entry[0], entry[1]) >= better_than:
                break  # nothing further down can beat what another skill offered
            waiting = waiting_by_id.get(entry[2])
            if waiting is None or waiting.seq != entry[1] or not waiting.in_line:
                pop(heap)
                continue
            wspec = waiting.spec
            language = wspec.language
            admitted = admit_cache.get((language, skill, levels.get(language, 0), skill_level), _UNKNOWN)
            if admitted is _UNKNOWN:
                admitted = self._admit_after(queue, agent, language, skill)
            if admitted is not None:
                waited = now - wspec.enqueued_at
                if waited >= admitted[0]:  # type: ignore[index]
                    if (sees_all and wspec.inbox_id in queue_inboxes) or self._visible(agent, wspec, queue):
                        found = (waiting, admitted[1])  # type: ignore[index]
                        break
                else:
                    self._earliest = min(self._earliest, wspec.enqueued_at + admitted[0])  # type: ignore[index]
            if set_aside is None:
                set_aside = []
            elif len(set_aside) >= self.RANK_SCAN_LIMIT:
                complete = False
                break
            set_aside.append(pop(heap))
        if set_aside:
            push = heapq.heappush
            for entry in set_aside:
                push(heap, entry)
        return found, complete

    def _best_in_lines(self, queue: _Queue, skill: str | None, agent: _Agent, now: float) -> tuple[_Waiting, int] | None:
        """Exact search of one skill's lines: the oldest conversation of each
        (language, priority) line the agent may take, best rank first."""
        by_language = queue.lines.get(skill)
        if not by_language:
            return None
        best: tuple[float, int] | None = None
        chosen: tuple[_Waiting, int] | None = None
        if queue.every_step_needs_language:
            languages: Iterable[str | None] = [code for code in (*agent.spec.languages, None) if code in by_language]
        else:
            languages = list(by_language)
        for language in languages:
            classes = by_language[language]
            admitted = self._admit_after(queue, agent, language, skill)
            if admitted is None:
                continue
            after, step_index = admitted
            for boost, heap in list(classes.items()):
                top = self._top_waiting(heap, queue, agent)
                if top is None:
                    if not heap:
                        del classes[boost]
                    continue
                if now - top[0] < after:
                    self._earliest = min(self._earliest, top[0] + after)
                    continue
                waiting = self._waiting[top[2]]
                rank = (waiting.order, waiting.seq)
                if best is None or rank < best:
                    best = rank
                    chosen = (waiting, step_index)
            if not classes:
                del by_language[language]
        return chosen

    def _top_waiting(self, heap: list[tuple[float, int, int]], queue: _Queue, agent: _Agent) -> tuple[float, int, int] | None:
        set_aside: list[tuple[float, int, int]] = []
        found = None
        waiting_by_id = self._waiting
        while heap:
            entry = heap[0]
            waiting = waiting_by_id.get(entry[2])
            if waiting is None or waiting.seq != entry[1] or not waiting.in_line:
                heapq.heappop(heap)
                continue
            if not self._visible(agent, waiting.spec, queue):
                set_aside.append(heapq.heappop(heap))
                continue
            found = entry
            break
        for entry in set_aside:
            heapq.heappush(heap, entry)
        return found

    def _fill(
        self, agent: _Agent, now: float, channels: Iterable[Channel] = tuple(Channel), *, changed: bool = False
    ) -> list[Decision]:
        """Agent side: give `agent` the best waiting work they may take now.
        `changed`: their load or idle time changed before the call, so their
        heap entries must be refreshed even when nothing is assigned."""
        decisions: list[Decision] = []
        spec = agent.spec
        for channel in channels:
            assigned = False
            seat = agent.seats[channel]
            while spec.presence is Presence.online and seat.load < seat.cap:
                self._earliest = math.inf
                found = self._best_waiting_for(agent, channel, now)
                if found is None:
                    # Free, and something waits that they may take later: wake then.
                    if self._earliest < agent.wake_at or agent.wake_at <= now:
                        if self._earliest < math.inf:
                            agent.wake_at = self._earliest
                            heapq.heappush(self._agent_timers, (self._earliest, next(self._seq), agent.spec.id))
                    break
                waiting, step_index, why = found
                if waiting.sticky_until:
                    self._end_sticky(waiting)
                decisions.append(self._assign(waiting, agent, step_index, now, why=why or None, agent_side=True, refresh=False))
                assigned = True
            if assigned or changed:
                self._refresh(agent, channel)
        return decisions

    def _assign(
        self,
        waiting: _Waiting,
        agent: _Agent,
        step_index: int | None,
        now: float,
        *,
        candidates: int | None = None,
        why: str | None = None,
        agent_side: bool = False,
        refresh: bool = True,
    ) -> Decision:
        queue = waiting.queue
        assert queue is not None
        spec = waiting.spec
        channel = queue.spec.channel
        # The invariants, checked where they matter: a bug here must fail
        # loudly rather than overload or surprise an agent.
        agent_spec = agent.spec
        seat = agent.seats[channel]
        load = seat.load
        capacity = seat.cap
        if agent_spec.presence is not Presence.online or load >= capacity:
            raise AssertionError(f"agent {agent_spec.id} cannot take work on {channel.value}")
        if not (
            (agent_spec.id not in queue.partial_viewers and spec.inbox_id in queue.spec.inbox_ids)
            or self._visible(agent, spec, queue)
        ):
            raise AssertionError(f"agent {agent_spec.id} may not see inbox {spec.inbox_id}")
        self._waiting.pop(spec.id, None)
        if waiting.in_line:
            queue.waiting_count -= 1
            waiting.in_line = False
        load += 1
        seat.load = load
        agent.idle_since = now
        agent.last_routed = next(self._routed)
        if refresh:  # the agent side refreshes once after filling every slot
            self._refresh(agent, channel)
        language = spec.language
        level = seat.levels.get(language, 0)
        skill = spec.skill
        reason = _AssignmentReason(
            queue,
            step_index,
            spec,
            now,
            level,
            agent_spec.skills.get(skill, 0) if skill is not None else 0,
            load,
            capacity,
            candidates,
            why or (_AGENT_SIDE_WHY if agent_side else _STRATEGY_WHY[queue.spec.strategy]),
        )
        return Decision(
            spec.id,
            "assigned",
            agent_spec.id,
            queue.spec.id,
            step_index + 1 if step_index is not None else None,
            language is not None and level < 2,
            None,
            reason,
            channel,
        )

    def _retry_queue(self, queue: _Queue, now: float) -> list[Decision]:
        """After a change in who is online (which may change which steps are
        skipped): route the head of every line, in the queue's strategy; then
        let each member still free look for work, which also catches a
        conversation behind a head they may not see, and sets their timers."""
        decisions: list[Decision] = []
        for classes in [c for by_language in list(queue.lines.values()) for c in list(by_language.values())]:
            for heap in list(classes.values()):
                while heap:
                    entry = heap[0]
                    waiting = self._waiting.get(entry[2])
                    if waiting is None or waiting.seq != entry[1] or not waiting.in_line:
                        heapq.heappop(heap)
                        continue
                    decision = self._route_or_wait(waiting, now)
                    if decision is None:
                        break
                    decisions.append(decision)
        channel = queue.spec.channel
        for agent_id in list(queue.members):
            agent = self._agents.get(agent_id)
            if agent is not None and agent.can_take(channel):
                decisions += self._fill(agent, now, channels=(channel,))
        return decisions

    def iter_agents(self) -> Iterator[AgentSpec]:
        return (agent.spec for agent in self._agents.values())


class _AssignmentReason(Mapping[str, Any]):
    """Why an agent got a conversation, as stored with the decision. The
    figures are taken at the moment of deciding; the dictionary is built only
    when someone reads it (the runtime stores it; a benchmark or a burst of
    decisions need not pay for wording it)."""

    __slots__ = ("_facts", "_built")

    def __init__(
        self,
        queue: _Queue,
        step_index: int | None,
        spec: WorkItem,
        now: float,
        language_level: int,
        skill_level: int,
        load: int,
        capacity: int,
        candidates: int | None,
        why: str,
    ) -> None:
        self._facts = (queue, step_index, spec, now, language_level, skill_level, load, capacity, candidates, why)
        self._built: dict[str, Any] | None = None

    def _dict(self) -> dict[str, Any]:
        if self._built is None:
            queue, step_index, spec, now, level, skill_level, load, capacity, candidates, why = self._facts
            built: dict[str, Any] = {
                "queue": queue.spec.name,
                "queue_id": queue.spec.id,
                "step": step_index + 1 if step_index is not None else None,
                "rule": queue.rule(step_index, spec.language, spec.skill) if step_index is not None else "sticky",
                "rule_parts": queue.rule_parts(step_index, spec.language, spec.skill) if step_index is not None else None,
                "strategy": queue.spec.strategy.value,
                "waited_seconds": round(max(0.0, now - spec.enqueued_at), 1),
                "language": spec.language,
                "language_level": level,
                "skill": spec.skill,
                "skill_level": skill_level,
                "load": f"{load}/{capacity} {queue.spec.channel.value}",
            }
            if candidates is not None:
                built["candidates"] = candidates
            built["why"] = why
            self._built = built
        return self._built

    def __getitem__(self, key: str) -> Any:
        return self._dict()[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict())

    def __len__(self) -> int:
        return len(self._dict())

    def __repr__(self) -> str:
        return repr(self._dict())


_AGENT_SIDE_WHY = "the agent freed capacity and this was the longest-waiting conversation they may take (priority first)"
_STRATEGY_WHY: Mapping[Strategy, str] = {
    Strategy.longest_idle: "the matching agent idle the longest",
    Strategy.least_occupied: "the matching agent with the lowest share of their capacity in use",
    Strategy.round_robin: "the matching agent whose turn it was (round robin)",
    Strategy.most_skilled: "the most skilled matching agent, then the longest idle",
}
