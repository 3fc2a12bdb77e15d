"""The `dragoman` command: serve, migrate, seed the demo, manage users.

Every command reads DRAGOMAN_DATABASE_URL and the other DRAGOMAN_* settings
from the environment. Bad input exits with code 2 and a message that names
what was wrong.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import os
import signal
import sys
from collections.abc import Sequence

from dragoman.config import Settings

EXIT_USAGE = 2


def _settings() -> Settings:
    try:
        return Settings.from_env()
    except ValueError as exc:
        print(f"dragoman: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_USAGE) from None


def command_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from dragoman.app import create_app

    settings = _settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # httpx logs every request at INFO: one line per translated message (the
    # local Apertium server) and per webhook, drowning what operators read.
    # Failures still reach the log through the callers' own warnings.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    app = create_app(settings)
    print(f"Dragoman on http://{args.host}:{args.port}  (database: {_redacted(settings.database_url)})", flush=True)
    # uvicorn shuts down gracefully on SIGTERM and then raises the signal
    # again, which ended the process without its exit handlers: the Apertium
    # server it had started lived on. With this handler in place for that
    # second signal, the process exits normally and stops it.
    signal.signal(signal.SIGTERM, lambda _signal, _frame: sys.exit(0))
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="info",
        ws="websockets-sansio",
        # Frames are small JSON; compressing each one for every agent cost
        # more CPU than the message itself in benchmarks/message_path.py.
        ws_per_message_deflate=False,
        proxy_headers=False,
        # A stop (SIGTERM) waits this long for requests in flight, then ends
        # them: an operator's stop must never hang on a stuck request.
        timeout_graceful_shutdown=5,
    )
    return 0


def _redacted(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def command_db_upgrade(_args: argparse.Namespace) -> int:
    from dragoman.core.migrate import upgrade_database

    settings = _settings()
    upgrade_database(settings.database_url)
    print(f"database is up to date: {_redacted(settings.database_url)}")
    return 0


def command_demo(_args: argparse.Namespace) -> int:
    from dragoman.app import connect_features
    from dragoman.core.db import make_engine, make_session_factory, session_scope
    from dragoman.demo.history import seed_history
    from dragoman.demo.seed import DEMO_PASSWORD, DEMO_USERS, seed_demo
    from dragoman.demo.showcase import DEMO_MAIL_ADDRESS, seed_showcase

    settings = _settings()
    # The demo's past makes tickets from mail and from routing, as the app would.
    connect_features()
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            summary = seed_demo(db)
            shown = seed_showcase(db, summary.account_id)
            past = seed_history(db, summary.account_id, settings.data_dir, public_url=settings.public_url)
    finally:
        engine.dispose()
    print("demo account " + ("created" if summary.created else "already present, left as it was"))
    if shown.queues or shown.policies or shown.requests:
        print(f"added {shown.queues} queues, {shown.policies} SLA policies and {shown.requests} open requests (tickets)")
    if shown.mail_inbox:
        print(f"added the e-mail inbox {DEMO_MAIL_ADDRESS}")
    if past.conversations:
        print(
            f"added three weeks of history: {past.conversations} conversations, {past.tickets} of them e-mail tickets, "
            f"{past.surveys} satisfaction surveys"
        )
    print(f"sign in with any of these (password: {DEMO_PASSWORD}):")
    for user in DEMO_USERS:
        print(f"  {user.role.value:<10} {user.email}")
    return 0


def command_create_user(args: argparse.Namespace) -> int:
    from dragoman.accounts import services
    from dragoman.accounts.models import Account
    from dragoman.core.db import make_engine, make_session_factory, session_scope
    from dragoman.core.errors import DragomanError

    settings = _settings()
    password = args.password or os.environ.get("DRAGOMAN_NEW_USER_PASSWORD")
    if not password:
        if not sys.stdin.isatty():
            print("dragoman: --password is required when no terminal is attached", file=sys.stderr)
            return EXIT_USAGE
        password = getpass.getpass("password: ")
    languages = []
    for item in args.language or []:
        code, _, level = item.partition(":")
        try:
            value = int(level or "5")
        except ValueError:
            print(f"dragoman: --language {item!r}: the level after ':' must be 0-5", file=sys.stderr)
            return EXIT_USAGE
        languages.append(services.LanguageSkill(code, value, value, value))
    engine = make_engine(settings.database_url)
    try:
        with session_scope(make_session_factory(engine)) as db:
            account = db.get(Account, args.account) if args.account else None
            if args.account and account is None:
                print(f"dragoman: --account {args.account}: no such account", file=sys.stderr)
                return EXIT_USAGE
            if account is None:
                account = services.create_account(db, args.account_name or "My company")
            user = services.create_user(
                db,
                account.id,
                email=args.email,
                name=args.name,
                password=password,
                role=args.role,
                languages=languages,
            )
            print(f"created {user.role.value} {user.email} (id {user.id}) in account {account.id} ({account.name})")
    except DragomanError as exc:
        where = f" ({exc.field})" if exc.field else ""
        print(f"dragoman: {exc.message}{where}", file=sys.stderr)
        return EXIT_USAGE
    finally:
        engine.dispose()
    return 0


def command_bot_eval(args: argparse.Namespace) -> int:
    from pathlib import Path

    from dragoman.core.errors import DragomanError
    from dragoman.kb.evaluation import EvalFileError, choose_threshold, evaluate, format_report, load_labelled
    from dragoman.kb.portable import DEMO_KNOWLEDGE_BASE, load_knowledge_base_file
    from dragoman.kb.retrieval import SearchIndex, default_threshold, shared_embedder, threshold_setting

    kb_path = Path(args.kb) if args.kb else DEMO_KNOWLEDGE_BASE
    try:
        questions = load_labelled(Path(args.file))
        knowledge_base = load_knowledge_base_file(kb_path)
    except EvalFileError as exc:
        print(f"dragoman: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except FileNotFoundError:
        print(f"dragoman: --kb {kb_path}: no such file", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, DragomanError) as exc:  # JSON syntax, or a field the format refuses
        detail = exc.message if isinstance(exc, DragomanError) else str(exc)
        print(f"dragoman: --kb {kb_path}: {detail}", file=sys.stderr)
        return EXIT_USAGE
    slugs = {article.slug for article in knowledge_base.articles}
    unknown = sorted({q.expected for q in questions if q.expected not in ("none", "person") and q.expected not in slugs})
    if unknown:
        print(f"dragoman: {args.file}: expected articles not in the knowledge base: {', '.join(unknown[:10])}", file=sys.stderr)
        return EXIT_USAGE
    embedder = None if args.lexical_only else shared_embedder()
    print(f"building the index of {len(knowledge_base.articles)} articles ...", file=sys.stderr, flush=True)
    index = SearchIndex.build(knowledge_base.documents(), embedder)
    threshold = args.threshold if args.threshold is not None else default_threshold(index.semantic)
    if args.choose_threshold:
        try:
            choice = choose_threshold(index, questions)
        except EvalFileError as exc:
            print(f"dragoman: {args.file}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        threshold = choice.threshold
        print(
            f"threshold that balances top-1 accuracy and hand-off recall on {args.file}: {threshold:.4g}\n"
            f"(each at its lower 95% bound there: {choice.assured:.1%}; a figure from few questions keeps a margin)\n"
            f"(scoring {'by meaning and words' if index.semantic else 'by words only'}: set it as the inbox's "
            f"settings.{threshold_setting(index.semantic)}, in the console's inbox form)\n"
        )
    print(format_report(evaluate(index, questions, threshold), show_misses=args.misses))
    return 0


def command_tickets_import(args: argparse.Namespace) -> int:
    import mailbox
    from pathlib import Path

    from dragoman.app import connect_features
    from dragoman.core.db import make_engine, make_session_factory
    from dragoman.inboxes import channel_kinds
    from dragoman.inboxes.models import Inbox
    from dragoman.tickets.importer import import_emails

    path = Path(args.file)
    if not path.exists():
        print(f"dragoman: {path}: no such file or folder", file=sys.stderr)
        return EXIT_USAGE
    if path.is_dir():
        box: mailbox.Mailbox = mailbox.Maildir(str(path), create=False)  # type: ignore[type-arg]
    else:
        box = mailbox.mbox(str(path), create=False)
    settings = _settings()
    connect_features()  # the channel kinds, asked which inboxes take imported mail
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db:
            inbox = db.get(Inbox, args.inbox)
            kind = channel_kinds.find_kind(inbox.channel_type) if inbox is not None else None
            if inbox is None or kind is None or not kind.imports_mail:
                print(f"dragoman: --inbox {args.inbox}: no e-mail or API inbox with this id", file=sys.stderr)
                return EXIT_USAGE
            raws = (box.get_bytes(key) for key in box.iterkeys())
            report = import_emails(
                db, inbox, raws, batch_size=args.batch, detect_languages=not args.no_languages, workers=args.workers
            )
    finally:
        engine.dispose()
    print(
        f"{report.tickets} tickets, {report.replies} replies threaded, {report.duplicates} duplicates skipped, "
        f"{report.automatic} auto-replies/bounces skipped, {report.refused} refused"
    )
    for warning in report.warnings[:20]:
        print(f"warning: {warning}", file=sys.stderr)
    return 0


def command_files_prune(args: argparse.Namespace) -> int:
    from dragoman.conversations.file_sweeper import remove_unused_files
    from dragoman.core.db import make_engine, make_session_factory

    if args.older_than_hours < 0:
        print("dragoman: --older-than-hours must be 0 or more", file=sys.stderr)
        return EXIT_USAGE
    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        with make_session_factory(engine)() as db:
            result = remove_unused_files(db, settings.data_dir / "attachments", args.older_than_hours * 3600)
    finally:
        engine.dispose()
    print(f"{result.removed} unused files removed ({result.bytes_freed / (1024 * 1024):.1f} MB)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dragoman", description="Dragoman, a multilingual contact center.")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="serve the console, the widget and the API")
    serve.add_argument("--host", default=os.environ.get("DRAGOMAN_HOST", "127.0.0.1"))
    serve.add_argument("--port", type=int, default=int(os.environ.get("DRAGOMAN_PORT", "8000")))
    serve.set_defaults(func=command_serve)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply every migration not yet applied")
    upgrade.set_defaults(func=command_db_upgrade)

    demo = sub.add_parser("demo", help="create the demo account, teams, agents and chat inbox (idempotent)")
    demo.set_defaults(func=command_demo)

    create_user = sub.add_parser("create-user", help="add a user (and an account when none is given)")
    create_user.add_argument("--email", required=True)
    create_user.add_argument("--name", required=True)
    create_user.add_argument("--role", choices=["admin", "supervisor", "agent"], default="agent")
    create_user.add_argument("--password", help="at least 8 characters; prompted for when omitted")
    create_user.add_argument("--account", type=int, help="the account's id; a new account is made when omitted")
    create_user.add_argument("--account-name", help="the name of the new account")
    create_user.add_argument(
        "--language", action="append", metavar="CODE[:LEVEL]", help="a language the user works in, e.g. es:5 (repeatable)"
    )
    create_user.set_defaults(func=command_create_user)

    bot = sub.add_parser("bot", help="the FAQ bot")
    bot_sub = bot.add_subparsers(dest="bot_command", required=True)
    bot_eval = bot_sub.add_parser(
        "eval",
        help="measure the bot on labelled questions: top-1 accuracy, hand-off precision and recall, per language",
    )
    bot_eval.add_argument("file", help="JSON Lines, JSON or CSV with question, language, expected (an article slug, 'none' or 'person')")
    bot_eval.add_argument("--kb", help="a knowledge-base export (JSON); the demo store's when omitted")
    bot_threshold = bot_eval.add_mutually_exclusive_group()
    bot_threshold.add_argument("--threshold", type=float, help="hand off below this score (default: the bot's)")
    bot_threshold.add_argument(
        "--choose-threshold",
        action="store_true",
        help="find the threshold that balances top-1 accuracy and hand-off recall on FILE (for the inbox's settings)",
    )
    bot_eval.add_argument("--lexical-only", action="store_true", help="BM25 only, without the embedding model")
    bot_eval.add_argument("--misses", type=int, default=0, metavar="N", help="list the first N misses")
    bot_eval.set_defaults(func=command_bot_eval)

    tickets = sub.add_parser("tickets", help="tickets")
    tickets_sub = tickets.add_subparsers(dest="tickets_command", required=True)
    tickets_import = tickets_sub.add_parser(
        "import", help="import mail (an mbox file or a Maildir folder) into tickets: new threads become tickets, replies join them"
    )
    tickets_import.add_argument("file", help="an mbox file or a Maildir folder")
    tickets_import.add_argument("--inbox", type=int, required=True, help="the e-mail (or API) inbox the tickets belong to")
    tickets_import.add_argument("--batch", type=int, default=1000, help="mails written per transaction")
    tickets_import.add_argument("--no-languages", action="store_true", help="skip language detection (faster)")
    tickets_import.add_argument(
        "--workers", type=int, default=min(2, os.cpu_count() or 1), help="processes that parse mail ahead of the writer (0: none)"
    )
    tickets_import.set_defaults(func=command_tickets_import)

    files = sub.add_parser("files", help="files kept for messages")
    files_sub = files.add_subparsers(dest="files_command", required=True)
    files_prune = files_sub.add_parser(
        "prune", help="remove files no message names (uploaded, never sent), older than a day; the server does this every 6 hours"
    )
    files_prune.add_argument("--older-than-hours", type=float, default=24.0, help="leave files younger than this (default 24)")
    files_prune.set_defaults(func=command_files_prune)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)  # argparse exits with 2 on bad usage
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
