"""Outbound webhooks: manage them, write deliveries (an outbox), send them.

How a change reaches an integrator:

1. A service records an event on its session (`core.events.record_event`).
2. Just before that session commits, `enqueue_deliveries` writes one
   `WebhookDelivery` row per subscribed, active webhook, in the same
   transaction: a change that is rolled back leaves no delivery, and a
   committed change always has its deliveries, even if the process dies
   right after the commit.
3. With each delivery, in the same transaction, a `webhooks.deliver` job
   (core.jobs) for its first attempt; the commit wakes the job runner's
   `webhooks` lane. The job claims the delivery (a compare-and-set on the
   row, so two runners never send one delivery at the same time), POSTs it
   signed, and records the attempt; a failure asks for the next attempt's
   job, due after an exponential back-off, until the last attempt.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from dragoman import __version__
from dragoman.core import events, jobs
from dragoman.core.clock import isoformat, utcnow
from dragoman.core.errors import Conflict, InvalidInput, NotFound
from dragoman.core.events import Event
from dragoman.core.outbound import (
    OutboundAllow,
    OutboundRefused,
    check_destination,
    guarded_client,
    parse_allow,
    refused_cause,
    response_excerpt,
)
from dragoman.core.security import hmac_sha256_hex, new_token
from dragoman.webhooks.models import DeliveryStatus, Webhook, WebhookDelivery

if TYPE_CHECKING:
    from dragoman.core.http import AppContext

log = logging.getLogger(__name__)

# Bus event -> webhook event. Underscore names are Chatwoot's, so receivers
# written for Chatwoot recognise them.
WEBHOOK_EVENTS: dict[str, str] = {
    events.CONVERSATION_CREATED: "conversation_created",
    events.MESSAGE_CREATED: "message_created",
    events.CONVERSATION_STATUS_CHANGED: "conversation_status_changed",
    events.CONVERSATION_ASSIGNED: "conversation_assigned",
}
EVENT_NAMES: tuple[str, ...] = tuple(WEBHOOK_EVENTS.values())

MAX_URL_LENGTH = 2000
DELIVERY_LIST_LIMIT = 100
MAX_BACKOFF_SECONDS = 3600.0
USER_AGENT = f"Dragoman-Webhooks/{__version__}"
SIGNATURE_HEADER = "X-Dragoman-Signature"
# What a receiver's answer may add to `last_error`: enough to see why it
# refused, not enough to fill the database with someone's error page (and
# cleaned of control characters by `core.outbound.response_excerpt`).
RESPONSE_EXCERPT_CHARS = 200


# -- managing webhooks ----------------------------------------------------------


def check_url(url: str | None, allow: OutboundAllow) -> str:
    """A URL webhooks may POST to: http(s), a host, and an address that is
    public or on the install's allow-list (the worker checks again on each send)."""
    text = (url or "").strip()
    if not text:
        raise InvalidInput("url must not be empty", field="url")
    if len(text) > MAX_URL_LENGTH:
        raise InvalidInput(f"url is {len(text)} characters long; the limit is {MAX_URL_LENGTH}", field="url")
    try:
        parts = urlsplit(text)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a port such as ":99999" or ":abc"
    except ValueError:
        raise InvalidInput("url is not a valid URL", field="url") from None
    if parts.scheme not in ("http", "https"):
        raise InvalidInput("url must start with http:// or https://", field="url")
    if not host or any(ch.isspace() for ch in text):
        raise InvalidInput("url must name a host, e.g. https://example.com/hooks/dragoman", field="url")
    try:
        check_destination(text, allow)
    except OutboundRefused as refused:
        raise InvalidInput(f"url: {refused}", field="url") from None
    return text


def check_events(names: list[str] | None) -> list[str]:
    """A non-empty list of known event names, each once, in the order given."""
    if not names:
        raise InvalidInput(f"events must name at least one of {', '.join(EVENT_NAMES)}", field="events")
    unknown = [name for name in names if name not in EVENT_NAMES]
    if unknown:
        raise InvalidInput(
            f"events: unknown event {unknown[0]!r}; choose from {', '.join(EVENT_NAMES)}", field="events"
        )
    return list(dict.fromkeys(names))


def create_webhook(
    db: Session, account_id: int, *, url: str, event_names: list[str], allow: OutboundAllow = OutboundAllow()
) -> Webhook:
    """`allow` is the install's allow-list (`Settings.outbound_allow`); by
    default only public addresses may receive."""
    webhook = Webhook(
        account_id=account_id,
        url=check_url(url, allow),
        events=check_events(event_names),
        secret=new_token(),
        active=True,
    )
    db.add(webhook)
    db.flush()
    return webhook


