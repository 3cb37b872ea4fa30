"""A case's state and its grant's coverage on any date, replayed from its steps (D5)."""

from __future__ import annotations

from datetime import date

import pytest

from app.policy.dibao import DibaoError
from app.policy.dibao_case import grant_active_on, state_after_steps

APPLIED = date(2016, 4, 1)
STEPS = [
    ("record_check", date(2016, 4, 2)),
    ("publicise", date(2016, 4, 5)),
    ("approve", date(2016, 4, 13)),
    ("activate", date(2016, 5, 1)),
    ("suspend", date(2016, 8, 10)),
    ("resume", date(2016, 9, 1)),
    ("terminate", date(2017, 1, 1)),
]
START = date(2016, 5, 1)


@pytest.mark.parametrize(("on", "state"), [
    (date(2016, 3, 31), None),
    (date(2016, 4, 1), "applied"),
    (date(2016, 4, 2), "verifying"),
    (date(2016, 4, 12), "publicised"),
    (date(2016, 4, 13), "approved"),
    (date(2016, 4, 30), "approved"),
    (date(2016, 5, 1), "active"),
    (date(2016, 8, 10), "suspended"),
    (date(2016, 9, 1), "active"),
    (date(2017, 1, 1), "terminated"),
])
def test_state_on_a_date_replays_the_steps_dated_on_or_before_it(on, state):
    assert state_after_steps(APPLIED, STEPS, START, on) == state


def test_an_approved_case_is_active_from_its_start_month_without_an_activate_step():
    steps = STEPS[:3]
    assert state_after_steps(APPLIED, steps, START, date(2016, 4, 30)) == "approved"
    assert state_after_steps(APPLIED, steps, START, date(2016, 5, 1)) == "active"


def test_a_recorded_out_of_order_step_cannot_be_replayed():
    with pytest.raises(DibaoError) as e:
        state_after_steps(APPLIED, [("approve", date(2016, 4, 2))], None, date(2016, 5, 1))
    assert e.value.code == "dibao.case.invalid_transition"


@pytest.mark.parametrize(("on", "active"), [
    (date(2016, 4, 30), False),
    (date(2016, 5, 1), True),
    (date(2016, 8, 9), True),
    (date(2016, 8, 10), False),
    (date(2016, 8, 31), False),
    (date(2016, 9, 1), True),
    (date(2016, 12, 31), True),
    (date(2017, 1, 1), False),
])
def test_a_grant_covers_from_its_start_month_except_suspended_and_after_termination(on, active):
    assert grant_active_on(START, STEPS, on) is active


def test_a_retroactive_start_month_covers_the_months_before_the_decision():
    steps = [("approve", date(2016, 5, 20))]
    assert grant_active_on(date(2016, 5, 1), steps, date(2016, 5, 2)) is True


def test_no_start_month_no_coverage():
    assert grant_active_on(None, [], date(2020, 1, 1)) is False


def test_each_action_leads_to_one_state_so_the_last_step_gives_the_state():
    from app.policy.dibao_case import _TRANSITIONS, STATE_AFTER_ACTION

    for (before, action), after in _TRANSITIONS.items():
        assert STATE_AFTER_ACTION[action] == after, (before, action)
    assert STATE_AFTER_ACTION["apply"] == "applied"


@pytest.mark.parametrize("on", [date(2016, 4, 1), date(2016, 4, 13), date(2016, 4, 30),
                                date(2016, 5, 1), date(2016, 8, 10), date(2017, 1, 1)])
def test_the_state_after_the_latest_step_dated_on_or_before_equals_the_replay(on):
    from app.policy.dibao_case import STATE_AFTER_ACTION, state_on

    latest = [a for a, d in [("apply", APPLIED), *STEPS] if d <= on][-1]
    assert state_on(STATE_AFTER_ACTION[latest], START, on) == state_after_steps(
        APPLIED, STEPS, START, on)
