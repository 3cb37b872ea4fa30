"""The workflow of a dibao case (D5) with the approval safeguards (D2, D5, D6)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import jsonable, record
from app.auth.principal import Principal
from app.config import Settings
from app.decisions.record import Evaluation, record_decision
from app.dibao import amounts
from app.dibao.cases import (
    field_error,
    load_case,
    matched_hashes,
    member_names,
    new_step,
    not_future,
    steps_of,
)
from app.dibao.facts import Facts, load_facts
from app.errors import Conflict, refusal_error
from app.events.service import emit
from app.models.accounts import User
from app.models.dibao import DibaoCase, DibaoCaseStep
from app.policy.dibao import DibaoError
from app.policy.dibao_case import (
    Check,
    check_approval,
    check_publicity,
    check_rejection,
    check_start_month,
    default_start_month,
    state_after_actions,
    state_on,
    transition,
)
from app.policy.errors import PolicyError
from app.policy.reasons import Decision, day


def transition_or_conflict(state: str, action: str) -> str:
    """(十四, D5) the next state; an out-of-order step is a conflict with the case's state."""
    try:
        return transition(state, action)
    except DibaoError as e:
        raise Conflict(e.code, e.detail) from e


class Workflow:
    """One step on a locked case: checks the order and the date, then appends the step."""

    def __init__(self, session: AsyncSession, principal: Principal, case: DibaoCase,
                 steps: list[DibaoCaseStep]) -> None:
        self.session, self.principal, self.case, self.steps = session, principal, case, steps

    @classmethod
    async def open(cls, session: AsyncSession, principal: Principal,
                   case_id: uuid.UUID) -> Workflow:
        case = await load_case(session, principal, case_id, lock=True)
        return cls(session, principal, case, await steps_of(session, case.id))

    def next_state(self, action: str, on: date, field: str) -> str:
        """The state after `action` on `on`: 422 dated after today, 409 out of order, 422 dated
        before the last step."""
        not_future(on, field, action)
        state = self.case.state
        if action in ("suspend", "resume", "terminate"):
            state = state_on(state, self.case.start_month, on)
        new = transition_or_conflict(state, action)
        last = self.steps[-1].on
        if on < last:
            raise field_error(field, "dibao.case.step_before_previous",
                              f"{day(on)} is before the case's previous step ({day(last)}): "
                              "steps are recorded in date order (D5)")
        if state == "active" and self.case.state == "approved":
            # (十四, D5) the case became active on its start month: record that step first.
            self.append("activate", max(self.case.start_month, last),
                        "active from the start month (D5)",
                        {"start_month": f"{self.case.start_month:%Y-%m}"})
        return new

    def append(self, action: str, on: date, reason: str | None,
               details: dict | None = None) -> DibaoCaseStep:
        step = new_step(self.case, self.steps[-1].seq + 1, action, on, self.principal, reason,
                        details)
        self.session.add(step)
        self.steps.append(step)
        return step

    async def save(self, state: str) -> None:
        self.case.state = state
        self.case.version += 1
        self.case.updated_at = datetime.now(UTC)
        await self.session.flush()

    async def facts(self) -> Facts:
        facts = await load_facts(self.session, [self.case])
        facts.steps[self.case.id] = self.steps
        return facts

    async def audit(self, action: str, after: dict) -> None:
        await record(self.session, self.principal, f"dibao.case.{action}", "dibao_case",
                     self.case.id, after=after, region_code=self.case.region_code)

    async def emit(self, type_: str, payload: dict) -> None:
        await emit(self.session, type_, "dibao_case", self.case.id, self.case.region_code,
                   {"case_id": self.case.id, "household_id": self.case.household_id, **payload})


async def record_check(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                       data) -> DibaoCase:
    """(十四, D5) one economic-status check: kind, pass or fail, its source and date."""
    wf = await Workflow.open(session, principal, case_id)
    new = wf.next_state("record_check", data.checked_on, "checked_on")
    details = {"kind": data.kind, "passed": data.passed, "source": data.source}
    wf.append("record_check", data.checked_on, data.reason, details)
    await wf.save(new)
    await wf.audit("check", {**details, "checked_on": data.checked_on})
    await wf.emit("dibao.case.checked", {**details, "checked_on": data.checked_on})
    return wf.case


