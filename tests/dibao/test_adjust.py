"""D7 on new assessments: `app.dibao.adjust.on_assessment_recorded`, called right after an
assessment (or a corrected version, R8) is added, emits `dibao.grant.adjusted` for each active
grant of the household whose amount or D2 answer changes from the first of the month on or after
it; a grant that no longer meets D2 says so and is in the review queue, never ended.

The households service calls it in the same transaction as the assessment, so these tests only
add the assessment through the API and read the feed."""

from __future__ import annotations

from tests.dibao.helpers import approved_case, feed, household, set_standard
from tests.households.factories import add_assessment


async def _grant(client, admin):
    """500.00 a person from 2016-01-01; 3 persons, 12,000.00 a year: 1,500 − 1,000 = 500.00."""
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12000.00")
    return h, await approved_case(client, admin, h["id"])


async def test_an_income_rise_emits_the_adjustment_and_flags_the_grant_for_review(
        client, admin):
    h, case = await _grant(client, admin)
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    p = event["payload"]
    assert event["entity_id"] == case["id"]
    assert (p["from"], p["cause"], p["monthly_benefit_before"], p["monthly_benefit_after"],
            p["d2_met"], p["needs_review"]) == (
        "2017-01-01", "assessment", "500.00", "0.00", False, True)
    [item] = (await client.get("/api/v1/dibao/review-queue", headers=admin)).json()["items"]
    assert item["case_id"] == case["id"] and item["since"] == "2017-01-01"


async def test_an_income_drop_emits_the_new_amount_from_the_next_month(client, admin):
    h, case = await _grant(client, admin)
    # 6,000.00 a year = 500.00 a month: 1,500.00 − 500.00 = 1,000.00 from 2016-07-01.
    await add_assessment(client, admin, h["id"], 2016, "6000.00", assessed_on="2016-06-10")
    [event] = await feed(client, admin, "dibao.grant.adjusted")
    assert event["entity_id"] == case["id"]
    p = event["payload"]
    assert (p["from"], p["monthly_benefit_before"], p["monthly_benefit_after"], p["d2_met"]) == (
        "2016-07-01", "500.00", "1000.00", True)


async def test_an_assessment_that_changes_no_amount_emits_nothing(client, admin):
    h, _ = await _grant(client, admin)
    await add_assessment(client, admin, h["id"], 2016, "12000.00", assessed_on="2016-12-31")
    assert await feed(client, admin, "dibao.grant.adjusted") == []


async def test_a_corrected_version_is_compared_with_the_version_it_replaces(client, admin):
    h, _ = await _grant(client, admin)
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")
    fixed = await add_assessment(client, admin, h["id"], 2016, "12000.00",
                                 assessed_on="2017-02-10")
    assert fixed["version"] == 2
    events = await feed(client, admin, "dibao.grant.adjusted")
    assert [(e["payload"]["from"], e["payload"]["monthly_benefit_before"],
             e["payload"]["monthly_benefit_after"], e["payload"]["d2_met"]) for e in events] == [
        ("2017-01-01", "500.00", "0.00", False), ("2017-03-01", "0.00", "500.00", True)]
    assert (await client.get("/api/v1/dibao/review-queue", headers=admin)).json()["items"] == []


async def test_a_household_without_a_grant_is_left_alone(client, admin):
    await set_standard(client, admin, "500.00")
    h = await household(client, admin, "12000.00")
    await add_assessment(client, admin, h["id"], 2016, "19200.00", assessed_on="2016-12-20")
    assert await feed(client, admin, "dibao.grant.adjusted") == []


async def test_an_imported_assessment_or_member_adjusts_the_grant_as_the_api_does(
        client, app, db, admin):
    """D7 whatever the entrance: the import of an assessment (or of a member) emits the same
    `dibao.grant.adjusted` as POST …/assessments (or …/members) in the import's transaction."""
    from tests.households.factories import member, valid_id
    from tests.imports.helpers import csv_bytes, import_file

    await set_standard(client, admin, "500.00")
    head = valid_id("19660512")
    h = await household(client, admin, "12000.00", members=[
        member("02", id_number=head), member("10", birth="19680301"),
        member("20", birth="19900101")])
    case = await approved_case(client, admin, h["id"])
    job = await import_file(client, app, db, admin, csv_bytes(
        ["head_id_number", "year", "wage_income", "assessed_on"],
        [[head, "2016", "19200", "2016-12-20"]]), kind="assessments")
    assert job["state"] == "succeeded", job
    job = await import_file(client, app, db, admin, csv_bytes(
        ["户主身份证号", "姓名", "身份证号", "与户主关系", "劳动能力", "健康状况", "入户日期"],
        [[head, "王小明", valid_id("20100101"), "子", "无劳动力", "健康", "2017-05-01"]]),
        kind="members")
    assert job["state"] == "succeeded", job
    events = await feed(client, admin, "dibao.grant.adjusted")
    assert [(e["entity_id"], e["payload"]["cause"], e["payload"]["from"],
             e["payload"]["monthly_benefit_after"]) for e in events] == [
        (case["id"], "assessment", "2017-01-01", "0.00"),
        (case["id"], "member_joined", "2017-05-01", "400.00")]
