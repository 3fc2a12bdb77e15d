"""The routing engine on its own: steps, strategies, capacity, presence,
stickiness, priority, hours; and its invariants under random operations."""

from __future__ import annotations

from datetime import datetime, timezone

from hypothesis import given, settings as hypothesis_settings, strategies as st

from dragoman.accounts.models import Role
from dragoman.routing.engine import (
    AgentSpec,
    Channel,
    LanguageLevel,
    Presence,
    QueueSpec,
    RoutingEngine,
    Step,
    Strategy,
    WorkItem,
    WorkKind,
    work_channel,
)
from dragoman.calendars.hours import BusinessHours, HoursError, Window, check_windows

INBOX = 10
TEAM = 1
BULLSEYE = (
    Step(0, min_language_level=4, min_skill_level=1),
    Step(30, min_language_level=2),
    Step(90, min_skill_level=1, machine_translation=True),
)


def agent(
    ident: int,
    languages: dict[str, int],
    *,
    skills: dict[str, int] | None = None,
    chat: int = 1,
    presence: Presence = Presence.online,
    teams: frozenset[int] = frozenset({TEAM}),
    inboxes: frozenset[int] = frozenset({INBOX}),
    working: str | None = None,
) -> AgentSpec:
    return AgentSpec(
        id=ident,
        account_id=1,
        name=f"agent {ident}",
        languages={code: LanguageLevel(level, level) for code, level in languages.items()},
        skills=skills if skills is not None else {"support": 3},
        team_ids=teams,
        inbox_ids=inboxes,
        capacity={Channel.chat: chat},
        presence=presence,
        working_language=working,
    )


def queue(strategy: Strategy = Strategy.longest_idle, **extra: object) -> QueueSpec:
    fields: dict[str, object] = {
        "id": 1,
        "account_id": 1,
        "name": "Support",
        "strategy": strategy,
        "steps": BULLSEYE,
        "inbox_ids": frozenset({INBOX}),
        "team_ids": frozenset({TEAM}),
        "default_skill": "support",
    }
    fields.update(extra)
    return QueueSpec(**fields)  # type: ignore[arg-type]


def chat(ident: int, language: str | None = "es", at: float = 0.0, **extra: object) -> WorkItem:
    return WorkItem(id=ident, account_id=1, inbox_id=INBOX, language=language, enqueued_at=at, **extra)  # type: ignore[arg-type]


def engine_with(*agents: AgentSpec, spec: QueueSpec | None = None) -> RoutingEngine:
    engine = RoutingEngine()
    engine.upsert_queue(spec or queue(), 0.0)
    for item in agents:
        engine.upsert_agent(item, 0.0)
    return engine


def test_a_spanish_chat_goes_to_the_fluent_spanish_speaker_and_says_why() -> None:
    engine = engine_with(agent(1, {"en": 5, "es": 2}), agent(2, {"es": 5}))
    decision = engine.enqueue(chat(100), 5.0)
    assert decision.outcome == "assigned" and decision.agent_id == 2
    assert decision.step == 1
    assert decision.reason["rule"] == "es ≥ 4 and support ≥ 1"
    assert decision.reason["candidates"] == 1
    assert decision.reason["queue"] == "Support"
    assert not decision.machine_translation


def test_steps_widen_on_the_timer_and_the_last_flags_machine_translation() -> None:
    engine = engine_with(agent(1, {"en": 5, "es": 2}), agent(2, {"es": 5}), agent(3, {"de": 5}))
    engine.enqueue(chat(100), 0.0)  # takes the Spanish speaker
    waiting = engine.enqueue(chat(101, at=1.0), 1.0)
    assert waiting.outcome == "queued"
    assert engine.next_wakeup() == 31.0
    assert engine.tick(30.9) == []
    [second] = engine.tick(31.0)
    assert (second.agent_id, second.step) == (1, 2)
    engine.enqueue(chat(102, at=32.0), 32.0)
    assert engine.next_wakeup() == 62.0
    assert engine.tick(62.0) == []  # step 2 opens, but both Spanish speakers are busy
    assert engine.next_wakeup() == 122.0
    [third] = engine.tick(122.0)
    assert (third.agent_id, third.step, third.machine_translation) == (3, 3, True)


