"""Entitlements E1-E8 on a date with R7 retention (POLICY.md section 3, clauses 八-十六)."""

from dataclasses import replace
from datetime import date

import pytest

from app.policy.entitlements import (
    CATALOGUE,
    CODES,
    HouseholdFacts,
    MemberFacts,
    entitlements_answer,
    evaluate,
    retention_of,
)

EXIT = date(2017, 6, 30)
RETENTION_END = date(2019, 6, 30)

FATHER = MemberFacts(
    person_id="p1", birth_date=date(1966, 5, 12), labour_capacity="ordinary", health="healthy"
)
GRANDMA = MemberFacts(
    person_id="p2",
    birth_date=date(1946, 3, 1),
    labour_capacity="none",
    health="disabled",
    disability_grade=2,
    disability_category=1,
    tekun=True,
    tekun_since=date(2016, 3, 1),
)
CHILD = MemberFacts(person_id="p3", birth_date=date(2010, 9, 1), labour_capacity="none", health="healthy")


def household(status="registered", members=(FATHER, GRANDMA, CHILD), **kw) -> HouseholdFacts:
    return HouseholdFacts(
        household_id="h1",
        status_on_date=status,
        registered_on=date(2016, 3, 1),
        support_type=kw.pop("support_type", "development"),
        members=list(members),
        **kw,
    )


def exited(members, before_members, status_before="registered") -> HouseholdFacts:
    snapshot = household(status_before, before_members)
    return household(
        "exited", members, exit_date=EXIT, retention_end=RETENTION_END, snapshot_before_exit=snapshot
    )


def item(items, code, person_id):
    found = [e for e in items if e.code == code and e.person_id == person_id]
    assert len(found) == 1, (code, person_id, found)
    return found[0]


def details(entitlement):
    return [r.detail for r in entitlement.reasons]


# --- catalogue and shape --------------------------------------------------------------------


def test_catalogue_is_one_table_of_eight_codes_with_rules_and_clauses():
    assert [(e.code, e.rule, e.clause) for e in CATALOGUE] == [
        ("dibao", "E1", "十四"),
        ("medical_premium_full", "E2", "十三"),
        ("major_illness_accident_insurance", "E3", "十三"),
        ("disability_living_subsidy", "E4", "十三"),
        ("severe_disability_nursing_subsidy", "E5", "十三"),
        ("education_aid", "E6", "十一"),
        ("microcredit_interest_subsidy", "E7", "十六"),
        ("skills_training", "E8", "八, 十"),
    ]
    assert {e.code for e in CATALOGUE if not e.needs_registration} == {
        "dibao",
        "severe_disability_nursing_subsidy",
    }
    assert [e.code for e in CATALOGUE if e.level == "household"] == ["microcredit_interest_subsidy"]


def test_every_code_for_every_current_member_and_the_household():
    items = evaluate(household(), date(2018, 1, 1))
    assert len(items) == 3 * 7 + 1
    for pid in ("p1", "p2", "p3"):
        assert {e.code for e in items if e.person_id == pid} == set(CODES) - {"microcredit_interest_subsidy"}
    assert [e.code for e in items if e.person_id is None] == ["microcredit_interest_subsidy"]


def test_former_member_gets_no_items():
    gone = replace(CHILD, is_current_member=False)
    items = evaluate(household(members=(FATHER, gone)), date(2018, 1, 1))
    assert {e.person_id for e in items} == {"p1", None}


def test_as_dict_has_the_api_shape():
    e = item(evaluate(household(), date(2018, 1, 1)), "medical_premium_full", "p2")
    assert e.as_dict() == {
        "code": "medical_premium_full",
        "person_id": "p2",
        "eligible": True,
        "basis": "direct",
        "reasons": [
            {"rule": "R6", "clause": "八", "detail": "household registered since 2016-03-01"},
            {"rule": "E2", "clause": "十三", "detail": "特困 since 2016-03-01"},
        ],
    }


