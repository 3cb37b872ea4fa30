"""Villages: collective income per year and weak status (R2), key areas (R3), eight haves (V1)."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.pairings.factories import events_of
from tests.villages.helpers import EIGHT, add_village, all_met, put_income

V = "321283100201"  # a village of 黃橋鎮, 泰興市
OTHER = "321281100201"  # a village of 興化市


async def test_r2_income_exactly_at_the_line_is_weak(client, admin):
    await add_village(client, admin, V)
    r = await put_income(client, admin, V, 2016, "350000.00")
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["year"], body["collective_income"], body["line"], body["weak"]) == (
        2016, "350000.00", "350000.00", True)
    assert body["reasons"][-1]["rule"] == "R2"
    assert "350,000.00 ≤ line 350,000.00" in body["reasons"][-1]["detail"]


async def test_r2_one_fen_above_the_line_is_not_weak(client, admin):
    await add_village(client, admin, V)
    body = (await put_income(client, admin, V, 2016, "350000.01")).json()
    assert body["weak"] is False
    assert "350,000.01 > line 350,000.00" in body["reasons"][-1]["detail"]


async def test_r2_a_higher_district_line_applies_to_its_villages(client, admin):
    await add_village(client, admin, V)
    await add_village(client, admin, OTHER)
    r = await client.post("/api/v1/policy/weak-village-lines", headers=admin, json={
        "region_code": "321283000000", "effective_from": "2017-01-01", "amount": "400000.00"})
    assert r.status_code == 201
    assert (await put_income(client, admin, V, 2017, "380000.00")).json()["weak"] is True
    # 2016 is judged on the line in force on 2016-12-31: the city's.
    assert (await put_income(client, admin, V, 2016, "380000.00")).json()["weak"] is False
    # another 市(區) keeps the city line
    other = (await put_income(client, admin, OTHER, 2017, "380000.00")).json()
    assert (other["line"], other["weak"]) == ("350000.00", False)


async def test_r2_a_year_before_any_line_has_no_weak_status(client, admin):
    await add_village(client, admin, V)
    body = (await put_income(client, admin, V, 2015, "100000.00")).json()
    assert body["weak"] is None and body["line"] is None
    assert "no line is in force" in body["reasons"][0]["detail"]


async def test_income_correction_is_a_new_version_and_keeps_the_old_one(client, admin, db):
    await add_village(client, admin, V)
    first = (await put_income(client, admin, V, 2016, "300000.00")).json()
    same = (await put_income(client, admin, V, 2016, "300000")).json()
    assert first["version"] == same["version"] == 1
    fixed = (await put_income(client, admin, V, 2016, "360000.00")).json()
    assert (fixed["version"], fixed["weak"]) == (2, False)
    village = (await client.get(f"/api/v1/villages/{V}", headers=admin)).json()
    assert [(y["year"], y["collective_income"], y["version"]) for y in village["years"]] == [
        (2016, "360000.00", 2)]
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "village.income.record"})).json()["items"]
    assert [a["after"]["collective_income"] for a in audit] == ["300000.00", "360000.00"]
    assert audit[1]["before"]["collective_income"] == "300000.00"
    events = await events_of(db, "village.income.recorded")
    assert [e["payload"]["version"] for e in events] == [1, 2]


async def test_income_must_not_be_negative_nor_carry_fractions_of_a_fen(client, admin):
    await add_village(client, admin, V)
    assert_problem(await put_income(client, admin, V, 2016, "-1.00"), 422, "request.validation")
    assert_problem(await put_income(client, admin, V, 2016, "1.001"), 422, "request.validation")
    r = await client.put(f"/api/v1/villages/{V}/incomes/2016", headers=admin,
                         json={"collective_income": "1.00", "weak": True})
    assert_problem(r, 422, "request.validation")


async def test_income_of_a_town_or_unknown_village_is_not_found(client, admin):
    await add_village(client, admin, V)
    assert_problem(await put_income(client, admin, "321283100000", 2016, "1.00"), 404,
                   "village.not_found")
    assert_problem(await put_income(client, admin, "321283100299", 2016, "1.00"), 404,
                   "village.not_found")


async def test_r3_village_inherits_its_towns_key_areas(client, admin):
    await add_village(client, admin, V)
    r = await client.post("/api/v1/areas/huangqiao/towns", headers=admin,
                          json={"town_codes": ["321283100000"]})
    assert r.status_code == 200, r.text
    village = (await client.get(f"/api/v1/villages/{V}", headers=admin)).json()
    assert village["areas"] == ["huangqiao"] and village["town_code"] == "321283100000"


async def test_v1_all_eight_met_meets_the_goal(client, admin):
    await add_village(client, admin, V)
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=all_met())
    assert r.status_code == 200, r.text
    assert r.json()["met_all"] is True and r.json()["version"] == 1
    assert len(r.json()["reasons"]) == 8
    village = (await client.get(f"/api/v1/villages/{V}", headers=admin)).json()
    assert village["eight_haves"]["year"] == 2017 and village["eight_haves"]["met_all"] is True


async def test_v1_one_item_not_met_misses_the_goal(client, admin):
    await add_village(client, admin, V)
    body = all_met()
    body["items"]["information_network"] = {"met": False, "evidence": None}
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=body)
    assert r.status_code == 200
    assert r.json()["met_all"] is False
    assert r.json()["items"]["information_network"] == {"met": False, "evidence": None}
    assert any("information_network" in x["detail"] and "not met" in x["detail"]
               for x in r.json()["reasons"])


async def test_v1_a_missing_item_is_refused(client, admin):
    await add_village(client, admin, V)
    body = all_met()
    del body["items"]["civil_customs"]
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=body)
    assert "civil_customs" in assert_problem(r, 422, "village.eight_haves.missing_item")["detail"]


async def test_v1_an_unknown_item_is_refused(client, admin):
    await add_village(client, admin, V)
    body = all_met()
    body["items"]["good_roads"] = {"met": True, "evidence": "x"}
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=body)
    assert_problem(r, 422, "village.eight_haves.unknown_item")


async def test_v1_met_without_evidence_is_refused(client, admin):
    await add_village(client, admin, V)
    body = all_met()
    body["items"]["leading_industry"] = {"met": True, "evidence": "  "}
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=body)
    assert_problem(r, 422, "village.eight_haves.evidence_required")
    village = (await client.get(f"/api/v1/villages/{V}", headers=admin)).json()
    assert village["eight_haves"] is None


async def test_v1_a_changed_year_is_a_new_version(client, admin):
    await add_village(client, admin, V)
    await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=all_met())
    body = all_met()
    body["items"][EIGHT[0]] = {"met": False}
    r = await client.put(f"/api/v1/villages/{V}/eight-haves/2017", headers=admin, json=body)
    assert (r.json()["version"], r.json()["met_all"]) == (2, False)


async def test_list_filters_weak_villages_of_a_year_and_an_area(client, admin):
    codes = [f"321283100{n:03d}" for n in range(201, 206)]
    for c in codes:
        await add_village(client, admin, c)
    await add_village(client, admin, "321283101201")
    await client.post("/api/v1/areas/huangqiao/towns", headers=admin,
                      json={"town_codes": ["321283100000"]})
    amounts = ["350000.00", "350000.01", "100.00", "200000.00", "900000.00"]
    for c, a in zip(codes, amounts, strict=True):
        await put_income(client, admin, c, 2017, a)
    await put_income(client, admin, "321283101201", 2017, "1.00")
    await put_income(client, admin, codes[2], 2018, "999999.00")
    seen, cursor = [], None
    while True:
        params = {"weak": "true", "year": 2017, "area": "huangqiao", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/villages", headers=admin, params=params)).json()
        seen += [(i["code"], i["year"], i["weak"]) for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == [(codes[0], 2017, True), (codes[2], 2017, True), (codes[3], 2017, True)]
    # without a year each village shows its latest year
    latest = (await client.get("/api/v1/villages", headers=admin,
                               params={"weak": "false"})).json()["items"]
    assert [(i["code"], i["year"]) for i in latest] == [
        (codes[1], 2017), (codes[2], 2018), (codes[4], 2017)]


async def test_villages_outside_the_callers_region_are_not_found(client, admin, make_user):
    await add_village(client, admin, V)
    await add_village(client, admin, OTHER)
    xinghua = await make_user("district_officer", "321281000000")
    assert_problem(await client.get(f"/api/v1/villages/{V}", headers=xinghua), 404,
                   "village.not_found")
    assert_problem(await put_income(client, xinghua, V, 2017, "1.00"), 404, "village.not_found")
    listed = (await client.get("/api/v1/villages", headers=xinghua)).json()["items"]
    assert [i["code"] for i in listed] == [OTHER]


async def test_village_reads_need_a_token_and_writes_a_scope(client, admin, make_user):
    await add_village(client, admin, V)
    assert_problem(await client.get("/api/v1/villages"), 401, "auth.required")
    auditor = await make_user("auditor")
    assert_problem(await put_income(client, auditor, V, 2017, "1.00"), 403, "auth.missing_scope")
