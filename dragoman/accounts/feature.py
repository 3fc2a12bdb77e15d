"""Accounts, agents, teams, API tokens and signing in."""

from __future__ import annotations

from dragoman.accounts import routes
from dragoman.core.features import Feature, Plugged
from dragoman.core.http import AppContext


def plug(_ctx: AppContext) -> Plugged:
    return Plugged(routers=[routes.router])


FEATURE = Feature(
    name="accounts",
    plug=plug,
    models=("dragoman.accounts.models",),
    # Read where the app makes the sign-in limiters (AppContext.login_limiter_*).
    settings=("login_attempts_per_ip", "login_attempts_per_email", "login_window_seconds"),
)
