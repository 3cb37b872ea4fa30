"""R6 lifecycle (clause 八): status on a date, the exit that may be retained, transitions."""

from datetime import date

import pytest

from app.policy.lifecycle import (
    LifecycleEvent,
    check_transition,
    current_exit,
    is_member_on,
    status_on,
)

REG = LifecycleEvent("register", date(2016, 3, 1), 1)
EXIT = LifecycleEvent("exit", date(2017, 6, 30), 2)
RETURN = LifecycleEvent("return", date(2018, 5, 1), 3)
REMOVE = LifecycleEvent("remove", date(2019, 1, 10), 4)
ALL = [REMOVE, RETURN, EXIT, REG]  # order given does not matter


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (date(2016, 2, 29), None),  # before registration
        (date(2016, 3, 1), "registered"),
        (date(2017, 6, 29), "registered"),
        (date(2017, 6, 30), "exited"),
        (date(2018, 4, 30), "exited"),
        (date(2018, 5, 1), "registered"),
        (date(2019, 1, 9), "registered"),
        (date(2019, 1, 10), "removed"),
        (date(2030, 1, 1), "removed"),
    ],
)
def test_status_on_a_date_from_events(on, expected):
    assert status_on(ALL, on) == expected


def test_status_with_no_events_is_none():
    assert status_on([], date(2020, 1, 1)) is None


def test_same_day_events_are_ordered_by_seq():
    events = [
        LifecycleEvent("remove", date(2016, 3, 1), 2),
        LifecycleEvent("register", date(2016, 3, 1), 1),
    ]
    assert status_on(events, date(2016, 3, 1)) == "removed"


def test_current_exit_while_exited():
    assert current_exit(ALL, date(2017, 6, 30)) == date(2017, 6, 30)
    assert current_exit(ALL, date(2018, 4, 30)) == date(2017, 6, 30)


def test_return_ends_the_retention():
    assert current_exit(ALL, date(2018, 5, 1)) is None


def test_no_current_exit_before_exit_or_after_removal():
    assert current_exit(ALL, date(2017, 6, 29)) is None
    assert current_exit([REG, EXIT, LifecycleEvent("remove", date(2018, 1, 1), 3)], date(2018, 1, 1)) is None
    assert current_exit([], date(2018, 1, 1)) is None


def test_second_exit_after_return_is_the_current_one():
    second = LifecycleEvent("exit", date(2019, 12, 31), 4)
    events = [REG, EXIT, RETURN, second]
    assert current_exit(events, date(2020, 6, 1)) == date(2019, 12, 31)


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        ([], "register"),
        ([REG], "exit"),
        ([REG], "remove"),
        ([REG, EXIT], "return"),
        ([REG, EXIT], "remove"),
        ([REG, EXIT, RETURN], "exit"),
    ],
)
def test_allowed_transitions(events, kind):
    assert check_transition(events, kind, date(2019, 1, 1)).ok


@pytest.mark.parametrize(
    ("events", "kind"),
    [
        ([], "exit"),  # exit when not registered
        ([], "return"),
        ([], "remove"),
        ([REG], "register"),
        ([REG], "return"),  # return when not exited
        ([REG, EXIT], "exit"),
        ([REG, EXIT], "register"),
        ([REG, REMOVE], "register"),  # anything after removed
        ([REG, REMOVE], "return"),
        ([REG, REMOVE], "exit"),
        ([REG, REMOVE], "remove"),
    ],
)
def test_invalid_transitions_are_refused(events, kind):
    decision = check_transition(events, kind, date(2020, 1, 1))
    assert not decision.ok
    assert decision.first_refusal.code == "household.lifecycle.invalid_transition"
    assert decision.first_refusal.reason.rule == "R6"


def test_event_dated_before_the_latest_event_is_refused():
    decision = check_transition([REG, EXIT], "return", date(2017, 6, 29))
    assert decision.first_refusal.code == "household.lifecycle.date_before_latest_event"


def test_event_on_the_same_day_as_the_latest_is_allowed():
    assert check_transition([REG], "remove", date(2016, 3, 1)).ok


def test_out_of_order_and_invalid_state_both_reported():
    decision = check_transition([REG], "return", date(2016, 1, 1))
    codes = [r.code for r in decision.refusals]
    assert codes == [
        "household.lifecycle.date_before_latest_event",
        "household.lifecycle.invalid_transition",
    ]


def test_unknown_event_kind_is_refused():
    decision = check_transition([REG], "pause", date(2017, 1, 1))
    assert decision.first_refusal.code == "household.lifecycle.unknown_kind"


def test_membership_runs_from_joining_to_the_day_before_leaving():
    joined, left = date(2016, 3, 1), date(2018, 3, 1)
    assert not is_member_on(joined, left, date(2016, 2, 29))
    assert is_member_on(joined, left, date(2016, 3, 1))
    assert is_member_on(joined, left, date(2018, 2, 28))
    assert not is_member_on(joined, left, date(2018, 3, 1))
    assert is_member_on(joined, None, date(2030, 1, 1))
