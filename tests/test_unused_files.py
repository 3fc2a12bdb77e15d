"""Files uploaded and never sent are removed after a day; files a message
names (an agent's reply, a visitor's file, a received mail's attachment)
stay. By the server's sweep and by `dragoman files prune`."""

from __future__ import annotations

import os
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from conftest import DemoWorld
from dragoman.cli import main
from dragoman.config import Settings
from dragoman.conversations.file_sweeper import remove_unused_files
from dragoman.core.http import AppContext


def _age_every_file(directory: Path, hours: float) -> None:
    then = time.time() - hours * 3600
    for path in directory.glob("??/*"):
        os.utime(path, (then, then))


def test_only_files_no_message_names_are_removed_once_a_day_old(
    client: TestClient, demo: DemoWorld, as_user: Any, settings: Settings, db: Session, ctx: AppContext
) -> None:
    admin = as_user(demo.user("admin"))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    mine = {"X-Visitor-Token": visitor["visitor_token"]}
    photo = client.post("/widget/api/files", files={"file": ("caja.jpg", b"caja rota", "image/jpeg")}, headers=mine).json()
    conversation = f"/api/v1/accounts/{demo.account_id}/conversations/{photo['conversation_id']}"
    sent = client.post(f"{conversation}/attachments", files={"file": ("etiqueta.pdf", b"%PDF etiqueta", "application/pdf")}, headers=admin).json()
    reply = client.post(f"{conversation}/messages", json={"content": "La etiqueta de devolución.", "attachments": [sent]}, headers=admin)
    assert reply.status_code == 201, reply.text
    forgotten = client.post(f"{conversation}/attachments", files={"file": ("borrador.pdf", b"%PDF borrador", "application/pdf")}, headers=admin).json()
    directory = settings.data_dir / "attachments"
    # A mail received with an attachment.
    inbox = client.post(
        f"/api/v1/accounts/{demo.account_id}/inboxes",
        json={"name": "Support mail", "channel_type": "email", "settings": {"address": "support@shop.example"}},
        headers=admin,
    ).json()
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = "jonas@kunde.de", "support@shop.example", "Rechnung", "<r-1@kunde.de>"
    mail.set_content("Die Rechnung anbei.")
    mail.add_attachment(b"%PDF Rechnung", maintype="application", subtype="pdf", filename="Rechnung.pdf")
    receipt = ctx.services["email"].receive_raw(inbox["id"], mail.as_bytes())
    assert receipt.conversation_id is not None, receipt

    # A day has not passed: nothing goes, not even the forgotten upload.
    assert remove_unused_files(db, directory).removed == 0
    _age_every_file(directory, 25)
    result = remove_unused_files(db, directory)
    assert (result.removed, result.bytes_freed) == (1, len(b"%PDF borrador"))
    assert not (directory / forgotten["sha256"][:2] / forgotten["sha256"]).exists()
    # What messages name is still there for whoever may download it.
    assert client.get(f"/widget/api/messages/{photo['id']}/files/0", headers=mine).content == b"caja rota"
    reply_id = reply.json()["id"]
    assert client.get(f"{conversation}/messages/{reply_id}/files/0", headers=admin).content == b"%PDF etiqueta"
    received = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{receipt.conversation_id}/messages", headers=admin).json()[0]
    mail_file = client.get(f"/api/v1/accounts/{demo.account_id}/conversations/{receipt.conversation_id}/messages/{received['id']}/attachments/0", headers=admin)
    assert mail_file.status_code == 200 and mail_file.content == b"%PDF Rechnung"
    # An old upload sent again (the same bytes, kept once) counts as new:
    # the agent is about to send it, so the sweep leaves it.
    draft = client.post(f"{conversation}/attachments", files={"file": ("plantilla.pdf", b"%PDF plantilla", "application/pdf")}, headers=admin).json()
    _age_every_file(directory, 25)
    again = client.post(f"{conversation}/attachments", files={"file": ("plantilla (2).pdf", b"%PDF plantilla", "application/pdf")}, headers=admin)
    assert again.json()["sha256"] == draft["sha256"]
    assert remove_unused_files(db, directory).removed == 0
    assert (directory / draft["sha256"][:2] / draft["sha256"]).exists()


def test_the_prune_command_reports_and_refuses_a_negative_age(
    client: TestClient, demo: DemoWorld, as_user: Any, settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    admin = as_user(demo.user("admin"))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva"}).json()
    message = client.post("/widget/api/messages", json={"content": "Hola"}, headers={"X-Visitor-Token": visitor["visitor_token"]}).json()
    conversation = f"/api/v1/accounts/{demo.account_id}/conversations/{message['conversation_id']}"
    client.post(f"{conversation}/attachments", files={"file": ("nunca.txt", b"never sent", "text/plain")}, headers=admin)
    monkeypatch.setenv("DRAGOMAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DRAGOMAN_SECRET_KEY", settings.secret_key)
    monkeypatch.setenv("DRAGOMAN_DATA_DIR", str(settings.data_dir))
    assert main(["files", "prune", "--older-than-hours", "-1"]) == 2
    assert "--older-than-hours" in capsys.readouterr().err
    assert main(["files", "prune"]) == 0
    assert capsys.readouterr().out.startswith("0 unused files removed")
    assert main(["files", "prune", "--older-than-hours", "0"]) == 0
    assert capsys.readouterr().out.startswith("1 unused files removed")
