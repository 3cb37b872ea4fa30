"""Sync search end to end: a department searches by NIN, by household and by predicate."""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine

from app.policy.ids import mask_id
from tests.dci.department import verify_registry
from tests.households.factories import head_of, member, register_household, valid_id

V = "321283100201"
SEARCH = "/dci/registry/sync/search"


def response_items(resp) -> list[dict]:
    assert resp.status_code == 200, resp.text
    return resp.json()["message"]["search_response"]


def records(resp, i: int = 0) -> list[dict]:
    item = response_items(resp)[i]
    assert item["status"] == "succ", item
    return item["data"]["reg_records"]


def attr(record: dict, name: str):
    return next(a[name] for a in record["additional_attributes"] if name in a)


async def test_search_by_nin_answers_the_household_with_numbers_masked(
        client, admin, register_department, jwks):
    dept = await register_department()
    hh = await register_household(client, admin, V)
    await register_household(client, admin, V)
    number = head_of(hh)["id_number"]
    body = dept.search({"query_type": "idtype-value", "response_entity": "Group",
                        "query": {"type": "NIN", "value": number}})
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    recs = records(r)
    verify_registry(r.json(), jwks)
    assert r.json()["header"]["action"] == "on-search"
    assert r.json()["header"]["receiver_id"] == dept.sender_id
    assert [g["group_identifier"][0]["identifier_value"] for g in recs] == [hh["id"]]
    group = recs[0]
    nins = [m["member_identifier"][0]["identifier_value"] for m in group["member_list"]]
    assert nins[0] == mask_id(number) and number not in r.text
    assert group["group_size"] == 3 and group["group_head_info"]["relationship_head"] == "02"
    assert group["poverty_score"] == "6000.00"


async def test_search_by_uin_alias_for_member_answers_the_person(client, admin,
                                                                register_department):
    dept = await register_department()
    hh = await register_household(client, admin, V)
    spouse = hh["members"][1]
    body = dept.search({"query_type": "idtype-value", "response_entity": "Member",
                        "query": {"type": "UIN", "value": spouse["id_number"]}})
    recs = records(await client.post(SEARCH, headers=dept.auth, json=body))
    assert [m["@id"] for m in recs] == [f"urn:xiaokang:person:{spouse['id']}"]
    assert recs[0]["demographic_info"]["sex"] == spouse["sex"]


async def test_search_by_household_id_and_unknown_household_finds_nothing(
        client, admin, register_department):
    dept = await register_department()
    hh = await register_household(client, admin, V)
    body = dept.search({"query_type": "idtype-value",
                        "query": {"type": "HOUSEHOLD_ID", "value": hh["id"]}},
                       {"query_type": "idtype-value",
                        "query": {"type": "HOUSEHOLD_ID",
                                  "value": "00000000-0000-0000-0000-000000000000"}})
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    assert [g["@id"] for g in records(r, 0)] == [f"urn:xiaokang:household:{hh['id']}"]
    assert records(r, 1) == []
    assert response_items(r)[1]["pagination"]["total_count"] == 0


