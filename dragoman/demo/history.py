"""Three weeks of the demo store's past, so that a newcomer's first minutes
show a contact center that has been working: resolved chats and solved
e-mail tickets in several languages, the FAQ bot's answers and hand-offs,
agents' replies (some machine-translated), satisfaction ratings, SLA
promises met and breached, and a few chats answered in the last hour (the
Live wall's service level counts the last hour).

Written through the product's own services, each step at the moment it
happened (`clock.pinned_at`), so everything agrees with itself: the bot's
exchanges are the bot's own decisions (words only, no model to load), mail
comes in through the e-mail channel's receiving path, SLA timers start,
stop and breach as the SLA thread would have made them, surveys are offered
and answered as customers would. The server's listeners are not running
here, so what they would have done is done in order by this module, and
replies by e-mail are marked as sent (they went out weeks ago).

Seeded once: an account that already has the first customer of this past
keeps what it has.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from dragoman.accounts.models import Role, User
from dragoman.accounts.permissions import Viewer
from dragoman.accounts.services import load_viewer
from dragoman.channels.email import services as email_services
from dragoman.channels.email.config import read_email_settings
from dragoman.contacts import services as contacts
from dragoman.contacts.models import Contact
from dragoman.conversations import services as conversations
from dragoman.conversations.models import Conversation, ConversationStatus, DeliveryStatus, Direction, Message
from dragoman.core.clock import pinned_at, utcnow
from dragoman.csat import services as csat
from dragoman.demo.mail import mail_bytes
from dragoman.demo.showcase import DEMO_MAIL_ADDRESS, DEMO_QUEUES
from dragoman.inboxes.models import Inbox
from dragoman.kb.worker import BOT_NAME, BotWorker
from dragoman.routing import services as routing
from dragoman.routing.engine import Decision
from dragoman.routing.models import RoutingQueue
from dragoman.tickets import services as tickets
from dragoman.tickets.models import SlaTimer, Ticket, TicketStatus

@dataclass(frozen=True)
class Reply:
    """What an agent wrote: `text` is what the customer received; with
    `original`, the agent wrote `original` in `original_language` and the
    text is its machine translation."""

    text: str
    original: str | None = None
    original_language: str | None = None


@dataclass(frozen=True)
class PastCase:
    """One customer's request, from their first message to its end."""

    ago: timedelta  # when the customer first wrote, before the seeding (`_when`)
    channel: str  # "chat" (the website chat, the FAQ bot first) or "email" (a ticket)
    language: str
    name: str
    email: str
    customer: tuple[str, ...]  # what the customer wrote, in turn with the replies
    replies: tuple[Reply, ...] = ()
    agent: str | None = None  # the part of the agent's e-mail before "@"
    subject: str = ""  # e-mail only
    bot: str | None = None  # chats: "answered" (the bot's answer settles it) or "handoff"
    first_reply_after: timedelta = timedelta(minutes=2)
    rating: int | None = None
    comment: str | None = None
    ends: str = "resolved"  # "resolved" | "open" (still being answered)
    priority: str = "normal"  # e-mail: set by the agent who triaged it, as it came in


def _m(minutes: float) -> timedelta:
    return timedelta(minutes=minutes)


def _d(days: int, hour: float) -> timedelta:
    """`days` before the seeding's day, at `hour` o'clock (UTC): see `_when`."""
    return timedelta(days=days, hours=hour)


def _when(ago: timedelta, now: datetime) -> datetime:
    """A case's first message: `ago` before now when under a day; from a
    day on, `ago.days` days before today at the time of day `ago.seconds`
    (so the past keeps office hours whatever the time of seeding)."""
    if ago.days < 1:
        return now - ago
    midnight = datetime.combine(now.date(), datetime.min.time())
    return midnight - timedelta(days=ago.days) + timedelta(seconds=ago.seconds)


