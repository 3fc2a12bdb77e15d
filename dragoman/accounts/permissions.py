"""Who may see what. Pure functions: no I/O, used by the API, the list
queries and the WebSocket push alike, so the three can never disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, false, or_

from dragoman.accounts.models import Role


@dataclass(frozen=True)
class Viewer:
    """A signed-in person, with the memberships that decide visibility."""

    user_id: int
    account_id: int
    role: Role
    name: str = ""
    team_ids: frozenset[int] = field(default_factory=frozenset)
    # Inboxes worked by any of the viewer's teams.
    inbox_ids: frozenset[int] = field(default_factory=frozenset)

    @property
    def sees_whole_account(self) -> bool:
        return self.role in (Role.admin, Role.supervisor)

    @property
    def is_admin(self) -> bool:
        return self.role is Role.admin


def can_view_conversation(
    viewer: Viewer, *, account_id: int, inbox_id: int, assignee_id: int | None, team_id: int | None
) -> bool:
    """An agent sees what is assigned to them or to their teams, and what
    nobody has taken yet in an inbox their teams work. Supervisors and admins
    see the whole account."""
    if account_id != viewer.account_id:
        return False
    if viewer.sees_whole_account:
        return True
    if assignee_id == viewer.user_id:
        return True
    if team_id is not None and team_id in viewer.team_ids:
        return True
    return assignee_id is None and team_id is None and inbox_id in viewer.inbox_ids


def visible_conversations_clause(viewer: Viewer, conversation: type) -> ColumnElement[bool]:
    """The SQL form of `can_view_conversation`, for list queries."""
    same_account = conversation.account_id == viewer.account_id
    if viewer.sees_whole_account:
        return same_account
    mine = conversation.assignee_id == viewer.user_id
    my_teams = conversation.team_id.in_(viewer.team_ids) if viewer.team_ids else false()
    untaken_in_my_inboxes = (
        and_(conversation.assignee_id.is_(None), conversation.team_id.is_(None), conversation.inbox_id.in_(viewer.inbox_ids))
        if viewer.inbox_ids
        else false()
    )
    return and_(same_account, or_(mine, my_teams, untaken_in_my_inboxes))
