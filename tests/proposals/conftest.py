"""Fixtures for the staged procedure: a weak village with a first secretary, a town officer and
a district officer of 泰興 (321283)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.households.factories import household_body
from tests.pairings.factories import make_person, make_weak_village, pair

V = "321283100201"
TOWN = "321283100000"
DISTRICT = "321283000000"


@pytest.fixture
async def people(client, admin, make_user) -> dict[str, Any]:
    await make_weak_village(client, admin, V)
    helper = await make_person(client, admin)
    r = await pair(client, admin, helper["id"], "first_secretary", "2016-01-01", region_code=V)
    assert r.status_code == 201, r.text
    return {
        "fs": await make_user("first_secretary", DISTRICT, helper_id=helper["id"]),
        "helper_id": helper["id"],
        "town": await make_user("town_officer", TOWN),
        "district": await make_user("district_officer", DISTRICT),
    }


def register_payload(**kw) -> dict[str, Any]:
    body = household_body(V, **kw)
    body.pop("registered_on")
    body.pop("village_code")
    return body


async def step(client, headers, pid: str, name: str, on: str, expect: int = 201, **kw):
    r = await client.post(f"/api/v1/proposals/{pid}/steps", headers=headers,
                          json={"step": name, "date": on, "notes": f"{name} notes", **kw})
    assert r.status_code == expect, r.text
    return r


async def through_review(client, people, pid: str, *, appraise="2017-03-01",
                         start="2017-03-02", end="2017-03-08", review="2017-03-08") -> None:
    await step(client, people["fs"], pid, "appraise", appraise)
    await step(client, people["fs"], pid, "publicise", start, publicity_start=start,
               publicity_end=end)
    await step(client, people["town"], pid, "review", review)
