"""Villages: weak status R2, key areas R3, eight haves V1."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from app.policy.errors import PolicyError
from app.policy.villages import (
    EIGHT_HAVE_KEYS,
    EIGHT_HAVES,
    VillageError,
    areas_of_village,
    check_weak_line,
    eight_haves,
    is_weak,
    town_code_of,
)

# --- R2 ---------------------------------------------------------------------------------------


def test_r2_collective_income_exactly_at_the_line_is_weak():
    d = is_weak(D("350000.00"), D("350000.00"))
    assert d.ok
    assert d.reasons[0].rule == "R2"
    assert "collective income 350,000.00 ≤ line 350,000.00" in d.reasons[0].detail


def test_r2_one_fen_above_the_line_is_not_weak():
    d = is_weak(D("350000.01"), D("350000.00"))
    assert not d.ok
    assert "350,000.01 > line 350,000.00" in d.reasons[0].detail


def test_r2_compares_exact_decimals_without_rounding():
    assert not is_weak(D("350000.001"), D("350000.00")).ok


def test_r2_a_district_line_above_the_city_is_used_as_given():
    assert is_weak(D(380000), D(400000)).ok


def test_r2_floats_are_refused():
    with pytest.raises(VillageError) as e:
        is_weak(350000.0, D(350000))
    assert e.value.code == "village.amount.invalid"


def test_r2_district_line_may_equal_or_exceed_the_city_line():
    assert check_weak_line(D(350000), D(350000)).ok
    assert check_weak_line(D(400000), D(350000)).ok


def test_r2_district_line_below_the_city_line_is_refused():
    d = check_weak_line(D("349999.99"), D(350000))
    assert [r.code for r in d.refusals] == ["policy.weak_village_line.below_city"]
    assert d.refusals[0].reason.rule == "R2"


def test_r2_line_must_be_positive():
    d = check_weak_line(D(0), D(0))
    assert [r.code for r in d.refusals] == ["policy.weak_village_line.not_positive"]


# --- R3 ---------------------------------------------------------------------------------------

AREAS = {
    "huangqiao": {"321283100000", "321283101000"},
    "lixiahe": {"321281100", "321283101000"},  # a 9-digit town code is accepted too
}


def test_r3_village_inherits_its_town_areas():
    assert town_code_of("321283100201") == "321283100000"
    assert areas_of_village("321283100201", AREAS) == ("huangqiao",)
    assert areas_of_village("321281100005", AREAS) == ("lixiahe",)


def test_r3_a_town_in_two_areas_gives_both_sorted():
    assert areas_of_village("321283101001", AREAS) == ("huangqiao", "lixiahe")


def test_r3_a_village_in_no_area():
    assert areas_of_village("321202001001", AREAS) == ()


@pytest.mark.parametrize("code", ["321283100000", "32128310020", "321283000000", "abc"])
def test_r3_a_code_that_is_not_a_village_is_an_error(code):
    with pytest.raises(VillageError) as e:
        areas_of_village(code, AREAS)
    assert e.value.code == "village.code.invalid"
    assert isinstance(e.value, PolicyError)


# --- V1 ---------------------------------------------------------------------------------------


def all_met():
    return {k: (True, f"evidence for {k}") for k in EIGHT_HAVE_KEYS}


def test_v1_there_are_eight_items_with_chinese_names():
    assert len(EIGHT_HAVES) == 8
    assert EIGHT_HAVE_KEYS == (
        "strong_leadership",
        "development_plan",
        "farm_facilities",
        "leading_industry",
        "collective_income",
        "information_network",
        "civil_customs",
        "living_environment",
    )
    assert dict(EIGHT_HAVES)["strong_leadership"] == "有群眾擁護的“雙強”班子"


def test_v1_all_eight_met_meets_the_goal():
    d = eight_haves(all_met())
    assert d.ok and not d.refusals and len(d.reasons) == 8
    assert all(r.rule == "V1" for r in d.reasons)


def test_v1_one_item_not_met_misses_the_goal():
    items = all_met() | {"information_network": (False, None)}
    d = eight_haves(items)
    assert not d.ok
    assert [r.code for r in d.refusals] == ["village.eight_haves.not_met"]
    assert "information_network" in d.refusals[0].reason.detail


def test_v1_a_missing_item_is_an_error():
    items = all_met()
    del items["civil_customs"]
    with pytest.raises(VillageError) as e:
        eight_haves(items)
    assert e.value.code == "village.eight_haves.missing_item"
    assert "civil_customs" in e.value.detail


def test_v1_an_unknown_item_is_an_error():
    with pytest.raises(VillageError) as e:
        eight_haves(all_met() | {"good_roads": (True, "photo")})
    assert e.value.code == "village.eight_haves.unknown_item"


@pytest.mark.parametrize("evidence", [None, "", "   "])
def test_v1_met_without_evidence_is_refused(evidence):
    with pytest.raises(VillageError) as e:
        eight_haves(all_met() | {"development_plan": (True, evidence)})
    assert e.value.code == "village.eight_haves.evidence_required"
    assert e.value.rule == "V1"


def test_v1_not_met_needs_no_evidence_but_may_carry_some():
    d = eight_haves(all_met() | {"farm_facilities": (False, "plan for 2019")})
    assert not d.ok
