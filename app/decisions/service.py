"""Reading decision records and replaying them on the facts as recorded now (row 34).

The replay calls the very evaluation the deciding service called (`evaluate_exit`, ...), with
the request as decided and the facts of the decision date as the registry holds them today
(lifecycle events before the decision's own event; a dibao case's steps before its decision;
the members of a change request as recorded now), and compares outcome, facts and
policy-data versions. `same` means a later correction would not have changed anything.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import jsonable
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, household_filter, household_in_scope, region_filter
from app.decisions.record import KINDS, Evaluation
from app.decisions.schemas import DecisionOut, Difference, ReplayOut
from app.households.facts import assessment_facts, lifecycle_events, load_record, members_on
from app.households.schemas import ExitIn, RemoveIn, ReturnIn
from app.households.service import lifecycle
from app.households.service.registry import evaluate_register
from app.kit.pagination import PageParams, paginate
from app.models.proposals import DecisionRecord
from app.policy.income import assessment_in_force
from app.policy_lines.service import line_in_force


def decision_out(row: DecisionRecord) -> DecisionOut:
    return DecisionOut.model_validate(row, from_attributes=True)


async def _scoped(session: AsyncSession, principal: Principal, decision_id: uuid.UUID) -> DecisionRecord:
    row = await session.get(DecisionRecord, decision_id)
    visible = row is not None and household_in_scope(principal, row.household_id)
    ensure_in_region(principal, row.region_code if visible else None, "decision")
    return row  # type: ignore[return-value]


async def get_decision(session: AsyncSession, principal: Principal,
                       decision_id: uuid.UUID) -> DecisionOut:
    return decision_out(await _scoped(session, principal, decision_id))


async def list_decisions(session: AsyncSession, principal: Principal, params: PageParams, *,
                         household_id: uuid.UUID | None,
                         kind: str | None) -> tuple[list[DecisionOut], str | None]:
    """Decision records in the caller's region, oldest first."""
    stmt = select(DecisionRecord).where(region_filter(principal, DecisionRecord.region_code),
                                        household_filter(principal, DecisionRecord.household_id))
    if household_id:
        stmt = stmt.where(DecisionRecord.household_id == household_id)
    if kind:
        stmt = stmt.where(DecisionRecord.kind == kind)
    rows, cursor = await paginate(session, stmt, [DecisionRecord.created_at, DecisionRecord.id],
                                  params)
    return [decision_out(r) for r in rows], cursor


async def _evaluate_lifecycle(session: AsyncSession, row: DecisionRecord) -> Evaluation:
    params = row.params
    rec = await load_record(session, uuid.UUID(params["household_id"]))
    events = [e for e in lifecycle_events(rec) if e.seq < params["event_seq"]]
    body = params["body"]
    on = row.decided_on
    if row.kind == "register":
        chosen = assessment_in_force(assessment_facts(rec), on)
        line = await line_in_force(session, rec.household.village_code, on)
        return evaluate_register(chosen, line, len(members_on(rec, on)), on)
    if row.kind == "exit":
        return await lifecycle.evaluate_exit(session, rec, ExitIn(**body), events)
    if row.kind == "return":
        return await lifecycle.evaluate_return(session, rec, ReturnIn(**body), events)
    return await lifecycle.evaluate_remove(session, rec, RemoveIn(**body), events)


async def _dibao_case_facts(session: AsyncSession, row: DecisionRecord):
    from app.dibao.cases import steps_of
    from app.dibao.facts import load_facts
    from app.models.dibao import DibaoCase

    case = await session.get(DibaoCase, uuid.UUID(row.params["case_id"]))
    steps = [s for s in await steps_of(session, case.id) if s.seq < row.params["step_seq"]]
    facts = await load_facts(session, [case])
    facts.steps[case.id] = steps
    # (a rejection recorded before its approver was kept: the decider's own id)
    approver = {bytes.fromhex(a) if ":" not in a else a
                for a in row.params.get("approver", [row.decided_by])}
    return case, steps, facts, approver


async def _evaluate_dibao_approval(session: AsyncSession, row: DecisionRecord) -> Evaluation:
    from app.dibao.workflow import evaluate_approval

    case, steps, facts, approver = await _dibao_case_facts(session, row)
    return await evaluate_approval(session, case, steps, facts, row.decided_on, approver)


async def _evaluate_dibao_rejection(session: AsyncSession, row: DecisionRecord) -> Evaluation:
    from app.dibao.workflow import evaluate_rejection

    case, steps, facts, approver = await _dibao_case_facts(session, row)
    return await evaluate_rejection(session, case, steps, facts, row.decided_on,
                                    row.params.get("reason", row.facts.get("reason")), approver)


async def _evaluate_change_request(session: AsyncSession, row: DecisionRecord) -> Evaluation:
    from app.changes.service import evaluate_acceptance
    from app.models.change_requests import ChangeRequest

    request = await session.get(ChangeRequest, uuid.UUID(row.params["change_request_id"]))
    return await evaluate_acceptance(session, request, row.decided_by, row.decided_on,
                                     replaying=True)


REPLAYERS = {"register": _evaluate_lifecycle, "exit": _evaluate_lifecycle,
             "return": _evaluate_lifecycle, "remove": _evaluate_lifecycle,
             "dibao_approval": _evaluate_dibao_approval,
             "dibao_rejection": _evaluate_dibao_rejection,
             "change_request": _evaluate_change_request}


def differences(recorded: Any, now: Any, path: str = "") -> list[Difference]:
    """Leaf-by-leaf differences between two JSON values (dicts by key, lists by position)."""
    if isinstance(recorded, dict) and isinstance(now, dict):
        out: list[Difference] = []
        for key in sorted(set(recorded) | set(now)):
            out += differences(recorded.get(key), now.get(key), f"{path}/{key}")
        return out
    if isinstance(recorded, list) and isinstance(now, list) and len(recorded) == len(now):
        out = []
        for i, (a, b) in enumerate(zip(recorded, now, strict=True)):
            out += differences(a, b, f"{path}/{i}")
        return out
    return [] if recorded == now else [Difference(path=path or "/", recorded=recorded, now=now)]


async def replay_decision(session: AsyncSession, principal: Principal,
                          decision_id: uuid.UUID) -> ReplayOut:
    """Evaluate the decision's rules again on the facts recorded now for its date."""
    row = await _scoped(session, principal, decision_id)
    ev = await REPLAYERS[row.kind](session, row)
    recorded_outcome = row.outcome
    now_outcome = KINDS[row.kind] if ev.decision.ok else "refused"
    diffs = differences({"outcome": recorded_outcome, "facts": row.facts,
                         "policy_versions": row.policy_versions},
                        {"outcome": now_outcome, "facts": jsonable(ev.facts),
                         "policy_versions": jsonable(ev.versions)})
    return ReplayOut(decision_id=row.id, result="same" if not diffs else "different",
                     recorded_outcome=recorded_outcome, replayed_outcome=now_outcome,
                     differences=diffs, replayed_reasons=[r.as_dict() for r in ev.decision.reasons],
                     refusals=ev.refusal_codes())
