"""Sign-in, sign-out and sessions of the console, through the real app."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select, update

from conftest import DEMO_PASSWORD, DemoWorld
from dragoman.accounts.auth import SESSION_COOKIE
from dragoman.accounts.models import AuthSession
from dragoman.app import create_app
from dragoman.config import Settings
from dragoman.core.clock import utcnow
from dragoman.core.http import AppContext
from dragoman.demo.seed import seed_demo
from dragoman.web.routes import LOGIN_CSRF_COOKIE

LI_WEI = "li.wei@demo.dragoman.test"


def login_token(client: TestClient, **headers: str) -> str:
    """The CSRF token of a freshly loaded sign-in form (its cookie stays in the client)."""
    page = client.get("/login", headers=headers)
    assert page.status_code == 200
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "the sign-in form carries a CSRF token"
    return match.group(1)


def sign_in(client: TestClient, email: str, password: str = DEMO_PASSWORD, **extra: str):  # type: ignore[no-untyped-def]
    form = {"email": email, "password": password, "csrf_token": login_token(client), **extra}
    return client.post("/login", data=form, follow_redirects=False)


@contextmanager
def demo_client(settings: Settings, base_url: str = "http://testserver", **overrides: object) -> Iterator[TestClient]:
    """A client of an app built with changed settings (login limits, cookies), with the demo seeded."""
    app = create_app(dataclasses.replace(settings, **overrides))
    with TestClient(app, base_url=base_url) as client:
        with app.state.ctx.session_factory() as db:
            seed_demo(db)
            db.commit()
        yield client


def session_count(ctx: AppContext) -> int:
    with ctx.session_factory() as db:
        return len(list(db.scalars(select(AuthSession))))


def test_root_sends_visitors_to_login_and_members_to_the_console(client: TestClient, demo: DemoWorld) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    sign_in(client, LI_WEI)
    assert client.get("/", follow_redirects=False).headers["location"] == "/app"


def test_good_password_starts_a_session_with_a_safe_cookie(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    response = sign_in(client, LI_WEI)
    assert response.status_code == 303
    assert response.headers["location"] == "/app"
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain-HTTP demo: a Secure cookie would be dropped
    assert session_count(ctx) == 1
    console = client.get("/app")
    assert console.status_code == 200
    assert 'data-testid="reply-input"' in console.text


def test_session_cookie_is_secure_when_the_site_is_served_over_https(settings: Settings) -> None:
    # Secure cookies only come back over HTTPS, the login form's nonce included.
    with demo_client(settings, base_url="https://testserver", secure_cookies=True) as client:
        response = sign_in(client, LI_WEI)
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(f"{SESSION_COOKIE}="))
    assert "Secure" in cookie


def test_wrong_password_shows_an_error_and_starts_no_session(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    response = sign_in(client, LI_WEI, password="not-the-password")
    assert response.status_code == 401
    assert "The e-mail address or the password is wrong." in response.text
    assert SESSION_COOKIE not in response.cookies
    assert session_count(ctx) == 0
    # The e-mail stays in the form so the person only retypes the password.
    assert f'value="{LI_WEI}"' in response.text


def test_sign_in_without_the_form_token_is_refused(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    login_token(client)  # the nonce cookie is there, the form value is not
    response = client.post("/login", data={"email": LI_WEI, "password": DEMO_PASSWORD}, follow_redirects=False)
    assert response.status_code == 403
    assert "The sign-in form had expired" in response.text
    assert session_count(ctx) == 0


def test_a_forged_form_token_is_refused_not_a_server_error(client: TestClient, demo: DemoWorld) -> None:
    login_token(client)
    form = {"email": LI_WEI, "password": DEMO_PASSWORD, "csrf_token": "令牌"}
    assert client.post("/login", data=form, follow_redirects=False).status_code == 403
    sign_in(client, LI_WEI)
    assert client.post("/logout", data={"csrf_token": "令牌"}, follow_redirects=False).status_code == 403


def test_sign_in_with_a_token_from_another_browser_is_refused(client: TestClient, app, demo: DemoWorld, ctx: AppContext) -> None:  # type: ignore[no-untyped-def]
    # Another browser is another cookie jar on the same server (not a second start of the app).
    foreign_token = login_token(TestClient(app))
    login_token(client)
    response = client.post(
        "/login", data={"email": LI_WEI, "password": DEMO_PASSWORD, "csrf_token": foreign_token}, follow_redirects=False
    )
    assert response.status_code == 403
    client.cookies.delete(LOGIN_CSRF_COOKIE)
    response = client.post(
        "/login", data={"email": LI_WEI, "password": DEMO_PASSWORD, "csrf_token": foreign_token}, follow_redirects=False
    )
    assert response.status_code == 403
    assert session_count(ctx) == 0


def test_failed_sign_ins_are_limited_per_email_even_for_the_right_password(settings: Settings) -> None:
    with demo_client(settings, login_attempts_per_email=3, login_attempts_per_ip=100) as client:
        for _ in range(3):
            assert sign_in(client, LI_WEI, password="guess").status_code == 401
        blocked = sign_in(client, LI_WEI)
        assert blocked.status_code == 429
        assert int(blocked.headers["retry-after"]) > 0
        assert "Too many failed sign-in attempts" in blocked.text
        assert SESSION_COOKIE not in blocked.cookies
        # Another person on the same network is not locked out by li.wei's guesser.
        assert sign_in(client, "maria@demo.dragoman.test").status_code == 303


def test_failed_sign_ins_are_limited_per_address(settings: Settings) -> None:
    with demo_client(settings, login_attempts_per_ip=2, login_attempts_per_email=100) as client:
        assert sign_in(client, "nobody@example.com", password="guess").status_code == 401
        assert sign_in(client, "someone@example.com", password="guess").status_code == 401
        assert sign_in(client, LI_WEI).status_code == 429


def test_rate_limit_message_is_in_the_readers_language(settings: Settings) -> None:
    with demo_client(settings, login_attempts_per_email=1) as client:
        sign_in(client, "x@example.com", password="guess")
        page = client.post(
            "/login",
            data={"email": "x@example.com", "password": "guess", "csrf_token": login_token(client)},
            headers={"Accept-Language": "zh-CN,zh;q=0.9"},
        )
    assert page.status_code == 429
    assert "登录失败次数过多" in page.text


def test_next_path_is_followed_only_on_this_site(client: TestClient, demo: DemoWorld) -> None:
    assert sign_in(client, LI_WEI, next="/app?conversation=7").headers["location"] == "/app?conversation=7"
    client.cookies.clear()
    assert sign_in(client, LI_WEI, next="//evil.example/phish").headers["location"] == "/app"
    client.cookies.clear()
    assert sign_in(client, LI_WEI, next="https://evil.example/").headers["location"] == "/app"


def test_console_without_a_session_goes_to_login_and_comes_back(client: TestClient) -> None:
    response = client.get("/app?conversation=5", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fapp%3Fconversation%3D5"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/app?conversation=5"' in page.text


def test_expired_session_sends_the_browser_back_to_login(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    sign_in(client, LI_WEI)
    with ctx.session_factory() as db:
        db.execute(update(AuthSession).values(expires_at=utcnow() - timedelta(minutes=1)))
        db.commit()
    response = client.get("/app", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login")
    assert client.get("/api/v1/profile").status_code == 401
    assert session_count(ctx) == 0  # the expired row is gone


def test_logout_needs_the_csrf_token_and_ends_the_session(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    sign_in(client, LI_WEI)
    csrf = client.get("/api/v1/profile").json()["csrf_token"]
    refused = client.post("/logout", data={}, follow_redirects=False)
    assert refused.status_code == 403
    assert session_count(ctx) == 1
    done = client.post("/logout", data={"csrf_token": csrf}, follow_redirects=False)
    assert done.status_code == 303
    assert done.headers["location"] == "/login"
    assert session_count(ctx) == 0
    assert client.get("/app", follow_redirects=False).status_code == 303


def test_login_page_shows_demo_credentials_only_when_the_demo_exists(client: TestClient, ctx: AppContext) -> None:
    assert 'data-testid="demo-credentials"' not in client.get("/login").text
    with ctx.session_factory() as db:
        seed_demo(db)
        db.commit()
    page = client.get("/login").text
    assert 'data-testid="demo-credentials"' in page
    assert LI_WEI in page and "admin@demo.dragoman.test" in page
    assert DEMO_PASSWORD in page


def test_one_address_in_two_accounts_signs_in_where_the_password_fits(client: TestClient, demo: DemoWorld, ctx: AppContext) -> None:
    """E-mails are unique per account: Li Wei also works for another company
    on this install. The password picks the account; when it fits both, the
    form asks which one, naming only those accounts."""
    from dragoman.accounts import services as accounts
    from dragoman.accounts.models import User

    with ctx.session_factory() as db:
        other = accounts.create_account(db, "Other Shop")
        accounts.create_user(db, other.id, email=LI_WEI, name="Li Wei (Other Shop)", password="a-different-pass")
        db.commit()
        other_id = other.id

    def signed_in_account(response) -> int:  # type: ignore[no-untyped-def]
        assert response.status_code == 303, response.text
        return int(client.get("/api/v1/profile").json()["account_id"])

    assert signed_in_account(sign_in(client, LI_WEI)) == demo.account_id
    client.cookies.clear()
    assert signed_in_account(sign_in(client, LI_WEI, password="a-different-pass")) == other_id
    client.cookies.clear()
    assert sign_in(client, LI_WEI, password="wrong-for-both").status_code == 401

    # The same password in both: choose.
    with ctx.session_factory() as db:
        user = db.scalar(select(User).where(User.account_id == other_id))
        user.password_hash = accounts.hash_password(DEMO_PASSWORD)
        db.commit()
    client.cookies.clear()
    asked = sign_in(client, LI_WEI)
    assert asked.status_code == 200 and SESSION_COOKIE not in asked.cookies
    assert "signs in to several accounts" in asked.text
    assert re.findall(r'<option value="(\d+)">([^<]+)</option>', asked.text) == [(str(demo.account_id), "Dragoman Demo Store"), (str(other_id), "Other Shop")]
    assert signed_in_account(sign_in(client, LI_WEI, account_id=str(other_id))) == other_id
    client.cookies.clear()
    assert signed_in_account(sign_in(client, LI_WEI, account_id=str(demo.account_id))) == demo.account_id
