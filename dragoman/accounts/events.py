"""Events about agents: published by accounts (and inboxes, for an inbox's
teams); routing and the console's live sockets follow them."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import model_validator

from dragoman.core import events
from dragoman.core.events import Payload


class PresenceChanged(Payload, kind=events.PRESENCE_CHANGED):
    """An agent set their availability (or their console closed)."""

    user_id: int
    availability: Literal["online", "away", "break", "offline"]


class MembershipChanged(Payload, kind=events.MEMBERSHIP_CHANGED):
    """What some agents may see or be routed changed: `user_ids` (their role,
    languages, teams, or a team's members), or `inbox_id` (an inbox's teams:
    everyone in the account is looked at again)."""

    user_ids: list[int] | None = None
    inbox_id: int | None = None

    @model_validator(mode="after")
    def _one_of_them(self) -> MembershipChanged:
        if (self.user_ids is None) == (self.inbox_id is None):
            raise ValueError("give either user_ids or inbox_id")
        return self

    def wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True)
