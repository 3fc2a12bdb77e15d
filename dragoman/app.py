"""Builds the ASGI application from `Settings`: the only place that wires
features together."""

from __future__ import annotations

import asyncio
import gc
import logging
from typing import Any
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import swagger_ui_bundle
from fastapi import FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from dragoman import __version__
from dragoman.accounts import routes as account_routes
from dragoman.accounts.models import User
from dragoman.accounts.permissions import Viewer
from dragoman.accounts.services import load_viewer
from dragoman.channels.email.inbox_settings import EMAIL_INBOX_SETTINGS
from dragoman.channels.webchat import pages as webchat_pages
from dragoman.channels.webchat import routes as webchat_routes
from dragoman.channels.webchat.adapter import VisitorTokens
from dragoman.channels.webchat.services import visitor_file_limiter
from dragoman.conversations.file_sweeper import register_file_sweep
from dragoman.config import Settings
from dragoman.conversations import contact_routes
from dragoman.conversations import routes as conversation_routes
from dragoman.conversations import translation_routes
from dragoman.core.db import make_engine, make_session_factory
from dragoman.core.edge import RequestLimits
from dragoman.core.events import CONVERSATION_NEEDS_TICKET, InProcessEventBus, attach_bus, react_in_transaction
from dragoman.core.jobs import JobRunner, register_job_pruning
from dragoman.core.jobs import backlog as jobs_backlog
from dragoman.core.http import AppContext, describe_error_responses, install_error_handlers
from dragoman.core.outbound import parse_allow
from dragoman.core.ratelimit import SlidingWindowLimiter
from dragoman.core.writer import BatchWriter
from dragoman.customer_pages import rendering as customer_pages
from dragoman.demo.showroom import SHOWROOM
from dragoman.inboxes import routes as inbox_routes
from dragoman.inboxes.services import register_channel_settings
from dragoman.kb import admin as kb_admin
from dragoman.kb import pages as kb_pages
from dragoman.kb import routes as kb_routes
from dragoman.kb.worker import BotWorker, register_bot_jobs
from dragoman.language import routes as language_routes
from dragoman.language import services as language_services
from dragoman.language.runtime import build_runtime
from dragoman.conversations.translation_worker import TranslationWorker, register_translation_jobs
from dragoman.realtime import routes as realtime_routes
from dragoman.realtime.hub import RealtimeHub
from dragoman.realtime.presence import ConsolePresence
from dragoman.routing import pages as routing_pages
from dragoman.routing import routes as routing_routes
from dragoman.routing.runtime import RoutingRuntime
from dragoman.tickets import pages as ticket_pages
from dragoman.tickets import routes as ticket_routes
from dragoman.tickets import web_form as ticket_web_form
from dragoman.tickets.runtime import register_sla_jobs
from dragoman.tickets.services import on_conversation_needs_ticket, read_satisfaction_with
from dragoman.canned import routes as canned_routes
from dragoman.csat import routes as csat_routes
from dragoman.csat.runtime import register_survey_jobs
from dragoman.csat.services import ticket_satisfaction
from dragoman.channels.email import routes as email_routes
from dragoman.channels.email.catcher import MailCatcher
from dragoman.channels.email.runtime import EmailRuntime
from dragoman.demo import pages as demo_pages
from dragoman.web import routes as web_routes
from dragoman.webhooks import routes as webhook_routes
from dragoman.jobs import routes as job_routes
from dragoman.webhooks.services import WebhookWorker, enqueue_deliveries, register_webhook_jobs

log = logging.getLogger(__name__)

API_DESCRIPTION = """
Dragoman's REST API. Authenticate with an API token created in the console
(Settings → API tokens): `Authorization: Bearer <token>` (or Chatwoot's
`api_access_token: <token>` header). Every path under
`/api/v1/accounts/{account_id}/` answers 404 for another account's ids.
Errors are JSON: `{"error": code, "message": text, "field": name}`.
"""


