"""The feed's page, written by the database, answers exactly what the EventPage model of the
contract gives for the same events: fields, formats (`at` in pydantic's UTC form, with and without
microseconds), payloads as stored, order, scoping, type filters and the cursor."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import text

from app.auth.principal import Principal
from app.auth.scopes import scopes_for_role
from app.events import service
from app.events.router import EventPage, FeedEventOut

TAIXING = "321283000000"


def _principal(region: str) -> Principal:
    import uuid

    return Principal(kind="user", id=uuid.uuid4(), name="t", role="district_officer",
                     scopes=scopes_for_role("district_officer"), region_code=region)


async def _model_page(session, principal, after, types, limit) -> dict:
    """The page as the response model writes it (the contract's reference)."""
    rows, cursor = await service.list_events(session, principal, after, types, limit)
    page = EventPage(items=[FeedEventOut.model_validate(r) for r in rows],
                     next_cursor=str(cursor))
    return __import__("json").loads(page.model_dump_json())


async def _seed(db) -> None:
    async with db.sessionmaker() as s:
        await service.emit(s, "test.a", "test", "1", TAIXING,
                           {"name": "泰興 \"引號\"\n", "n": 3, "x": 32.4901, "nested": {"b": [1, None]}})
        await service.emit(s, "test.b", "test", None, None, {})
        await service.emit(s, "test.a", "test", "3", "321281000000", {"ok": True})
        await s.commit()
    async with db.sessionmaker() as s:  # one event at a whole second, one with microseconds
        await s.execute(text("UPDATE event SET at = :at WHERE type = 'test.b'"),
                        {"at": datetime(2026, 3, 1, 8, 0, 0, tzinfo=UTC)})
        await s.execute(text("UPDATE event SET at = :at WHERE entity_id = '3'"),
                        {"at": datetime(2026, 3, 1, 8, 0, 0, 120, tzinfo=UTC)})
        await s.commit()


async def test_feed_page_json_is_the_event_page_of_the_contract(db, client, admin):
    import json

    await _seed(db)
    city = _principal("321200000000")
    cases = [(city, 0, [], 500), (city, 0, [], 2), (city, 0, ["test.a"], 500),
             (city, 0, ["test.*", "nothing"], 500), (_principal(TAIXING), 0, [], 500),
             (city, 10**9, [], 500)]
    async with db.sessionmaker() as s:
        for principal, after, types, limit in cases:
            want = await _model_page(s, principal, after, types, limit)
            got = json.loads(await service.page_json(s, principal, after, types, limit))
            assert got == want, (principal.region_code, after, types, limit)
    whole = await _model_page_of_city(db)
    assert [e["at"][-1] for e in whole["items"]] == ["Z"] * 3
    assert "2026-03-01T08:00:00Z" in {e["at"] for e in whole["items"]}
    assert "2026-03-01T08:00:00.000120Z" in {e["at"] for e in whole["items"]}
    # and over HTTP, the same body
    r = await client.get("/api/v1/events", headers=admin, params={"types": "test.*"})
    assert r.status_code == 200 and r.headers["content-type"] == "application/json"
    assert r.json() == whole


async def test_an_empty_page_keeps_the_cursor(db):
    import json

    async with db.sessionmaker() as s:
        page = json.loads(await service.page_json(s, _principal(TAIXING), 41, [], 500))
    assert page == {"items": [], "next_cursor": "41"}


async def _model_page_of_city(db) -> dict:
    async with db.sessionmaker() as s:
        return await _model_page(s, _principal("321200000000"), 0, ["test.*"], 500)
