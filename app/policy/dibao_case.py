"""The dibao case workflow (clause 十四, D5) and the approval safeguards (D5, D6).

States: applied → verifying (checks recorded one by one) → publicised (公示, ≥ 7 days) →
approved | rejected; approved → active from its start month → suspended ⇄ active → terminated.

Choices made where the text is silent (see POLICY.md D5):
- A rejection may be decided from `applied`, `verifying` or `publicised`: publicity guards an
  approval against favouritism; an application that fails a check is turned down with written
  reasons and is not publicised first.
- An approval carries a start month. The stored state is `approved`; from the first day of the
  start month the case *is* active (`state_on` answers so), and the service may record the
  `activate` step then. Before that month it shows as `approved`.
- Checks are never overridden: one failed check blocks approval even if a later check of the same
  kind passed (a re-check cannot launder a failure; reject and apply again).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Protocol

from app.policy.dates import days_inclusive, first_of_month_on_or_after
from app.policy.dibao import CLAUSE, DibaoError
from app.policy.reasons import Decision, Reason, Refusal, day

STATES = (
    "applied",
    "verifying",
    "publicised",
    "approved",
    "rejected",
    "active",
    "suspended",
    "terminated",
)
ACTIONS = (
    "record_check",
    "publicise",
    "approve",
    "reject",
    "activate",
    "suspend",
    "resume",
    "terminate",
)

_TRANSITIONS: dict[tuple[str, str], str] = {
    ("applied", "record_check"): "verifying",
    ("verifying", "record_check"): "verifying",
    ("verifying", "publicise"): "publicised",
    ("publicised", "approve"): "approved",
    ("applied", "reject"): "rejected",
    ("verifying", "reject"): "rejected",
    ("publicised", "reject"): "rejected",
    ("approved", "activate"): "active",
    ("active", "suspend"): "suspended",
    ("suspended", "resume"): "active",
    ("approved", "terminate"): "terminated",
    ("active", "terminate"): "terminated",
    ("suspended", "terminate"): "terminated",
}


def _state_after_action() -> dict[str, str]:
    """Each action leads to one state whatever the state before it, so the state after a run of
    steps is the state after its last step: what lets a query derive `state_after_steps` from the
    latest step alone (the first step of a case, `apply`, leaves it `applied`)."""
    out = {"apply": "applied"}
    for (_, action), new in _TRANSITIONS.items():
        if out.setdefault(action, new) != new:
            raise AssertionError(f"{action} leads to more than one state")
    return out


STATE_AFTER_ACTION: dict[str, str] = _state_after_action()

CHECK_KINDS = ("deposits", "vehicles", "real_estate", "business", "other")
REQUIRED_CHECK_KINDS = ("deposits", "vehicles", "real_estate", "business")
PUBLICITY_MIN_DAYS = 7


def allowed_actions(state: str) -> tuple[str, ...]:
    """(十四, D5) the actions a case in `state` accepts, in workflow order."""
    _known(state, STATES, "state")
    return tuple(a for a in ACTIONS if (state, a) in _TRANSITIONS)


def transition(state: str, action: str) -> str:
    """(十四, D5) the state after `action`; an out-of-order step raises invalid_transition."""
    _known(state, STATES, "state")
    _known(action, ACTIONS, "action")
    new = _TRANSITIONS.get((state, action))
    if new is None:
        allowed = ", ".join(allowed_actions(state)) or "none"
        raise DibaoError(
            "dibao.case.invalid_transition",
            f"cannot {action} a case that is {state} (D5, clause 十四); allowed: {allowed}",
            "D5",
        )
    return new


def state_on(state: str, start_month: date | None, on: date) -> str:
    """(十四, D5) an approved case is active from the 1st of its start month on."""
    _known(state, STATES, "state")
    if state == "approved" and start_month is not None and on >= start_month:
        return "active"
    return state


def _known(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"unknown dibao case {what} {value!r}; one of {', '.join(allowed)}")


# --- checks, publicity, start month ---------------------------------------------------------


class CheckLike(Protocol):
    kind: str
    passed: bool


@dataclass(frozen=True, slots=True)
class Check:
    """(十四, D5) one economic-status check: kind, pass/fail, its source and date."""

    kind: str
    passed: bool
    source: str = ""
    checked_on: date | None = None


def check_checks(checks: Iterable[CheckLike]) -> Decision:
    """(十四, D5) no check failed, and deposits, vehicles, real estate, business each passed."""
    checks = list(checks)
    reasons: list[Reason] = []
    refusals: list[Refusal] = []
    for c in checks:
        if c.kind not in CHECK_KINDS:
            raise DibaoError("dibao.check.kind_unknown", f"unknown check kind {c.kind!r}")
        if not c.passed:
            r = Reason("D5", CLAUSE, f"the {c.kind} check failed")
            reasons.append(r)
            refusals.append(Refusal("dibao.approval.check_failed", r))
    passed = {c.kind for c in checks if c.passed}
    missing = [k for k in REQUIRED_CHECK_KINDS if k not in passed]
    if missing:
        r = Reason("D5", CLAUSE, f"no passing check recorded for: {', '.join(missing)}")
        reasons.append(r)
        refusals.append(Refusal("dibao.approval.check_missing", r))
    if not refusals:
        kinds = ", ".join(k for k in CHECK_KINDS if k in passed)
        reasons.append(
            Reason("D5", CLAUSE, f"{len(checks)} check(s) recorded, all passed: {kinds}")
        )
    return Decision(not refusals, tuple(reasons), tuple(refusals))


def check_publicity(start: date, end: date) -> Decision:
    """(十四, D5) a publicity period runs start..end inclusive and lasts at least 7 days."""
    if end < start:
        r = Reason("D5", CLAUSE, f"publicity ends {day(end)} before it starts {day(start)}")
        return Decision(False, (r,), (Refusal("dibao.publicity.end_before_start", r),))
    days = days_inclusive(start, end)
    ok = days >= PUBLICITY_MIN_DAYS
    r = Reason(
        "D5",
        CLAUSE,
        f"publicity {day(start)} to {day(end)}: {days} day(s)"
        + ("" if ok else f"; at least {PUBLICITY_MIN_DAYS} are needed"),
    )
    return Decision(ok, (r,), () if ok else (Refusal("dibao.publicity.too_short", r),))


def check_start_month(start_month: date, applied_on: date) -> Decision:
    """(十四, D5) the grant starts on the 1st of a month, not before the application's month."""
    if start_month.day != 1:
        r = Reason("D5", CLAUSE, f"start month {day(start_month)} is not the first day of a month")
        return Decision(False, (r,), (Refusal("dibao.decision.start_month_invalid", r),))
    earliest = applied_on.replace(day=1)
    if start_month < earliest:
        r = Reason(
            "D5",
            CLAUSE,
            f"start month {start_month:%Y-%m} is before the application month {applied_on:%Y-%m}",
        )
        return Decision(False, (r,), (Refusal("dibao.decision.start_before_application", r),))
    r = Reason("D5", CLAUSE, f"grant active from {day(start_month)}")
    return Decision(True, (r,))


