"""Bad input at the widget's public API: each gets a clear 4xx naming the
field (or an error frame on the socket), and nothing half-made is stored."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from conftest import DemoWorld
from dragoman.channels.webchat.services import CUSTOMER_FILES_PER_HOUR
from dragoman.conversations.models import Conversation, Message
from dragoman.conversations.services import MAX_MESSAGE_CHARS
from dragoman.core.files import MAX_FILE_BYTES
from dragoman.inboxes.models import Inbox


def start_visitor(client: TestClient, demo: DemoWorld) -> dict[str, str]:
    response = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Ines", "language": "pt"})
    assert response.status_code == 201, response.text
    return {"X-Visitor-Token": response.json()["visitor_token"]}


def stored_counts(db: Session) -> tuple[int, int]:
    db.expire_all()
    return db.scalar(select(func.count(Conversation.id))) or 0, db.scalar(select(func.count(Message.id))) or 0


def test_empty_and_blank_messages_are_refused_and_start_no_conversation(
    client: TestClient, demo: DemoWorld, db: Session
) -> None:
    visitor = start_visitor(client, demo)
    for content in ("", "   \n\t "):
        response = client.post("/widget/api/messages", json={"content": content}, headers=visitor)
        assert response.status_code == 422
        assert response.json()["field"] == "content"
        assert "empty" in response.json()["message"]
    missing = client.post("/widget/api/messages", json={}, headers=visitor)
    assert missing.status_code == 422 and missing.json()["field"] == "content"
    assert stored_counts(db) == (0, 0)


def test_the_length_limit_is_exact(client: TestClient, demo: DemoWorld, db: Session) -> None:
    visitor = start_visitor(client, demo)
    too_long = client.post("/widget/api/messages", json={"content": "a" * (MAX_MESSAGE_CHARS + 1)}, headers=visitor)
    assert too_long.status_code == 422
    body = too_long.json()
    assert body["field"] == "content"
    assert "10001" in body["message"] and "10000" in body["message"]
    assert stored_counts(db) == (0, 0)
    at_limit = client.post("/widget/api/messages", json={"content": "a" * MAX_MESSAGE_CHARS}, headers=visitor)
    assert at_limit.status_code == 201
    assert len(at_limit.json()["content"]) == MAX_MESSAGE_CHARS


def test_an_unknown_website_token_is_a_404_for_the_api_and_for_the_frame(client: TestClient, db: Session) -> None:
    response = client.post("/widget/api/no-such-token/visitors", json={"name": "Ines"})
    assert response.status_code == 404
    assert response.json()["field"] == "website_token"
    frame = client.get("/widget/no-such-token")
    assert frame.status_code == 404
    assert frame.headers["content-type"].startswith("text/html")
    assert 'data-testid="widget-missing"' in frame.text
    assert stored_counts(db) == (0, 0)


def test_malformed_json_is_a_400(client: TestClient, demo: DemoWorld) -> None:
    visitor = start_visitor(client, demo)
    broken = '{"content": "Olá'
    for path, headers in (
        ("/widget/api/messages", visitor),
        (f"/widget/api/{demo.website_token}/visitors", {}),
    ):
        response = client.post(path, content=broken, headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 400, path
        assert response.json()["error"] == "malformed_json"
    patch = client.patch("/widget/api/visitor", content="{language:", headers={**visitor, "Content-Type": "application/json"})
    assert patch.status_code == 400


def test_bad_visitor_details_name_the_field(client: TestClient, demo: DemoWorld) -> None:
    bad_email = client.post(f"/widget/api/{demo.website_token}/visitors", json={"email": "not-an-address"})
    assert bad_email.status_code == 422 and bad_email.json()["field"] == "email"
    visitor = start_visitor(client, demo)
    bad_language = client.patch("/widget/api/visitor", json={"language": "Klingon!"}, headers=visitor)
    assert bad_language.status_code == 422 and bad_language.json()["field"] == "language"
    # The refused change left the stored language as it was.
    assert client.get("/widget/api/session", headers=visitor).json()["language"] == "pt"


def test_forged_and_missing_visitor_tokens_are_401(client: TestClient, demo: DemoWorld) -> None:
    real = start_visitor(client, demo)["X-Visitor-Token"]
    tampered = real[:-4] + ("AAAA" if not real.endswith("AAAA") else "BBBB")
    for headers in ({}, {"X-Visitor-Token": "garbage"}, {"X-Visitor-Token": tampered}):
        assert client.get("/widget/api/session", headers=headers).status_code == 401
        sent = client.post("/widget/api/messages", json={"content": "hello"}, headers=headers)
        assert sent.status_code == 401
        assert sent.json()["error"] == "not_authenticated"


def test_a_frame_that_is_not_json_gets_an_error_and_the_socket_stays_open(
    client: TestClient, demo: DemoWorld, db: Session
) -> None:
    token = start_visitor(client, demo)["X-Visitor-Token"]
    with client.websocket_connect(f"/widget/api/ws?token={token}") as socket:
        socket.send_text("this is not json")
        assert socket.receive_json()["event"] == "error"
        socket.send_text("[1, 2, 3]")  # JSON, but not an object
        assert socket.receive_json()["event"] == "error"
        socket.send_json({"type": "message", "content": "", "client_id": "c-empty"})
        empty = socket.receive_json()
        assert (empty["event"], empty["client_id"], empty["field"]) == ("error", "c-empty", "content")
        socket.send_json({"type": "message", "content": "x" * (MAX_MESSAGE_CHARS + 1), "client_id": "c-long"})
        long = socket.receive_json()
        assert (long["event"], long["client_id"], long["field"]) == ("error", "c-long", "content")
        # Still open: a good frame after the bad ones is stored and echoed.
        socket.send_json({"type": "message", "content": "Ainda aí?", "client_id": "c-good"})
        echo = socket.receive_json()
        assert echo["event"] == "message"
        assert echo["message"]["content"] == "Ainda aí?"
        assert echo["message"]["client_id"] == "c-good"
    assert stored_counts(db) == (1, 1)


def test_a_resent_client_id_is_stored_once(client: TestClient, demo: DemoWorld, db: Session) -> None:
    visitor = start_visitor(client, demo)
    first = client.post("/widget/api/messages", json={"content": "Olá", "client_id": "same-id"}, headers=visitor)
    again = client.post("/widget/api/messages", json={"content": "Olá", "client_id": "same-id"}, headers=visitor)
    assert first.status_code == again.status_code == 201
    assert first.json()["id"] == again.json()["id"]
    assert stored_counts(db) == (1, 1)


def test_a_file_the_team_sends_is_offered_in_the_chat_and_only_its_visitor_downloads_it(
    client: TestClient, demo: DemoWorld, as_user: Any
) -> None:
    admin = as_user(demo.user("admin"))
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    mine = {"X-Visitor-Token": visitor["visitor_token"]}
    sent = client.post("/widget/api/messages", json={"content": "¿Me mandáis la factura?"}, headers=mine).json()
    conversation = f"/api/v1/accounts/{demo.account_id}/conversations/{sent['conversation_id']}"
    invoice = b"%PDF-1.4 factura 4711" + bytes(1500)
    uploaded = client.post(f"{conversation}/attachments", files={"file": ("Factura 4711.pdf", invoice, "application/pdf")}, headers=admin)
    assert uploaded.status_code == 201, uploaded.text
    reply = client.post(f"{conversation}/messages", json={"content": "Aquí la tienes.", "attachments": [uploaded.json()]}, headers=admin)
    assert reply.status_code == 201, reply.text

    # The chat shows the file's name and size, never where it is kept.
    shown = client.get("/widget/api/session", headers=mine).json()["messages"][-1]
    assert shown["content"] == "Aquí la tienes." and shown["files"] == [{"filename": "Factura 4711.pdf", "size": len(invoice), "picture": False}]
    download = client.get(f"/widget/api/messages/{shown['id']}/files/0", headers=mine)
    assert download.status_code == 200 and download.content == invoice
    assert download.headers["content-disposition"].startswith("attachment;")
    # Not for another visitor, not without a token, not a file that is not there.
    other = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Leo", "language": "es"}).json()
    assert client.get(f"/widget/api/messages/{shown['id']}/files/0", headers={"X-Visitor-Token": other["visitor_token"]}).status_code == 404
    assert client.get(f"/widget/api/messages/{shown['id']}/files/0").status_code == 401
    assert client.get(f"/widget/api/messages/{shown['id']}/files/1", headers=mine).status_code == 404
    # The visitor's own message has no file.
    assert client.get(f"/widget/api/messages/{sent['id']}/files/0", headers=mine).status_code == 404


def test_a_visitor_sends_a_file_that_the_agent_downloads(client: TestClient, demo: DemoWorld, as_user: Any, db: Session) -> None:
    visitor = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": "Eva", "language": "es"}).json()
    mine = {"X-Visitor-Token": visitor["visitor_token"]}
    photo = b"\x89PNG\r\n\x1a\n la taza rota" + bytes(3000)
    sent = client.post(
        "/widget/api/files", files={"file": ("taza rota.png", photo, "image/png")}, data={"client_id": "c-1"}, headers=mine
    )
    assert sent.status_code == 201, sent.text
    message = sent.json()
    # A message of its own: the file's name as its text, the file beside it.
    assert message["direction"] == "incoming" and message["content"] == "taza rota.png" and message["client_id"] == "c-1"
    assert message["files"] == [{"filename": "taza rota.png", "size": len(photo), "picture": True}]
    # Sent twice with the same client id (a retry after a lost answer): stored once.
    again = client.post("/widget/api/files", files={"file": ("taza rota.png", photo, "image/png")}, data={"client_id": "c-1"}, headers=mine)
    assert again.status_code == 201 and again.json()["id"] == message["id"]
    assert stored_counts(db) == (1, 1)
    # The visitor sees it in their chat and can download it again.
    assert client.get("/widget/api/session", headers=mine).json()["messages"][-1]["files"] == message["files"]
    assert client.get(f"/widget/api/messages/{message['id']}/files/0", headers=mine).content == photo
    # The chat shows it: the picture itself, by its bytes, to its visitor only.
    seen = client.get(f"/widget/api/messages/{message['id']}/files/0?preview=true", headers=mine)
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/png" and seen.content == photo
    assert client.get(f"/widget/api/messages/{message['id']}/files/0?preview=true").status_code == 401

    # The agent sees the file on the message (type kept, no language guessed
    # from a file name) and downloads it.
    admin = as_user(demo.user("admin"))
    conversation = f"/api/v1/accounts/{demo.account_id}/conversations/{message['conversation_id']}"
    stored = client.get(f"{conversation}/messages", headers=admin).json()
    stored = stored if isinstance(stored, list) else stored["messages"]
    files = stored[-1]["attributes"]["attachments"]
    assert [(f["filename"], f["content_type"], f["size"]) for f in files] == [("taza rota.png", "image/png", len(photo))]
    assert "language" not in stored[-1]["attributes"]
    download = client.get(f"{conversation}/messages/{message['id']}/files/0", headers=admin)
    assert download.status_code == 200 and download.content == photo
    assert download.headers["content-disposition"].startswith("attachment;")
    # A picture also as itself, for the console's preview: by its bytes, inline, never sniffed.
    preview = client.get(f"{conversation}/messages/{message['id']}/files/0?preview=true", headers=admin)
    assert preview.status_code == 200 and preview.content == photo
    assert preview.headers["content-type"] == "image/png" and preview.headers["content-disposition"].startswith("inline;")
    assert preview.headers["x-content-type-options"] == "nosniff"
    # Markup that claims to be a picture (an SVG can carry a script) gets no preview.
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    claimed = client.post("/widget/api/files", files={"file": ("foto.png", svg, "image/png")}, headers=mine).json()
    refused = client.get(f"{conversation}/messages/{claimed['id']}/files/0?preview=true", headers=admin)
    assert refused.status_code == 422 and refused.json()["field"] == "preview"
    assert client.get(f"{conversation}/messages/{claimed['id']}/files/0", headers=admin).headers["content-type"] == "application/octet-stream"


def test_files_from_visitors_are_refused_by_field_and_nothing_is_stored(
    client: TestClient, demo: DemoWorld, db: Session, ctx: Any
) -> None:
    visitor = start_visitor(client, demo)
    empty = client.post("/widget/api/files", files={"file": ("nada.txt", b"", "text/plain")}, headers=visitor)
    assert empty.status_code == 422 and empty.json()["field"] == "file" and "empty" in empty.json()["message"]
    huge = client.post("/widget/api/files", files={"file": ("grande.bin", bytes(MAX_FILE_BYTES + 1), "application/octet-stream")}, headers=visitor)
    assert huge.status_code == 422 and huge.json()["field"] == "file" and "10 MB" in huge.json()["message"]
    folder = client.post("/widget/api/files", files={"file": ("../../etc/passwd", b"x", "text/plain")}, headers=visitor)
    assert folder.status_code == 422 and folder.json()["field"] == "file"
    assert client.post("/widget/api/files", files={"file": ("a.txt", b"x", "text/plain")}).status_code == 401
    assert stored_counts(db) == (0, 0)

    # An inbox that does not accept files (the default) refuses them, and
    # its widget offers no button.
    with ctx.session_factory() as session:
        inbox = session.get(Inbox, demo.inbox_id)
        inbox.settings = {**(inbox.settings or {}), "customer_files": False}
        session.commit()
    refused = client.post("/widget/api/files", files={"file": ("a.txt", b"x", "text/plain")}, headers=visitor)
    assert refused.status_code == 403 and refused.json()["field"] == "file"
    assert stored_counts(db) == (0, 0)
    frame = client.get(f"/widget/{demo.website_token}").text
    assert '"acceptsFiles": false' in frame and 'id="composer-attach"' in frame


def test_a_visitor_sends_at_most_so_many_files_an_hour(client: TestClient, demo: DemoWorld, db: Session) -> None:
    visitor = start_visitor(client, demo)
    for number in range(CUSTOMER_FILES_PER_HOUR):
        sent = client.post("/widget/api/files", files={"file": (f"foto {number}.jpg", f"{number}".encode(), "image/jpeg")}, headers=visitor)
        assert sent.status_code == 201, sent.text
    over = client.post("/widget/api/files", files={"file": ("una más.jpg", b"more", "image/jpeg")}, headers=visitor)
    assert over.status_code == 429 and int(over.headers["retry-after"]) > 0
    assert stored_counts(db) == (1, CUSTOMER_FILES_PER_HOUR)
    # Writing is not limited by it.
    assert client.post("/widget/api/messages", json={"content": "¿Las habéis recibido?"}, headers=visitor).status_code == 201


def test_a_visitor_who_sends_another_visitors_message_id_gets_only_their_own_message(client: TestClient, demo: DemoWorld) -> None:
    """The widget's message ids are the visitor's own: reusing another
    visitor's id neither reveals that visitor's message nor drops this one."""

    def visitor(name: str) -> dict[str, str]:
        created = client.post(f"/widget/api/{demo.website_token}/visitors", json={"name": name, "language": "en"}).json()
        return {"X-Visitor-Token": created["visitor_token"]}

    alice, mallory = visitor("Alice"), visitor("Mallory")
    first = client.post("/widget/api/messages", json={"content": "My card ends 4242", "client_id": "c-1"}, headers=alice)
    assert first.status_code == 201
    reused = client.post("/widget/api/messages", json={"content": "hello", "client_id": "c-1"}, headers=mallory)
    assert reused.status_code == 201, reused.text
    assert reused.json()["content"] == "hello" and reused.json()["id"] != first.json()["id"]
    assert reused.json()["client_id"] == "c-1"
    assert "4242" not in str(client.get("/widget/api/session", headers=mallory).json())
    # Alice's own resend is still recognised as the same message.
    again = client.post("/widget/api/messages", json={"content": "My card ends 4242", "client_id": "c-1"}, headers=alice)
    assert again.json()["id"] == first.json()["id"]