def test_a_step_nobody_online_matches_is_skipped_at_once() -> None:
    engine = engine_with(agent(1, {"en": 5, "es": 2}), agent(2, {"es": 5}, presence=Presence.offline))
    decision = engine.enqueue(chat(100), 0.0)
    assert (decision.agent_id, decision.step) == (1, 2)


def test_a_step_is_not_skipped_while_its_agent_is_online_but_busy() -> None:
    engine = engine_with(agent(1, {"en": 5, "es": 2}), agent(2, {"es": 5}))
    engine.enqueue(chat(100), 0.0)
    assert engine.enqueue(chat(101), 0.0).outcome == "queued"


def test_full_agents_make_chats_wait_and_a_freed_slot_is_filled_at_once() -> None:
    engine = engine_with(agent(1, {"es": 5}, chat=2))
    assert engine.enqueue(chat(100), 0.0).agent_id == 1
    assert engine.enqueue(chat(101), 1.0).agent_id == 1
    assert engine.enqueue(chat(102), 2.0).outcome == "queued"
    assert engine.agent_load(1, Channel.chat) == 2
    [decision] = engine.release(1, Channel.chat, 10.0)
    assert (decision.conversation_id, decision.agent_id) == (102, 1)
    assert engine.agent_load(1, Channel.chat) == 2


def test_an_agent_coming_online_takes_the_waiting_chats() -> None:
    engine = engine_with(agent(1, {"es": 5}, chat=2, presence=Presence.away))
    assert engine.enqueue(chat(100), 0.0).outcome == "queued"
    assert engine.enqueue(chat(101), 0.0).outcome == "queued"
    decisions = engine.set_presence(1, Presence.online, 5.0)
    assert [d.conversation_id for d in decisions] == [100, 101]


def test_offline_away_and_on_break_agents_get_nothing() -> None:
    for presence in (Presence.offline, Presence.away, Presence.on_break):
        engine = engine_with(agent(1, {"es": 5}, presence=presence))
        assert engine.enqueue(chat(100), 0.0).outcome == "queued"
        assert engine.tick(1000.0) == []


def test_an_agent_who_may_not_see_the_inbox_gets_nothing() -> None:
    engine = engine_with(agent(1, {"es": 5}, inboxes=frozenset({99})), spec=queue(inbox_ids=frozenset({INBOX, 99})))
    assert engine.enqueue(chat(100), 0.0).outcome == "queued"


def test_urgent_and_vip_chats_are_served_first_but_long_waits_rise() -> None:
    engine = engine_with(agent(1, {"es": 5}))
    engine.enqueue(chat(1), 0.0)  # busy now
    engine.enqueue(chat(100, at=0.0), 0.0)
    engine.enqueue(chat(101, at=10.0, priority="urgent"), 10.0)
    engine.enqueue(chat(102, at=20.0, vip=True), 20.0)
    [first] = engine.release(1, Channel.chat, 30.0)
    assert first.conversation_id == 101  # urgent: 180 s ahead
    [second] = engine.release(1, Channel.chat, 31.0)
    assert second.conversation_id == 102  # VIP: 120 s ahead
    engine.enqueue(chat(103, at=200.0, vip=True), 200.0)
    [third] = engine.release(1, Channel.chat, 201.0)
    assert third.conversation_id == 100  # waited 201 s: more than a VIP's head start


def _busy_then_free(strategy: Strategy, agents: list[AgentSpec]) -> RoutingEngine:
    engine = engine_with(*agents, spec=queue(strategy))
    return engine


