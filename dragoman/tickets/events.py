"""Events about tickets: the SLA clock follows them, and the console's live
sockets forward them to the ticket pages."""

from __future__ import annotations

from typing import Literal

from dragoman.core.events import Payload
from dragoman.tickets.schemas import TicketOut


class TicketPayload(Payload):
    ticket: TicketOut


class TicketCreated(TicketPayload, kind="ticket.created"):
    pass


class TicketUpdated(TicketPayload, kind="ticket.updated"):
    pass


class SlaFired(Payload):
    """An SLA timer warned or breached."""

    ticket_id: int
    metric: Literal["first_response", "next_response", "resolution"]
    conversation_id: int


class SlaWarning(SlaFired, kind="ticket.sla_warning"):
    pass


class SlaBreached(SlaFired, kind="ticket.sla_breached"):
    pass
