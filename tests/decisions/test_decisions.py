"""Decision records (row 34): facts, rule ids and policy-data versions; replay on today's facts."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import assert_problem
from tests.households.factories import add_assessment, exit_household, register_household

V = "321283100201"


async def decisions_of(client, headers, household_id: str) -> list[dict]:
    r = await client.get(f"/api/v1/decisions?household_id={household_id}", headers=headers)
    assert r.status_code == 200, r.text
    return r.json()["items"]


async def test_a_direct_registration_and_exit_are_recorded_with_their_facts(client, admin):
    hh = await register_household(client, admin, V)
    await exit_household(client, admin, hh, "2017-06-30")
    reg, ex = await decisions_of(client, admin, hh["id"])
    assert (reg["kind"], reg["entrance"], reg["decided_on"]) == ("register", "direct", "2016-03-01")
    assert reg["facts"]["persons"] == 3 and reg["facts"]["assessment"]["net_income"] == "18000.00"
    assert reg["policy_versions"]["poverty_line"]["effective_from"] == "2016-01-01"
    assert "R6" in reg["rules"]
    assert ex["kind"] == "exit" and ex["facts"]["assessment"]["net_income"] == "30000.00"
    assert ex["facts"]["target"]["met"] is True and ex["facts"]["signer"]["is_head"] is True
    assert ex["policy_versions"]["retention_rule"] == {"months": 24}
    assert {"R6", "R5"} <= set(ex["rules"])
    got = await client.get(f"/api/v1/decisions/{ex['id']}", headers=admin)
    assert got.json() == ex


async def test_a_replay_on_unchanged_facts_is_same(client, admin):
    hh = await register_household(client, admin, V)
    await exit_household(client, admin, hh, "2017-06-30")
    for d in await decisions_of(client, admin, hh["id"]):
        r = await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)
        assert r.status_code == 200, r.text
        assert (r.json()["result"], r.json()["differences"]) == ("same", []), r.json()


async def test_a_replay_after_a_correction_of_the_assessment_shows_the_difference(client, admin):
    hh = await register_household(client, admin, V)
    await exit_household(client, admin, hh, "2017-06-30")
    ex = (await decisions_of(client, admin, hh["id"]))[1]
    # R8: a correction of the 2016 assessment, dated as the version it corrects
    await add_assessment(client, admin, hh["id"], 2016, "9000.00", assessed_on="2017-06-01")
    r = (await client.post(f"/api/v1/decisions/{ex['id']}/replay", headers=admin)).json()
    assert r["result"] == "different"
    assert (r["recorded_outcome"], r["replayed_outcome"]) == ("approved", "refused")
    paths = {d["path"]: (d["recorded"], d["now"]) for d in r["differences"]}
    assert paths["/facts/assessment/net_income"] == ("30000.00", "9000.00")
    assert paths["/facts/assessment/version"] == (1, 2)
    assert "household.exit.income_not_above_line" in r["refusals"]
    # the record itself is never rewritten
    again = (await client.get(f"/api/v1/decisions/{ex['id']}", headers=admin)).json()
    assert again == ex


async def test_decisions_are_scoped_to_the_callers_region(client, admin, make_user):
    hh = await register_household(client, admin, V)
    d = (await decisions_of(client, admin, hh["id"]))[0]
    other = await make_user("district_officer", "321281000000")
    assert_problem(await client.get(f"/api/v1/decisions/{d['id']}", headers=other), 404,
                   "decision.not_found")
    assert_problem(await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=other), 404,
                   "decision.not_found")
    assert await decisions_of(client, other, hh["id"]) == []


async def test_a_dibao_approval_is_recorded_with_the_standard_and_replays(client, admin):
    from tests.dibao.helpers import approved_case, household, set_standard

    await set_standard(client, admin, "500.00")
    hh = await household(client, admin, "12000.00")
    case = await approved_case(client, admin, hh["id"])
    items = (await client.get(f"/api/v1/decisions?kind=dibao_approval&household_id={hh['id']}",
                              headers=admin)).json()["items"]
    assert len(items) == 1
    d = items[0]
    assert d["subject_id"] == case["id"] and d["decided_on"] == "2016-04-10"
    assert d["policy_versions"]["dibao_standard"] == {
        "region_code": "321283000000", "effective_from": "2016-01-01", "amount": "500.00"}
    assert {"D2", "D5"} <= set(d["rules"]) and d["facts"]["d2"]["eligible"] is True
    r = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
    assert (r["result"], r["differences"]) == ("same", [])
    # a correction of the 2015 income, dated as the version it corrects, would have refused it
    await add_assessment(client, admin, hh["id"], 2015, "30000.00", assessed_on="2015-12-31")
    r = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
    assert r["result"] == "different" and r["replayed_outcome"] == "refused"
    assert any(x["path"] == "/facts/d2/eligible" for x in r["differences"])


async def test_a_dibao_rejection_is_recorded_with_the_approval_rule_and_replays(client, admin):
    from tests.dibao.helpers import apply, decide, household, set_standard

    await set_standard(client, admin, "500.00")
    hh = await household(client, admin, "12000.00")
    case = await apply(client, admin, hh["id"])
    r = await decide(client, admin, case["id"], decision="reject", start_month=None,
                     reason="deposits above the limit")
    assert r.status_code == 200, r.text
    items = (await client.get("/api/v1/decisions?kind=dibao_rejection", headers=admin)).json()
    d = items["items"][0]
    assert (d["outcome"], d["subject_id"], d["facts"]["reason"]) == (
        "rejected", case["id"], "deposits above the limit")
    # D5: rejected before any check; the approval rule on the same day, for the record
    assert d["facts"]["state_before"] == "applied"
    assert d["facts"]["approval_rule"]["answer"] == "refused"
    assert "dibao.approval.publicity_missing" in d["facts"]["approval_rule"]["refusals"]
    assert d["facts"]["d2"]["eligible"] is True
    assert d["policy_versions"]["dibao_standard"]["amount"] == "500.00"
    assert {"D5", "D2"} <= set(d["rules"])
    r = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
    assert (r["result"], r["recorded_outcome"], r["replayed_outcome"], r["differences"]) == (
        "same", "rejected", "rejected", [])
    # a correction of the 2015 income: D2 no longer held on the decision date
    await add_assessment(client, admin, hh["id"], 2015, "30000.00", assessed_on="2015-12-31")
    r = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
    assert (r["result"], r["replayed_outcome"]) == ("different", "rejected")
    paths = {x["path"]: (x["recorded"], x["now"]) for x in r["differences"]}
    assert paths["/facts/d2/eligible"] == (True, False)
    assert "/outcome" not in paths


async def test_every_kind_of_decision_has_its_replay():
    """Row 34: every kind recorded has its replay; a kind without one is refused when recorded."""
    from datetime import date

    from app.decisions.record import KINDS, Evaluation, record_decision
    from app.decisions.service import REPLAYERS
    from app.policy.reasons import Decision

    assert set(REPLAYERS) == set(KINDS)
    with pytest.raises(ValueError, match="no_such_kind"):
        await record_decision(None, None, kind="no_such_kind", subject_type="x",  # type: ignore[arg-type]
                              subject_id=uuid.uuid4(), household_id=None, region_code="",
                              decided_on=date(2016, 1, 1), evaluation=Evaluation(Decision(True), {}),
                              params={})
