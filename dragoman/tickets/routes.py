"""REST routes for tickets and SLA policies."""

from __future__ import annotations

from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, account_principal, admin_principal
from dragoman.conversations import services as conversations
from dragoman.core.clock import isoformat
from dragoman.core.errors import NotFound
from dragoman.core.http import AppContext, app_context, get_db
from dragoman.inboxes.services import get_inbox
from dragoman.tickets import services
from dragoman.tickets.models import TicketView
from dragoman.tickets.schemas import (
    LinkIn,
    MergeIn,
    NewTicketIn,
    SlaEventOut,
    SlaPolicyIn,
    SlaPolicyOut,
    TicketBulkFailure,
    TicketBulkIn,
    TicketBulkOut,
    TicketFieldIn,
    TicketFieldOut,
    TicketFromConversationIn,
    TicketOut,
    TicketPage,
    TicketPatchIn,
    TicketViewIn,
    TicketViewOut,
    TransferIn,
)

router = APIRouter(prefix="/api/v1/accounts/{account_id}", tags=["tickets"])


@router.get("/sla_policies", response_model=list[SlaPolicyOut], summary="SLA policies, one per priority")
def list_policies(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[SlaPolicyOut]:
    return [services.policy_out(p) for p in services.list_policies(db, principal.account_id)]


@router.post("/sla_policies", response_model=SlaPolicyOut, status_code=201)
def create_policy(body: SlaPolicyIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> SlaPolicyOut:
    policy = services.save_policy(db, principal.account_id, body)
    db.commit()
    return services.policy_out(policy)


@router.put("/sla_policies/{policy_id}", response_model=SlaPolicyOut, summary="Replace a policy (new tickets and priority changes use it)")
def replace_policy(
    policy_id: int, body: SlaPolicyIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> SlaPolicyOut:
    policy = services.save_policy(db, principal.account_id, body, services.get_policy(db, principal.account_id, policy_id))
    db.commit()
    return services.policy_out(policy)


@router.delete("/sla_policies/{policy_id}", status_code=204)
def delete_policy(policy_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> None:
    db.delete(services.get_policy(db, principal.account_id, policy_id))
    db.commit()


@router.get("/tickets", response_model=TicketPage, summary="Tickets the caller may see, newest first or next deadline first")
def list_tickets(
    status: str | None = Query(None, description="new, open, pending, on_hold, solved, closed, or unsolved"),
    assignee: str = Query("all", description="mine, unassigned or all"),
    priority: str | None = Query(None, description="urgent, high, normal or low"),
    team_id: int | None = Query(None, description="Only the tickets of this team's conversations"),
    tag: str | None = Query(None, description="Only the tickets carrying this tag"),
    order: str = Query("newest", description="newest (by ticket number), or due: the next SLA deadline first, tickets without one last"),
    before_id: int | None = Query(None, description="Next page, newest first: the id of the last ticket of the previous page"),
    offset: int = Query(0, ge=0, description="Next page in either order: how many tickets to skip"),
    limit: int = Query(50, ge=1, le=200),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> TicketPage:
    spec = services.TicketFilter(
        status=status, assignee=assignee, priority=priority, team_id=team_id, tag=tag, order=order, before_id=before_id, offset=offset,
        limit=limit,
    )
    return TicketPage(items=services.list_tickets(db, principal.viewer, spec))


def view_out(view: TicketView) -> TicketViewOut:
    return TicketViewOut(id=view.id, name=view.name, filters=view.filters, url="/app/tickets?" + urlencode(view.filters))


@router.get("/ticket_views", response_model=list[TicketViewOut], summary="The caller's saved ticket lists")
def list_ticket_views(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[TicketViewOut]:
    return [view_out(view) for view in services.list_views(db, principal.viewer)]


@router.post("/ticket_views", response_model=TicketViewOut, status_code=201, summary="Save the list's filters under a name")
def create_ticket_view(body: TicketViewIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketViewOut:
    view = services.save_view(db, principal.viewer, body.name, body.filters)
    db.commit()
    return view_out(view)


@router.delete("/ticket_views/{view_id}", status_code=204)
def delete_ticket_view(view_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> None:
    services.delete_view(db, principal.viewer, view_id)
    db.commit()


@router.post("/tickets", response_model=TicketOut, status_code=201, summary="Open a ticket for a contact")
def create_ticket(body: NewTicketIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketOut:
    inbox = get_inbox(db, principal.account_id, body.inbox_id)
    viewer = principal.viewer
    if not viewer.sees_whole_account and inbox.id not in viewer.inbox_ids:
        raise NotFound(f"inbox {body.inbox_id} not found", field="inbox_id")
    if body.contact_id is not None:
        # A contact the agent may not see is one that does not exist for them.
        conversations.get_visible_contact(db, viewer, body.contact_id)
    ticket = services.open_ticket(db, inbox, body)
    db.commit()
    return services.ticket_out(db, ticket)


@router.post(
    "/conversations/{conversation_id}/ticket",
    response_model=TicketOut,
    status_code=201,
    summary="Turn a conversation into a ticket (its history and translations stay)",
)
def ticket_from_conversation(
    conversation_id: int,
    body: TicketFromConversationIn,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> TicketOut:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    ticket = services.ticket_from_conversation(db, principal.viewer, conversation, body)
    db.commit()
    return services.ticket_out(db, ticket)


@router.get(
    "/conversations/{conversation_id}/ticket",
    response_model=TicketOut | None,
    summary="The conversation's ticket (404: none; with if_any=true, null: none)",
)
def conversation_ticket(
    conversation_id: int,
    if_any: bool = Query(False, description="Answer null instead of 404 when the conversation is not a ticket"),
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
) -> TicketOut | None:
    conversation = conversations.get_conversation(db, principal.viewer, conversation_id)
    ticket = services.ticket_for_conversation(db, conversation.id)
    if ticket is None:
        # The console asks for every conversation it opens: most are not
        # tickets, and a 404 for each filled the browser's log with errors.
        if if_any:
            return None
        raise NotFound(f"conversation {conversation_id} is not a ticket", field="conversation_id")
    return services.ticket_out(db, ticket, conversation)


@router.post(
    "/tickets/bulk",
    response_model=TicketBulkOut,
    summary="One change to many tickets: status, priority, tags added, assignee; each ticket on its own",
)
def bulk_update_tickets(body: TicketBulkIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketBulkOut:
    outcome = services.update_tickets(
        db,
        principal.viewer,
        body.ticket_ids,
        status=body.status,
        priority=body.priority,
        add_tags=body.add_tags,
        assign="assignee_id" in body.model_fields_set,
        assignee_id=body.assignee_id,
    )  # commits each ticket as it is changed
    return TicketBulkOut(
        updated=outcome.updated,
        failed=[TicketBulkFailure(ticket_id=f.ticket_id, message=f.message, field=f.field, reason=f.reason) for f in outcome.failed],
    )


@router.get("/tickets/{ticket_id}", response_model=TicketOut)
def read_ticket(ticket_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketOut:
    ticket, conversation = services.get_ticket(db, principal.viewer, ticket_id)
    return services.ticket_out(db, ticket, conversation)


@router.patch("/tickets/{ticket_id}", response_model=TicketOut, summary="Change status, priority, subject, type, tags or fields")
def patch_ticket(
    ticket_id: int, body: TicketPatchIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> TicketOut:
    ticket, conversation = services.get_ticket(db, principal.viewer, ticket_id)
    services.update_ticket(db, principal.viewer, ticket, conversation, body)
    db.commit()
    return services.ticket_out(db, ticket, conversation)


@router.get("/tickets/{ticket_id}/sla_events", response_model=list[SlaEventOut], summary="Every SLA event of the ticket")
def ticket_sla_events(
    ticket_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)
) -> list[SlaEventOut]:
    ticket, _conversation = services.get_ticket(db, principal.viewer, ticket_id)
    return [
        SlaEventOut(
            ticket_id=e.ticket_id,
            metric=e.metric,
            kind=e.kind,
            at=isoformat(e.at) or "",
            priority=e.priority,
            team_id=e.team_id,
            assignee_id=e.assignee_id,
            language=e.language,
            used_seconds=e.used_seconds,
        )
        for e in services.list_sla_events(db, principal.viewer, ticket)
    ]


@router.post(
    "/tickets/{ticket_id}/merge",
    response_model=TicketOut,
    summary="Merge this ticket into another: it is closed, and the customer's later mail goes to the other",
)
def merge_ticket(ticket_id: int, body: MergeIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketOut:
    source, source_conversation = services.get_ticket(db, principal.viewer, ticket_id)
    try:
        target, _conversation = services.get_ticket(db, principal.viewer, body.into_ticket_id)
    except NotFound:
        raise NotFound(f"ticket {body.into_ticket_id} not found", field="into_ticket_id") from None
    merged = services.merge_tickets(db, principal.viewer, source, source_conversation, target, body.note)
    db.commit()
    return services.ticket_out(db, merged)


@router.post("/tickets/{ticket_id}/links", response_model=TicketOut, status_code=201, summary="Link a related ticket")
def link_ticket(ticket_id: int, body: LinkIn, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> TicketOut:
    ticket, conversation = services.get_ticket(db, principal.viewer, ticket_id)
    try:
        other, _conversation = services.get_ticket(db, principal.viewer, body.ticket_id)
    except NotFound:
        raise NotFound(f"ticket {body.ticket_id} not found", field="ticket_id") from None
    services.link_tickets(db, principal.viewer, ticket, other)
    db.commit()
    return services.ticket_out(db, ticket, conversation)


@router.delete("/tickets/{ticket_id}/links/{other_id}", status_code=204, summary="Remove a link between two tickets")
def unlink_ticket(ticket_id: int, other_id: int, principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> None:
    ticket, _conversation = services.get_ticket(db, principal.viewer, ticket_id)
    services.unlink_tickets(db, ticket, other_id)
    db.commit()


@router.get("/ticket_fields", response_model=list[TicketFieldOut], summary="The custom fields tickets carry, in order")
def list_ticket_fields(principal: Principal = Depends(account_principal), db: Session = Depends(get_db)) -> list[TicketFieldOut]:
    return [services.ticket_field_out(f) for f in services.list_ticket_fields(db, principal.account_id)]


@router.post("/ticket_fields", response_model=TicketFieldOut, status_code=201, summary="Define a custom ticket field")
def create_ticket_field(body: TicketFieldIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> TicketFieldOut:
    field = services.save_ticket_field(db, principal.account_id, body)
    db.commit()
    return services.ticket_field_out(field)


@router.put("/ticket_fields/{field_id}", response_model=TicketFieldOut)
def replace_ticket_field(
    field_id: int, body: TicketFieldIn, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> TicketFieldOut:
    field = services.save_ticket_field(db, principal.account_id, body, services.get_ticket_field(db, principal.account_id, field_id))
    db.commit()
    return services.ticket_field_out(field)


@router.delete("/ticket_fields/{field_id}", status_code=204, summary="Remove a field (values already on tickets stay)")
def delete_ticket_field(field_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> None:
    db.delete(services.get_ticket_field(db, principal.account_id, field_id))
    db.commit()




@router.post(
    "/tickets/{ticket_id}/transfer",
    response_model=TicketOut,
    summary="Transfer to an expert team with a summary, translated for each of its agents",
)
def transfer_ticket(
    ticket_id: int,
    body: TransferIn,
    principal: Principal = Depends(account_principal),
    db: Session = Depends(get_db),
    ctx: AppContext = Depends(app_context),
) -> TicketOut:
    ticket, conversation = services.get_ticket(db, principal.viewer, ticket_id)
    services.transfer_ticket(
        db, principal.viewer, ctx.services["language"], ticket, conversation, body.team_id, body.summary,
        untranslated=body.summary_untranslated,
    )  # fmt: skip
    db.commit()
    return services.ticket_out(db, ticket, conversation)

