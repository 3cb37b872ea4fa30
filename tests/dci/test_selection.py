"""What a predicate or expression search selects (SQL over the timelines) is what the REST answers
say of the same households on the same date: each expectation below is computed from
`GET /api/v1/households/{id}?as_of=`, never from the registry's own SQL."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from app.policy.dates import age_on
from app.policy.income import per_capita_income
from tests.households.factories import exit_household, member, register_household, valid_id

V = "321283100201"
OTHER = "321282100201"  # another 市(區)
SEARCH = "/dci/registry/sync/search"


def _current(h: dict) -> list[dict]:
    return [m for m in h["members"] if m["is_member"]]


def _ages(h: dict, on: date) -> list[int]:
    return [age_on(date.fromisoformat(m["birth_date"]), on) for m in _current(h)]


def _score(h: dict) -> Decimal | None:
    """The assessment in force over the members on the date (R1), the documented poverty_score."""
    a, current = h["latest_assessment"], _current(h)
    return per_capita_income(Decimal(a["net_income"]), len(current)) if a and current else None


def _retained(h: dict, on: date) -> bool:
    return h["status"] == "exited" and h["retention"]["retention_end"] >= on.isoformat()


# query → what it means of a REST household answer on the date
CASES = [
    ({"status": "retained"}, _retained),
    ({"status": "exited"}, lambda h, on: h["status"] == "exited"),
    ({"status": {"$ne": "registered"}}, lambda h, on: h["status"] != "registered"),
    ({"status": {"$in": ["removed", "retained"]}}, _retained),
    ({"location": "321283000000"}, lambda h, on: h["village_code"].startswith("321283")),
    ({"district": "321282"}, lambda h, on: h["village_code"][:6] == "321282"),
    ({"group_size": {"$ge": 2}}, lambda h, on: len(_current(h)) >= 2),
    ({"poverty_score": {"$lte": "6000.00"}},
     lambda h, on: _score(h) is not None and _score(h) <= 6000),
    ({"poverty_score": {"$ne": 6000}}, lambda h, on: _score(h) != 6000),
    ({"age": {"$gt": 65}}, lambda h, on: any(a > 65 for a in _ages(h, on))),
    ({"age": 60}, lambda h, on: 60 in _ages(h, on)),
    ({"$not": {"age": {"$lt": 18}}}, lambda h, on: not any(a < 18 for a in _ages(h, on))),
    ({"gender": "female"}, lambda h, on: any(m["sex"] == "female" for m in _current(h))),
    ({"support_type": "relief"}, lambda h, on: h["support_type"] == "relief"),
    ({"$or": [{"group_size": 1}, {"dibao": True}]}, lambda h, on: len(_current(h)) == 1),
]


@pytest.fixture
async def households(client, admin):
    family = await register_household(client, admin, V)  # 3 members, 6,000.00 a head
    await exit_household(client, admin, family, "2017-06-30")  # retained through 2019-06-30
    elder = await register_household(client, admin, V, members=[member(
        "02", birth="19560301", name="趙老漢",
        id_number=valid_id("19560301", seq=11))])  # 60 on 2016-03-01
    elsewhere = await register_household(client, admin, OTHER, registered_on="2016-03-02",
                                         members=[member("02", birth="19800101", name="錢芳",
                                                         id_number=valid_id("19800101", seq=12,
                                                                            county="321282"))])
    return [family["id"], elder["id"], elsewhere["id"]]


@pytest.mark.parametrize("on", ["2016-02-29", "2016-03-01", "2017-06-30", "2019-06-30",
                                "2019-07-01"])
async def test_each_attribute_selects_what_the_rest_answers_say_on_the_date(
        client, admin, register_department, households, on):
    dept = await register_department()
    rest = {hid: (await client.get(f"/api/v1/households/{hid}", headers=admin,
                                   params={"as_of": on})).json() for hid in households}
    day = date.fromisoformat(on)
    body = dept.search(*[{"query_type": "expression", "as_of": on, "query": query}
                         for query, _ in CASES])
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    assert r.status_code == 200, r.text
    for (query, meaning), item in zip(CASES, r.json()["message"]["search_response"],
                                      strict=True):
        assert item["status"] == "succ", (query, item)
        got = [g["group_identifier"][0]["identifier_value"] for g in item["data"]["reg_records"]]
        want = sorted(hid for hid, h in rest.items() if meaning(h, day))
        assert got == want, (query, on)
        assert item["pagination"]["total_count"] == len(want)


async def test_members_are_selected_by_their_own_age_on_the_date_and_sorted_in_sql(
        client, admin, register_department, households):
    dept = await register_department()
    body = dept.search(
        *[{"query_type": "expression", "response_entity": "Member", "as_of": on,
           "query": {"age": {"$ge": 60}}} for on in ("2016-02-29", "2016-03-01")],
        {"query_type": "expression", "response_entity": "Member", "as_of": "2016-06-30",
         "query": {"location": "3212"}, "sort": [{"attribute_name": "age", "sort_order": "desc"}],
         "pagination": {"page_size": 2, "page_number": 1}})
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    items = r.json()["message"]["search_response"]
    names = [[m["demographic_info"]["name"]["full_name"] for m in i["data"]["reg_records"]]
             for i in items]
    assert names[0] == [] and names[1] == ["趙老漢"]  # 60 on his birthday, not the day before
    # five current members in the city; the two eldest first
    assert names[2] == ["趙老漢", "王建國"] and items[2]["pagination"]["total_count"] == 5


async def test_a_search_finding_more_than_a_page_answers_the_page_and_the_total(
        client, admin, register_department, households, app):
    app.state.settings.dci_max_page_size = 2  # the page limit, not a cap on what is found
    dept = await register_department()
    body = dept.search({"query_type": "expression", "query": {"location": "3212"}},
                       {"query_type": "expression", "query": {"location": "3212"},
                        "pagination": {"page_size": 2, "page_number": 2}},
                       {"query_type": "expression", "query": {"location": "3212"},
                        "sort": [{"attribute_name": "poverty_score", "sort_order": "desc"}]})
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    first, second, by_score = r.json()["message"]["search_response"]
    ids = sorted(households)
    assert [g["@id"] for g in first["data"]["reg_records"]] == [
        f"urn:xiaokang:household:{h}" for h in ids[:2]]
    assert [g["@id"] for g in second["data"]["reg_records"]] == [
        f"urn:xiaokang:household:{ids[2]}"]
    assert first["pagination"]["total_count"] == second["pagination"]["total_count"] == 3
    scores = [g["poverty_score"] for g in by_score["data"]["reg_records"]]
    assert scores == sorted(scores, key=Decimal, reverse=True)
