"""Pairings P1–P4 and pairing kinds (clauses 八, 十七, 十八)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.policy.pairings import (
    HELPER_KINDS_OF_KIND,
    PAIRING_KINDS,
    TARGET_OF_KIND,
    Period,
    check_first_secretary,
    check_household_cadre,
    check_not_own_household,
    check_pairing_shape,
    check_period,
    overlaps,
)
from app.policy.villages import is_weak

JAN = Period(date(2016, 1, 1), date(2016, 1, 31))


def codes(decision):
    return [r.code for r in decision.refusals]


# --- overlaps ---------------------------------------------------------------------------------


def test_overlap_ending_the_day_before_the_other_starts_does_not_overlap():
    assert not overlaps(JAN, Period(date(2016, 2, 1), None))
    assert not overlaps(Period(date(2016, 2, 1), None), JAN)


def test_overlap_ending_the_same_day_the_other_starts_overlaps():
    assert overlaps(JAN, Period(date(2016, 1, 31), date(2016, 3, 1)))
    assert overlaps(Period(date(2016, 1, 31), None), JAN)


def test_overlap_with_open_ends():
    assert overlaps(Period(date(2016, 1, 1)), Period(date(2030, 1, 1)))
    assert overlaps(Period(date(2030, 1, 1)), Period(date(2016, 1, 1)))
    assert not overlaps(Period(date(2030, 1, 1)), JAN)


def test_overlap_containment_and_single_days():
    assert overlaps(JAN, Period(date(2016, 1, 10), date(2016, 1, 10)))
    one_day = Period(date(2016, 2, 1), date(2016, 2, 1))
    assert overlaps(one_day, one_day)


def test_period_active_on_includes_both_ends():
    assert JAN.active_on(date(2016, 1, 1)) and JAN.active_on(date(2016, 1, 31))
    assert not JAN.active_on(date(2016, 2, 1))
    assert Period(date(2016, 1, 1)).active_on(date(2099, 1, 1))


# --- P3 ---------------------------------------------------------------------------------------


def test_p3_end_before_start_is_refused():
    d = check_period(date(2016, 5, 2), date(2016, 5, 1))
    assert codes(d) == ["pairing.period.end_before_start"]
    assert d.refusals[0].reason.rule == "P3"


def test_p3_one_day_and_open_periods_are_fine():
    assert check_period(date(2016, 5, 1), date(2016, 5, 1)).ok
    assert check_period(date(2016, 5, 1), None).ok


# --- P1 ---------------------------------------------------------------------------------------


def test_p1_second_cadre_starting_the_day_after_the_first_ends_is_allowed():
    assert check_household_cadre(Period(date(2016, 2, 1)), [JAN]).ok


def test_p1_second_cadre_starting_the_day_the_first_ends_is_refused():
    d = check_household_cadre(Period(date(2016, 1, 31)), [JAN])
    assert codes(d) == ["pairing.household_cadre.overlap"]
    assert d.refusals[0].reason.rule == "P1"
    assert "2016-01-01 to 2016-01-31" in d.refusals[0].reason.detail


def test_p1_an_open_existing_cadre_blocks_any_later_one():
    d = check_household_cadre(
        Period(date(2030, 1, 1), date(2030, 1, 2)), [Period(date(2016, 1, 1))]
    )
    assert codes(d) == ["pairing.household_cadre.overlap"]


def test_p1_an_open_new_cadre_is_blocked_by_a_later_existing_one():
    d = check_household_cadre(
        Period(date(2015, 1, 1)), [Period(date(2018, 1, 1), date(2018, 12, 31))]
    )
    assert not d.ok


def test_p1_first_cadre_of_a_household():
    assert check_household_cadre(Period(date(2016, 1, 1)), []).ok


# --- P2 ---------------------------------------------------------------------------------------


def test_p2_first_secretary_of_a_weak_village():
    d = check_first_secretary(is_weak(D(350000), D(350000)), Period(date(2016, 3, 1)), [])
    assert d.ok
    assert {r.rule for r in d.reasons} == {"R2", "P2"}


def test_p2_first_secretary_of_a_village_not_weak_is_refused():
    d = check_first_secretary(is_weak(D("350000.01"), D(350000)), Period(date(2016, 3, 1)), [])
    assert codes(d) == ["pairing.first_secretary.village_not_weak"]


def test_p2_first_secretary_of_a_village_without_assessed_income_is_refused():
    d = check_first_secretary(None, Period(date(2016, 3, 1)), [])
    assert codes(d) == ["pairing.first_secretary.village_not_weak"]


def test_p2_second_first_secretary_overlapping_is_refused():
    weak = is_weak(D(100000), D(350000))
    d = check_first_secretary(weak, Period(date(2016, 1, 31)), [JAN])
    assert codes(d) == ["pairing.first_secretary.overlap"]
    assert check_first_secretary(weak, Period(date(2016, 2, 1)), [JAN]).ok


def test_p2_both_refusals_are_reported():
    d = check_first_secretary(None, Period(date(2016, 1, 15)), [JAN])
    assert codes(d) == [
        "pairing.first_secretary.village_not_weak",
        "pairing.first_secretary.overlap",
    ]


# --- P4 ---------------------------------------------------------------------------------------


def test_p4_cadre_of_own_household_is_refused():
    d = check_not_own_household("h-1", ["h-0", "h-1"])
    assert codes(d) == ["pairing.household_cadre.own_household"]
    assert d.refusals[0].reason.rule == "P4"


def test_p4_cadre_of_another_household_is_allowed():
    assert check_not_own_household("h-9", ["h-0", "h-1"]).ok


def test_p4_helper_without_id_number_cannot_match():
    assert check_not_own_household(None, ["h-0"]).ok


# --- kinds ------------------------------------------------------------------------------------


def test_kinds_tables():
    assert set(PAIRING_KINDS) == set(TARGET_OF_KIND) == set(HELPER_KINDS_OF_KIND)
    assert TARGET_OF_KIND == {
        "household_cadre": "household",
        "village_unit": "village",
        "first_secretary": "village",
        "town_unit": "town",
    }


@pytest.mark.parametrize(
    ("kind", "helper", "household", "region"),
    [
        ("household_cadre", "person", True, None),
        ("first_secretary", "person", False, "321283100201"),
        ("village_unit", "unit", False, "321283100201"),
        ("village_unit", "person", False, "321283100201"),  # a city leader
        ("town_unit", "unit", False, "321283100000"),
        ("town_unit", "person", False, "321283100000"),
    ],
)
def test_kinds_allowed_shapes(kind, helper, household, region):
    assert check_pairing_shape(kind, helper, household, region).ok


@pytest.mark.parametrize(
    ("kind", "helper", "household", "region", "code"),
    [
        ("household_cadre", "unit", True, None, "pairing.helper_kind.not_allowed"),
        ("first_secretary", "unit", False, "321283100201", "pairing.helper_kind.not_allowed"),
        ("household_cadre", "person", False, None, "pairing.target.household_required"),
        ("household_cadre", "person", True, "321283100201", "pairing.target.region_not_allowed"),
        ("village_unit", "unit", True, "321283100201", "pairing.target.household_not_allowed"),
        ("village_unit", "unit", False, None, "pairing.target.region_required"),
        ("village_unit", "unit", False, "321283100000", "pairing.target.region_level"),
        ("first_secretary", "person", False, "321283000000", "pairing.target.region_level"),
        ("town_unit", "unit", False, "321283100201", "pairing.target.region_level"),
        ("town_unit", "unit", False, "32128310", "pairing.target.region_level"),
        ("mentor", "person", True, None, "pairing.kind.unknown"),
    ],
)
def test_kinds_refused_shapes(kind, helper, household, region, code):
    assert codes(check_pairing_shape(kind, helper, household, region)) == [code]
