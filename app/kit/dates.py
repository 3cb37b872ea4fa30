"""The business day: dates are Asia/Shanghai (the default of every `as_of`).

And the calendar the system accepts, in one place: every date is 1900-01-01..2099-12-31, and a
date that records something that happened (a registration, an assessment, a join or a leave, a
visit, a check...) is not after today. `date_problem` is the rule; app.kit.schemas turns it into
the `Day` and `PastDay` types that every schema and query parameter uses (and the importer, which
validates rows with the same schemas)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2099, 12, 31)


def today() -> date:
    return datetime.now(TZ).date()


def date_problem(value: date, *, past_event: bool, on: date) -> tuple[str, str] | None:
    """Why `value` is not an acceptable date (code, sentence), or None. `past_event`: the date of
    a fact that has happened, so not after `on` (today)."""
    if not FIRST_DAY <= value <= LAST_DAY:
        return ("date.out_of_range",
                f"{value.isoformat()} is outside {FIRST_DAY.isoformat()}..{LAST_DAY.isoformat()}")
    if past_event and value > on:
        return ("date.in_future",
                f"{value.isoformat()} is after today ({on.isoformat()}): record it once it happened")
    return None
