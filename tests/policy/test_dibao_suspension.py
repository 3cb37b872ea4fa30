"""D5 with D7: a suspension leaves whole months unpaid (a month is paid when the grant is not
suspended on its first day), shown as `suspended` periods paying 0.00; and the review flag of a
date is the flag then."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from app.policy.dibao import benefit_periods, review_period_on
from app.policy.dibao_case import suspended_months

FACTS = [(date(2016, 1, 1), D("500.00"), 3, D("1000.00"))]  # 1,500 − 1,000 = 500.00


def _rows(ps):
    return [(p.start, p.end, p.monthly_benefit, p.suspended) for p in ps]


@pytest.mark.parametrize(("suspend", "first_unpaid"), [
    (date(2016, 8, 1), date(2016, 8, 1)),    # on the 1st: that month is not paid
    (date(2016, 8, 2), date(2016, 9, 1)),    # the day after: the month had begun, it is paid
    (date(2016, 8, 31), date(2016, 9, 1)),   # the last day of the month
    (date(2016, 2, 29), date(2016, 3, 1)),   # 29 February
])
def test_suspended_months_start_on_the_first_month_not_begun(suspend, first_unpaid):
    assert suspended_months([("suspend", suspend)]) == [(first_unpaid, None)]


@pytest.mark.parametrize(("resume", "spans"), [
    (date(2016, 11, 1), [(date(2016, 9, 1), date(2016, 10, 31))]),  # the 1st: November paid
    (date(2016, 11, 2), [(date(2016, 9, 1), date(2016, 11, 30))]),  # later: from December
    (date(2016, 8, 20), []),  # suspended and resumed within August: no month unpaid
    (date(2016, 9, 1), []),   # resumed on the first unpaid month's 1st: nothing unpaid
])
def test_resumed_months_are_paid_from_the_first_month_not_begun(resume, spans):
    assert suspended_months([("suspend", date(2016, 8, 10)), ("resume", resume)]) == spans


def test_a_termination_ends_the_suspension_and_a_second_suspension_counts_again():
    steps = [("suspend", date(2016, 6, 1)), ("resume", date(2016, 7, 1)),
             ("suspend", date(2016, 9, 15)), ("terminate", date(2016, 12, 1))]
    assert suspended_months(steps) == [(date(2016, 6, 1), date(2016, 6, 30)),
                                       (date(2016, 10, 1), date(2016, 11, 30))]


def test_suspended_months_pay_nothing():
    spans = suspended_months([("suspend", date(2016, 8, 10)), ("resume", date(2016, 11, 1))])
    ps = benefit_periods(date(2016, 5, 1), FACTS, None, spans)
    assert _rows(ps) == [
        (date(2016, 5, 1), date(2016, 8, 31), D("500.00"), False),
        (date(2016, 9, 1), date(2016, 10, 31), D("0.00"), True),
        (date(2016, 11, 1), None, D("500.00"), False)]
    assert all(p.d2_ok for p in ps)  # suspension is no D2 failure
    assert ps[1].as_dict()["suspended"] is True


def test_a_change_inside_a_suspension_shows_in_the_suspended_and_the_resumed_periods():
    facts = [*FACTS, (date(2016, 10, 1), D("600.00"), 3, D("1000.00"))]
    spans = suspended_months([("suspend", date(2016, 9, 1))])
    ps = benefit_periods(date(2016, 5, 1), facts, date(2016, 12, 31), spans)
    assert [(p.start, p.end, p.standard, p.monthly_benefit, p.suspended) for p in ps] == [
        (date(2016, 5, 1), date(2016, 8, 31), D("500.00"), D("500.00"), False),
        (date(2016, 9, 1), date(2016, 9, 30), D("500.00"), D("0.00"), True),
        (date(2016, 10, 1), date(2016, 12, 31), D("600.00"), D("0.00"), True)]


def test_needs_review_is_the_flag_on_the_date():
    facts = [*FACTS, (date(2016, 12, 20), D("500.00"), 3, D("1600.00"))]  # D2 fails from 2017
    ps = benefit_periods(date(2016, 5, 1), facts, None)
    assert review_period_on(ps, date(2016, 12, 31)) is None
    assert review_period_on(ps, date(2017, 1, 1)) is ps[-1]
    assert review_period_on(ps, date(2016, 4, 30)) is None  # before the grant
