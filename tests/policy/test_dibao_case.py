"""Dibao case workflow and approval safeguards D5–D6 (clause 十四)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.policy.dibao import DibaoError, d2_eligible
from app.policy.dibao_case import (
    ACTIONS,
    STATES,
    Check,
    allowed_actions,
    check_approval,
    check_checks,
    check_publicity,
    check_start_month,
    default_start_month,
    state_on,
    transition,
)

VALID = {
    ("applied", "record_check"): "verifying",
    ("verifying", "record_check"): "verifying",
    ("verifying", "publicise"): "publicised",
    ("publicised", "approve"): "approved",
    ("applied", "reject"): "rejected",
    ("verifying", "reject"): "rejected",
    ("publicised", "reject"): "rejected",
    ("approved", "activate"): "active",
    ("active", "suspend"): "suspended",
    ("suspended", "resume"): "active",
    ("approved", "terminate"): "terminated",
    ("active", "terminate"): "terminated",
    ("suspended", "terminate"): "terminated",
}
INVALID = [(s, a) for s in STATES for a in ACTIONS if (s, a) not in VALID]

PASSING = [
    Check("deposits", True, "bank"),
    Check("vehicles", True, "police"),
    Check("real_estate", True, "land registry"),
    Check("business", True, "market regulation"),
]
ELIGIBLE = d2_eligible(persons=2, standard=D(630), annual_net_income=D(6000))
NOT_ELIGIBLE = d2_eligible(persons=2, standard=D(630), annual_net_income=D(15120))


def approve(**kw):
    args = {
        "checks": PASSING,
        "publicity_end": date(2016, 4, 20),
        "decision_date": date(2016, 4, 21),
        "d2_decision": ELIGIBLE,
        "flagged": False,
        "approver_ids": {"officer-9"},
        "verifier_ids": {"officer-1"},
        "matched_person_ids": set(),
    }
    args.update(kw)
    return check_approval(**args)


def codes(decision):
    return [r.code for r in decision.refusals]


# --- D5 state machine -------------------------------------------------------------------------


@pytest.mark.parametrize(("state", "action"), sorted(VALID))
def test_d5_valid_transitions(state, action):
    assert transition(state, action) == VALID[(state, action)]


@pytest.mark.parametrize(("state", "action"), INVALID)
def test_d5_every_out_of_order_transition_is_refused(state, action):
    with pytest.raises(DibaoError) as e:
        transition(state, action)
    assert e.value.code == "dibao.case.invalid_transition"
    assert state in e.value.detail and action in e.value.detail


def test_d5_the_whole_happy_path():
    s = "applied"
    for a in ["record_check"] * 4 + ["publicise", "approve", "activate", "suspend", "resume"]:
        s = transition(s, a)
    assert s == "active"
    assert transition(s, "terminate") == "terminated"


def test_d5_terminal_states_allow_nothing():
    assert allowed_actions("rejected") == ()
    assert allowed_actions("terminated") == ()
    assert allowed_actions("publicised") == ("approve", "reject")


def test_d5_unknown_state_or_action_is_a_programming_error():
    with pytest.raises(ValueError):
        transition("pending", "approve")
    with pytest.raises(ValueError):
        transition("applied", "decide")


def test_d5_approved_case_is_active_from_its_start_month():
    start = date(2016, 5, 1)
    assert state_on("approved", start, date(2016, 4, 30)) == "approved"
    assert state_on("approved", start, date(2016, 5, 1)) == "active"
    assert state_on("approved", None, date(2030, 1, 1)) == "approved"
    assert state_on("suspended", start, date(2016, 6, 1)) == "suspended"


def test_d5_start_month_must_be_a_first_not_before_the_application_month():
    assert check_start_month(date(2016, 4, 1), applied_on=date(2016, 4, 20)).ok
    assert codes(check_start_month(date(2016, 4, 2), date(2016, 4, 1))) == [
        "dibao.decision.start_month_invalid"
    ]
    assert codes(check_start_month(date(2016, 3, 1), date(2016, 4, 1))) == [
        "dibao.decision.start_before_application"
    ]
    assert default_start_month(date(2016, 4, 21)) == date(2016, 5, 1)
    assert default_start_month(date(2016, 5, 1)) == date(2016, 5, 1)


# --- D5 checks --------------------------------------------------------------------------------


def test_d5_four_passing_checks_are_enough():
    d = check_checks(PASSING)
    assert d.ok and "deposits, vehicles, real_estate, business" in d.reasons[0].detail


def test_d5_no_check_recorded_is_missing_every_kind():
    d = check_checks([])
    assert codes(d) == ["dibao.approval.check_missing"]
    assert "deposits, vehicles, real_estate, business" in d.refusals[0].reason.detail


def test_d5_a_failed_check_refuses_even_after_a_passing_recheck():
    d = check_checks([*PASSING, Check("vehicles", False, "police")])
    assert codes(d) == ["dibao.approval.check_failed"]


def test_d5_only_other_checks_do_not_replace_a_required_kind():
    d = check_checks([*PASSING[:3], Check("other", True, "village committee")])
    assert codes(d) == ["dibao.approval.check_missing"]
    assert "business" in d.refusals[0].reason.detail


def test_d5_unknown_check_kind_is_an_error():
    with pytest.raises(DibaoError) as e:
        check_checks([Check("tax", True)])
    assert e.value.code == "dibao.check.kind_unknown"


# --- D5 publicity -----------------------------------------------------------------------------


def test_d5_publicity_of_6_days_is_refused():
    d = check_publicity(date(2016, 4, 1), date(2016, 4, 6))
    assert codes(d) == ["dibao.publicity.too_short"]
    assert "6 day(s)" in d.reasons[0].detail


def test_d5_publicity_of_7_days_is_accepted():
    assert check_publicity(date(2016, 4, 1), date(2016, 4, 7)).ok


def test_d5_publicity_across_a_month_end_counts_both_ends():
    assert check_publicity(date(2016, 2, 25), date(2016, 3, 2)).ok  # 2016 is a leap year: 7 days


def test_d5_publicity_ending_before_it_starts_is_refused():
    assert codes(check_publicity(date(2016, 4, 7), date(2016, 4, 1))) == [
        "dibao.publicity.end_before_start"
    ]


# --- D5 approval ------------------------------------------------------------------------------


def test_d5_approval_on_the_last_day_of_publicity_is_refused():
    d = approve(decision_date=date(2016, 4, 20))
    assert codes(d) == ["dibao.approval.publicity_not_ended"]


def test_d5_approval_the_day_after_publicity_is_allowed():
    d = approve(decision_date=date(2016, 4, 21))
    assert d.ok and not d.refusals
    assert {r.rule for r in d.reasons} >= {"D5", "D2"}


def test_d5_approval_without_publicity_is_refused():
    assert codes(approve(publicity_end=None)) == ["dibao.approval.publicity_missing"]


def test_d5_approval_with_a_failed_check_is_refused():
    d = approve(checks=[*PASSING, Check("deposits", False, "bank")])
    assert codes(d) == ["dibao.approval.check_failed"]


def test_d5_approval_with_a_missing_check_is_refused():
    assert codes(approve(checks=PASSING[:3])) == ["dibao.approval.check_missing"]


def test_d5_approval_when_d2_fails_on_the_decision_date_is_refused():
    d = approve(d2_decision=NOT_ELIGIBLE)
    assert codes(d) == ["dibao.approval.not_eligible"]
    assert any(r.rule == "D2" and "not below" in r.detail for r in d.reasons)


def test_d5_every_failing_condition_is_reported_together():
    d = approve(checks=[], publicity_end=None, d2_decision=NOT_ELIGIBLE)
    assert codes(d) == [
        "dibao.approval.check_missing",
        "dibao.approval.publicity_missing",
        "dibao.approval.not_eligible",
    ]


# --- D6 approval of a flagged case ------------------------------------------------------------


def test_d6_flagged_case_approved_by_its_verifier_is_refused():
    d = approve(flagged=True, approver_ids={"officer-1", "hash-officer-1"})
    assert codes(d) == ["dibao.approval.conflict_of_interest"]
    assert d.refusals[0].reason.rule == "D6"
    assert "verifier" in d.refusals[0].reason.detail


def test_d6_flagged_case_approved_by_another_officer_is_allowed():
    d = approve(flagged=True, matched_person_ids={"hash-member"}, approver_ids={"officer-9"})
    assert d.ok
    assert any(r.rule == "D6" for r in d.reasons)


def test_d6_flagged_case_approved_by_the_matched_person_is_refused():
    d = approve(
        flagged=True,
        matched_person_ids={"hash-member"},
        approver_ids={"officer-7", "hash-member"},
    )
    assert codes(d) == ["dibao.approval.conflict_of_interest"]
    assert "matched household member" in d.refusals[0].reason.detail


def test_d6_unflagged_case_may_be_approved_by_its_verifier():
    assert approve(flagged=False, approver_ids={"officer-1"}).ok


def test_a_step_dated_today_is_accepted_and_one_dated_tomorrow_refused():
    from app.policy.dibao_case import check_not_in_future

    today = date(2020, 3, 1)
    assert check_not_in_future(date(2020, 3, 1), today, "decision").ok
    d = check_not_in_future(date(2020, 3, 2), today, "decision")
    assert not d.ok
    assert d.refusals[0].code == "dibao.case.date_in_future"
    assert d.refusals[0].reason.rule == "D5" and "2020-03-02" in d.refusals[0].reason.detail