PAST_CASES: tuple[PastCase, ...] = (
    # -- e-mail tickets ------------------------------------------------------------------
    PastCase(
        _d(20, 9), "email", "en", "Oliver Hughes", "oliver.hughes@example.co.uk",
        ("Hello, my order DR-46120 arrived with a cracked phone case. Can I get a replacement?",),
        (Reply("Hi Oliver, sorry about that! A replacement for DR-46120 left our warehouse today; "
               "you don't need to send the cracked one back."),),
        agent="sam", subject="Cracked phone case in order DR-46120", first_reply_after=_m(95), rating=5,
        comment="Quick and no hassle, thank you!",
    ),
    PastCase(
        _d(19, 11), "email", "es", "Carmen Ruiz", "carmen.ruiz@example.es",
        ("Hola, quiero devolver las botas del pedido DR-46233, me quedan grandes. ¿Cómo lo hago?",
         "Perfecto, ya la he enviado. ¡Gracias!"),
        (Reply("Hola Carmen, te he enviado la etiqueta de devolución gratuita por correo. Cuando llegue el paquete "
               "te devolvemos el importe en 3-5 días."),
         Reply("¡Gracias a ti! Te avisaremos cuando recibamos las botas.")),
        agent="maria", subject="Devolución pedido DR-46233", first_reply_after=_m(40), rating=5,
    ),
    PastCase(
        _d(17, 15), "email", "zh", "陈静", "chen.jing@example.cn",
        ("您好，我的订单 DR-46410 显示已签收，但是我没有收到包裹。请帮忙查一下。",),
        (Reply("陈女士您好，快递公司确认包裹放在了小区快递柜，取件码已经重新发送到您的手机。如果还有问题请随时联系我们。"),),
        agent="li.wei", subject="订单 DR-46410 显示已签收但未收到", first_reply_after=timedelta(hours=7), rating=3,
        comment="回复有点慢，不过问题解决了。",
    ),
    PastCase(
        _d(15, 10), "email", "fr", "Julien Moreau", "julien.moreau@example.fr",
        ("Bonjour, j'ai été débité deux fois pour la commande DR-46588. Pouvez-vous rembourser le second paiement ?",),
        (Reply("Bonjour Julien, le second paiement de la commande DR-46588 a été remboursé aujourd'hui. "
               "Vous le verrez sur votre compte dans 3 à 5 jours.",
               "Hola Julien, el segundo pago del pedido DR-46588 se ha reembolsado hoy. "
               "Lo verás en tu cuenta en 3 a 5 días.", "es"),),
        agent="maria", subject="Double paiement DR-46588", first_reply_after=_m(50), rating=4,
    ),
    PastCase(
        _d(13, 14), "email", "de", "Lena Fischer", "lena.fischer@example.de",
        ("Hallo, ich habe die Jacke aus Bestellung DR-46702 in Größe M bekommen, bestellt war L. Können Sie sie umtauschen?",),
        (Reply("Hallo Lena, natürlich! Die Jacke in Größe L ist unterwegs. Bitte schicken Sie die M mit dem "
               "beiliegenden Etikett zurück."),),
        agent="sam", subject="Falsche Größe, Bestellung DR-46702", first_reply_after=timedelta(hours=26), rating=2,
        comment="Über einen Tag auf eine Antwort gewartet.",
    ),
    PastCase(
        _d(11, 9), "email", "pt", "Beatriz Costa", "beatriz.costa@example.pt",
        ("Olá, o código de desconto BEMVINDA10 não funciona no checkout. Podem ajudar?",),
        (Reply("Olá Beatriz, o código era válido só para a primeira compra, mas já apliquei o desconto "
               "de 10% na sua encomenda manualmente.",
               "Hola Beatriz, el código era válido solo para la primera compra, pero ya he aplicado el descuento "
               "del 10% en su pedido manualmente.", "es"),),
        agent="maria", subject="Código de desconto não funciona", first_reply_after=_m(25),
    ),
    PastCase(
        _d(8, 16), "email", "en", "Priya Nair", "priya.nair@example.com",
        ("Hi, can you send me a VAT invoice for order DR-47015? Company: Nair Design Ltd.",),
        (Reply("Hi Priya, the VAT invoice for DR-47015 (Nair Design Ltd) is attached to your account "
               "under Orders → Invoices."),),
        agent="ana", subject="VAT invoice for DR-47015", first_reply_after=timedelta(hours=5, minutes=30), rating=4,
        priority="high",
    ),
    PastCase(
        _d(5, 10), "email", "es", "Diego Torres", "diego.torres@example.mx",
        ("Buenas, la cafetera del pedido DR-47390 no enciende. Tiene menos de un mes.",
         "Ya está, gracias por la rapidez."),
        (Reply("Hola Diego, lo sentimos. Está en garantía: te enviamos una nueva y recogemos la averiada en casa."),
         Reply("¡Un placer! Si necesitas algo más, aquí estamos.")),
        agent="maria", subject="Cafetera no enciende DR-47390", first_reply_after=_m(18), rating=5,
        comment="Muy amables.",
    ),
    PastCase(
        _d(3, 13), "email", "zh", "刘洋", "liu.yang@example.cn",
        ("你好，我想把订单 DR-47611 的收货地址改成公司地址，还来得及吗？",),
        (Reply("刘先生您好，订单 DR-47611 还没有发货，地址已经改好了。"),),
        agent="li.wei", subject="修改订单 DR-47611 的地址", first_reply_after=_m(35), rating=5,
    ),
    PastCase(
        _d(2, 11), "email", "en", "Mark Jensen", "mark.jensen@example.dk",
        ("Hello, the tracking for DR-47702 has not moved for five days. Is the parcel lost?",),
        (Reply("Hi Mark, the carrier found your parcel at their Hamburg hub; it will be delivered on Thursday."),),
        agent="sam", subject="Tracking not moving for DR-47702", first_reply_after=timedelta(hours=9), priority="high",
    ),
    PastCase(
        _d(1, 9), "email", "en", "Olivia Grant", "olivia.grant@example.ie",
        ("Hi, I returned order DR-47850 two weeks ago and still have no refund. Could you check, please?",),
        subject="Still waiting for my refund (DR-47850)", priority="high", ends="open",
    ),
    # -- web chats -----------------------------------------------------------------------
    PastCase(
        _d(21, 10), "chat", "en", "Sophie Turner", "sophie.turner@example.com",
        ("How much does shipping cost?", "Thanks, that helps!"), bot="answered",
    ),
    PastCase(
        _d(18, 17), "chat", "es", "Pablo Martín", "pablo.martin@example.es",
        ("¿Cómo cancelo mi pedido?", "Gracias"), bot="answered",
    ),
    PastCase(
        _d(16, 12), "chat", "es", "Lucía Gómez", "lucia.gomez@example.es",
        ("Quiero hablar con una persona, por favor. Me han cobrado de más en el pedido DR-46501.",
         "Vale, muchas gracias."),
        (Reply("Hola Lucía, soy María. Veo el cargo de más en DR-46501: ya está devuelto, lo verás en 3-5 días."),
         Reply("¡De nada! Que tengas buen día.")),
        agent="maria", bot="handoff", first_reply_after=_m(0.5), rating=5,
    ),
    PastCase(
        _d(14, 9), "chat", "zh", "王磊", "wang.lei@example.cn",
        ("我想找人工客服，我的优惠码用不了。",),
        (Reply("王先生您好，我是李伟。优惠码 NEW20 只能用于首单，我已经帮您在订单上手动减了 20 元。"),),
        agent="li.wei", bot="handoff", first_reply_after=_m(1.5), rating=4,
    ),
    PastCase(
        _d(12, 15), "chat", "fr", "Camille Dubois", "camille.dubois@example.fr",
        ("Comment retourner un article ?", "Merci beaucoup"), bot="answered",
    ),
    PastCase(
        _d(10, 11), "chat", "en", "James Walker", "james.walker@example.com",
        ("I want to talk to a human please. My parcel DR-47011 was delivered to the wrong address.",
         "Great, thank you Sam."),
        (Reply("Hi James, I'm Sam. I've asked the carrier to collect it from your neighbour at number 12 "
               "and bring it to you tomorrow."),
         Reply("You're welcome, James!")),
        agent="sam", bot="handoff", first_reply_after=_m(0.3), rating=5, comment="Sam was great.",
    ),
    PastCase(
        _d(9, 14), "chat", "de", "Max Bauer", "max.bauer@example.de",
        ("Was kostet der Versand?", "Danke!"), bot="answered",
    ),
    PastCase(
        _d(7, 10), "chat", "pt", "Rafael Lima", "rafael.lima@example.br",
        ("Quero falar com um atendente. A minha encomenda DR-47150 veio com um artigo errado.",),
        (Reply("Olá Rafael, sou a María. Vamos enviar o artigo certo hoje e a recolha do errado é gratuita.",
               "Hola Rafael, soy María. Vamos a enviar el artículo correcto hoy y la recogida del erróneo es gratuita.",
               "es"),),
        agent="maria", bot="handoff", first_reply_after=_m(2.5), rating=3,
    ),
    PastCase(
        _d(6, 16), "chat", "ja", "田中 健", "tanaka.ken@example.jp",
        ("返品するには？", "ありがとうございます"), bot="answered",
    ),
    PastCase(
        _d(4, 12), "chat", "en", "Grace Kim", "grace.kim@example.com",
        ("Can I speak to an agent? I forgot my password and the reset mail never arrives.",),
        (Reply("Hi Grace, I'm Ana. Your account had an old address on file; I've updated it and sent a new reset link."),),
        agent="ana", bot="handoff", first_reply_after=_m(4), rating=1, comment="Took too long and I had to ask twice.",
    ),
    PastCase(
        _d(1, 10), "chat", "zh", "赵敏", "zhao.min@example.cn",
        ("运费是多少？", "谢谢"), bot="answered",
    ),
    # Questions the knowledge base has no article for: the bot hands over,
    # and the FAQ bot page lists them for an admin to turn into articles.
    PastCase(
        _d(11, 17), "chat", "en", "Noah Evans", "noah.evans@example.com",
        ("Is there a shop in Madrid?",),
        (Reply("Hi Noah, I'm Sam. We only sell online, but returns are free within 30 days, so you can try things on at home."),),
        agent="sam", bot="handoff", first_reply_after=_m(1), rating=4,
    ),
    PastCase(
        _d(2, 16), "chat", "es", "Elena Vidal", "elena.vidal@example.es",
        ("¿Tenéis tienda física en Madrid?",),
        (Reply("Hola Elena, soy María. Solo vendemos online, pero la devolución es gratis durante 30 días: puedes probártelo en casa."),),
        agent="maria", bot="handoff", first_reply_after=_m(0.4), rating=5,
    ),
    # -- the last hour: the Live wall's service level ---------------------------------
    PastCase(
        _m(48), "chat", "es", "Andrés Navarro", "andres.navarro@example.es",
        ("Necesito hablar con un agente: el pago de mi pedido DR-48190 falló pero me lo cobraron.",),
        (Reply("Hola Andrés, soy María. El cobro está retenido por el banco y se liberará solo en 24 horas; "
               "tu pedido DR-48190 ya está confirmado."),),
        agent="maria", bot="handoff", first_reply_after=_m(0.25),
    ),
    PastCase(
        _m(31), "chat", "en", "Hannah Lee", "hannah.lee@example.com",
        ("Can I talk to someone? I'd like to change the size of my order DR-48205.",),
        (Reply("Hi Hannah, Sam here. Which size would you like instead?"),),
        agent="sam", bot="handoff", first_reply_after=_m(0.4), ends="open",
    ),
    PastCase(
        _m(12), "chat", "zh", "孙丽", "sun.li@example.cn",
        ("我要人工客服，订单 DR-48230 能不能开发票？",),
        (Reply("孙女士您好，我是李伟。可以的，请告诉我发票抬头和税号。"),),
        agent="li.wei", bot="handoff", first_reply_after=_m(1.2), ends="open",
    ),
)


