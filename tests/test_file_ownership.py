"""Files belong to the account, and within it to the agent or customer,
that uploaded them. Files are kept once per SHA-256 on disk, but knowing a
digest gives nothing: another account's file is attached and downloaded
exactly as a file that was never uploaded, so a digest is not even an
oracle for "these bytes exist on this server"."""

from __future__ import annotations

import hashlib
import time
from email.message import EmailMessage
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from conftest import DemoWorld, api_token, bearer
from dragoman.accounts import services as accounts
from dragoman.accounts.models import Role
from dragoman.config import Settings
from dragoman.conversations.file_sweeper import remove_unused_files
from dragoman.conversations.models import Message
from dragoman.core.http import AppContext


def _rival(client: TestClient, ctx: AppContext) -> tuple[str, dict[str, str], str]:
    """Another account with its own admin and a web chat that takes files:
    (its API prefix, the admin's headers, the path of one of its conversations)."""
    with ctx.session_factory() as db:
        account = accounts.create_account(db, "Rival Corp")
        admin = accounts.create_user(db, account.id, email="boss@rival.test", name="Boss", password="rival-pass-1", role=Role.admin)
        db.commit()
        prefix = f"/api/v1/accounts/{account.id}"
    headers = bearer(api_token(ctx, admin))
    inbox = client.post(f"{prefix}/inboxes", json={"name": "Rival chat", "settings": {"customer_files": True}}, headers=headers).json()
    visitor = client.post(f"/widget/api/{inbox['website_token']}/visitors", json={"language": "en"}).json()
    sent = client.post("/widget/api/messages", json={"content": "hello"}, headers={"X-Visitor-Token": visitor["visitor_token"]})
    return prefix, headers, f"{prefix}/conversations/{sent.json()['conversation_id']}"


def _demo_chat_with_files(client: TestClient, demo: DemoWorld, admin: dict[str, str]) -> dict[str, Any]:
    """In the demo account: a visitor's photo and the admin's reply with a file."""
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    photo = client.post(
        "/widget/api/files", files={"file": ("caja.jpg", b"secret photo of account A", "image/jpeg")}, headers={"X-Visitor-Token": visitor["visitor_token"]}
    ).json()
    photo["sha256"] = hashlib.sha256(b"secret photo of account A").hexdigest()
    conversation = f"/api/v1/accounts/{demo.account_id}/conversations/{photo['conversation_id']}"
    upload = client.post(f"{conversation}/attachments", files={"file": ("contrato.pdf", b"%PDF contract of account A", "application/pdf")}, headers=admin).json()
    reply = client.post(f"{conversation}/messages", json={"content": "El contrato.", "attachments": [upload]}, headers=admin)
    assert reply.status_code == 201, reply.text
    return {"conversation": conversation, "photo": photo, "upload": upload, "reply": reply.json()}


def _attach(client: TestClient, conversation: str, headers: dict[str, str], digest: str) -> Any:
    ref = {"sha256": digest, "filename": "x.pdf", "content_type": "application/pdf", "size": 1}
    return client.post(f"{conversation}/messages", json={"content": "see the file", "attachments": [ref]}, headers=headers)


def _without_digest(answer: Any, digest: str) -> dict[str, Any]:
    body = answer.json()
    return {**body, "message": body["message"].replace(digest, "<digest>")}


def test_another_accounts_file_cannot_be_attached_and_answers_as_a_missing_one(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    ours = _demo_chat_with_files(client, demo, admin)
    _prefix, rival, rival_conversation = _rival(client, ctx)
    never_uploaded = hashlib.sha256(b"bytes nobody ever sent").hexdigest()
    missing = _attach(client, rival_conversation, rival, never_uploaded)
    assert missing.status_code == 422 and missing.json()["field"] == "attachments[0]"
    for digest in (ours["upload"]["sha256"], ours["photo"]["sha256"]):
        answer = _attach(client, rival_conversation, rival, digest)
        assert answer.status_code == 422
        # Word for word the answer for bytes that were never on the server.
        assert _without_digest(answer, digest) == _without_digest(missing, never_uploaded)
    rival_messages = client.get(f"{rival_conversation}/messages", headers=rival).json()
    assert [m["content"] for m in rival_messages] == ["hello"]


def test_a_received_mails_attachment_cannot_be_attached_by_another_account(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    inbox = client.post(
        f"/api/v1/accounts/{demo.account_id}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "settings": {"address": "support@shop.example"}},
        headers=admin,
    ).json()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "jonas@kunde.de", "support@shop.example", "Rechnung", "<r-1@kunde.de>"
    mail.set_content("Die Rechnung anbei.")
    mail.add_attachment(b"%PDF invoice of account A", maintype="application", subtype="pdf", filename="Rechnung.pdf")
    receipt = ctx.services["email"].receive_raw(inbox["id"], mail.as_bytes())
    assert receipt.conversation_id is not None
    digest = hashlib.sha256(b"%PDF invoice of account A").hexdigest()
    _prefix, rival, rival_conversation = _rival(client, ctx)
    answer = _attach(client, rival_conversation, rival, digest)
    assert answer.status_code == 422 and answer.json()["field"] == "attachments[0]"
    # The account that received it downloads it as before.
    received = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{receipt.conversation_id}/messages", headers=admin).json()[0]
    download = client.get(
        f"/api/v1/accounts/{demo.account_id}/conversations/{receipt.conversation_id}/messages/{received['id']}/attachments/0", headers=admin
    )
    assert download.status_code == 200 and download.content == b"%PDF invoice of account A"


def test_an_agent_attaches_only_files_they_uploaded_themselves(client: TestClient, demo: DemoWorld, as_user: Any) -> None:
    """Within one account too: Sam cannot send (and then read) a file that an
    agent of a conversation he cannot see uploaded, by its digest."""
    admin = as_user(demo.user("admin"))
    ours = _demo_chat_with_files(client, demo, admin)
    sam = as_user(demo.user("sam"))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"language": "en"}).json()
    sent = client.post("/widget/api/messages", json={"content": "hi", "client_id": "c1"}, headers={"X-Visitor-Token": visitor["visitor_token"]}).json()
    sams_chat = f"/api/v1/accounts/{demo.account_id}/conversations/{sent['conversation_id']}"
    refused = _attach(client, sams_chat, sam, ours["upload"]["sha256"])
    assert refused.status_code == 422 and refused.json()["field"] == "attachments[0]"
    # Once Sam uploads the same bytes himself, he holds them and may send them.
    own = client.post(f"{sams_chat}/attachments", files={"file": ("c.pdf", b"%PDF contract of account A", "application/pdf")}, headers=sam).json()
    assert own["sha256"] == ours["upload"]["sha256"]
    assert _attach(client, sams_chat, sam, own["sha256"]).status_code == 201


