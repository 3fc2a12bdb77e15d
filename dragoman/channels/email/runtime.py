"""The e-mail channel's moving parts: one thread per IMAP mailbox, the SMTP
listener (aiosmtpd, its own thread), and the outbound adapter the delivery
pipeline (channels/delivery.py) sends replies with.

A reply is a durable delivery job written with it; its Message-ID is kept
before anything leaves and becomes its source id once it went out, so a
retry threads the same way and nothing goes out twice. A failed send is
retried with growing waits (`retry_seconds`), and the agent sees the
message's delivery status.

Only `channels/email/feature.py` imports this module.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session as SmtpSession
from sqlalchemy.orm import Session, sessionmaker

from dragoman.channels.email.kind import EMAIL
from dragoman.channels.delivery import try_waiting_now
from dragoman.channels.email import imap, services
from dragoman.channels.email.adapter import ERROR_CHARS, DeliveryError, EmailAdapter, said
from dragoman.channels.email.catcher import MailCatcher
from dragoman.channels.email.config import MAX_BYTES_LIMIT, ImapMailbox, read_email_settings, with_clear_passwords
from dragoman.channels.email.models import MailboxCursor
from dragoman.conversations.models import Message
from dragoman.core import events
from dragoman.core.clock import utcnow
from dragoman.core.errors import InvalidInput
from dragoman.core.outbound import OutboundAllow
from dragoman.core.secrets import SecretUnreadable
from dragoman.inboxes.models import Inbox
from dragoman.inboxes.events import InboxUpdated

log = logging.getLogger(__name__)

# Waits before each retry of a reply the SMTP server did not take.
RETRY_SECONDS = (10.0, 60.0, 300.0, 1800.0, 7200.0)


class EmailRuntime:
    def __init__(
        self,
        factory: sessionmaker[Session],
        data_dir: Path,
        *,
        smtp_listen: str = "",
        secret_key: str = "",
        outbound_allow: Callable[[], OutboundAllow] = OutboundAllow,
        retry_seconds: tuple[float, ...] = RETRY_SECONDS,
        clock: Callable[[], datetime] = utcnow,
        catcher: MailCatcher | None = None,
        wait_for_jobs: Callable[[float], bool] = lambda _timeout: True,
    ) -> None:
        """`catcher`: keep every reply there instead of sending it (the demo).
        `wait_for_jobs`: the job runner's wait_idle (replies are sent by jobs)."""
        self._factory = factory
        self.catcher = catcher
        # The install's allow-list, asked at every connection so a changed
        # setting counts at once; by default only public mail servers.
        self.outbound_allow = outbound_allow
        self.attachment_dir = data_dir / "attachments"
        self.spool_dir = data_dir / "mail-kept"
        self._smtp_listen = smtp_listen
        self._secret_key = secret_key  # opens the mailbox passwords sealed in the settings
        self.retry_seconds = retry_seconds  # tests shorten it
        self._clock = clock
        self._wait_for_jobs = wait_for_jobs
        self._email_inboxes: dict[int, bool] = {}  # inbox id -> is e-mail (a cache: one query per inbox)
        self._pollers: dict[int, _MailboxPoller] = {}
        self._pollers_lock = threading.Lock()
        # One restart at a time: two quick settings changes must not leave two readers of one mailbox.
        self._restart_lock = threading.Lock()
        # Under _restart_lock: a settings change that arrives while the app
        # stops must not start a reader that nobody will stop.
        self._running = False
        self._listener: Controller | None = None

    # -- wiring ----------------------------------------------------------------------

    def start(self) -> None:
        with self._restart_lock:
            if self._running:  # started already: one set of threads, or some would never stop
                return
        with self._factory() as db:
            inboxes = services.email_inboxes(db)
            self._email_inboxes = {inbox.id: True for inbox in inboxes}
        with self._restart_lock:
            self._running = True
            for inbox in inboxes:
                self._restart_poller(inbox.id)
        if self._smtp_listen:
            self._start_listener()

    def stop(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        # After any restart in flight, and before one that comes later.
        with self._restart_lock:
            self._running = False
            with self._pollers_lock:
                pollers, self._pollers = list(self._pollers.values()), {}
        for poller in pollers:
            poller.stop()

    def on_event(self, event: events.Event) -> None:
        payload = event.payload
        if isinstance(payload, InboxUpdated):
            inbox_id = payload.inbox_id
            self._email_inboxes.pop(inbox_id, None)
            # Off the committing thread: stopping the old poller may wait for its IDLE.
            threading.Thread(target=self._restart_if_email, args=(inbox_id,), name="dragoman-imap-restart", daemon=True).start()

    def _restart_if_email(self, inbox_id: int) -> None:
        try:
            with self._restart_lock:
                if self._running and self._is_email_inbox(inbox_id):
                    self._restart_poller(inbox_id)
                    # Changed settings (a mail server fixed): replies waiting for their next try go now.
                    with self._factory() as db:
                        if try_waiting_now(db, inbox_id):
                            db.commit()  # the job runner sees them within its longest sleep (core.jobs)
        except Exception:  # noqa: BLE001 - a settings change must not take the process down
            log.exception("inbox %d: could not restart its mailbox reader", inbox_id)

    def _is_email_inbox(self, inbox_id: Any) -> bool:
        if not isinstance(inbox_id, int):
            return False
        known = self._email_inboxes.get(inbox_id)
        if known is None:
            with self._factory() as db:
                inbox = db.get(Inbox, inbox_id)
                known = inbox is not None and inbox.channel_type == EMAIL
            self._email_inboxes[inbox_id] = known
        return known

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Tests: every due reply sent or given up on (retries waiting for their time count as idle)."""
        return self._wait_for_jobs(timeout)

    def poller(self, inbox_id: int) -> "_MailboxPoller | None":
        with self._pollers_lock:
            return self._pollers.get(inbox_id)

    # -- sending (the delivery pipeline calls `outbound`) -----------------------------

    @property
    def outbound(self) -> "EmailOutbound":
        """The channel's outbound adapter, handed to channels.delivery by feature.py."""
        return EmailOutbound(self)

    # -- receiving: IMAP ---------------------------------------------------------------

    def _restart_poller(self, inbox_id: int) -> None:
        with self._factory() as db:
            inbox = db.get(Inbox, inbox_id)
            box: ImapMailbox | None = None
            if inbox is not None and inbox.channel_type == EMAIL:
                try:
                    settings = with_clear_passwords(read_email_settings(inbox.settings), self._secret_key)
                except (InvalidInput, SecretUnreadable) as error:
                    log.warning("inbox %d: no mail received, its settings are wrong: %s", inbox_id, error)
                    settings = None
                if settings is not None and settings.receive == "imap":
                    box = settings.imap
        with self._pollers_lock:
            old = self._pollers.pop(inbox_id, None)
        if old is not None:
            old.stop()
        if box is not None:
            poller = _MailboxPoller(self, inbox_id, box)
            with self._pollers_lock:
                self._pollers[inbox_id] = poller
            poller.start()

    def receive_raw(self, inbox_id: int, raw: bytes) -> services.Receipt:
        with self._factory() as db:
            inbox = db.get(Inbox, inbox_id)
            if inbox is None:
                return services.Receipt("refused", f"inbox {inbox_id} no longer exists")
            receipt = services.receive_email_safely(
                db, inbox, raw, attachment_dir=self.attachment_dir, spool_dir=self.spool_dir
            )
        log.info("mail to inbox %d: %s%s", inbox_id, receipt.outcome, f" ({receipt.reason})" if receipt.reason else "")
        return receipt

    def read_mailbox(self, inbox_id: int, conn: Any, box: ImapMailbox) -> int:
        """Store the mail that arrived since the cursor; returns how many were read."""
        uidvalidity = imap.select_folder(conn, box.folder)
        with self._factory() as db:
            cursor = db.get(MailboxCursor, inbox_id)
            if cursor is None or cursor.uidvalidity != uidvalidity:
                # A new mailbox (or one the server renumbered) is read from its
                # start; mail already stored is recognised by its Message-ID.
                cursor = db.merge(MailboxCursor(inbox_id=inbox_id, uidvalidity=uidvalidity, last_uid=0))
                db.commit()
            after = cursor.last_uid
        read = 0
        for uid, raw in imap.fetch_mail(conn, imap.new_uids(conn, after)):
            self.receive_raw(inbox_id, raw)
            with self._factory() as db:
                cursor = db.get(MailboxCursor, inbox_id)
                if cursor is not None:
                    cursor.last_uid = max(cursor.last_uid, uid)
                    cursor.checked_at = self._clock()
                    db.commit()
            read += 1
        return read

    # -- receiving: SMTP ---------------------------------------------------------------

    def _start_listener(self) -> None:
        host, _, port = self._smtp_listen.rpartition(":")
        handler = _SmtpHandler(self)
        self._listener = Controller(
            handler,
            hostname=host or "127.0.0.1",
            port=int(port),
            data_size_limit=MAX_BYTES_LIMIT,
            enable_SMTPUTF8=True,
            ident="Dragoman",
        )
        self._listener.start()
        log.info("SMTP listener on %s", self._smtp_listen)

    @property
    def smtp_listen(self) -> str:
        """"host:port" of the SMTP listener; "" when it is off."""
        return self._smtp_listen if self._listener is not None else ""

    def recipients_inboxes(self, address: str) -> list[int]:
        with self._factory() as db:
            wanted = address.strip().lower()
            return [inbox_id for own, inbox_id in services.inbox_addresses(db).items() if own == wanted and self._receives_smtp(db, inbox_id)]

    @staticmethod
    def _receives_smtp(db: Session, inbox_id: int) -> bool:
        inbox = db.get(Inbox, inbox_id)
        try:
            return inbox is not None and read_email_settings(inbox.settings).receive == "smtp"
        except InvalidInput:
            return False


class _SmtpHandler:
    """aiosmtpd hooks: refuse mail for addresses no inbox receives (550) at
    RCPT, store at DATA. A storage failure answers 451, so the sending
    server keeps the mail and tries again: it is never lost."""

    def __init__(self, runtime: EmailRuntime) -> None:
        self.runtime = runtime

    async def handle_RCPT(self, server: SMTP, session: SmtpSession, envelope: Envelope, address: str, rcpt_options: list[str]) -> str:
        loop = asyncio.get_running_loop()
        inboxes = await loop.run_in_executor(None, self.runtime.recipients_inboxes, address)
        if not inboxes:
            return "550 5.1.1 No inbox here receives mail for this address"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: SmtpSession, envelope: Envelope) -> str:
        loop = asyncio.get_running_loop()
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", errors="surrogateescape")
        inbox_ids: list[int] = []
        for address in envelope.rcpt_tos:
            for inbox_id in await loop.run_in_executor(None, self.runtime.recipients_inboxes, address):
                if inbox_id not in inbox_ids:
                    inbox_ids.append(inbox_id)
        outcomes = []
        for inbox_id in inbox_ids:
            receipt = await loop.run_in_executor(None, self.runtime.receive_raw, inbox_id, raw)
            outcomes.append(receipt)
        if any(r.outcome == "refused" and r.reason and r.reason.startswith("could not be stored") for r in outcomes):
            return "451 4.3.0 Could not store the mail now; try again later"
        refused = [r for r in outcomes if r.outcome == "refused"]
        if refused and len(refused) == len(outcomes):
            return f"554 5.6.0 Mail refused: {refused[0].reason}"
        return "250 2.0.0 Message accepted"


