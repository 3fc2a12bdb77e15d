"""The e-mail channel: replies sent after commit, IMAP mailboxes read, the
SMTP listener, and the settings of e-mail inboxes."""

from __future__ import annotations

from dragoman.channels.email import routes
from dragoman.channels.email.catcher import MailCatcher
from dragoman.channels.email.inbox_settings import EMAIL_INBOX_SETTINGS
from dragoman.channels.email.runtime import EmailRuntime
from dragoman.conversations.events import MessageCreated
from dragoman.core.features import Feature, Plugged, Subscription, runtime
from dragoman.core.http import AppContext
from dragoman.core.outbound import OutboundAllow, parse_allow
from dragoman.inboxes.events import InboxUpdated
from dragoman.inboxes.services import register_channel_settings


def plug(ctx: AppContext) -> Plugged:
    settings = ctx.settings

    def outbound_allow() -> OutboundAllow:
        return parse_allow(settings.outbound_allow)

    email = EmailRuntime(
        ctx.session_factory,
        settings.data_dir,
        smtp_listen=settings.smtp_listen,
        secret_key=settings.secret_key,
        outbound_allow=outbound_allow,
        catcher=MailCatcher(settings.data_dir / "mail-caught") if settings.mail_catcher else None,
    )
    return Plugged(
        routers=[routes.router],
        listeners=[Subscription(email.on_event, (MessageCreated, InboxUpdated))],
        runtimes=[runtime("email", email)],
        services={"email": email},
    )


def _email_inbox_settings() -> None:
    # Inboxes check, seal and mask an e-mail inbox's settings with these.
    register_channel_settings("email", EMAIL_INBOX_SETTINGS)


FEATURE = Feature(
    name="email",
    plug=plug,
    registrations=(_email_inbox_settings,),
    models=("dragoman.channels.email.models",),
    settings=("data_dir", "smtp_listen", "secret_key", "outbound_allow", "mail_catcher"),
)
