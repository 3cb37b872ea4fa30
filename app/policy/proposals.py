"""A1 staged identification and exit, A3 objections (clauses 八, 十四; POLICY.md section 11).

A proposal (register, exit, return or remove) moves
`proposed → appraised → publicised → reviewed → approved | rejected`, one step at a time, in
that order (村民代表评议 → 公示 → 乡镇审核 → 县复核审批). Each step has its officer, date and notes.

Choices made where the text is silent, kept consistent with the dibao publicity rule (D5,
app.policy.dibao_case):
- Publicity runs `publicity_start..publicity_end` counting both ends, so the 1st..7th is 7 days
  (accepted) and the 1st..6th is 6 (refused, A1). `publicity_end` is its last day.
- A decision (approve or reject) is taken from the day after the last day of publicity: on the
  last day an objection may still be raised. The town review may be recorded during publicity
  (the town checks the file); objections raised until the last day still block the decision.
- Both the approval and the rejection come after the town review: the order is strict.
- An objection is raised on a day of the publicity period (A3). While one is open no decision is
  taken; an objection settled as `upheld` blocks approval (the proposal can only be rejected).
- Several hands on purpose: whoever proposed never approves or rejects their own proposal.
- Step dates never go backwards and are never after today (the caller's business day, passed in:
  this module reads no clock).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.policy.dates import days_inclusive
from app.policy.reasons import Decision, Reason, Refusal, day

CLAUSE = "八"
KINDS = ("register", "exit", "return", "remove")
STATES = ("proposed", "appraised", "publicised", "reviewed", "approved", "rejected")
STEPS = ("appraise", "publicise", "review", "approve", "reject")
FINAL = ("approved", "rejected")
MIN_PUBLICITY_DAYS = 7
OUTCOMES = ("upheld", "dismissed")

_TRANSITIONS: dict[tuple[str, str], str] = {
    ("proposed", "appraise"): "appraised",
    ("appraised", "publicise"): "publicised",
    ("publicised", "review"): "reviewed",
    ("reviewed", "approve"): "approved",
    ("reviewed", "reject"): "rejected",
}


@dataclass(frozen=True, slots=True)
class ObjectionFacts:
    """An objection (异议): the day it was raised and, once settled, the outcome."""

    raised_on: date
    outcome: str | None = None  # None while open; "upheld" | "dismissed" once settled

    @property
    def open(self) -> bool:
        return self.outcome is None


def _no(rule: str, code: str, detail: str) -> Decision:
    r = Reason(rule, CLAUSE, detail)
    return Decision(False, (r,), (Refusal(code, r),))


def _yes(rule: str, detail: str) -> Decision:
    return Decision(True, (Reason(rule, CLAUSE, detail),))


def transition(state: str, step: str) -> Decision:
    """A1: the state after `step`, or a refusal when the step does not come next."""
    after = _TRANSITIONS.get((state, step))
    if after is None:
        expected = [s for (st, s) in _TRANSITIONS if st == state]
        nxt = " or ".join(expected) if expected else "nothing (the proposal is decided)"
        return _no("A1", "proposal.step_out_of_order",
                   f"a proposal that is {state} cannot be given the step {step!r}: next is {nxt}")
    return _yes("A1", f"{step}: {state} → {after}")


def state_after(step: str, state: str) -> str:
    """The state a valid step leads to (call `transition` first)."""
    return _TRANSITIONS[(state, step)]


def check_step_date(on: date, previous: date, today: date) -> Decision:
    """A1: a step is dated on or after the previous step (or the proposal) and not after today."""
    if on > today:
        return _no("A1", "proposal.date_in_future",
                   f"the step is dated {day(on)}, after today {day(today)}: a step is recorded "
                   "once it has happened")
    if on < previous:
        return _no("A1", "proposal.step_before_previous",
                   f"the step is dated {day(on)}, before the previous step of {day(previous)}")
    return _yes("A1", f"dated {day(on)}")


def check_publicity(start: date | None, end: date | None, appraised_on: date) -> Decision:
    """A1: publicity (公示) start..end counting both ends, at least 7 days, not before the
    village appraisal it makes public."""
    if start is None or end is None:
        return _no("A1", "proposal.publicity.incomplete",
                   "A1: the publicise step needs publicity_start and publicity_end")
    if end < start:
        return _no("A1", "proposal.publicity.end_before_start",
                   f"A1: publicity ends {day(end)} before it starts {day(start)}")
    if start < appraised_on:
        return _no("A1", "proposal.publicity.before_appraisal",
                   f"A1: publicity starts {day(start)}, before the appraisal of {day(appraised_on)}")
    days = days_inclusive(start, end)
    if days < MIN_PUBLICITY_DAYS:
        return _no("A1", "proposal.publicity.too_short",
                   f"A1: publicity {day(start)}..{day(end)} is {days} day(s); at least "
                   f"{MIN_PUBLICITY_DAYS} are needed (both ends count)")
    return _yes("A1", f"publicity (公示) {day(start)}..{day(end)}: {days} days")


def check_after_publicity(on: date, publicity_end: date | None, what: str) -> Decision:
    """A1: the decision comes from the day after publicity's last day."""
    if publicity_end is None:
        return _no("A1", "proposal.publicity.missing", f"no publicity recorded before the {what}")
    if on <= publicity_end:
        return _no("A1", "proposal.publicity_not_ended",
                   f"A1: publicity ends {day(publicity_end)}; the {what} may be taken from the "
                   f"next day, not {day(on)}")
    return _yes("A1", f"publicity ended {day(publicity_end)} before the {what} of {day(on)}")


