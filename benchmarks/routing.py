"""Routing engine: decisions per second, latency of one decision, memory;
beside a plain baseline that scans every agent (or every waiting
conversation) for every decision, measured in the same run. Then one
simulated day of a 200-agent, 8-language contact center per strategy.

Usage: python benchmarks/routing.py [--agents 10000] [--conversations 100000] [--seed 7]
"""

from __future__ import annotations

import argparse
import gc
import heapq
import math
import random
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine_description, percentile  # noqa: E402

from dragoman.routing.engine import (  # noqa: E402
    AgentSpec,
    Channel,
    LanguageLevel,
    Presence,
    QueueSpec,
    RoutingEngine,
    Step,
    Strategy,
    WorkItem,
    priority_boost,
)

LANGUAGES = ("en", "es", "zh", "de", "fr", "ja", "ar", "th", "pt", "it", "ko", "vi", "ru", "tr", "nl", "pl", "id", "hi", "sv", "tl")
SKILLS = ("sales", "billing", "orders", "tech", "returns", "complaints", "vip_care", "shipping", "accounts", "warranty")
TEAMS = 10
BULLSEYE = (
    Step(0, min_language_level=4, min_skill_level=3),
    Step(30, min_language_level=2, min_skill_level=1),
    Step(90, min_skill_level=1, machine_translation=True),
)


# -- the world ------------------------------------------------------------------------


def make_agents(count: int, rng: random.Random, languages: tuple[str, ...], weights: list[float]) -> list[AgentSpec]:
    agents = []
    for ident in range(1, count + 1):
        spoken = {rng.choices(languages, weights)[0]: LanguageLevel(5, 5)}
        for _ in range(rng.randint(0, 2)):
            level = rng.randint(1, 5)
            spoken.setdefault(rng.choice(languages), LanguageLevel(level, max(0, level - 1)))
        skills = {name: rng.randint(1, 5) for name in rng.sample(SKILLS, rng.randint(1, 3))}
        team = ident % TEAMS
        agents.append(
            AgentSpec(
                id=ident,
                account_id=1,
                name=f"agent {ident}",
                languages=spoken,
                skills=skills,
                team_ids=frozenset({team}),
                inbox_ids=frozenset({team}),
                capacity={Channel.chat: rng.randint(1, 4), Channel.email: rng.randint(0, 5), Channel.voice: rng.randint(0, 1)},
                presence=Presence.online,
            )
        )
    return agents


def make_queues(strategy: Strategy) -> list[QueueSpec]:
    return [
        QueueSpec(
            id=team + 1,
            account_id=1,
            name=f"team {team}",
            strategy=strategy,
            steps=BULLSEYE,
            inbox_ids=frozenset({team}),
            team_ids=frozenset({team}),
        )
        for team in range(TEAMS)
    ]


def make_conversations(count: int, rng: random.Random, start: float) -> list[WorkItem]:
    weights = [1.0 / (rank + 1) for rank in range(len(LANGUAGES))]  # a few big languages, a long tail
    out = []
    for ident in range(1, count + 1):
        out.append(
            WorkItem(
                id=ident,
                account_id=1,
                inbox_id=rng.randrange(TEAMS),
                language=rng.choices(LANGUAGES, weights)[0],
                skill=rng.choice(SKILLS),
                priority=rng.choices(("low", "normal", "high", "urgent"), (1, 8, 2, 1))[0],
                vip=rng.random() < 0.05,
                enqueued_at=start + ident * 0.001,
            )
        )
    return out


# -- the plain baseline: no index, every agent looked at for every decision ------------


