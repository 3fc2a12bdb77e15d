"""What the demo shows a newcomer in the first minutes, beside the people,
the web chat and the knowledge base of `seed.py`: queues by language with
widening steps (so the Live wall has something to show and new chats are
routed), SLA policies, customers' requests waiting as tickets in several
languages, each with its SLA clocks running, and an e-mail inbox that
receives through the server's SMTP listener (history.py adds the past).

Seeded by `dragoman demo` (what `make run` does), once: an account that
already has queues, policies or requests keeps what it has. The test suite's
demo world (`seed_demo`) stays without them, so that each test sets up the
routing and the promises it is about.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from dragoman.accounts import services as accounts
from dragoman.inboxes import services as inboxes
from dragoman.inboxes.models import Inbox
from dragoman.routing import services as routing
from dragoman.calendars.schemas import HoursIn
from dragoman.routing.schemas import QueueIn, StepIn
from dragoman.tickets import services as tickets
from dragoman.tickets.schemas import NewTicketIn, SlaPolicyIn

REQUESTS_INBOX = "Support requests"
MAIL_INBOX = "Support e-mail"
# The e-mail inbox's address: mail for it that reaches the server's SMTP
# listener (DRAGOMAN_SMTP_LISTEN, which `make run` turns on) becomes a ticket.
DEMO_MAIL_ADDRESS = "support@demo.dragoman.test"
DEMO_MAIL_SETTINGS = {
    "address": DEMO_MAIL_ADDRESS,
    "from_name": "Dragoman Demo Store",
    "receive": "smtp",
    # "We received your request #N", and a survey when a ticket is solved.
    "acknowledge": True,
    "csat": True,
}

# Fluent speakers first, then anyone who reads the language well enough, then
# anyone at all with machine translation: the bullseye most centres start from.
_BULLSEYE = [
    StepIn(after_seconds=0, min_language_level=4),
    StepIn(after_seconds=30, min_language_level=2),
    StepIn(after_seconds=90, machine_translation=True),
]
_WEEKDAYS = [HoursIn(weekday=day, start="08:00", end="20:00") for day in range(5)]

DEMO_QUEUES: tuple[tuple[str, list[str]], ...] = (
    ("English", ["en"]),
    ("Spanish and Portuguese", ["es", "pt"]),
    ("Chinese", ["zh"]),
    ("Every other language", []),
)

DEMO_POLICIES: tuple[SlaPolicyIn, ...] = (
    SlaPolicyIn(
        name="Standard", priority="normal", first_response_seconds=4 * 3600, next_response_seconds=8 * 3600,
        resolution_seconds=3 * 86400, timezone="Europe/Madrid", hours=_WEEKDAYS,
    ),
    SlaPolicyIn(
        name="High priority", priority="high", first_response_seconds=3600, next_response_seconds=2 * 3600,
        resolution_seconds=86400, breach_action="raise_priority",
    ),
    SlaPolicyIn(
        name="Urgent", priority="urgent", first_response_seconds=900, next_response_seconds=1800, resolution_seconds=4 * 3600,
    ),
    SlaPolicyIn(
        name="Gold customers", priority="normal", tier="gold", first_response_seconds=3600, next_response_seconds=2 * 3600,
        resolution_seconds=86400, breach_action="reassign",
    ),
)


@dataclass(frozen=True)
class DemoRequest:
    email: str
    name: str
    language: str
    subject: str
    description: str
    priority: str = "normal"
    tags: tuple[str, ...] = ()


DEMO_REQUESTS: tuple[DemoRequest, ...] = (
    DemoRequest(
        "lucia.fernandez@example.es", "Lucía Fernández", "es", "Pedido DR-48213 sin entregar",
        "Hola, mi pedido DR-48213 tenía que llegar el lunes y el seguimiento no cambia desde hace cuatro días. "
        "¿Podéis decirme dónde está?", "high", ("shipping",),
    ),
    DemoRequest(
        "jonas.weber@example.de", "Jonas Weber", "de", "Rücksendung für Bestellung DR-47990",
        "Guten Tag, die Jacke aus Bestellung DR-47990 ist zu klein. Wie kann ich sie zurückschicken und bekomme ich "
        "das Geld zurück?", "normal", ("returns",),
    ),
    DemoRequest(
        "emma.brown@example.co.uk", "Emma Brown", "en", "Charged twice for order DR-48102",
        "Hi, my card was charged twice (2 × £54.90) for order DR-48102 on 3 December. Please refund the duplicate.",
        "urgent", ("billing", "refund"),
    ),
    DemoRequest(
        "wang.fang@example.cn", "王芳", "zh", "订单 DR-48311 的发票",
        "您好，我需要订单 DR-48311 的增值税发票，公司抬头已经在备注里写了。请问多久可以开出来？", "normal", ("invoice",),
    ),
    DemoRequest(
        "joao.silva@example.pt", "João Silva", "pt", "Tamanho errado na encomenda DR-48077",
        "Olá, recebi as sapatilhas no tamanho 41 mas encomendei o 42. Podem trocar?", "normal", ("exchange",),
    ),
    DemoRequest(
        "claire.martin@example.fr", "Claire Martin", "fr", "Code promo refusé",
        "Bonjour, le code NOEL15 est refusé au paiement alors qu'il est valable jusqu'au 24 décembre. Pouvez-vous m'aider ?",
        "normal", ("promotion",),
    ),
    DemoRequest(
        "sato.yuki@example.jp", "佐藤 由紀", "ja", "注文 DR-48150 の配送先変更",
        "こんにちは。注文 DR-48150 の配送先を会社の住所に変更したいです。まだ間に合いますか？", "high", ("shipping",),
    ),
)


@dataclass(frozen=True)
class ShowcaseSummary:
    queues: int
    policies: int
    requests: int
    mail_inbox: bool = False


def seed_showcase(db: Session, account_id: int) -> ShowcaseSummary:
    """Queues, SLA policies and open requests for the demo account; each only
    where the account has none of its kind. Counts what it added."""
    teams = [team.id for team in accounts.list_teams(db, account_id)]
    queues = 0
    if not routing.list_queues(db, account_id):
        webchat = db.scalars(select(Inbox.id).where(Inbox.account_id == account_id, Inbox.channel_type == "webchat")).all()
        for position, (name, languages) in enumerate(DEMO_QUEUES):
            body = QueueIn(
                name=name, position=position, inbox_ids=list(webchat), team_ids=teams, languages=languages,
                steps=_BULLSEYE, service_target_seconds=30, ticket_after_seconds=600,
            )  # fmt: skip
            routing.save_queue(db, account_id, body)
            queues += 1
    policies = 0
    if not tickets.list_policies(db, account_id):
        for policy in DEMO_POLICIES:
            tickets.save_policy(db, account_id, policy)
            policies += 1
    requests = 0
    inbox = db.scalar(select(Inbox).where(Inbox.account_id == account_id, Inbox.name == REQUESTS_INBOX))
    if inbox is None:
        inbox = inboxes.create_inbox(db, account_id, name=REQUESTS_INBOX, channel_type="api", team_ids=teams)
        for request in DEMO_REQUESTS:
            body = NewTicketIn(
                inbox_id=inbox.id, email=request.email, name=request.name, subject=request.subject,
                description=request.description, priority=request.priority, tags=list(request.tags), language=request.language,
            )  # type: ignore[arg-type]  # fmt: skip
            tickets.open_ticket(db, inbox, body)
            requests += 1
    mail_inbox = False
    if db.scalar(select(Inbox.id).where(Inbox.account_id == account_id, Inbox.channel_type == "email")) is None:
        inboxes.create_inbox(db, account_id, name=MAIL_INBOX, channel_type="email", team_ids=teams, settings=dict(DEMO_MAIL_SETTINGS))
        mail_inbox = True
    db.flush()
    return ShowcaseSummary(queues, policies, requests, mail_inbox)
