"""The registry of channel kinds: what each kind of inbox can do, and how its
settings are checked, stored and shown.

A channel (web chat, e-mail, later WhatsApp or a phone line) declares one
`ChannelKind` in its own folder (`channels/<name>/kind.py`), and its
feature.py registers it before the first session (a `Feature` registration). Everything outside the channel's folder asks
the registry instead of comparing names: whether an inbox of this kind can
carry files, which of an agent's capacities its work uses, whether the web
chat's website token is needed, how its settings form looks.

The settings schema is a Pydantic model. It checks the settings (a wrong one
is a 422 naming the field, `settings.smtp.port`), says which fields are
secrets (sealed with the install's key when stored, masked when shown, kept
when the mask comes back) and describes the form the console draws
(`describe_kind`, served at GET /api/v1/channel_kinds). Pure: no I/O here
beyond what a kind's own `check` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, get_args, get_origin

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from dragoman.core.errors import InvalidInput
from dragoman.core.outbound import OutboundAllow
from dragoman.core.secrets import seal

# What the API shows instead of a stored secret; sent back, it keeps the secret.
MASK = "********"

# Which of an agent's capacities (routing) a channel's work uses.
RoutingChannel = Literal["chat", "email", "voice"]


def label(en: str, zh: str) -> dict[str, str]:
    """An interface text in the console's languages, written where the
    channel is declared (a new channel brings its own words). Keyed by the
    page's language tag, as ticket fields' labels are (common.js fieldLabel)."""
    return {"en": en, "zh-Hans": zh}


@dataclass(frozen=True)
class Capabilities:
    """What a channel can carry. The console and the features ask this
    rather than the channel's name."""

    text: bool = True
    files: bool = False  # agents may attach files to replies
    templates: bool = False  # outside the reply window only pre-approved templates go out
    read_receipts: bool = False  # the channel reports when the customer read a reply
    reply_window_seconds: int | None = None  # None: a reply may go out whenever
    max_length: int | None = None  # the longest text one message may carry; None: the app's own limit
    threads: bool = False  # replies thread under the customer's message (e-mail headers)
    calls: bool = False  # voice: the work item is a call, not a message


