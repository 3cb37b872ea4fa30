"""GET /api/v1/dibao/cases?state=&as_of=: the cases as they stood on the date, each in its state
then, derived from its steps dated on or before it (D5), with keyset pages."""

from __future__ import annotations

from tests.dibao.helpers import (
    all_checks,
    apply,
    approved_case,
    get_case,
    household,
    set_standard,
)
from tests.households.factories import member

DATES = ["2016-03-31", "2016-04-01", "2016-04-02", "2016-04-09", "2016-04-10", "2016-04-30",
         "2016-05-01", "2016-08-09", "2016-08-10", "2016-08-31", "2016-09-01", "2016-12-31",
         "2017-01-01", "2020-01-01"]


async def _three_cases(client, admin):
    """A: approved 04-10 from 2016-05, suspended 08-10, resumed 09-01, terminated 2017-01-01;
    B: rejected 04-02; C: verifying from 04-02."""
    await set_standard(client, admin, "500.00")
    a_h = await household(client, admin)
    a = await approved_case(client, admin, a_h["id"])
    for action, on in (("suspend", "2016-08-10"), ("resume", "2016-09-01"),
                       ("terminate", "2017-01-01")):
        r = await client.post(f"/api/v1/dibao/cases/{a['id']}/{action}", headers=admin,
                              json={"date": on, "reason": action})
        assert r.status_code == 200, r.text
    b_h = await household(client, admin, members=[member("02", name="趙甲")], net="3000.00")
    b = await apply(client, admin, b_h["id"])
    r = await client.post(f"/api/v1/dibao/cases/{b['id']}/decision", headers=admin, json={
        "decision": "reject", "decided_on": "2016-04-02", "reason": "withdrawn"})
    assert r.status_code == 200, r.text
    c_h = await household(client, admin, members=[member("02", name="錢乙")], net="3000.00")
    c = await apply(client, admin, c_h["id"])
    await all_checks(client, admin, c["id"])
    return a, b, c


async def _ids(client, admin, **params) -> list[str]:
    r = await client.get("/api/v1/dibao/cases", headers=admin, params=params)
    assert r.status_code == 200, r.text
    return [x["id"] for x in r.json()["items"]]


async def test_the_state_filter_uses_the_state_on_as_of_not_todays(client, admin):
    a, b, c = await _three_cases(client, admin)
    assert await _ids(client, admin, state="approved", as_of="2016-04-20") == [a["id"]]
    assert await _ids(client, admin, state="active", as_of="2016-06-15") == [a["id"]]
    assert await _ids(client, admin, state="suspended", as_of="2016-08-20") == [a["id"]]
    assert await _ids(client, admin, state="active", as_of="2016-09-01") == [a["id"]]
    assert await _ids(client, admin, state="terminated", as_of="2016-12-31") == []
    assert await _ids(client, admin, state="terminated", as_of="2017-01-01") == [a["id"]]
    assert await _ids(client, admin, state="rejected", as_of="2016-04-01") == []
    assert await _ids(client, admin, state="rejected", as_of="2016-04-02") == [b["id"]]
    assert await _ids(client, admin, state="verifying", as_of="2016-04-02") == sorted(
        [a["id"], c["id"]])
    assert await _ids(client, admin, as_of="2016-03-31") == []


async def test_the_listed_state_equals_the_case_replayed_on_each_date(client, admin):
    cases = await _three_cases(client, admin)
    for on in DATES:
        r = await client.get("/api/v1/dibao/cases", headers=admin, params={"as_of": on})
        listed = {x["id"]: x["state"] for x in r.json()["items"]}
        for case in cases:
            if on < case["applied_on"]:
                assert case["id"] not in listed
                continue
            replayed = (await get_case(client, admin, case["id"], on))["state"]
            assert listed[case["id"]] == replayed, (on, case["id"])


async def test_keyset_pages_of_a_state_on_a_date_hold_each_case_once(client, admin):
    a, b, c = await _three_cases(client, admin)
    seen, cursor = [], None
    while True:
        params = {"state": "applied", "as_of": "2016-04-01", "limit": 1}
        if cursor:
            params["cursor"] = cursor
        r = await client.get("/api/v1/dibao/cases", headers=admin, params=params)
        page = r.json()
        assert len(page["items"]) <= 1
        seen += [(x["id"], x["state"]) for x in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted((x["id"], "applied") for x in (a, b, c))
