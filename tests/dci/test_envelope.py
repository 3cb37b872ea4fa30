"""The gate of every DCI request: token, sender, signature, header rules, replay, rate limit."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

SEARCH = "/dci/registry/sync/search"
NOBODY = {"query_type": "idtype-value",
          "query": {"type": "HOUSEHOLD_ID", "value": "00000000-0000-0000-0000-000000000000"}}


def assert_dci_error(resp, status: int, code: str) -> dict:
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()["message"]
    assert body["ack_status"] == "ERR" and body["error"]["code"] == code, body
    return body


async def test_no_token_or_a_bad_token_is_401_in_the_dci_shape(client, register_department):
    dept = await register_department()
    assert_dci_error(await client.post(SEARCH, json=dept.search(NOBODY)), 401,
                     "err.request.unauthorized")
    assert_dci_error(await client.post(SEARCH, json=dept.search(NOBODY),
                                       headers={"Authorization": "Bearer nonsense"}),
                     401, "err.request.unauthorized")


async def test_a_token_without_the_dci_scope_is_forbidden(client, register_department):
    dept = await register_department(scopes=("households:read",))
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=dept.search(NOBODY)),
                     403, "err.request.forbidden")


async def test_a_sender_id_of_another_client_is_refused(client, register_department):
    dept = await register_department("mca.taizhou.gov.cn")
    other = await register_department("nhsa.taizhou.gov.cn")
    body = other.search(NOBODY)
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=body), 403,
                     "err.sender_id.invalid")


async def test_a_tampered_message_is_refused_as_invalid_signature(client, register_department):
    dept = await register_department()
    body = dept.search(NOBODY)
    body["message"]["search_request"][0]["search_criteria"]["query"]["value"] = \
        "11111111-1111-1111-1111-111111111111"
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=body), 400,
                     "err.signature.invalid")


async def test_a_signature_by_an_unregistered_key_is_refused(client, register_department):
    dept = await register_department()
    body = dept.search(NOBODY, sign=False)
    body["signature"] = dept.signature(body["header"], body["message"],
                                       key=Ed25519PrivateKey.generate())
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=body), 400,
                     "err.signature.invalid")


async def test_a_signature_outside_created_expires_with_60_s_skew_is_refused(
        client, register_department):
    dept = await register_department()
    for start, end, ok in ((-400, -70, False), (-400, -50, True), (70, 400, False),
                           (50, 400, True), (0, -1, False)):
        body = dept.search(NOBODY, sign=False)
        # read just before sending; 10 s either side of the 60 s edge for the request to arrive
        now = int(time.time())
        created, expires = now + start, now + end
        body["signature"] = dept.signature(body["header"], body["message"], created, expires)
        r = await client.post(SEARCH, headers=dept.auth, json=body)
        if ok:
            assert r.status_code == 200, (created - now, expires - now, r.text)
        else:
            assert_dci_error(r, 400, "err.signature.invalid")


async def test_an_unsigned_message_is_refused_when_the_sender_must_sign(client,
                                                                       register_department):
    dept = await register_department()
    assert_dci_error(await client.post(SEARCH, headers=dept.auth,
                                       json=dept.search(NOBODY, sign=False)),
                     400, "err.signature.missing")


async def test_unsigned_is_accepted_only_from_a_sender_registered_without_signatures(
        client, register_department):
    dept = await register_department(signature_required=False)
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(NOBODY, sign=False))
    assert r.status_code == 200, r.text
    body = dept.search(NOBODY)
    body["signature"] = body["signature"].replace('signature="', 'signature="AAAA')
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=body), 400,
                     "err.signature.invalid")  # a present signature that fails: always refused


async def test_a_replayed_message_id_is_refused_and_a_refused_message_is_not_remembered(
        client, register_department):
    dept = await register_department()
    body = dept.search(NOBODY)
    assert (await client.post(SEARCH, headers=dept.auth, json=body)).status_code == 200
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=body), 409,
                     "rjct.message_id.duplicate")
    again = dept.search(NOBODY, message_id=body["header"]["message_id"])
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=again), 409,
                     "rjct.message_id.duplicate")
    bad = dept.search(NOBODY, version="0.9")
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=bad), 400,
                     "rjct.version.invalid")
    fixed = dept.search(NOBODY, message_id=bad["header"]["message_id"])
    assert (await client.post(SEARCH, headers=dept.auth, json=fixed)).status_code == 200


async def test_header_rules_answer_their_reason_codes(client, register_department):
    dept = await register_department()
    old = (datetime.now(UTC) - timedelta(seconds=301)).isoformat()
    cases = [({"version": "2.0.0"}, "rjct.version.invalid"),
             ({"action_": "subscribe"}, "rjct.action.invalid"),
             ({"message_ts": old}, "rjct.message_ts.invalid"),
             ({"message_ts": "2026-12-01T10:00:00"}, "rjct.message_ts.invalid"),
             ({"total_count": 2}, "rjct.total_count.invalid"),
             ({"total_count": 101}, "rjct.total_count.limit_exceeded"),
             ({"receiver_id": "somebody.else"}, "err.receiver_id.invalid"),
             ({"is_msg_encrypted": True}, "err.encryption.invalid")]
    for header, code in cases:
        r = await client.post(SEARCH, headers=dept.auth, json=dept.search(NOBODY, **header))
        assert_dci_error(r, 400, code)
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(*[NOBODY] * 100))
    assert r.status_code == 200, r.text  # exactly the limit


async def test_a_body_that_is_not_an_envelope_is_a_bad_request(client, register_department):
    dept = await register_department()
    for content in (b"{not json", b"[]", b'{"header": {}}'):
        r = await client.post(SEARCH, headers={**dept.auth, "Content-Type": "application/json"},
                              content=content)
        assert_dci_error(r, 400, "err.request.bad")
    assert_dci_error(await client.get("/dci/registry/nothing"), 404, "err.request.not_found")


async def test_the_senders_rate_limit_answers_too_many_requests(client, register_department):
    dept = await register_department(rate_limit_per_minute=2)
    for _ in range(2):
        assert (await client.post(SEARCH, headers=dept.auth,
                                  json=dept.search(NOBODY))).status_code == 200
    assert_dci_error(await client.post(SEARCH, headers=dept.auth, json=dept.search(NOBODY)),
                     429, "err.request.too_many_requests")


async def test_problem_json_stays_outside_dci(client):
    r = await client.get("/api/v1/dci/senders")
    assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem")


async def test_the_registry_key_is_published_beside_the_token_keys(client, jwks):
    kinds = sorted(k["kty"] for k in jwks["keys"])
    assert kinds == ["EC", "OKP"]
    okp = next(k for k in jwks["keys"] if k["kty"] == "OKP")
    assert okp["crv"] == "Ed25519" and okp["alg"] == "EdDSA" and len(okp["kid"]) == 43


async def test_an_unexpected_error_under_dci_is_a_dci_500_without_detail(
        client, register_department, monkeypatch):
    from app.dci import service

    async def boom(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(service, "sync_search", boom)
    dept = await register_department()
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(NOBODY))
    body = assert_dci_error(r, 500, "err.service.unavailable")
    assert "secret" not in r.text and body["ack_status"] == "ERR"


async def test_a_sender_sees_only_its_own_transactions(client, register_department):
    mine = await register_department("mca.taizhou.gov.cn")
    other = await register_department("nhsa.taizhou.gov.cn")
    body = mine.search(NOBODY)
    assert (await client.post(SEARCH, headers=mine.auth, json=body)).status_code == 200

    def status(dept):
        return dept.envelope("txn-status", {"transaction_id": "t", "txnstatus_request": {
            "reference_id": "s", "txn_type": "search", "attribute_type": "transaction_id",
            "attribute_value": body["message"]["transaction_id"]}})
    r = await client.post("/dci/registry/sync/txn/status", headers=other.auth, json=status(other))
    assert r.json()["message"]["txnstatus_response"]["txn_status"]["status"] == "rjct"
    r = await client.post("/dci/registry/sync/txn/status", headers=mine.auth, json=status(mine))
    found = r.json()["message"]["txnstatus_response"]["txn_status"]
    assert found["status"] == "succ" and found["search_response"][0]["reference_id"] == "ref-0"


async def test_the_specification_is_served(client):
    r = await client.get("/dci/social_api_v1.0.0.yaml")
    assert r.status_code == 200 and b"/registry/sync/search:" in r.content


async def test_message_ids_older_than_a_day_are_forgotten(client, register_department, db):
    from sqlalchemy import func, select, text

    from app.models.dci import DciMessage

    dept = await register_department()
    old = dept.search(NOBODY)
    assert (await client.post(SEARCH, headers=dept.auth, json=old)).status_code == 200
    async with db.sessionmaker() as s:
        await s.execute(text("UPDATE dci_message SET received_at = now() - interval '25 hours'"))
        await s.commit()
    assert (await client.post(SEARCH, headers=dept.auth,
                              json=dept.search(NOBODY))).status_code == 200
    async with db.sessionmaker() as s:
        ids = (await s.scalars(select(DciMessage.message_id))).all()
        assert old["header"]["message_id"] not in ids and len(ids) == 1
        assert await s.scalar(select(func.count()).select_from(DciMessage)) == 1
