"""The person segments carry the covering grant and its monthly benefit (D7), written by every
write path the amount rests on: the decision, a new standard of the 市(區), an assessment."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import text

from app.timelines import store
from tests.dibao.helpers import approved_case, get_case, household, relief_members, set_standard
from tests.households.factories import add_assessment

AMOUNTS = """SELECT p.person_id, p.dibao_case_id, p.dibao_amount FROM person_timeline p
             WHERE p.household_id = :h AND p.valid @> CAST(:on AS date) ORDER BY p.ordinal"""


async def _amounts(db, household_id: str, on: str) -> list[tuple]:
    async with db.sessionmaker() as s:
        return [(str(r[0]), r[1] and str(r[1]), r[2])
                for r in (await s.execute(text(AMOUNTS), {"h": household_id, "on": date.fromisoformat(on)})).all()]


async def test_every_covered_member_carries_the_grants_monthly_benefit_from_its_start(
        client, admin, db):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "6000.00", members=relief_members())
    case = await approved_case(client, admin, h["id"])  # grant from 2016-05
    # 2 × 500.00 − 6,000.00 / 12 = 500.00 a month (D3)
    assert (await get_case(client, admin, case["id"], "2016-05-01"))["monthly_benefit"] == "500.00"
    ids = [m["id"] for m in h["members"]]
    assert await _amounts(db, h["id"], "2016-04-30") == [(i, None, None) for i in ids]
    assert await _amounts(db, h["id"], "2016-05-01") == [(i, case["id"], Decimal("500.00"))
                                                         for i in ids]


async def test_a_new_standard_rewrites_the_amount_from_the_month_it_opens(client, admin, db):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "6000.00", members=relief_members())
    case = await approved_case(client, admin, h["id"])
    await set_standard(client, admin, "600.00", effective_from="2017-01-15")
    # the period opens on the 1st on or after the change (D7): February 2017
    view = await get_case(client, admin, case["id"], "2017-02-01")
    assert view["monthly_benefit"] == "700.00"  # 2 × 600.00 − 500.00
    assert {a for _, _, a in await _amounts(db, h["id"], "2017-01-31")} == {Decimal("500.00")}
    assert {a for _, _, a in await _amounts(db, h["id"], "2017-02-01")} == {Decimal("700.00")}
    async with db.sessionmaker() as s:
        assert await s.run_sync(store.differences) == []


async def test_an_assessment_in_force_changes_the_amount_as_the_case_answers(client, admin, db):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "6000.00", members=relief_members())
    case = await approved_case(client, admin, h["id"])
    await add_assessment(client, admin, h["id"], 2016, "9600.00")  # dated 2016-12-31
    view = await get_case(client, admin, case["id"], "2017-01-01")
    assert view["monthly_benefit"] == "200.00"  # 2 × 500.00 − 800.00
    assert {a for _, _, a in await _amounts(db, h["id"], "2016-12-31")} == {Decimal("500.00")}
    assert {a for _, _, a in await _amounts(db, h["id"], "2017-01-01")} == {Decimal("200.00")}
