"""Calendar arithmetic used by the rules (Civil Code arts. 201-202; whole-year ages)."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from app.policy.errors import PolicyError


def add_months_clamped(d: date, months: int) -> date:
    """Civil Code arts. 201-202: the same day `months` later, or that month's last day if none."""
    index = d.year * 12 + (d.month - 1) + months
    year, month0 = divmod(index, 12)
    month = month0 + 1
    if not 1 <= year <= 9999:
        raise PolicyError("policy.date.out_of_range", f"{d.isoformat()} + {months} months")
    last = calendar.monthrange(year, month)[1]
    return date(year, month, min(d.day, last))


def age_on(birth_date: date, on: date) -> int:
    """Section 3: age in whole years on `on`; a 29 February birthday counts as 1 March in common years.

    Tuple comparison of (month, day) gives exactly that: in a common year (2, 28) < (2, 29), so the
    person is not yet a year older on 28 February, and (3, 1) > (2, 29) makes them older on 1 March
    (the usual Chinese practice, and what the birthday-based age of the Civil Code art. 17 implies).
    """
    if on < birth_date:
        raise PolicyError(
            "policy.date.before_birth",
            f"{on.isoformat()} is before the birth date {birth_date.isoformat()}",
        )
    years = on.year - birth_date.year
    if (on.month, on.day) < (birth_date.month, birth_date.day):
        years -= 1
    return years


def latest_birth_date(on: date, years: int) -> date | None:
    """Section 3 read backwards: the latest birth date of someone at least `years` old on `on`
    (`age_on(b, on) >= years` exactly when `b <= latest_birth_date(on, years)`, for b <= on);
    None when nobody can be that old within the calendar."""
    if years <= 0:
        return on
    year = on.year - years
    if year < 1:
        return None
    try:
        return on.replace(year=year)
    except ValueError:  # 29 February asked in a common year: born 28 February is that old
        return date(year, 2, 28)


def first_of_month_on_or_after(d: date) -> date:
    """D7: the first day of the month on or after `d` (benefits change from a month's first day)."""
    if d.day == 1:
        return d
    return add_months_clamped(d.replace(day=1), 1)


def days_inclusive(start: date, end: date) -> int:
    """Length of the period start..end counting both ends (a publicity 1st..7th is 7 days)."""
    return (end - start).days + 1


def day_before(d: date) -> date:
    """The day before `d` (R7 looks at entitlements held on the day before the exit)."""
    return d - timedelta(days=1)
