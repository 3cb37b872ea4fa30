"""R6 lifecycle: exit with everything it needs, return, removal, status on any date."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import assert_problem
from tests.households.factories import (
    add_assessment,
    add_measure,
    exit_household,
    head_of,
    member,
    register_household,
)

V = "321283100201"
TABLES = ("household_event", "event", "audit_log")


async def counts(db) -> dict[str, int]:
    async with db.sessionmaker() as s:
        return {t: (await s.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one() for t in TABLES}


async def ready(client, admin, **kw):
    """A household registered 2016-03-01 with a 2016 income above the line (dated 2017-06-01)
    and an income-generating measure: all an exit on 2017-06-30 needs but the signature."""
    hh = await register_household(client, admin, V, **kw)
    await add_assessment(client, admin, hh["id"], 2016, "30000.00", assessed_on="2017-06-01")
    await add_measure(client, admin, hh["id"], start="2016-04-01")
    return hh


def child_of(hh):
    return next(m for m in hh["members"] if m["relation"] == "20")


async def post_exit(client, admin, hh, **body):
    payload = {"exit_date": "2017-06-30", "signed_by_member_id": head_of(hh)["id"],
               "signed_on": "2017-06-25"}
    payload.update(body)
    return await client.post(f"/api/v1/households/{hh['id']}/exit", headers=admin, json=payload)


async def test_exit_records_the_retention_end_on_the_event(client, admin):
    hh = await ready(client, admin)
    r = await post_exit(client, admin, hh, publicity_start="2017-06-10",
                        publicity_end="2017-06-16")
    assert r.status_code == 201, r.text
    event = r.json()
    assert event["kind"] == "exit" and event["date"] == "2017-06-30"
    assert event["retention"] == {"exit_date": "2017-06-30", "retention_end": "2019-06-30"}
    rules = {x["rule"] for x in event["payload"]["reasons"]}
    assert {"R1", "R5", "R6"} <= rules
    events = (await client.get(f"/api/v1/households/{hh['id']}/events", headers=admin)).json()
    assert [e["kind"] for e in events["items"]] == ["register", "exit"]


async def test_exit_without_a_signature_is_refused_and_writes_nothing(client, admin, db):
    hh = await ready(client, admin)
    before = await counts(db)
    r = await post_exit(client, admin, hh, signed_by_member_id=None, signed_on=None)
    problem = assert_problem(r, 422, "household.exit.signature_required")
    assert problem["detail"].startswith("R6 (八)")
    assert await counts(db) == before


async def test_exit_signed_by_a_minor_is_refused(client, admin):
    hh = await ready(client, admin)
    r = await post_exit(client, admin, hh, signed_by_member_id=child_of(hh)["id"])
    assert_problem(r, 422, "household.exit.signer_not_adult")


async def test_exit_signed_by_a_former_member_is_refused(client, admin):
    hh = await ready(client, admin, members=[member("02"), member("10", birth="19680302"),
                                             member("30", birth="19900101")])
    son = next(m for m in hh["members"] if m["relation"] == "30")
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{son['id']}/leave",
                          headers=admin, json={"left_on": "2017-01-01", "reason": "moved"})
    assert r.status_code == 200
    r = await post_exit(client, admin, hh, signed_by_member_id=son["id"])
    assert_problem(r, 422, "household.exit.signer_not_member")


async def test_exit_signed_by_someone_of_another_household_is_refused(client, admin):
    hh = await ready(client, admin)
    other = await register_household(client, admin, V)
    r = await post_exit(client, admin, hh, signed_by_member_id=head_of(other)["id"])
    assert_problem(r, 422, "household.exit.signer_not_member")


async def test_exit_with_a_signature_dated_after_the_exit_is_refused(client, admin):
    hh = await ready(client, admin)
    r = await post_exit(client, admin, hh, signed_on="2017-07-01")
    assert_problem(r, 422, "household.exit.signature_after_exit")


async def test_exit_with_a_publicity_of_six_days_is_refused(client, admin):
    hh = await ready(client, admin)
    r = await post_exit(client, admin, hh, publicity_start="2017-06-20",
                        publicity_end="2017-06-25")
    assert_problem(r, 422, "household.exit.publicity_too_short")
    r = await post_exit(client, admin, hh, publicity_start="2017-06-25",
                        publicity_end="2017-07-01")
    assert_problem(r, 422, "household.exit.publicity_after_exit")


async def test_exit_with_the_r5_target_unmet_is_refused(client, admin):
    hh = await register_household(client, admin, V)
    await add_assessment(client, admin, hh["id"], 2016, "30000.00", assessed_on="2017-06-01")
    r = await post_exit(client, admin, hh)
    problem = assert_problem(r, 422, "household.exit.target_unmet")
    assert "development-type target unmet" in problem["detail"]
    # an income-generating measure that ended before the exit does not count
    await add_measure(client, admin, hh["id"], start="2016-04-01", end="2017-05-31")
    r = await post_exit(client, admin, hh)
    assert_problem(r, 422, "household.exit.target_unmet")
    # stable non-farm employment of a member meets it (R5)
    etag = (await client.get(f"/api/v1/households/{hh['id']}", headers=admin)).headers["ETag"]
    r = await client.patch(f"/api/v1/households/{hh['id']}/members/{head_of(hh)['id']}",
                           headers={**admin, "If-Match": etag},
                           json={"effective_from": "2017-03-01", "stable_nonfarm_employment": True})
    assert r.status_code == 200, r.text
    r = await post_exit(client, admin, hh)
    assert r.status_code == 201, r.text


async def test_a_relief_household_cannot_exit_without_dibao_r5(client, admin):
    hh = await register_household(client, admin, V, members=[
        member("02", birth="19400101", labour_capacity="none")])
    await add_assessment(client, admin, hh["id"], 2016, "9000.00", assessed_on="2017-06-01")
    r = await post_exit(client, admin, hh)
    problem = assert_problem(r, 422, "household.exit.target_unmet")
    assert "relief-type" in problem["detail"]


async def test_exit_needs_income_above_the_line_in_force(client, admin):
    hh = await register_household(client, admin, V)
    await add_measure(client, admin, hh["id"])
    r = await post_exit(client, admin, hh)
    assert_problem(r, 422, "household.exit.income_not_above_line")


async def test_return_needs_an_assessment_at_or_below_the_line(client, admin):
    hh = await ready(client, admin)
    assert (await post_exit(client, admin, hh)).status_code == 201
    url = f"/api/v1/households/{hh['id']}/return"
    # R8: the assessment in force on the date decides, not a year the caller picks: the old,
    # low 2015 income cannot be chosen over the 2016 assessment (above the line) in force
    r = await client.post(url, headers=admin,
                          json={"date": "2019-01-15", "assessment_year": 2015, "reason": "illness"})
    body = assert_problem(r, 422, "household.return.assessment_not_in_force")
    assert "of 2016" in body["detail"]
    r = await client.post(url, headers=admin,
                          json={"date": "2019-01-15", "assessment_year": 2018, "reason": "illness"})
    assert_problem(r, 422, "household.return.assessment_not_in_force")
    await add_assessment(client, admin, hh["id"], 2018, "21000.03", assessed_on="2018-12-31")
    r = await client.post(url, headers=admin,
                          json={"date": "2019-01-15", "assessment_year": 2018, "reason": "illness"})
    assert_problem(r, 422, "household.return.income_above_line")
    # R8: the correction of 2018 is a new version; the old one is kept
    fixed = await add_assessment(client, admin, hh["id"], 2018, "21000.00",
                                 assessed_on="2019-01-10")
    assert fixed["version"] == 2
    r = await client.post(url, headers=admin,
                          json={"date": "2019-01-15", "assessment_year": 2018, "reason": "illness"})
    assert r.status_code == 201, r.text
    listed = (await client.get(f"/api/v1/households/{hh['id']}/assessments", headers=admin)).json()
    assert [(a["year"], a["version"]) for a in listed["items"]] == [
        (2015, 1), (2016, 1), (2018, 1), (2018, 2)]


async def test_remove_from_any_state_then_nothing_more(client, admin):
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}"
    r = await client.post(url + "/remove", headers=admin,
                          json={"date": "2016-02-01", "reason": "wrongly_identified"})
    assert_problem(r, 422, "household.lifecycle.date_before_latest_event")
    r = await client.post(url + "/remove", headers=admin,
                          json={"date": "2016-06-01", "reason": "wrongly_identified"})
    assert r.status_code == 201, r.text
    r = await client.post(url + "/return", headers=admin,
                          json={"date": "2017-01-01", "assessment_year": 2015, "reason": "x"})
    assert_problem(r, 422, "household.lifecycle.invalid_transition")


async def test_status_on_any_date_before_between_and_after_events(client, admin):
    hh = await ready(client, admin)
    assert (await post_exit(client, admin, hh)).status_code == 201
    r = await client.post(f"/api/v1/households/{hh['id']}/remove", headers=admin,
                          json={"date": "2020-01-10", "reason": "moved_away"})
    assert r.status_code == 201
    expected = {"2016-02-29": None, "2016-03-01": "registered", "2017-06-29": "registered",
                "2017-06-30": "exited", "2020-01-09": "exited", "2020-01-10": "removed"}
    for on, status in expected.items():
        got = (await client.get(f"/api/v1/households/{hh['id']}?as_of={on}",
                                headers=admin)).json()
        assert got["status"] == status, on


async def test_measures_and_visits_are_recorded(client, admin):
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}"
    r = await client.post(url + "/measures", headers=admin, json={
        "kind": "industry", "income_generating": True, "project": "養鵝", "helper_id": None,
        "start_date": "2016-04-01", "end_date": "2016-03-01"})
    assert_problem(r, 422, "household.measure.end_before_start")
    await add_measure(client, admin, hh["id"])
    r = await client.post(url + "/visits", headers=admin, json={
        "date": "2016-05-01", "helper_id": None, "notes": "checked the geese"})
    assert r.status_code == 201, r.text
    assert r.json()["date"] == "2016-05-01"
    visits = (await client.get(url + "/visits", headers=admin)).json()["items"]
    measures = (await client.get(url + "/measures", headers=admin)).json()["items"]
    assert [v["notes"] for v in visits] == ["checked the geese"]
    assert [(m["kind"], m["income_generating"]) for m in measures] == [("industry", True)]


async def test_exit_helper_from_the_factories_works(client, admin):
    hh = await register_household(client, admin, V)
    r = await exit_household(client, admin, hh, "2017-06-30")
    assert r.json()["retention"]["retention_end"] == "2019-06-30"