class _MailboxPoller:
    """One IMAP mailbox: read what is new, then IDLE (or sleep) until more
    comes; reconnect with growing waits when the server goes away."""

    def __init__(self, runtime: EmailRuntime, inbox_id: int, box: ImapMailbox) -> None:
        self.runtime = runtime
        self.inbox_id = inbox_id
        self.box = box
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"dragoman-imap-{inbox_id}", daemon=True)
        self.rounds = 0  # completed reads, for tests and health
        self.last_error: str | None = None
        self.using_idle = False

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)

    def _run(self) -> None:
        backoff = 1.0
        while not self._stop.is_set():
            conn = None
            try:
                conn = imap.open_mailbox(self.box, self.runtime.outbound_allow())
                self.using_idle = self.box.idle and imap.supports_idle(conn)
                while not self._stop.is_set():
                    self.runtime.read_mailbox(self.inbox_id, conn, self.box)
                    self.rounds += 1
                    self.last_error = None
                    backoff = 1.0
                    if self.using_idle:
                        # The server reports new mail the moment it lands; a
                        # read every poll_seconds stays the safety net.
                        imap.wait_for_mail(conn, self.box.poll_seconds, self._stop.is_set)
                    else:
                        conn.noop()
                        self._stop.wait(self.box.poll_seconds)
            except Exception as error:  # noqa: BLE001 - a poller outlives a server that goes away
                # Whatever the server answered, only a short, clean excerpt is kept and logged.
                self.last_error = said(str(error), ERROR_CHARS)
                log.warning("IMAP inbox %d: %s; trying again in %.0f s", self.inbox_id, self.last_error, backoff)
                self._stop.wait(backoff)
                backoff = min(backoff * 2, 300.0)
            finally:
                if conn is not None:
                    imap.close_mailbox(conn)