class DeliveryFailed(Exception):
    """A message that did not go out. `permanent`: retrying cannot help (an
    unknown recipient, settings that cannot work); the delivery pipeline
    then marks it failed at once instead of trying again."""

    def __init__(self, reason: str, *, permanent: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


class OutboundAdapter(Protocol):
    """How a channel that delivers later (after the reply is stored) sends
    one message. The delivery pipeline (channels/delivery.py) calls it from a
    durable job and records the outcome on the message."""

    # Waits before each retry of a send that failed for a reason that may pass.
    retry_seconds: tuple[float, ...]

    def send(self, db: Any, message: Any) -> None:
        """Deliver one stored outgoing message (conversations.models.Message).
        Raises DeliveryFailed when it did not go out. May commit (to keep an
        id it must reuse on a retry before anything leaves)."""
        ...


@dataclass(frozen=True)
class ChannelKind:
    name: str  # stored in inboxes.channel_type
    labels: dict[str, str]  # {"en": ..., "zh_Hans": ...}
    capabilities: Capabilities
    routing_channel: RoutingChannel
    # The inbox's channel settings (None: the kind has none beyond the common switches).
    settings_schema: type[BaseModel] | None = None
    # Checks beyond the schema: rules across fields, servers accounts may reach.
    # Raises InvalidInput naming the field.
    check: Callable[[dict[str, Any], OutboundAllow], None] | None = None
    # How a reply reaches the customer: "later", by the channel's adapter from
    # the delivery pipeline after it is stored (e-mail; queued until sent);
    # "push", as it is stored (web chat: the realtime hub; sent at once);
    # "none", not by Dragoman (the API: another system reads it; no status).
    delivery: Literal["later", "push", "none"] = "none"
    # The web chat's widget finds its inbox by a public website token.
    website_token: bool = False
    # Its inboxes may carry the public support form (a form token).
    support_form: bool = False
    # Tickets and mail archives may be imported into its inboxes (`dragoman import-mail`).
    imports_mail: bool = False
    # Switches of the common settings its inbox form offers (see inboxes.services).
    switches: tuple[str, ...] = ("csat",)
    # Its inboxes' servers can be tried from the console (POST …/inboxes/{id}/test_connection).
    connection_test: bool = False

    def label_in(self, locale: str | None) -> str:
        """`locale` as the catalogues name it (zh_Hans) or as a tag (zh-Hans)."""
        return self.labels.get((locale or "en").replace("_", "-")) or self.labels["en"]


_kinds: dict[str, ChannelKind] = {}


def register(kind: ChannelKind) -> None:
    """Called once per kind at start-up (the channel's feature.py); registering
    the same declaration again changes nothing."""
    known = _kinds.get(kind.name)
    if known is not None and known is not kind:
        raise ValueError(f"channel kind {kind.name!r} is registered twice")
    _kinds[kind.name] = kind


def unregister(name: str) -> None:
    """Tests that declared a kind of their own take it away again."""
    _kinds.pop(name, None)


def get_kind(name: str) -> ChannelKind:
    kind = _kinds.get(name)
    if kind is None:
        raise InvalidInput(f"channel_type must be one of {', '.join(sorted(_kinds))}", field="channel_type")
    return kind


def find_kind(name: str | None) -> ChannelKind | None:
    return _kinds.get(name or "")


def all_kinds() -> list[ChannelKind]:
    return list(_kinds.values())


def kinds_where(test: Callable[[ChannelKind], bool]) -> list[str]:
    return [kind.name for kind in _kinds.values() if test(kind)]


def initial_delivery_status(channel_type: str | None) -> str | None:
    """A new reply's delivery status: queued for the pipeline, sent when the
    channel pushes it as it is stored, none where Dragoman does not deliver."""
    kind = find_kind(channel_type)
    if kind is None or kind.delivery == "none":
        return None
    return "queued" if kind.delivery == "later" else "sent"


def routing_channel_of(channel_type: str | None) -> str:
    """The capacity an inbox's work takes (routing); an unknown kind counts as chat."""
    kind = find_kind(channel_type)
    return kind.routing_channel if kind is not None else "chat"


# -- settings: check, seal, mask -------------------------------------------------------------


def _model_of(annotation: Any) -> type[BaseModel] | None:
    """The settings model a field holds (itself, or inside `X | None`)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in get_args(annotation):
        if isinstance(arg, type) and issubclass(arg, BaseModel):
            return arg
    return None


def _extra(info: FieldInfo) -> dict[str, Any]:
    extra = info.json_schema_extra
    return extra if isinstance(extra, dict) else {}


def secret_paths(schema: type[BaseModel], prefix: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """Where the schema keeps secrets (fields marked `secret`), e.g. ("smtp", "password")."""
    for name, info in schema.model_fields.items():
        nested = _model_of(info.annotation)
        if nested is not None:
            yield from secret_paths(nested, (*prefix, name))
        elif _extra(info).get("secret"):
            yield (*prefix, name)


def _map_secret(settings: dict[str, Any], path: tuple[str, ...], change: Callable[[Any, Any], Any], old: dict[str, Any] | None) -> dict[str, Any]:
    """`settings` with the secret at `path` replaced by change(value, old value)."""
    head, rest = path[0], path[1:]
    if head not in settings:
        return settings
    if not rest:
        before = old.get(head) if isinstance(old, dict) else None
        return {**settings, head: change(settings[head], before)}
    inner = settings.get(head)
    if not isinstance(inner, dict):
        return settings
    inner_old = old.get(head) if isinstance(old, dict) else None
    return {**settings, head: _map_secret(inner, rest, change, inner_old if isinstance(inner_old, dict) else None)}


def _all_secret_paths() -> set[tuple[str, ...]]:
    return {path for kind in _kinds.values() if kind.settings_schema for path in secret_paths(kind.settings_schema)}


def mask_secrets(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as the API shows them: every kind's secrets masked, whatever
    the inbox's kind, so a secret typed into the wrong kind never shows."""
    shown = dict(settings)
    for path in _all_secret_paths():
        shown = _map_secret(shown, path, lambda value, _old: MASK if value else value, None)
    return shown


def keep_secrets(new: dict[str, Any], old: dict[str, Any]) -> dict[str, Any]:
    """An update that sends the mask back (a form that showed it) keeps the
    stored secret instead of saving the mask as the secret."""
    kept = dict(new)
    for path in _all_secret_paths():
        kept = _map_secret(kept, path, lambda value, before: before if value == MASK else value, old)
    return kept


def seal_secrets(kind: ChannelKind, settings: dict[str, Any], secret_key: str) -> dict[str, Any]:
    """The settings as stored: each secret sealed with the install's key (core/secrets)."""
    if kind.settings_schema is None:
        return settings
    stored = dict(settings)
    for path in secret_paths(kind.settings_schema):
        stored = _map_secret(stored, path, lambda value, _old: seal(str(value), secret_key) if value and value != MASK else value, None)
    return stored


def check_settings(kind: ChannelKind, settings: dict[str, Any], allow: OutboundAllow) -> None:
    """The kind's own rules first (their messages name the field in the
    channel's words), then the schema's types. Raises InvalidInput."""
    if kind.check is not None:
        kind.check(settings, allow)
    if kind.settings_schema is None:
        return
    try:
        kind.settings_schema.model_validate(settings)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(["settings", *_field_path(kind.settings_schema, first["loc"])])
        raise InvalidInput(f"{where}: {first['msg']}", field=where) from None


def _field_path(schema: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The settings' own names in a Pydantic error's location, without the
    type tags it adds for a field that may be one of several types
    (greeting -> str)."""
    path: list[str] = []
    model: type[BaseModel] | None = schema
    for part in loc:
        if model is None or not isinstance(part, str) or part not in model.model_fields:
            continue
        path.append(part)
        model = _model_of(model.model_fields[part].annotation)
    return path or [str(loc[0])]


# -- the form the console draws ----------------------------------------------------------------


def _field_type(annotation: Any, extra: dict[str, Any]) -> tuple[str, list[str] | None]:
    if extra.get("widget"):
        widget = str(extra["widget"])
    else:
        widget = ""
    if get_origin(annotation) is Literal:
        base: Any = annotation
    else:
        args = [a for a in get_args(annotation) if a is not type(None)] or [annotation]
        base = args[0]
    if get_origin(base) is Literal:
        return widget or "select", [str(v) for v in get_args(base)]
    if base is bool:
        return widget or "checkbox", None
    if base in (int, float):
        return widget or "number", None
    return widget or "text", None


def describe_schema(schema: type[BaseModel], prefix: str = "settings") -> list[dict[str, Any]]:
    """The schema as the console's form builder reads it: one entry per
    field, in order, groups for nested servers, with labels and help in the
    console's languages."""
    fields: list[dict[str, Any]] = []
    for name, info in schema.model_fields.items():
        extra = _extra(info)
        path = f"{prefix}.{name}"
        entry: dict[str, Any] = {
            "name": name,
            "path": path,
            "label": extra.get("label") or label(name, name),
            "help": extra.get("help"),
            "required": info.is_required(),
            "default": None if info.is_required() else info.get_default(call_default_factory=True),
        }
        for key in ("show_when", "fact"):
            if extra.get(key):
                entry[key] = extra[key]
        nested = _model_of(info.annotation)
        if nested is not None:
            entry.update(type="group", fields=describe_schema(nested, path))
        else:
            kind, options = _field_type(info.annotation, extra)
            entry["type"] = kind
            if kind == "number" and float in get_args(info.annotation) + (info.annotation,):
                entry["step"] = "any"
            if options is not None:
                entry["options"] = [{"value": v, "label": (extra.get("option_labels") or {}).get(v) or label(v, v)} for v in options]
            if extra.get("secret"):
                entry["secret"] = True
            for key in ("placeholder", "min", "max", "input", "row"):
                if key in extra:
                    entry[key] = extra[key]
        fields.append(entry)
    return fields


def describe_kind(kind: ChannelKind) -> dict[str, Any]:
    """What GET /api/v1/channel_kinds says about one kind."""
    caps = kind.capabilities
    return {
        "name": kind.name,
        "labels": kind.labels,
        "capabilities": {
            "text": caps.text,
            "files": caps.files,
            "templates": caps.templates,
            "read_receipts": caps.read_receipts,
            "reply_window_seconds": caps.reply_window_seconds,
            "max_length": caps.max_length,
            "threads": caps.threads,
            "calls": caps.calls,
        },
        "routing_channel": kind.routing_channel,
        "delivery": kind.delivery,
        "website_token": kind.website_token,
        "connection_test": kind.connection_test,
        "switches": list(kind.switches),
        "settings": describe_schema(kind.settings_schema) if kind.settings_schema is not None else [],
    }

