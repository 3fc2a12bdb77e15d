"""Accounts, users, teams, vendors, logins and API tokens."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from dragoman.accounts.models import (
    Account,
    ApiToken,
    AuthSession,
    Availability,
    InboxTeam,
    Role,
    Team,
    TeamMember,
    User,
    UserLanguage,
    Vendor,
)
from dragoman.accounts.events import MembershipChanged, PresenceChanged
from dragoman.accounts.permissions import Viewer
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.security import (
    DUMMY_PASSWORD_HASH,
    hash_password,
    hash_token,
    new_token,
    verify_password,
)
from dragoman.core.validation import require_email, require_language, require_text

MIN_PASSWORD_LENGTH = 8
UI_LOCALES = ("en", "zh_Hans")


@dataclass(frozen=True)
class LanguageSkill:
    language: str
    reading: int = 0
    writing: int = 0
    speaking: int = 0


def create_account(db: Session, name: str, default_locale: str = "en") -> Account:
    account = Account(name=require_text(name, "name", max_length=200), default_locale=default_locale)
    db.add(account)
    db.flush()
    return account


def get_account(db: Session, account_id: int) -> Account:
    account = db.get(Account, account_id)
    if account is None:
        raise NotFound(f"account {account_id} not found")
    return account


def _check_languages(languages: Iterable[LanguageSkill]) -> list[UserLanguage]:
    rows: list[UserLanguage] = []
    seen: set[str] = set()
    for index, skill in enumerate(languages):
        code = require_language(skill.language, f"languages[{index}].language")
        if code in seen:
            raise InvalidInput(f"language {code} is listed twice", field=f"languages[{index}].language")
        seen.add(code)
        for mode in ("reading", "writing", "speaking"):
            level = getattr(skill, mode)
            if not isinstance(level, int) or not 0 <= level <= 5:
                raise InvalidInput(f"{mode} must be 0 to 5", field=f"languages[{index}].{mode}")
        rows.append(UserLanguage(language=code, reading=skill.reading, writing=skill.writing, speaking=skill.speaking))
    return rows


def _check_ui_locale(value: str | None) -> str | None:
    if value is None or value == "":
        return None
    if value not in UI_LOCALES:
        raise InvalidInput(f"ui_locale must be one of {', '.join(UI_LOCALES)}", field="ui_locale")
    return value


def create_user(
    db: Session,
    account_id: int,
    *,
    email: str,
    name: str,
    password: str,
    role: Role | str = Role.agent,
    languages: Sequence[LanguageSkill] = (),
    team_ids: Sequence[int] = (),
    working_language: str = "en",
    ui_locale: str | None = None,
    timezone: str = "UTC",
) -> User:
    email = require_email(email)
    if db.scalar(select(User.id).where(User.account_id == account_id, User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} already exists in this account", field="email")
    if len(password or "") < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
    try:
        role = Role(role)
    except ValueError:
        raise InvalidInput("role must be admin, supervisor or agent", field="role") from None
    user = User(
        account_id=account_id,
        email=email,
        name=require_text(name, "name", max_length=200),
        password_hash=hash_password(password),
        role=role,
        working_language=require_language(working_language, "working_language"),
        ui_locale=_check_ui_locale(ui_locale),
        timezone=timezone or "UTC",
        availability=Availability.offline,
    )
    user.languages = _check_languages(languages)
    db.add(user)
    db.flush()
    if team_ids:
        set_user_teams(db, user, team_ids)
    return user


def _keep_an_admin(db: Session, user: User, field: str) -> None:
    """An account must keep one active admin: the last one cannot step down or
    be switched off (nobody could then manage people, inboxes or settings)."""
    if user.role is not Role.admin or not user.active:
        return
    others = db.scalar(
        select(func.count(User.id)).where(
            User.account_id == user.account_id, User.role == Role.admin, User.active.is_(True), User.id != user.id
        )
    )
    if not others:
        raise Conflict("the account's last active admin must stay an active admin; make someone else admin first", field=field)


def update_user(
    db: Session,
    user: User,
    *,
    name: str | None = None,
    role: Role | str | None = None,
    password: str | None = None,
    languages: Sequence[LanguageSkill] | None = None,
    team_ids: Sequence[int] | None = None,
    working_language: str | None = None,
    ui_locale: str | None = "",
    timezone: str | None = None,
    active: bool | None = None,
) -> User:
    if name is not None:
        user.name = require_text(name, "name", max_length=200)
    if role is not None:
        try:
            new_role = Role(role)
        except ValueError:
            raise InvalidInput("role must be admin, supervisor or agent", field="role") from None
        if new_role is not Role.admin:
            _keep_an_admin(db, user, "role")
        user.role = new_role
    if active is False:
        _keep_an_admin(db, user, "active")
    if password is not None:
        if len(password) < MIN_PASSWORD_LENGTH:
            raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters", field="password")
        user.password_hash = hash_password(password)
    if languages is not None:
        user.languages = _check_languages(languages)
    if working_language is not None:
        user.working_language = require_language(working_language, "working_language")
    if ui_locale != "":
        user.ui_locale = _check_ui_locale(ui_locale)
    if timezone is not None:
        user.timezone = timezone
    if active is not None:
        user.active = active
        if not active:
            db.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    if team_ids is not None:
        set_user_teams(db, user, team_ids)  # records the membership change itself
    elif languages is not None or role is not None or active is not None:
        # What this agent may see (role, active) and be routed (languages)
        # changed: live sockets reload the viewer and routing the agent.
        events.record_event(db, events.Event(user.account_id, MembershipChanged(user_ids=[user.id])))
    db.flush()
    return user


def get_user(db: Session, account_id: int, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None or user.account_id != account_id:
        raise NotFound(f"agent {user_id} not found", field="assignee_id")
    return user


def list_users(db: Session, account_id: int) -> list[User]:
    return list(db.scalars(select(User).where(User.account_id == account_id).order_by(User.name)))


def user_team_ids(db: Session, user_id: int) -> list[int]:
    return list(db.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id).order_by(TeamMember.team_id)))


def set_user_teams(db: Session, user: User, team_ids: Sequence[int]) -> None:
    wanted = set(team_ids)
    if wanted:
        found = set(db.scalars(select(Team.id).where(Team.account_id == user.account_id, Team.id.in_(wanted))))
        missing = wanted - found
        if missing:
            raise NotFound(f"team {min(missing)} not found", field="team_ids")
    db.execute(delete(TeamMember).where(TeamMember.user_id == user.id))
    for team_id in sorted(wanted):
        db.add(TeamMember(team_id=team_id, user_id=user.id))
    db.flush()
    events.record_event(db, events.Event(user.account_id, MembershipChanged(user_ids=[user.id])))


def set_availability(db: Session, user: User, availability: Availability | str) -> User:
    try:
        user.availability = Availability(availability)
    except ValueError:
        raise InvalidInput("availability must be online, away, break or offline", field="availability") from None
    db.flush()
    events.record_event(
        db, events.Event(user.account_id, PresenceChanged(user_id=user.id, availability=user.availability.value))
    )
    return user


def console_closed(db: Session, user_id: int) -> None:
    """The agent's last console closed (and stayed closed through the grace
    period): they go offline, their presence kept to restore next time."""
    user = db.get(User, user_id)
    if user is None or user.availability is Availability.offline:
        return
    user.last_availability = user.availability
    set_availability(db, user, Availability.offline)


def console_opened(db: Session, user_id: int) -> None:
    """A console opened while the agent was offline because their console had
    closed: their last presence comes back (an agent who chose offline stays so)."""
    user = db.get(User, user_id)
    if user is None or not user.active or user.availability is not Availability.offline:
        return
    if user.last_availability is None or user.last_availability is Availability.offline:
        return
    set_availability(db, user, user.last_availability)


def load_viewer(db: Session, user: User) -> Viewer:
    team_ids = frozenset(user_team_ids(db, user.id))
    inbox_ids: frozenset[int] = frozenset()
    if team_ids:
        inbox_ids = frozenset(db.scalars(select(InboxTeam.inbox_id).where(InboxTeam.team_id.in_(team_ids))))
    return Viewer(
        user_id=user.id,
        account_id=user.account_id,
        role=user.role,
        name=user.name,
        team_ids=team_ids,
        inbox_ids=inbox_ids,
    )


# -- teams and vendors ------------------------------------------------------


def create_vendor(db: Session, account_id: int, name: str) -> Vendor:
    name = require_text(name, "name", max_length=200)
    if db.scalar(select(Vendor.id).where(Vendor.account_id == account_id, Vendor.name == name)) is not None:
        raise Conflict(f"a vendor named {name!r} already exists", field="name")
    vendor = Vendor(account_id=account_id, name=name)
    db.add(vendor)
    db.flush()
    return vendor


def list_vendors(db: Session, account_id: int) -> list[Vendor]:
    return list(db.scalars(select(Vendor).where(Vendor.account_id == account_id).order_by(Vendor.name)))


def create_team(db: Session, account_id: int, name: str, vendor_id: int | None = None) -> Team:
    name = require_text(name, "name", max_length=200)
    if db.scalar(select(Team.id).where(Team.account_id == account_id, Team.name == name)) is not None:
        raise Conflict(f"a team named {name!r} already exists", field="name")
    _check_vendor(db, account_id, vendor_id)
    team = Team(account_id=account_id, name=name, vendor_id=vendor_id)
    db.add(team)
    db.flush()
    return team


def _check_vendor(db: Session, account_id: int, vendor_id: int | None) -> None:
    if vendor_id is None:
        return
    vendor = db.get(Vendor, vendor_id)
    if vendor is None or vendor.account_id != account_id:
        raise NotFound(f"vendor {vendor_id} not found", field="vendor_id")


def update_team(
    db: Session, team: Team, *, name: str | None = None, vendor_id: int | None | str = "unchanged"
) -> Team:
    if name is not None:
        team.name = require_text(name, "name", max_length=200)
    if vendor_id != "unchanged":
        assert vendor_id is None or isinstance(vendor_id, int)
        _check_vendor(db, team.account_id, vendor_id)
        team.vendor_id = vendor_id
    db.flush()
    return team


def get_team(db: Session, account_id: int, team_id: int) -> Team:
    team = db.get(Team, team_id)
    if team is None or team.account_id != account_id:
        raise NotFound(f"team {team_id} not found", field="team_id")
    return team


def list_teams(db: Session, account_id: int) -> list[Team]:
    return list(db.scalars(select(Team).where(Team.account_id == account_id).order_by(Team.name)))


def team_member_ids(db: Session, team_id: int) -> list[int]:
    return list(db.scalars(select(TeamMember.user_id).where(TeamMember.team_id == team_id).order_by(TeamMember.user_id)))


def set_team_members(db: Session, team: Team, user_ids: Sequence[int]) -> None:
    wanted = set(user_ids)
    if wanted:
        found = set(db.scalars(select(User.id).where(User.account_id == team.account_id, User.id.in_(wanted))))
        missing = wanted - found
        if missing:
            raise NotFound(f"agent {min(missing)} not found", field="user_ids")
    before = set(team_member_ids(db, team.id))
    db.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
    for user_id in sorted(wanted):
        db.add(TeamMember(team_id=team.id, user_id=user_id))
    db.flush()
    events.record_event(db, events.Event(team.account_id, MembershipChanged(user_ids=sorted(before | wanted))))


# -- logins -----------------------------------------------------------------


class SeveralAccounts(Exception):
    """The e-mail and password sign in to more than one account: the person
    chooses one (only someone who knows the password learns the names)."""

    def __init__(self, accounts: list[tuple[int, str]]) -> None:
        super().__init__("choose the account to sign in to")
        self.accounts = accounts


def authenticate(db: Session, email: str, password: str, account_id: int | None = None) -> User | None:
    """The active user with this e-mail and password. E-mails are unique per
    account, so one address may belong to users of several accounts: the
    password picks among them, and `account_id` when it fits several
    (otherwise SeveralAccounts). None when nothing fits; every candidate's
    password is checked, and a dummy one when there is none, so the time
    taken does not say whether the address exists."""
    statement = select(User).where(User.email == (email or "").strip().lower(), User.active)
    if account_id is not None:
        statement = statement.where(User.account_id == account_id)
    candidates = list(db.scalars(statement.order_by(User.account_id)))
    if not candidates:
        verify_password(password or "", DUMMY_PASSWORD_HASH)
        return None
    matching = [user for user in candidates if verify_password(password or "", user.password_hash)]
    if len(matching) > 1:
        raise SeveralAccounts([(user.account_id, db.get(Account, user.account_id).name) for user in matching])  # type: ignore[union-attr]
    return matching[0] if matching else None


def start_session(db: Session, user: User, hours: int) -> tuple[str, AuthSession]:
    token = new_token()
    now = utcnow()
    auth_session = AuthSession(
        token_hash=hash_token(token),
        user_id=user.id,
        csrf_token=new_token(24),
        created_at=now,
        expires_at=now + timedelta(hours=hours),
    )
    db.add(auth_session)
    db.flush()
    return token, auth_session


def resolve_session(db: Session, token: str) -> tuple[User, AuthSession] | None:
    auth_session = db.get(AuthSession, hash_token(token))
    if auth_session is None:
        return None
    if auth_session.expires_at <= utcnow():
        db.delete(auth_session)
        return None
    user = db.get(User, auth_session.user_id)
    if user is None or not user.active:
        return None
    return user, auth_session


def end_session(db: Session, token: str) -> None:
    db.execute(delete(AuthSession).where(AuthSession.token_hash == hash_token(token)))


# -- API tokens -------------------------------------------------------------

API_TOKEN_PREFIX = "dgm_"


def create_api_token(db: Session, user: User, name: str) -> tuple[str, ApiToken]:
    """Returns the token once; only its hash is kept."""
    token = API_TOKEN_PREFIX + new_token()
    row = ApiToken(
        account_id=user.account_id,
        user_id=user.id,
        name=require_text(name, "name", max_length=200),
        token_hash=hash_token(token),
        prefix=token[:10],
    )
    db.add(row)
    db.flush()
    return token, row


def resolve_api_token(db: Session, token: str) -> User | None:
    row = db.scalar(select(ApiToken).where(ApiToken.token_hash == hash_token(token)))
    if row is None or row.revoked_at is not None:
        return None
    user = db.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = utcnow()
    # Written at most once a minute: a busy integration should not turn every
    # read into a write.
    if row.last_used_at is None or now - row.last_used_at > timedelta(minutes=1):
        row.last_used_at = now
    return user


def list_api_tokens(db: Session, viewer: Viewer) -> list[ApiToken]:
    query = select(ApiToken).where(ApiToken.account_id == viewer.account_id, ApiToken.revoked_at.is_(None))
    if not viewer.is_admin:
        query = query.where(ApiToken.user_id == viewer.user_id)
    return list(db.scalars(query.order_by(ApiToken.id)))


def revoke_api_token(db: Session, viewer: Viewer, token_id: int) -> None:
    row = db.get(ApiToken, token_id)
    if (
        row is None
        or row.account_id != viewer.account_id
        or row.revoked_at is not None
        or (not viewer.is_admin and row.user_id != viewer.user_id)
    ):
        raise NotFound(f"API token {token_id} not found")
    row.revoked_at = utcnow()
    db.flush()
