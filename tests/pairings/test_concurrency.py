"""P1/P2 under concurrency: two simultaneous pairings never both win (rows locked FOR UPDATE)."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select

from app.models.pairings import Pairing
from app.pairings import service
from tests.households.factories import register_household
from tests.pairings.factories import make_person, make_weak_village, pair

V = "321283100201"


@pytest.fixture
def slow_checks(monkeypatch):
    """Widen the race window: pause after reading the existing periods, inside the transaction,
    so that without the row lock both requests would read "no overlap" before either writes."""
    original = service._periods

    async def slow(*args, **kwargs):
        found = await original(*args, **kwargs)
        await asyncio.sleep(0.3)
        return found

    monkeypatch.setattr(service, "_periods", slow)


async def count(db, **where) -> int:
    async with db.sessionmaker() as s:
        stmt = select(func.count()).select_from(Pairing)
        for k, v in where.items():
            stmt = stmt.where(getattr(Pairing, k) == v)
        return int(await s.scalar(stmt))


async def test_p1_two_simultaneous_responsible_cadres_leave_exactly_one(client, admin, db, slow_checks):
    hh = await register_household(client, admin, V)
    a, b = await make_person(client, admin), await make_person(client, admin)
    first, second = await asyncio.gather(
        pair(client, admin, a["id"], "household_cadre", "2016-04-01", household_id=hh["id"]),
        pair(client, admin, b["id"], "household_cadre", "2016-05-01", household_id=hh["id"]))
    assert sorted([first.status_code, second.status_code]) == [201, 409], (first.text, second.text)
    loser = first if first.status_code == 409 else second
    assert loser.json()["code"] == "pairing.household_cadre.overlap"
    assert await count(db, household_id=hh["id"]) == 1


async def test_p2_two_simultaneous_first_secretaries_leave_exactly_one(client, admin, db, slow_checks):
    await make_weak_village(client, admin, V)
    a, b = await make_person(client, admin), await make_person(client, admin)
    results = await asyncio.gather(
        pair(client, admin, a["id"], "first_secretary", "2017-01-01", region_code=V),
        pair(client, admin, b["id"], "first_secretary", "2017-06-01", "2017-12-31",
             region_code=V))
    assert sorted(r.status_code for r in results) == [201, 409]
    assert await count(db, region_code=V, kind="first_secretary") == 1