async def publicise(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                    data) -> DibaoCase:
    """(十四, D5) the publicity period (公示), at least 7 days, start..end inclusive."""
    wf = await Workflow.open(session, principal, case_id)
    new = wf.next_state("publicise", data.start, "start")
    decision = check_publicity(data.start, data.end)
    if not decision.ok:
        raise refusal_error(decision)
    wf.case.publicity_start, wf.case.publicity_end = data.start, data.end
    details = {"start": data.start.isoformat(), "end": data.end.isoformat()}
    wf.append("publicise", data.start, data.reason, details)
    await wf.save(new)
    await wf.audit("publicise", details)
    await wf.emit("dibao.case.publicised", details)
    return wf.case


async def decide(session: AsyncSession, settings: Settings, principal: Principal,
                 case_id: uuid.UUID, data) -> DibaoCase:
    """(十四, D5, D6) approve (checks passed, publicity over, D2 true, no favouritism) or reject."""
    wf = await Workflow.open(session, principal, case_id)
    case = wf.case
    if data.decision == "reject":
        new = wf.next_state("reject", data.decided_on, "decided_on")
        approver = await _approver_ids(session, settings, principal)
        ev = await evaluate_rejection(session, case, wf.steps, await wf.facts(), data.decided_on,
                                      data.reason, approver)
        case.decided_on = data.decided_on
        step = wf.append("reject", data.decided_on, data.reason)
        await record_decision(session, principal, kind="dibao_rejection",
                              subject_type="dibao_case", subject_id=case.id,
                              household_id=case.household_id, region_code=case.region_code,
                              decided_on=data.decided_on, evaluation=ev, outcome="rejected",
                              params={"case_id": case.id, "step_seq": step.seq,
                                      "reason": data.reason, "approver": _hex(approver)})
        await wf.save(new)
        await wf.audit("reject", {"decided_on": data.decided_on, "reason": data.reason})
        await wf.emit("dibao.case.rejected", {"decided_on": data.decided_on})
        return case
    return await _approve(wf, settings, data)


async def evaluate_approval(session: AsyncSession, case: DibaoCase, steps: list[DibaoCaseStep],
                            facts: Facts, decided_on: date, approver: set[object]) -> Evaluation:
    """(十四, D2, D5, D6) the approval rule on the case's checks, publicity and facts on the
    decision date, with the standard in force (the approval and its replay both call this)."""
    d2 = amounts.d2_on(case, facts, decided_on)
    check_steps = [s for s in steps if s.action == "record_check"]
    matches = await matched_hashes(session, case.id)
    decision = check_approval(
        [Check(s.details["kind"], s.details["passed"]) for s in check_steps],
        case.publicity_end, decided_on, d2, case.flagged, approver,
        {s.officer for s in check_steps}, {bytes(m.id_hash) for m in matches})
    standard = amounts.standard_on(case, facts, decided_on)
    facts_used = {
        "date": decided_on,
        "checks": [{"kind": s.details["kind"], "passed": s.details["passed"], "on": s.on,
                    "officer": s.officer} for s in check_steps],
        "publicity_end": case.publicity_end, "flagged": case.flagged,
        "covered_persons": amounts.covered_on(case, facts, decided_on),
        "d2": {"eligible": d2.ok, "reasons": [r.as_dict() for r in d2.reasons]},
        "matched_persons": len(matches)}
    versions = {"dibao_standard": {"region_code": standard.region_code,
                                   "effective_from": standard.effective_from,
                                   "amount": str(standard.amount)}}
    return Evaluation(decision, jsonable(facts_used), jsonable(versions))


async def evaluate_rejection(session: AsyncSession, case: DibaoCase,
                             steps: list[DibaoCaseStep], facts: Facts, decided_on: date,
                             reason: str | None, approver: set[object]) -> Evaluation:
    """(十四, D5) a rejection on the steps before it, with the approval rule evaluated on the
    same facts for the record: whether the case could have been approved that day, and why not
    (the rejection and its replay both call this). A rule that cannot answer (no standard in
    force, no income) is recorded by its code."""
    state = state_after_actions(s.action for s in steps)
    decision = check_rejection(state, decided_on, reason or "")
    facts_used: dict = {"date": decided_on, "reason": reason, "state_before": state}
    versions: dict = {}
    try:
        approval = await evaluate_approval(session, case, steps, facts, decided_on, approver)
    except PolicyError as e:
        facts_used["approval_rule"] = {"answer": "unanswerable", "code": e.code}
    else:
        facts_used.update({k: v for k, v in approval.facts.items() if k != "date"})
        facts_used["approval_rule"] = {
            "answer": "allowed" if approval.decision.ok else "refused",
            "refusals": approval.refusal_codes()}
        versions = approval.versions
        decision = Decision(decision.ok, (*decision.reasons, *approval.decision.reasons),
                            decision.refusals)
    return Evaluation(decision, jsonable(facts_used), jsonable(versions))


