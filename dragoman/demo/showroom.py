"""What the product's own pages show of the demo: the sign-in page's box of
demo users and the demo store that embeds the chat. demo/feature.py hands `SHOWROOM`
to them (`ctx.services["showroom"]`), so no production module imports demo data."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts.models import Account, User
from dragoman.demo.seed import DEMO_ACCOUNT, DEMO_PASSWORD, DEMO_USERS, demo_website_token


def demo_logins(db: Session) -> list[dict[str, Any]]:
    """The demo users that exist, for the box on the sign-in page."""
    account_id = db.scalar(select(Account.id).where(Account.name == DEMO_ACCOUNT))
    if account_id is None:
        return []
    emails = [spec.email for spec in DEMO_USERS]
    present = set(db.scalars(select(User.email).where(User.account_id == account_id, User.email.in_(emails), User.active)))
    return [
        {"email": spec.email, "name": spec.name, "role": spec.role.value, "teams": list(spec.teams)}
        for spec in DEMO_USERS
        if spec.email in present
    ]


@dataclass(frozen=True)
class Showroom:
    password: str
    logins: Callable[[Session], list[dict[str, Any]]]
    website_token: Callable[[Session], str | None]


SHOWROOM = Showroom(password=DEMO_PASSWORD, logins=demo_logins, website_token=demo_website_token)
