"""Small builders for village tests: towns and villages through the regions API."""

from __future__ import annotations

EIGHT = ("strong_leadership", "development_plan", "farm_facilities", "leading_industry",
         "collective_income", "information_network", "civil_customs", "living_environment")


async def add_region(client, headers, code: str, parent: str, name: str = "x") -> None:
    r = await client.post("/api/v1/regions", headers=headers,
                          json={"code": code, "name": name, "parent_code": parent})
    assert r.status_code in (201, 409), r.text


async def add_village(client, headers, code: str, name: str = "某村") -> str:
    """Add the village and its town (first 9 digits + 000) when missing."""
    await add_region(client, headers, code[:9] + "000", code[:6] + "000000", "某鎮")
    await add_region(client, headers, code, code[:9] + "000", name)
    return code


async def put_income(client, headers, code: str, year: int, amount: str):
    return await client.put(f"/api/v1/villages/{code}/incomes/{year}", headers=headers,
                            json={"collective_income": amount})


def all_met(evidence: str = "縣委組織部考核") -> dict:
    return {"items": {k: {"met": True, "evidence": evidence} for k in EIGHT}}
