"""R1/R2 lines (clause 二): in force by date and region, districts never below the city."""

from datetime import date
from decimal import Decimal

import pytest

from app.policy.errors import NoLineInForce, PolicyError
from app.policy.lines import (
    CITY_REGION_CODE,
    LineVersion,
    check_line_region,
    check_new_district_line,
    check_new_line,
    district_code_of,
    line_in_force,
    region_level,
)

CITY = LineVersion(CITY_REGION_CODE, date(2016, 1, 1), Decimal("7000.00"))
TAIXING = LineVersion("321283000000", date(2017, 1, 1), Decimal("7500.00"))
VILLAGE = "321283100201"


def test_city_line_applies_where_no_district_line_exists():
    assert line_in_force([CITY, TAIXING], "321281100201", date(2017, 6, 1)) == CITY


def test_district_line_above_city_line_is_used_from_its_effective_date():
    lines = [CITY, TAIXING]
    assert line_in_force(lines, VILLAGE, date(2016, 12, 31)) == CITY
    assert line_in_force(lines, VILLAGE, date(2017, 1, 1)) == TAIXING


def test_line_for_the_district_code_itself_is_found():
    assert line_in_force([CITY, TAIXING], "321283000000", date(2018, 1, 1)) == TAIXING


def test_date_before_2016_has_no_line_in_force():
    with pytest.raises(NoLineInForce) as err:
        line_in_force([CITY, TAIXING], VILLAGE, date(2015, 12, 31))
    assert err.value.code == "policy.line.not_in_force"
    assert isinstance(err.value, PolicyError)
    assert "321283100201" in err.value.detail and "2015-12-31" in err.value.detail


def test_no_line_in_force_names_the_rule_given():
    with pytest.raises(NoLineInForce) as err:
        line_in_force([], VILLAGE, date(2018, 1, 1), rule="R2")
    assert err.value.rule == "R2" and err.value.detail.startswith("R2")


def test_latest_version_in_force_wins():
    raised = LineVersion(CITY_REGION_CODE, date(2019, 1, 1), Decimal("7500.00"))
    assert line_in_force([raised, CITY], VILLAGE, date(2018, 12, 31)) == CITY
    assert line_in_force([raised, CITY], VILLAGE, date(2019, 1, 1)) == raised


def test_same_date_versions_later_in_input_wins():
    corrected = LineVersion(CITY_REGION_CODE, date(2016, 1, 1), Decimal("7100.00"))
    assert line_in_force([CITY, corrected], VILLAGE, date(2016, 6, 1)) == corrected


def test_city_line_raised_above_a_district_line_takes_over_there():
    district = LineVersion("321283000000", date(2017, 1, 1), Decimal("7200.00"))
    raised = LineVersion(CITY_REGION_CODE, date(2019, 1, 1), Decimal("7500.00"))
    lines = [CITY, district, raised]
    assert line_in_force(lines, VILLAGE, date(2018, 6, 1)) == district
    assert line_in_force(lines, VILLAGE, date(2019, 6, 1)) == raised


def test_district_line_equal_to_city_line_is_allowed():
    assert check_new_district_line(Decimal("7000.00"), CITY).ok


def test_district_line_above_city_line_is_allowed_with_reason():
    decision = check_new_district_line(Decimal("7500.00"), CITY)
    assert decision.ok
    assert decision.reasons[0].detail == (
        "district line 7,500.00 ≥ city line 7,000.00 (321200, from 2016-01-01)"
    )


def test_district_line_below_city_line_is_refused():
    decision = check_new_district_line(Decimal("6999.99"), CITY)
    assert not decision.ok
    refusal = decision.first_refusal
    assert refusal.code == "policy.line.below_city"
    assert refusal.reason.rule == "R1" and refusal.reason.clause == "二"


def test_weak_village_district_line_below_refused_under_r2():
    city = LineVersion(CITY_REGION_CODE, date(2016, 1, 1), Decimal("350000.00"))
    decision = check_new_district_line(Decimal("300000.00"), city, rule="R2")
    assert decision.first_refusal.code == "policy.line.below_city"
    assert decision.first_refusal.reason.rule == "R2"


def test_district_line_without_city_line_in_force_is_refused():
    decision = check_new_district_line(Decimal("7500.00"), None)
    assert decision.first_refusal.code == "policy.line.not_in_force"


def test_non_positive_line_amount_is_refused():
    assert check_new_district_line(Decimal(0), CITY).first_refusal.code == "policy.line.amount"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("321283100000", "policy.line.region_level"),  # town
        ("321283100201", "policy.line.region_level"),  # village
        ("320000000000", "policy.line.region_outside"),  # province
        ("320100000000", "policy.line.region_outside"),  # another city
        ("320102000000", "policy.line.region_outside"),  # another city's district
        ("321283", "policy.line.region_code"),
        ("32128300000a", "policy.line.region_code"),
    ],
)
def test_line_only_for_city_or_its_districts(code, expected):
    assert check_line_region(code).first_refusal.code == expected


def test_line_for_city_and_district_regions_allowed():
    assert check_line_region(CITY_REGION_CODE).ok
    assert check_line_region("321271000000").ok  # 醫藥高新區, statistical district level


def test_check_new_line_compares_with_city_line_in_force_on_its_date():
    raised = LineVersion(CITY_REGION_CODE, date(2019, 1, 1), Decimal("7500.00"))
    lines = [CITY, raised]
    early = LineVersion("321283000000", date(2018, 1, 1), Decimal("7200.00"))
    late = LineVersion("321283000000", date(2019, 1, 1), Decimal("7200.00"))
    assert check_new_line(early, lines).ok
    assert check_new_line(late, lines).first_refusal.code == "policy.line.below_city"


def test_check_new_line_refuses_town_region_and_accepts_city():
    town = LineVersion("321283100000", date(2018, 1, 1), Decimal("8000.00"))
    assert check_new_line(town, [CITY]).first_refusal.code == "policy.line.region_level"
    assert check_new_line(CITY, []).ok
    bad = LineVersion(CITY_REGION_CODE, date(2018, 1, 1), Decimal(-1))
    assert check_new_line(bad, []).first_refusal.code == "policy.line.amount"


def test_region_level_and_district_code():
    assert region_level("320000000000") == "province"
    assert region_level("321200000000") == "city"
    assert region_level("321283000000") == "district"
    assert region_level("321283100000") == "town"
    assert region_level("321283100201") == "village"
    assert district_code_of("321283100201") == "321283000000"
    with pytest.raises(PolicyError):
        region_level("32")


def test_line_describe_cites_amount_region_and_date():
    assert TAIXING.describe() == "7,500.00 (321283, from 2017-01-01)"
