"""The outbound guard (dragoman/core/outbound.py): which addresses accounts
may reach, the operator's allow-list, the excerpt a log keeps, and a client
that connects only to the address it checked, with TLS still verified for
the name. The webhooks' use of it is tested in test_webhooks.py."""

from __future__ import annotations

import http.server
import ipaddress
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from dragoman.core import outbound
from dragoman.core.outbound import OutboundAllow, blocked_reason, parse_ip_literal, refusal, response_excerpt

# -- what an address is ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "address"),
    [
        ("127.0.0.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("0x7f000001", "127.0.0.1"),
        ("0X7F.0.0.1", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0177.0000.0000.0001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("169.254.169.254.", "169.254.169.254"),
        ("0xa9fea9fe", "169.254.169.254"),
        ("[::1]", "::1"),
        ("::ffff:127.0.0.1", "::ffff:7f00:1"),
        ("8.8.8.8", "8.8.8.8"),
    ],
)
def test_every_spelling_of_an_ip_address_is_read_as_the_address(host: str, address: str) -> None:
    assert parse_ip_literal(host) == ipaddress.ip_address(address)


@pytest.mark.parametrize("host", ["example.com", "localhost", "1.2.3.4.5", "256.1.1.1", "999999999999", "08.0.0.1", "1e3", ""])
def test_host_names_and_impossible_numbers_are_not_addresses(host: str) -> None:
    assert parse_ip_literal(host) is None


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("127.0.0.1", "loopback"),
        ("127.45.6.7", "loopback"),
        ("::1", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("::", "unspecified"),
        ("169.254.169.254", "cloud metadata"),
        ("fd00:ec2::254", "cloud metadata"),
        ("100.100.100.200", "cloud metadata"),
        ("169.254.1.1", "link-local"),
        ("fe80::1", "link-local"),
        ("10.0.0.1", "private"),
        ("172.31.255.255", "private"),
        ("192.168.0.10", "private"),
        ("fc00::1", "private"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("224.0.0.251", "multicast"),
        ("ff02::1", "multicast"),
        ("240.0.0.1", "private"),
        ("198.51.100.7", "private"),  # documentation range
        ("::ffff:127.0.0.1", "loopback"),
        ("::ffff:169.254.169.254", "cloud metadata"),
        ("64:ff9b::a9fe:a9fe", "cloud metadata"),  # NAT64
        ("2002:7f00:1::", "loopback"),  # 6to4
        ("::127.0.0.1", "reserved"),  # IPv4-compatible, deprecated
    ],
)
def test_addresses_that_are_not_public_are_blocked_with_their_kind(address: str, reason: str) -> None:
    found = blocked_reason(ipaddress.ip_address(address))
    assert found is not None and reason in found


@pytest.mark.parametrize("address", ["8.8.8.8", "93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8", "64:ff9b::808:808"])
def test_public_addresses_are_not_blocked(address: str) -> None:
    assert blocked_reason(ipaddress.ip_address(address)) is None


# -- the operator's allow-list -------------------------------------------------------------------


def test_the_allow_list_takes_networks_addresses_and_host_names() -> None:
    allow = OutboundAllow.parse(" 10.20.0.0/16, 192.168.1.7  crm.corp.example,*.lan ::1 ")
    assert allow.allows_address(ipaddress.ip_address("10.20.99.1"))
    assert not allow.allows_address(ipaddress.ip_address("10.21.0.1"))
    assert allow.allows_address(ipaddress.ip_address("192.168.1.7"))
    assert allow.allows_address(ipaddress.ip_address("::ffff:192.168.1.7"))
    assert allow.allows_address(ipaddress.ip_address("::1"))
    assert not allow.allows_address(ipaddress.ip_address("127.0.0.1"))
    assert allow.allows_host("CRM.corp.example.")
    assert allow.allows_host("printer.lan")
    assert not allow.allows_host("lan")
    assert not allow.allows_host("crm.corp.example.evil.test")
    assert OutboundAllow.parse("") == OutboundAllow()


def test_an_allow_list_entry_with_a_port_allows_that_port_only() -> None:
    """An operator allows a local mail relay (127.0.0.1:25) without letting
    accounts reach every other service on the machine."""
    allow = OutboundAllow.parse("127.0.0.1:25, [::1]:587 mail.internal:993, [fd00::/8]:143, 10.0.0.0/8:2525")
    loopback, loopback6 = ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1")
    assert refusal("127.0.0.1", [loopback], allow, 25) is None
    assert refusal("127.0.0.1", [loopback], allow, 6379) is not None
    assert refusal("127.0.0.1", [loopback], allow) is not None  # no port known: port entries do not count
    assert refusal("::1", [loopback6], allow, 587) is None and refusal("::1", [loopback6], allow, 25) is not None
    assert refusal("MAIL.internal.", [ipaddress.ip_address("10.9.9.9")], allow, 993) is None
    assert refusal("mail.internal", [ipaddress.ip_address("10.9.9.9")], allow, 25) is not None
    assert refusal("box.corp", [ipaddress.ip_address("fd00::5")], allow, 143) is None
    assert refusal("relay.corp", [ipaddress.ip_address("10.1.1.1")], allow, 2525) is None
    assert refusal("relay.corp", [ipaddress.ip_address("10.1.1.1")], allow, 25) is not None
    # A bare IPv6 address has colons of its own, and no port.
    assert OutboundAllow.parse("::1").allows_address(loopback6, 9999)


@pytest.mark.parametrize(
    "entry",
    ["10.0.0.0/99", "10.0.0.300", "http://crm.local/", "crm.local:http", "crm.local:0", "127.0.0.1:65536", "[::1]587", "[::1", "a b/c"],
)
def test_a_bad_allow_list_entry_is_named(entry: str) -> None:
    with pytest.raises(ValueError, match="DRAGOMAN_OUTBOUND_ALLOW"):
        OutboundAllow.parse(f"10.0.0.0/8, {entry}")


def test_one_private_answer_refuses_the_whole_name() -> None:
    """A resolver answering with a public and a private address must not get
    to choose which one is used."""
    public, private = ipaddress.ip_address("93.184.215.14"), ipaddress.ip_address("10.0.0.8")
    reason = refusal("hooks.example", [public, private], OutboundAllow())
    assert reason is not None and "hooks.example resolves to 10.0.0.8" in reason
    assert refusal("hooks.example", [public], OutboundAllow()) is None
    assert refusal("hooks.example", [public, private], OutboundAllow.parse("10.0.0.0/8")) is None
    assert refusal("hooks.example", [private], OutboundAllow.parse("hooks.example")) is None


def test_an_app_does_not_start_with_a_mistyped_allow_list(settings) -> None:  # type: ignore[no-untyped-def]
    from dragoman.app import build_context

    settings.outbound_allow = "10.0.0.0/8, 10.0.0.300"
    with pytest.raises(ValueError, match="10.0.0.300"):
        build_context(settings)


# -- the excerpt a log keeps ---------------------------------------------------------------------


def test_the_excerpt_is_short_and_has_no_control_characters() -> None:
    raw = b"\x1b[31mError\x00\r\n\n\t  in\xff module\x07" + "\u202e\u2028x".encode() + b"y" * 1000
    excerpt = response_excerpt(raw, 40)
    assert len(excerpt) == 40
    assert excerpt.startswith("[31mError in\ufffd module x")
    assert excerpt.endswith("y…")
    assert not any(ch in excerpt for ch in "\x1b\x00\r\n\t\x07\u202e\u2028")
    assert response_excerpt("  short  ") == "short"
    assert response_excerpt(b"") == ""


# -- the client: connects to the checked address only -----------------------------------------------


class _Answer(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = f"host={self.headers['Host']}".encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args: Any) -> None:
        return None


@pytest.fixture
def local_server() -> Iterator[http.server.ThreadingHTTPServer]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_the_client_resolves_once_and_connects_to_the_address_it_checked(
    monkeypatch: pytest.MonkeyPatch, local_server: http.server.ThreadingHTTPServer
) -> None:
    """No second lookup can answer differently (DNS rebinding): the name is
    looked up once per connection, by the guard, and the socket is opened
    on the address it checked."""
    port = local_server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    looked_up: list[str] = []

    def rebinding_resolver(host: str, _port: int) -> list[outbound.IPAddress]:
        looked_up.append(host)
        return [ipaddress.ip_address(a) for a in next(answers)]

    real_getaddrinfo = socket.getaddrinfo
    asked_the_system: list[str] = []

    def watching_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked_the_system.append(str(host))
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(outbound, "resolve_host", rebinding_resolver)
    monkeypatch.setattr(socket, "getaddrinfo", watching_getaddrinfo)
    with outbound.guarded_client(lambda: OutboundAllow.parse("127.0.0.1"), timeout=5) as client:
        response = client.get(f"http://crm.corp.test:{port}/")
    assert response.text == f"host=crm.corp.test:{port}"
    assert looked_up == ["crm.corp.test"]
    assert "crm.corp.test" not in asked_the_system


def test_the_client_refuses_before_connecting(local_server: http.server.ThreadingHTTPServer) -> None:
    port = local_server.server_address[1]
    with outbound.guarded_client(lambda: OutboundAllow(), timeout=5) as client:
        for url in (f"http://127.0.0.1:{port}/", f"http://localhost:{port}/", f"http://2130706433:{port}/"):
            with pytest.raises(httpx.ConnectError) as caught:
                client.get(url)
            cause = outbound.refused_cause(caught.value)
            assert isinstance(cause, outbound.OutboundRefused)
            assert "127.0.0.1" in str(cause) and "loopback" in str(cause)


def test_a_port_entry_lets_the_client_reach_that_port_and_no_other(local_server: http.server.ThreadingHTTPServer) -> None:
    port = local_server.server_address[1]
    with outbound.guarded_client(lambda: OutboundAllow.parse(f"127.0.0.1:{port}"), timeout=5) as client:
        assert client.get(f"http://127.0.0.1:{port}/").status_code == 200
    with outbound.guarded_client(lambda: OutboundAllow.parse(f"127.0.0.1:{port + 1}"), timeout=5) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            client.get(f"http://127.0.0.1:{port}/")
        assert isinstance(outbound.refused_cause(caught.value), outbound.OutboundRefused)


def test_a_checked_socket_goes_to_the_address_checked_for_any_protocol(
    monkeypatch: pytest.MonkeyPatch, local_server: http.server.ThreadingHTTPServer
) -> None:
    """What SMTP and IMAP connect with: the name resolved once, by the guard."""
    port = local_server.server_address[1]
    answers = iter([["127.0.0.1"], ["10.9.9.9"]])
    monkeypatch.setattr(outbound, "resolve_host", lambda host, _port: [ipaddress.ip_address(a) for a in next(answers)])
    with outbound.open_checked_socket("relay.corp.test", port, OutboundAllow.parse(f"127.0.0.1:{port}"), 5) as sock:
        assert sock.getpeername() == ("127.0.0.1", port)
    with pytest.raises(outbound.OutboundRefused, match="10.9.9.9"):
        outbound.open_checked_socket("relay.corp.test", port, OutboundAllow.parse(f"127.0.0.1:{port}"), 5)
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        outbound.open_checked_socket("127.0.0.1", port, OutboundAllow(), 5)


def test_saving_resolves_the_name_with_the_systems_resolver() -> None:
    """`localhost` is in every /etc/hosts: the real resolver, no fake."""
    with pytest.raises(outbound.OutboundRefused, match="localhost resolves to"):
        outbound.check_destination("http://localhost:8080/", OutboundAllow())
    # A name that does not resolve (yet) may be saved; every send checks again.
    outbound.check_destination("https://receiver.invalid/hooks", OutboundAllow())


def _certificate_for(name: str, directory: Path) -> tuple[Path, Path]:
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def test_tls_is_verified_for_the_name_while_the_socket_goes_to_the_checked_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cert, key = _certificate_for("crm.corp.test", tmp_path)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answer)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    port = server.server_address[1]
    names = {"crm.corp.test": "127.0.0.1", "other.corp.test": "127.0.0.1"}
    monkeypatch.setattr(outbound, "resolve_host", lambda host, _port: [ipaddress.ip_address(names[host])])
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the on-premises CA, as an operator would set it
    try:
        with outbound.guarded_client(lambda: OutboundAllow.parse("127.0.0.1"), timeout=5) as client:
            assert client.get(f"https://crm.corp.test:{port}/").text == f"host=crm.corp.test:{port}"
            # Same address, another name: the certificate is not for it.
            with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED|certificate"):
                client.get(f"https://other.corp.test:{port}/")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
