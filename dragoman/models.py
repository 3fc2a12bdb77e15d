"""Imports every model so that metadata (and Alembic) sees all tables."""

from dragoman.accounts.models import (  # noqa: F401
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
from dragoman.canned.models import CannedReply, CannedReplyVersion  # noqa: F401
from dragoman.channels.email.models import MailboxCursor  # noqa: F401
from dragoman.contacts.models import Contact, ContactIdentity  # noqa: F401
from dragoman.conversations.models import (  # noqa: F401
    Conversation,
    ConversationStatus,
    Direction,
    Message,
    Priority,
    SenderType,
)
from dragoman.csat.models import CsatSurvey  # noqa: F401
from dragoman.core.db import Base  # noqa: F401
from dragoman.core.jobs import Job  # noqa: F401
from dragoman.inboxes.models import Inbox  # noqa: F401
from dragoman.kb.models import BotExchange, BotSession, KbArticle, KbArticleVersion, KbCategory  # noqa: F401
from dragoman.language.models import ConversationLanguage, GlossaryTerm, LanguageSettings, TranslationMemory  # noqa: F401
from dragoman.routing.models import (  # noqa: F401
    AgentSchedule,
    AgentCapacity,
    AgentSkill,
    RoutingConversation,
    RoutingDecision,
    RoutingHours,
    RoutingQueue,
    RoutingQueueInbox,
    RoutingQueueTeam,
    RoutingSkill,
    RoutingStep,
)
from dragoman.tickets.models import SlaEvent, SlaPolicy, SlaTimer, Ticket, TicketField, TicketLink, TicketStatus, TicketView  # noqa: F401
from dragoman.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery  # noqa: F401
