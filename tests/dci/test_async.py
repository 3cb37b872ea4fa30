"""Async search, transaction status and subscriptions: signed callbacks to a department's server
on 127.0.0.1, delivered through the webhooks outbox."""

from __future__ import annotations

import httpx
import pytest

from app.webhooks.service import deliver_due
from tests.dci.department import CallbackServer, verify_registry
from tests.households.factories import exit_household, register_household

V = "321283100201"
ALL = {"query_type": "predicate", "query": [{"expression1": {
    "attribute_name": "location", "operator": "eq", "attribute_value": "321283"}}]}


@pytest.fixture
def callbacks(app):
    # the department's server runs on this machine: allow it (XIAOKANG_OUTBOUND_ALLOWED_HOSTS)
    app.state.settings.outbound_allowed_hosts = ["127.0.0.1"]
    with CallbackServer() as server:
        yield server


async def deliver(app, db) -> int:
    async with httpx.AsyncClient() as http:
        return await deliver_due(db, http, app.state.settings)


async def deliver_all(app, db) -> int:
    """Passes of the outbox until nothing is left (each page after the first of an asynchronous
    search is queued when the search runs)."""
    total = 0
    while sent := await deliver(app, db):
        total += sent
    return total


def acked(resp) -> str:
    assert resp.status_code == 200, resp.text
    message = resp.json()["message"]
    assert message["ack_status"] == "ACK"
    return message["correlation_id"]


async def test_async_search_posts_signed_pages_to_on_search(client, admin, app, db, callbacks,
                                                           register_department, jwks):
    app.state.settings.dci_callback_page_size = 2
    dept = await register_department(callback=callbacks.base)
    made = sorted([(await register_household(client, admin, V))["id"] for _ in range(3)])
    body = dept.search(ALL)
    correlation = acked(await client.post("/dci/registry/search", headers=dept.auth, json=body))
    assert callbacks.received == []  # nothing is sent inside the request
    assert await deliver_all(app, db) == 2
    pages = callbacks.at("/registry/on-search")
    assert len(pages) == 2
    for page in pages:
        verify_registry(page, jwks)
        assert page["header"]["action"] == "on-search"
        assert page["message"]["correlation_id"] == correlation
        assert page["message"]["transaction_id"] == body["message"]["transaction_id"]
    items = [p["message"]["search_response"][0] for p in pages]
    assert [i["pagination"]["page_number"] for i in items] == [1, 2]
    assert {i["pagination"]["total_count"] for i in items} == {3}
    got = [g["group_identifier"][0]["identifier_value"] for i in items
           for g in i["data"]["reg_records"]]
    assert got == made
    assert await deliver(app, db) == 0  # delivered once

    status = dept.envelope("txn-status", {"transaction_id": "t-status", "txnstatus_request": {
        "reference_id": "s-1", "txn_type": "search", "attribute_type": "correlation_id",
        "attribute_value": correlation}})
    r = await client.post("/dci/registry/sync/txn/status", headers=dept.auth, json=status)
    assert r.status_code == 200, r.text
    verify_registry(r.json(), jwks)
    txn = r.json()["message"]["txnstatus_response"]["txn_status"]
    assert txn["status"] == "succ" and txn["pages_delivered"] == 2 and txn["records"] == 3
    assert len(txn["search_response"]) == 2


async def sync_status(client, dept, correlation: str) -> dict:
    status = dept.envelope("txn-status", {"transaction_id": "t-status", "txnstatus_request": {
        "reference_id": "s-1", "txn_type": "search", "attribute_type": "correlation_id",
        "attribute_value": correlation}})
    r = await client.post("/dci/registry/sync/txn/status", headers=dept.auth, json=status)
    assert r.status_code == 200, r.text
    return r.json()["message"]["txnstatus_response"]["txn_status"]


async def test_an_async_search_runs_after_its_ack_pending_until_its_pages_are_delivered(
        client, admin, app, db, callbacks, register_department, jwks):
    dept = await register_department(callback=callbacks.base)
    correlation = acked(await client.post("/dci/registry/search", headers=dept.auth,
                                          json=dept.search(ALL)))
    pending = await sync_status(client, dept, correlation)
    assert (pending["status"], pending["pages"], pending["search_response"]) == ("pdng", 0, [])
    audit = await client.get("/api/v1/audit", headers=admin, params={"action": "dci.search"})
    assert audit.json()["items"] == []  # nothing searched yet
    late = await register_household(client, admin, V)  # registered after the ACK: found
    assert await deliver_all(app, db) == 1
    [page] = callbacks.at("/registry/on-search")
    verify_registry(page, jwks)
    [item] = page["message"]["search_response"]
    assert [g["@id"] for g in item["data"]["reg_records"]] == [
        f"urn:xiaokang:household:{late['id']}"]
    done = await sync_status(client, dept, correlation)
    assert (done["status"], done["records"], done["pages_delivered"]) == ("succ", 1, 1)
    audit = await client.get("/api/v1/audit", headers=admin, params={"action": "dci.search"})
    [row] = audit.json()["items"]
    assert row["after"]["records"] == 1 and row["after"]["mode"] == "async"


