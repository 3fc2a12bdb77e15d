"""The demo account `make run` shows. Safe to run again: nothing is duplicated."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.accounts.models import Account, Role, Team, User
from dragoman.accounts.services import LanguageSkill
from dragoman.canned import services as canned
from dragoman.canned.schemas import CannedReplyIn
from dragoman.demo.canned import DEMO_CANNED_REPLIES
from dragoman.inboxes import services as inboxes
from dragoman.inboxes.models import Inbox
from dragoman.kb import services as kb
from dragoman.kb.portable import demo_knowledge_base

DEMO_ACCOUNT = "Dragoman Demo Store"
DEMO_PASSWORD = "dragoman-demo"


@dataclass(frozen=True)
class DemoUser:
    email: str
    name: str
    role: Role
    teams: tuple[str, ...]
    languages: tuple[LanguageSkill, ...]
    working_language: str
    ui_locale: str | None = None


DEMO_USERS: tuple[DemoUser, ...] = (
    DemoUser("admin@demo.dragoman.test", "Ada Admin", Role.admin, (), (LanguageSkill("en", 5, 5, 5),), "en"),
    DemoUser(
        "supervisor@demo.dragoman.test",
        "Sofia Supervisor",
        Role.supervisor,
        (),
        (LanguageSkill("en", 5, 5, 5), LanguageSkill("es", 5, 5, 5)),
        "en",
    ),
    DemoUser(
        "li.wei@demo.dragoman.test",
        "Li Wei",
        Role.agent,
        ("Tech support",),
        (LanguageSkill("zh-Hans", 5, 5, 5), LanguageSkill("en", 4, 3, 3)),
        "zh-Hans",
        "zh_Hans",
    ),
    DemoUser(
        "maria@demo.dragoman.test",
        "María García",
        Role.agent,
        ("Sales",),
        (LanguageSkill("es", 5, 5, 5), LanguageSkill("en", 5, 4, 4), LanguageSkill("pt", 3, 2, 2)),
        "es",
    ),
    DemoUser(
        "sam@demo.dragoman.test",
        "Sam Taylor",
        Role.agent,
        ("Sales",),
        (LanguageSkill("en", 5, 5, 5), LanguageSkill("de", 3, 2, 2)),
        "en",
    ),
    DemoUser(
        "ana@demo.dragoman.test",
        "Ana Santos",
        Role.agent,
        ("Tech support",),
        (LanguageSkill("en", 5, 4, 4), LanguageSkill("tl", 5, 5, 5), LanguageSkill("es", 3, 3, 2)),
        "en",
    ),
)

# Tech support is staffed by an outsourcing vendor, as many teams are.
DEMO_TEAMS: dict[str, str | None] = {"Sales": None, "Tech support": "Manila Support Partners"}


@dataclass(frozen=True)
class DemoSummary:
    account_id: int
    inbox_id: int
    website_token: str
    created: bool


def seed_demo(db: Session) -> DemoSummary:
    account = db.scalar(select(Account).where(Account.name == DEMO_ACCOUNT))
    created = account is None
    if account is None:
        account = accounts.create_account(db, DEMO_ACCOUNT)
    teams: dict[str, Team] = {t.name: t for t in accounts.list_teams(db, account.id)}
    vendors = {v.name: v for v in accounts.list_vendors(db, account.id)}
    for team_name, vendor_name in DEMO_TEAMS.items():
        if team_name in teams:
            continue
        vendor_id = None
        if vendor_name:
            vendor = vendors.get(vendor_name) or accounts.create_vendor(db, account.id, vendor_name)
            vendors[vendor_name] = vendor
            vendor_id = vendor.id
        teams[team_name] = accounts.create_team(db, account.id, team_name, vendor_id)
    for spec in DEMO_USERS:
        if db.scalar(select(User.id).where(User.account_id == account.id, User.email == spec.email)) is not None:
            continue
        accounts.create_user(
            db,
            account.id,
            email=spec.email,
            name=spec.name,
            password=DEMO_PASSWORD,
            role=spec.role,
            languages=spec.languages,
            team_ids=[teams[name].id for name in spec.teams],
            working_language=spec.working_language,
            ui_locale=spec.ui_locale,
        )
    inbox = db.scalar(select(Inbox).where(Inbox.account_id == account.id, Inbox.channel_type == "webchat"))
    if inbox is None:
        inbox = inboxes.create_inbox(
            db,
            account.id,
            name="Website chat",
            channel_type="webchat",
            team_ids=[team.id for team in teams.values()],
            settings={"greeting": "Hi! How can we help you today?", "bot": True, "csat": True, "customer_files": True},
        )
    else:
        # A demo seeded before the FAQ bot (or surveys) existed gets them; an admin's "false" stays.
        added = {key: True for key in ("bot", "csat") if key not in (inbox.settings or {})}
        if added:
            inbox.settings = {**(inbox.settings or {}), **added}
    # The store's help center and the bot's answers, in eight languages; only
    # into an empty knowledge base, so an admin's edits are never overwritten.
    if not kb.list_articles(db, account.id):
        kb.import_knowledge_base(db, account.id, demo_knowledge_base())
    # Saved replies, likewise only where the account has none.
    if not canned.list_canned_replies(db, account.id):
        for reply in DEMO_CANNED_REPLIES:
            canned.save_canned_reply(db, account.id, CannedReplyIn.model_validate(reply))
    db.flush()
    assert inbox.website_token is not None
    return DemoSummary(account_id=account.id, inbox_id=inbox.id, website_token=inbox.website_token, created=created)


def demo_website_token(db: Session) -> str | None:
    return db.scalar(
        select(Inbox.website_token)
        .join(Account, Account.id == Inbox.account_id)
        .where(Account.name == DEMO_ACCOUNT, Inbox.channel_type == "webchat")
        .order_by(Inbox.id)
        .limit(1)
    )
