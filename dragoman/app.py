"""Builds the ASGI application from `Settings`: the shared context (database,
event bus, job runner, group-commit writer) and every feature of
`dragoman.features.FEATURES`, plugged in in order. No feature is wired here
by hand: each declares its parts in its own `feature.py` (core/features.py)."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dragoman import __version__
from dragoman.config import Settings
from dragoman.core.db import make_engine, make_session_factory
from dragoman.core.edge import RequestLimits
from dragoman.core.events import InProcessEventBus, TransactionHook, attach_bus, react_in_transaction
from dragoman.core.features import Feature, Plugged, Runtime, runtime
from dragoman.core.jobs import JobRunner
from dragoman.core.jobs import backlog as jobs_backlog
from dragoman.core.http import AppContext, describe_error_responses, install_error_handlers
from dragoman.core.outbound import parse_allow
from dragoman.core.ratelimit import SlidingWindowLimiter
from dragoman.core.writer import BatchWriter
from dragoman.features import FEATURES

log = logging.getLogger(__name__)

API_DESCRIPTION = """
Dragoman's REST API. Authenticate with an API token created in the console
(Settings → API tokens): `Authorization: Bearer <token>` (or Chatwoot's
`api_access_token: <token>` header). Every path under
`/api/v1/accounts/{account_id}/` answers 404 for another account's ids.
Errors are JSON: `{"error": code, "message": text, "field": name}`.
"""


def connect_features(features: tuple[Feature, ...] = FEATURES) -> None:
    """What features hand each other so that neither imports the other
    (in-transaction reactions, a channel's inbox settings, ...). Every entry
    point that changes data calls it before its first session (the app,
    `dragoman demo`); calling it again changes nothing."""
    for feature in features:
        for kind, reaction in feature.reactions:
            react_in_transaction(kind, reaction)
        for register in feature.registrations:
            register()


@dataclass(frozen=True)
class Plugboard:
    """The features' running parts, gathered in list order."""

    plugged: tuple[Plugged, ...]
    # Platform first and last: the writer starts before every feature and
    # stops after them; the job runner starts once every feature registered
    # its kinds and stops before any of them.
    runtimes: tuple[Runtime, ...]


def build_context(settings: Settings, features: tuple[Feature, ...] = FEATURES) -> AppContext:
    # A mistyped allow-list stops the start with its message rather than
    # refusing every webhook later.
    parse_allow(settings.outbound_allow)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    bus = InProcessEventBus()
    # Durable background work (core.jobs): features register their kinds with it.
    jobs = JobRunner(factory)
    connect_features(features)
    ctx = AppContext(
        settings=settings,
        engine=engine,
        session_factory=factory,
        bus=bus,
        login_limiter_ip=SlidingWindowLimiter(settings.login_attempts_per_ip, settings.login_window_seconds),
        login_limiter_email=SlidingWindowLimiter(settings.login_attempts_per_email, settings.login_window_seconds),
    )
    writer = BatchWriter(factory)
    ctx.services.update(jobs=jobs, writer=writer)
    plugged: list[Plugged] = []
    hooks: list[TransactionHook] = []
    for feature in features:
        parts = feature.plug(ctx)
        plugged.append(parts)
        # Later features may use what this one offers (the language runtime).
        ctx.services.update(parts.services)
        hooks.extend(parts.transaction_hooks)
        for subscription in parts.listeners:
            bus.subscribe(subscription.as_listener())
        for register in parts.jobs:
            register(jobs)
    # The features' hooks (the webhook outbox), then the jobs the events ask for.
    attach_bus(factory, bus, hooks=[*hooks, jobs.transaction_hook])
    runtimes = (
        runtime("writer", writer),
        *(r for parts in plugged for r in parts.runtimes),
        runtime("jobs", jobs),
    )
    ctx.services["plugboard"] = Plugboard(tuple(plugged), runtimes)
    return ctx


def stop_each(*stops: Callable[[], object]) -> None:
    """Calls every stop in order even when one fails: a failure must not
    leave the threads after it running against a closed database."""
    for stop in stops:
        try:
            stop()
        except Exception:  # noqa: BLE001 - logged; the others still stop
            log.exception("stopping %s failed", getattr(stop, "__qualname__", repr(stop)))


def health_report(ctx: AppContext) -> dict[str, object]:
    """/api/health's answer: the features' figures and backlogs, and the durable jobs."""
    board: Plugboard = ctx.services["plugboard"]
    report: dict[str, object] = {"status": "ok", "version": __version__}
    backlog: dict[str, int] = {}
    for parts in board.plugged:
        if parts.health is not None:
            report.update(parts.health.figures())
            backlog.update({name: count() for name, count in parts.health.backlog.items()})
    # Messages waiting for their translation or the bot's answer: a
    # growing number says the machine cannot keep up.
    report["backlog"] = backlog
    with ctx.session_factory() as db:
        # Durable jobs (core.jobs): queued, running, dead, and how late the oldest due one is.
        report["jobs"] = jobs_backlog(db)
    return report


def create_app(settings: Settings | None = None, features: tuple[Feature, ...] = FEATURES) -> FastAPI:
    settings = settings or Settings.from_env()
    ctx = build_context(settings, features)
    board: Plugboard = ctx.services["plugboard"]

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        started: list[Runtime] = []

        async def start(item: Runtime) -> None:
            if item.blocking:
                await asyncio.to_thread(item.start, loop)
            else:
                item.start(loop)
            started.append(item)

        try:
            for item in board.runtimes:
                if item.phase == "starting":
                    await start(item)
            if settings.tune_gc:
                _tune_gc()
            for item in board.runtimes:
                if item.phase == "serving":
                    await start(item)
            yield
        finally:
            # In reverse; what never started is not stopped.
            stop_each(*(item.stop for item in reversed(started)), ctx.engine.dispose)

    app = FastAPI(
        title="Dragoman",
        version=__version__,
        description=API_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/api/openapi.json",
        lifespan=lifespan,
    )
    app.state.ctx = ctx
    install_error_handlers(app)
    # Body size, JSON depth, storable text and 64-bit integers, for every route.
    app.add_middleware(RequestLimits)

    # Swagger UI from a pinned PyPI package: the docs work with no internet.
    app.mount("/api/docs/assets", StaticFiles(directory=swagger_ui_bundle.swagger_ui_path), name="swagger-assets")

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/api/openapi.json",
            title="Dragoman API",
            swagger_js_url="/api/docs/assets/swagger-ui-bundle.js",
            swagger_css_url="/api/docs/assets/swagger-ui.css",
            swagger_favicon_url="/api/docs/assets/favicon-32x32.png",
        )

    @app.get("/api/health", tags=["health"])
    def health() -> dict[str, object]:
        """For a load balancer or a benchmark: the server answers, and whether
        its background work has finished starting (the FAQ bot embeds every
        knowledge base at start; until then answers wait)."""
        return health_report(ctx)

    for parts in board.plugged:
        for router in parts.routers:
            app.include_router(router)
    for parts in board.plugged:
        for mount in parts.mounts:
            mount(app)
    _describe_authentication(app)
    return app