def list_webhooks(db: Session, account_id: int) -> list[Webhook]:
    return list(db.scalars(select(Webhook).where(Webhook.account_id == account_id).order_by(Webhook.id)))


def get_webhook(db: Session, account_id: int, webhook_id: int) -> Webhook:
    webhook = db.get(Webhook, webhook_id)
    if webhook is None or webhook.account_id != account_id:
        raise NotFound(f"webhook {webhook_id} not found", field="webhook_id")
    return webhook


def update_webhook(
    db: Session,
    webhook: Webhook,
    *,
    url: str | None = None,
    event_names: list[str] | None = None,
    active: bool | None = None,
    allow: OutboundAllow = OutboundAllow(),
) -> Webhook:
    """Changes what is given; None leaves a field as it is.

    Pending deliveries go to the new URL on their next attempt, and wait
    (unsent) while the webhook is inactive."""
    if url is not None:
        webhook.url = check_url(url, allow)
    if event_names is not None:
        webhook.events = check_events(event_names)
    turned_on = active is True and not webhook.active
    if active is not None:
        webhook.active = active
    db.flush()
    if turned_on:
        # Its deliveries' jobs ended while it was off: the ones due now get new ones.
        enqueue_stranded(db, utcnow(), webhook_id=webhook.id, older_than=timedelta(0))
    return webhook


def delete_webhook(db: Session, webhook: Webhook) -> None:
    # The foreign key cascades to its deliveries.
    db.delete(webhook)
    db.flush()


def list_deliveries(db: Session, webhook: Webhook, limit: int = DELIVERY_LIST_LIMIT) -> list[WebhookDelivery]:
    return list(
        db.scalars(
            select(WebhookDelivery)
            .where(WebhookDelivery.webhook_id == webhook.id)
            .order_by(WebhookDelivery.id.desc())
            .limit(limit)
        )
    )


def get_delivery(db: Session, webhook: Webhook, delivery_id: int) -> WebhookDelivery:
    delivery = db.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.webhook_id != webhook.id:
        raise NotFound(f"delivery {delivery_id} not found", field="delivery_id")
    return delivery


def schedule_retry_now(db: Session, webhook: Webhook, delivery: WebhookDelivery) -> WebhookDelivery:
    """Queue one more attempt, due now, whatever the delivery's state.

    It counts as an attempt like any other: a delivery already at the last
    attempt goes back to `failed` if this one fails too. A delivery a worker
    is sending right now is refused rather than queued, or it could be sent
    twice at once."""
    if not webhook.active:
        raise Conflict(f"webhook {webhook.id} is inactive; activate it before retrying", field="webhook_id")
    now = utcnow()
    # Conditional, like the worker's claim: checking first and writing after
    # would let a claim slip in between.
    result = db.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.id == delivery.id,
            or_(WebhookDelivery.claimed_until.is_(None), WebhookDelivery.claimed_until <= now),
        )
        .values(status=DeliveryStatus.pending, next_attempt_at=now, claimed_until=None)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Conflict(f"delivery {delivery.id} is being sent right now; wait for this attempt", field="delivery_id")
    db.refresh(delivery)
    enqueue_attempt(db, delivery, keyed=False)
    return delivery


# -- the outbox -------------------------------------------------------------------


def _json_text(value: Any) -> str:
    # Compact, and non-ASCII kept as UTF-8: a Chinese message stays readable
    # in the body and in the admin's delivery log.
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def enqueue_deliveries(session: Session, pending: list[Event]) -> None:
    """Transaction hook, run just before a session with events commits.

    Costs nothing when no event interests webhooks, and one indexed query
    (webhooks by account) otherwise. Nothing is cached: a webhook created or
    deactivated a moment ago is seen by the next commit."""
    worthy = [event for event in pending if event.name in WEBHOOK_EVENTS]
    if not worthy:
        return
    account_ids = {event.account_id for event in worthy}
    webhooks = list(
        session.scalars(select(Webhook).where(Webhook.account_id.in_(account_ids), Webhook.active.is_(True)))
    )
    if not webhooks:
        return
    now = utcnow()
    written: list[WebhookDelivery] = []
    for event in worthy:
        name = WEBHOOK_EVENTS[event.name]
        subscribed = [w for w in webhooks if w.account_id == event.account_id and name in (w.events or [])]
        if not subscribed:
            continue
        # The payload's JSON form (core.events.Event.wire): Chatwoot's shape.
        payload = _json_text(event.wire())
        written.extend(
            WebhookDelivery(
                account_id=event.account_id,
                webhook_id=webhook.id,
                event=name,
                payload=payload,
                status=DeliveryStatus.pending,
                attempts=0,
                next_attempt_at=now,
                attempt_log=[],
                created_at=now,
            )
            for webhook in subscribed
        )
    if not written:
        return
    session.add_all(written)
    session.flush()  # their ids, for their jobs
    # Each first attempt's job, in the same transaction: new deliveries, so
    # no key to look up.
    for delivery in written:
        enqueue_attempt(session, delivery, keyed=False)


