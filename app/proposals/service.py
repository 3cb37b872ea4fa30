"""A1 staged proposals: propose, appraise, publicise, review, approve or reject (clause 八).

The rules of the household (R1, R5, R6, exit's signature) are checked by the households services
themselves: at the proposal in a savepoint that is rolled back (a dry run of the very function the
direct endpoint calls, on the proposal's date), and at the approval for real, on the decision's
date and the facts recorded then. An approved proposal therefore writes exactly what the direct
endpoint writes; its event and decision record name the proposal as their entrance.
"""

from __future__ import annotations

import base64
import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import jsonable, record
from app.auth.principal import Principal
from app.auth.scoping import (
    ensure_in_region,
    household_filter,
    household_in_scope,
    in_region,
    region_filter,
)
from app.config import Settings
from app.errors import Conflict, Forbidden, Unprocessable, refusal_error
from app.events.service import emit
from app.households.schemas import ExitIn, HouseholdIn, RemoveIn, ReturnIn
from app.households.service import lifecycle, registry
from app.kit import dates
from app.kit.pagination import PageParams, paginate
from app.kit.schemas import validation_code
from app.models.households import Household, HouseholdEvent
from app.models.proposals import DecisionRecord, Proposal, ProposalObjection, ProposalStep
from app.policy import ids
from app.policy import proposals as rules
from app.policy.reasons import Decision
from app.proposals.schemas import ObjectionOut, ProposalItem, ProposalOut, ProposalStepOut

MODELS = {"register": HouseholdIn, "exit": ExitIn, "return": ReturnIn, "remove": RemoveIn}
DATE_FIELD = {"register": "registered_on", "exit": "exit_date", "return": "date", "remove": "date"}
# Who may record each step (A1): the field and the town propose and record the village's steps,
# the town reviews, the district decides.
STEP_SCOPE = {"appraise": "proposals:write", "publicise": "proposals:write",
              "review": "proposals:review", "approve": "proposals:decide",
              "reject": "proposals:decide"}
OPEN = ("proposed", "appraised", "publicised", "reviewed")


def ensure(decision: Decision, status: int = 422) -> None:
    if not decision.ok:
        raise refusal_error(decision, status=status)


# --- payloads: the direct endpoint's body, ID numbers sealed at rest ------------------------


