"""Webhooks: signed, ordered deliveries that are retried and never skip an event."""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import httpx

from app.webhooks.service import deliver_due
from tests.conftest import assert_problem

TOWN = {"code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"}


class Receiver:
    """An HTTP endpoint in memory that fails while `down` is set."""

    def __init__(self) -> None:
        self.received: list[httpx.Request] = []
        self.down = False

    def handler(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(503)
        self.received.append(request)
        return httpx.Response(204)

    def client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))


async def _subscribe(client, headers, **extra):
    r = await client.post("/api/v1/webhooks", headers=headers,
                          json={"url": "https://dibao.example.gov.cn/hook", **extra})
    assert r.status_code == 201, r.text
    return r.json()


async def test_deliveries_are_signed_and_in_order(client, admin, db, test_settings):
    hook = await _subscribe(client, admin, types=["region.*"])
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    await client.post("/api/v1/regions", headers=admin, json={**TOWN, "code": "321283101000"})
    rx = Receiver()
    async with rx.client() as http:
        assert await deliver_due(db, http, test_settings) == 2
    bodies = [json.loads(r.content) for r in rx.received]
    assert [b["entity_id"] for b in bodies] == ["321283100000", "321283101000"]
    sig = rx.received[0].headers["X-Xiaokang-Signature"]
    t, v1 = (p.split("=", 1)[1] for p in sig.split(","))
    expected = hmac.new(hook["secret"].encode(), f"{t}.".encode() + rx.received[0].content,
                        hashlib.sha256).hexdigest()
    assert hmac.compare_digest(v1, expected)
    assert rx.received[0].headers["X-Xiaokang-Event-Type"] == "region.created"


async def test_a_failing_endpoint_is_retried_and_nothing_is_skipped(client, admin, db, test_settings):
    hook = await _subscribe(client, admin)
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    rx = Receiver()
    rx.down = True
    async with rx.client() as http:
        assert await deliver_due(db, http, test_settings) == 0
        state = (await client.get(f"/api/v1/webhooks/{hook['id']}", headers=admin)).json()
        assert state["failures"] == 1 and state["last_error"] == "HTTP 503"
        # not due yet: nothing is attempted before the backoff passes
        assert await deliver_due(db, http, test_settings) == 0
        await client.post("/api/v1/regions", headers=admin, json={**TOWN, "code": "321283101000"})
        rx.down = False
        later = datetime.now(UTC) + timedelta(minutes=5)
        assert await deliver_due(db, http, test_settings, now=later) == 2
    assert [json.loads(r.content)["entity_id"] for r in rx.received] == ["321283100000", "321283101000"]
    attempts = (await client.get(f"/api/v1/webhooks/{hook['id']}/deliveries", headers=admin)).json()
    assert [(d["delivered"], d["status_code"]) for d in attempts["items"]] == [
        (False, 503), (True, 204), (True, 204)]


async def test_a_subscription_sees_only_its_region(client, admin, make_user, db, test_settings):
    taixing = await make_user("district_officer", "321283000000", extra_scopes=["webhooks:write"])
    await _subscribe(client, taixing)
    await client.post("/api/v1/regions", headers=admin, json={**TOWN, "code": "321281100000",
                                                              "parent_code": "321281000000"})
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    rx = Receiver()
    async with rx.client() as http:
        await deliver_due(db, http, test_settings)
    assert [json.loads(r.content)["entity_id"] for r in rx.received] == ["321283100000"]


async def test_paused_subscription_gets_nothing_and_patch_needs_if_match(client, admin, db, test_settings):
    hook = await _subscribe(client, admin)
    assert_problem(await client.patch(f"/api/v1/webhooks/{hook['id']}", headers=admin,
                                      json={"active": False}), 428, "precondition.if_match_required")
    r = await client.patch(f"/api/v1/webhooks/{hook['id']}", headers={**admin, "If-Match": '"1"'},
                           json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    rx = Receiver()
    async with rx.client() as http:
        assert await deliver_due(db, http, test_settings) == 0


async def test_webhook_url_must_be_http(client, admin):
    r = await client.post("/api/v1/webhooks", headers=admin, json={"url": "ftp://x"})
    assert_problem(r, 422, "request.validation")
