"""The visibility rule exists twice, as a pure function (used by the API and
the WebSocket push) and as SQL (used by lists). They must never disagree."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings as hypothesis_settings, strategies as st
from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts.models import Role
from dragoman.accounts.permissions import Viewer, can_view_conversation, visible_conversations_clause
from dragoman.conversations.models import Conversation
from dragoman.core.http import AppContext

world = st.fixed_dictionaries(
    {
        "teams": st.integers(min_value=1, max_value=3),
        # for each inbox: the team indexes that work it
        "inboxes": st.lists(st.sets(st.integers(0, 2), max_size=3), min_size=1, max_size=3),
        # for each user: role and team indexes
        "users": st.lists(
            st.tuples(st.sampled_from(list(Role)), st.sets(st.integers(0, 2), max_size=3)), min_size=1, max_size=4
        ),
        # for each conversation: inbox index, assignee index or None, team index or None
        "conversations": st.lists(
            st.tuples(st.integers(0, 2), st.one_of(st.none(), st.integers(0, 3)), st.one_of(st.none(), st.integers(0, 2))),
            max_size=8,
        ),
    }
)


@hypothesis_settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(spec=world)
def test_sql_filter_and_pure_rule_agree(ctx: AppContext, spec: dict) -> None:  # type: ignore[type-arg]
    from dragoman.accounts import services as accounts
    from dragoman.contacts import services as contacts
    from dragoman.inboxes import services as inboxes

    db: Session = ctx.session_factory()
    try:
        account = accounts.create_account(db, "Acme")
        other = accounts.create_account(db, "Other")
        teams = [accounts.create_team(db, account.id, f"T{i}") for i in range(spec["teams"])]
        inbox_rows = [
            inboxes.create_inbox(db, account.id, name=f"I{i}", team_ids=[teams[t].id for t in worked if t < len(teams)])
            for i, worked in enumerate(spec["inboxes"])
        ]
        users = []
        for index, (role, member_of) in enumerate(spec["users"]):
            users.append(
                accounts.create_user(
                    db,
                    account.id,
                    email=f"u{index}@example.test",
                    name=f"U{index}",
                    password="password123",
                    role=role,
                    team_ids=[teams[t].id for t in member_of if t < len(teams)],
                )
            )
        contact = contacts.create_contact(db, account.id, name="C")
        for inbox_index, assignee_index, team_index in spec["conversations"]:
            inbox = inbox_rows[inbox_index % len(inbox_rows)]
            db.add(
                Conversation(
                    account_id=account.id,
                    inbox_id=inbox.id,
                    contact_id=contact.id,
                    assignee_id=users[assignee_index].id if assignee_index is not None and assignee_index < len(users) else None,
                    team_id=teams[team_index].id if team_index is not None and team_index < len(teams) else None,
                )
            )
        db.flush()
        everything = list(db.scalars(select(Conversation)))
        outsider = Viewer(user_id=10**6, account_id=other.id, role=Role.admin)
        for viewer in [accounts.load_viewer(db, u) for u in users] + [outsider]:
            by_sql = set(db.scalars(select(Conversation.id).where(visible_conversations_clause(viewer, Conversation))))
            by_rule = {
                c.id
                for c in everything
                if can_view_conversation(
                    viewer, account_id=c.account_id, inbox_id=c.inbox_id, assignee_id=c.assignee_id, team_id=c.team_id
                )
            }
            assert by_sql == by_rule, (viewer, by_sql, by_rule)
            if viewer.role in (Role.admin, Role.supervisor) and viewer.account_id == account.id:
                assert by_rule == {c.id for c in everything}
        assert not any(
            can_view_conversation(outsider, account_id=c.account_id, inbox_id=c.inbox_id, assignee_id=None, team_id=None)
            for c in everything
        )
    finally:
        db.rollback()
        db.close()


def test_agent_rule_in_words() -> None:
    agent = Viewer(user_id=1, account_id=1, role=Role.agent, team_ids=frozenset({10}), inbox_ids=frozenset({100}))
    def sees(**kw: object) -> bool:
        base = {"account_id": 1, "inbox_id": 100, "assignee_id": None, "team_id": None}
        base.update(kw)
        return can_view_conversation(agent, **base)  # type: ignore[arg-type]
    assert sees()  # nobody has it yet, in an inbox my team works
    assert sees(assignee_id=1, inbox_id=999)  # mine, wherever it is
    assert sees(team_id=10, assignee_id=7, inbox_id=999)  # my team's, even with a teammate
    assert not sees(team_id=11)  # given to another team
    assert not sees(assignee_id=7)  # a colleague outside my teams has it
    assert not sees(inbox_id=999)  # an inbox my teams do not work
    assert not sees(account_id=2, assignee_id=1)  # another account, whatever the ids
