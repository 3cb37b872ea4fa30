"""Calendar helpers: Civil Code arts. 201-202 month arithmetic, whole-year ages, month starts."""

from datetime import date

import pytest

from app.policy.dates import (
    add_months_clamped,
    age_on,
    day_before,
    days_inclusive,
    first_of_month_on_or_after,
)
from app.policy.errors import PolicyError


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (date(2017, 6, 30), 24, date(2019, 6, 30)),
        (date(2016, 2, 29), 24, date(2018, 2, 28)),
        (date(2016, 2, 29), 48, date(2020, 2, 29)),
        (date(2017, 1, 31), 1, date(2017, 2, 28)),
        (date(2016, 1, 31), 1, date(2016, 2, 29)),
        (date(2017, 3, 31), 1, date(2017, 4, 30)),
        (date(2017, 12, 15), 1, date(2018, 1, 15)),
        (date(2017, 5, 10), 0, date(2017, 5, 10)),
        (date(2018, 3, 31), -1, date(2018, 2, 28)),
        (date(2018, 1, 15), -13, date(2016, 12, 15)),
    ],
)
def test_add_months_keeps_the_day_or_clamps_to_the_month_end(start, months, expected):
    assert add_months_clamped(start, months) == expected


def test_add_months_out_of_calendar_range_is_a_policy_error():
    with pytest.raises(PolicyError) as err:
        add_months_clamped(date(9999, 12, 1), 1)
    assert err.value.code == "policy.date.out_of_range"


def test_age_turns_on_the_birthday_not_the_day_before():
    born = date(1966, 5, 12)
    assert age_on(born, date(2016, 5, 11)) == 49
    assert age_on(born, date(2016, 5, 12)) == 50


def test_age_on_the_birth_date_is_zero():
    assert age_on(date(2016, 3, 1), date(2016, 3, 1)) == 0


def test_age_of_feb_29_birthday_turns_on_march_1_in_common_years():
    born = date(2000, 2, 29)
    assert age_on(born, date(2018, 2, 28)) == 17
    assert age_on(born, date(2018, 3, 1)) == 18


def test_age_of_feb_29_birthday_turns_on_feb_29_in_leap_years():
    born = date(2000, 2, 29)
    assert age_on(born, date(2016, 2, 28)) == 15
    assert age_on(born, date(2016, 2, 29)) == 16


def test_age_before_birth_is_a_policy_error():
    with pytest.raises(PolicyError) as err:
        age_on(date(2016, 3, 2), date(2016, 3, 1))
    assert err.value.code == "policy.date.before_birth"


@pytest.mark.parametrize(
    ("d", "expected"),
    [
        (date(2018, 3, 1), date(2018, 3, 1)),
        (date(2018, 3, 2), date(2018, 4, 1)),
        (date(2018, 12, 31), date(2019, 1, 1)),
        (date(2016, 2, 29), date(2016, 3, 1)),
    ],
)
def test_first_of_month_on_or_after(d, expected):
    assert first_of_month_on_or_after(d) == expected


def test_days_inclusive_counts_both_ends():
    assert days_inclusive(date(2017, 6, 1), date(2017, 6, 7)) == 7
    assert days_inclusive(date(2017, 6, 1), date(2017, 6, 1)) == 1


def test_day_before_crosses_month_and_leap_day():
    assert day_before(date(2016, 3, 1)) == date(2016, 2, 29)
    assert day_before(date(2017, 1, 1)) == date(2016, 12, 31)


@pytest.mark.parametrize("on", [date(2024, 2, 29), date(2023, 2, 28), date(2023, 3, 1),
                                date(2024, 3, 1), date(2020, 12, 31), date(2021, 1, 1)])
@pytest.mark.parametrize("years", [0, 1, 3, 4, 16, 61])
def test_latest_birth_date_is_exactly_the_age_threshold_of_age_on(on, years):
    from datetime import timedelta

    from app.policy.dates import latest_birth_date
    bound = latest_birth_date(on, years)
    # every birth date in the five years around the bound: at least `years` old exactly up to it
    for offset in range(-5 * 366, 5 * 366):
        b = bound + timedelta(days=offset)
        if b <= on:
            assert (age_on(b, on) >= years) is (b <= bound), (b, on, years)


def test_latest_birth_date_before_the_calendar_is_none_and_age_zero_is_the_day_itself():
    from app.policy.dates import latest_birth_date
    assert latest_birth_date(date(2020, 1, 1), 2020) is None
    assert latest_birth_date(date(2020, 1, 1), 0) == date(2020, 1, 1)
    assert latest_birth_date(date(2020, 1, 1), -3) == date(2020, 1, 1)