def check_not_in_future(on: date, today: date, what: str = "step") -> Decision:
    """(十四, D5) a step records what happened: it is dated on or before `today` (the caller's
    business day, passed in: this module reads no clock). A decision dated ahead could "end" a
    publicity period that has not yet elapsed."""
    if on > today:
        r = Reason("D5", CLAUSE, f"the {what} is dated {day(on)}, after today {day(today)}: a "
                   "step of the case is recorded once it has happened")
        return Decision(False, (r,), (Refusal("dibao.case.date_in_future", r),))
    return Decision(True, (Reason("D5", CLAUSE, f"the {what} is dated {day(on)}"),))


def default_start_month(decision_date: date) -> date:
    """(十四, D7) with no start month given, the 1st of the month on or after the decision."""
    return first_of_month_on_or_after(decision_date)


# --- approval --------------------------------------------------------------------------------


def check_approval(
    checks: Iterable[CheckLike],
    publicity_end: date | None,
    decision_date: date,
    d2_decision: Decision,
    flagged: bool,
    approver_ids: Iterable[Hashable],
    verifier_ids: Iterable[Hashable],
    matched_person_ids: Iterable[Hashable],
) -> Decision:
    """(十四, D5–D6) checks passed, publicity over, D2 true on the decision date, no favouritism.

    `approver_ids` are every identifier of the approver (user id, ID-number hash), compared with
    the case's verifiers (whoever recorded a check) and with the matched persons of D6.
    """
    check = check_checks(checks)
    reasons = list(check.reasons)
    refusals = list(check.refusals)

    if publicity_end is None:
        r = Reason("D5", CLAUSE, "no publicity period recorded")
        refusals.append(Refusal("dibao.approval.publicity_missing", r))
    elif decision_date <= publicity_end:
        r = Reason(
            "D5",
            CLAUSE,
            f"publicity ends {day(publicity_end)}; a decision may be taken from the next day, "
            f"not {day(decision_date)}",
        )
        refusals.append(Refusal("dibao.approval.publicity_not_ended", r))
    else:
        r = Reason(
            "D5", CLAUSE, f"publicity ended {day(publicity_end)} before {day(decision_date)}"
        )
    reasons.append(r)

    reasons.extend(d2_decision.reasons)
    if not d2_decision.ok:
        r = Reason("D2", CLAUSE, f"not eligible on the decision date {day(decision_date)}")
        reasons.append(r)
        refusals.append(Refusal("dibao.approval.not_eligible", r))

    if flagged:
        approver = set(approver_ids)
        as_verifier = approver & set(verifier_ids)
        as_matched = approver & set(matched_person_ids)
        if as_verifier or as_matched:
            role = "a verifier of this case" if as_verifier else "the matched household member"
            if as_verifier and as_matched:
                role = "a verifier of this case and the matched household member"
            r = Reason(
                "D6",
                CLAUSE,
                f"flagged case (杜絕人情保、關系保): the approver is {role}",
            )
            refusals.append(Refusal("dibao.approval.conflict_of_interest", r))
        else:
            r = Reason(
                "D6",
                CLAUSE,
                "flagged case: approver is neither a verifier nor the matched person",
            )
        reasons.append(r)
    return Decision(not refusals, tuple(reasons), tuple(refusals))


