"""R6 register, exit and return checks (clauses 二, 八): every refusal has its code."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.policy.errors import NoLineInForce
from app.policy.income import AssessmentFacts
from app.policy.lifecycle import (
    LifecycleEvent,
    SignerFacts,
    check_exit,
    check_register,
    check_return,
)
from app.policy.lines import LineVersion
from app.policy.support import target_met

LINE = LineVersion("321283000000", date(2016, 1, 1), Decimal("7000.00"))
EXIT_DATE = date(2017, 6, 30)
HEAD = SignerFacts("head", date(1966, 5, 12), True, date(2016, 3, 1))
MET = target_met("development", True, False, False)
UNMET = target_met("development", False, False, False)


def assessment(net: str, year: int = 2016, assessed_on: date | None = None) -> AssessmentFacts:
    return AssessmentFacts(
        id=year,
        year=year,
        assessed_on=assessed_on or date(year, 12, 31),
        version=1,
        wage=Decimal(net),
        business=Decimal(0),
        property=Decimal(0),
        transfer=Decimal(0),
        production_costs=Decimal(0),
    )


ABOVE = assessment("21000.03", 2016, date(2017, 6, 1))  # 7,000.01 per head for 3


def exit_check(**kw):
    args = {
        "exit_date": EXIT_DATE,
        "assessment": ABOVE,
        "persons": 3,
        "line": LINE,
        "target": MET,
        "signer": HEAD,
        "signed_on": date(2017, 6, 25),
        "publicity_start": date(2017, 6, 10),
        "publicity_end": date(2017, 6, 16),
    }
    args.update(kw)
    return check_exit(**args)


def codes(decision):
    return [r.code for r in decision.refusals]


# --- register -------------------------------------------------------------------------------


def test_register_with_income_exactly_at_the_line():
    decision = check_register(assessment("21000.00", 2015), LINE, 3, date(2016, 3, 1))
    assert decision.ok
    assert any("≤ line 7,000.00" in r.detail for r in decision.reasons)


def test_register_one_fen_above_the_line_is_refused():
    decision = check_register(assessment("7000.01", 2015), LINE, 1, date(2016, 3, 1))
    assert codes(decision) == ["household.register.income_above_line"]
    assert decision.first_refusal.reason.rule == "R1"


def test_register_without_assessment_is_refused():
    decision = check_register(None, LINE, 3, date(2016, 3, 1))
    assert codes(decision) == ["household.register.no_assessment"]


def test_register_with_assessment_dated_after_registration_is_refused():
    later = assessment("1000", 2016, date(2016, 3, 2))
    assert codes(check_register(later, LINE, 3, date(2016, 3, 1))) == ["household.register.no_assessment"]
    assert check_register(later, LINE, 3, date(2016, 3, 2)).ok


def test_register_with_no_members_is_refused():
    decision = check_register(assessment("0", 2015), LINE, 0, date(2016, 3, 1))
    assert codes(decision) == ["household.register.no_members"]


def test_register_before_the_line_is_in_force_is_an_error():
    with pytest.raises(NoLineInForce):
        check_register(assessment("0", 2014), LINE, 1, date(2015, 12, 31))


def test_register_checks_the_transition_when_events_given():
    events = [LifecycleEvent("register", date(2016, 3, 1), 1)]
    decision = check_register(assessment("0", 2015), LINE, 1, date(2016, 4, 1), events=events)
    assert codes(decision) == ["household.lifecycle.invalid_transition"]


# --- return ---------------------------------------------------------------------------------


def test_return_with_income_at_the_line_is_allowed():
    events = [
        LifecycleEvent("register", date(2016, 3, 1), 1),
        LifecycleEvent("exit", EXIT_DATE, 2),
    ]
    below = assessment("21000.00", 2017)
    assert check_return(below, LINE, 3, date(2018, 2, 1), events=events).ok


def test_return_with_income_above_the_line_is_refused():
    decision = check_return(assessment("21000.01", 2017), LINE, 3, date(2018, 2, 1))
    assert codes(decision) == ["household.return.income_above_line"]


def test_return_without_assessment_in_force_is_refused():
    decision = check_return(assessment("0", 2018), LINE, 3, date(2018, 2, 1))
    assert codes(decision) == ["household.return.no_assessment"]


def test_return_when_registered_is_refused():
    events = [LifecycleEvent("register", date(2016, 3, 1), 1)]
    decision = check_return(assessment("0", 2017), LINE, 3, date(2018, 2, 1), events=events)
    assert codes(decision) == ["household.lifecycle.invalid_transition"]


# --- exit -----------------------------------------------------------------------------------


def test_exit_with_everything_in_order_is_allowed_with_reasons():
    decision = exit_check()
    assert decision.ok, decision.refusals
    details = [r.detail for r in decision.reasons]
    assert any("7,000.01 > line 7,000.00" in d for d in details)
    assert "signed by the head on 2017-06-25" in details
    assert "publicity (公示) 2017-06-10..2017-06-16: 7 days" in details


def test_exit_with_income_exactly_at_the_line_is_refused():
    at_line = assessment("21000.00", 2016, date(2017, 6, 1))
    decision = exit_check(assessment=at_line)
    assert codes(decision) == ["household.exit.income_not_above_line"]
    assert decision.first_refusal.reason.rule == "R6"
    assert "≤ line 7,000.00" in decision.first_refusal.reason.detail


def test_exit_without_assessment_in_force_is_refused():
    assert codes(exit_check(assessment=None)) == ["household.exit.no_assessment"]
    future = assessment("99999", 2017, date(2017, 7, 1))
    assert codes(exit_check(assessment=future)) == ["household.exit.no_assessment"]


def test_exit_with_target_unmet_is_refused():
    decision = exit_check(target=UNMET)
    assert codes(decision) == ["household.exit.target_unmet"]
    assert "no active income-generating" in decision.first_refusal.reason.detail


def test_exit_without_signature_is_refused():
    assert codes(exit_check(signer=None)) == ["household.exit.signature_required"]
    assert codes(exit_check(signed_on=None)) == ["household.exit.signature_required"]


def test_exit_signed_by_a_minor_member_is_refused():
    minor = SignerFacts("child", date(2000, 6, 26), False, date(2016, 3, 1))
    decision = exit_check(signer=minor)  # 16 on 2017-06-25
    assert codes(decision) == ["household.exit.signer_not_adult"]


def test_exit_signed_by_a_member_on_their_18th_birthday_is_allowed():
    adult = SignerFacts("child", date(1999, 6, 25), False, date(2016, 3, 1))
    assert exit_check(signer=adult).ok
    day_before_18 = SignerFacts("child", date(1999, 6, 26), False, date(2016, 3, 1))
    assert codes(exit_check(signer=day_before_18)) == ["household.exit.signer_not_adult"]


def test_exit_signed_by_a_minor_head_is_allowed():
    young_head = SignerFacts("head", date(2001, 1, 1), True, date(2016, 3, 1))
    assert exit_check(signer=young_head).ok


def test_exit_signed_by_a_former_member_is_refused():
    former = SignerFacts("left", date(1970, 1, 1), False, date(2016, 3, 1), date(2017, 1, 1))
    assert codes(exit_check(signer=former)) == ["household.exit.signer_not_member"]


def test_exit_signed_by_a_member_leaving_before_the_exit_date_is_refused():
    leaving = replace(HEAD, left_on=date(2017, 6, 28))
    assert codes(exit_check(signer=leaving)) == ["household.exit.signer_not_member"]


def test_exit_signed_by_someone_not_yet_a_member_is_refused():
    newcomer = replace(HEAD, joined_on=date(2017, 6, 26))
    assert codes(exit_check(signer=newcomer)) == ["household.exit.signer_not_member"]


def test_exit_signed_after_the_exit_date_is_refused():
    decision = exit_check(signed_on=date(2017, 7, 1))
    assert codes(decision) == ["household.exit.signature_after_exit"]


def test_exit_signed_on_the_exit_date_is_allowed():
    assert exit_check(signed_on=EXIT_DATE).ok


def test_six_day_publicity_is_too_short_and_seven_days_is_enough():
    six = exit_check(publicity_start=date(2017, 6, 10), publicity_end=date(2017, 6, 15))
    assert codes(six) == ["household.exit.publicity_too_short"]
    assert "is 6 days" in six.first_refusal.reason.detail
    assert exit_check(publicity_start=date(2017, 6, 10), publicity_end=date(2017, 6, 16)).ok


def test_publicity_ending_after_exit_is_refused():
    decision = exit_check(publicity_start=date(2017, 6, 25), publicity_end=date(2017, 7, 1))
    assert codes(decision) == ["household.exit.publicity_after_exit"]


def test_publicity_ending_on_the_exit_date_is_allowed():
    assert exit_check(publicity_start=date(2017, 6, 24), publicity_end=EXIT_DATE).ok


def test_publicity_is_optional():
    decision = exit_check(publicity_start=None, publicity_end=None)
    assert decision.ok
    assert "no village publicity (公示) recorded" in [r.detail for r in decision.reasons]


def test_publicity_with_only_one_end_is_refused():
    decision = exit_check(publicity_start=date(2017, 6, 1), publicity_end=None)
    assert codes(decision) == ["household.exit.publicity_incomplete"]


def test_publicity_ending_before_it_starts_is_refused():
    decision = exit_check(publicity_start=date(2017, 6, 20), publicity_end=date(2017, 6, 10))
    assert codes(decision) == ["household.exit.publicity_end_before_start"]


def test_exit_reports_all_refusals_income_first():
    minor = SignerFacts("child", date(2005, 1, 1), False, date(2016, 3, 1), date(2017, 6, 1))
    decision = exit_check(
        assessment=assessment("100", 2016),
        target=UNMET,
        signer=minor,
        signed_on=date(2017, 7, 2),
        publicity_start=date(2017, 6, 28),
        publicity_end=date(2017, 7, 1),
    )
    assert codes(decision) == [
        "household.exit.income_not_above_line",
        "household.exit.target_unmet",
        "household.exit.signature_after_exit",
        "household.exit.signer_not_member",
        "household.exit.signer_not_adult",
        "household.exit.publicity_too_short",
        "household.exit.publicity_after_exit",
    ]
    assert decision.first_refusal.code == "household.exit.income_not_above_line"
    assert not decision.ok


def test_exit_when_not_registered_puts_the_transition_first():
    events = [
        LifecycleEvent("register", date(2016, 3, 1), 1),
        LifecycleEvent("exit", date(2017, 1, 1), 2),
    ]
    decision = exit_check(events=events, signer=None)
    assert codes(decision) == [
        "household.lifecycle.invalid_transition",
        "household.exit.signature_required",
    ]


def test_exit_before_the_line_is_in_force_is_an_error():
    with pytest.raises(NoLineInForce):
        exit_check(exit_date=date(2015, 12, 31))
