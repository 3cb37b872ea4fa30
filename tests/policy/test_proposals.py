"""A1 staged proposals and A3 objections: order of steps, publicity length, decision dates."""

from __future__ import annotations

from datetime import date

import pytest

from app.policy.proposals import (
    STEPS,
    ObjectionFacts,
    check_after_publicity,
    check_decider,
    check_objection_raised,
    check_objections,
    check_publicity,
    check_settlement,
    check_step_date,
    state_after,
    transition,
)

ORDER = [("proposed", "appraise", "appraised"), ("appraised", "publicise", "publicised"),
         ("publicised", "review", "reviewed"), ("reviewed", "approve", "approved"),
         ("reviewed", "reject", "rejected")]


@pytest.mark.parametrize(("state", "step", "after"), ORDER)
def test_each_step_in_order_moves_the_proposal_on(state, step, after):
    d = transition(state, step)
    assert d.ok and state_after(step, state) == after
    assert d.reasons[0].rule == "A1"


@pytest.mark.parametrize("state", ["proposed", "appraised", "publicised", "reviewed", "approved",
                                   "rejected"])
@pytest.mark.parametrize("step", STEPS)
def test_every_step_out_of_order_is_refused(state, step):
    if any(s == state and st == step for s, st, _ in ORDER):
        return
    d = transition(state, step)
    assert not d.ok
    assert d.first_refusal.code == "proposal.step_out_of_order"


def test_a_decision_cannot_skip_the_publicity():
    assert transition("appraised", "approve").first_refusal.code == "proposal.step_out_of_order"
    assert transition("proposed", "reject").first_refusal.code == "proposal.step_out_of_order"


def test_publicity_of_exactly_seven_days_counting_both_ends_is_accepted():
    d = check_publicity(date(2017, 6, 1), date(2017, 6, 7), date(2017, 6, 1))
    assert d.ok and "7 days" in d.reasons[0].detail


def test_publicity_of_six_days_is_refused_naming_a1():
    d = check_publicity(date(2017, 6, 1), date(2017, 6, 6), date(2017, 6, 1))
    assert not d.ok
    assert d.first_refusal.code == "proposal.publicity.too_short"
    assert d.first_refusal.reason.rule == "A1" and "A1" in d.first_refusal.reason.detail


def test_publicity_over_29_february_counts_the_leap_day():
    # 2020-02-25..2020-03-02 is 7 days because 29 February exists in 2020
    assert check_publicity(date(2020, 2, 25), date(2020, 3, 2), date(2020, 2, 1)).ok
    # the same dates in 2021 would be 6 days
    d = check_publicity(date(2021, 2, 25), date(2021, 3, 2), date(2021, 2, 1))
    assert d.first_refusal.code == "proposal.publicity.too_short"


def test_publicity_ending_before_it_starts_or_before_the_appraisal_is_refused():
    assert check_publicity(date(2017, 6, 7), date(2017, 6, 1), date(2017, 6, 1)).first_refusal.code \
        == "proposal.publicity.end_before_start"
    assert check_publicity(date(2017, 5, 31), date(2017, 6, 10), date(2017, 6, 1)).first_refusal \
        .code == "proposal.publicity.before_appraisal"
    assert check_publicity(None, date(2017, 6, 10), date(2017, 6, 1)).first_refusal.code \
        == "proposal.publicity.incomplete"


def test_a_decision_on_the_last_publicity_day_is_refused_and_the_next_day_accepted():
    end = date(2017, 6, 7)
    last = check_after_publicity(end, end, "decision")
    assert not last.ok and last.first_refusal.code == "proposal.publicity_not_ended"
    assert check_after_publicity(date(2017, 6, 8), end, "decision").ok
    assert check_after_publicity(date(2017, 6, 8), None, "decision").first_refusal.code \
        == "proposal.publicity.missing"


def test_an_open_objection_blocks_any_decision():
    objections = [ObjectionFacts(date(2017, 6, 3), "dismissed"), ObjectionFacts(date(2017, 6, 7))]
    for step in ("approve", "reject"):
        d = check_objections(objections, step)
        assert d.first_refusal.code == "proposal.objection_open"
        assert d.first_refusal.reason.rule == "A3"


def test_settled_objections_allow_the_decision_but_an_upheld_one_only_a_rejection():
    assert check_objections([ObjectionFacts(date(2017, 6, 3), "dismissed")], "approve").ok
    upheld = [ObjectionFacts(date(2017, 6, 3), "upheld")]
    assert check_objections(upheld, "approve").first_refusal.code == "proposal.objection_upheld"
    assert check_objections(upheld, "reject").ok
    assert check_objections([], "approve").ok


def test_an_objection_is_raised_within_the_publicity_period_inclusive():
    s, e = date(2017, 6, 1), date(2017, 6, 7)
    assert check_objection_raised(s, "publicised", s, e).ok
    assert check_objection_raised(e, "reviewed", s, e).ok
    assert check_objection_raised(date(2017, 6, 8), "publicised", s, e).first_refusal.code \
        == "proposal.objection.outside_publicity"
    assert check_objection_raised(date(2017, 5, 31), "publicised", s, e).first_refusal.code \
        == "proposal.objection.outside_publicity"
    assert check_objection_raised(s, "appraised", None, None).first_refusal.code \
        == "proposal.objection.not_publicised"
    assert check_objection_raised(s, "approved", s, e).first_refusal.code \
        == "proposal.objection.decided"


def test_settlement_dates_and_repeat():
    o = ObjectionFacts(date(2017, 6, 3))
    today = date(2017, 7, 1)
    assert check_settlement(o, date(2017, 6, 3), today).ok
    assert check_settlement(o, date(2017, 6, 2), today).first_refusal.code \
        == "proposal.objection.settled_before_raised"
    assert check_settlement(o, date(2017, 7, 2), today).first_refusal.code \
        == "proposal.date_in_future"
    assert check_settlement(ObjectionFacts(date(2017, 6, 3), "upheld"), date(2017, 6, 4), today) \
        .first_refusal.code == "proposal.objection.already_settled"


def test_step_dates_never_go_backwards_nor_past_today():
    prev, today = date(2017, 6, 1), date(2017, 6, 30)
    assert check_step_date(prev, prev, today).ok
    assert check_step_date(today, prev, today).ok
    assert check_step_date(date(2017, 5, 31), prev, today).first_refusal.code \
        == "proposal.step_before_previous"
    assert check_step_date(date(2017, 7, 1), prev, today).first_refusal.code \
        == "proposal.date_in_future"


def test_the_proposer_never_decides_their_own_proposal():
    d = check_decider("user:a", "user:a")
    assert d.first_refusal.code == "proposal.own_proposal" and d.first_refusal.reason.rule == "A1"
    assert check_decider("user:a", "user:b").ok
