"""Roster generation (十三, I2, I4, with R7 retention) through the API."""

from __future__ import annotations

import asyncio
from decimal import Decimal

from tests.conftest import assert_problem
from tests.dibao.helpers import decide, household, ready_case, relief_members, set_standard
from tests.households.factories import exit_household, member, register_household
from tests.insurance.helpers import BASE, by_person, confirm, entries, generate, make_scheme

VILLAGE = "321283100201"  # 泰興市
OTHER_VILLAGE = "321202100201"  # 海陵區


def tekun(name: str = "趙特困", birth: str = "19450101", since: str = "2016-03-01", **kw):
    return member("02", birth=birth, name=name, labour_capacity="lost", tekun_since=since, **kw)


def plain(name: str = "錢普通", relation: str = "10", birth: str = "19700101"):
    return member(relation, birth=birth, name=name)


async def _people(client, admin, village=VILLAGE, **kw):
    """A household of a 特困 head and a member with neither 特困 nor dibao."""
    hh = await register_household(client, admin, village, members=[tekun(), plain()], **kw)
    head = next(m for m in hh["members"] if m["relation"] == "02")
    other = next(m for m in hh["members"] if m["relation"] != "02")
    return hh, head, other


async def test_tekun_member_is_on_the_basic_roster_in_full_and_plain_member_is_not(client, admin):
    await make_scheme(client, admin, 2019, premium="250.00")
    hh, head, _other = await _people(client, admin)
    out = await generate(client, admin)
    assert (out["added"], out["removed"], out["unchanged"], out["flagged"]) == (1, 0, 0, 0)
    assert out["totals"]["entries"] == 1 and out["totals"]["amount"] == "250.00"
    rows = by_person(await entries(client, admin))
    assert set(rows) == {head["id"]}
    row = rows[head["id"]]
    assert row["amount"] == "250.00" and row["basis"] == "direct" and row["state"] == "pending"
    assert row["household_id"] == hh["id"] and row["district_code"] == "321283000000"
    assert row["name"] == "趙特困" and row["shares"] is None and row["flagged"] is False
    assert {r["rule"] for r in row["reasons"]} == {"R6", "E2"}
    assert any("特困 since 2016-03-01" in r["detail"] for r in row["reasons"])


async def test_generating_twice_changes_nothing(client, admin):
    await make_scheme(client, admin, 2019)
    await _people(client, admin)
    first = await generate(client, admin)
    before = await entries(client, admin)
    again = await generate(client, admin)
    assert (again["added"], again["removed"], again["unchanged"], again["flagged"],
            again["refreshed"]) == (0, 0, 1, 0, 0)
    assert again["totals"] == first["totals"]
    assert await entries(client, admin) == before


async def test_household_exited_18_months_before_is_retained_and_25_months_is_not(client, admin):
    await make_scheme(client, admin, 2019)  # reference date 2019-01-01
    kept, kept_head, _ = await _people(client, admin)
    await exit_household(client, admin, kept, "2017-07-01")  # 18 months before
    gone = await register_household(client, admin, VILLAGE,
                                    members=[tekun("孫已脫", "19460101"), plain("周普通")])
    await exit_household(client, admin, gone, "2016-12-01")  # 25 months before
    await generate(client, admin)
    rows = by_person(await entries(client, admin))
    assert set(rows) == {kept_head["id"]}
    row = rows[kept_head["id"]]
    assert row["basis"] == "retained"
    assert any(r["rule"] == "R7" and "retained through 2019-07-01" in r["detail"]
               for r in row["reasons"])


async def test_person_who_joined_after_the_reference_date_is_not_on_the_roster(client, admin):
    await make_scheme(client, admin, 2019)
    hh, head, _ = await _people(client, admin)
    body = {**tekun("吳新來", "19500101", since="2019-02-01"), "relation": "10",
            "joined_on": "2019-02-01"}
    r = await client.post(f"/api/v1/households/{hh['id']}/members", headers=admin, json=body)
    assert r.status_code == 201, r.text
    await generate(client, admin)
    assert set(by_person(await entries(client, admin))) == {head["id"]}


async def test_major_illness_roster_records_each_share_in_yuan_i4(client, admin):
    await make_scheme(client, admin, 2019, "major_illness_accident", premium="100.00",
                      shares={"city": "33.33", "district": "33.33", "town": "33.34"})
    _, head, _other = await _people(client, admin)
    out = await generate(client, admin, kind="major_illness_accident")
    assert out["added"] == 1
    [row] = await entries(client, admin, kind="major_illness_accident")
    assert row["person_id"] == head["id"] and row["amount"] == "100.00"
    assert row["shares"] == {"city": "33.33", "district": "33.33", "town": "33.34"}
    assert sum(Decimal(v) for v in row["shares"].values()) == Decimal("100.00")


