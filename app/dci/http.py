"""The one door for every outbound HTTP call of the DCI exchange (callbacks, notifications,
JWKS fetches).

Loopback, private and link-local addresses are refused unless their host is listed in
XIAOKANG_OUTBOUND_ALLOWED_HOSTS (comma-separated), so that a registered callback URI cannot be
used to reach the registry's own network. Redirects are not followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
from urllib.parse import urlsplit

import httpx

from app.config import Settings

TIMEOUT_SECONDS = 10.0


class OutboundRefused(httpx.HTTPError):
    """The destination is not allowed (a private address, or not http/https)."""


def allowed_hosts(settings: Settings) -> set[str]:
    """Hosts listed in settings (`outbound_allowed_hosts`, when defined) or in the environment."""
    listed: list[str] = []
    for configured in (getattr(settings, "outbound_allowed_hosts", None),
                       os.environ.get("XIAOKANG_OUTBOUND_ALLOWED_HOSTS")):
        if isinstance(configured, str):
            listed += configured.split(",")
        elif configured:
            listed += list(configured)
    return {h.strip().lower() for h in listed if h and h.strip()}


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_reserved
            or ip.is_multicast or ip.is_unspecified)


async def check_destination(settings: Settings, url: str) -> None:
    """Refuse a URL whose host resolves to a non-public address (unless allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise OutboundRefused(f"{url!r} is not an http(s) URL")
    host = parts.hostname.lower()
    if host in allowed_hosts(settings):
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443,
                                                             type=socket.SOCK_STREAM)
    except socket.gaierror as e:
        raise OutboundRefused(f"{host} does not resolve") from e
    if any(_private(info[4][0]) for info in infos):
        raise OutboundRefused(f"{host} is a private address; list it in "
                              "XIAOKANG_OUTBOUND_ALLOWED_HOSTS to allow it")


def client(settings: Settings) -> httpx.AsyncClient:
    """An HTTP client whose every request is checked against the outbound rules first."""

    async def guard(request: httpx.Request) -> None:
        await check_destination(settings, str(request.url))

    return httpx.AsyncClient(follow_redirects=False, timeout=TIMEOUT_SECONDS,
                             event_hooks={"request": [guard]})


async def post_json(settings: Settings, url: str, body: bytes) -> tuple[bool, int | None, str | None]:
    """POST a JSON body; answers (delivered, HTTP status, error)."""
    try:
        async with client(settings) as http:
            resp = await http.post(url, content=body, headers={"Content-Type": "application/json"})
    except httpx.HTTPError as e:
        return False, None, f"{type(e).__name__}: {e}"[:500]
    ok = 200 <= resp.status_code < 300
    return ok, resp.status_code, None if ok else f"HTTP {resp.status_code}"


async def get_json(settings: Settings, url: str) -> object:
    async with client(settings) as http:
        resp = await http.get(url, headers={"Accept": "application/json"})
        resp.raise_for_status()
        return resp.json()