def test_a_message_naming_another_accounts_file_downloads_nothing(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any
) -> None:
    """Defence in depth: even a message that names another account's digest
    (stored before files had owners) serves 404, as for a file gone from disk."""
    admin = as_user(demo.user("admin"))
    ours = _demo_chat_with_files(client, demo, admin)
    _prefix, rival, rival_conversation = _rival(client, ctx)
    planted = client.post(f"{rival_conversation}/messages", json={"content": "planted"}, headers=rival).json()
    gone = {"sha256": hashlib.sha256(b"gone").hexdigest(), "filename": "gone.pdf", "content_type": "application/pdf", "size": 4}
    with ctx.session_factory() as db:
        message = db.get(Message, planted["id"])
        message.attributes = {**(message.attributes or {}), "attachments": [{**ours["upload"], "size": 1}, gone]}
        db.commit()
    stolen = client.get(f"{rival_conversation}/messages/{planted['id']}/files/0", headers=rival)
    missing = client.get(f"{rival_conversation}/messages/{planted['id']}/files/1", headers=rival)
    assert stolen.status_code == missing.status_code == 404
    assert stolen.json() == missing.json()
    assert b"contract" not in stolen.content
    # The owner still downloads it.
    mine = client.get(f"{ours['conversation']}/messages/{ours['reply']['id']}/files/0", headers=admin)
    assert mine.status_code == 200 and mine.content == b"%PDF contract of account A"


def test_the_sweep_forgets_unsent_uploads_with_their_files_and_keeps_sent_ones(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, settings: Settings
) -> None:
    admin = as_user(demo.user("admin"))
    ours = _demo_chat_with_files(client, demo, admin)
    forgotten = client.post(f"{ours['conversation']}/attachments", files={"file": ("b.pdf", b"%PDF draft", "application/pdf")}, headers=admin).json()
    from dragoman.conversations.models import FileUpload  # the table this change adds

    with ctx.session_factory() as db:
        # A day and more later (the sweep's clock, the files' times follow).
        later = time.time() + 25 * 3600
        result = remove_unused_files(db, settings.data_dir / "attachments", now=later)
        assert result.removed == 1
        kept = {row.sha256 for row in db.scalars(select(FileUpload))}
    assert forgotten["sha256"] not in kept
    assert {ours["upload"]["sha256"], ours["photo"]["sha256"]} <= kept
    # The forgotten draft can no longer be sent; the sent files still download.
    assert _attach(client, ours["conversation"], admin, forgotten["sha256"]).status_code == 422
    assert client.get(f"{ours['conversation']}/messages/{ours['reply']['id']}/files/0", headers=admin).status_code == 200


def test_the_migration_gives_files_messages_already_carry_to_their_accounts(
    client: TestClient, ctx: AppContext, demo: DemoWorld, as_user: Any, settings: Settings
) -> None:
    """Upgrading a server whose messages already carry files (migration
    0018): each file becomes its account's, uploaded by the message's
    sender, so every download keeps working and nothing else is granted."""
    from alembic import command

    from dragoman.conversations.models import FileUpload
    from dragoman.core.migrate import alembic_config, upgrade_database

    admin = as_user(demo.user("admin"))
    ours = _demo_chat_with_files(client, demo, admin)
    ctx.engine.dispose()  # the app's pooled connections must not hold the table
    try:
        command.downgrade(alembic_config(settings.database_url), "0017")
    finally:
        upgrade_database(settings.database_url)
    with ctx.session_factory() as db:
        rows = {(row.account_id, row.sha256, row.uploader) for row in db.scalars(select(FileUpload))}
        photo_message = db.get(Message, ours["photo"]["id"])
        contact_id = photo_message.sender_id
    assert rows == {
        (demo.account_id, ours["upload"]["sha256"], f"user:{demo.user('admin').id}"),
        (demo.account_id, ours["photo"]["sha256"], f"contact:{contact_id}"),
    }
    download = client.get(f"{ours['conversation']}/messages/{ours['reply']['id']}/files/0", headers=admin)
    assert download.status_code == 200 and download.content == b"%PDF contract of account A"
