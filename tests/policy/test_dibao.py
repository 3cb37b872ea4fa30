"""Dibao rules D1–D4, D6–D8 (clause 十四), tested at their edges."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D
from fractions import Fraction

import pytest

from app.policy.dibao import (
    BenefitPeriod,
    DibaoError,
    Standard,
    benefit_periods,
    benefit_reason,
    check_single_person,
    coverage_gap,
    d2_eligible,
    favouritism_matches,
    monthly_benefit,
    monthly_income_from_annual,
    period_reason,
    standard_in_force,
    standard_reason,
)
from app.policy.errors import PolicyError

TAIXING = "321283000000"
JINGJIANG = "321282000000"
STANDARDS = [
    Standard(TAIXING, date(2016, 1, 1), D("500.00")),
    Standard(TAIXING, date(2018, 1, 1), D("630.00")),
    Standard(JINGJIANG, date(2016, 1, 1), D("520.00")),
]


# --- D1 ---------------------------------------------------------------------------------------


def test_d1_standard_in_force_is_the_latest_on_or_before_the_date():
    assert standard_in_force(STANDARDS, TAIXING, date(2017, 12, 31)).amount == D("500.00")
    assert standard_in_force(STANDARDS, TAIXING, date(2018, 1, 1)).amount == D("630.00")
    assert standard_in_force(STANDARDS, JINGJIANG, date(2020, 1, 1)).amount == D("520.00")


def test_d1_standard_accepts_a_village_code_or_a_six_digit_district_code():
    assert standard_in_force(STANDARDS, "321283100201", date(2018, 6, 1)).amount == D("630.00")
    assert standard_in_force(STANDARDS, "321283", date(2018, 6, 1)).amount == D("630.00")


def test_d1_no_standard_before_the_first_is_an_error():
    with pytest.raises(DibaoError) as e:
        standard_in_force(STANDARDS, TAIXING, date(2015, 12, 31))
    assert e.value.code == "dibao.standard.not_in_force"
    assert isinstance(e.value, PolicyError)


def test_d1_another_district_standard_never_applies():
    with pytest.raises(DibaoError) as e:
        standard_in_force(STANDARDS, "321202000000", date(2018, 1, 1))
    assert e.value.code == "dibao.standard.not_in_force"


def test_d1_two_standards_on_the_same_date_the_later_given_wins():
    corrected = [*STANDARDS, Standard(TAIXING, date(2018, 1, 1), D("640.00"))]
    assert standard_in_force(corrected, TAIXING, date(2018, 1, 1)).amount == D("640.00")


def test_d1_bad_region_code_is_an_error():
    with pytest.raises(DibaoError) as e:
        standard_in_force(STANDARDS, "3212", date(2018, 1, 1))
    assert e.value.code == "dibao.region.invalid"


def test_d1_reason_names_amount_district_and_date():
    r = standard_reason(STANDARDS[1])
    assert (r.rule, r.clause) == ("D1", "十四")
    assert "630.00" in r.detail and "321283" in r.detail and "2018-01-01" in r.detail


# --- D2 ---------------------------------------------------------------------------------------


def test_d2_annual_income_exactly_at_the_standard_is_not_eligible():
    d = d2_eligible(persons=3, standard=D(630), annual_net_income=D("22680.00"))
    assert not d.ok
    assert d.first_refusal.code == "dibao.eligibility.income_not_below_standard"
    assert d.first_refusal.reason.rule == "D2"
    assert "22,680.00" in d.reasons[0].detail and "630.00" in d.reasons[0].detail


def test_d2_annual_income_one_fen_below_the_standard_is_eligible():
    d = d2_eligible(persons=3, standard=D(630), annual_net_income=D("22679.99"))
    assert d.ok and not d.refusals
    assert "below the standard 630.00" in d.reasons[0].detail


def test_d2_verified_monthly_income_at_and_one_fen_below_the_standard():
    assert not d2_eligible(persons=2, standard=D(630), declared_monthly_income=D("1260.00")).ok
    assert d2_eligible(persons=2, standard=D(630), declared_monthly_income=D("1259.99")).ok


def test_d2_verified_monthly_income_takes_precedence_over_the_annual():
    d = d2_eligible(
        persons=1,
        standard=D(630),
        annual_net_income=D("1.00"),
        declared_monthly_income=D("700.00"),
    )
    assert not d.ok and "verified monthly income 700.00" in d.reasons[0].detail


def test_d2_non_terminating_monthly_income_is_compared_exactly():
    # 7,559.99 / 12 = 629.99916666...: shown as 630.00 but strictly below 630.
    assert d2_eligible(persons=1, standard=D(630), annual_net_income=D("7559.99")).ok
    assert monthly_income_from_annual(D("7559.99")) == Fraction(755999, 1200)


def test_d2_needs_an_income_and_at_least_one_person():
    with pytest.raises(DibaoError) as e:
        d2_eligible(persons=1, standard=D(630))
    assert e.value.code == "dibao.income.missing"
    with pytest.raises(DibaoError) as e:
        d2_eligible(persons=0, standard=D(630), annual_net_income=D(0))
    assert e.value.code == "dibao.persons.invalid"


def test_d2_floats_are_refused():
    with pytest.raises(DibaoError) as e:
        d2_eligible(persons=1, standard=630.0, annual_net_income=D(0))
    assert e.value.code == "dibao.amount.invalid"


# --- D3 ---------------------------------------------------------------------------------------


def test_d3_benefit_is_standard_times_covered_minus_income():
    assert monthly_benefit(D(630), 3, D("1000.00")) == D("890.00")


def test_d3_benefit_at_exactly_half_a_yuan_rounds_up():
    assert monthly_benefit(D(630), 1, D("504.50")) == D("126.00")


def test_d3_benefit_just_under_half_a_yuan_rounds_down():
    assert monthly_benefit(D(630), 1, D("504.5001")) == D("125.00")


def test_d3_benefit_from_a_non_terminating_annual_over_12():
    # 10,000 / 12 = 833.333...; 2 × 630 − 833.333... = 426.666... → 427
    assert monthly_benefit(D(630), 2, monthly_income_from_annual(D(10000))) == D("427.00")
    # 6,054 / 12 = 504.5 exactly → 125.5 → 126 (no binary or 28-digit rounding on the way)
    assert monthly_benefit(D(630), 1, monthly_income_from_annual(D(6054))) == D("126.00")


def test_d3_benefit_is_never_below_zero():
    assert monthly_benefit(D(630), 1, D("630.00")) == D("0.00")
    assert monthly_benefit(D(630), 1, D("900.00")) == D("0.00")


def test_d3_zero_or_negative_income_gives_the_full_standard():
    assert monthly_benefit(D(630), 2, D(0)) == D("1260.00")
    assert monthly_benefit(D(630), 1, D("-10.00")) == D("640.00")


def test_d3_reason_shows_the_computation():
    r = benefit_reason(D(630), 1, D("504.50"))
    assert r.rule == "D3" and "630.00 × 1 − 504.50 = 126.00" in r.detail


# --- D4 ---------------------------------------------------------------------------------------


def test_d4_single_person_aged_17_is_refused():
    d = check_single_person(17, 1, employed=False)
    assert not d.ok
    assert [r.code for r in d.refusals] == ["dibao.single_person.not_adult"]
    assert d.refusals[0].reason.rule == "D4" and d.refusals[0].reason.clause == "十四"


def test_d4_single_person_aged_18_on_the_application_day_is_accepted():
    assert check_single_person(18, 2, employed=False).ok


def test_d4_single_person_with_grade_3_disability_is_refused():
    d = check_single_person(40, 3, employed=False)
    assert [r.code for r in d.refusals] == ["dibao.single_person.not_severely_disabled"]


def test_d4_single_person_without_disability_is_refused():
    d = check_single_person(40, None, employed=False)
    assert [r.code for r in d.refusals] == ["dibao.single_person.not_severely_disabled"]


def test_d4_single_person_who_is_employed_is_refused():
    d = check_single_person(40, 1, employed=True)
    assert [r.code for r in d.refusals] == ["dibao.single_person.employed"]


def test_d4_every_failing_condition_is_reported():
    d = check_single_person(16, 4, employed=True)
    assert {r.code for r in d.refusals} == {
        "dibao.single_person.not_adult",
        "dibao.single_person.not_severely_disabled",
        "dibao.single_person.employed",
    }


# --- D6 ---------------------------------------------------------------------------------------


def test_d6_no_match_means_no_flag():
    assert favouritism_matches(["a", "b"], ["x"], ["y"], ["z"]) == []


def test_d6_matches_carry_every_role_of_each_member():
    m = favouritism_matches(["a", "b", "c"], ["b"], ["c"], ["b"])
    assert [(x.id_hash, x.role) for x in m] == [
        ("b", "helper"),
        ("b", "officer"),
        ("c", "first_secretary"),
    ]
    assert m[0].reason().rule == "D6"


def test_d6_duplicate_or_empty_member_hashes_are_ignored():
    assert len(favouritism_matches(["a", "a", ""], ["a", ""], [], [])) == 1


# --- D7 ---------------------------------------------------------------------------------------


def test_d7_standard_raised_mid_grant_gives_two_periods_with_both_amounts():
    changes = [
        (date(2017, 3, 15), D(500), 2, D("400.00")),
        (date(2018, 1, 1), D(630), 2, D("400.00")),
    ]
    p = benefit_periods(date(2017, 5, 1), changes, until=None)
    assert [(x.start, x.end, x.monthly_benefit) for x in p] == [
        (date(2017, 5, 1), date(2017, 12, 31), D("600.00")),
        (date(2018, 1, 1), None, D("860.00")),
    ]
    assert all(x.d2_ok for x in p)


def test_d7_change_on_the_first_opens_the_period_that_day():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2016, 8, 1), D(550), 1, D(0)),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=date(2016, 12, 31))
    assert [(x.start, x.end) for x in p] == [
        (date(2016, 5, 1), date(2016, 7, 31)),
        (date(2016, 8, 1), date(2016, 12, 31)),
    ]


def test_d7_change_on_the_second_opens_the_period_next_month():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2016, 8, 2), D(550), 1, D(0)),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert [x.start for x in p] == [date(2016, 5, 1), date(2016, 9, 1)]
    assert p[0].end == date(2016, 8, 31)


def test_d7_december_change_opens_in_january():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2016, 12, 20), D(550), 1, D(0)),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert p[1].start == date(2017, 1, 1)


def test_d7_income_rise_that_breaks_d2_marks_the_period_for_review_and_never_ends_it():
    changes = [
        (date(2016, 1, 1), D(630), 2, D("300.00")),
        (date(2017, 12, 31), D(630), 2, D("1260.00")),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert len(p) == 2
    assert p[0].d2_ok and not p[0].needs_review
    assert not p[1].d2_ok and p[1].needs_review
    assert p[1].end is None and p[1].monthly_benefit == D("0.00")
    assert "flagged for review" in period_reason(p[1]).detail


def test_d7_identical_consecutive_facts_merge_into_one_period():
    changes = [
        (date(2016, 1, 1), D(630), 2, D("300.00")),
        (date(2016, 7, 1), D("630.00"), 2, D(300)),
        (date(2016, 9, 1), D(630), 2, D("300.00")),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert [(x.start, x.end) for x in p] == [(date(2016, 5, 1), None)]


def test_d7_two_changes_in_one_month_the_later_wins():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2016, 6, 10), D(550), 1, D(0)),
        (date(2016, 6, 20), D(560), 1, D(0)),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert [(x.start, x.standard) for x in p] == [
        (date(2016, 5, 1), D(500)),
        (date(2016, 7, 1), D(560)),
    ]


def test_d7_changes_before_the_start_month_use_the_latest():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2016, 4, 2), D(520), 1, D(0)),  # opens 2016-05-01 = start
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert [(x.start, x.standard) for x in p] == [(date(2016, 5, 1), D(520))]


def test_d7_changes_after_until_are_ignored_and_the_last_period_ends_on_until():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(0)),
        (date(2017, 1, 1), D(550), 1, D(0)),
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=date(2016, 10, 15))
    assert [(x.start, x.end) for x in p] == [(date(2016, 5, 1), date(2016, 10, 15))]


def test_d7_fractional_monthly_income_is_kept_exact():
    income = monthly_income_from_annual(D(10000))
    p = benefit_periods(date(2016, 5, 1), [(date(2016, 1, 1), D(630), 2, income)], until=None)
    assert p[0].household_monthly_income == Fraction(2500, 3)
    assert p[0].monthly_benefit == D("427.00")
    assert p[0].as_dict() == {
        "from": "2016-05-01",
        "to": None,
        "standard": "630.00",
        "covered_persons": 2,
        "household_monthly_income": "833.33",
        "monthly_benefit": "427.00",
        "suspended": False,
    }


def test_d7_bad_inputs_are_errors():
    facts = [(date(2016, 6, 1), D(500), 1, D(0))]
    with pytest.raises(DibaoError) as e:
        benefit_periods(date(2016, 5, 2), facts, until=None)
    assert e.value.code == "dibao.decision.start_month_invalid"
    with pytest.raises(DibaoError) as e:
        benefit_periods(date(2016, 5, 1), facts, until=None)
    assert e.value.code == "dibao.periods.no_facts_at_start"
    with pytest.raises(DibaoError) as e:
        benefit_periods(date(2016, 5, 1), facts, until=date(2016, 4, 30))
    assert e.value.code == "dibao.periods.until_before_start"


def test_d7_period_is_a_benefit_period():
    p = benefit_periods(date(2016, 5, 1), [(date(2016, 1, 1), D(500), 1, D(0))], None)
    assert isinstance(p[0], BenefitPeriod)


def test_d7_nobody_left_to_cover_opens_a_period_paying_nothing_flagged_for_review():
    changes = [
        (date(2016, 1, 1), D(500), 1, D(120)),
        (date(2016, 8, 15), D(500), 0, D(120)),  # the single person died on 2016-08-15
    ]
    p = benefit_periods(date(2016, 5, 1), changes, until=None)
    assert [(x.start, x.end, x.covered_persons, x.monthly_benefit, x.d2_ok) for x in p] == [
        (date(2016, 5, 1), date(2016, 8, 31), 1, D("380.00"), True),
        (date(2016, 9, 1), None, 0, D("0.00"), False),
    ]
    assert p[-1].needs_review is True
    r = period_reason(p[-1])
    assert r.rule == "D7" and "left or deceased" in r.detail and "0.00" in r.detail


def test_d7_zero_covered_persons_never_pays_even_with_a_negative_income():
    p = benefit_periods(date(2016, 5, 1), [(date(2016, 1, 1), D(500), 0, D(-300))], None)
    assert (p[0].monthly_benefit, p[0].d2_ok) == (D("0.00"), False)


def test_d7_negative_covered_persons_are_an_error():
    with pytest.raises(DibaoError) as e:
        benefit_periods(date(2016, 5, 1), [(date(2016, 1, 1), D(500), -1, D(0))], None)
    assert e.value.code == "dibao.persons.invalid"


# --- D8 ---------------------------------------------------------------------------------------


def test_d8_relief_household_without_active_grant_is_a_gap():
    gap, reason = coverage_gap("relief", has_active_grant=False)
    assert gap and reason.rule == "D8" and "應保盡保" in reason.detail


def test_d8_relief_household_with_grant_and_development_household_are_no_gap():
    assert coverage_gap("relief", has_active_grant=True)[0] is False
    assert coverage_gap("development", has_active_grant=False)[0] is False


def test_d8_unknown_support_type_is_an_error():
    with pytest.raises(DibaoError) as e:
        coverage_gap("other", has_active_grant=False)
    assert e.value.code == "dibao.support_type.invalid"