def test_longest_idle_picks_the_agent_free_the_longest() -> None:
    engine = engine_with(agent(1, {"es": 5}, chat=3), agent(2, {"es": 5}, chat=3))
    engine.set_presence(1, Presence.away, 0.0)
    engine.set_presence(1, Presence.online, 50.0)  # agent 2 idle since 0, agent 1 since 50
    assert engine.enqueue(chat(100), 60.0).agent_id == 2
    assert engine.enqueue(chat(101), 61.0).agent_id == 1


def test_least_occupied_balances_load() -> None:
    engine = engine_with(agent(1, {"es": 5}, chat=4), agent(2, {"es": 5}, chat=2), spec=queue(Strategy.least_occupied))
    picks = [engine.enqueue(chat(100 + i), float(i)).agent_id for i in range(6)]
    assert picks.count(1) == 4 and picks.count(2) == 2
    assert picks[:2] == [1, 2]


def test_round_robin_takes_turns() -> None:
    engine = engine_with(*(agent(i, {"es": 5}, chat=10) for i in (1, 2, 3)), spec=queue(Strategy.round_robin))
    picks = [engine.enqueue(chat(100 + i), float(i)).agent_id for i in range(6)]
    assert picks == [1, 2, 3, 1, 2, 3]


def test_most_skilled_first() -> None:
    engine = engine_with(
        agent(1, {"es": 5}, skills={"support": 2}, chat=5),
        agent(2, {"es": 4}, skills={"support": 5}, chat=5),
        spec=queue(Strategy.most_skilled),
    )
    assert engine.enqueue(chat(100), 0.0).agent_id == 2
    assert engine.enqueue(chat(101), 1.0).agent_id == 2


def test_a_returning_customer_waits_briefly_for_their_last_agent() -> None:
    engine = engine_with(agent(1, {"es": 5}), agent(2, {"es": 5}), spec=queue(sticky_seconds=20))
    engine.enqueue(chat(1), 0.0)  # agent 1 (longest idle by id order) is now busy
    held = engine.enqueue(chat(100, at=5.0, last_agent_id=1), 5.0)
    assert held.outcome == "queued" and "held" in held.reason["why"]
    [back] = engine.release(1, Channel.chat, 10.0)
    assert (back.conversation_id, back.agent_id) == (100, 1)
    assert "last" in back.reason["why"]


def test_a_sticky_hold_ends_and_anyone_may_take_the_chat() -> None:
    engine = engine_with(agent(1, {"es": 5}), agent(2, {"es": 5}), spec=queue(sticky_seconds=20))
    engine.enqueue(chat(1), 0.0)
    engine.enqueue(chat(100, at=5.0, last_agent_id=1), 5.0)
    assert engine.next_wakeup() == 25.0
    [decision] = engine.tick(25.0)
    assert decision.agent_id == 2


def test_closed_queue_reports_when_it_opens_and_follow_the_sun_routes_elsewhere() -> None:
    madrid = BusinessHours("Europe/Madrid", [Window(day, 9 * 60, 18 * 60) for day in range(5)])
    bogota = BusinessHours("America/Bogota", [Window(day, 9 * 60, 18 * 60) for day in range(5)])
    # Tuesday 2026-11-24 20:00 UTC: 21:00 in Madrid (closed), 15:00 in Bogotá (open).
    evening = datetime(2026, 11, 24, 20, 0, tzinfo=timezone.utc).timestamp()
    engine = RoutingEngine()
    engine.upsert_queue(queue(id=1, name="Madrid", hours=madrid, position=0), 0.0)
    # Madrid's agent has gone home. (One still online after hours would take it.)
    engine.upsert_agent(agent(1, {"es": 5}, teams=frozenset({TEAM}), presence=Presence.offline), 0.0)
    decision = engine.enqueue(chat(100, at=evening), evening)
    assert decision.outcome == "closed"
    assert decision.closed_until == datetime(2026, 11, 25, 8, 0, tzinfo=timezone.utc).timestamp()
    engine.withdraw(100)
    engine.upsert_queue(queue(id=2, name="Bogotá", hours=bogota, position=1, team_ids=frozenset({2})), 0.0)
    engine.upsert_agent(agent(2, {"es": 5}, teams=frozenset({2})), 0.0)
    routed = engine.enqueue(chat(101, at=evening), evening)
    assert (routed.outcome, routed.queue_id, routed.agent_id) == ("assigned", 2, 2)


