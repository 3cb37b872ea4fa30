"""Quick builders for tests that need villages, valid ID numbers and registered households.

    village = await make_village(client, admin, "321283100201")
    number = valid_id("19660512", seq=1)            # a man born 1966-05-12, issued in 泰興
    hh = await register_household(client, admin, village_code=village)
    hh["id"], hh["members"][0]["id"]

Everything goes through the HTTP API, so the same rules apply as in production.
"""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from stdnum.cn import ric

# Defaults take sequence numbers 500-999; tests that pick `seq` themselves use 1-499, so a chosen
# number never collides with a default one (whatever order the tests run in).
_seq = itertools.count(0)


def valid_id(birth: str = "19660512", county: str = "321283", seq: int | None = None,
             sex: str | None = None) -> str:
    """A GB 11643 number with a correct check digit: county (6) + birth YYYYMMDD + seq (3).

    `seq` picks the 3-digit sequence (1-499; its last digit's parity is the sex: odd male); by
    default a fresh one in 500-999 per call; `sex` ("male"/"female") adjusts the last digit.
    """
    order = 500 + next(_seq) % 500 if seq is None else seq % 1000
    if sex is not None and (order % 2 == 1) != (sex == "male"):
        order = (order + 1) % 1000
    body = f"{county}{birth}{order:03d}"
    return body + ric.calc_check_digit(body + "0")


def wrong_check_digit(number: str) -> str:
    """The same number with a check digit that GB 11643 does not give."""
    right = number[-1]
    other = next(c for c in "0123456789X" if c != right)
    return number[:-1] + other


async def make_village(client, headers: dict[str, str], code: str = "321283100201",
                       name: str | None = None) -> str:
    """Create the village `code` and its town when missing; answer the village code."""
    town = code[:9] + "000"
    for region, parent, label in ((town, code[:6] + "000000", f"town {town}"),
                                  (code, town, name or f"village {code}")):
        r = await client.post("/api/v1/regions", headers=headers,
                              json={"code": region, "name": label, "parent_code": parent})
        assert r.status_code in (201, 409), r.text
    return code


def member(relation: str = "02", *, birth: str = "19660512", id_number: str | None = None,
           name: str = "王建國", labour_capacity: str = "ordinary", health: str = "healthy",
           **attrs: Any) -> dict[str, Any]:
    """A member body for registration or POST …/members (attributes default to an able adult)."""
    body = {"name": name, "id_number": id_number or valid_id(birth), "relation": relation,
            "labour_capacity": labour_capacity, "health": health, "disability": None,
            "in_school": False, "stable_nonfarm_employment": False, "tekun_since": None}
    body.update(attrs)
    return body


def assessment(year: int = 2015, *, wage: str = "9000.00", business: str = "6000.00",
               property_: str = "0.00", transfer: str = "3000.00", costs: str = "0.00",
               assessed_on: str | None = None) -> dict[str, Any]:
    """An assessment body; the defaults give 18,000.00 net (6,000.00 each for three persons)."""
    body: dict[str, Any] = {"year": year, "wage_income": wage, "business_income": business,
                            "property_income": property_, "transfer_income": transfer,
                            "production_costs": costs}
    if assessed_on:
        body["assessed_on"] = assessed_on
    return body


def household_body(village_code: str = "321283100201", *, registered_on: str = "2016-03-01",
                   members: list[dict[str, Any]] | None = None,
                   assessment_: dict[str, Any] | None = None, causes: dict | None = None,
                   group: str | None = "3組") -> dict[str, Any]:
    """A registration body: by default three members (head, spouse, a schoolchild) and a 2015
    income of 6,000.00 per member (under the city line of 7,000.00), dated 2015-12-31."""
    if members is None:
        members = [member("02", birth="19660512", name="王建國"),
                   member("10", birth="19680302", name="李秀英"),
                   member("20", birth="20080901", name="王小明", labour_capacity="none",
                          in_school=True)]
    return {"village_code": village_code, "group": group, "registered_on": registered_on,
            "causes": causes or {"main": "illness", "others": ["skills"]},
            "assessment": assessment_ or assessment(
                2015, wage=f"{6000 * len(members)}.00", business="0.00", transfer="0.00"),
            "members": members}


async def register_household(client, headers: dict[str, str], village_code: str = "321283100201",
                             *, make: bool = True, expect: int = 201, **kw: Any) -> dict[str, Any]:
    """Register a household (creating its village first unless make=False); answer the JSON."""
    if make:
        await make_village(client, headers, village_code)
    r = await client.post("/api/v1/households", headers=headers,
                          json=household_body(village_code, **kw))
    assert r.status_code == expect, r.text
    return r.json()


async def add_measure(client, headers, household_id: str, *, start: str = "2016-04-01",
                      end: str | None = None, income_generating: bool = True,
                      kind: str = "industry") -> dict[str, Any]:
    r = await client.post(f"/api/v1/households/{household_id}/measures", headers=headers,
                          json={"kind": kind, "income_generating": income_generating,
                                "project": "養殖 project", "helper_id": None,
                                "start_date": start, "end_date": end})
    assert r.status_code == 201, r.text
    return r.json()


async def add_assessment(client, headers, household_id: str, year: int, net: str,
                         assessed_on: str | None = None, expect: int = 201) -> dict[str, Any]:
    """An assessment whose whole income is wages of `net` (so net income = `net`)."""
    body = assessment(year, wage=net, business="0.00", transfer="0.00", assessed_on=assessed_on)
    r = await client.post(f"/api/v1/households/{household_id}/assessments", headers=headers,
                          json=body)
    assert r.status_code == expect, r.text
    return r.json()


def head_of(household: dict[str, Any]) -> dict[str, Any]:
    return next(m for m in household["members"] if m["relation"] == "02")


async def exit_household(client, headers, household: dict[str, Any], exit_date: str = "2017-06-30",
                         *, income: str = "30000.00", year: int | None = None,
                         measure: bool = True, measure_start: str = "2016-01-01",
                         expect: int = 201, **body: Any):
    """Make a household ready to exit on `exit_date` (an assessment above the line dated before
    it, an income-generating measure) and exit it, signed by the head 5 days before."""
    hid = household["id"]
    d = date.fromisoformat(exit_date)
    if income:
        await add_assessment(client, headers, hid, year or d.year - 1, income,
                             assessed_on=(d.replace(day=1)).isoformat())
    if measure:
        await add_measure(client, headers, hid, start=measure_start)
    payload = {"exit_date": exit_date, "signed_by_member_id": head_of(household)["id"],
               "signed_on": date.fromordinal(d.toordinal() - 5).isoformat()}
    payload.update(body)
    r = await client.post(f"/api/v1/households/{hid}/exit", headers=headers, json=payload)
    assert r.status_code == expect, r.text
    return r
