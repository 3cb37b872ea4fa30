"""/api/v1/dci/senders: registering who may use the DCI exchange (problem+json errors)."""

from __future__ import annotations

import pytest

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


SENDER = "/api/v1/dci/senders/mca.taizhou.gov.cn"
NOBODY = {"query_type": "idtype-value",
          "query": {"type": "HOUSEHOLD_ID", "value": "00000000-0000-0000-0000-000000000000"}}


async def _etag(client, admin) -> str:
    r = await client.get(SENDER, headers=admin)
    assert r.status_code == 200, r.text
    return r.headers["etag"]


async def test_a_sender_is_changed_with_if_match_and_its_new_key_signs_in_place_of_the_old(
        client, admin, register_department):
    dept = await register_department()
    body = {"purposes": ["dibao-review", "medical-aid"], "rate_limit_per_minute": 5}
    assert_problem(await client.patch(SENDER, headers=admin, json=body), 428,
                   "precondition.if_match_required")
    tag = await _etag(client, admin)
    r = await client.patch(SENDER, headers=admin | {"If-Match": tag}, json=body)
    assert r.status_code == 200, r.text
    assert r.json()["purposes"] == ["dibao-review", "medical-aid"]
    assert r.json()["rate_limit_per_minute"] == 5 and r.json()["version"] == 2
    assert_problem(await client.patch(SENDER, headers=admin | {"If-Match": tag}, json=body),
                   412, "precondition.stale")  # the old version

    rotated = Department(dept.sender_id)
    rotated.token = dept.token
    r = await client.patch(SENDER, headers=admin | {"If-Match": r.headers["etag"]},
                           json={"public_keys": [rotated.jwk]})
    assert [k["kid"] for k in r.json()["public_keys"]] == [rotated.kid]
    old = await client.post("/dci/registry/sync/search", headers=dept.auth,
                            json=dept.search(NOBODY))
    assert old.status_code == 400 and old.json()["message"]["error"]["code"] == \
        "err.signature.invalid"
    new = await client.post("/dci/registry/sync/search", headers=rotated.auth,
                            json=rotated.search(NOBODY))
    assert new.status_code == 200, new.text
    r = await client.get("/api/v1/audit", headers=admin, params={"action": "dci.sender.update"})
    assert len(r.json()["items"]) == 2


@pytest.mark.parametrize("change, status, code, field", [
    ({"jwks_uri": "https://keys.example.cn/jwks.json"}, 422, "dci.sender.keys_conflict",
     "jwks_uri"),
    ({"public_keys": []}, 422, "dci.sender.keys_required", "public_keys"),
    ({"active": None}, 422, "field.null", "active"),
    ({"callback_uri": "http://127.0.0.1:9/cb"}, 422, "outbound.address_refused", "callback_uri"),
    ({"jwks_uri": "http://10.0.0.1/jwks", "public_keys": []}, 422, "outbound.address_refused",
     "jwks_uri"),
])
async def test_a_refused_change_of_a_sender_changes_nothing(client, admin, register_department,
                                                            change, status, code, field):
    await register_department()
    tag = await _etag(client, admin)
    before = (await client.get(SENDER, headers=admin)).json()
    problem = assert_problem(await client.patch(SENDER, headers=admin | {"If-Match": tag},
                                                json=change), status, code)
    assert problem["errors"][0]["loc"] == ["body", field]
    assert (await client.get(SENDER, headers=admin)).json() == before


async def test_a_disabled_sender_is_refused_until_enabled_again(client, admin,
                                                                register_department):
    dept = await register_department()
    r = await client.patch(SENDER, headers=admin | {"If-Match": await _etag(client, admin)},
                           json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    refused = await client.post("/dci/registry/sync/search", headers=dept.auth,
                                json=dept.search(NOBODY))
    assert refused.status_code == 403
    assert refused.json()["message"]["error"]["code"] == "err.sender_id.disabled"
    await client.patch(SENDER, headers=admin | {"If-Match": await _etag(client, admin)},
                       json={"active": True})
    again = await client.post("/dci/registry/sync/search", headers=dept.auth,
                              json=dept.search(NOBODY))
    assert again.status_code == 200, again.text