class ScanningRouter:
    """What a router without indexes does: for a new conversation, look at
    every agent; for a freed agent, look at every waiting conversation. Same
    rules as the engine (steps, capacity, presence, visibility, longest idle)."""

    def __init__(self, agents: list[AgentSpec], queues: list[QueueSpec]) -> None:
        self.agents = agents
        self.queue_by_inbox = {inbox: q for q in queues for inbox in q.inbox_ids}
        self.load = {a.id: 0 for a in agents}
        self.idle_since = {a.id: 0.0 for a in agents}
        self.waiting: dict[int, WorkItem] = {}

    def _meets(self, agent: AgentSpec, step: Step, item: WorkItem) -> bool:
        if step.min_language_level:
            level = agent.languages.get(item.language or "")
            if level is None or level.writing < step.min_language_level:
                return False
        return not step.min_skill_level or agent.skills.get(item.skill or "", 0) >= step.min_skill_level

    def _free(self, agent: AgentSpec, item: WorkItem) -> bool:
        return (
            agent.presence is Presence.online
            and self.load[agent.id] < agent.capacity.get(Channel.chat, 0)
            and item.inbox_id in agent.inbox_ids
        )

    def route_conversation(self, item: WorkItem, now: float) -> int | None:
        queue = self.queue_by_inbox[item.inbox_id]
        wait = now - item.enqueued_at
        for step in queue.steps:
            if step.after_seconds > wait:
                break
            best = None
            for agent in self.agents:
                if self._free(agent, item) and agent.team_ids & queue.team_ids and self._meets(agent, step, item):
                    if best is None or self.idle_since[agent.id] < self.idle_since[best.id]:
                        best = agent
            if best is not None:
                self.load[best.id] += 1
                self.idle_since[best.id] = now
                return best.id
        self.waiting[item.id] = item
        return None

    def route_agent(self, agent: AgentSpec, now: float) -> int | None:
        best = None
        best_rank = math.inf
        for item in self.waiting.values():
            if not self._free(agent, item):
                continue
            queue = self.queue_by_inbox[item.inbox_id]
            if not (agent.team_ids & queue.team_ids):
                continue
            wait = now - item.enqueued_at
            if any(step.after_seconds <= wait and self._meets(agent, step, item) for step in queue.steps):
                rank = item.enqueued_at - priority_boost(item.priority, item.vip)
                if rank < best_rank:
                    best, best_rank = item, rank
        if best is None:
            return None
        del self.waiting[best.id]
        self.load[agent.id] += 1
        self.idle_since[agent.id] = now
        return best.id


# -- part 1: decisions per second -----------------------------------------------------


@dataclass
class Timing:
    latencies: list[float] = field(default_factory=list)
    total: float = 0.0

    def add(self, seconds: float) -> None:
        self.latencies.append(seconds)
        self.total += seconds

    def line(self, label: str) -> str:
        ordered = sorted(self.latencies)
        rate = len(ordered) / self.total if self.total else float("nan")
        return (
            f"  {label:<46} {len(ordered):>7} decisions  {rate:>10,.0f}/s  "
            f"p50 {percentile(ordered, 0.5) * 1e6:>7.1f} µs  p99 {percentile(ordered, 0.99) * 1e6:>8.1f} µs"
        )


def build_engine(agents: list[AgentSpec], queues: list[QueueSpec]) -> RoutingEngine:
    engine = RoutingEngine()
    for queue in queues:
        engine.upsert_queue(queue, 0.0)
    for agent in agents:
        engine.upsert_agent(agent, 0.0)
    return engine


def measure_memory(agents: list[AgentSpec], queues: list[QueueSpec], conversations: list[WorkItem]) -> str:
    gc.collect()
    tracemalloc.start()
    engine = build_engine(agents, queues)
    after_agents = tracemalloc.get_traced_memory()[0]
    now = conversations[-1].enqueued_at
    for item in conversations:
        engine.enqueue(item, now)
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del engine
    return (
        f"  engine with {len(agents):,} agents: {after_agents / 2**20:.1f} MiB; "
        f"with {len(conversations):,} conversations routed or waiting: {current / 2**20:.1f} MiB (peak {peak / 2**20:.1f} MiB)"
    )


def throughput(agent_count: int, conversation_count: int, seed: int, strategy: Strategy) -> None:
    rng = random.Random(seed)
    agents = make_agents(agent_count, rng, LANGUAGES, [1.0 / (rank + 1) for rank in range(len(LANGUAGES))])
    queues = make_queues(strategy)
    conversations = make_conversations(conversation_count, rng, 0.0)
    engine = build_engine(agents, queues)
    arrivals = Timing()
    busy: list[tuple[int, int]] = []  # (agent, conversation)
    now = conversations[-1].enqueued_at
    clock = time.perf_counter
    gc.disable()
    for item in conversations:
        started = clock()
        decision = engine.enqueue(item, now)
        arrivals.add(clock() - started)
        if decision.agent_id is not None:
            busy.append((decision.agent_id, item.id))
    assigned_at_arrival = len(busy)
    # Agents finish one conversation at a time, in random order; each freed
    # slot is a decision: the best waiting conversation that agent may take.
    frees = Timing()
    later = now + 120.0  # every step open: the widest search
    rng.shuffle(busy)
    handed = 0
    for _ in range(min(conversation_count, 100_000)):
        if not busy:
            break
        agent_id, _conversation = busy.pop()
        started = clock()
        decisions = engine.release(agent_id, Channel.chat, later)
        frees.add(clock() - started)
        for decision in decisions:
            busy.insert(rng.randrange(len(busy) + 1) if busy else 0, (agent_id, decision.conversation_id))
            handed += 1
    gc.enable()
    print(f"\nstrategy {strategy.value}: {assigned_at_arrival:,} assigned on arrival, {conversation_count - assigned_at_arrival:,} waited; "
          f"{handed:,} handed to agents as they freed capacity")
    print(arrivals.line("engine: new conversation -> agent"))
    print(frees.line("engine: agent frees a slot -> conversation"))


