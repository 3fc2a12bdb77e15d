"""The e-mail channel: its kind (settings checked, sealed and masked from its
schema), IMAP mailboxes read, the SMTP listener, and the adapter the
delivery pipeline sends replies with."""

from __future__ import annotations

from dragoman.channels.delivery import DeliveryPipeline
from dragoman.channels.email import routes
from dragoman.channels.email.catcher import MailCatcher
from dragoman.channels.email.kind import EMAIL, KIND
from dragoman.channels.email.runtime import EmailRuntime
from dragoman.core.features import Feature, Plugged, Subscription, runtime
from dragoman.core.http import AppContext
from dragoman.core.jobs import JobRunner
from dragoman.core.outbound import OutboundAllow, parse_allow
from dragoman.inboxes import channel_kinds
from dragoman.inboxes.events import InboxUpdated


def plug(ctx: AppContext) -> Plugged:
    settings = ctx.settings

    def outbound_allow() -> OutboundAllow:
        return parse_allow(settings.outbound_allow)

    jobs: JobRunner = ctx.services["jobs"]
    email = EmailRuntime(
        ctx.session_factory,
        settings.data_dir,
        smtp_listen=settings.smtp_listen,
        secret_key=settings.secret_key,
        outbound_allow=outbound_allow,
        catcher=MailCatcher(settings.data_dir / "mail-caught") if settings.mail_catcher else None,
        wait_for_jobs=jobs.wait_idle,
    )
    # Replies leave through the delivery pipeline (the channels feature, before this one).
    delivery: DeliveryPipeline = ctx.services["delivery"]
    delivery.use(EMAIL, email.outbound)
    return Plugged(
        routers=[routes.router],
        listeners=[Subscription(email.on_event, (InboxUpdated,))],
        runtimes=[runtime("email", email)],
        services={"email": email},
    )


def _register_kind() -> None:
    channel_kinds.register(KIND)


FEATURE = Feature(
    name="email",
    plug=plug,
    registrations=(_register_kind,),
    models=("dragoman.channels.email.models",),
    settings=("data_dir", "smtp_listen", "secret_key", "outbound_allow", "mail_catcher"),
)
