"""Fixtures of the DCI exchange: a department registered as a sender, with its client token."""

from __future__ import annotations

import pytest

from tests.dci.department import Department


async def department(client, admin, sender_id: str = "mca.taizhou.gov.cn", *,
                     region_code: str = "321200000000",
                     scopes: tuple[str, ...] = ("dci:search", "dci:subscribe"),
                     callback: str | None = None, **sender: object) -> Department:
    """Register a department through `client`: an OAuth client with the DCI scopes, then a
    sender, and the client's token."""
    dept = Department(sender_id)
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": f"department {sender_id}", "scopes": list(scopes), "region_code": region_code})
    assert r.status_code == 201, r.text
    created = r.json()
    body = {"sender_id": sender_id, "client_id": created["client_id"],
            "public_keys": [dept.jwk], "purposes": ["dibao-review"], **sender}
    if callback:
        body["callback_uri"] = callback
    r = await client.post("/api/v1/dci/senders", headers=admin, json=body)
    assert r.status_code == 201, r.text
    if body["public_keys"]:
        assert [k["kid"] for k in r.json()["public_keys"]] == [dept.kid]
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": created["client_id"],
        "client_secret": created["client_secret"]})
    assert r.status_code == 200, r.text
    dept.token = r.json()["access_token"]
    return dept


@pytest.fixture
def register_department(client, admin):
    """Register a department: an OAuth client with the DCI scopes, then a sender."""

    async def factory(sender_id: str = "mca.taizhou.gov.cn", **kwargs: object) -> Department:
        return await department(client, admin, sender_id, **kwargs)

    return factory


@pytest.fixture
async def jwks(client) -> dict:
    r = await client.get("/.well-known/jwks.json")
    assert r.status_code == 200
    return r.json()