def baseline(agent_count: int, conversation_count: int, seed: int, sample: int) -> None:
    rng = random.Random(seed)
    agents = make_agents(agent_count, rng, LANGUAGES, [1.0 / (rank + 1) for rank in range(len(LANGUAGES))])
    queues = make_queues(Strategy.longest_idle)
    conversations = make_conversations(conversation_count, rng, 0.0)
    router = ScanningRouter(agents, queues)
    now = conversations[-1].enqueued_at
    arrivals = Timing()
    clock = time.perf_counter
    # Conversation side: timed on the first `sample` arrivals (agents still free).
    for item in conversations[:sample]:
        started = clock()
        router.route_conversation(item, now)
        arrivals.add(clock() - started)
    # Agent side: the queue holds every conversation, as in the engine's run.
    for item in conversations[sample:]:
        router.waiting[item.id] = item
    frees = Timing()
    later = now + 120.0
    for agent in rng.sample(agents, sample):
        router.load[agent.id] = max(0, agent.capacity.get(Channel.chat, 0) - 1)
        started = clock()
        router.route_agent(agent, later)
        frees.add(clock() - started)
    print(f"\nbaseline (scan every agent / every waiting conversation), {sample} decisions each:")
    print(arrivals.line("scan: new conversation -> agent"))
    print(frees.line("scan: agent frees a slot -> conversation"))


# -- part 2: one day of a 200-agent, 8-language center ---------------------------------

DAY_LANGUAGES = ("en", "es", "zh", "de", "fr", "ja", "ar", "th")
DEMAND = (0.30, 0.20, 0.12, 0.10, 0.08, 0.08, 0.06, 0.06)
# Staffing drawn from a slightly different mix than the demand, as in life:
# English and Chinese speakers are easier to hire than Thai or Arabic ones.
STAFFING = (0.34, 0.18, 0.16, 0.09, 0.07, 0.07, 0.045, 0.045)
SERVICE_TARGET = 20.0
HANDLING_MEAN = 480.0  # seconds per chat, exponential
CHAT_CAPACITY = 2


def arrival_rate(second: float, peak_per_second: float) -> float:
    """A day's shape: quiet at night, a broad peak around midday."""
    hour = second / 3600.0
    return peak_per_second * (0.15 + 0.85 * math.exp(-(((hour - 13.0) / 4.0) ** 2)))