def test_ineligible_items_have_null_basis_and_say_what_is_missing():
    e = item(evaluate(household(), date(2018, 1, 1)), "medical_premium_full", "p1")
    assert (e.eligible, e.basis) == (False, None)
    assert details(e) == ["neither covered by dibao nor 特困"]


# --- E1 dibao -------------------------------------------------------------------------------


def test_dibao_eligible_means_covered_by_an_active_grant():
    covered = replace(FATHER, dibao_covered=True, dibao_detail="case 17, 630.00/month")
    items = evaluate(household(members=(covered,)), date(2018, 1, 1))
    e = item(items, "dibao", "p1")
    assert (e.eligible, e.basis) == (True, "direct")
    assert e.reasons[0].rule == "E1" and e.reasons[0].clause == "十四"
    assert "case 17, 630.00/month" in e.reasons[0].detail


def test_dibao_without_grant_is_not_eligible_whatever_the_income():
    e = item(evaluate(household(), date(2018, 1, 1)), "dibao", "p1")
    assert not e.eligible and "decided case" in details(e)[0]


def test_dibao_does_not_depend_on_registration():
    covered = replace(FATHER, dibao_covered=True)
    e = item(evaluate(household("removed", (covered,)), date(2018, 1, 1)), "dibao", "p1")
    assert (e.eligible, e.basis) == (True, "direct")


def test_dibao_is_never_retained():
    before = replace(FATHER, dibao_covered=True)
    items = evaluate(exited([FATHER], [before]), date(2018, 1, 1))
    assert not item(items, "dibao", "p1").eligible
    # ...but the full medical premium it opened is retained (R7 a)
    e2 = item(items, "medical_premium_full", "p1")
    assert (e2.eligible, e2.basis) == (True, "retained")


# --- E2-E5 ----------------------------------------------------------------------------------


def test_medical_premium_for_dibao_or_tekun_in_registered_household():
    items = evaluate(household(), date(2018, 1, 1))
    assert item(items, "medical_premium_full", "p2").eligible
    covered = replace(FATHER, dibao_covered=True)
    e = item(evaluate(household(members=(covered,)), date(2018, 1, 1)), "medical_premium_full", "p1")
    assert e.eligible and "covered by an active dibao grant" in details(e)[1]


def test_medical_premium_needs_registration():
    e = item(evaluate(household(None), date(2018, 1, 1)), "medical_premium_full", "p2")
    assert not e.eligible
    assert details(e) == ["特困 since 2016-03-01", "household not registered on 2018-01-01"]


@pytest.mark.parametrize(
    ("changes", "fact"),
    [
        ({"tekun": True}, "特困"),
        ({"dibao_covered": True}, "covered by an active dibao grant"),
        ({"disability_grade": 1, "health": "disabled"}, "severe disability grade 1"),
        ({"disability_grade": 2, "health": "disabled"}, "severe disability grade 2"),
        ({"health": "serious_illness"}, "serious illness"),
    ],
)
def test_major_illness_insurance_conditions(changes, fact):
    m = replace(FATHER, **changes)
    e = item(evaluate(household(members=(m,)), date(2018, 1, 1)), "major_illness_accident_insurance", "p1")
    assert e.eligible and e.basis == "direct"
    assert details(e)[1] == fact


@pytest.mark.parametrize("changes", [{}, {"health": "chronic"}, {"disability_grade": 3}])
def test_major_illness_insurance_not_for_chronic_or_mild_disability(changes):
    m = replace(FATHER, **changes)
    e = item(evaluate(household(members=(m,)), date(2018, 1, 1)), "major_illness_accident_insurance", "p1")
    assert not e.eligible


def test_disability_living_subsidy_in_registered_household():
    m = replace(FATHER, health="disabled", disability_grade=3, disability_category=4)
    e = item(evaluate(household(members=(m,)), date(2018, 1, 1)), "disability_living_subsidy", "p1")
    assert e.eligible and details(e)[1] == "disability grade 3, category 4"