def test_public_holidays_close_a_queue() -> None:
    hours = BusinessHours("Europe/Madrid", [Window(day, 9 * 60, 18 * 60) for day in range(7)], holiday_country="ES")
    christmas_noon = datetime(2026, 12, 25, 11, 0, tzinfo=timezone.utc).timestamp()
    assert not hours.is_open(christmas_noon)
    assert hours.holiday_name(datetime(2026, 12, 25).date())
    assert hours.next_open(christmas_noon) == datetime(2026, 12, 26, 8, 0, tzinfo=timezone.utc).timestamp()


def test_hours_are_checked() -> None:
    try:
        check_windows([Window(0, 9 * 60, 12 * 60), Window(0, 11 * 60, 13 * 60)])
    except HoursError as error:
        assert error.field == "hours[1]"
    else:
        raise AssertionError("overlap accepted")
    try:
        BusinessHours("Mars/Olympus")
    except HoursError as error:
        assert error.field == "timezone"
    else:
        raise AssertionError("unknown zone accepted")


def test_an_admin_in_no_team_is_never_routed_to_by_default() -> None:
    admin = agent(1, {"es": 5}, teams=frozenset(), inboxes=frozenset())
    admin.role = Role.admin
    engine = engine_with(admin)
    assert engine.enqueue(chat(100), 0.0).outcome == "queued"


# -- invariants under random operations --------------------------------------------

LANGS = ("es", "en", "de")
agent_specs = st.builds(
    lambda ident, langs, skill, cap, presence, teams, inboxes: AgentSpec(
        id=ident,
        account_id=1,
        languages={code: LanguageLevel(level, level) for code, level in langs.items()},
        skills={"support": skill},
        team_ids=frozenset(teams),
        inbox_ids=frozenset(inboxes),
        capacity={Channel.chat: cap},
        presence=presence,
    ),
    st.integers(1, 6),
    st.dictionaries(st.sampled_from(LANGS), st.integers(1, 5), max_size=2),
    st.integers(0, 5),
    st.integers(0, 3),
    # Mostly agents who can work the queue, so that the interesting cases
    # (full, freed, widened) come up often; sometimes the others.
    st.sampled_from([Presence.online, Presence.online, Presence.online, *Presence]),
    st.sampled_from([{1}, {1}, {1}, {1, 2}, {2}, set()]),
    st.sampled_from([{10, 11}, {10, 11}, {10}, {11}, set()]),
)
operations = st.lists(
    st.one_of(
        st.tuples(st.just("agent"), agent_specs),
        st.tuples(st.just("presence"), st.integers(1, 6), st.sampled_from([Presence.online, *Presence])),
        st.tuples(
            st.just("chat"),
            st.sampled_from((*LANGS, None)),
            st.sampled_from(("low", "normal", "urgent")),
            st.booleans(),
            st.integers(10, 11),
            st.one_of(st.none(), st.integers(1, 6)),
        ),
        st.tuples(st.just("finish"), st.integers(0, 50)),
        st.tuples(st.just("wait"), st.integers(1, 60)),
    ),
    max_size=40,
)


