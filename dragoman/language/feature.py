"""Languages: detection at ingest, translation engines and chains, glossaries.
The language runtime it makes is shared: later features find it as
`ctx.services["language"]`."""

from __future__ import annotations

import asyncio

from dragoman.core.features import Feature, Plugged, Runtime
from dragoman.core.http import AppContext
from dragoman.language import routes
from dragoman.language.runtime import build_runtime


def plug(ctx: AppContext) -> Plugged:
    language = build_runtime(ctx.settings)

    def start(_loop: asyncio.AbstractEventLoop) -> None:
        language.start()

    return Plugged(
        routers=[routes.router],
        # The detector's models load before the first request is served
        # (seconds, once per process): no message waits for them.
        runtimes=[Runtime("language", start, language.close, blocking=True)],
        services={"language": language},
    )


FEATURE = Feature(
    name="language",
    plug=plug,
    models=("dragoman.language.models",),
    settings=(
        "data_dir",
        "apertium",
        "apertium_modes_dir",
        "deepl_api_key",
        "deepl_url",
        "google_translate_api_key",
        "google_translate_url",
        "libretranslate_url",
        "libretranslate_api_key",
        "openai_base_url",
        "openai_api_key",
        "openai_model",
        "translation_timeout_seconds",
    ),
)
