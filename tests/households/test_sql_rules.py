"""The SQL forms of R6 status and R4 support type agree with the facts loader (the pure rules)."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select

from app.households.facts import load_record, status_of, support_type_on
from app.households.sql import development_sql, status_sql
from app.models.households import Household
from tests.households.factories import exit_household, member, register_household

V = "321283100201"
DATES = ["2016-02-29", "2016-03-01", "2017-06-29", "2017-06-30", "2018-05-01", "2019-07-01"]


async def test_sql_status_and_support_type_equal_the_facts_on_every_date(client, admin, session):
    able = await register_household(client, admin, V)
    await exit_household(client, admin, able, "2017-06-30")
    relief = await register_household(client, admin, "321283100202", members=[
        member("02", birth="19400101", labour_capacity="lost"),
        member("10", birth="19420101", labour_capacity="none")])
    # a member whose attributes only start later: both forms use the first version until then
    await client.patch(f"/api/v1/households/{relief['id']}/members/{relief['members'][1]['id']}",
                       headers={**admin, "If-Match": "*"},
                       json={"effective_from": "2018-01-01", "labour_capacity": "partial"})
    for hid in (able["id"], relief["id"]):
        rec = await load_record(session, uuid.UUID(hid))
        for d in map(date.fromisoformat, DATES):
            row = (await session.execute(
                select(status_sql(d), development_sql(d)).where(Household.id == uuid.UUID(hid))
            )).one()
            assert row[0] == status_of(rec, d), (hid, d)
            expected = support_type_on(rec, d)[0] == "development"
            assert bool(row[1]) == expected, (hid, d)
