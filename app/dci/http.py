"""The one door for every outbound HTTP call of the DCI exchange (callbacks, notifications,
JWKS fetches): `app.kit.outbound`, which refuses loopback, private, link-local and reserved
addresses (checked on the address actually connected to) unless listed in
XIAOKANG_OUTBOUND_ALLOWED_HOSTS. Redirects are not followed.
"""

from __future__ import annotations

import httpx

from app.config import Settings
from app.kit import outbound

TIMEOUT_SECONDS = 10.0


def client(settings: Settings) -> httpx.AsyncClient:
    """An HTTP client whose every connection is checked against the outbound rules."""
    return outbound.client(settings, follow_redirects=False, timeout=TIMEOUT_SECONDS)


async def post_json(settings: Settings, url: str, body: bytes) -> tuple[bool, int | None, str | None]:
    """POST a JSON body; answers (delivered, HTTP status, error). A refused address is an
    undelivered attempt (outbound.AddressRefused is an httpx connect error)."""
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