def delivery_envelope(delivery: WebhookDelivery) -> dict[str, Any]:
    """What the receiver gets, as an object (also shown in the delivery log)."""
    return {
        "event": delivery.event,
        "delivery_id": delivery.id,
        "account_id": delivery.account_id,
        "occurred_at": isoformat(delivery.created_at),
        "data": json.loads(delivery.payload),
    }


def delivery_body(delivery: WebhookDelivery) -> bytes:
    """The exact bytes sent and signed. Built only from the row, so every
    attempt of one delivery sends the same bytes with the same signature."""
    return _json_text(delivery_envelope(delivery)).encode("utf-8")


def signature_header_value(secret: str, body: bytes) -> str:
    return f"sha256={hmac_sha256_hex(secret, body)}"


def delivery_headers(webhook: Webhook, delivery: WebhookDelivery, body: bytes, sent_at: float) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Dragoman-Event": delivery.event,
        "X-Dragoman-Delivery": str(delivery.id),
        "X-Dragoman-Timestamp": str(int(sent_at)),
        SIGNATURE_HEADER: signature_header_value(webhook.secret, body),
    }


def backoff_seconds(attempts: int, base: float, *, cap: float = MAX_BACKOFF_SECONDS, rng: random.Random | None = None) -> float:
    """How long to wait after the `attempts`-th failed attempt.

    Doubles each time from `base`, capped, plus up to 10 % jitter so that the
    deliveries of one outage do not all come back in the same second."""
    delay = min(base * 2 ** max(attempts - 1, 0), cap)
    return delay * (1 + (rng or random).uniform(0, 0.1))


# -- sending ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AttemptResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post_delivery(client: httpx.Client, url: str, headers: dict[str, str], body: bytes) -> AttemptResult:
    started = time.monotonic()
    status_code: int | None = None
    error: str | None = None
    try:
        # Streamed so that a receiver answering with a huge page costs us only
        # the excerpt we keep.
        with client.stream("POST", url, content=body, headers=headers) as response:
            status_code = response.status_code
            if not 200 <= status_code < 300:
                excerpt = b""
                # Bytes enough for the excerpt's characters however they are
                # encoded (UTF-8 needs at most 4 a character).
                for chunk in response.iter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= RESPONSE_EXCERPT_CHARS * 4:
                        break
                text = response_excerpt(excerpt, RESPONSE_EXCERPT_CHARS)
                error = f"HTTP {status_code}" + (f": {text}" if text else "")
    except httpx.TimeoutException:
        error = "timed out"
    except httpx.HTTPError as exc:
        refused = refused_cause(exc)
        if isinstance(refused, OutboundRefused):
            error = f"refused: {response_excerpt(str(refused), 400)}"
        elif refused is not None:
            error = response_excerpt(str(refused), RESPONSE_EXCERPT_CHARS)
        else:
            error = response_excerpt(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
    return AttemptResult(status_code, error, int((time.monotonic() - started) * 1000))


def record_attempt(
    delivery: WebhookDelivery, result: AttemptResult, *, at: datetime, max_attempts: int, backoff_base: float
) -> None:
    """Apply one attempt's outcome to the row: succeeded, back off, or give up."""
    delivery.attempts += 1
    # A new list: the JSON column does not notice changes made in place.
    delivery.attempt_log = [
        *(delivery.attempt_log or []),
        {
            "at": isoformat(at),
            "status_code": result.status_code,
            "error": result.error,
            "duration_ms": result.duration_ms,
        },
    ]
    delivery.last_status_code = result.status_code
    delivery.last_error = result.error
    delivery.claimed_until = None
    if result.succeeded:
        delivery.status = DeliveryStatus.succeeded
        delivery.delivered_at = at
    elif delivery.attempts >= max_attempts:
        delivery.status = DeliveryStatus.failed
    else:
        delivery.status = DeliveryStatus.pending
        delivery.next_attempt_at = at + timedelta(seconds=backoff_seconds(delivery.attempts, backoff_base))


def _due_clause(now: datetime) -> Any:
    return (
        WebhookDelivery.status == DeliveryStatus.pending,
        WebhookDelivery.next_attempt_at <= now,
    )


def due_delivery_ids(db: Session, now: datetime, limit: int) -> list[int]:
    """Pending deliveries of active webhooks whose time has come, oldest due first."""
    return list(
        db.scalars(
            select(WebhookDelivery.id)
            .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
            .where(*_due_clause(now), Webhook.active.is_(True))
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(limit)
        )
    )


def try_claim(db: Session, delivery_id: int, now: datetime, until: datetime) -> bool:
    """Take one delivery for sending, unless someone took it since we looked.

    A conditional UPDATE succeeds for one caller only. It also moves
    `next_attempt_at` to the end of the claim, so a worker that dies mid-send
    leaves a row that becomes due again by itself."""
    result = db.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, *_due_clause(now))
        .values(claimed_until=until, next_attempt_at=until)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined, no-any-return]


