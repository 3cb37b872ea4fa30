"""Builders for insurance tests: schemes, rosters and a health-insurance machine client, all
through the HTTP API."""

from __future__ import annotations

from typing import Any

BASE = "/api/v1/insurance"


async def make_scheme(client, headers, year: int = 2019, kind: str = "basic_medical",
                      premium: str = "250.00", expect: int = 201, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"year": year, "kind": kind, "premium": premium,
                            "funding_body": "醫療救助基金"}
    if kind == "major_illness_accident" and "shares" not in extra:
        body["shares"] = {"city": "40.00", "district": "40.00", "town": "20.00"}
    body.update(extra)
    r = await client.post(f"{BASE}/schemes", headers=headers, json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def generate(client, headers, year: int = 2019, kind: str = "basic_medical",
                   expect: int = 200) -> dict[str, Any]:
    r = await client.post(f"{BASE}/rosters", headers=headers, json={"year": year, "kind": kind})
    assert r.status_code == expect, r.text
    return r.json()


async def entries(client, headers, year: int = 2019, kind: str = "basic_medical",
                  **params: Any) -> list[dict[str, Any]]:
    """Every entry of the roster, following the cursor."""
    out: list[dict[str, Any]] = []
    cursor = None
    while True:
        q = {**params, **({"cursor": cursor} if cursor else {})}
        r = await client.get(f"{BASE}/rosters/{year}/{kind}/entries", headers=headers, params=q)
        assert r.status_code == 200, r.text
        out += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return out


def by_person(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {i["person_id"]: i for i in items}


async def confirm(client, headers, rows: list[dict[str, Any]], year: int = 2019,
                  kind: str = "basic_medical", expect: int = 200):
    r = await client.post(f"{BASE}/rosters/{year}/{kind}/confirmations", headers=headers,
                          json=rows)
    assert r.status_code == expect, r.text
    return r.json() if expect == 200 else r


async def insurance_client(client, admin, scopes: list[str] | None = None,
                           region_code: str = "321200000000") -> dict[str, str]:
    """A health-insurance machine client (client_credentials); answers its headers."""
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "health insurance", "region_code": region_code,
        "scopes": scopes or ["insurance:read", "insurance:write"]})
    assert r.status_code == 201, r.text
    made = r.json()
    tok = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": made["client_id"],
        "client_secret": made["client_secret"]})
    assert tok.status_code == 200, tok.text
    return {"Authorization": f"Bearer {tok.json()['access_token']}"}