class EmailOutbound:
    """The e-mail channel's outbound adapter (inboxes.channel_kinds.OutboundAdapter):
    one reply, by SMTP (or into the demo's catcher). Raises DeliveryFailed
    (DeliveryError) when it did not go out; the pipeline decides on retries."""

    def __init__(self, runtime: EmailRuntime) -> None:
        self.runtime = runtime

    @property
    def retry_seconds(self) -> tuple[float, ...]:
        return self.runtime.retry_seconds  # tests shorten it on the runtime

    def send(self, db: Session, message: Message) -> None:
        if not services.is_sendable(message):
            return  # went out already (its Message-ID is its source id)
        runtime = self.runtime
        inbox = db.get(Inbox, message.inbox_id)
        try:
            settings = with_clear_passwords(read_email_settings(inbox.settings if inbox else None), runtime._secret_key)
        except (InvalidInput, SecretUnreadable) as error:
            raise DeliveryError(f"the inbox's e-mail settings are wrong: {error}", permanent=True) from None
        # Raises DeliveryError when a file of the reply is gone: sending again will not bring it back.
        outbound = services.outbound_for(db, message, settings, runtime.attachment_dir)
        if outbound is None:
            raise DeliveryError("the customer has no e-mail address", permanent=True)
        db.commit()  # the Message-ID is kept before anything leaves
        adapter = EmailAdapter(settings, runtime.outbound_allow())
        if runtime.catcher is not None:
            runtime.catcher.keep(message.account_id, adapter.compose(outbound))
        else:
            adapter.send(outbound)
        services.mark_sent(db, message, runtime._clock())