def _tune_gc() -> None:
    # The garbage collector's full passes stopped every thread for
    # 60–190 ms every few seconds under load: most of the message path's
    # p99 at N=1,000 (docs/benchmarks.md, "Message path"). What start-up
    # loaded lives as long as the process: frozen, no pass walks it. And
    # a young collection every 50,000 allocations instead of 700 lets a
    # message's short-lived objects die before any collection sees them,
    # so far fewer are promoted and full passes become rare (measured:
    # p99 176 -> 62 ms at N=1,000; young passes take about 15 ms).
    # Process-wide, so only where the server owns the process.
    gc.freeze()
    gc.set_threshold(50_000, 20, 20)


def _authenticated_operation(operation: dict[str, Any]) -> bool:
    """Asks for an API token, or for the web chat's visitor token."""
    headers = {p.get("name", "").lower() for p in operation.get("parameters", []) if p.get("in") == "header"}
    return "security" in operation or "x-visitor-token" in headers


def _describe_authentication(app: FastAPI) -> None:
    """Tells the OpenAPI description (and Swagger's Authorize button) how to
    send an API token; the checks themselves live in `accounts.auth`."""
    from fastapi.openapi.utils import get_openapi

    def openapi() -> dict[str, object]:
        if app.openapi_schema is None:
            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            schema.setdefault("components", {})["securitySchemes"] = {
                "apiToken": {"type": "http", "scheme": "bearer", "description": "An API token from Settings → API tokens"}
            }
            for path, operations in schema["paths"].items():
                if path.startswith("/api/v1/") and not path.startswith("/api/v1/widget"):
                    for operation in operations.values():
                        operation["security"] = [{"apiToken": []}]
            describe_error_responses(schema, authenticated=_authenticated_operation)
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