@hypothesis_settings(max_examples=1000, deadline=None)
@given(ops=operations, strategy=st.sampled_from(list(Strategy)), sticky=st.sampled_from((0.0, 15.0)))
def test_routing_invariants(ops: list[tuple], strategy: Strategy, sticky: float) -> None:  # type: ignore[type-arg]
    engine = RoutingEngine()
    spec = queue(strategy, inbox_ids=frozenset({10, 11}), team_ids=frozenset({1}), sticky_seconds=sticky)
    engine.upsert_queue(spec, 0.0)
    now = 0.0
    agents: dict[int, AgentSpec] = {}
    held_by: dict[int, int] = {}  # conversation -> agent
    chats: dict[int, WorkItem] = {}
    next_id = 100

    def apply(decisions: list) -> None:  # type: ignore[type-arg]
        for decision in decisions:
            if decision.outcome != "assigned":
                continue
            who = agents[decision.agent_id]
            conversation = chats[decision.conversation_id]
            assert who.presence is Presence.online, "routed to an agent who is not online"
            assert conversation.inbox_id in who.inbox_ids, "routed to an agent who may not see the inbox"
            assert who.team_ids & spec.team_ids, "routed outside the queue's teams"
            assert decision.conversation_id not in held_by, "routed twice"
            held_by[decision.conversation_id] = decision.agent_id
        for ident, who in agents.items():
            load = engine.agent_load(ident, Channel.chat)
            assert load <= max(who.capacity.get(Channel.chat, 0), sum(1 for a in held_by.values() if a == ident))
            assert load == sum(1 for a in held_by.values() if a == ident)

    for op in ops:
        kind = op[0]
        if kind == "agent":
            new = op[1]
            if new.id in agents:
                # Capacity may shrink below the load an agent holds; never add more.
                pass
            agents[new.id] = new
            apply(engine.upsert_agent(new, now))
        elif kind == "presence" and op[1] in agents:
            agents[op[1]].presence = op[2]
            apply(engine.set_presence(op[1], op[2], now))
        elif kind == "chat":
            _, language, priority, vip, inbox, last = op
            item = WorkItem(next_id, 1, inbox, language=language, priority=priority, vip=vip, enqueued_at=now, last_agent_id=last)
            chats[next_id] = item
            next_id += 1
            apply([engine.enqueue(item, now)])
        elif kind == "finish" and held_by:
            conversation_id = sorted(held_by)[op[1] % len(held_by)]
            who = held_by.pop(conversation_id)
            decisions = engine.release(who, Channel.chat, now)
            apply(decisions)
            for decision in decisions:
                _check_priority_order(engine, agents, agents[who], chats, spec, decision.conversation_id, now)
        elif kind == "wait":
            now += op[1]
            apply(engine.tick(now))
        _check_nobody_idle_beside_a_waiting_chat(engine, agents, chats, spec, now)


def _check_nobody_idle_beside_a_waiting_chat(
    engine: RoutingEngine, agents: dict[int, AgentSpec], chats: dict[int, WorkItem], spec: QueueSpec, now: float
) -> None:
    """Brute force, every agent against every waiting chat: a free agent who
    may take a waiting chat (open step, visible inbox, team) must not exist,
    except while the chat is held for its last agent."""
    online = _working_online(agents, spec)
    for conversation_id in engine.waiting_ids():
        item = chats[conversation_id]
        if item.last_agent_id is not None and spec.sticky_seconds and now - item.enqueued_at < spec.sticky_seconds:
            continue
        for step in _open_steps(agents, spec, item, now):
            for a in online:
                free = engine.agent_load(a.id, Channel.chat) < a.capacity.get(Channel.chat, 0)
                if free and item.inbox_id in a.inbox_ids and _meets_brute(a, step, item):
                    raise AssertionError(f"agent {a.id} is free beside waiting chat {conversation_id}")


def _working_online(agents: dict[int, AgentSpec], spec: QueueSpec) -> list[AgentSpec]:
    """Online agents of the queue's teams who work one of its inboxes and take chats."""
    return [
        a for a in agents.values()
        if a.presence is Presence.online and a.team_ids & spec.team_ids and a.inbox_ids & spec.inbox_ids
        and a.capacity.get(Channel.chat, 0) > 0
    ]


