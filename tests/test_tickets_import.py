"""Importing a mailbox into tickets, as a team moving from another helpdesk
does: `dragoman tickets import FILE --inbox N`."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from conftest import DemoWorld
from dragoman.cli import main
from dragoman.config import Settings


def mail(message_id: str, sender: str, subject: str, body: str, *, charset: str = "utf-8", **headers: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "support@shop.example"
    message["Subject"] = subject
    message["Message-ID"] = f"<{message_id}>"
    message["Date"] = "Sun, 22 Nov 2026 10:00:00 +0000"
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, charset=charset)
    return message


def test_a_mailbox_becomes_tickets_with_replies_threaded_and_loops_left_out(
    client: TestClient, demo: DemoWorld, as_user: Any, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = as_user(demo.user("admin"))
    base = f"/api/v1/accounts/{demo.account_id}"
    client.post(f"{base}/sla_policies", json={"name": "Normal", "priority": "normal", "first_response_seconds": 3600}, headers=admin)
    inbox = client.post(f"{base}/inboxes", json={"name": "Support mail", "channel_type": "email", "settings": {"address": "support@shop.example"}}, headers=admin).json()
    box = mailbox.mbox(str(tmp_path / "support.mbox"))
    box.add(mail("q1@kunde.de", "Jonas Weber <jonas@kunde.de>", "Bestellung 4711 fehlt", "Meine Bestellung 4711 ist nicht angekommen, bitte prüfen Sie das."))
    box.add(mail("q2@cliente.es", "Ana <ana@cliente.es>", "Pedido roto", "Mi pedido llegó roto y quiero devolverlo, por favor ayúdenme."))
    box.add(mail("r1@kunde.de", "jonas@kunde.de", "AW: Bestellung 4711 fehlt", "Hier ist die Sendungsnummer.\n\nAm 22.11.2026 schrieb Support:\n> Bitte", In_Reply_To="<q1@kunde.de>"))
    box.add(mail("ooo@cliente.es", "ana@cliente.es", "Fuera de la oficina", "Estoy de vacaciones.", Auto_Submitted="auto-replied"))
    box.add(mail("q1@kunde.de", "jonas@kunde.de", "Bestellung 4711 fehlt", "the same mail, twice in the export"))
    box.add(mail("q3@client.fr", "luc@client.fr", "Remboursement", "Bonjour, je n'ai toujours pas reçu mon remboursement.", charset="iso-8859-1"))
    box.flush()
    monkeypatch.setenv("DRAGOMAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DRAGOMAN_SECRET_KEY", settings.secret_key)
    # Batches of two: a reply lands in a later batch than its thread's first mail.
    assert main(["tickets", "import", str(tmp_path / "support.mbox"), "--inbox", str(inbox["id"]), "--batch", "2"]) == 0
    tickets = client.get(f"{base}/tickets", headers=admin).json()["items"]
    assert sorted(t["subject"] for t in tickets) == ["Bestellung 4711 fehlt", "Pedido roto", "Remboursement"]
    by_subject = {t["subject"]: t for t in tickets}
    german = by_subject["Bestellung 4711 fehlt"]
    assert german["source"] == "email" and german["language"] == "de" and german["contact"]["email"] == "jonas@kunde.de"
    assert by_subject["Pedido roto"]["language"] == "es" and by_subject["Remboursement"]["language"] == "fr"
    assert german["next_deadline"]["metric"] == "first_response"
    messages = client.get(f"{base}/conversations/{german['conversation_id']}/messages", headers=admin).json()
    # The reply joined its thread, its quote folded away; the duplicate was skipped.
    assert [m["content"] for m in messages] == [
        "Meine Bestellung 4711 ist nicht angekommen, bitte prüfen Sie das.",
        "Hier ist die Sendungsnummer.",
    ]
    assert messages[0]["source_id"] == "q1@kunde.de"
    # Importing the same file again changes nothing.
    assert main(["tickets", "import", str(tmp_path / "support.mbox"), "--inbox", str(inbox["id"])]) == 0
    assert len(client.get(f"{base}/tickets", headers=admin).json()["items"]) == 3


def test_importing_into_a_chat_inbox_or_a_missing_file_is_a_usage_error(
    demo: DemoWorld, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DRAGOMAN_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("DRAGOMAN_SECRET_KEY", settings.secret_key)
    assert main(["tickets", "import", str(tmp_path / "none.mbox"), "--inbox", str(demo.inbox_id)]) == 2
    assert "no such file" in capsys.readouterr().err
    mailbox.mbox(str(tmp_path / "x.mbox")).flush()
    assert main(["tickets", "import", str(tmp_path / "x.mbox"), "--inbox", str(demo.inbox_id)]) == 2
    assert "no e-mail or API inbox" in capsys.readouterr().err