# --- history ---------------------------------------------------------------------------------

def state_after_steps(
    applied_on: date, steps: Iterable[tuple[str, date]], start_month: date | None, on: date
) -> str | None:
    """(十四, D5) the case's state on `on`: its steps dated ≤ on replayed in order, then
    `state_on` (approved is active from the start month). None before the application."""
    if on < applied_on:
        return None
    state = "applied"
    for action, when in steps:
        if when > on:
            break  # steps are recorded in date order: the rest lie after `on`
        state = transition(state, action)
    return state_on(state, start_month, on)


def grant_active_on(
    start_month: date | None, steps: Iterable[tuple[str, date]], on: date
) -> bool:
    """(十四, D5) a decided grant covers `on` from its start month on, unless the latest suspend,
    resume or terminate step dated ≤ on is a suspension or the termination (each takes effect on
    its own date). The start month counts even when the decision came later (benefits are paid
    for the months from the start month on)."""
    if start_month is None or on < start_month:
        return False
    last: str | None = None
    for action, when in steps:
        if action in ("suspend", "resume", "terminate") and when <= on:
            last = action
    return last in (None, "resume")


def suspended_months(steps: Iterable[tuple[str, date]]) -> list[tuple[date, date | None]]:
    """(十四, D5, D7) the months a suspension leaves unpaid, as spans (first day, last day or
    None while the suspension lasts).

    Benefits are monthly, and a change of a grant counts from the first day of the month on or
    after it (D7): a month is paid when the grant is not suspended on its first day. So a
    suspension dated the 1st leaves that month unpaid, one dated later in the month leaves the
    month paid (it had begun) and the next ones unpaid; a resumption dated the 1st pays that
    month again, one dated later pays from the next month. A suspension and a resumption in the
    same month, after its first day, leave no month unpaid. A termination ends the grant
    (`grant_end`), and with it any suspension."""
    spans: list[tuple[date, date | None]] = []
    since: date | None = None
    for action, when in steps:
        if action == "suspend" and since is None:
            since = first_of_month_on_or_after(when)
        elif action in ("resume", "terminate") and since is not None:
            until = first_of_month_on_or_after(when)
            if until > since:
                spans.append((since, until - timedelta(days=1)))
            since = None
    if since is not None:
        spans.append((since, None))
    return spans



def state_after_actions(actions: Iterable[str]) -> str:
    """(十四, D5) the state a case's steps (in order, `apply` first) lead to."""
    state = "applied"
    for action in actions:
        if action != "apply":
            state = transition(state, action)
    return state


def check_rejection(state: str, decision_date: date, reason: str) -> Decision:
    """(十四, D5) a rejection is taken before the approval (from applied, verifying or
    publicised), with its reason."""
    try:
        transition(state, "reject")
    except DibaoError as e:
        r = Reason("D5", CLAUSE, f"no rejection on {day(decision_date)} from {state}: {e.detail}")
        return Decision(False, (r,), (Refusal(e.code, r),))
    r = Reason("D5", CLAUSE, f"rejected on {day(decision_date)} from {state}: {reason}")
    return Decision(True, (r,))
