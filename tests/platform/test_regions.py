"""Regions, key areas, region scoping and keyset pagination."""

from __future__ import annotations

from tests.conftest import assert_problem

DISTRICTS = ["321202", "321203", "321204", "321271", "321281", "321282", "321283"]


async def add(client, headers, code, parent, name="x"):
    return await client.post("/api/v1/regions", headers=headers,
                             json={"code": code, "name": name, "parent_code": parent})


async def test_city_and_districts_are_seeded(client, admin):
    r = await client.get("/api/v1/regions", headers=admin, params={"level": "district"})
    assert [x["code"][:6] for x in r.json()["items"]] == DISTRICTS
    city = (await client.get("/api/v1/regions/321200000000", headers=admin)).json()
    assert city == {"code": "321200000000", "name": "泰州市", "level": "city", "parent_code": None}


async def test_admin_adds_a_town_and_a_village_under_it(client, admin):
    assert (await add(client, admin, "321283100000", "321283000000", "黃橋鎮")).status_code == 201
    r = await add(client, admin, "321283100201", "321283100000", "某村")
    assert r.status_code == 201 and r.json()["level"] == "village"


async def test_parent_must_exist(client, admin):
    assert_problem(await add(client, admin, "321283100201", "321283100000"), 422,
                   "region.parent_unknown")


async def test_code_must_sit_under_the_parent_prefix(client, admin):
    assert_problem(await add(client, admin, "321281100000", "321283000000"), 422,
                   "region.code_not_under_parent")
    # a village code directly under a 市(區) is the wrong level
    assert_problem(await add(client, admin, "321283100201", "321283000000"), 422,
                   "region.code_not_under_parent")


async def test_districts_are_seeded_not_added(client, admin):
    assert_problem(await add(client, admin, "321299000000", "321200000000"), 422,
                   "region.parent_level")


async def test_district_officer_cannot_see_or_change_another_district(client, admin, make_user):
    await add(client, admin, "321283100000", "321283000000")
    xinghua = await make_user("city_officer", "321281000000")
    assert_problem(await client.get("/api/v1/regions/321283100000", headers=xinghua), 404,
                   "region.not_found")
    listed = (await client.get("/api/v1/regions", headers=xinghua, params={"limit": 500})).json()
    assert all(r["code"].startswith("321281") for r in listed["items"])
    assert_problem(await add(client, xinghua, "321283100201", "321283100000"), 422,
                   "region.parent_unknown")
    assert (await add(client, xinghua, "321281100000", "321281000000")).status_code == 201


async def test_pagination_walks_every_page_once(client, admin):
    for i in range(1, 8):
        assert (await add(client, admin, f"321283{100 + i:03d}000", "321283000000")).status_code == 201
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 3, "parent_code": "321283000000"}
        if cursor:
            params["cursor"] = cursor
        body = (await client.get("/api/v1/regions", headers=admin, params=params)).json()
        seen += [r["code"] for r in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert pages == 3
    assert seen == sorted(seen) and len(seen) == len(set(seen)) == 7


async def test_bad_cursor_and_limit_are_refused(client, admin):
    assert_problem(await client.get("/api/v1/regions", headers=admin, params={"cursor": "!!"}),
                   422, "pagination.bad_cursor")
    assert_problem(await client.get("/api/v1/regions", headers=admin, params={"limit": 501}),
                   422, "request.validation")


async def test_key_areas_take_towns(client, admin):
    await add(client, admin, "321283100000", "321283000000")
    areas = (await client.get("/api/v1/areas", headers=admin)).json()
    assert [a["code"] for a in areas] == ["huangqiao", "lixiahe"]
    r = await client.post("/api/v1/areas/huangqiao/towns", headers=admin,
                          json={"town_codes": ["321283100000"]})
    assert r.json()["town_codes"] == ["321283100000"]
    assert_problem(await client.post("/api/v1/areas/huangqiao/towns", headers=admin,
                                     json={"town_codes": ["321283000000"]}), 422, "area.town_unknown")
    assert_problem(await client.post("/api/v1/areas/nowhere/towns", headers=admin,
                                     json={"town_codes": ["321283100000"]}), 404, "area.not_found")
