"""REST routes for an account's outbound webhooks. Admins only: a webhook
sends every conversation of the account to an outside address."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.orm import Session

from dragoman.accounts.auth import Principal, admin_principal
from dragoman.core.http import app_context, get_db
from dragoman.core.outbound import OutboundAllow, parse_allow
from dragoman.webhooks import services
from dragoman.webhooks.schemas import DeliveryOut, WebhookIn, WebhookOut, WebhookPatchIn, delivery_out, webhook_out

def _allow(request: Request) -> OutboundAllow:
    return parse_allow(app_context(request).settings.outbound_allow)


router = APIRouter(prefix="/api/v1/accounts/{account_id}/webhooks", tags=["webhooks"])


@router.get("", response_model=list[WebhookOut], summary="The account's webhooks")
def list_webhooks(principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> list[WebhookOut]:
    return [webhook_out(w) for w in services.list_webhooks(db, principal.account_id)]


@router.post("", response_model=WebhookOut, status_code=201, summary="Add a webhook; its signing secret is generated")
def create_webhook(
    body: WebhookIn, request: Request, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> WebhookOut:
    webhook = services.create_webhook(
        db, principal.account_id, url=body.url, event_names=body.events, allow=_allow(request)
    )
    db.commit()
    return webhook_out(webhook)


@router.patch("/{webhook_id}", response_model=WebhookOut, summary="Change a webhook's URL, events or active flag")
def patch_webhook(
    webhook_id: int,
    body: WebhookPatchIn,
    request: Request,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
) -> WebhookOut:
    webhook = services.get_webhook(db, principal.account_id, webhook_id)
    services.update_webhook(
        db, webhook, url=body.url, event_names=body.events, active=body.active, allow=_allow(request)
    )
    db.commit()
    return webhook_out(webhook)


@router.delete("/{webhook_id}", status_code=204, summary="Remove a webhook and its delivery log")
def delete_webhook(webhook_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)) -> Response:
    services.delete_webhook(db, services.get_webhook(db, principal.account_id, webhook_id))
    db.commit()
    return Response(status_code=204)


@router.get("/{webhook_id}/deliveries", response_model=list[DeliveryOut], summary="The latest 100 deliveries, newest first")
def list_deliveries(
    webhook_id: int, principal: Principal = Depends(admin_principal), db: Session = Depends(get_db)
) -> list[DeliveryOut]:
    webhook = services.get_webhook(db, principal.account_id, webhook_id)
    return [delivery_out(d) for d in services.list_deliveries(db, webhook)]


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/retry",
    response_model=DeliveryOut,
    status_code=202,
    summary="Send a delivery again now (answers at once; the attempt follows in the background)",
)
def retry_delivery(
    webhook_id: int,
    delivery_id: int,
    request: Request,
    principal: Principal = Depends(admin_principal),
    db: Session = Depends(get_db),
) -> DeliveryOut:
    webhook = services.get_webhook(db, principal.account_id, webhook_id)
    delivery = services.schedule_retry_now(db, webhook, services.get_delivery(db, webhook, delivery_id))
    db.commit()
    # The worker sends it; the request does not wait for the receiver.
    app_context(request).services["webhook_worker"].wake()
    return delivery_out(delivery)
