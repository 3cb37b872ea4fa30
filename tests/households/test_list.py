"""GET /api/v1/households: region-scoped, filtered as of a date, keyset-paginated."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.households.factories import exit_household, member, register_household

TAIXING = "321283100201"
XINGHUA = "321281100201"


async def all_pages(client, headers, query: str, limit: int = 2) -> list[dict]:
    items, cursor, pages = [], None, 0
    while True:
        url = f"/api/v1/households?limit={limit}{query}" + (f"&cursor={cursor}" if cursor else "")
        r = await client.get(url, headers=headers)
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            return items


async def test_pagination_visits_every_household_once(client, admin):
    ids = {(await register_household(client, admin, TAIXING))["id"] for _ in range(5)}
    items = await all_pages(client, admin, "&as_of=2017-01-01")
    assert [i["id"] for i in items] == sorted(ids)
    assert all(i["status"] == "registered" for i in items)
    r = await client.get("/api/v1/households?cursor=garbage", headers=admin)
    assert_problem(r, 422, "pagination.bad_cursor")


async def test_list_is_scoped_to_the_callers_region(client, admin, make_user):
    mine = (await register_household(client, admin, TAIXING))["id"]
    theirs = (await register_household(client, admin, XINGHUA))["id"]
    taixing = await make_user("district_officer", "321283000000")
    items = await all_pages(client, taixing, "")
    assert [i["id"] for i in items] == [mine]
    town = await make_user("town_officer", "321281100000")
    assert [i["id"] for i in await all_pages(client, town, "")] == [theirs]
    # a region_code filter outside the caller's region adds nothing
    assert await all_pages(client, taixing, "&region_code=321281000000") == []
    everything = await all_pages(client, admin, "&region_code=321281100000")
    assert [i["id"] for i in everything] == [theirs]


async def test_status_and_support_type_filters_use_the_as_of_date(client, admin):
    stays = await register_household(client, admin, TAIXING)
    leaves = await register_household(client, admin, TAIXING)
    await exit_household(client, admin, leaves, "2017-06-30")
    relief = await register_household(client, admin, TAIXING, members=[
        member("02", birth="19400101", labour_capacity="none")])

    async def ids(query):
        return {i["id"] for i in await all_pages(client, admin, query, limit=50)}

    assert await ids("&status=registered&as_of=2017-06-29") == {
        stays["id"], leaves["id"], relief["id"]}
    assert await ids("&status=exited&as_of=2017-06-30") == {leaves["id"]}
    assert await ids("&status=registered&as_of=2017-06-30") == {stays["id"], relief["id"]}
    assert await ids("&status=registered&as_of=2016-01-01") == set()
    assert await ids("&support_type=relief&as_of=2017-01-01") == {relief["id"]}
    assert await ids("&support_type=development&status=exited&as_of=2018-01-01") == {
        leaves["id"]}
    r = await client.get("/api/v1/households?status=gone", headers=admin)
    assert_problem(r, 422, "request.validation")


async def test_support_type_follows_attribute_versions(client, admin):
    hh = await register_household(client, admin, TAIXING, members=[member("02")])
    head = hh["members"][0]["id"]
    etag = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).headers["ETag"]
    r = await client.patch(f"/api/v1/households/{hh['id']}/members/{head}",
                           headers={**admin, "If-Match": etag},
                           json={"effective_from": "2018-01-01", "labour_capacity": "lost"})
    assert r.status_code == 200, r.text
    before = await all_pages(client, admin, "&support_type=development&as_of=2017-12-31")
    after = await all_pages(client, admin, "&support_type=relief&as_of=2018-01-01")
    assert [i["id"] for i in before] == [hh["id"]] == [i["id"] for i in after]