def _open_steps(agents: dict[int, AgentSpec], spec: QueueSpec, item: WorkItem, now: float) -> list[Step]:
    """The steps open to `item` now, skipping (as the engine does) steps no
    online agent matches."""
    online = _working_online(agents, spec)
    steps: list[Step] = []
    skip_to: float | None = 0.0
    for step in spec.steps:
        start = step.after_seconds if skip_to is None else min(step.after_seconds, skip_to)
        if start > now - item.enqueued_at:
            break
        steps.append(step)
        matched = any(_meets_brute(a, step, item) for a in online)
        skip_to = start if step.skippable and not matched else None
    return steps


def _check_priority_order(
    engine: RoutingEngine,
    agents: dict[int, AgentSpec],
    who: AgentSpec,
    chats: dict[int, WorkItem],
    spec: QueueSpec,
    taken: int,
    now: float,
) -> None:
    """A freed agent takes the best-ranked chat they may: none still waiting
    that they could take ranks before it (arrival minus priority boost)."""
    from dragoman.routing.engine import priority_boost

    def rank(item: WorkItem) -> float:
        return item.enqueued_at - priority_boost(item.priority, item.vip)

    chosen = chats[taken]
    if chosen.last_agent_id == who.id and spec.sticky_seconds:
        return  # a returning customer held for this agent comes first by design
    for conversation_id in engine.waiting_ids():
        item = chats[conversation_id]
        if item.last_agent_id is not None and spec.sticky_seconds and now - item.enqueued_at < spec.sticky_seconds:
            continue
        if item.inbox_id in who.inbox_ids and any(_meets_brute(who, s, item) for s in _open_steps(agents, spec, item, now)):
            assert rank(item) >= rank(chosen), f"chat {conversation_id} outranks {taken} for agent {who.id}"


def _meets_brute(a: AgentSpec, step: Step, item: WorkItem) -> bool:
    skill = item.skill or "support"  # the queue's default skill
    if step.min_language_level and item.language:
        level = a.languages.get(item.language)
        if level is None or level.writing < step.min_language_level:
            return False
    if step.min_skill_level and skill and a.skills.get(skill, 0) < step.min_skill_level:
        return False
    return True


def test_a_long_wait_overflows_to_another_queue_once() -> None:
    engine = RoutingEngine()
    engine.upsert_queue(queue(id=1, name="Spanish", overflow_queue_id=2, overflow_after_seconds=120), 0.0)
    engine.upsert_queue(queue(id=2, name="Partner", team_ids=frozenset({2}), overflow_queue_id=1, overflow_after_seconds=60), 0.0)
    engine.upsert_agent(agent(1, {"es": 5}), 0.0)
    engine.enqueue(chat(1), 0.0)  # agent 1 is now busy
    engine.upsert_agent(agent(2, {"es": 2}, teams=frozenset({2}), chat=1), 0.0)
    engine.enqueue(chat(2, at=0.0, queue_id=2), 0.0)  # the partner's only agent is busy too
    assert engine.enqueue(chat(100, at=10.0), 10.0).queue_id == 1
    assert engine.next_wakeup() == 40.0  # step 2 of the Spanish queue
    [moved] = engine.tick(130.0)  # to Partner at 130 s; nobody free there either
    assert (moved.outcome, moved.queue_id, moved.reason["overflowed_from"]) == ("queued", 2, "Spanish")
    assert engine.queue_of(100) == 2
    # Partner's own overflow points back to Spanish: it never returns there.
    assert engine.tick(10_000.0) == []
    assert engine.queue_of(100) == 2
    [decision] = engine.release(2, Channel.chat, 10_001.0)
    assert decision.conversation_id == 100 and decision.queue_id == 2