def _seal(settings: Settings, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """A register payload keeps its members' ID numbers encrypted (section 2: sensitive)."""
    if kind != "register":
        return payload
    members = []
    for m in payload.get("members", []):
        m = dict(m)
        number = m.pop("id_number")
        m["id_number_enc"] = base64.b64encode(pii.encrypt(settings, number)).decode()
        members.append(m)
    return {**payload, "members": members}


def _unseal(settings: Settings, kind: str, payload: dict[str, Any], *, masked: bool) -> dict:
    if kind != "register":
        return payload
    members = []
    for m in payload.get("members", []):
        m = dict(m)
        number = pii.decrypt(settings, base64.b64decode(m.pop("id_number_enc")))
        m["id_number"] = ids.mask_id(number) if masked else number
        members.append(m)
    return {**payload, "members": members}


def _body(kind: str, payload: dict[str, Any], on: date, village_code: str,
          publicity: tuple[date | None, date | None] = (None, None)):
    """The direct endpoint's body with the date of effect (and an exit's publicity) filled in."""
    data = {**payload, DATE_FIELD[kind]: on.isoformat()}
    if kind == "register":
        data["village_code"] = village_code
    if kind == "exit":
        data["publicity_start"] = publicity[0].isoformat() if publicity[0] else None
        data["publicity_end"] = publicity[1].isoformat() if publicity[1] else None
    try:
        return MODELS[kind].model_validate(data)
    except ValidationError as e:
        errors = [{"loc": ["body", "payload", *e_["loc"]], "msg": e_["msg"],
                   "code": validation_code(e_["type"])} for e_ in e.errors()]
        raise Unprocessable("proposal.payload_invalid",
                            f"the payload is not a valid {kind} body", errors=errors) from None


def _check_payload_fields(kind: str, payload: dict[str, Any]) -> None:
    """The date of effect is the decision's (and an exit's publicity the proposal's own)."""
    fixed = {DATE_FIELD[kind]} | ({"publicity_start", "publicity_end"} if kind == "exit" else set())
    given = sorted(fixed & set(payload))
    if given:
        raise Unprocessable("proposal.payload_fixed_field",
                            f"{', '.join(given)} is set by the proposal's steps, not the payload",
                            errors=[{"loc": ["body", "payload", f], "msg": "set by the steps",
                                     "code": "proposal.payload_fixed_field"} for f in given])


async def _apply(session: AsyncSession, settings: Settings, principal: Principal, p: Proposal,
                 data) -> tuple[uuid.UUID, uuid.UUID]:
    """Call the direct endpoint's service; answer (household id, lifecycle event id)."""
    if p.kind == "register":
        out = await registry.register_household(session, settings, principal, data)
        event_id = await session.scalar(select(HouseholdEvent.id).where(
            HouseholdEvent.household_id == out.id, HouseholdEvent.seq == 1))
        return out.id, event_id
    fn = {"exit": lifecycle.exit_household, "return": lifecycle.return_household,
          "remove": lifecycle.remove_household}[p.kind]
    event = await fn(session, principal, p.household_id, data)
    return event.household_id, event.id


async def _dry_run(session: AsyncSession, settings: Settings, principal: Principal,
                   p: Proposal, data) -> None:
    """The rules as the direct endpoint checks them, in a savepoint that is always undone."""
    savepoint = await session.begin_nested()
    try:
        await _apply(session, settings, principal, p, data)
    finally:
        if savepoint.is_active:
            await savepoint.rollback()


# --- reading ----------------------------------------------------------------------------


async def _scoped(session: AsyncSession, principal: Principal, proposal_id: uuid.UUID, *,
                  lock: bool = False) -> Proposal:
    stmt = select(Proposal).where(Proposal.id == proposal_id)
    if lock:
        stmt = stmt.with_for_update()
    p = (await session.scalars(stmt)).first()
    visible = p is not None and (household_in_scope(principal, p.household_id)
                                 or p.proposed_by == principal.actor)
    ensure_in_region(principal, p.village_code if visible else None, "proposal")
    return p  # type: ignore[return-value]


async def _steps(session: AsyncSession, proposal_id: uuid.UUID) -> list[ProposalStep]:
    return list((await session.scalars(select(ProposalStep).where(
        ProposalStep.proposal_id == proposal_id).order_by(ProposalStep.seq))).all())


async def _objections(session: AsyncSession, proposal_id: uuid.UUID) -> list[ProposalObjection]:
    return list((await session.scalars(select(ProposalObjection).where(
        ProposalObjection.proposal_id == proposal_id).order_by(
        ProposalObjection.raised_on, ProposalObjection.created_at))).all())


def step_out(s: ProposalStep) -> ProposalStepOut:
    return ProposalStepOut(seq=s.seq, step=s.step, state_after=s.state_after, date=s.on,
                   officer=s.officer, officer_name=s.officer_name, notes=s.notes,
                   publicity_start=s.publicity_start, publicity_end=s.publicity_end,
                   reasons=s.reasons, created_at=s.created_at)


async def proposal_out(session: AsyncSession, settings: Settings, principal: Principal,
                       p: Proposal) -> ProposalOut:
    steps = await _steps(session, p.id)
    objections = await _objections(session, p.id)
    payload = _unseal(settings, p.kind, p.payload, masked=True)
    return ProposalOut(
        id=p.id, kind=p.kind, household_id=p.household_id, village_code=p.village_code,
        payload=payload, state=p.state, proposed_on=p.proposed_on, proposed_by=p.proposed_by,
        proposed_by_name=p.proposed_by_name, publicity_start=p.publicity_start,
        publicity_end=p.publicity_end, result=p.result, steps=[step_out(s) for s in steps],
        objections=[ObjectionOut.model_validate(o) for o in objections], version=p.version,
        created_at=p.created_at)


async def get_proposal(session: AsyncSession, settings: Settings, principal: Principal,
                       proposal_id: uuid.UUID) -> ProposalOut:
    return await proposal_out(session, settings, principal,
                              await _scoped(session, principal, proposal_id))


async def list_proposals(session: AsyncSession, principal: Principal, params: PageParams, *,
                         state: str | None, kind: str | None,
                         household_id: uuid.UUID | None) -> tuple[list[ProposalItem], str | None]:
    stmt = select(Proposal).where(region_filter(principal, Proposal.village_code), or_(
        household_filter(principal, Proposal.household_id),
        Proposal.proposed_by == principal.actor))
    if state:
        stmt = stmt.where(Proposal.state == state)
    if kind:
        stmt = stmt.where(Proposal.kind == kind)
    if household_id:
        stmt = stmt.where(Proposal.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [Proposal.id], params)
    return [ProposalItem.model_validate(r) for r in rows], cursor


# --- writing ----------------------------------------------------------------------------


async def _household_of(session: AsyncSession, principal: Principal, data) -> None:
    if data.kind == "register":
        if data.household_id is not None:
            raise Unprocessable("proposal.household_not_expected",
                                "a registration proposal names no household: it creates one")
        return
    if data.household_id is None:
        raise Unprocessable("proposal.household_required", f"a {data.kind} proposal names a household",
                            errors=[{"loc": ["body", "household_id"], "msg": "required",
                                     "code": "field.required"}])
    village = await session.scalar(select(Household.village_code).where(
        Household.id == data.household_id))
    ensure_in_region(principal, village if household_in_scope(principal, data.household_id)
                     else None, "household")
    if village != data.village_code:
        raise Unprocessable("proposal.village_mismatch",
                            f"the household lies in village {village}, not {data.village_code}")
    open_ = await session.scalar(select(Proposal.id).where(
        Proposal.household_id == data.household_id, Proposal.state.in_(OPEN)).limit(1))
    if open_ is not None:
        raise Conflict("proposal.already_open",
                       f"proposal {open_} for this household is not decided yet",
                       extra={"proposal_id": str(open_)})


async def create_proposal(session: AsyncSession, settings: Settings, principal: Principal,
                          data) -> ProposalOut:
    """A1: record a proposal after checking it as the direct endpoint would, on its date."""
    if not in_region(principal, data.village_code):
        raise Unprocessable("proposal.village_unknown",
                            f"{data.village_code} is not a village in your region")
    await _household_of(session, principal, data)
    on = data.proposed_on or dates.today()
    ensure(rules.check_step_date(on, on, dates.today()))
    _check_payload_fields(data.kind, data.payload)
    p = Proposal(id=uuid.uuid4(), kind=data.kind, household_id=data.household_id,
                 village_code=data.village_code, state="proposed", proposed_on=on,
                 proposed_by=principal.actor, proposed_by_name=principal.name, version=1)
    body = _body(data.kind, data.payload, on, data.village_code)
    await _dry_run(session, settings, principal, p, body)
    p.payload = _seal(settings, data.kind, jsonable(data.payload))
    session.add(p)
    await session.flush()
    session.add(ProposalStep(
        proposal_id=p.id, seq=1, step="propose", state_after="proposed", on=on,
        officer=principal.actor, officer_name=principal.name, notes=data.notes,
        reasons=[{"rule": "A1", "clause": rules.CLAUSE,
                  "detail": f"checked as of {on.isoformat()} by the {data.kind} rules: allowed"}]))
    await session.flush()
    summary = {"kind": p.kind, "household_id": p.household_id, "village_code": p.village_code,
               "proposed_on": on}
    await record(session, principal, "proposal.create", "proposal", p.id, after=summary,
                 region_code=p.village_code)
    await emit(session, "proposal.proposed", "proposal", p.id, p.village_code,
               {"id": p.id, **summary})
    return await proposal_out(session, settings, principal, p)


async def _decide(session: AsyncSession, settings: Settings, principal: Principal, p: Proposal,
                  on: date) -> dict[str, Any]:
    """Approval: the direct service, for real, on the decision date (rules checked again)."""
    payload = _unseal(settings, p.kind, p.payload, masked=False)
    body = _body(p.kind, payload, on, p.village_code, (p.publicity_start, p.publicity_end))
    household_id, event_id = await _apply(session, settings, principal, p, body)
    event = await session.get(HouseholdEvent, event_id)
    event.payload = {**event.payload, "entrance": "proposal", "proposal_id": str(p.id)}
    decision = (await session.scalars(select(DecisionRecord).where(
        DecisionRecord.subject_type == "household_event",
        DecisionRecord.subject_id == event_id))).first()
    if decision is not None:
        decision.entrance, decision.proposal_id = "proposal", p.id
    return {"household_id": str(household_id), "event_id": str(event_id),
            "decision_id": str(decision.id) if decision else None}


async def add_step(session: AsyncSession, settings: Settings, principal: Principal,
                   proposal_id: uuid.UUID, data) -> ProposalOut:
    """A1: the next step, in order, dated after the previous one; A3 before a decision."""
    p = await _scoped(session, principal, proposal_id, lock=True)
    need = STEP_SCOPE[data.step]
    if not principal.has(need):
        raise Forbidden("auth.missing_scope", f"The step {data.step} needs the scope {need}.")
    moved = rules.transition(p.state, data.step)
    ensure(moved, status=409)
    steps = await _steps(session, p.id)
    ensure(rules.check_step_date(data.date, steps[-1].on, dates.today()))
    reasons: list[dict] = [r.as_dict() for r in moved.reasons]
    if data.step == "publicise":
        pub = rules.check_publicity(data.publicity_start, data.publicity_end, steps[-1].on)
        ensure(pub)
        reasons += [r.as_dict() for r in pub.reasons]
        p.publicity_start, p.publicity_end = data.publicity_start, data.publicity_end
    elif data.publicity_start is not None or data.publicity_end is not None:
        raise Unprocessable("proposal.publicity_not_this_step",
                            "publicity dates belong to the publicise step")
    if data.step in ("approve", "reject"):
        ensure(rules.check_decider(p.proposed_by, principal.actor), status=403)
        after = rules.check_after_publicity(data.date, p.publicity_end, "decision")
        ensure(after)
        reasons += [r.as_dict() for r in after.reasons]
        facts = [rules.ObjectionFacts(o.raised_on, o.outcome)
                 for o in await _objections(session, p.id)]
        objections = rules.check_objections(facts, data.step)
        ensure(objections, status=409)
        reasons += [r.as_dict() for r in objections.reasons]
    before = p.state
    p.state = rules.state_after(data.step, p.state)
    if data.step == "approve":
        p.result = await _decide(session, settings, principal, p, data.date)
        if p.kind == "register":
            p.household_id = uuid.UUID(p.result["household_id"])
    p.version += 1
    p.updated_at = func.now()
    session.add(ProposalStep(
        proposal_id=p.id, seq=steps[-1].seq + 1, step=data.step, state_after=p.state,
        on=data.date, officer=principal.actor, officer_name=principal.name, notes=data.notes,
        publicity_start=data.publicity_start, publicity_end=data.publicity_end, reasons=reasons))
    await session.flush()
    summary = {"step": data.step, "date": data.date, "state": p.state, "from": before,
               "result": p.result}
    await record(session, principal, f"proposal.{data.step}", "proposal", p.id, after=summary,
                 region_code=p.village_code)
    await emit(session, f"proposal.{p.state}", "proposal", p.id, p.village_code,
               {"id": p.id, "kind": p.kind, "household_id": p.household_id, **summary})
    return await proposal_out(session, settings, principal, p)


# --- objections (A3) ----------------------------------------------------------------------


async def add_objection(session: AsyncSession, principal: Principal, proposal_id: uuid.UUID,
                        data) -> ObjectionOut:
    p = await _scoped(session, principal, proposal_id, lock=True)
    ensure(rules.check_step_date(data.raised_on, data.raised_on, dates.today()))
    ensure(rules.check_objection_raised(data.raised_on, p.state, p.publicity_start,
                                        p.publicity_end), status=409)
    o = ProposalObjection(id=uuid.uuid4(), proposal_id=p.id, raised_by=data.raised_by,
                          raised_on=data.raised_on, grounds=data.grounds,
                          recorded_by=principal.actor)
    session.add(o)
    await session.flush()
    await session.refresh(o)
    out = ObjectionOut.model_validate(o)
    await record(session, principal, "proposal.objection.raise", "proposal", p.id,
                 after=out.model_dump(exclude={"created_at"}), region_code=p.village_code)
    await emit(session, "proposal.objection.raised", "proposal", p.id, p.village_code,
               {"id": o.id, "proposal_id": p.id, "raised_on": o.raised_on})
    return out


async def list_objections(session: AsyncSession, principal: Principal,
                          proposal_id: uuid.UUID) -> list[ObjectionOut]:
    p = await _scoped(session, principal, proposal_id)
    return [ObjectionOut.model_validate(o) for o in await _objections(session, p.id)]


async def settle_objection(session: AsyncSession, principal: Principal, proposal_id: uuid.UUID,
                           objection_id: uuid.UUID, data) -> ObjectionOut:
    p = await _scoped(session, principal, proposal_id, lock=True)
    o = await session.get(ProposalObjection, objection_id, with_for_update=True)
    if o is None or o.proposal_id != p.id:
        ensure_in_region(principal, None, "objection")
    settled = rules.check_settlement(rules.ObjectionFacts(o.raised_on, o.outcome),
                                     data.settled_on, dates.today())
    already = settled.first_refusal and settled.first_refusal.code.endswith("already_settled")
    ensure(settled, status=409 if already else 422)
    o.outcome, o.settled_on, o.settlement = data.outcome, data.settled_on, data.notes
    o.settled_by = principal.actor
    await session.flush()
    out = ObjectionOut.model_validate(o)
    await record(session, principal, "proposal.objection.settle", "proposal", p.id,
                 after=out.model_dump(exclude={"created_at"}), region_code=p.village_code)
    await emit(session, "proposal.objection.settled", "proposal", p.id, p.village_code,
               {"id": o.id, "proposal_id": p.id, "outcome": o.outcome})
    return out
