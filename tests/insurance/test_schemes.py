"""Insurance schemes (十三, I1, I4) through the API."""

from __future__ import annotations

from tests.conftest import assert_problem
from tests.insurance.helpers import BASE, make_scheme


async def test_scheme_reference_date_defaults_to_first_of_january(client, admin):
    s = await make_scheme(client, admin, 2019, premium="250.00")
    assert s["reference_date"] == "2019-01-01"
    assert s["premium"] == "250.00" and s["shares"] is None and s["version"] == 1
    r = await client.get(f"{BASE}/schemes/2019/basic_medical", headers=admin)
    assert r.status_code == 200 and r.headers["ETag"] == '"1"'
    listed = (await client.get(f"{BASE}/schemes", headers=admin, params={"year": 2019})).json()
    assert [i["kind"] for i in listed["items"]] == ["basic_medical"]


async def test_major_illness_shares_summing_to_99_99_are_refused_i4(client, admin):
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "major_illness_accident", "premium": "100.00",
        "funding_body": "市、市(區)、鎮財政",
        "shares": {"city": "40.00", "district": "40.00", "town": "19.99"}})
    body = assert_problem(r, 422, "insurance.scheme.shares_not_100")
    assert "I4" in body["detail"] and "99.99%" in body["detail"]
    listed = (await client.get(f"{BASE}/schemes", headers=admin)).json()
    assert listed["items"] == []


async def test_major_illness_shares_summing_to_100_are_kept(client, admin):
    s = await make_scheme(client, admin, 2019, "major_illness_accident", premium="100.00",
                          shares={"city": "33.33", "district": "33.33", "town": "33.34"})
    assert s["shares"] == {"city": "33.33", "district": "33.33", "town": "33.34"}


async def test_major_illness_without_shares_is_refused(client, admin):
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "major_illness_accident", "premium": "100.00",
        "funding_body": "財政"})
    assert_problem(r, 422, "insurance.scheme.shares_required")


async def test_basic_medical_with_shares_is_refused(client, admin):
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "basic_medical", "premium": "250.00", "funding_body": "醫療救助基金",
        "shares": {"city": "40.00", "district": "40.00", "town": "20.00"}})
    assert_problem(r, 422, "insurance.scheme.shares_forbidden")


async def test_premium_must_be_positive_i1(client, admin):
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "basic_medical", "premium": "0.00", "funding_body": "醫療救助基金"})
    assert_problem(r, 422, "insurance.scheme.premium_invalid")


async def test_second_scheme_for_the_same_year_and_kind_is_409(client, admin):
    await make_scheme(client, admin, 2019)
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "basic_medical", "premium": "280.00", "funding_body": "x"})
    assert_problem(r, 409, "insurance.scheme.exists")


async def test_scheme_patch_needs_if_match_and_keeps_a_new_version(client, admin):
    await make_scheme(client, admin, 2019)
    url = f"{BASE}/schemes/2019/basic_medical"
    assert_problem(await client.patch(url, headers=admin, json={"premium": "260.00"}),
                   428, "precondition.if_match_required")
    stale = await client.patch(url, headers={**admin, "If-Match": '"7"'},
                               json={"premium": "260.00"})
    assert_problem(stale, 412, "precondition.stale")
    r = await client.patch(url, headers={**admin, "If-Match": '"1"'}, json={"premium": "260.00"})
    assert r.status_code == 200, r.text
    assert r.json()["premium"] == "260.00" and r.json()["version"] == 2
    assert r.headers["ETag"] == '"2"'


async def test_scheme_is_set_city_wide_only(client, make_user):
    district = await make_user("district_officer", "321283000000")
    r = await client.post(f"{BASE}/schemes", headers=district, json={
        "year": 2019, "kind": "basic_medical", "premium": "250.00", "funding_body": "x"})
    assert_problem(r, 403, "insurance.scheme.city_only")


async def test_scheme_unknown_field_is_refused(client, admin):
    r = await client.post(f"{BASE}/schemes", headers=admin, json={
        "year": 2019, "kind": "basic_medical", "premium": "250.00", "funding_body": "x",
        "colour": "blue"})
    body = assert_problem(r, 422, "request.validation")
    assert body["errors"][0]["code"] == "field.unknown"