def test_a_long_wait_makes_a_ticket_once_and_keeps_its_place() -> None:
    engine = RoutingEngine()
    engine.upsert_queue(queue(ticket_after_seconds=60), 0.0)
    engine.upsert_agent(agent(1, {"es": 5}, presence=Presence.offline), 0.0)
    assert engine.enqueue(chat(100, at=0.0), 0.0).outcome == "queued"
    assert engine.enqueue(chat(101, at=0.0, ticketed=True), 0.0).outcome == "queued"  # already a ticket
    assert [d for d in engine.tick(59.0) if d.outcome == "ticket"] == []
    [made] = [d for d in engine.tick(60.0) if d.outcome == "ticket"]
    assert (made.conversation_id, made.queue_id, made.reason["waited_seconds"]) == (100, 1, 60.0)
    assert [d for d in engine.tick(10_000.0) if d.outcome == "ticket"] == []  # once
    # Still in line: the agent who comes online takes the longest waiting.
    [assigned] = engine.set_presence(1, Presence.online, 10_001.0)
    assert (assigned.outcome, assigned.conversation_id, assigned.agent_id) == ("assigned", 100, 1)


window_lists = st.lists(
    st.builds(
        lambda day, start, length: Window(day, start, min(24 * 60, start + length)),
        st.integers(0, 6),
        st.integers(0, 24 * 60 - 1),
        st.integers(1, 12 * 60),
    ),
    max_size=6,
)


@hypothesis_settings(max_examples=150, deadline=None)
@given(
    windows=window_lists,
    zone=st.sampled_from(["Europe/Madrid", "America/Bogota", "Asia/Manila", "America/New_York", "UTC"]),
    # Around the 2026 spring and autumn clock changes, and a quiet week.
    start=st.sampled_from([datetime(2026, 3, 27), datetime(2026, 10, 23), datetime(2026, 11, 2)]),
    offset_minutes=st.integers(0, 7 * 24 * 60),
    country=st.sampled_from([None, "ES", "PH"]),
)
def test_next_open_is_open_and_nothing_before_it_is(
    windows: list[Window], zone: str, start: datetime, offset_minutes: int, country: str | None
) -> None:
    try:
        hours = BusinessHours(zone, windows, holiday_country=country)
    except HoursError:
        return  # overlapping windows are refused, as the API refuses them
    moment = start.replace(tzinfo=timezone.utc).timestamp() + offset_minutes * 60
    opens = hours.next_open(moment)
    if opens is None:
        assert not windows or all(not hours.is_open(moment + m * 3600) for m in range(0, 24 * 7, 5))
        return
    assert opens >= moment
    assert hours.is_open(opens)
    # Minute by minute (sampled every 7 minutes), nothing between is open.
    probe = moment
    while probe < opens:
        assert not hours.is_open(probe), (probe, opens)
        probe += 7 * 60


def test_a_window_that_starts_in_the_spring_forward_gap_opens_when_the_clock_jumps() -> None:
    # Sunday 2026-03-29 in Madrid: 02:00 CET jumps to 03:00 CEST (01:00 UTC).
    hours = BusinessHours("Europe/Madrid", [Window(6, 2 * 60 + 30, 5 * 60)])
    before = datetime(2026, 3, 29, 0, 30, tzinfo=timezone.utc).timestamp()
    assert hours.next_open(before) == datetime(2026, 3, 29, 1, 0, tzinfo=timezone.utc).timestamp()


def test_a_shift_ends_and_starts_again_on_the_hour_in_the_agents_time_zone() -> None:
    # Mon-Fri 09:00-17:00 in Tokyo (UTC+9): 00:00-08:00 UTC.
    hours = BusinessHours("Asia/Tokyo", [Window(day, 9 * 60, 17 * 60) for day in range(5)])

    def utc(day: int, hour: int) -> float:
        month = 11 if day > 20 else 12
        return datetime(2026, month, day, hour, tzinfo=timezone.utc).timestamp()

    assert hours.next_change(utc(30, 1)) == utc(30, 8)  # Monday 10:00 in Tokyo: the shift ends at 17:00
    assert hours.next_change(utc(30, 9)) == utc(1, 0)  # Monday 18:00: Tuesday 09:00
    assert hours.next_change(utc(4, 9)) == utc(7, 0)  # Friday 18:00: Monday 09:00