@dataclass(frozen=True)
class HistorySummary:
    conversations: int
    tickets: int
    surveys: int


class _History:
    def __init__(self, db: Session, account_id: int, data_dir: Path, now: datetime, public_url: str) -> None:
        self.db = db
        self.public_url = public_url
        self.account_id = account_id
        self.data_dir = data_dir
        self.now = now
        self.webchat = db.scalar(select(Inbox).where(Inbox.account_id == account_id, Inbox.channel_type == "webchat").order_by(Inbox.id))
        self.email = db.scalar(select(Inbox).where(Inbox.account_id == account_id, Inbox.channel_type == "email").order_by(Inbox.id))
        self.users = {u.email.split("@")[0]: u for u in db.scalars(select(User).where(User.account_id == account_id))}
        self.queues = {q.name: q for q in db.scalars(select(RoutingQueue).where(RoutingQueue.account_id == account_id))}
        # The bot as the server runs it, by words only (no model to load in
        # seconds): what it answered and handed over are its own decisions.
        factory = sessionmaker(bind=db.get_bind())
        self.bot = BotWorker(factory, semantic=False, public_url=public_url)
        self.summary = {"conversations": 0, "tickets": 0, "surveys": 0}

    # -- shared steps ----------------------------------------------------------------

    def _queue_for(self, language: str) -> RoutingQueue | None:
        """The demo's queue for the language: its own, else the one for every other."""
        name = next((name for name, languages in DEMO_QUEUES if language in languages), None)
        name = name or next(name for name, languages in DEMO_QUEUES if not languages)
        return self.queues.get(name)

    def _contact(self, case: PastCase, inbox: Inbox) -> Contact:
        contact = contacts.create_contact(self.db, self.account_id, name=case.name, email=case.email, language=case.language)
        contacts.add_identity(self.db, contact, inbox.id, case.email)
        return contact

    def _mark_mailed(self, conversation: Conversation, at: datetime) -> None:
        """Replies by e-mail went out when they were written: each gets its
        Message-ID and the delivery status "sent", as the delivery pipeline
        would have marked them (and no delivery job sends them now)."""
        if self.email is None or conversation.inbox_id != self.email.id:
            return
        settings = read_email_settings(self.email.settings)
        unsent = self.db.scalars(
            select(Message).where(
                Message.conversation_id == conversation.id, Message.direction == Direction.outgoing, Message.source_id.is_(None)
            )
        )
        for message in unsent:
            if email_services.outbound_for(self.db, message, settings, self.data_dir / "attachments") is not None:
                email_services.mark_sent(self.db, message, max(at, message.created_at))
                message.delivery_status = DeliveryStatus.sent.value
        self.db.flush()

    def _reply(self, conversation: Conversation, agent: User, reply: Reply, at: datetime, ticket: Ticket | None) -> None:
        if ticket is not None:
            self._fire_due(ticket, at)
        with pinned_at(at):
            attributes: dict[str, Any] = {"language": {"code": conversation.language or "", "confidence": 1.0}}
            if reply.original is not None:
                attributes["original"] = {
                    "content": reply.original, "language": reply.original_language, "engine": "apertium", "pivot": None,
                    "flags": [], "missing_facts": [], "confirmed": False,
                }  # fmt: skip
            conversations.send_reply(self.db, load_viewer(self.db, agent), conversation, reply.text, attributes=attributes)
            if ticket is not None:
                tickets.note_agent_reply(self.db, ticket, conversation, at)
            self.db.flush()
        self._mark_mailed(conversation, at)

    def _customer_writes(self, conversation: Conversation, text: str, at: datetime, ticket: Ticket | None) -> Message:
        if ticket is not None:
            self._fire_due(ticket, at)
        with pinned_at(at):
            message, _ = conversations.receive_incoming_message(self.db, conversation, text)
            if ticket is not None:
                tickets.note_customer_message(self.db, ticket, conversation, at)
            self.db.flush()
        return message

    def _fire_due(self, ticket: Ticket, until: datetime) -> None:
        """The SLA thread's warnings and breaches that came before `until`,
        each at the moment it came."""
        while True:
            timer = self.db.scalar(
                select(SlaTimer)
                .where(SlaTimer.ticket_id == ticket.id, SlaTimer.next_check_at.is_not(None), SlaTimer.next_check_at <= until)
                .order_by(SlaTimer.next_check_at)
                .limit(1)
            )
            if timer is None or timer.next_check_at is None:
                return
            moment = timer.next_check_at
            with pinned_at(moment):
                tickets.fire_due_timer(self.db, timer, moment)
                self.db.flush()

    def _end(self, conversation: Conversation, case: PastCase, agent: User | None, at: datetime, ticket: Ticket | None) -> None:
        if case.ends != "resolved":
            return
        if conversation.status is not ConversationStatus.resolved:
            with pinned_at(at):
                viewer = load_viewer(self.db, agent) if agent is not None else _system(self.account_id, BOT_NAME)
                if ticket is not None:
                    tickets.set_ticket_status(self.db, viewer, ticket, conversation, TicketStatus.solved, at)
                else:
                    conversations.change_status(self.db, viewer, conversation, ConversationStatus.resolved.value)
                self.db.flush()
        # The survey thread offers it when the conversation is resolved.
        offered_at = at + timedelta(seconds=5)
        with pinned_at(offered_at):
            survey = csat.offer_survey(self.db, conversation, self.public_url, now=offered_at)
            self.db.flush()
        self._mark_mailed(conversation, offered_at)
        if survey is None:
            return
        self.summary["surveys"] += 1
        if case.rating is not None:
            answered_at = offered_at + timedelta(minutes=20)
            with pinned_at(answered_at):
                csat.answer_survey(self.db, survey, case.rating, case.comment, now=answered_at)
                self.db.flush()
        if ticket is not None and self.now - at > timedelta(days=4):
            # Solved tickets close after a few quiet days.
            closed_at = at + timedelta(days=4)
            with pinned_at(closed_at):
                tickets.set_ticket_status(self.db, _system(self.account_id, CLOSER), ticket, conversation, TicketStatus.closed, closed_at)
                self.db.flush()

    # -- the two channels -----------------------------------------------------------------

    def email_case(self, case: PastCase) -> None:
        assert self.email is not None
        at = _when(case.ago, self.now)
        raw = mail_bytes(case.name, case.email, DEMO_MAIL_ADDRESS, case.subject, case.customer[0], at)
        with pinned_at(at):
            receipt = email_services.receive_email(
                self.db, self.email, raw, attachment_dir=self.data_dir / "attachments", spool_dir=self.data_dir / "mail-kept", now=at
            )
            self.db.flush()
        assert receipt.conversation_id is not None and receipt.ticket_id is not None, receipt
        conversation = self.db.get(Conversation, receipt.conversation_id)
        ticket = self.db.get(Ticket, receipt.ticket_id)
        assert conversation is not None and ticket is not None
        if case.priority != "normal":
            with pinned_at(at):
                conversations.update_conversation(self.db, conversation, priority=case.priority)
                tickets.retarget_timers(self.db, ticket, conversation, at)
                self.db.flush()
        self._mark_mailed(conversation, at)
        self.summary["conversations"] += 1
        self.summary["tickets"] += 1
        agent = self.users[case.agent] if case.agent else None
        moment = at + case.first_reply_after
        for index, reply in enumerate(case.replies):
            assert agent is not None
            self._reply(conversation, agent, reply, moment, ticket)
            if index + 1 < len(case.customer):
                moment += _m(25)
                self._customer_writes(conversation, case.customer[index + 1], moment, ticket)
                moment += _m(15)
        if case.ends == "open":
            # Nobody has answered yet: its promises came due as the hours went.
            self._fire_due(ticket, self.now)
        self._end(conversation, case, agent, moment + _m(10), ticket)

    def chat_case(self, case: PastCase) -> None:
        assert self.webchat is not None
        at = _when(case.ago, self.now)
        with pinned_at(at):
            contact = self._contact(case, self.webchat)
            conversation = conversations.start_conversation(self.db, self.webchat, contact, language=case.language)
            self.db.flush()
        self.summary["conversations"] += 1
        message = self._customer_writes(conversation, case.customer[0], at, None)
        moment = at + timedelta(seconds=2)
        if conversation.bot_active:
            with pinned_at(moment):
                self.bot.handle(self.db, message.id)
        written = 1
        if case.bot == "answered":
            # "Thanks" to the bot's answer: the bot closes the conversation.
            for text in case.customer[1:]:
                moment += _m(1)
                message = self._customer_writes(conversation, text, moment, None)
                if conversation.bot_active:
                    with pinned_at(moment + timedelta(seconds=2)):
                        self.bot.handle(self.db, message.id)
            self._end(conversation, case, None, moment + timedelta(seconds=3), None)
            return
        agent = self.users[case.agent] if case.agent else None
        assert agent is not None
        self.db.refresh(conversation)
        if conversation.bot_active:  # the bot did not hand over (it should have): it steps aside for the agent
            with pinned_at(moment):
                self.bot.step_aside(self.db, conversation.id)
        waited = case.first_reply_after.total_seconds() * 0.4
        queue = self._queue_for(case.language)
        routed_at = moment + timedelta(seconds=waited)
        if queue is not None:
            with pinned_at(routed_at):
                routing.store_decision(self.db, _routed(conversation, agent, queue, case.language, waited), routed_at)
                self.db.flush()
        moment = at + case.first_reply_after
        for index, reply in enumerate(case.replies):
            self._reply(conversation, agent, reply, moment, None)
            if written < len(case.customer):
                moment += _m(1.5)
                self._customer_writes(conversation, case.customer[written], moment, None)
                written += 1
                moment += _m(0.5)
        self._end(conversation, case, agent, moment + _m(1), None)