async def test_search_by_predicate_and_expression_over_mapped_attributes(
        client, admin, register_department):
    dept = await register_department()
    big = await register_household(client, admin, V)  # 3 members, 6,000.00 a head
    small = await register_household(client, admin, V, members=[
        member("02", birth="19500101", name="趙老漢", id_number=valid_id("19500101", seq=11))])  # 1 member, 70 years old in 2020
    predicate = [{"seq_num": 1, "expression1": {"attribute_name": "location", "operator": "eq",
                                                "attribute_value": "321283"}},
                 {"seq_num": 2, "expression1": {"attribute_name": "group_size", "operator": "lt",
                                                "attribute_value": 2},
                  "condition": "or",
                  "expression2": {"attribute_name": "age", "operator": "lt",
                                  "attribute_value": 10}}]
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(
        {"query_type": "predicate", "query": predicate, "as_of": "2016-06-30",
         "sort": [{"attribute_name": "group_size", "sort_order": "desc"}]}))
    ids = [g["group_identifier"][0]["identifier_value"] for g in records(r)]
    assert ids == [big["id"], small["id"]]  # the schoolchild is 7; sorted by size, largest first
    expression = {"type": "ns:org:QueryType:expression", "value": {"expression": {
        "collection": "Group", "query": {"$and": [{"poverty_score": {"$lt": 7000}},
                                                  {"status": {"$eq": "registered"}},
                                                  {"group_size": {"$ge": 2}}]}}}}
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(
        {"query_type": "expression", "query": expression}))
    assert [g["group_identifier"][0]["identifier_value"] for g in records(r)] == [big["id"]]
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(
        {"query_type": "expression", "response_entity": "Member",
         "query": {"age": {"$gt": 65}, "location": "321283100201"}}))
    assert [m["demographic_info"]["name"]["full_name"] for m in records(r)] == ["趙老漢"]


async def test_pagination_pages_and_counts(client, admin, register_department):
    dept = await register_department()
    made = sorted([(await register_household(client, admin, V))["id"] for _ in range(3)])
    criteria = {"query_type": "predicate", "query": [{"expression1": {
        "attribute_name": "status", "operator": "in", "attribute_value": ["registered"]}}],
        "pagination": {"page_size": 2, "page_number": 2}}
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(criteria))
    item = response_items(r)[0]
    assert item["pagination"] == {"page_size": 2, "page_number": 2, "total_count": 3}
    assert [g["group_identifier"][0]["identifier_value"] for g in item["data"]["reg_records"]] \
        == made[2:]


async def test_unknown_attribute_operator_or_bad_value_is_refused_per_request_not_a_500(
        client, admin, register_department):
    dept = await register_department()
    bad = [{"query_type": "predicate", "query": [{"expression1": {
               "attribute_name": "shoe_size", "operator": "eq", "attribute_value": 42}}]},
           {"query_type": "predicate", "query": [{"expression1": {
               "attribute_name": "age", "operator": "like", "attribute_value": 42}}]},
           {"query_type": "expression", "query": {"age": {"$regex": "4.*"}}},
           {"query_type": "expression", "query": {"status": "sleeping"}},
           {"query_type": "idtype-value", "query": {"type": "NIN", "value": "123"}},
           {"query_type": "graphql", "query": "{ members }"},
           {"query_type": "predicate", "query": [{"expression1": {
               "attribute_name": "age", "operator": "gt", "attribute_value": 1}}],
            "as_of": "2016-02-30"}]
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(*bad))
    items = response_items(r)
    assert [i["status"] for i in items] == ["rjct"] * len(bad)
    assert {i["status_reason_code"] for i in items} == {"rjct.search_criteria.invalid"}
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(
        {"query_type": "predicate", "query": [{"expression1": {
            "attribute_name": "age", "operator": "gt", "attribute_value": 1}}],
         "sort": [{"attribute_name": "shoe_size"}]},
        {"query_type": "predicate", "query": [{"expression1": {
            "attribute_name": "age", "operator": "gt", "attribute_value": 1}}],
         "pagination": {"page_size": 0}}))
    assert [i["status_reason_code"] for i in response_items(r)] == [
        "rjct.sort.invalid", "rjct.pagination.invalid"]


async def test_a_purpose_not_registered_for_the_sender_is_refused(client, admin,
                                                                 register_department):
    dept = await register_department()
    body = dept.search({"query_type": "idtype-value", "consent": {"purpose": {"code": "sales"}},
                        "query": {"type": "HOUSEHOLD_ID",
                                  "value": "00000000-0000-0000-0000-000000000000"}})
    item = response_items(await client.post(SEARCH, headers=dept.auth, json=body))[0]
    assert item["status"] == "rjct" and "purpose" in item["status_reason_message"]


