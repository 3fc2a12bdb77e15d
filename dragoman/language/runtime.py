"""What one running Dragoman holds for language work: the detector and the
translation engines, built once from `Settings` at start.

An engine that cannot run here (package missing, no key configured) is left
out with the reason, which the settings API shows the admin; the rest works.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from dragoman.config import Settings
from dragoman.language.detect import LanguageDetection, shared_detection
from dragoman.language.engines import EngineRegistry, Translator
from dragoman.language.engines.apertium import DEFAULT_MODES_DIR, ApertiumEngine, shared_apertium
from dragoman.language.engines.ctranslate2 import CTranslate2Engine
from dragoman.language.engines.remote import DeepLEngine, GoogleTranslateEngine, LibreTranslateEngine, OpenAIChatEngine

log = logging.getLogger(__name__)

# The fallback order when an account sets none: neural models on disk, then
# Apertium (both offline), then the configured services.
DEFAULT_ORDER = ("ctranslate2", "apertium", "libretranslate", "deepl", "google", "openai")
ENGINE_NAMES = DEFAULT_ORDER


@dataclass
class LanguageRuntime:
    detection: LanguageDetection
    engines: EngineRegistry = field(default_factory=EngineRegistry)
    unavailable: dict[str, str] = field(default_factory=dict)  # engine name -> why not

    def default_chain(self) -> list[str]:
        return [name for name in DEFAULT_ORDER if self.engines.get(name) is not None]

    def resolve(self, names: list[str]) -> list[Translator]:
        return [engine for name in names if (engine := self.engines.get(name)) is not None]

    def start(self) -> None:
        """Load the detector's models (seconds, once per process). Apertium's
        server starts on the first translation and then stays up."""
        self.detection.warm_up()

    def close(self) -> None:
        self.engines.close()


def build_runtime(settings: Settings) -> LanguageRuntime:
    runtime = LanguageRuntime(detection=shared_detection())
    timeout = settings.translation_timeout_seconds
    if settings.apertium:
        modes = Path(settings.apertium_modes_dir) if settings.apertium_modes_dir else DEFAULT_MODES_DIR
        why = ApertiumEngine.available(modes)
        if why is None:
            runtime.engines.add(shared_apertium(modes, timeout, settings.data_dir))
        else:
            runtime.unavailable["apertium"] = why
    else:
        runtime.unavailable["apertium"] = "turned off (DRAGOMAN_APERTIUM=0)"
    if settings.ctranslate2_models_dir:
        models = Path(settings.ctranslate2_models_dir)
        why = CTranslate2Engine.available(models)
        if why is None:
            runtime.engines.add(CTranslate2Engine(models))
        else:
            runtime.unavailable["ctranslate2"] = why
    else:
        runtime.unavailable["ctranslate2"] = "no model directory (set DRAGOMAN_CTRANSLATE2_MODELS)"
    if settings.deepl_api_key:
        runtime.engines.add(DeepLEngine(settings.deepl_api_key, settings.deepl_url, timeout=timeout))
    else:
        runtime.unavailable["deepl"] = "no API key (set DRAGOMAN_DEEPL_API_KEY)"
    if settings.google_translate_api_key:
        runtime.engines.add(GoogleTranslateEngine(settings.google_translate_api_key, settings.google_translate_url, timeout=timeout))
    else:
        runtime.unavailable["google"] = "no API key (set DRAGOMAN_GOOGLE_TRANSLATE_API_KEY)"
    if settings.libretranslate_url:
        runtime.engines.add(LibreTranslateEngine(settings.libretranslate_url, settings.libretranslate_api_key or None, timeout=timeout))
    else:
        runtime.unavailable["libretranslate"] = "no server (set DRAGOMAN_LIBRETRANSLATE_URL)"
    if settings.openai_base_url and settings.openai_model:
        runtime.engines.add(
            OpenAIChatEngine(settings.openai_base_url, settings.openai_model, settings.openai_api_key or None, timeout=timeout)
        )
    else:
        runtime.unavailable["openai"] = "no endpoint (set DRAGOMAN_OPENAI_BASE_URL and DRAGOMAN_OPENAI_MODEL)"
    return runtime