def claim_due_deliveries(db: Session, limit: int, lease: timedelta) -> list[int]:
    """Ids of due deliveries this caller now owns, until `now + lease`."""
    now = utcnow()
    claimed = [i for i in due_delivery_ids(db, now, limit) if try_claim(db, i, now, now + lease)]
    db.commit()
    return claimed


def next_due_at(db: Session) -> datetime | None:
    return db.scalar(
        select(func.min(WebhookDelivery.next_attempt_at))
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(WebhookDelivery.status == DeliveryStatus.pending, Webhook.active.is_(True))
    )


# -- sending as jobs ---------------------------------------------------------------------

# One attempt at one delivery. The delivery row stays the admin's record
# (attempts, log, status); the job is what makes sure the attempt happens.
DELIVER = "webhooks.deliver"
# Every few minutes: deliveries due for a while with no job to send them (a
# webhook's deliveries written before jobs existed, a job an admin removed).
RESCUE = "webhooks.rescue"
RESCUE_EVERY_SECONDS = 300.0
STRANDED_AFTER = timedelta(minutes=2)
WEBHOOK_LANE = "webhooks"


def enqueue_attempt(db: Session, delivery: WebhookDelivery, *, keyed: bool = True) -> None:
    """A job for the delivery's next attempt, due when the delivery is. Keyed
    by delivery and moment: whoever asks for the same attempt (the attempt
    before it, the rescue sweep, several processes) writes one job."""
    key = f"{delivery.id}@{delivery.next_attempt_at.isoformat()}" if keyed and delivery.next_attempt_at else None
    jobs.enqueue(db, DELIVER, {"delivery_id": delivery.id}, account_id=delivery.account_id, key=key, run_at=delivery.next_attempt_at)


def enqueue_stranded(db: Session, now: datetime, *, webhook_id: int | None = None, older_than: timedelta = STRANDED_AFTER) -> int:
    """Jobs for pending deliveries of active webhooks due since `older_than`
    (all those due, for one webhook just turned on again)."""
    query = (
        select(WebhookDelivery)
        .join(Webhook, Webhook.id == WebhookDelivery.webhook_id)
        .where(*_due_clause(now - older_than), Webhook.active.is_(True))
        .order_by(WebhookDelivery.next_attempt_at)
        .limit(500)
    )
    if webhook_id is not None:
        query = query.where(WebhookDelivery.webhook_id == webhook_id)
    stranded = list(db.scalars(query))
    for delivery in stranded:
        enqueue_attempt(db, delivery)
    return len(stranded)


