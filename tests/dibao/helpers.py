"""Builders for dibao tests: a standard, a registered household and a case taken through the
workflow of D5 — everything through the HTTP API."""

from __future__ import annotations

from typing import Any

from tests.households.factories import assessment, member, register_household

DISTRICT = "321283000000"  # 泰興市
VILLAGE = "321283100201"
CHECKS = ("deposits", "vehicles", "real_estate", "business")


async def set_standard(client, headers, amount: str = "500.00", effective_from: str = "2016-01-01",
                       region_code: str = DISTRICT, expect: int = 201) -> dict[str, Any]:
    r = await client.post("/api/v1/dibao/standards", headers=headers, json={
        "region_code": region_code, "effective_from": effective_from, "amount": amount})
    assert r.status_code == expect, r.text
    return r.json()


async def household(client, headers, net: str = "12000.00", *, village: str = VILLAGE,
                    members: list[dict] | None = None, registered_on: str = "2016-03-01"):
    """A registered household (three members unless given) whose 2015 net income is `net`."""
    return await register_household(
        client, headers, village_code=village, registered_on=registered_on, members=members,
        assessment_=assessment(2015, wage=net, business="0.00", transfer="0.00"))


def relief_members() -> list[dict]:
    """Two members without labour capacity: a relief-type household (R4)."""
    return [member("02", birth="19400512", name="張老漢", labour_capacity="lost"),
            member("10", birth="19420302", name="李老太", labour_capacity="none")]


async def apply(client, headers, household_id: str, applied_on: str = "2016-04-01",
                expect: int = 201, **body: Any):
    r = await client.post("/api/v1/dibao/cases", headers=headers, json={
        "household_id": household_id, "applied_on": applied_on, **body})
    assert r.status_code == expect, r.text
    return r.json() if expect == 201 else r


async def check(client, headers, case_id: str, kind: str, passed: bool = True,
                checked_on: str = "2016-04-02"):
    return await client.post(f"/api/v1/dibao/cases/{case_id}/checks", headers=headers, json={
        "kind": kind, "passed": passed, "source": f"{kind} registry", "checked_on": checked_on})


async def all_checks(client, headers, case_id: str, checked_on: str = "2016-04-02") -> None:
    for kind in CHECKS:
        r = await check(client, headers, case_id, kind, True, checked_on)
        assert r.status_code == 200, r.text


async def publicise(client, headers, case_id: str, start: str = "2016-04-03",
                    end: str = "2016-04-09"):
    return await client.post(f"/api/v1/dibao/cases/{case_id}/publicity", headers=headers,
                             json={"start": start, "end": end})


async def decide(client, headers, case_id: str, decided_on: str = "2016-04-10",
                 decision: str = "approve", start_month: str | None = "2016-05",
                 reason: str = "meets D2 after checks and publicity"):
    body: dict[str, Any] = {"decision": decision, "decided_on": decided_on, "reason": reason}
    if start_month:
        body["start_month"] = start_month
    return await client.post(f"/api/v1/dibao/cases/{case_id}/decision", headers=headers,
                             json=body)


async def ready_case(client, headers, household_id: str, **apply_body: Any) -> dict[str, Any]:
    """A case applied for on 2016-04-01, checked on 04-02, publicised 04-03..04-09."""
    case = await apply(client, headers, household_id, **apply_body)
    await all_checks(client, headers, case["id"])
    r = await publicise(client, headers, case["id"])
    assert r.status_code == 200, r.text
    return r.json()


async def approved_case(client, headers, household_id: str, **apply_body: Any) -> dict[str, Any]:
    """A case approved on 2016-04-10 with grant from 2016-05."""
    case = await ready_case(client, headers, household_id, **apply_body)
    r = await decide(client, headers, case["id"])
    assert r.status_code == 200, r.text
    return r.json()


async def get_case(client, headers, case_id: str, as_of: str | None = None) -> dict[str, Any]:
    params = {"as_of": as_of} if as_of else {}
    r = await client.get(f"/api/v1/dibao/cases/{case_id}", headers=headers, params=params)
    assert r.status_code == 200, r.text
    return r.json()


async def feed(client, headers, types: str) -> list[dict[str, Any]]:
    """The event feed of these types (positions are given at commit, so what committed is there)."""
    r = await client.get("/api/v1/events", headers=headers, params={"types": types})
    assert r.status_code == 200, r.text
    return r.json()["items"]
