"""What a feature declares so that the app can plug it in.

Each feature folder has one module, `feature.py`, with one `FEATURE`: its
name, the process-wide hand-overs it makes (in-transaction reactions,
registrations such as a channel's inbox settings), the models it owns and
the settings it reads, and `plug`: given the shared context, the parts that
run (routes, event listeners, transaction hooks, job kinds, runtimes to start
and stop, services the routes look up, health figures). `dragoman/features.py`
lists every feature in order; `app.py` (and the command line through it) goes
through that list and wires nothing by hand. Features never import the list or the app
(pyproject.toml's import contracts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from fastapi import APIRouter, FastAPI

from dragoman.core.events import Event, Listener, Payload, Reaction, TransactionHook
from dragoman.core.http import AppContext
from dragoman.core.jobs import JobRunner


class Startable(Protocol):
    def start(self) -> object: ...

    def stop(self) -> object: ...


@dataclass(frozen=True)
class Runtime:
    """Something that runs beside the requests (a worker thread, the
    detector's models, the live sockets' loop).

    The app starts every runtime in the feature list's order and stops them
    in the reverse order, each even when one before it failed to stop.
    `blocking`: its start takes seconds (loading models) and runs in a thread
    the app waits for, so no request is served before it is done. Phase
    "serving": started after everything else, just before the first request
    (the consoles' grace period to reconnect counts from then)."""

    name: str
    start: Callable[[asyncio.AbstractEventLoop], object]
    stop: Callable[[], object]
    blocking: bool = False
    phase: Literal["starting", "serving"] = "starting"


def runtime(name: str, thing: Startable, *, when: Callable[[], bool] = lambda: True) -> Runtime:
    """A runtime from an object with `start()` and `stop()`; `when` says at
    start whether it runs (its stop is called either way, and does nothing then)."""

    def start(_loop: asyncio.AbstractEventLoop) -> None:
        if when():
            thing.start()

    return Runtime(name, start, thing.stop)


@dataclass(frozen=True)
class Subscription:
    """A bus listener, called after commit for the events of `kinds` (all
    events when empty), in the publishing thread: it must only queue work."""

    listener: Listener
    kinds: tuple[type[Payload], ...] = ()

    def as_listener(self) -> Listener:
        if not self.kinds:
            return self.listener
        kinds, listener = self.kinds, self.listener

        def only_these(event: Event) -> None:
            if isinstance(event.payload, kinds):
                listener(event)

        only_these.__qualname__ = f"{getattr(listener, '__qualname__', repr(listener))} (kinds: {', '.join(k.kind for k in kinds)})"
        return only_these


@dataclass(frozen=True)
class Health:
    """What a feature adds to /api/health: top-level figures, and queue
    lengths under "backlog" (a growing number says the machine cannot keep up)."""

    figures: Callable[[], Mapping[str, Any]] = dict
    backlog: Mapping[str, Callable[[], int]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plugged:
    """A feature's running parts, made by its `plug(ctx)`."""

    routers: Sequence[APIRouter] = ()
    # Mounted after every router (static files).
    mounts: Sequence[Callable[[FastAPI], None]] = ()
    listeners: Sequence[Subscription] = ()
    # Run just before a session that recorded events commits, in its transaction (the webhook outbox).
    transaction_hooks: Sequence[TransactionHook] = ()
    # Each registers job kinds (handlers, events that cause jobs, scheduled jobs) with the runner.
    jobs: Sequence[Callable[[JobRunner], None]] = ()
    runtimes: Sequence[Runtime] = ()
    # Long-lived objects the routes find in `AppContext.services` (and later features' `plug`).
    services: Mapping[str, Any] = field(default_factory=dict)
    health: Health | None = None


def _nothing_runs(_ctx: AppContext) -> Plugged:
    return Plugged()


@dataclass(frozen=True)
class Feature:
    """One feature, as its `feature.py` declares it."""

    name: str
    # Given the shared context (settings, sessions, bus, job runner, and the
    # services of the features before it in the list): the running parts.
    plug: Callable[[AppContext], Plugged] = _nothing_runs
    # In-transaction reactions (core.events.react_in_transaction) by event kind.
    reactions: Sequence[tuple[type[Payload], Reaction]] = ()
    # Other process-wide hand-overs, made once before the first session
    # (also by `dragoman demo`, which builds no app); each may run twice.
    registrations: Sequence[Callable[[], None]] = ()
    # Modules whose tables it owns: dragoman/models.py imports each, so
    # migrations see them (tests/test_features.py checks it).
    models: Sequence[str] = ()
    # The `Settings` fields it reads (checked to exist).
    settings: Sequence[str] = ()