def check_objections(objections: Iterable[ObjectionFacts], step: str) -> Decision:
    """A3: no decision while an objection is open; an upheld objection blocks approval."""
    items = list(objections)
    open_ = [o for o in items if o.open]
    if open_:
        return _no("A3", "proposal.objection_open",
                   f"A3: {len(open_)} objection(s) raised during publicity are not settled "
                   f"(first raised {day(min(o.raised_on for o in open_))}); settle them first")
    upheld = [o for o in items if o.outcome == "upheld"]
    if upheld and step == "approve":
        return _no("A3", "proposal.objection_upheld",
                   f"A3: {len(upheld)} objection(s) were upheld; the proposal can only be rejected")
    return _yes("A3", f"{len(items)} objection(s), none open")


def check_objection_raised(raised_on: date, state: str, publicity_start: date | None,
                           publicity_end: date | None) -> Decision:
    """A3: an objection is raised on a day of the publicity period, before the decision."""
    if state in FINAL:
        return _no("A3", "proposal.objection.decided", f"the proposal is already {state}")
    if publicity_start is None or publicity_end is None:
        return _no("A3", "proposal.objection.not_publicised",
                   "A3: objections are raised during publicity, and none has been recorded")
    if not publicity_start <= raised_on <= publicity_end:
        return _no("A3", "proposal.objection.outside_publicity",
                   f"A3: raised on {day(raised_on)}, outside the publicity "
                   f"{day(publicity_start)}..{day(publicity_end)}")
    return _yes("A3", f"raised on {day(raised_on)} during publicity")


def check_settlement(objection: ObjectionFacts, settled_on: date, today: date) -> Decision:
    """A3: an open objection is settled on or after the day it was raised, not after today."""
    if not objection.open:
        return _no("A3", "proposal.objection.already_settled", "the objection is already settled")
    if settled_on < objection.raised_on:
        return _no("A3", "proposal.objection.settled_before_raised",
                   f"settled on {day(settled_on)}, before it was raised on {day(objection.raised_on)}")
    if settled_on > today:
        return _no("A3", "proposal.date_in_future",
                   f"settled on {day(settled_on)}, after today {day(today)}")
    return _yes("A3", f"settled on {day(settled_on)}")


def check_decider(proposer: str, decider: str) -> Decision:
    """A1: the decision is taken by another hand than the proposal's."""
    if proposer == decider:
        return _no("A1", "proposal.own_proposal",
                   "A1: whoever proposed does not decide their own proposal")
    return _yes("A1", f"decided by {decider}, proposed by {proposer}")