async def test_regeneration_after_exit_withdraws_pending_and_flags_confirmed(client, admin):
    await make_scheme(client, admin, 2019)
    leaving = await register_household(client, admin, VILLAGE, members=[
        tekun("鄭甲", "19450101"), member("10", birth="19700101", name="鄭乙",
                                          tekun_since="2016-03-01")])
    _staying, stay_head, _ = await _people(client, admin)
    first = await generate(client, admin)
    assert first["added"] == 3
    rows = by_person(await entries(client, admin))
    a, b = (m for m in leaving["members"])
    assert rows[a["id"]]["state"] == "pending"
    # The health-insurance system confirms 鄭甲 (through a full-scope admin: unmasked number)
    pii = await client.get(f"{BASE}/rosters/2019/basic_medical/entries", headers=admin)
    numbers = {i["person_id"]: i["id_number"] for i in pii.json()["items"]}
    number_a = numbers[a["id"]]
    res = await confirm(client, admin, [{"id_number": number_a, "state": "confirmed"}])
    assert res["counts"] == {"ok": 1}
    # The household's exit is recorded late, dated 25 months before the reference date.
    await exit_household(client, admin, leaving, "2016-12-01")
    again = await generate(client, admin)
    assert (again["added"], again["removed"], again["unchanged"], again["flagged"]) == (0, 1, 1, 1)
    assert again["totals"]["withdrawn"] == 1 and again["totals"]["confirmed"] == 1
    assert again["totals"]["flagged"] == 1 and again["totals"]["amount"] == "500.00"
    rows = by_person(await entries(client, admin))
    assert rows[a["id"]]["state"] == "confirmed" and rows[a["id"]]["flagged"] is True
    assert rows[b["id"]]["state"] == "withdrawn" and rows[b["id"]]["flagged"] is False
    assert rows[stay_head["id"]]["state"] == "pending"
    # Generating once more changes nothing.
    third = await generate(client, admin)
    assert (third["added"], third["removed"], third["unchanged"], third["flagged"]) == (0, 0, 2, 1)


async def test_exit_within_retention_refreshes_the_pending_row_to_retained(client, admin):
    await make_scheme(client, admin, 2019)
    hh, _head, _ = await _people(client, admin)
    await generate(client, admin)
    await exit_household(client, admin, hh, "2018-06-30")
    again = await generate(client, admin)
    assert (again["added"], again["removed"], again["unchanged"], again["refreshed"]) == (0, 0, 1, 1)
    [row] = await entries(client, admin)
    assert row["basis"] == "retained" and row["state"] == "pending"


async def test_roster_without_scheme_is_404(client, admin):
    r = await client.post(f"{BASE}/rosters", headers=admin, json={"year": 2030,
                                                                  "kind": "basic_medical"})
    assert_problem(r, 404, "insurance.scheme.not_found")


async def test_scheme_cannot_change_once_its_roster_is_generated(client, admin):
    await make_scheme(client, admin, 2019)
    await _people(client, admin)
    await generate(client, admin)
    r = await client.patch(f"{BASE}/schemes/2019/basic_medical",
                           headers={**admin, "If-Match": '"1"'}, json={"premium": "260.00"})
    assert_problem(r, 409, "insurance.scheme.roster_generated")


async def test_district_officer_generates_and_reads_only_their_district(client, admin, make_user):
    await make_scheme(client, admin, 2019)
    _, mine, _ = await _people(client, admin)
    _, theirs, _ = await _people(client, admin, OTHER_VILLAGE)
    officer = await make_user("district_officer", "321283000000")
    out = await generate(client, officer)
    assert out["added"] == 1 and out["region_code"] == "321283000000"
    assert set(by_person(await entries(client, officer))) == {mine["id"]}
    city = await generate(client, admin)
    assert (city["added"], city["unchanged"]) == (1, 1)
    assert set(by_person(await entries(client, admin))) == {mine["id"], theirs["id"]}
    assert set(by_person(await entries(client, officer))) == {mine["id"]}


async def test_roster_generation_needs_insurance_write(client, admin, make_user):
    await make_scheme(client, admin, 2019)
    auditor = await make_user("auditor")
    r = await client.post(f"{BASE}/rosters", headers=auditor,
                          json={"year": 2019, "kind": "basic_medical"})
    assert_problem(r, 403, "auth.missing_scope")


async def test_dibao_covered_members_are_on_the_basic_roster_in_full(client, admin):
    await make_scheme(client, admin, 2019, premium="250.00")
    await set_standard(client, admin, "500.00")
    hh = await household(client, admin, "6000.00", members=relief_members())
    case = await ready_case(client, admin, hh["id"])
    r = await decide(client, admin, case["id"])
    assert r.status_code == 200, r.text
    out = await generate(client, admin)
    assert out["added"] == 2 and out["totals"]["amount"] == "500.00"
    rows = by_person(await entries(client, admin))
    assert set(rows) == {m["id"] for m in hh["members"]}
    for row in rows.values():
        assert row["basis"] == "direct" and row["amount"] == "250.00"
        e2 = next(r for r in row["reasons"] if r["rule"] == "E2")
        assert "covered by an active dibao grant" in e2["detail"]


async def test_concurrent_generations_of_one_roster_serialise_on_the_scheme(client, admin):
    await make_scheme(client, admin, 2019)
    for i in range(3):
        await register_household(client, admin, VILLAGE, members=[
            tekun(f"並發{i}", f"194{i}0101"), plain(f"普通{i}", birth=f"197{i}0101")])
    first, second = await asyncio.gather(generate(client, admin), generate(client, admin))
    assert sorted([first["added"], second["added"]]) == [0, 3]
    assert sorted([first["unchanged"], second["unchanged"]]) == [0, 3]
    assert len(await entries(client, admin)) == 3
