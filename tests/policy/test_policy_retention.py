"""R7 two-year retention (clause 八; Civil Code arts. 201-202)."""

from datetime import date

import pytest

from app.policy.errors import PolicyError
from app.policy.retention import (
    DEFAULT_RETENTION_MONTHS,
    Retention,
    is_retained,
    retention_end,
    retention_reason,
)


def test_default_retention_is_24_months():
    assert DEFAULT_RETENTION_MONTHS == 24


def test_exit_on_june_30_retains_until_june_30_two_years_later():
    assert retention_end(date(2017, 6, 30), 24) == date(2019, 6, 30)


def test_exit_on_feb_29_retains_until_feb_28_two_years_later():
    assert retention_end(date(2016, 2, 29), 24) == date(2018, 2, 28)


def test_exit_on_jan_31_with_one_month_retention_ends_on_feb_28():
    assert retention_end(date(2017, 1, 31), 1) == date(2017, 2, 28)


def test_retention_length_is_data_passed_in():
    assert retention_end(date(2025, 3, 15), 12) == date(2026, 3, 15)
    assert retention_end(date(2017, 6, 30)) == date(2019, 6, 30)


def test_negative_retention_length_is_refused():
    with pytest.raises(PolicyError) as err:
        retention_end(date(2017, 6, 30), -1)
    assert err.value.code == "policy.retention.months"


def test_retained_on_the_retention_end_and_not_the_day_after():
    exit_date, end = date(2017, 6, 30), date(2019, 6, 30)
    assert is_retained(exit_date, end, date(2019, 6, 30))
    assert not is_retained(exit_date, end, date(2019, 7, 1))


def test_retained_from_the_exit_date_not_before():
    exit_date, end = date(2017, 6, 30), date(2019, 6, 30)
    assert is_retained(exit_date, end, date(2017, 6, 30))
    assert not is_retained(exit_date, end, date(2017, 6, 29))


def test_retention_value_and_its_reason():
    r = Retention.after_exit(date(2017, 6, 30))
    assert r.retention_end == date(2019, 6, 30)
    assert r.covers(date(2018, 1, 1)) and not r.covers(date(2019, 7, 1))
    assert r.as_dict() == {"exit_date": "2017-06-30", "retention_end": "2019-06-30"}
    reason = r.reason()
    assert (reason.rule, reason.clause) == ("R7", "八")
    assert reason.detail == "exited 2017-06-30; retained through 2019-06-30"
    assert retention_reason(date(2017, 6, 30), date(2019, 6, 30)) == reason
