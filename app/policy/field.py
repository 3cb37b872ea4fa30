"""A5 field records (POLICY.md section 11): a visit is recorded by the helper who made it, on or
before today. A first secretary or a household cadre (a user who is a helper) records their own
visits only; an officer records a visit for any helper (from a paper record)."""

from __future__ import annotations

from datetime import date

from app.policy.reasons import Decision, Reason, Refusal, day

CLAUSE = "八"


def _no(code: str, detail: str) -> Decision:
    r = Reason("A5", CLAUSE, detail)
    return Decision(False, (r,), (Refusal(code, r),))


def visit_helper(caller_helper: object | None, given: object | None) -> object | None:
    """A5: the helper of the visit: a helper-user's own (given or not); else the one given."""
    return caller_helper if caller_helper is not None and given is None else given


def check_visit(caller_helper: object | None, helper: object | None, visited_on: date,
                today: date) -> Decision:
    """A5: a helper-user records only visits they made; no visit is dated after today."""
    if caller_helper is not None and helper != caller_helper:
        return _no("household.visit.not_own",
                   "A5: a first secretary or cadre records their own visits only")
    if visited_on > today:
        return _no("household.visit.date_in_future",
                   f"A5: the visit is dated {day(visited_on)}, after today {day(today)}")
    return Decision(True, (Reason("A5", CLAUSE, f"visit of {day(visited_on)}"),))