def test_disability_living_subsidy_through_dibao_needs_no_registration():
    m = replace(FATHER, health="disabled", disability_grade=4, dibao_covered=True)
    e = item(evaluate(household(None, (m,)), date(2018, 1, 1)), "disability_living_subsidy", "p1")
    assert (e.eligible, e.basis) == (True, "direct")


def test_disability_living_subsidy_not_for_unregistered_without_dibao():
    m = replace(FATHER, health="disabled", disability_grade=4)
    e = item(evaluate(household("removed", (m,)), date(2018, 1, 1)), "disability_living_subsidy", "p1")
    assert not e.eligible and "household removed (注銷)" in details(e)


@pytest.mark.parametrize(("grade", "eligible"), [(1, True), (2, True), (3, False), (4, False), (None, False)])
def test_nursing_subsidy_for_grades_1_and_2(grade, eligible):
    m = replace(FATHER, disability_grade=grade, health="disabled" if grade else "healthy")
    e = item(evaluate(household(members=(m,)), date(2018, 1, 1)), "severe_disability_nursing_subsidy", "p1")
    assert e.eligible is eligible
    assert e.basis == ("direct" if eligible else None)


@pytest.mark.parametrize("status", [None, "removed", "exited"])
def test_nursing_subsidy_is_independent_of_registration(status):
    e = item(evaluate(household(status), date(2018, 1, 1)), "severe_disability_nursing_subsidy", "p2")
    assert (e.eligible, e.basis) == (True, "direct")
    assert details(e) == ["disability grade 2, category 1"]


# --- E6 education, E7 microcredit, E8 skills ------------------------------------------------


def test_education_aid_for_a_child_in_school():
    pupil = replace(CHILD, in_school=True)
    e = item(evaluate(household(members=(pupil,)), date(2018, 1, 1)), "education_aid", "p3")
    assert e.eligible and e.basis == "direct" and details(e)[1] == "in school"
    assert e.reasons[1].clause == "十一"


def test_microcredit_for_development_type_household_only():
    e = item(evaluate(household(), date(2018, 1, 1)), "microcredit_interest_subsidy", None)
    assert e.eligible and e.reasons[1].clause == "十六"
    relief = household(support_type="relief")
    assert not item(evaluate(relief, date(2018, 1, 1)), "microcredit_interest_subsidy", None).eligible


def test_microcredit_derives_support_type_when_not_given():
    derived = household(support_type=None)
    assert item(evaluate(derived, date(2018, 1, 1)), "microcredit_interest_subsidy", None).eligible
    relief = household(members=(GRANDMA, CHILD), support_type=None)
    assert not item(evaluate(relief, date(2018, 1, 1)), "microcredit_interest_subsidy", None).eligible


@pytest.mark.parametrize(
    ("on", "eligible"),
    [
        (date(2016, 5, 11), False),  # 15
        (date(2016, 5, 12), True),  # 16th birthday
        (date(2060, 5, 11), True),  # 60
        (date(2060, 5, 12), True),  # 60th birthday
        (date(2061, 5, 11), True),  # last day aged 60
        (date(2061, 5, 12), False),  # 61
    ],
)
def test_skills_training_for_ages_16_to_60_inclusive(on, eligible):
    m = replace(FATHER, birth_date=date(2000, 5, 12))
    e = item(evaluate(household(members=(m,)), on), "skills_training", "p1")
    assert e.eligible is eligible


def test_skills_training_reason_gives_age_and_capacity():
    e = item(evaluate(household(), date(2011, 6, 1)), "skills_training", "p1")
    assert details(e)[1] == "age 45 with labour capacity ordinary"
    assert e.reasons[1].clause == "八, 十"


def test_skills_training_from_16th_birthday_on_feb_29_in_a_leap_year():
    # 29 February + 16 years is always a leap day (until 2100).
    m = replace(FATHER, birth_date=date(2000, 2, 29))
    h = household(members=(m,))
    assert not item(evaluate(h, date(2016, 2, 28)), "skills_training", "p1").eligible
    assert item(evaluate(h, date(2016, 2, 29)), "skills_training", "p1").eligible


