"""A DCI search and the REST API answer the same for the same household and date."""

from __future__ import annotations

import pytest

from tests.households.factories import exit_household, register_household

V = "321283100201"


def attrs(record: dict) -> dict:
    out: dict = {}
    for a in record["additional_attributes"]:
        out.update(a)
    return out


@pytest.mark.parametrize("as_of", ["2016-02-29", "2016-03-01", "2017-06-29", "2017-06-30",
                                   "2019-06-30", "2019-07-01"])
async def test_dci_group_equals_the_rest_household_and_entitlements(
        client, admin, register_department, as_of):
    dept = await register_department(scopes=("dci:search",))
    officer = await client.post("/api/v1/clients", headers=admin, json={
        "name": "rest reader", "scopes": ["households:read"], "region_code": "321200000000"})
    creds = officer.json()
    token = (await client.post("/api/v1/auth/token", data={
        "grant_type": "client_credentials", "client_id": creds["client_id"],
        "client_secret": creds["client_secret"]})).json()["access_token"]
    rest = {"Authorization": f"Bearer {token}"}  # masked like the sender: no pii:read
    hh = await register_household(client, admin, V, registered_on="2016-03-01")
    await exit_household(client, admin, hh, "2017-06-30")

    body = dept.search({"query_type": "idtype-value", "as_of": as_of,
                        "query": {"type": "HOUSEHOLD_ID", "value": hh["id"]}})
    r = await client.post("/dci/registry/sync/search", headers=dept.auth, json=body)
    assert r.status_code == 200, r.text
    records = r.json()["message"]["search_response"][0]["data"]["reg_records"]
    household = (await client.get(f"/api/v1/households/{hh['id']}", headers=rest,
                                  params={"as_of": as_of})).json()
    entitlements = (await client.get(f"/api/v1/households/{hh['id']}/entitlements",
                                     headers=rest, params={"as_of": as_of})).json()
    if household["status"] is None:  # before registration: no status in either answer
        assert [attrs(g)["status"] for g in records] == [None]
        return
    [group] = records
    extra = attrs(group)
    assert extra["as_of"] == as_of == household["as_of"]
    assert extra["status"] == household["status"]
    assert extra["support_type"] == household["support_type"]
    retention = household["retention"]
    assert extra["retention_end"] == (retention["retention_end"] if retention else None)
    assert extra["retained"] == (household["status"] == "exited"
                                 and retention["retention_end"] >= as_of)
    current = [m for m in household["members"] if m["is_member"]]
    assert group["group_size"] == len(current)
    assert [(m["@id"], m["member_identifier"][0]["identifier_value"], m["relationship_head"])
            for m in group["member_list"]] == [
        (f"urn:xiaokang:person:{m['id']}", m["id_number"], m["relation"]) for m in current]
    assessment = household["latest_assessment"]
    assert group["poverty_score"] == (assessment["per_capita_income"] if assessment else None)
    assert extra["entitlements"] == [
        {"code": e["code"], "person_id": e["person_id"], "basis": e["basis"]}
        for e in entitlements["items"] if e["eligible"]]
    if as_of in ("2017-06-29", "2019-06-30"):  # registered, then retained: entitled
        assert extra["entitlements"], entitlements