async def test_region_of_the_senders_client_bounds_the_search(client, admin, register_department):
    dept = await register_department(region_code="321282000000")  # 靖江 only
    hh = await register_household(client, admin, V)  # 泰興
    body = dept.search({"query_type": "idtype-value",
                        "query": {"type": "NIN", "value": head_of(hh)["id_number"]}},
                       {"query_type": "predicate", "query": [{"expression1": {
                           "attribute_name": "group_size", "operator": "ge",
                           "attribute_value": 1}}]})
    r = await client.post(SEARCH, headers=dept.auth, json=body)
    assert records(r, 0) == [] and records(r, 1) == []


async def test_a_client_with_pii_read_sees_numbers_and_the_read_is_audited(
        client, admin, register_department, db):
    dept = await register_department(scopes=("dci:search", "pii:read"))
    hh = await register_household(client, admin, V)
    number = head_of(hh)["id_number"]
    r = await client.post(SEARCH, headers=dept.auth, json=dept.search(
        {"query_type": "idtype-value", "query": {"type": "NIN", "value": number}}))
    assert records(r)[0]["group_head_info"]["member_identifier"][0]["identifier_value"] == number
    r = await client.get("/api/v1/audit", headers=admin, params={"action": "dci.search"})
    rows = r.json()["items"]
    assert len(rows) == 1
    after = rows[0]["after"]
    assert after["sender_id"] == dept.sender_id and after["unmasked"] is True
    assert after["records"] == 1 and after["requests"][0]["purpose"] == "dibao-review"
    assert after["requests"][0]["consent"] is True
    assert number not in str(after) and after["requests"][0]["id_value"] == mask_id(number)
    r = await client.get("/api/v1/audit", headers=admin, params={"action": "pii.read"})
    by_client = [row for row in r.json()["items"] if row["actor"] == rows[0]["actor"]]
    # one row for the household read, naming every member whose number was shown unmasked
    assert len(by_client) == 1 and len(by_client[0]["after"]["person_ids"]) == 3


async def test_a_page_of_households_is_read_in_one_statement_and_audited_in_one_row(
        client, admin, register_department):
    dept = await register_department(scopes=("dci:search", "pii:read"))
    households = [await register_household(client, admin, V) for _ in range(3)]
    body = dept.search({"query_type": "predicate", "response_entity": "Group",
                        "query": [{"expression1": {"attribute_name": "group_size",
                                                   "operator": "ge", "attribute_value": 1}}]})
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(Engine, "before_cursor_execute", count)  # every engine: the app's own too
    try:
        r = await client.post(SEARCH, headers=dept.auth, json=body)
    finally:
        event.remove(Engine, "before_cursor_execute", count)
    recs = records(r)
    assert sorted(g["group_identifier"][0]["identifier_value"] for g in recs) == sorted(
        h["id"] for h in households)
    numbers = {g["group_head_info"]["member_identifier"][0]["identifier_value"] for g in recs}
    assert numbers == {head_of(h)["id_number"] for h in households}  # unmasked: pii:read
    # the households of the page with their members come in one statement, not one per record
    reads = [s for s in statements if "household_assessment" in s and "person_timeline" in s]
    assert len(reads) == 1, reads
    r = await client.get("/api/v1/audit", headers=admin, params={"action": "pii.read"})
    mine = [row for row in r.json()["items"] if row["actor"].startswith("client:")]
    assert len(mine) == 1
    assert sorted(mine[0]["after"]["person_ids"]) == sorted(
        m["id"] for h in households for m in h["members"])
    assert sorted(mine[0]["after"]["household_ids"]) == sorted(h["id"] for h in households)


def test_an_audit_row_of_many_villages_is_filed_in_the_narrowest_region_holding_them():
    from app.auth.scoping import common_region

    assert common_region(["321283100201", "321283100201"]) == "321283100201"
    assert common_region(["321283100201", "321283100202"]) == "321283100000"
    assert common_region(["321283100201", "321283101201"]) == "321283000000"
    assert common_region(["321283100201", "321282100201"]) == "321200000000"