def test_skills_training_feb_29_birthday_turns_61_on_march_1_in_a_common_year():
    m = replace(FATHER, birth_date=date(1956, 2, 29))
    h = household(members=(m,))
    e = item(evaluate(h, date(2017, 2, 28)), "skills_training", "p1")
    assert e.eligible and details(e)[1] == "age 60 with labour capacity ordinary"
    e = item(evaluate(h, date(2017, 3, 1)), "skills_training", "p1")
    assert not e.eligible and details(e)[0].startswith("age 61")


@pytest.mark.parametrize(
    ("capacity", "eligible"),
    [("ordinary", True), ("skilled", True), ("partial", True), ("lost", False), ("none", False)],
)
def test_skills_training_needs_labour_capacity(capacity, eligible):
    m = replace(FATHER, labour_capacity=capacity)
    e = item(evaluate(household(members=(m,)), date(2018, 1, 1)), "skills_training", "p1")
    assert e.eligible is eligible


def test_skills_training_not_before_birth():
    e = item(evaluate(household(), date(2009, 1, 1)), "skills_training", "p3")
    assert not e.eligible and "born 2010-09-01" in details(e)[0]


# --- R7 retention ---------------------------------------------------------------------------


def test_exited_household_keeps_tekun_premium_as_retained_with_r7_reason():
    items = evaluate(exited([FATHER, GRANDMA, CHILD], [FATHER, GRANDMA, CHILD]), date(2018, 1, 1))
    e = item(items, "medical_premium_full", "p2")
    assert (e.eligible, e.basis) == (True, "retained")
    assert e.as_dict()["reasons"] == [
        {"rule": "R7", "clause": "八", "detail": "exited 2017-06-30; retained through 2019-06-30"},
        {"rule": "E2", "clause": "十三", "detail": "特困 since 2016-03-01"},
    ]


def test_entitlement_held_the_day_before_exit_continues_when_its_facts_change():
    no_longer = replace(GRANDMA, tekun=False, tekun_since=None)
    e = item(evaluate(exited([no_longer], [GRANDMA]), date(2018, 1, 1)), "medical_premium_full", "p2")
    assert (e.eligible, e.basis) == (True, "retained")
    assert details(e) == [
        "exited 2017-06-30; retained through 2019-06-30",
        "held on 2017-06-29: 特困 since 2016-03-01",
    ]


def test_retained_on_the_retention_end_and_not_the_day_after():
    h = exited([FATHER, GRANDMA], [FATHER, GRANDMA])
    assert item(evaluate(h, date(2019, 6, 30)), "medical_premium_full", "p2").basis == "retained"
    after = item(evaluate(h, date(2019, 7, 1)), "medical_premium_full", "p2")
    assert not after.eligible
    assert "exited 2017-06-30; retention ended 2019-06-30" in details(after)


def test_exit_on_feb_29_retains_until_feb_28_two_years_later():
    snapshot = household("registered", [GRANDMA])
    h = household(
        "exited",
        [GRANDMA],
        exit_date=date(2016, 2, 29),
        retention_end=date(2018, 2, 28),
        snapshot_before_exit=snapshot,
    )
    assert item(evaluate(h, date(2018, 2, 28)), "medical_premium_full", "p2").eligible
    assert not item(evaluate(h, date(2018, 3, 1)), "medical_premium_full", "p2").eligible


def test_member_who_leaves_during_retention_loses_what_was_retained():
    left = replace(GRANDMA, is_current_member=False)
    items = evaluate(exited([FATHER, left], [FATHER, GRANDMA]), date(2018, 1, 1))
    assert not [e for e in items if e.person_id == "p2"]


