"""Outbound HTTP: the one door for every call this server makes to another (webhooks, callbacks).

A URL given by a client must not make the server call itself or its private network (SSRF):
loopback, private (RFC 1918), unique-local, link-local (the cloud metadata address
169.254.169.254 among them), shared (100.64/10), multicast, unspecified and reserved addresses are
refused, in IPv4 and IPv6, and IPv4 inside IPv6 (`::ffff:127.0.0.1`, 6to4, NAT64) as its IPv4.
Only hosts or networks listed in the setting `outbound_allowed_hosts`
(`XIAOKANG_OUTBOUND_ALLOWED_HOSTS`: comma-separated host names, addresses or CIDRs) pass.

Two checks, one rule:
- `check_url` at registration (a webhook's create or update) gives an early 422
  `outbound.address_refused` when the URL names, or its name resolves to, a refused address;
- `client()` gives an httpx client whose network backend resolves the name itself, checks every
  address, and connects to the checked address, never to the name again: a name that resolved to
  a public address at registration and to 127.0.0.1 now (DNS rebinding) is refused at connect time
  with `AddressRefused`, an `httpx.ConnectError`. Every connection is checked, redirects included.
Proxies from the environment are not used (a proxy would connect on our behalf, unchecked).
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import anyio
import httpcore
import httpx

from app.config import Settings
from app.errors import Unprocessable

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
RESOLVE_TIMEOUT_SECONDS = 5.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_UNIQUE_LOCAL = ipaddress.ip_network("fc00::/7")


class AddressRefused(httpx.ConnectError):
    """A connection to a refused address was not made (its message starts with the code)."""


def _unwrap(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address carries (mapped, 6to4, NAT64), or the address itself."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(ip: IPAddress) -> str | None:
    """Why an address may not be called (None: a public address)."""
    ip = _unwrap(ip)
    if ip in _UNIQUE_LOCAL:
        return "unique-local"
    for reason, hit in (("loopback", ip.is_loopback), ("unspecified", ip.is_unspecified),
                        ("link-local", ip.is_link_local), ("multicast", ip.is_multicast),
                        ("private", ip.is_private), ("reserved", ip.is_reserved)):
        if hit:
            return reason
    if not ip.is_global:
        return "not global"
    return None


def _host(name: str) -> str:
    return name.strip().strip("[]").rstrip(".").lower()


@dataclass(frozen=True)
class Policy:
    """The allow-list of `outbound_allowed_hosts`: host names, and addresses or networks."""

    names: frozenset[str]
    networks: tuple[IPNetwork, ...]

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        names, networks = set(), []
        for entry in settings.outbound_allowed_hosts:
            try:
                networks.append(ipaddress.ip_network(_host(entry), strict=False))
            except ValueError:
                names.add(_host(entry))
        return cls(frozenset(names), tuple(networks))

    def allows_name(self, host: str) -> bool:
        return _host(host) in self.names

    def refusal(self, ip: IPAddress) -> str | None:
        if any(ip in net or _unwrap(ip) in net for net in self.networks):
            return None
        return refusal(ip)


def _literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(_host(host))
    except ValueError:
        return None


async def _resolve(host: str, port: int) -> list[str]:
    """The addresses of a name (in the resolver's order)."""
    infos = await anyio.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    seen: list[str] = []
    for info in infos:
        address = str(info[4][0])
        if address not in seen:
            seen.append(address)
    return seen


def _refused(policy: Policy, host: str, addresses: Iterable[str]) -> str | None:
    """The first refusal among a name's addresses, as a sentence (None: all may be called)."""
    for address in addresses:
        try:
            ip = ipaddress.ip_address(address.split("%", 1)[0])
        except ValueError:
            return f"{host} resolves to {address}, which is not an IP address"
        if (reason := policy.refusal(ip)) is not None:
            shown = host if host == address else f"{host} ({address})"
            return f"{shown} is a {reason} address"
    return None


async def check_url(url: str, settings: Settings) -> None:
    """Refuse (422 `outbound.address_refused`) a URL whose host is, or resolves to, an address
    that may not be called. A name that does not resolve now is let through: the connect-time
    check of `client()` stands guard over it."""
    parsed = httpx.URL(url)
    policy = Policy.from_settings(settings)
    host = parsed.host
    if not host or policy.allows_name(host):
        return
    if (ip := _literal(host)) is not None:
        addresses = [str(ip)]
    else:
        try:
            with anyio.fail_after(RESOLVE_TIMEOUT_SECONDS):
                addresses = await _resolve(host, parsed.port or 443)
        except (OSError, TimeoutError):
            return
    if (why := _refused(policy, host, addresses)) is not None:
        raise Unprocessable(
            "outbound.address_refused",
            f"The server does not call {why}; list it in XIAOKANG_OUTBOUND_ALLOWED_HOSTS to "
            f"allow it.",
            errors=[{"loc": ["body", "url"], "msg": f"{why} is refused",
                     "code": "outbound.address_refused"}])


class _GuardedBackend(httpcore.AsyncNetworkBackend):
    """Resolve, check every address, connect to a checked address."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy
        self._inner = httpcore.AnyIOBackend()

    async def connect_tcp(self, host: str, port: int, timeout: float | None = None,
                          local_address: str | None = None,
                          socket_options: Iterable[Any] | None = None) -> httpcore.AsyncNetworkStream:
        if self._policy.allows_name(host):
            return await self._inner.connect_tcp(host, port, timeout=timeout,
                                                 local_address=local_address,
                                                 socket_options=socket_options)
        if (ip := _literal(host)) is not None:
            addresses = [str(ip)]
        else:
            try:
                with anyio.fail_after(timeout or RESOLVE_TIMEOUT_SECONDS):
                    addresses = await _resolve(host, port)
            except (OSError, TimeoutError) as e:
                raise httpcore.ConnectError(f"{host} does not resolve: {e}") from e
        if (why := _refused(self._policy, host, addresses)) is not None:
            raise AddressRefused(f"outbound.address_refused: {why}")
        last: Exception | None = None
        for address in addresses:  # the checked addresses, in the resolver's order
            try:
                return await self._inner.connect_tcp(address, port, timeout=timeout,
                                                     local_address=local_address,
                                                     socket_options=socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as e:
                last = e
        raise last or httpcore.ConnectError(f"{host} has no address")

    async def connect_unix_socket(self, path: str, timeout: float | None = None,
                                  socket_options: Iterable[Any] | None = None
                                  ) -> httpcore.AsyncNetworkStream:
        raise AddressRefused("outbound.address_refused: unix sockets are not called")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's own transport (TLS, HTTP/1.1, pooling) over the guarded network backend."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        if kwargs.get("proxy") or kwargs.get("uds"):
            raise ValueError("outbound calls take no proxy or unix socket: they would go unchecked")
        # trust_env here only reads SSL_CERT_FILE / SSL_CERT_DIR (an intranet's own CA); proxies
        # from the environment are never mounted on a client given its own transport.
        super().__init__(trust_env=True, **kwargs)
        pool = self._pool
        if not isinstance(pool, httpcore.AsyncConnectionPool) or \
                not hasattr(pool, "_network_backend"):  # pragma: no cover - an httpcore upgrade
            raise RuntimeError("httpcore's connection pool changed: outbound calls unguarded")
        # The pool hands its backend to each connection it makes (httpcore 1.x).
        pool._network_backend = _GuardedBackend(Policy.from_settings(settings))


def client(settings: Settings, **kwargs: Any) -> httpx.AsyncClient:
    """An httpx.AsyncClient that refuses, at connect time, every address `check_url` refuses.
    No redirects are followed unless asked for (each hop would be checked anyway)."""
    transport_options = {k: kwargs.pop(k) for k in ("verify", "cert", "http1", "http2", "limits",
                                                    "retries", "local_address") if k in kwargs}
    kwargs.setdefault("follow_redirects", False)
    return httpx.AsyncClient(transport=GuardedTransport(settings, **transport_options),
                             trust_env=False, **kwargs)
