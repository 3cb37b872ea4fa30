"""/api/v1/dci/senders: registering who may use the DCI exchange (problem+json errors)."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.dci.department import Department


async def _client_id(client, admin) -> str:
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "dept", "scopes": ["dci:search"], "region_code": "321283000000"})
    return r.json()["client_id"]


async def test_register_list_and_get_a_sender(client, admin):
    dept = Department("nhsa.taizhou.gov.cn")
    cid = await _client_id(client, admin)
    r = await client.post("/api/v1/dci/senders", headers=admin, json={
        "sender_id": dept.sender_id, "client_id": cid, "public_keys": [dept.jwk],
        "callback_uri": "https://nhsa.example.cn/spmis/", "purposes": ["premium-subsidy"]})
    assert r.status_code == 201, r.text
    out = r.json()
    assert out["callback_uri"] == "https://nhsa.example.cn/spmis"
    assert out["signature_required"] is True and out["rate_limit_per_minute"] == 60
    assert out["public_keys"] == [{"kid": dept.kid, "jwk": dept.jwk}]
    listed = (await client.get("/api/v1/dci/senders", headers=admin)).json()["items"]
    assert [s["sender_id"] for s in listed] == [dept.sender_id]
    got = await client.get(f"/api/v1/dci/senders/{dept.sender_id}", headers=admin)
    assert got.json() == out
    r = await client.get("/api/v1/audit", headers=admin, params={"action": "dci.sender.create"})
    assert len(r.json()["items"]) == 1


async def test_sender_registration_refusals(client, admin, make_user):
    dept = Department()
    cid = await _client_id(client, admin)
    body = {"sender_id": dept.sender_id, "client_id": cid, "public_keys": [dept.jwk]}
    assert (await client.post("/api/v1/dci/senders", headers=admin, json=body)).status_code == 201
    assert_problem(await client.post("/api/v1/dci/senders", headers=admin, json=body), 409,
                   "dci.sender.exists")
    assert_problem(await client.post("/api/v1/dci/senders", headers=admin, json={
        **body, "sender_id": "other", "client_id": "xkc_nobody"}), 422, "dci.sender.client_unknown")
    assert_problem(await client.post("/api/v1/dci/senders", headers=admin, json={
        **body, "sender_id": "other", "public_keys": []}), 422, "request.validation")
    assert_problem(await client.post("/api/v1/dci/senders", headers=admin, json={
        **body, "sender_id": "other", "public_keys": [{"kty": "EC", "crv": "P-256", "x": "a"}]}),
        422, "request.validation")
    officer = await make_user("district_officer", "321283000000")
    assert_problem(await client.post("/api/v1/dci/senders", headers=officer, json={
        **body, "sender_id": "other"}), 403, "auth.missing_scope")
    r = await client.post("/api/v1/dci/senders", headers=admin, json={
        **body, "sender_id": "unsigned", "public_keys": [], "signature_required": False})
    assert r.status_code == 201, r.text
