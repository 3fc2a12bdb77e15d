"""The guard on HTTP requests that an account's configuration sends somewhere.

An account admin chooses where webhooks go. Without a guard that choice lets
them make this server POST to itself (127.0.0.1, [::1], 0.0.0.0), to the
machines beside it (10.x, 192.168.x, fd00::/8) or to the cloud's metadata
service (169.254.169.254), and read the answers in the delivery log: a
server-side request forgery. So:

* a destination's host is resolved and *every* address it resolves to must be
  publicly routable (`blocked_reason`), unless the install's allow-list
  (`DRAGOMAN_OUTBOUND_ALLOW`, `OutboundAllow`) names that host or network;
* the connection goes to the very address that was checked: the check lives in
  the socket layer of the HTTP client (`GuardedTransport`), so a name that
  resolves to a public address for the check and to 127.0.0.1 a moment later
  (DNS rebinding) gains nothing. The URL keeps its host name, so the Host
  header, TLS SNI and the certificate check are for the name, as usual;
* redirects are not followed, and proxies from the environment are not used
  (a proxy would connect to a place the guard never saw);
* what a receiver answers is kept only as a short excerpt without control
  characters (`response_excerpt`).

`check_destination` runs the same check when an admin saves a URL, so a bad
address is refused with a clear message then rather than failing later.

Everything up to `resolve_host` is pure: no I/O.
"""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import socket
import ssl
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "DRAGOMAN_OUTBOUND_ALLOW"
EXCERPT_CHARS = 200

# Cloud providers' instance-metadata services. Each is also in a range refused
# anyway (link-local, unique-local, CGNAT, IETF-reserved); naming them makes
# the refusal say what the address is.
METADATA_ADDRESSES: frozenset[IPAddress] = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254",  # AWS, GCP, Azure, OpenStack, DigitalOcean...
        "169.254.170.2",  # AWS ECS task metadata
        "fd00:ec2::254",  # AWS over IPv6
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
# Shared address space (carrier-grade NAT, RFC 6598): not "private" to
# Python's ipaddress, but not reachable from the internet either.
CGNAT = ipaddress.IPv4Network("100.64.0.0/10")
# IPv6 prefixes that carry an IPv4 address in their last 32 bits (NAT64,
# RFC 6052 and RFC 8215): a gateway would turn them into that IPv4 address.
NAT64_PREFIXES = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


class OutboundError(httpcore.ConnectError):
    """A request that an outbound guard would not send. A subclass of
    httpcore's ConnectError so that every caller that handles "could not
    connect" (httpx maps it to httpx.ConnectError) handles this too."""


class OutboundRefused(OutboundError):
    """The destination is an address accounts may not reach."""


class OutboundUnresolved(OutboundError):
    """The host name does not resolve (now)."""


# -- pure: what an address is ------------------------------------------------------


def _ipv4_part(text: str) -> int | None:
    """One dotted part as C's inet_aton reads it: 0x.. hex, 0.. octal, else decimal."""
    try:
        if text[:2].lower() == "0x":
            return int(text[2:], 16) if text[2:] else 0
        if len(text) > 1 and text.startswith("0"):
            return int(text[1:], 8)
        return int(text, 10) if text.isdigit() else None
    except ValueError:
        return None


def parse_ip_literal(host: str) -> IPAddress | None:
    """The address a URL's host names without DNS, or None for a host name.

    Besides the usual forms this reads IPv4 written the ways that resolvers
    (inet_aton) accept and that filters looking for "127.0.0.1" miss:
    "2130706433", "0x7f000001", "0177.0.0.1", "127.1"."""
    text = host.strip().strip("[]").rstrip(".")
    if not text:
        return None
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        pass
    parts = text.split(".")
    if len(parts) > 4 or not all(re.fullmatch(r"0[xX][0-9a-fA-F]*|[0-9]+", part) for part in parts):
        return None
    values = [_ipv4_part(part) for part in parts]
    if any(value is None for value in values):
        return None
    numbers = [value for value in values if value is not None]
    # The last part fills the bytes the earlier ones leave: a.b is 8.24 bits,
    # a.b.c is 8.8.16, a alone is all 32.
    *leading, last = numbers
    if any(value > 255 for value in leading) or last >= 256 ** (4 - len(leading)):
        return None
    value = last
    for index, byte in enumerate(leading):
        value += byte << (8 * (3 - index))
    return ipaddress.IPv4Address(value)


def embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for, where it stands for one
    (::ffff:a.b.c.d, NAT64, 6to4, Teredo's client)."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if any(address in prefix for prefix in NAT64_PREFIXES):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def blocked_reason(address: IPAddress) -> str | None:
    """Why accounts may not reach this address, or None when it is public."""
    if address in METADATA_ADDRESSES:
        return "the cloud metadata service"
    if isinstance(address, ipaddress.IPv6Address):
        inner = embedded_ipv4(address)
        if inner is not None:
            reason = blocked_reason(inner)
            if reason is not None:
                return f"{reason} ({inner} inside an IPv6 address)"
            if address.ipv4_mapped is not None or any(address in prefix for prefix in NAT64_PREFIXES):
                return None  # it is that public IPv4 address
    if address.is_unspecified:
        return "unspecified (this machine)"
    if address.is_loopback:
        return "loopback (this machine)"
    if address.is_link_local:
        return "link-local"
    if address.is_multicast:
        return "multicast"
    if isinstance(address, ipaddress.IPv4Address) and address in CGNAT:
        return "shared address space (carrier-grade NAT)"
    if address.is_private:
        return "private"
    if address.is_reserved:
        return "reserved"
    if not address.is_global:
        return "not publicly routable"
    return None


# -- pure: the install's allow-list ------------------------------------------------------


_HOST_NAME = re.compile(r"^(\*\.)?[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$")


def _normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def _split_port(raw: str) -> tuple[str, int | None]:
    """An allow-list entry's host (or network) and the port it names, if any:
    "127.0.0.1:25", "[::1]:587", "[fd00::/8]:993", "mail.internal:993". A bare
    IPv6 address ("::1") has colons but no port: a port after one needs brackets."""
    text = raw.strip()
    port_text: str | None = None
    if text.startswith("["):
        inside, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError(raw)
        text, port_text = inside, (rest[1:] if rest else None)
    elif text.count(":") == 1:
        text, port_text = text.split(":")
    if port_text is None:
        return text, None
    if not (port_text.isascii() and port_text.isdigit()) or not 1 <= int(port_text) <= 65535:
        raise ValueError(raw)
    return text, int(port_text)


@dataclass(frozen=True)
class OutboundAllow:
    """Destinations the server's operator lets accounts reach although they
    are not public: on-premises receivers and mail servers. Networks (an
    address is a /32 or /128) and host names; "*.corp.example" names every
    host under it. An entry with a port ("127.0.0.1:25") allows that port
    only, so a local mail relay can be allowed without opening every other
    service on the machine to what accounts configure."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: frozenset[str] = frozenset()
    network_ports: tuple[tuple[IPNetwork, int], ...] = ()
    host_ports: frozenset[tuple[str, int]] = frozenset()

    @classmethod
    def parse(cls, text: str) -> OutboundAllow:
        """Entries separated by commas or spaces; raises ValueError naming the bad one."""
        networks: list[tuple[IPNetwork, int | None]] = []
        hosts: set[tuple[str, int | None]] = set()
        for raw in re.split(r"[,\s]+", text or ""):
            if not raw.strip():
                continue
            try:
                host, port = _split_port(raw)
                network = _allowed_network(host)
            except ValueError:
                raise ValueError(
                    f"{ALLOW_SETTING}: {raw.strip()!r} is neither a network (10.0.0.0/8, 2001:db8::1) nor a host name, "
                    "optionally with a port (127.0.0.1:25, [::1]:587, mail.internal:993)"
                ) from None
            if network is not None:
                networks.append((network, port))
            else:
                hosts.add((_normal_host(host), port))
        return cls(
            networks=tuple(network for network, port in networks if port is None),
            hosts=frozenset(host for host, port in hosts if port is None),
            network_ports=tuple((network, port) for network, port in networks if port is not None),
            host_ports=frozenset((host, port) for host, port in hosts if port is not None),
        )

    def allows_host(self, host: str, port: int | None = None) -> bool:
        """Whether the host's name is allowed (on `port`; without a port only
        entries for every port count)."""
        name = _normal_host(host)
        entries = [entry for entry in self.hosts]
        entries += [entry for entry, allowed_port in self.host_ports if allowed_port == port]
        return any(name == entry or (entry.startswith("*.") and name.endswith(entry[1:])) for entry in entries)

    def allows_address(self, address: IPAddress, port: int | None = None) -> bool:
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
            address = address.ipv4_mapped
        networks = list(self.networks) + [network for network, allowed_port in self.network_ports if allowed_port == port]
        return any(address.version == network.version and address in network for network in networks)


def _allowed_network(entry: str) -> IPNetwork | None:
    """The network an allow-list entry names, None for a host name; ValueError for neither."""
    text = _normal_host(entry)
    if not text:
        raise ValueError(entry)
    try:
        return ipaddress.ip_network(text, strict=False)
    except ValueError:
        pass
    literal = parse_ip_literal(text)
    if literal is not None:
        return ipaddress.ip_network(literal)
    # A name's last label is never all digits: "10.0.0.300" is a typo.
    if _HOST_NAME.match(text) and not text.rsplit(".", 1)[-1].isdigit():
        return None
    raise ValueError(entry)


@lru_cache(maxsize=16)
def parse_allow(text: str) -> OutboundAllow:
    """`OutboundAllow.parse`, remembered: the setting is read on every request."""
    return OutboundAllow.parse(text)


def refusal(host: str, addresses: Iterable[IPAddress], allow: OutboundAllow, port: int | None = None) -> str | None:
    """Why a connection to `host` (on `port`), which resolves to `addresses`,
    must not be made; None when it may. One refused address refuses the host:
    a resolver that answers with a public and a private address must not get
    to choose."""
    if allow.allows_host(host, port):
        return None
    for address in addresses:
        if allow.allows_address(address, port):
            continue
        reason = blocked_reason(address)
        if reason is not None:
            shown = _normal_host(host)
            names = shown if shown == str(address) else f"{shown} resolves to {address}, which"
            return (
                f"{names} is {reason}; only public addresses may be reached "
                f"(the server's operator can allow on-premises receivers with {ALLOW_SETTING})"
            )
    return None


# Control and format characters (NUL, ESC, bidi overrides, zero-width) and
# line/paragraph separators: none belongs in one line of a log.
_CONTROL_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def response_excerpt(raw: bytes | str, limit: int = EXCERPT_CHARS) -> str:
    """What a log may keep of a remote party's answer: at most `limit`
    characters of text, control characters (terminal escapes, NUL, bidi
    overrides) and runs of white space turned into one space."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    # Only the start matters; looking at all of a huge page would cost for nothing.
    text = text[: limit * 4]
    cleaned = "".join(" " if unicodedata.category(ch) in _CONTROL_CATEGORIES or ch.isspace() else ch for ch in text)
    cleaned = re.sub(r" {2,}", " ", cleaned).strip()
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


