"""R6 household lifecycle (clause 八, "有進有出的動態管理"): events, status on a date, transitions.

registered (在冊) → exited (已脫貧) → registered again (返貧, a `return`); any state → removed
(注銷). The status on a date is derived from the events dated on or before it, ordered by
(date, seq); `seq` orders events of the same day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from app.policy.dates import age_on, days_inclusive
from app.policy.errors import NoLineInForce
from app.policy.income import AssessmentFacts, at_or_below_line
from app.policy.lines import LineVersion
from app.policy.reasons import Decision, Reason, Refusal, day

RULE = "R6"
CLAUSE = "八"
KINDS = ("register", "exit", "return", "remove")
ADULT_AGE = 18
MIN_PUBLICITY_DAYS = 7
_STATUS_AFTER = {
    "register": "registered",
    "return": "registered",
    "exit": "exited",
    "remove": "removed",
}
# Which event may follow which status (None = not yet registered).
_ALLOWED = {
    None: ("register",),
    "registered": ("exit", "remove"),
    "exited": ("return", "remove"),
    "removed": (),
}


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """One lifecycle event (R6): kind register|exit|return|remove, its date and same-day order."""

    kind: str
    on: date
    seq: int = 0


@dataclass(frozen=True, slots=True)
class SignerFacts:
    """Who signed an exit (八 "脫貧有農戶簽字確認"): head or member, birth date, membership dates.

    A person is a member on d when joined_on ≤ d and (left_on is None or d < left_on): the day
    someone leaves is their first day outside the household.
    """

    person_id: object
    birth_date: date
    is_head: bool
    joined_on: date
    left_on: date | None = None


def is_member_on(joined_on: date, left_on: date | None, on: date) -> bool:
    """Section 2 membership has dates: a member from joined_on up to the day before left_on."""
    return joined_on <= on and (left_on is None or on < left_on)


def _ordered(events: Iterable[LifecycleEvent]) -> list[LifecycleEvent]:
    return sorted(events, key=lambda e: (e.on, e.seq))


def status_on(events: Iterable[LifecycleEvent], on: date) -> str | None:
    """R6 (八): registered|exited|removed on `on` from events dated ≤ on; None before registration."""
    past = [e for e in _ordered(events) if e.on <= on]
    return _STATUS_AFTER[past[-1].kind] if past else None


def current_exit(events: Iterable[LifecycleEvent], on: date) -> date | None:
    """R7 (八): the exit whose retention may apply on `on` — the last event is an exit, else None.

    A later return ends the retention (the household is registered again) and a removal ends
    everything, so only an exit not followed by another event on or before `on` counts.
    """
    past = [e for e in _ordered(events) if e.on <= on]
    if past and past[-1].kind == "exit":
        return past[-1].on
    return None


def check_transition(events: Sequence[LifecycleEvent], kind: str, on: date) -> Decision:
    """R6 (八): the event `kind` on `on` must follow the latest event, from a state that allows it."""
    ordered = _ordered(events)
    refusals: list[Refusal] = []
    if kind not in KINDS:
        return _refuse("household.lifecycle.unknown_kind", f"unknown lifecycle event {kind!r}")
    if ordered and on < ordered[-1].on:
        last = ordered[-1]
        refusals.append(
            _refusal(
                "household.lifecycle.date_before_latest_event",
                f"{kind} on {day(on)} is dated before the latest event ({last.kind} on {day(last.on)})",
            )
        )
    state = _STATUS_AFTER[ordered[-1].kind] if ordered else None
    if kind not in _ALLOWED[state]:
        shown = state or "not registered"
        refusals.append(
            _refusal(
                "household.lifecycle.invalid_transition",
                f"cannot {kind} a household that is {shown}",
            )
        )
    if refusals:
        return Decision(False, tuple(r.reason for r in refusals), tuple(refusals))
    return Decision(
        True,
        (Reason(RULE, CLAUSE, f"{kind} on {day(on)} follows status {state or 'none'}"),),
    )


def check_register(
    assessment: AssessmentFacts | None,
    line: LineVersion,
    persons: int,
    registered_on: date,
    *,
    events: Sequence[LifecycleEvent] | None = None,
) -> Decision:
    """R6/R1 (二, 八): an assessment dated ≤ registration with per-capita income at/below the line."""
    return _check_entry("register", assessment, line, persons, registered_on, events)


def check_return(
    assessment: AssessmentFacts | None,
    line: LineVersion,
    persons: int,
    returned_on: date,
    *,
    events: Sequence[LifecycleEvent] | None = None,
) -> Decision:
    """R6/R1 (八 返貧): the assessment in force on the return date is at/below the line."""
    return _check_entry("return", assessment, line, persons, returned_on, events)


def _check_entry(
    kind: str,
    assessment: AssessmentFacts | None,
    line: LineVersion,
    persons: int,
    on: date,
    events: Sequence[LifecycleEvent] | None,
) -> Decision:
    if line.effective_from > on:
        raise NoLineInForce(line.region_code, on)
    reasons: list[Reason] = []
    refusals: list[Refusal] = []
    if events is not None:
        _merge(check_transition(events, kind, on), reasons, refusals)
    if assessment is None or assessment.assessed_on > on:
        refusals.append(
            _refusal(
                f"household.{kind}.no_assessment",
                f"no income assessment dated on or before {day(on)}",
            )
        )
    else:
        income = at_or_below_line(assessment.net_income, persons, line)
        reasons.append(
            Reason(
                RULE,
                CLAUSE,
                f"assessment of {assessment.year} (v{assessment.version}, "
                f"dated {day(assessment.assessed_on)})",
            )
        )
        reasons.extend(income.reasons)
        if not income.ok:
            code = income.refusals[0].code
            mapped = (
                f"household.{kind}.no_members"
                if code == "policy.income.no_persons"
                else f"household.{kind}.income_above_line"
            )
            refusals.append(Refusal(mapped, income.reasons[0]))
    reasons.extend(r.reason for r in refusals if r.reason not in reasons)
    return Decision(not refusals, tuple(reasons), tuple(refusals))


def check_exit(
    *,
    exit_date: date,
    assessment: AssessmentFacts | None,
    persons: int,
    line: LineVersion,
    target: Decision,
    signer: SignerFacts | None,
    signed_on: date | None,
    publicity_start: date | None = None,
    publicity_end: date | None = None,
    events: Sequence[LifecycleEvent] | None = None,
) -> Decision:
    """R6 (八): income above the line (R8), R5 target met, signed confirmation, publicity if given.

    `assessment` is the one in force on the exit date (`assessment_in_force`), `line` the line in
    force there, `target` the R5 decision on that date. Every refusal found is returned; the
    first is the headline. Publicity of "at least 7 days" counts both ends (1st..7th is 7 days)
    and must end on or before the exit date.
    """
    if line.effective_from > exit_date:
        raise NoLineInForce(line.region_code, exit_date)
    reasons: list[Reason] = []
    refusals: list[Refusal] = []
    if events is not None:
        _merge(check_transition(events, "exit", exit_date), reasons, refusals)
    # (八) income of the assessment in force on the exit date must be above the line.
    if assessment is None or assessment.assessed_on > exit_date:
        refusals.append(
            _refusal(
                "household.exit.no_assessment",
                f"no income assessment in force on {day(exit_date)}",
            )
        )
    else:
        income = at_or_below_line(assessment.net_income, persons, line)
        reasons.extend(income.reasons)
        if income.ok or income.refusals[0].code == "policy.income.no_persons":
            refusals.append(
                _refusal(
                    "household.exit.income_not_above_line",
                    f"exit needs income above the line: {income.reasons[0].detail}",
                )
            )
    # R5 target.
    reasons.extend(target.reasons)
    if not target.ok:
        refusals.append(
            _refusal(
                "household.exit.target_unmet",
                target.reasons[0].detail if target.reasons else "R5 target unmet",
            )
        )
    # (八) "脫貧有農戶簽字確認".
    refusals.extend(_signature_refusals(exit_date, signer, signed_on, reasons))
    refusals.extend(_publicity_refusals(exit_date, publicity_start, publicity_end, reasons))
    reasons.extend(r.reason for r in refusals if r.reason not in reasons)
    return Decision(not refusals, tuple(reasons), tuple(refusals))


def _signature_refusals(
    exit_date: date,
    signer: SignerFacts | None,
    signed_on: date | None,
    reasons: list[Reason],
) -> list[Refusal]:
    if signer is None or signed_on is None:
        return [
            _refusal(
                "household.exit.signature_required",
                "exit needs the household's signed confirmation (who and when)",
            )
        ]
    out: list[Refusal] = []
    if signed_on > exit_date:
        out.append(
            _refusal(
                "household.exit.signature_after_exit",
                f"signed on {day(signed_on)}, after the exit date {day(exit_date)}",
            )
        )
    for when, label in ((signed_on, "signing date"), (exit_date, "exit date")):
        if not is_member_on(signer.joined_on, signer.left_on, when):
            out.append(
                _refusal(
                    "household.exit.signer_not_member",
                    f"the signer is not a member of the household on the {label} {day(when)}",
                )
            )
            break
    if not signer.is_head:
        age = age_on(signer.birth_date, signed_on) if signer.birth_date <= signed_on else -1
        if age < ADULT_AGE:
            out.append(
                _refusal(
                    "household.exit.signer_not_adult",
                    f"the signer is neither the head nor an adult: age {max(age, 0)} on {day(signed_on)}",
                )
            )
    if not out:
        who = "the head" if signer.is_head else "an adult member"
        reasons.append(Reason(RULE, CLAUSE, f"signed by {who} on {day(signed_on)}"))
    return out


def _publicity_refusals(
    exit_date: date, start: date | None, end: date | None, reasons: list[Reason]
) -> list[Refusal]:
    if start is None and end is None:
        reasons.append(Reason(RULE, CLAUSE, "no village publicity (公示) recorded"))
        return []
    if start is None or end is None:
        return [
            _refusal(
                "household.exit.publicity_incomplete",
                "a publicity period needs both its start and its end",
            )
        ]
    out: list[Refusal] = []
    if end < start:
        out.append(
            _refusal(
                "household.exit.publicity_end_before_start",
                f"publicity ends {day(end)} before it starts {day(start)}",
            )
        )
    elif days_inclusive(start, end) < MIN_PUBLICITY_DAYS:
        out.append(
            _refusal(
                "household.exit.publicity_too_short",
                f"publicity {day(start)}..{day(end)} is {days_inclusive(start, end)} days, "
                f"fewer than {MIN_PUBLICITY_DAYS}",
            )
        )
    if end > exit_date:
        out.append(
            _refusal(
                "household.exit.publicity_after_exit",
                f"publicity ends {day(end)}, after the exit date {day(exit_date)}",
            )
        )
    if not out:
        reasons.append(
            Reason(
                RULE,
                CLAUSE,
                f"publicity (公示) {day(start)}..{day(end)}: {days_inclusive(start, end)} days",
            )
        )
    return out


def _merge(decision: Decision, reasons: list[Reason], refusals: list[Refusal]) -> None:
    if decision.ok:
        reasons.extend(decision.reasons)
    refusals.extend(decision.refusals)


def _refusal(code: str, detail: str) -> Refusal:
    return Refusal(code, Reason(RULE, CLAUSE, detail))


def _refuse(code: str, detail: str) -> Decision:
    refusal = _refusal(code, detail)
    return Decision(False, (refusal.reason,), (refusal,))