def connect_features() -> None:
    """What features hand each other so that neither imports the other. Every
    entry point that changes data calls it before its first session (the app,
    `dragoman demo`); calling it again changes nothing."""
    # A mail that opens a request, a chat nobody could take: tickets make the
    # ticket inside the same transaction (the e-mail channel and routing ask).
    react_in_transaction(CONVERSATION_NEEDS_TICKET, on_conversation_needs_ticket)
    # The e-mail channel checks, seals and masks its inboxes' settings.
    register_channel_settings("email", EMAIL_INBOX_SETTINGS)
    # A ticket's detail shows its latest rating; surveys build on tickets, not the reverse.
    read_satisfaction_with(ticket_satisfaction)


def build_context(settings: Settings) -> AppContext:
    # A mistyped allow-list stops the start with its message rather than
    # refusing every webhook later.
    parse_allow(settings.outbound_allow)
    engine = make_engine(settings.database_url)
    factory = make_session_factory(engine)
    bus = InProcessEventBus()
    # Durable background work (core.jobs): features register their kinds below.
    jobs = JobRunner(factory)
    attach_bus(factory, bus, hooks=[enqueue_deliveries, jobs.transaction_hook])
    connect_features()
    ctx = AppContext(
        settings=settings,
        engine=engine,
        session_factory=factory,
        bus=bus,
        login_limiter_ip=SlidingWindowLimiter(settings.login_attempts_per_ip, settings.login_window_seconds),
        login_limiter_email=SlidingWindowLimiter(settings.login_attempts_per_email, settings.login_window_seconds),
    )

    def reload_viewer(user_id: int) -> Viewer | None:
        with factory() as db:
            user = db.get(User, user_id)
            return load_viewer(db, user) if user is not None and user.active else None

    hub = RealtimeHub(reload_viewer)
    bus.subscribe(hub.on_event)
    worker = register_webhook_jobs(jobs, ctx)
    # Detection runs at ingest; translation as jobs written with the message.
    language = build_runtime(settings)
    translator = register_translation_jobs(jobs, factory, language)
    # Routing keeps its engine in its own thread; listeners only queue work.
    routing = RoutingRuntime(
        factory, translation_reach=lambda db, account_id: language_services.translation_reach(db, language, account_id)
    )
    bus.subscribe(routing.on_event)
    # The FAQ bot answers as jobs written with the message (kb.worker).
    faq_bot = BotWorker(
        factory,
        semantic=settings.bot_embeddings,
        public_url=settings.public_url,
        vector_dir=settings.data_dir / "kb",
        translation=language,
        warm_up=settings.bot_warm_up,
    )
    register_bot_jobs(jobs, faq_bot)
    # SLA clocks: deadlines stored, fired by jobs when due.
    sla = register_sla_jobs(jobs, factory)
    # E-mail: replies sent after commit, IMAP mailboxes read, the SMTP listener.
    email = EmailRuntime(
        factory,
        settings.data_dir,
        smtp_listen=settings.smtp_listen,
        secret_key=settings.secret_key,
        outbound_allow=lambda: parse_allow(settings.outbound_allow),
        catcher=MailCatcher(settings.data_dir / "mail-caught") if settings.mail_catcher else None,
    )
    bus.subscribe(email.on_event)
    # Satisfaction surveys offered when a conversation is resolved.
    register_survey_jobs(jobs, settings.public_url)
    register_file_sweep(jobs, settings.data_dir / "attachments")
    register_job_pruning(jobs)
    ctx.services.update(
        jobs=jobs,
        email=email,
        sla=sla,
        routing=routing,
        realtime=hub,
        presence=ConsolePresence(factory, lambda: settings.console_grace_seconds),
        visitor_tokens=VisitorTokens(settings.secret_key),
        visitor_file_limiter=visitor_file_limiter(),
        webhook_worker=worker,
        writer=BatchWriter(factory),
        language=language,
        translation_worker=translator,
        faq_bot=faq_bot,
        # The sign-in page's demo users and the demo store page (demo/showroom.py).
        showroom=SHOWROOM,
    )
    return ctx