async def test_callbacks_of_a_disabled_sender_wait_and_are_delivered_once_it_is_enabled(
        client, admin, app, db, callbacks, register_department):
    dept = await register_department(callback=callbacks.base)
    await register_household(client, admin, V)
    acked(await client.post("/dci/registry/search", headers=dept.auth, json=dept.search(ALL)))
    sender = f"/api/v1/dci/senders/{dept.sender_id}"

    async def patch(**change):
        tag = (await client.get(sender, headers=admin)).headers["etag"]
        r = await client.patch(sender, headers=admin | {"If-Match": tag}, json=change)
        assert r.status_code == 200, r.text

    await patch(active=False)
    assert await deliver_all(app, db) == 0 and callbacks.received == []
    await patch(active=True)
    assert await deliver_all(app, db) == 1
    assert len(callbacks.at("/registry/on-search")) == 1


async def test_async_txn_status_is_posted_to_txn_on_status(client, app, db, callbacks,
                                                          register_department, jwks):
    dept = await register_department(callback=callbacks.base)
    body = dept.search(ALL)
    acked(await client.post("/dci/registry/search", headers=dept.auth, json=body))
    status = dept.envelope("txn-status", {"transaction_id": "t-status", "txnstatus_request": {
        "reference_id": "s-1", "txn_type": "search", "attribute_type": "transaction_id",
        "attribute_value": body["message"]["transaction_id"]}})
    acked(await client.post("/dci/registry/txn/status", headers=dept.auth, json=status))
    await deliver(app, db)
    [answer] = callbacks.at("/registry/txn/on-status")
    verify_registry(answer, jwks)
    # asked before the results were delivered: still pending then
    assert answer["message"]["txnstatus_response"]["txn_status"]["status"] == "pdng"


async def test_a_failing_callback_is_retried_and_never_lost(client, admin, app, db, callbacks,
                                                            register_department):
    dept = await register_department(callback=callbacks.base)
    await register_household(client, admin, V)
    acked(await client.post("/dci/registry/search", headers=dept.auth, json=dept.search(ALL)))
    callbacks.fail = 1
    assert await deliver(app, db) == 0
    assert callbacks.received == []
    from datetime import UTC, datetime, timedelta
    async with httpx.AsyncClient() as http:  # after the backoff
        await deliver_due(db, http, app.state.settings,
                          now=datetime.now(UTC) + timedelta(hours=2))
    assert len(callbacks.at("/registry/on-search")) == 1


async def test_async_search_needs_a_callback_uri(client, register_department):
    dept = await register_department()
    r = await client.post("/dci/registry/search", headers=dept.auth, json=dept.search(ALL))
    assert r.status_code == 400 and r.json()["message"]["error"]["code"] == "err.sender_uri.invalid"


async def test_a_callback_to_a_private_address_not_listed_is_refused(
        client, app, db, register_department):
    assert app.state.settings.outbound_allowed_hosts == []
    with CallbackServer() as server:
        # registered while the address was allowed, then no longer allowed: refused at connect
        app.state.settings.outbound_allowed_hosts = ["127.0.0.1"]
        dept = await register_department(callback=server.base)
        app.state.settings.outbound_allowed_hosts = []
        acked(await client.post("/dci/registry/search", headers=dept.auth, json=dept.search(ALL)))
        assert await deliver(app, db) == 0
        assert server.received == []


async def test_a_sender_with_a_private_callback_or_jwks_uri_not_listed_is_refused(client, admin):
    r = await client.post("/api/v1/clients", headers=admin, json={
        "name": "department", "scopes": ["dci:search"], "region_code": "321200000000"})
    body = {"sender_id": "mca.example", "client_id": r.json()["client_id"], "public_keys": [],
            "purposes": ["dibao-review"], "signature_required": False}
    for field in ("callback_uri", "jwks_uri"):
        r = await client.post("/api/v1/dci/senders", headers=admin,
                              json={**body, field: "http://127.0.0.1:9/x"})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == "outbound.address_refused"
        assert r.json()["errors"][0]["loc"] == ["body", field]
    r = await client.get("/api/v1/dci/senders", headers=admin)
    assert r.json()["items"] == []  # nothing written


