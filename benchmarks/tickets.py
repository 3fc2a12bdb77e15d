"""Tickets: importing mail into tickets (tickets per second), and the cost of
checking SLA deadlines as the number of open tickets grows.

Usage: python benchmarks/tickets.py [--emails 100000] [--database sqlite|URL] [--no-languages]

The mail is generated (not timed): new requests in eight languages and
several charsets, customers' replies threaded by In-Reply-To, auto-replies
and duplicates. The import runs on a fresh SQLite file (or the database URL
given) through the same code as `dragoman tickets import`.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from _common import machine_description  # noqa: E402

from sqlalchemy import func, select  # noqa: E402

from dragoman.core.clock import utcnow  # noqa: E402
from dragoman.core.db import make_engine, make_session_factory  # noqa: E402
from dragoman.core.migrate import upgrade_database  # noqa: E402
from dragoman.demo.seed import seed_demo  # noqa: E402
from dragoman.inboxes.models import Inbox  # noqa: E402
from dragoman.inboxes.services import create_inbox  # noqa: E402
from dragoman.calendars.schemas import HoursIn  # noqa: E402
from dragoman.tickets.importer import import_emails  # noqa: E402
from dragoman.tickets.models import SlaTimer, Ticket  # noqa: E402
from dragoman.tickets.schemas import SlaPolicyIn  # noqa: E402
from dragoman.tickets.services import save_policy, sweep_sla  # noqa: E402

REQUESTS = [
    ("en", "utf-8", "Where is my order {n}?", "Hello, I ordered {n} two weeks ago and it has still not arrived. Can you check the tracking please?"),
    ("de", "iso-8859-1", "Bestellung {n} fehlt", "Guten Tag, meine Bestellung {n} ist seit zwei Wochen unterwegs. Können Sie bitte nachsehen, wo sie ist?"),
    ("es", "utf-8", "Pedido {n} roto", "Hola, mi pedido {n} llegó roto y quiero devolverlo. ¿Cómo puedo hacerlo?"),
    ("fr", "iso-8859-15", "Remboursement commande {n}", "Bonjour, je n'ai toujours pas reçu le remboursement de la commande {n}. Merci de vérifier."),
    ("pt", "utf-8", "Encomenda {n} atrasada", "Olá, a minha encomenda {n} está atrasada há uma semana. Podem verificar, por favor?"),
    ("zh", "gb18030", "订单 {n} 还没到", "你好，我的订单 {n} 两个星期了还没有到，请帮我查一下物流信息。"),
    ("ja", "iso-2022-jp", "注文 {n} について", "こんにちは。注文 {n} の商品がまだ届いていません。配送状況を確認していただけますか。"),
    ("ko", "euc-kr", "주문 {n} 문의", "안녕하세요. 주문 {n} 상품이 아직 도착하지 않았습니다. 배송 상태를 확인해 주세요."),
]
REPLIES = ["Thanks, here is the tracking number.", "Danke, hier ist die Sendungsnummer.", "Gracias, adjunto el número.", "谢谢，这是单号。"]


def generate(count: int, seed: int, start: datetime) -> list[bytes]:
    rng = random.Random(seed)
    mails: list[bytes] = []
    threads: list[str] = []
    for n in range(count):
        when = start + timedelta(seconds=n * 0.01)
        roll = rng.random()
        message = EmailMessage()
        message["To"] = "support@shop.example"
        message["Date"] = when.strftime("%a, %d %b %Y %H:%M:%S +0000")
        if roll < 0.25 and threads:
            parent = rng.choice(threads)
            message["From"] = f"customer{rng.randrange(count)}@example.com"
            message["Subject"] = "Re: your order"
            message["Message-ID"] = f"<reply{n}@example.com>"
            message["In-Reply-To"] = f"<{parent}>"
            message.set_content(rng.choice(REPLIES) + "\n\nOn Mon, Support wrote:\n> earlier text", charset="utf-8")
        elif roll < 0.28:
            message["From"] = f"customer{rng.randrange(count)}@example.com"
            message["Subject"] = "Out of office"
            message["Auto-Submitted"] = "auto-replied"
            message["Message-ID"] = f"<auto{n}@example.com>"
            message.set_content("I am away until Monday.")
        elif roll < 0.30 and threads:
            duplicate = rng.choice(threads)
            message["From"] = "someone@example.com"
            message["Subject"] = "duplicate"
            message["Message-ID"] = f"<{duplicate}>"
            message.set_content("the same mail delivered twice")
        else:
            _language, charset, subject, body = rng.choice(REQUESTS)
            order = rng.randrange(10_000, 99_999)
            message["From"] = f"Customer {n} <customer{rng.randrange(count)}@example.com>"
            message["Subject"] = subject.format(n=order)
            message_id = f"q{n}@example.com"
            message["Message-ID"] = f"<{message_id}>"
            message.set_content(body.format(n=order), charset=charset)
            threads.append(message_id)
        mails.append(message.as_bytes())
    return mails


def sweep_ms(factory, now: datetime, repeats: int = 50) -> float:  # type: ignore[no-untyped-def]
    with factory() as db:
        started = time.perf_counter()
        for _ in range(repeats):
            fired = sweep_sla(db, now)
            assert not fired, "nothing should be due"
            db.rollback()
        return (time.perf_counter() - started) / repeats * 1000


def scan_ms(factory, now: datetime, repeats: int = 5) -> float:  # type: ignore[no-untyped-def]
    """The plain way: read every running timer and compare its deadlines."""
    with factory() as db:
        started = time.perf_counter()
        for _ in range(repeats):
            due = [t for t in db.execute(select(SlaTimer.id, SlaTimer.warn_at, SlaTimer.due_at).where(SlaTimer.state == "running")) if (t.warn_at and t.warn_at <= now) or (t.due_at and t.due_at <= now)]
            assert not due
        return (time.perf_counter() - started) / repeats * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--emails", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1000)
    parser.add_argument("--database", default="sqlite")
    parser.add_argument("--no-languages", action="store_true")
    parser.add_argument("--workers", type=int, default=2, help="processes that parse mail ahead of the writer")
    parser.add_argument("--seed", type=int, default=11)
    args = parser.parse_args(argv)
    print(f"machine: {machine_description()}")
    folder = tempfile.mkdtemp(prefix="dragoman-tickets-")
    url = f"sqlite:///{folder}/bench.db" if args.database == "sqlite" else args.database
    upgrade_database(url)
    engine = make_engine(url)
    factory = make_session_factory(engine)
    with factory() as db:
        summary = seed_demo(db)
        inbox = create_inbox(db, summary.account_id, name="Support mail", channel_type="email", settings={"address": "support@shop.example"})
        save_policy(
            db,
            summary.account_id,
            SlaPolicyIn(
                name="Normal", priority="normal", first_response_seconds=4 * 3600, resolution_seconds=24 * 3600,
                timezone="Europe/Berlin", hours=[HoursIn(weekday=d, start="09:00", end="18:00") for d in range(5)],
                holiday_country="DE",
            ),
        )
        db.commit()
        inbox_id = inbox.id
    start = utcnow()
    print(f"\ngenerating {args.emails:,} mails ...", flush=True)
    mails = generate(args.emails, args.seed, start)
    megabytes = sum(len(m) for m in mails) / 2**20
    # First a tenth, to measure the sweep with fewer open tickets in the same run.
    tenth = len(mails) // 10
    elapsed = 0.0
    reports = []
    sweeps: list[tuple[int, float, float]] = []
    for part in (mails[:tenth], mails[tenth:]):
        with factory() as db:
            inbox = db.get(Inbox, inbox_id)
            began = time.perf_counter()
            reports.append(import_emails(db, inbox, part, batch_size=args.batch, detect_languages=not args.no_languages, workers=args.workers, now=start))
            elapsed += time.perf_counter() - began
        with factory() as db:
            open_tickets = db.scalar(select(func.count()).select_from(Ticket))
        sweeps.append((open_tickets, sweep_ms(factory, start), scan_ms(factory, start)))
    tickets = sum(r.tickets for r in reports)
    replies = sum(r.replies for r in reports)
    print(
        f"\nimport of {len(mails):,} mails ({megabytes:.0f} MiB; batches of {args.batch}; language detection "
        f"{'off' if args.no_languages else 'on'}) into {url.split(':')[0]}:\n"
        f"  {tickets:,} tickets, {replies:,} replies threaded, {sum(r.duplicates for r in reports):,} duplicates and "
        f"{sum(r.automatic for r in reports):,} auto-replies skipped\n"
        f"  {elapsed:.1f} s: {len(mails) / elapsed:,.0f} mails/s, {tickets / elapsed:,.0f} tickets/s"
    )
    print("\nSLA check with nothing due (what runs every time the SLA thread wakes):")
    for open_tickets, indexed, scanned in sweeps:
        print(f"  {open_tickets:>7,} open tickets: indexed sweep {indexed:7.3f} ms; scanning every running timer {scanned:9.1f} ms")
    # Time moves on until 1,000 warnings are due: the cost per event fired.
    with factory() as db:
        moments = list(db.scalars(select(SlaTimer.next_check_at).where(SlaTimer.next_check_at.is_not(None)).order_by(SlaTimer.next_check_at).limit(1000)))
    later = moments[-1]
    with factory() as db:
        began = time.perf_counter()
        fired = sweep_sla(db, later, limit=1000)
        db.commit()
        spent = time.perf_counter() - began
    print(f"\nfiring {len(fired):,} due warnings (event row, timeline line, next check): {spent * 1000:.0f} ms, {spent / max(1, len(fired)) * 1000:.2f} ms per event")
    engine.dispose()


if __name__ == "__main__":
    main()