# -- I/O: resolving and connecting ----------------------------------------------------------


def resolve_host(host: str, port: int) -> list[IPAddress]:
    """The addresses a host name resolves to, in the resolver's order (tests
    replace this to map names without DNS)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise OutboundUnresolved(f"{host} does not resolve ({exc})") from None
    found: list[IPAddress] = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address not in found:
            found.append(address)
    if not found:
        raise OutboundUnresolved(f"{host} does not resolve")
    return found


def checked_addresses(host: str, port: int, allow: OutboundAllow) -> list[IPAddress]:
    """The addresses to connect to for `host`, every one of them checked;
    raises OutboundRefused or OutboundUnresolved."""
    literal = parse_ip_literal(host)
    addresses = [literal] if literal is not None else resolve_host(host, port)
    reason = refusal(host, addresses, allow, port)
    if reason is not None:
        raise OutboundRefused(reason)
    return addresses


def check_host(host: str, port: int, allow: OutboundAllow) -> None:
    """The check made when an admin saves a destination. Raises
    OutboundRefused; a name that does not resolve yet passes (the receiver
    may not be set up yet), since every connection checks again."""
    try:
        checked_addresses(host, port, allow)
    except OutboundUnresolved:
        pass


def check_destination(url: str, allow: OutboundAllow) -> None:
    """`check_host` for a URL an admin saves."""
    parts = urlsplit(url)
    check_host(parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80), allow)


def open_checked_socket(host: str, port: int, allow: OutboundAllow, timeout: float | None) -> socket.socket:
    """A TCP connection for a protocol other than HTTP (SMTP, IMAP) to a
    destination an account chose: to one of the addresses `checked_addresses`
    approved, never to what the name resolves to a moment later. TLS, where
    the caller adds it, is still for the name. Raises OutboundRefused,
    OutboundUnresolved, or the OSError of the last address tried."""
    last: OSError | None = None
    for address in checked_addresses(host, port, allow):
        try:
            return socket.create_connection((str(address), port), timeout)
        except OSError as exc:
            last = exc
    assert last is not None  # checked_addresses never returns an empty list
    raise last


class _GuardedBackend(httpcore.NetworkBackend):
    """httpcore's socket layer, connecting only to checked addresses."""

    def __init__(self, allow: Callable[[], OutboundAllow]) -> None:
        self._allow = allow
        self._sockets = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        last: httpcore.ConnectError | None = None
        for address in checked_addresses(host, port, self._allow()):
            try:
                # An address, not the name: nothing is resolved again after the check.
                return self._sockets.connect_tcp(str(address), port, timeout, local_address, socket_options)
            except httpcore.ConnectError as exc:
                last = exc
        assert last is not None  # checked_addresses never returns an empty list
        raise last

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise OutboundRefused("unix sockets are not outbound destinations")

    def sleep(self, seconds: float) -> None:
        self._sockets.sleep(seconds)