def test_a_translation_step_gives_a_chat_only_to_agents_an_engine_connects_both_ways() -> None:
    """Engines serve es↔en but nothing between Japanese or Spanish and
    Chinese: an agent working in Chinese is never given a Spanish or
    Japanese chat by the translation step, even one who also writes some
    English (the console translates into the working language); an agent
    working in English is given the Spanish one."""
    reach = {"es": frozenset({"en", "pt"}), "en": frozenset({"es"}), "ja": frozenset(), "zh": frozenset()}
    spec = queue(steps=(Step(0, min_language_level=4), Step(10, machine_translation=True)), translation_reach=reach, default_skill=None)
    chinese = agent(1, {"zh": 5, "en": 3}, skills={}, working="zh")
    engine = engine_with(chinese, spec=spec)
    engine.enqueue(chat(100, "es"), 0.0)
    engine.enqueue(chat(101, "ja"), 0.0)
    assert engine.tick(100.0) == []  # the translation step is open, but no engine links es or ja with zh
    english = agent(2, {"en": 4}, skills={}, working="en")
    decisions = engine.upsert_agent(english, 101.0)
    assert [(d.conversation_id, d.agent_id, d.machine_translation) for d in decisions] == [(100, 2, True)]
    assert decisions[0].reason["rule"] == "any agent (machine translation): writes es, or works in en or pt (translated both ways)"
    assert decisions[0].reason["rule_parts"]["translated_languages"] == ["en", "pt"]
    assert engine.is_waiting(101)  # Japanese still waits for someone who can read it
    # Someone who writes Japanese, whatever their working language, may take it.
    decisions = engine.upsert_agent(agent(3, {"ja": 2}, skills={}, working="zh"), 102.0)
    assert [(d.conversation_id, d.agent_id) for d in decisions] == [(101, 3)]


def test_without_known_reach_a_translation_step_admits_anyone_as_before() -> None:
    spec = queue(steps=(Step(0, min_language_level=4), Step(10, machine_translation=True)), default_skill=None)
    engine = engine_with(agent(1, {"zh": 5}, skills={}), spec=spec)
    # Nobody online writes Spanish well: the first step is skipped at once.
    decision = engine.enqueue(chat(100, "es"), 0.0)
    assert decision.agent_id == 1 and decision.machine_translation


def test_a_call_is_a_work_item_routed_by_the_same_engine_to_a_free_voice_seat_by_spoken_level() -> None:
    """A call waits in a voice queue beside the chats: the agent who speaks
    the language well enough takes it, on their voice capacity, whatever
    chats they hold."""
    voice_queue = queue(id=2, name="Phone", channel=Channel.voice, steps=(Step(0, min_language_level=3),), default_skill=None)
    writer = AgentSpec(
        id=1, account_id=1, languages={"es": LanguageLevel(writing=5, voice=1)}, team_ids=frozenset({TEAM}),
        inbox_ids=frozenset({INBOX}), capacity={Channel.chat: 1, Channel.voice: 1}, presence=Presence.online,
    )
    speaker = AgentSpec(
        id=2, account_id=1, languages={"es": LanguageLevel(writing=2, voice=4)}, team_ids=frozenset({TEAM}),
        inbox_ids=frozenset({INBOX}), capacity={Channel.chat: 1, Channel.voice: 1}, presence=Presence.online,
    )
    engine = RoutingEngine()
    engine.upsert_queue(queue(), 0.0)
    engine.upsert_queue(voice_queue, 0.0)
    for spec in (writer, speaker):
        engine.upsert_agent(spec, 0.0)
    call_kind = WorkKind.call
    call = WorkItem(id=7, account_id=1, inbox_id=INBOX, kind=call_kind, channel=work_channel(call_kind, Channel.chat), language="es")
    decision = engine.enqueue(call, 1.0)
    assert (decision.outcome, decision.agent_id, decision.queue_id) == ("assigned", 2, 2)
    assert engine.agent_load(2, Channel.voice) == 1 and engine.agent_load(2, Channel.chat) == 0
    # A chat still finds its writer: the call took only a voice seat.
    assert engine.enqueue(chat(8, "es", 2.0), 2.0).agent_id == 1