def test_child_starting_school_during_retention_gets_education_aid_retained():
    pupil = replace(CHILD, in_school=True)
    e = item(evaluate(exited([FATHER, pupil], [FATHER, CHILD]), date(2017, 9, 1)), "education_aid", "p3")
    assert (e.eligible, e.basis) == (True, "retained")
    assert details(e) == ["exited 2017-06-30; retained through 2019-06-30", "in school"]


def test_member_joining_during_retention_counts_as_registered_for_new_conditions():
    newborn_pupil = replace(CHILD, person_id="p9", in_school=True)
    e = item(evaluate(exited([FATHER, newborn_pupil], [FATHER]), date(2018, 1, 1)), "education_aid", "p9")
    assert (e.eligible, e.basis) == (True, "retained")


def test_household_level_microcredit_retained_after_support_type_changes():
    h = exited([replace(FATHER, labour_capacity="lost")], [FATHER])
    h = replace(h, support_type="relief")
    e = item(evaluate(h, date(2018, 1, 1)), "microcredit_interest_subsidy", None)
    assert (e.eligible, e.basis) == (True, "retained")
    assert details(e)[1] == "held on 2017-06-29: development-type household (R4)"


def test_nursing_subsidy_is_not_carried_over_by_retention():
    improved = replace(GRANDMA, disability_grade=3)
    e = item(
        evaluate(exited([improved], [GRANDMA]), date(2018, 1, 1)), "severe_disability_nursing_subsidy", "p2"
    )
    assert not e.eligible


def test_nothing_retained_that_was_not_held_and_is_not_met_anew():
    e = item(evaluate(exited([FATHER], [FATHER]), date(2018, 1, 1)), "medical_premium_full", "p1")
    assert not e.eligible


def test_retention_without_snapshot_still_counts_household_as_registered():
    h = household("exited", [GRANDMA], exit_date=EXIT, retention_end=RETENTION_END)
    e = item(evaluate(h, date(2018, 1, 1)), "medical_premium_full", "p2")
    assert (e.eligible, e.basis) == (True, "retained")


def test_return_ends_retention_and_basis_is_direct_again():
    h = household("registered", [GRANDMA], exit_date=None, retention_end=None)
    e = item(evaluate(h, date(2018, 6, 1)), "medical_premium_full", "p2")
    assert e.basis == "direct"
    assert retention_of(h) is None


@pytest.mark.parametrize(
    ("status", "why"),
    [
        (None, "household not registered on 2018-01-01"),
        ("removed", "household removed (注銷)"),
    ],
)
def test_nothing_needing_registration_before_registration_or_after_removal(status, why):
    items = evaluate(household(status), date(2018, 1, 1))
    needing = {e.code for e in CATALOGUE if e.needs_registration}
    assert not [e for e in items if e.code in needing and e.eligible]
    assert why in details(item(items, "medical_premium_full", "p2"))


def test_entitlements_answer_has_status_and_retention():
    h = exited([GRANDMA], [GRANDMA])
    body = entitlements_answer(h, date(2018, 1, 1))
    assert body["household_id"] == "h1"
    assert body["as_of"] == "2018-01-01"
    assert body["status"] == "exited"
    assert body["retention"] == {"exit_date": "2017-06-30", "retention_end": "2019-06-30"}
    assert len(body["items"]) == 8
    assert entitlements_answer(household(), date(2018, 1, 1))["retention"] is None


def test_a_household_with_nobody_left_holds_no_household_entitlement():
    gone = replace(FATHER, is_current_member=False)
    for h in (exited([gone], [FATHER]), exited([], [FATHER]), household(members=[])):
        e = item(evaluate(h, date(2018, 1, 1)), "microcredit_interest_subsidy", None)
        assert (e.eligible, e.basis) == (False, None)
        assert [r.rule for r in e.reasons] == ["E7", "R7"]
    # The day before, with the member still there, it is retained.
    e = item(evaluate(exited([FATHER], [FATHER]), date(2018, 1, 1)), "microcredit_interest_subsidy",
             None)
    assert (e.eligible, e.basis) == (True, "retained")
