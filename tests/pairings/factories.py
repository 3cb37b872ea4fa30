"""Builders for pairing tests: helpers, weak villages and pairings through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.households.factories import make_village, valid_id

VALID_USCC = "91110000600037341L"


async def make_person(client, headers, *, id_number: str | None = None, name: str = "張幹部",
                      region_code: str | None = None, expect: int = 201) -> dict[str, Any]:
    body = {"kind": "person", "name": name, "unit": "市財政局", "post": "科長",
            "phone": "0523-86881234", "id_number": id_number or valid_id("19750101")}
    if region_code:
        body["region_code"] = region_code
    r = await client.post("/api/v1/helpers", headers=headers, json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def make_unit(client, headers, *, unit_kind: str = "department", uscc: str | None = None,
                    name: str = "市委組織部", expect: int = 201) -> dict[str, Any]:
    body: dict[str, Any] = {"kind": "unit", "name": name, "unit_kind": unit_kind}
    if uscc is not None:
        body["uscc"] = uscc
    r = await client.post("/api/v1/helpers", headers=headers, json=body)
    assert r.status_code == expect, r.text
    return r.json()


async def make_weak_village(client, headers, code: str, years=(2016, 2017, 2018, 2019),
                            income: str = "200000.00") -> str:
    """A village weak (R2) in each of `years`."""
    await make_village(client, headers, code)
    for y in years:
        r = await client.put(f"/api/v1/villages/{code}/incomes/{y}", headers=headers,
                             json={"collective_income": income})
        assert r.status_code == 200, r.text
    return code


async def pair(client, headers, helper_id: str, kind: str, start: str, end: str | None = None,
               *, household_id: str | None = None, region_code: str | None = None):
    body: dict[str, Any] = {"helper_id": helper_id, "kind": kind, "start_date": start,
                            "end_date": end}
    if household_id:
        body["household_id"] = household_id
    if region_code:
        body["region_code"] = region_code
    return await client.post("/api/v1/pairings", headers=headers, json=body)


async def end(client, headers, pairing: dict[str, Any], end_date: str, etag: str | None = None):
    return await client.patch(f"/api/v1/pairings/{pairing['id']}", headers={
        **headers, "If-Match": etag or f'"{pairing["version"]}"'}, json={"end_date": end_date})


async def events_of(db, type_: str) -> list[dict[str, Any]]:
    """Events of a type, read from the table (the feed's visibility horizon is server-wide, so
    another database's open transaction on a shared test server could hide fresh rows)."""
    from sqlalchemy import select

    from app.models.oversight import Event

    async with db.sessionmaker() as s:
        rows = (await s.scalars(select(Event).where(Event.type == type_).order_by(Event.id))).all()
    return [{"type": e.type, "entity_id": e.entity_id, "region_code": e.region_code,
             "payload": e.payload} for e in rows]
