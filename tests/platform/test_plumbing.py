"""ETag / If-Match / If-None-Match, Idempotency-Key, the audit log and the event feed."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from app.models.oversight import AuditLog
from app.models.regions import Region
from tests.conftest import assert_problem

TOWN = {"code": "321283100000", "name": "黃橋鎮", "parent_code": "321283000000"}


async def _a_user(client, admin):
    r = await client.post("/api/v1/users", headers=admin, json={
        "username": "clerk", "password": "a long password", "role": "town_officer",
        "region_code": "321283000000"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


async def test_get_answers_etag_and_if_none_match_gives_304(client, admin):
    uid = await _a_user(client, admin)
    r = await client.get(f"/api/v1/users/{uid}", headers=admin)
    assert r.headers["ETag"] == '"1"'
    again = await client.get(f"/api/v1/users/{uid}", headers={**admin, "If-None-Match": '"1"'})
    assert again.status_code == 304 and again.content == b""
    other = await client.get(f"/api/v1/users/{uid}", headers={**admin, "If-None-Match": '"9"'})
    assert other.status_code == 200


async def test_patch_without_if_match_is_428(client, admin):
    uid = await _a_user(client, admin)
    r = await client.patch(f"/api/v1/users/{uid}", headers=admin, json={"display_name": "x"})
    assert_problem(r, 428, "precondition.if_match_required")


async def test_patch_with_stale_if_match_is_412_and_changes_nothing(client, admin):
    uid = await _a_user(client, admin)
    ok = await client.patch(f"/api/v1/users/{uid}", headers={**admin, "If-Match": '"1"'},
                            json={"display_name": "Clerk Wang"})
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = await client.patch(f"/api/v1/users/{uid}", headers={**admin, "If-Match": '"1"'},
                               json={"display_name": "Somebody else"})
    assert_problem(stale, 412, "precondition.stale")
    now = (await client.get(f"/api/v1/users/{uid}", headers=admin)).json()
    assert now["display_name"] == "Clerk Wang" and now["version"] == 2


async def test_idempotent_replay_returns_the_first_answer(client, admin, session):
    headers = {**admin, "Idempotency-Key": "k-1"}
    first = await client.post("/api/v1/regions", headers=headers, json=TOWN)
    second = await client.post("/api/v1/regions", headers=headers, json=TOWN)
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    n = await session.scalar(select(func.count()).select_from(Region).where(Region.code == TOWN["code"]))
    assert n == 1


async def test_same_idempotency_key_with_another_body_is_422(client, admin):
    headers = {**admin, "Idempotency-Key": "k-2"}
    assert (await client.post("/api/v1/regions", headers=headers, json=TOWN)).status_code == 201
    r = await client.post("/api/v1/regions", headers=headers, json={**TOWN, "name": "other"})
    assert_problem(r, 422, "idempotency.key_reused")


async def test_idempotency_keys_are_per_principal(client, admin, make_user):
    other = await make_user("admin")
    assert (await client.post("/api/v1/regions", headers={**admin, "Idempotency-Key": "k"},
                              json=TOWN)).status_code == 201
    # another principal's same key is its own request: here a conflict, not a replay
    r = await client.post("/api/v1/regions", headers={**other, "Idempotency-Key": "k"}, json=TOWN)
    assert_problem(r, 409, "region.exists")


async def test_replayed_refusal_is_the_same_refusal(client, admin):
    headers = {**admin, "Idempotency-Key": "k-3"}
    bad = {**TOWN, "code": "321281100000"}
    a = await client.post("/api/v1/regions", headers=headers, json=bad)
    b = await client.post("/api/v1/regions", headers=headers, json=bad)
    assert a.status_code == b.status_code == 422 and a.json()["code"] == b.json()["code"]
    assert b.headers["Idempotent-Replayed"] == "true"


async def test_concurrent_requests_with_one_key_create_once(client, admin, session):
    headers = {**admin, "Idempotency-Key": "k-4"}
    results = await asyncio.gather(*[client.post("/api/v1/regions", headers=headers, json=TOWN)
                                     for _ in range(3)])
    statuses = sorted(r.status_code for r in results)
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
    n = await session.scalar(select(func.count()).select_from(Region).where(Region.code == TOWN["code"]))
    assert n == 1


async def test_changes_write_audit_rows_with_request_id(client, admin, session):
    r = await client.post("/api/v1/regions", headers={**admin, "X-Request-ID": "audit-1"}, json=TOWN)
    assert r.status_code == 201
    row = await session.scalar(select(AuditLog).where(AuditLog.action == "region.create"))
    assert row.entity_id == TOWN["code"] and row.after["name"] == "黃橋鎮"
    assert row.request_id == "audit-1" and row.actor.startswith("user:")
    listed = (await client.get("/api/v1/audit", headers=admin, params={"action": "region.create"})).json()
    assert [i["entity_id"] for i in listed["items"]] == [TOWN["code"]]


async def test_refused_request_writes_no_audit_row(client, admin, session):
    before = await session.scalar(select(func.count()).select_from(AuditLog))
    await client.post("/api/v1/regions", headers=admin, json={**TOWN, "code": "321281100000"})
    assert await session.scalar(select(func.count()).select_from(AuditLog)) == before


@pytest.mark.parametrize("sql", ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log",
                                 "TRUNCATE audit_log"])
async def test_the_database_refuses_to_change_the_audit_log(client, admin, session, sql):
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    with pytest.raises(DBAPIError, match="append-only"):
        await session.execute(text(sql))
    await session.rollback()
    assert await session.scalar(select(func.count()).select_from(AuditLog)) >= 1


async def test_audit_needs_audit_scope(client, make_user):
    officer = await make_user("city_officer")
    assert_problem(await client.get("/api/v1/audit", headers=officer), 403, "auth.missing_scope")
    auditor = await make_user("auditor")
    assert (await client.get("/api/v1/audit", headers=auditor)).status_code == 200


async def test_event_feed_is_ordered_scoped_and_filtered(client, admin, make_user):
    await client.post("/api/v1/regions", headers=admin, json=TOWN)
    await client.post("/api/v1/regions", headers=admin, json={
        "code": "321281100000", "name": "昭陽", "parent_code": "321281000000"})
    feed = (await client.get("/api/v1/events", headers=admin)).json()
    created = [e for e in feed["items"] if e["type"] == "region.created"]
    assert [e["entity_id"] for e in created] == ["321283100000", "321281100000"]
    assert [e["position"] for e in feed["items"]] == sorted(e["position"] for e in feed["items"])
    # A 泰興 officer syncs only 泰興's changes.
    taixing = await make_user("district_officer", "321283000000")
    mine = (await client.get("/api/v1/events", headers=taixing)).json()["items"]
    assert {e["entity_id"] for e in mine if e["type"] == "region.created"} == {"321283100000"}
    # The cursor resumes after the last event read.
    cursor = feed["next_cursor"]
    rest = (await client.get("/api/v1/events", headers=admin, params={"after": cursor})).json()
    assert rest["items"] == [] and rest["next_cursor"] == cursor
    only = (await client.get("/api/v1/events", headers=admin,
                             params={"types": "region.*", "limit": 1})).json()
    assert len(only["items"]) == 1 and only["items"][0]["entity_id"] == "321283100000"


async def test_an_event_committed_late_is_not_skipped_by_a_reader(client, admin, db):
    from app.events.service import emit

    async with db.sessionmaker() as open_tx:
        await emit(open_tx, "test.pending", "test", "1", "321283000000", {})
        await open_tx.flush()  # this event holds the lower id...
        await client.post("/api/v1/regions", headers=admin, json=TOWN)  # ...this one commits first
        first = (await client.get("/api/v1/events", headers=admin)).json()
        assert [e["type"] for e in first["items"]] == ["region.created"]
        await open_tx.commit()
    # a client resuming from its cursor still gets the late event: positions follow commits
    rest = (await client.get("/api/v1/events", headers=admin,
                             params={"after": first["next_cursor"]})).json()
    assert [e["type"] for e in rest["items"]] == ["test.pending"]
    assert rest["items"][0]["position"] > first["items"][0]["position"]
    assert rest["items"][0]["id"] < first["items"][0]["id"]


async def test_a_long_transaction_does_not_stall_the_feed(client, admin, db):
    async with db.sessionmaker() as long_tx:
        await long_tx.execute(__import__("sqlalchemy").text("SELECT pg_current_xact_id()"))
        await client.post("/api/v1/regions", headers=admin, json=TOWN)
        feed = (await client.get("/api/v1/events", headers=admin)).json()["items"]
        assert [e["type"] for e in feed] == ["region.created"]
        await long_tx.rollback()