# httpx's own defaults.
def _trust_store() -> ssl.SSLContext:
    """A verifying TLS context shared while the trusted CAs stay the same:
    loading the CA bundle costs tens of milliseconds, and a context is safe to
    share between clients and threads. SSL_CERT_FILE / SSL_CERT_DIR (an
    on-premises CA) are read each time, as httpx reads them."""
    return _trust_store_for(os.environ.get("SSL_CERT_FILE"), os.environ.get("SSL_CERT_DIR"))


@functools.lru_cache(maxsize=4)
def _trust_store_for(_cert_file: str | None, _cert_dir: str | None) -> ssl.SSLContext:
    return httpx.create_ssl_context()


_POOL_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=5.0)


class GuardedTransport(httpx.HTTPTransport):
    """httpx's transport with `_GuardedBackend` underneath.

    httpx 0.28 has no public way to give its transport a network backend
    (encode/httpx#3749 proposes one), so the connection pool it builds is
    replaced by one built the same way with the guarded backend. The tests
    that send to a refused address fail if an httpx upgrade bypasses this."""

    def __init__(self, allow: Callable[[], OutboundAllow]) -> None:
        # Certificates are verified as httpx does by default, SSL_CERT_FILE /
        # SSL_CERT_DIR included (an on-premises receiver's own CA). Handed to
        # httpx too: its own default would load the CA bundle again for the
        # pool replaced below (a tenth of a second each time a worker starts).
        ssl_context = _trust_store()
        super().__init__(verify=ssl_context, trust_env=False)
        limits = _POOL_LIMITS
        self._pool = httpcore.ConnectionPool(
            ssl_context=ssl_context,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=_GuardedBackend(allow),
        )


def guarded_client(
    allow: Callable[[], OutboundAllow], *, timeout: float, headers: dict[str, str] | None = None
) -> httpx.Client:
    """An httpx client for requests whose destination an account chose.

    `allow` is asked on every connection, so a changed setting counts at once."""
    return httpx.Client(
        transport=GuardedTransport(allow),
        timeout=timeout,
        headers=headers,
        follow_redirects=False,
        trust_env=False,
    )


def refused_cause(exc: BaseException) -> OutboundError | None:
    """The guard's refusal behind an httpx error, if that is what it is
    (httpx re-raises httpcore's errors as its own, the original as the cause)."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OutboundError):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None