class WebhookWorker:
    """Sends deliveries as jobs (core.jobs) in the runner's `webhooks` lane.

    Each attempt is a `webhooks.deliver` job written with the delivery (in the
    transaction of the change, by `enqueue_deliveries`) or by the attempt
    before it, due when the delivery's back-off ends. The job claims the
    delivery (a compare-and-set on the row, so two runners never send one
    delivery at once and an admin cannot retry one in flight), POSTs it
    signed, and records the attempt in the delivery log together with the
    job's completion. Up to `SENDERS` attempts run at once, so a hanging
    receiver slows the others but cannot stop them.

    With `settings.run_background_workers` off, the app's runner sends
    nothing: the worker has a runner of its own that runs only once
    `start` is called (tests start one)."""

    SENDERS = 4
    # A claim outlives the longest possible attempt by this much before another
    # worker may take the row over.
    LEASE_MARGIN_SECONDS = 30.0

    def __init__(self, ctx: AppContext, runner: jobs.JobRunner | None = None) -> None:
        self.ctx = ctx
        self._owns_runner = runner is None
        self.runner = runner or jobs.JobRunner(ctx.session_factory, name="webhook-worker")
        self._client: httpx.Client | None = None
        self._client_lock = threading.Lock()
        lease = max(jobs.LEASE_SECONDS, ctx.settings.webhook_timeout_seconds + 2 * self.LEASE_MARGIN_SECONDS)
        self.runner.lane(WEBHOOK_LANE, batch=self.SENDERS, workers=self.SENDERS, lease_seconds=lease)
        self.runner.handle(DELIVER, self._deliver, lane=WEBHOOK_LANE)
        self.runner.every(RESCUE, RESCUE_EVERY_SECONDS, self._rescue, lane=WEBHOOK_LANE)

    @property
    def _factory(self) -> sessionmaker[Session]:
        return self.ctx.session_factory

    def wake(self) -> None:
        self.runner.wake(DELIVER)

    def start(self) -> None:
        """Deliveries left without a job are given one; with a runner of its
        own, the worker's runner starts."""
        with self._factory() as db:
            enqueue_stranded(db, utcnow(), older_than=timedelta(0))
            db.commit()
        if self._owns_runner:
            self.runner.start()
        self.wake()

    def stop(self) -> None:
        """Returns once the attempts in flight end (each bounded by the
        request timeout); a claimed delivery not sent is due again when its
        claim ends."""
        if self._owns_runner:
            self.runner.stop(timeout=self.ctx.settings.webhook_timeout_seconds + 2)
        with self._client_lock:
            if self._client is not None:
                self._client.close()
                self._client = None

    def _http(self) -> httpx.Client:
        with self._client_lock:
            if self._client is None:
                settings = self.ctx.settings
                # Every connection is checked against the allow-list as it is then.
                self._client = guarded_client(
                    lambda: parse_allow(settings.outbound_allow),
                    timeout=settings.webhook_timeout_seconds,
                    headers={"User-Agent": USER_AGENT},
                )
            return self._client

    # -- the jobs ---------------------------------------------------------------------

    def _rescue(self, db: Session, _payload: dict[str, Any]) -> None:
        enqueue_stranded(db, utcnow())

    def _deliver(self, db: Session, payload: dict[str, Any]) -> None:
        self.send_delivery(db, int(payload["delivery_id"]))

    def send_delivery(self, db: Session, delivery_id: int) -> None:
        """One attempt, if the delivery is due: sent at most once per attempt
        however many jobs ask for it."""
        delivery = db.get(WebhookDelivery, delivery_id)
        webhook = db.get(Webhook, delivery.webhook_id) if delivery is not None else None
        if delivery is None or webhook is None or delivery.status is not DeliveryStatus.pending or not webhook.active:
            # Sent, given up, or deleted; an inactive webhook's deliveries get
            # their jobs again when it is turned on (`update_webhook`).
            return
        now = utcnow()
        if delivery.next_attempt_at is not None and delivery.next_attempt_at > now:
            # Not yet (backing off, or another runner holds the claim): a job
            # for when it is due, the same one that attempt will ask for.
            enqueue_attempt(db, delivery)
            return
        settings = self.ctx.settings
        lease = timedelta(seconds=settings.webhook_timeout_seconds + self.LEASE_MARGIN_SECONDS)
        if not try_claim(db, delivery_id, now, now + lease):
            return  # another runner claimed it between our read and here; it goes on from there
        body = delivery_body(delivery)
        headers = delivery_headers(webhook, delivery, body, time.time())
        url = webhook.url
        # The claim is committed, and no transaction stays open (nor, on
        # SQLite, a lock) while we wait for the receiver.
        db.commit()
        result = post_delivery(self._http(), url, headers, body)
        delivery = db.get(WebhookDelivery, delivery_id, populate_existing=True)
        if delivery is None:
            return
        record_attempt(
            delivery, result, at=utcnow(), max_attempts=settings.webhook_max_attempts, backoff_base=settings.webhook_backoff_seconds
        )
        if delivery.status is DeliveryStatus.pending:
            enqueue_attempt(db, delivery)
        if result.error is not None:
            log.info("webhook delivery %s attempt %s failed: %s", delivery_id, delivery.attempts, result.error)


def register_webhook_jobs(runner: jobs.JobRunner, ctx: AppContext) -> WebhookWorker:
    """The app's wiring: deliveries sent by the app's job runner, or, with
    background workers off, by a worker that runs only when started."""
    return WebhookWorker(ctx, runner if ctx.settings.run_background_workers else None)