def subscribe_item(ref: str, kind: str, **criteria) -> dict:
    return {"reference_id": ref, "timestamp": "2026-12-01T08:00:00+08:00",
            "subscribe_criteria": {"reg_event_type": kind, "notify_record_type": "Group",
                                   "filter": {}, **criteria}}


async def test_subscription_notifies_registration_exit_and_removal_in_order(
        client, admin, app, db, callbacks, register_department, jwks):
    dept = await register_department(callback=callbacks.base)
    before = await register_household(client, admin, V)  # before the subscription: not notified
    items = [subscribe_item("r", "REGISTER"), subscribe_item("u", "UPDATE"),
             subscribe_item("d", "DELETE"),
             subscribe_item("x", "REGISTER", filter_type="predicate", filter=[{"expression1": {
                 "attribute_name": "location", "operator": "eq", "attribute_value": "321282"}}])]
    body = dept.envelope("subscribe", {"transaction_id": "sub-1", "subscribe_request": items},
                         len(items))
    acked(await client.post("/dci/registry/subscribe", headers=dept.auth, json=body))
    await deliver(app, db)
    [answer] = callbacks.at("/registry/on-subscribe")
    verify_registry(answer, jwks)
    codes = {r["reference_id"]: r["subscriptions"][0]["code"]
             for r in answer["message"]["subscribe_response"]}
    assert set(codes) == {"r", "u", "d", "x"}

    hh = await register_household(client, admin, V, registered_on="2016-03-01")
    r = await exit_household(client, admin, hh, "2017-06-30")
    r = await client.post(f"/api/v1/households/{hh['id']}/remove", headers=admin,
                          json={"date": "2018-01-10", "reason": "wrongly_identified"})
    assert r.status_code == 201, r.text
    callbacks.fail = 1  # the first notification fails once: retried, order kept
    await deliver(app, db)
    from datetime import UTC, datetime, timedelta
    async with httpx.AsyncClient() as http:
        await deliver_due(db, http, app.state.settings, now=datetime.now(UTC) + timedelta(hours=2))
    notes = callbacks.at("/registry/notify")
    for n in notes:
        verify_registry(n, jwks)
    seen = [(e["reference_id"], e["data"]["reg_event_type"], e["data"]["event"]["type"])
            for n in notes for e in n["message"]["notify_event"]]
    assert seen == [(codes["r"], "REGISTER", "household.registered"),
                    (codes["u"], "UPDATE", "household.assessment.added"),
                    (codes["u"], "UPDATE", "household.exited"),
                    (codes["d"], "DELETE", "household.removed")]
    groups = [n["message"]["notify_event"][0]["data"]["reg_records"][0] for n in notes]
    assert {g["group_identifier"][0]["identifier_value"] for g in groups} == {hh["id"]}
    assert before["id"] not in str(notes)

    unsub = dept.envelope("unsubscribe", {"transaction_id": "sub-1", "timestamp":
                                          "2026-12-01T08:00:00+08:00",
                                          "subscription_codes": list(codes.values())}, 4)
    correlation = acked(await client.post("/dci/registry/unsubscribe", headers=dept.auth,
                                          json=unsub))
    await register_household(client, admin, V)
    await deliver_all(app, db)
    assert len(callbacks.at("/registry/notify")) == len(notes)  # nothing after the unsubscribe
    [ended] = callbacks.at("/registry/on-unsubscribe")
    verify_registry(ended, jwks)
    assert ended["header"]["action"] == "on-unsubscribe"
    message = ended["message"]
    assert message["correlation_id"] == correlation and message["status"] == "succ"
    assert sorted(s["code"] for s in message["subscription_status"]) == sorted(codes.values())
    assert {s["status"] for s in message["subscription_status"]} == {"unsubscribe"}

    again = dept.envelope("unsubscribe", {"transaction_id": "sub-1b", "timestamp":
                                          "2026-12-01T08:00:00+08:00",
                                          "subscription_codes": [codes["r"]]})
    acked(await client.post("/dci/registry/unsubscribe", headers=dept.auth, json=again))
    unknown = dept.envelope("unsubscribe", {"transaction_id": "sub-1c", "timestamp":
                                            "2026-12-01T08:00:00+08:00",
                                            "subscription_codes": ["sub-nobody"]})
    acked(await client.post("/dci/registry/unsubscribe", headers=dept.auth, json=unknown))
    await deliver_all(app, db)
    answers = [a["message"] for a in callbacks.at("/registry/on-unsubscribe")[1:]]
    assert [(a["status"], a["status_reason_code"]) for a in answers] == [
        ("rjct", "rjct.event.already_unsubscribed"), ("rjct", "rjct.subscription_code.invalid")]
    bad = dept.envelope("unsubscribe", {"transaction_id": "sub-1d", "subscription_codes": []})
    r = await client.post("/dci/registry/unsubscribe", headers=dept.auth, json=bad)
    assert r.status_code == 400 and r.json()["message"]["error"]["code"] == "err.request.bad"


