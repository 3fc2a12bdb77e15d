"""The knowledge base, its help center and the FAQ bot, whose answers are
durable jobs written with the customer's message."""

from __future__ import annotations

from dragoman.core.features import Feature, Health, Plugged, runtime
from dragoman.core.http import AppContext
from dragoman.kb import admin, pages, routes
from dragoman.kb.worker import BotWorker, register_bot_jobs


def plug(ctx: AppContext) -> Plugged:
    settings = ctx.settings
    faq_bot = BotWorker(
        ctx.session_factory,
        semantic=settings.bot_embeddings,
        public_url=settings.public_url,
        vector_dir=settings.data_dir / "kb",
        translation=ctx.services["language"],
        warm_up=settings.bot_warm_up,
    )
    register_bot_jobs(ctx.services["jobs"], faq_bot)
    return Plugged(
        routers=[routes.router, pages.router, admin.router],
        # Its runtime builds the indexes (a cache); the answers are jobs.
        runtimes=[runtime("faq_bot", faq_bot)],
        services={"faq_bot": faq_bot},
        # The FAQ bot embeds every knowledge base at start; until then answers wait.
        health=Health(
            figures=lambda: {"faq_bot": "ready" if faq_bot.ready else "starting"},
            backlog={"faq_bot": lambda: faq_bot.backlog},
        ),
    )


FEATURE = Feature(
    name="kb",
    plug=plug,
    models=("dragoman.kb.models",),
    settings=("bot_embeddings", "public_url", "data_dir", "bot_warm_up"),
)
