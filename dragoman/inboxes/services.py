"""Inboxes and the teams that work them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from dragoman.accounts.events import MembershipChanged
from dragoman.accounts.models import InboxTeam, Team
from dragoman.core import events
from dragoman.core.errors import InvalidInput, NotFound
from dragoman.core.outbound import OutboundAllow
from dragoman.core.security import new_token
from dragoman.core.validation import require_text
from dragoman.inboxes import channel_kinds
from dragoman.inboxes.events import InboxUpdated
from dragoman.inboxes.models import Inbox


def shown_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings as the API shows them: every channel kind's secrets masked,
    whatever the inbox's kind, so a secret typed into the wrong kind never shows."""
    return channel_kinds.mask_secrets(settings)


def create_inbox(
    db: Session,
    account_id: int,
    *,
    name: str,
    channel_type: str = "webchat",
    team_ids: Sequence[int] = (),
    settings: dict[str, Any] | None = None,
    secret_key: str | None = None,
    outbound_allow: OutboundAllow = OutboundAllow(),
) -> Inbox:
    """`secret_key`: seals an e-mail inbox's passwords before they are stored.
    `outbound_allow`: the install's allow-list for the mail servers an e-mail
    inbox names; by default only public ones."""
    kind = channel_kinds.get_kind(channel_type)
    settings = dict(settings or {})
    check_common_settings(settings)
    # Refuses a bad setting, or a server accounts may not reach, before anything is stored.
    channel_kinds.check_settings(kind, settings, outbound_allow)
    if kind.support_form:
        settings = with_form_token(settings)
    if secret_key:
        settings = channel_kinds.seal_secrets(kind, settings, secret_key)
    inbox = Inbox(
        account_id=account_id,
        name=require_text(name, "name", max_length=200),
        channel_type=channel_type,
        website_token=new_token(18) if kind.website_token else None,
        settings=settings,
    )
    db.add(inbox)
    db.flush()
    set_inbox_teams(db, inbox, team_ids)
    events.record_event(db, events.Event(inbox.account_id, InboxUpdated(inbox_id=inbox.id)))
    return inbox


def update_inbox(
    db: Session,
    inbox: Inbox,
    *,
    name: str | None = None,
    team_ids: Sequence[int] | None = None,
    settings: dict[str, Any] | None = None,
    secret_key: str | None = None,
    outbound_allow: OutboundAllow = OutboundAllow(),
) -> Inbox:
    if name is not None:
        inbox.name = require_text(name, "name", max_length=200)
    if settings is not None:
        check_common_settings(settings)
        merged = channel_kinds.keep_secrets({**(inbox.settings or {}), **settings}, dict(inbox.settings or {}))
        kind = channel_kinds.find_kind(inbox.channel_type)
        if kind is not None:
            channel_kinds.check_settings(kind, merged, outbound_allow)
            if kind.support_form:
                merged = with_form_token(merged)
            if secret_key:
                merged = channel_kinds.seal_secrets(kind, merged, secret_key)
        inbox.settings = merged
        events.record_event(db, events.Event(inbox.account_id, InboxUpdated(inbox_id=inbox.id)))
    if team_ids is not None:
        set_inbox_teams(db, inbox, team_ids)
    db.flush()
    return inbox


# Switches every channel may carry, and the FAQ bot's hand-off threshold.
_SWITCHES = ("bot", "csat", "web_form", "customer_files")
_THRESHOLDS = ("bot_threshold", "bot_words_threshold")


def check_common_settings(settings: dict[str, Any]) -> None:
    """The settings the features read from any inbox: switches are true or
    false, and the bot's thresholds (its score below which a person answers)
    numbers from 0 to 1, or null for the default."""
    for name in _SWITCHES:
        if name in settings and not isinstance(settings[name], bool):
            raise InvalidInput(f"settings.{name} must be true or false", field=f"settings.{name}")
    # One threshold per way the bot scores (embeddings, or words only), since
    # the two scales differ: kb.retrieval.THRESHOLD_SETTINGS.
    for name in _THRESHOLDS:
        threshold = settings.get(name)
        if threshold is not None and (
            isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1
        ):
            raise InvalidInput(f"settings.{name} must be a number from 0 to 1, or null for the default", field=f"settings.{name}")


def with_form_token(settings: dict[str, Any]) -> dict[str, Any]:
    """An inbox with the public support form on gets the token its address
    carries (/support/{form_token}); kept when the form is turned off and on."""
    if settings.get("web_form") and not settings.get("form_token"):
        return {**settings, "form_token": new_token(18)}
    return settings


def set_inbox_teams(db: Session, inbox: Inbox, team_ids: Sequence[int]) -> None:
    wanted = set(team_ids)
    if wanted:
        found = set(db.scalars(select(Team.id).where(Team.account_id == inbox.account_id, Team.id.in_(wanted))))
        missing = wanted - found
        if missing:
            raise NotFound(f"team {min(missing)} not found", field="team_ids")
    db.execute(delete(InboxTeam).where(InboxTeam.inbox_id == inbox.id))
    for team_id in sorted(wanted):
        db.add(InboxTeam(inbox_id=inbox.id, team_id=team_id))
    db.flush()
    events.record_event(db, events.Event(inbox.account_id, MembershipChanged(inbox_id=inbox.id)))


def inbox_team_ids(db: Session, inbox_id: int) -> list[int]:
    return list(db.scalars(select(InboxTeam.team_id).where(InboxTeam.inbox_id == inbox_id).order_by(InboxTeam.team_id)))


def get_inbox(db: Session, account_id: int, inbox_id: int) -> Inbox:
    inbox = db.get(Inbox, inbox_id)
    if inbox is None or inbox.account_id != account_id:
        raise NotFound(f"inbox {inbox_id} not found", field="inbox_id")
    return inbox


def get_inbox_by_website_token(db: Session, website_token: str) -> Inbox:
    inbox = db.scalar(select(Inbox).where(Inbox.website_token == website_token))
    if inbox is None:
        raise NotFound("no chat inbox has this website token", field="website_token")
    return inbox


def list_inboxes(db: Session, account_id: int) -> list[Inbox]:
    return list(db.scalars(select(Inbox).where(Inbox.account_id == account_id).order_by(Inbox.id)))