async def test_subscribe_refuses_unknown_event_types_and_bad_filters(
        client, app, db, callbacks, register_department):
    dept = await register_department(callback=callbacks.base)
    items = [subscribe_item("a", "BIRTH"),
             subscribe_item("b", "UPDATE", filter_type="predicate", filter=[{"expression1": {
                 "attribute_name": "colour", "operator": "eq", "attribute_value": 1}}])]
    body = dept.envelope("subscribe", {"transaction_id": "sub-2", "subscribe_request": items}, 2)
    acked(await client.post("/dci/registry/subscribe", headers=dept.auth, json=body))
    await deliver(app, db)
    [answer] = callbacks.at("/registry/on-subscribe")
    assert [(r["status"], r["status_reason_code"])
            for r in answer["message"]["subscribe_response"]] == [
        ("rjct", "rjct.notify_types.invalid"), ("rjct", "rjct.notify_details.invalid")]


async def test_keys_from_a_jwks_uri_are_fetched_cached_and_refreshed_for_a_new_kid(
        client, admin, db, callbacks, register_department):
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import update

    from app.models.dci import DciSender
    from tests.dci.department import Department

    dept = await register_department(public_keys=[], jwks_uri=callbacks.base + "/jwks.json")
    callbacks.jwks = {"keys": [dept.jwk]}
    search = "/dci/registry/sync/search"
    for _ in range(2):
        assert (await client.post(search, headers=dept.auth,
                                  json=dept.search(ALL))).status_code == 200
    assert callbacks.gets == 1  # cached
    rotated = Department(dept.sender_id)
    rotated.token = dept.token
    callbacks.jwks = {"keys": [rotated.jwk]}
    r = await client.post(search, headers=dept.auth, json=rotated.search(ALL))
    assert r.status_code == 400  # a fresh cache is not fetched again at once
    async with db.sessionmaker() as s:
        await s.execute(update(DciSender).values(
            jwks_fetched_at=datetime.now(UTC) - timedelta(minutes=2)))
        await s.commit()
    r = await client.post(search, headers=dept.auth, json=rotated.search(ALL))
    assert r.status_code == 200, r.text
    assert callbacks.gets == 2


async def test_members_joining_and_leaving_are_link_and_unlink_and_filters_apply(
        client, admin, app, db, callbacks, register_department):
    from tests.households.factories import member, valid_id

    dept = await register_department(callback=callbacks.base)
    hh = await register_household(client, admin, V, registered_on="2016-03-01")
    items = [subscribe_item("l", "LINK", notify_record_type="Member"),
             subscribe_item("u", "UNLINK", notify_record_type="Member"),
             subscribe_item("e", "UPDATE", filter_type="expression",
                            filter={"status": {"$eq": "exited"}})]
    body = dept.envelope("subscribe", {"transaction_id": "sub-3", "subscribe_request": items}, 3)
    acked(await client.post("/dci/registry/subscribe", headers=dept.auth, json=body))
    await deliver(app, db)
    codes = {r["reference_id"]: r["subscriptions"][0]["code"] for r in
             callbacks.at("/registry/on-subscribe")[0]["message"]["subscribe_response"]}
    r = await client.post(f"/api/v1/households/{hh['id']}/members", headers=admin, json=member(
        "30", birth="19900101", name="王大媳", id_number=valid_id("19900101", seq=21),
        joined_on="2017-01-01"))
    assert r.status_code == 201, r.text
    joined = r.json()
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{joined['id']}/leave",
                          headers=admin, json={"left_on": "2017-03-01", "reason": "moved"})
    assert r.status_code == 200, r.text
    await exit_household(client, admin, hh, "2017-06-30")  # assessment (registered), then exit
    await deliver(app, db)
    seen = [(e["reference_id"], e["data"]["event"]["type"], e["data"]["reg_records"])
            for n in callbacks.at("/registry/notify") for e in n["message"]["notify_event"]]
    assert [(ref, kind) for ref, kind, _ in seen] == [
        (codes["l"], "household.member.added"), (codes["u"], "household.member.left"),
        (codes["e"], "household.exited")]  # the assessment came while still registered
    link, unlink = seen[0][2], seen[1][2]
    assert [m["@id"] for m in link] == [m["@id"] for m in unlink] == [
        f"urn:xiaokang:person:{joined['id']}"]
    assert unlink[0]["left_on"] == "2017-03-01"
