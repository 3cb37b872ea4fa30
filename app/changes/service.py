"""A2 change requests (maker-checker): validate, check conflicts, decide, apply.

A request is checked when it is made by running the households services it will call in a
savepoint that is rolled back (so a bad value is refused at once, with the service's own code),
and applied for real when a different person of the approving level (`proposals:review`: the
town and above) accepts it, with the acceptor as the officer of the events and audit rows.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import jsonable, record
from app.auth.principal import Principal
from app.auth.scoping import get_scoped, household_filter, region_filter
from app.changes.schemas import ChangeRequestOut
from app.config import Settings
from app.decisions.record import Evaluation, record_decision
from app.errors import Forbidden, Unprocessable, refusal_error
from app.events.service import emit
from app.households.schemas import AssessmentCreate, CausesIn, HouseholdPatch, LeaveIn, MemberIn, MemberPatch
from app.households.service import assessments, members, registry
from app.kit import dates
from app.kit.pagination import PageParams, paginate
from app.kit.schemas import validation_code
from app.models.change_requests import ChangeRequest
from app.models.households import Household, HouseholdMember
from app.policy import change_requests as rules

APPROVING_SCOPE = "proposals:review"


def _bad(i: int, msg: str, code: str = "change_request.bad_change") -> Unprocessable:
    return Unprocessable(code, f"change {i}: {msg}",
                         errors=[{"loc": ["body", "changes", i], "msg": msg, "code": code}])


def _model(i: int, model, value):
    try:
        return model.model_validate(value)
    except ValidationError as e:
        raise Unprocessable("change_request.bad_change", f"change {i}: invalid value", errors=[
            {"loc": ["body", "changes", i, "value", *x["loc"]], "msg": x["msg"],
             "code": validation_code(x["type"])} for x in e.errors()]) from None


def plan(changes: list[dict[str, Any]], effective_from: date, member_ids: set[str],
         number_key: Callable[[str], str]) -> dict:
    """Group the changes into the service calls they become; answer the plan and the touches
    (a join touches the person's keyed ID-number hash, never the number)."""
    out: dict[str, Any] = {"household": {}, "attributes": {}, "joins": [], "leaves": {},
                           "assessments": [], "touches": []}
    for i, c in enumerate(changes):
        seg = c["path"].strip("/").split("/")
        op, value = c["op"], c.get("value")
        if len(seg) == 1 and seg[0] in rules.HOUSEHOLD_FIELDS and op == "replace":
            if seg[0] == "causes":
                _model(i, CausesIn, value)
            out["household"][seg[0]] = value
            out["touches"].append(f"/{seg[0]}")
        elif seg[0] == "members" and len(seg) == 2 and seg[1] == "-" and op == "add":
            joined = _model(i, MemberIn, {"joined_on": effective_from.isoformat(), **(value or {})})
            out["joins"].append(value)
            out["touches"].append(f"/members/+{number_key(joined.id_number)}")
        elif seg[0] == "members" and len(seg) in (2, 3) and seg[1] not in member_ids:
            raise _bad(i, f"{seg[1]} is not a current member of the household",
                       "change_request.member_unknown")
        elif seg[0] == "members" and len(seg) == 2 and op == "remove":
            leave = _model(i, LeaveIn, {"left_on": effective_from.isoformat(), **(value or {})})
            out["leaves"][seg[1]] = leave.model_dump(mode="json")
            out["touches"].append(f"/members/{seg[1]}")
        elif (seg[0] == "members" and len(seg) == 3 and seg[2] in rules.MEMBER_ATTRIBUTES
              and op == "replace"):
            out["attributes"].setdefault(seg[1], {})[seg[2]] = value
            out["touches"].append(f"/members/{seg[1]}/{seg[2]}")
        elif seg == ["assessments", "-"] and op == "add":
            a = _model(i, AssessmentCreate, value)
            out["assessments"].append(value)
            out["touches"].append(f"/assessments/{a.year}")
        else:
            raise _bad(i, f"{op} {c['path']} is not a change this registry takes")
    for attrs in out["attributes"].values():
        _model(0, MemberPatch, {**attrs, "effective_from": effective_from.isoformat()})
    if len(set(out["touches"])) != len(out["touches"]):
        raise Unprocessable("change_request.repeated_path", "a fact is changed twice in one request")
    return out


async def apply(session: AsyncSession, settings: Settings, principal: Principal, household_id,
                p: dict, effective_from: date) -> dict[str, Any]:
    """Apply a plan through the households services (the same as the direct endpoints)."""
    done: dict[str, Any] = {}
    if p["household"]:
        await registry.patch_household(session, settings, principal, household_id,
                                       HouseholdPatch.model_validate(p["household"]),
                                       lambda v: None, effective_from)
        done["household"] = sorted(p["household"])
    for mid, attrs in p["attributes"].items():
        body = MemberPatch.model_validate({**attrs, "effective_from": effective_from.isoformat()})
        await members.update_member(session, settings, principal, household_id, uuid.UUID(mid),
                                    body, lambda v: None)
    done["attributes"] = sorted(p["attributes"])
    joined = []
    for value in p["joins"]:
        body = MemberIn.model_validate({"joined_on": effective_from.isoformat(), **value})
        joined.append(str((await members.add_member(session, settings, principal, household_id,
                                                    body)).id))
    done["joined"] = joined
    for mid, leave in p["leaves"].items():
        await members.leave_member(session, settings, principal, household_id, uuid.UUID(mid),
                                   LeaveIn.model_validate(leave))
    done["left"] = sorted(p["leaves"])
    added = []
    for value in p["assessments"]:
        added.append(str((await assessments.add_assessment(
            session, principal, household_id, AssessmentCreate.model_validate(value))).id))
    done["assessments"] = added
    return done


def _number_key(ring: pii.Ring) -> Callable[[str], str]:
    return lambda number: ring.id_hash(number).hex()[:24]


def _open_touches(settings: Settings, number_key: Callable[[str], str],
                  row: ChangeRequest) -> list[str]:
    """An open request's touches, its joins keyed again from their sealed numbers: the key of a
    join is the number's hash under the current key, and the request may be from before a key
    rotation (its stored touches then name the old key's hash)."""
    again = [f"/members/+{number_key(pii.decrypt(settings, base64.b64decode(v['id_number_enc'])))}"
             for c in row.changes if c.get("path") == "/members/-"
             and isinstance(v := c.get("value"), dict) and "id_number_enc" in v]
    return [*row.touches, *again]


async def _household(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                     lock: bool = False) -> Household:
    return await get_scoped(session, principal, Household, household_id, "household",
                            region="village_code", household="id", lock=lock)


async def create(session: AsyncSession, settings: Settings, principal: Principal,
                 data) -> ChangeRequestOut:
    """A2: record a change request after checking it as the services would apply it."""
    # Lock the household so that two requests cannot pass the conflict check together.
    h = await _household(session, principal, data.household_id, lock=True)
    on = data.effective_from or dates.today()
    if on > dates.today():
        raise Unprocessable("change_request.date_in_future",
                            f"effective_from {on.isoformat()} is after today")
    current = {str(m) for m in (await session.scalars(select(HouseholdMember.id).where(
        HouseholdMember.household_id == h.id, HouseholdMember.left_on.is_(None)))).all()}
    changes = [c.model_dump(mode="json") for c in data.changes]
    key = _number_key(await pii.ring(session, settings))
    p = plan(changes, on, current, key)
    open_rows = (await session.scalars(select(ChangeRequest).where(
        ChangeRequest.household_id == h.id, ChangeRequest.state == "open"))).all()
    conflict = rules.check_no_conflict(
        p["touches"], {str(r.id): _open_touches(settings, key, r) for r in open_rows})
    if not conflict.ok:
        raise refusal_error(conflict, status=409)
    household_id, village = h.id, h.village_code  # the rollback below expires `h`
    savepoint = await session.begin_nested()
    try:
        await apply(session, settings, principal, household_id, p, on)
    finally:
        if savepoint.is_active:
            await savepoint.rollback()
    row = ChangeRequest(id=uuid.uuid4(), household_id=household_id, village_code=village,
                        changes=_seal_changes(settings, changes), touches=p["touches"],
                        reason=data.reason, effective_from=on, state="open",
                        proposed_by=principal.actor, proposed_by_name=principal.name, version=1)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    summary = {"household_id": household_id, "touches": p["touches"], "effective_from": on}
    await record(session, principal, "change_request.create", "change_request", row.id,
                 after=summary, region_code=village)
    await emit(session, "change_request.opened", "change_request", row.id, village,
               {"id": row.id, **summary})
    return out(settings, row)


def _seal_changes(settings: Settings, changes: list[dict]) -> list[dict]:
    """Joins carry an ID number: kept encrypted at rest (section 2), like members' numbers."""
    import base64

    from app import pii

    sealed = []
    for c in changes:
        if c["path"] == "/members/-" and isinstance(c.get("value"), dict) and "id_number" in c["value"]:
            v = dict(c["value"])
            v["id_number_enc"] = base64.b64encode(pii.encrypt(settings, v.pop("id_number"))).decode()
            c = {**c, "value": v}
        sealed.append(c)
    return sealed


def _unseal_changes(settings: Settings, changes: list[dict], *, masked: bool) -> list[dict]:
    import base64

    from app import pii
    from app.policy.ids import mask_id

    opened = []
    for c in changes:
        if isinstance(c.get("value"), dict) and "id_number_enc" in c["value"]:
            v = dict(c["value"])
            number = pii.decrypt(settings, base64.b64decode(v.pop("id_number_enc")))
            v["id_number"] = mask_id(number) if masked else number
            c = {**c, "value": v}
        opened.append(c)
    return opened


def out(settings: Settings, row: ChangeRequest) -> ChangeRequestOut:
    o = ChangeRequestOut.model_validate(row)
    return o.model_copy(update={"changes": _unseal_changes(settings, row.changes, masked=True)})


async def _scoped(session: AsyncSession, principal: Principal, request_id: uuid.UUID,
                  lock: bool = False) -> ChangeRequest:
    return await get_scoped(session, principal, ChangeRequest, request_id, "change_request",
                            region="village_code", household="household_id", lock=lock)


async def get(session: AsyncSession, settings: Settings, principal: Principal,
              request_id: uuid.UUID) -> ChangeRequestOut:
    return out(settings, await _scoped(session, principal, request_id))


async def list_requests(session: AsyncSession, settings: Settings, principal: Principal,
                        params: PageParams, *, household_id: uuid.UUID | None,
                        state: str | None) -> tuple[list[ChangeRequestOut], str | None]:
    stmt = select(ChangeRequest).where(region_filter(principal, ChangeRequest.village_code),
                                       household_filter(principal, ChangeRequest.household_id))
    if household_id:
        stmt = stmt.where(ChangeRequest.household_id == household_id)
    if state:
        stmt = stmt.where(ChangeRequest.state == state)
    rows, cursor = await paginate(session, stmt, [ChangeRequest.created_at, ChangeRequest.id],
                                  params)
    return [out(settings, r) for r in rows], cursor


async def evaluate_acceptance(session: AsyncSession, row: ChangeRequest, decider: str, on: date,
                              *, replaying: bool = False) -> Evaluation:
    """A2 on the request and the members it names as the household records them (the
    acceptance, before applying, and its replay both call this; the replay takes the request as
    it stood, open, and the members as recorded now)."""
    touched = rules.member_touches(row.touches)
    found = {str(m.id): m for m in (await session.scalars(select(HouseholdMember).where(
        HouseholdMember.household_id == row.household_id,
        HouseholdMember.id.in_([uuid.UUID(m) for m in touched])))).all()} if touched else {}
    standings = [rules.MemberStanding(mid, found[mid].joined_on if mid in found else None,
                                      found[mid].left_on if mid in found else None, leaving)
                 for mid, leaving in sorted(touched.items())]
    state = "open" if replaying else row.state
    decision = rules.check_acceptance(row.proposed_by, decider, state, standings,
                                      row.effective_from)
    facts = {"date": on, "state_before": "open" if replaying else row.state,
             "touches": row.touches, "effective_from": row.effective_from,
             "proposed_by": row.proposed_by, "decided_by": decider,
             "members": {m.member_id: {"joined_on": m.joined_on, "leaving": m.leaving,
                                       "member_on_date": rules.on_date(m, row.effective_from)}
                         for m in standings}}
    return Evaluation(decision, jsonable(facts))


async def decide(session: AsyncSession, settings: Settings, principal: Principal,
                 request_id: uuid.UUID, data) -> ChangeRequestOut:
    """A2: accept (apply through the services) or reject, never by the proposer."""
    first = await _scoped(session, principal, request_id)
    # the household first, then the request: the same lock order as `create`
    await _household(session, principal, first.household_id, lock=True)
    row = await _scoped(session, principal, request_id, lock=True)
    if not principal.has(APPROVING_SCOPE):
        raise Forbidden("auth.missing_scope",
                        f"Deciding a change request needs the scope {APPROVING_SCOPE}.")
    who = rules.check_decider(row.proposed_by, principal.actor, row.state)
    if not who.ok:
        code = who.first_refusal.code
        raise refusal_error(who, status=403 if code.endswith("own_request") else 409)
    today = dates.today()
    if data.decision == "accept":
        current = {str(m) for m in (await session.scalars(select(HouseholdMember.id).where(
            HouseholdMember.household_id == row.household_id,
            HouseholdMember.left_on.is_(None)))).all()}
        changes = _unseal_changes(settings, row.changes, masked=False)
        p = plan(changes, row.effective_from, current,
                 _number_key(await pii.ring(session, settings)))
        ev = await evaluate_acceptance(session, row, principal.actor, today)
        if not ev.decision.ok:
            raise refusal_error(ev.decision)
        row.result = jsonable(await apply(session, settings, principal, row.household_id, p,
                                          row.effective_from))
        decision = await record_decision(
            session, principal, kind="change_request", subject_type="change_request",
            subject_id=row.id, household_id=row.household_id, region_code=row.village_code,
            decided_on=today, evaluation=ev, outcome="accepted",
            params={"change_request_id": row.id}, entrance="change_request")
        row.result = {**row.result, "decision_id": str(decision.id)}
    row.state = "accepted" if data.decision == "accept" else "rejected"
    row.decided_by, row.decided_by_name = principal.actor, principal.name
    row.decided_at, row.decision_notes = datetime.now(UTC), data.notes
    row.version += 1
    await session.flush()
    summary = {"state": row.state, "notes": data.notes, "result": row.result}
    await record(session, principal, f"change_request.{data.decision}", "change_request", row.id,
                 after=summary, region_code=row.village_code)
    await emit(session, f"change_request.{row.state}", "change_request", row.id,
               row.village_code, {"id": row.id, "household_id": row.household_id, **summary})
    return out(settings, row)
