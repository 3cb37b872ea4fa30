"""R1 income against the line (exact, "以下" inclusive) and R8 assessment in force."""

from datetime import date
from decimal import Decimal

import pytest

from app.policy.errors import PolicyError
from app.policy.income import (
    AssessmentFacts,
    assessment_in_force,
    at_or_below_line,
    default_assessed_on,
    per_capita_income,
)
from app.policy.lines import LineVersion

LINE = LineVersion("321283000000", date(2016, 1, 1), Decimal("7000.00"))


def assessment(year, assessed_on=None, version=1, wage="0", **kw) -> AssessmentFacts:
    return AssessmentFacts(
        id=f"{year}-v{version}",
        year=year,
        assessed_on=assessed_on or default_assessed_on(year),
        version=version,
        wage=Decimal(wage),
        business=Decimal(kw.get("business", "0")),
        property=Decimal(kw.get("property", "0")),
        transfer=Decimal(kw.get("transfer", "0")),
        production_costs=Decimal(kw.get("costs", "0")),
    )


def test_net_income_adds_the_four_incomes_and_subtracts_costs():
    a = assessment(
        2015,
        wage="9000.00",
        business="6000.00",
        property="100.50",
        transfer="3000.00",
        costs="2000.25",
    )
    assert a.net_income == Decimal("16100.25")


def test_net_income_may_be_negative():
    assert assessment(2015, wage="100", costs="500").net_income == Decimal(-400)


def test_income_exactly_at_the_line_qualifies():
    decision = at_or_below_line(Decimal("21000.00"), 3, LINE)
    assert decision.ok
    assert decision.reasons[0].rule == "R1" and decision.reasons[0].clause == "二"
    assert decision.reasons[0].detail.startswith(
        "per-capita income 7,000.00 ≤ line 7,000.00 (321283, from 2016-01-01)"
    )


def test_income_one_fen_above_the_line_does_not_qualify():
    decision = at_or_below_line(Decimal("7000.01"), 1, LINE)
    assert not decision.ok
    assert decision.first_refusal.code == "policy.income.above_line"
    assert "per-capita income 7,000.01 > line 7,000.00" in decision.reasons[0].detail


def test_one_fen_above_for_three_persons_compared_without_rounding():
    # 21,000.01 / 3 = 7,000.0033… rounds to 7,000.00 but is above the line.
    decision = at_or_below_line(Decimal("21000.01"), 3, LINE)
    assert not decision.ok
    assert "per-capita income 7,000.0034 > line 7,000.00" in decision.reasons[0].detail
    assert "household net income 21,000.01 for 3 persons" in decision.reasons[0].detail


def test_reason_sentence_below_the_line():
    decision = at_or_below_line(Decimal("20550.00"), 3, LINE)
    assert decision.reasons[0].detail == (
        "per-capita income 6,850.00 ≤ line 7,000.00 (321283, from 2016-01-01)"
        "; household net income 20,550.00 for 3 persons"
    )


def test_zero_persons_is_refused():
    decision = at_or_below_line(Decimal(100), 0, LINE)
    assert not decision.ok
    assert decision.first_refusal.code == "policy.income.no_persons"


def test_per_capita_income_rounds_to_the_fen_for_display():
    assert per_capita_income(Decimal("20000.00"), 3) == Decimal("6666.67")
    assert per_capita_income(Decimal("0.05"), 2) == Decimal("0.03")  # half-up
    with pytest.raises(PolicyError) as err:
        per_capita_income(Decimal(1), 0)
    assert err.value.code == "policy.income.no_persons"


def test_assessment_defaults_to_december_31_of_its_year():
    assert default_assessed_on(2015) == date(2015, 12, 31)


def test_no_assessment_in_force_before_the_first_is_dated():
    assert assessment_in_force([assessment(2015)], date(2015, 12, 30)) is None
    assert assessment_in_force([], date(2020, 1, 1)) is None


def test_assessment_in_force_from_its_own_date():
    a2015, a2016 = assessment(2015), assessment(2016)
    assert assessment_in_force([a2016, a2015], date(2015, 12, 31)) == a2015
    assert assessment_in_force([a2016, a2015], date(2016, 12, 30)) == a2015
    assert assessment_in_force([a2016, a2015], date(2016, 12, 31)) == a2016


def test_later_dated_assessment_takes_over_even_for_an_earlier_year():
    late_2015 = assessment(2015, assessed_on=date(2017, 3, 1))
    a2016 = assessment(2016)
    assert assessment_in_force([a2016, late_2015], date(2017, 3, 1)) == late_2015


def test_same_date_later_year_wins():
    a2016 = assessment(2016, assessed_on=date(2017, 1, 15))
    a2015 = assessment(2015, assessed_on=date(2017, 1, 15))
    assert assessment_in_force([a2016, a2015], date(2017, 1, 15)) == a2016
    assert assessment_in_force([a2015, a2016], date(2017, 1, 15)) == a2016


def test_correction_version_in_force_from_its_own_date():
    v1 = assessment(2016, version=1, wage="5000")
    v2 = assessment(2016, assessed_on=date(2017, 4, 1), version=2, wage="9000")
    assert assessment_in_force([v1, v2], date(2017, 3, 31)) == v1
    assert assessment_in_force([v1, v2], date(2017, 4, 1)) == v2


def test_same_year_and_date_higher_version_wins():
    v1 = assessment(2016, version=1, wage="5000")
    v2 = assessment(2016, version=2, wage="9000")
    assert assessment_in_force([v2, v1], date(2017, 1, 1)) == v2
    assert assessment_in_force([v1, v2], date(2017, 1, 1)) == v2