def stop_each(*stops: Callable[[], object]) -> None:
    """Calls every stop in order even when one fails: a failure must not
    leave the threads after it running against a closed database."""
    for stop in stops:
        try:
            stop()
        except Exception:  # noqa: BLE001 - logged; the others still stop
            log.exception("stopping %s failed", getattr(stop, "__qualname__", repr(stop)))


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings.from_env()
    ctx = build_context(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        ctx.services["realtime"].bind_loop(asyncio.get_running_loop())
        writer: BatchWriter = ctx.services["writer"]
        writer.start()
        worker: WebhookWorker = ctx.services["webhook_worker"]
        translator: TranslationWorker = ctx.services["translation_worker"]
        # The detector's models load before the first request is served
        # (seconds, once per process): no message waits for them.
        await asyncio.to_thread(ctx.services["language"].start)
        translator.start()
        ctx.services["routing"].start()
        faq_bot: BotWorker = ctx.services["faq_bot"]
        faq_bot.start()
        ctx.services["sla"].start()
        ctx.services["email"].start()
        ctx.services["jobs"].start()
        if settings.run_background_workers:
            worker.start()
        # The garbage collector's full passes stopped every thread for
        # 60–190 ms every few seconds under load: most of the message path's
        # p99 at N=1,000 (docs/benchmarks.md, "Message path"). What start-up
        # loaded lives as long as the process: frozen, no pass walks it. And
        # a young collection every 50,000 allocations instead of 700 lets a
        # message's short-lived objects die before any collection sees them,
        # so far fewer are promoted and full passes become rare (measured:
        # p99 176 -> 62 ms at N=1,000; young passes take about 15 ms).
        # Process-wide, so only where the server owns the process.
        if settings.tune_gc:
            gc.freeze()
            gc.set_threshold(50_000, 20, 20)
        # From now consoles can reconnect; the grace period counts from here.
        ctx.services["presence"].start(asyncio.get_running_loop())
        try:
            yield
        finally:
            stop_each(
                ctx.services["presence"].stop,
                worker.stop,
                ctx.services["routing"].stop,
                translator.stop,
                faq_bot.stop,
                ctx.services["sla"].stop,
                ctx.services["email"].stop,
                ctx.services["jobs"].stop,
                ctx.services["language"].close,
                writer.stop,
                ctx.engine.dispose,
            )

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
        faq_bot: BotWorker = ctx.services["faq_bot"]
        translator: TranslationWorker = ctx.services["translation_worker"]
        with ctx.session_factory() as db:
            job_backlog = jobs_backlog(db)
        return {
            "status": "ok",
            "version": __version__,
            "faq_bot": "ready" if faq_bot.ready else "starting",
            # Messages waiting for their translation or the bot's answer: a
            # growing number says the machine cannot keep up.
            "backlog": {"translation": translator.backlog, "faq_bot": faq_bot.backlog},
            # Durable jobs (core.jobs): queued, running, dead, and how late the oldest due one is.
            "jobs": job_backlog,
        }

    for module in (
        account_routes,
        contact_routes,
        inbox_routes,
        conversation_routes,
        language_routes,
        translation_routes,
        kb_routes,
        kb_pages,
        kb_admin,
        routing_routes,
        routing_pages,
        ticket_routes,
        ticket_pages,
        ticket_web_form,
        canned_routes,
        csat_routes,
        email_routes,
        demo_pages,
        webhook_routes,
        job_routes,
        realtime_routes,
        webchat_routes,
        webchat_pages,
        customer_pages,
        web_routes,
    ):
        app.include_router(module.router)
    web_routes.mount_static(app)
    _describe_authentication(app)
    return app


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