def _hex(approver: set[object]) -> list[str]:
    return sorted(a.hex() if isinstance(a, bytes) else str(a) for a in approver)


async def _approver_ids(session: AsyncSession, settings: Settings,
                        principal: Principal) -> set[object]:
    """The approver's id and the hashes of their ID number (during a key rotation, under each
    key: the matched member's hash may be under the other key than the user's)."""
    approver: set[object] = {principal.actor}
    if principal.kind == "user":
        user = await session.get(User, principal.id)
        if user is not None and user.id_number_hash:
            if user.id_number_enc is None:
                approver.add(bytes(user.id_number_hash))
            else:
                ring = await pii.ring(session, settings)
                approver.update(ring.hashes_of(user.id_number_hash, user.id_number_enc))
    return approver


def _start_month(case: DibaoCase, data) -> date:
    """(D5) the grant's first month: the one asked, else the default after the decision."""
    try:
        start = (date.fromisoformat(data.start_month + "-01") if data.start_month
                 else default_start_month(data.decided_on))
    except (ValueError, OverflowError) as e:  # the schema's pattern should make this unreachable
        raise field_error("start_month", "dibao.decision.start_month_invalid",
                          f"{data.start_month!r} is not a month YYYY-MM (D5)") from e
    start_ok = check_start_month(start, case.applied_on)
    if not start_ok.ok:
        raise refusal_error(start_ok)
    return start


async def _approve(wf: Workflow, settings: Settings, data) -> DibaoCase:
    case, session, principal = wf.case, wf.session, wf.principal
    new = wf.next_state("approve", data.decided_on, "decided_on")
    start = _start_month(case, data)
    facts = await wf.facts()
    approver = await _approver_ids(session, settings, principal)
    ev = await evaluate_approval(session, case, wf.steps, facts, data.decided_on, approver)
    decision = ev.decision
    if not decision.ok:
        raise refusal_error(decision)
    case.decided_on, case.start_month = data.decided_on, start
    step = wf.append("approve", data.decided_on, data.reason, {
        "start_month": f"{start:%Y-%m}", "reasons": [r.as_dict() for r in decision.reasons]})
    await record_decision(session, principal, kind="dibao_approval", subject_type="dibao_case",
                          subject_id=case.id, household_id=case.household_id,
                          region_code=case.region_code, decided_on=data.decided_on,
                          evaluation=ev, outcome="approved",
                          params={"case_id": case.id, "step_seq": step.seq,
                                  "approver": _hex(approver)})
    periods = amounts.periods(case, facts)
    await wf.save(new)
    await _announce_approval(wf, data, start, periods[0] if periods else None)
    return case


async def _announce_approval(wf: Workflow, data, start: date, first) -> None:
    """The approval's audit row (with the D6 flag by name) and its events."""
    case, session, principal = wf.case, wf.session, wf.principal
    after: dict = {"decided_on": data.decided_on, "start_month": f"{start:%Y-%m}",
                   "reason": data.reason, "flagged": case.flagged}
    if case.flagged:
        # (十四, D6) the flag, the approver and the matched persons, by name.
        matches = await matched_hashes(session, case.id)
        names = await member_names(session, {m.member_id for m in matches})
        after["favouritism"] = {
            "rule": "D6", "approver": principal.name,
            "matched": [{"member_id": m.member_id, "name": names.get(m.member_id),
                         "role": m.role} for m in matches],
            "verifiers": sorted({s.officer_name for s in wf.steps if s.action == "record_check"}),
        }
    await wf.audit("approve", after)
    await wf.emit("dibao.case.approved", {"decided_on": data.decided_on,
                                          "start_month": f"{start:%Y-%m}",
                                          "flagged": case.flagged})
    await wf.emit("dibao.grant.started", {
        "start_month": f"{start:%Y-%m}",
        "covered_persons": None if first is None else first.covered_persons,
        "monthly_benefit": None if first is None else first.monthly_benefit})


async def change(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                 action: str, data) -> DibaoCase:
    """(十四, D5) suspend, resume or terminate a grant from a date, with the reason."""
    wf = await Workflow.open(session, principal, case_id)
    new = wf.next_state(action, data.on, "date")
    wf.append(action, data.on, data.reason)
    await wf.save(new)
    await wf.audit(action, {"on": data.on, "reason": data.reason})
    past = {"suspend": "suspended", "resume": "resumed", "terminate": "terminated"}[action]
    await wf.emit(f"dibao.case.{past}", {"on": data.on, "reason": data.reason})
    return wf.case