# Who closes solved tickets after their quiet days, as timelines name it.
CLOSER = "Dragoman"


def _system(account_id: int, name: str) -> Viewer:
    return Viewer(user_id=0, account_id=account_id, role=Role.admin, name=name)


def _routed(conversation: Conversation, agent: User, queue: RoutingQueue, language: str, waited: float) -> Decision:
    """The engine's decision as it made it: the first step, fluent speakers."""
    return Decision(
        conversation.id, "assigned", agent_id=agent.id, queue_id=queue.id, step=1,
        reason={
            "queue": queue.name, "queue_id": queue.id, "step": 1, "rule": f"{language} ≥ 4",
            "rule_parts": {"language": language, "min_language_level": 4, "skill": None, "min_skill_level": 0,
                           "machine_translation": False, "translated_languages": None},
            "strategy": queue.strategy, "waited_seconds": round(waited, 1), "language": language, "language_level": 5,
            "skill": None, "skill_level": None, "load": "0/3 chat", "why": "the matching agent idle the longest",
        },
    )  # fmt: skip


def history_seeded(db: Session, account_id: int) -> bool:
    """Any customer of the past is there: seeded already (in part, when an
    inbox was missing then), and never again."""
    emails = [case.email for case in PAST_CASES]
    return db.scalar(select(Contact.id).where(Contact.account_id == account_id, Contact.email.in_(emails)).limit(1)) is not None


def seed_history(
    db: Session, account_id: int, data_dir: Path, *, public_url: str = "", now: datetime | None = None
) -> HistorySummary:
    """The demo store's past; nothing when it is there already. Needs the
    showcase's queues and the e-mail inbox (seed_showcase) first.
    `public_url`: the server's address, for the links in the bot's answers
    and the survey invitations (paths only without it)."""
    if history_seeded(db, account_id):
        return HistorySummary(0, 0, 0)
    history = _History(db, account_id, data_dir, now or utcnow(), public_url)
    for case in sorted(PAST_CASES, key=lambda c: _when(c.ago, history.now)):
        if case.channel == "email":
            if history.email is not None:
                history.email_case(case)
        else:
            history.chat_case(case)
    db.flush()
    return HistorySummary(**history.summary)