def simulate_day(strategy: Strategy | None, seed: int, agent_count: int = 200) -> dict[str, float]:
    """`strategy` None: language-blind routing (one step, any agent) for comparison."""
    rng = random.Random(seed)
    agents = make_agents(agent_count, rng, DAY_LANGUAGES, list(STAFFING))
    for agent in agents:
        agent.team_ids = frozenset({0})
        agent.inbox_ids = frozenset({0})
        agent.capacity = {Channel.chat: CHAT_CAPACITY}
        agent.skills = {"support": 3}
    steps = BULLSEYE if strategy is not None else (Step(0),)
    engine = RoutingEngine()
    engine.upsert_queue(
        QueueSpec(1, 1, "center", strategy=strategy or Strategy.round_robin, steps=steps, inbox_ids=frozenset({0}),
                  team_ids=frozenset({0}), default_skill="support"),
        0.0,
    )
    for agent in agents:
        engine.upsert_agent(agent, 0.0)
    levels = {a.id: a.languages for a in agents}
    # Peak load ~90% of the 400 chat slots: slots * rate = peak arrivals * handling.
    peak = 0.9 * agent_count * CHAT_CAPACITY / HANDLING_MEAN
    events: list[tuple[float, int, str, int]] = []  # (when, seq, kind, id)
    seq = 0
    # Arrivals per language: a thinned Poisson process following the day's shape.
    for index, language in enumerate(DAY_LANGUAGES):
        t = 0.0
        while True:
            t += rng.expovariate(peak * DEMAND[index])
            if t >= 86_400:
                break
            if rng.random() < arrival_rate(t, 1.0):
                seq += 1
                heapq.heappush(events, (t, seq, language, seq))
    arrived: dict[int, tuple[float, str]] = {}
    waits: list[float] = []
    mismatched = 0
    answered_in_target = 0
    holder: dict[int, int] = {}

    def record(decisions: list, now: float) -> None:  # type: ignore[type-arg]
        nonlocal mismatched, answered_in_target, seq
        for decision in decisions:
            if decision.outcome != "assigned":
                continue
            started, language = arrived[decision.conversation_id]
            wait = now - started
            waits.append(wait)
            if wait <= SERVICE_TARGET:
                answered_in_target += 1
            level = levels[decision.agent_id].get(language)
            if level is None or level.writing < 2:
                mismatched += 1
            holder[decision.conversation_id] = decision.agent_id
            seq += 1
            heapq.heappush(events, (now + rng.expovariate(1.0 / HANDLING_MEAN), seq, "done", decision.conversation_id))

    while events:
        wake = engine.next_wakeup()
        if wake is not None and wake < events[0][0]:
            record(engine.tick(wake), wake)
            continue
        now, _seq, kind, ident = heapq.heappop(events)
        if kind == "done":
            record(engine.release(holder.pop(ident), Channel.chat, now), now)
        else:
            arrived[ident] = (now, kind)
            record([engine.enqueue(WorkItem(ident, 1, 0, language=kind, enqueued_at=now), now)], now)
    total = len(arrived)
    return {
        "conversations": total,
        "service_level": answered_in_target / total,
        "average_wait": sum(waits) / len(waits),
        "p90_wait": percentile(sorted(waits), 0.9),
        "mismatch": mismatched / total,
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--agents", type=int, default=10_000)
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--baseline-sample", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--skip-day", action="store_true")
    parser.add_argument("--strategies", nargs="*", choices=[s.value for s in Strategy], default=[s.value for s in Strategy])
    args = parser.parse_args(argv)
    print(f"machine: {machine_description()}")
    print(f"\n{args.agents:,} agents (1-3 of {len(LANGUAGES)} languages, 1-3 of {len(SKILLS)} skills, chat capacity 1-4, "
          f"{TEAMS} teams/queues), {args.conversations:,} conversations; one core, one thread")
    rng = random.Random(args.seed)
    weights = [1.0 / (rank + 1) for rank in range(len(LANGUAGES))]
    print(measure_memory(make_agents(args.agents, rng, LANGUAGES, weights), make_queues(Strategy.longest_idle),
                         make_conversations(args.conversations, rng, 0.0)))
    for name in args.strategies:
        throughput(args.agents, args.conversations, args.seed, Strategy(name))
    baseline(args.agents, args.conversations, args.seed, args.baseline_sample)
    if args.skip_day:
        return
    print(f"\none day, 200 agents (chat capacity {CHAT_CAPACITY}), 8 languages, Poisson arrivals per language peaking at "
          f"~90% of capacity, handling time exp(mean {HANDLING_MEAN:.0f} s); service level = answered within {SERVICE_TARGET:.0f} s")
    print(f"  {'strategy':<32} {'chats':>7} {'service level':>14} {'avg wait':>9} {'p90 wait':>9} {'language mismatch':>18}")
    runs: list[tuple[str, Callable[[], dict[str, float]]]] = [
        (f"{s.value} (bullseye steps)", lambda s=s: simulate_day(s, args.seed)) for s in Strategy  # type: ignore[misc]
    ]
    runs.append(("language-blind round robin", lambda: simulate_day(None, args.seed)))
    for label, run in runs:
        result = run()
        print(
            f"  {label:<32} {result['conversations']:>7,.0f} {result['service_level']:>13.1%} "
            f"{result['average_wait']:>8.1f}s {result['p90_wait']:>8.1f}s {result['mismatch']:>17.1%}"
        )


if __name__ == "__main__":
    main()
