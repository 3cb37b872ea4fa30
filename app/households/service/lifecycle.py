"""R6 lifecycle (八): exit with the household's signature, return to poverty, removal; R7
retention stored on the exit event."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import jsonable, record
from app.auth.principal import Principal
from app.decisions.record import Evaluation, line_version, record_decision
from app.errors import refusal_error
from app.events.service import emit
from app.households.facts import (
    HouseholdRecord,
    assessment_facts,
    assessment_on,
    lifecycle_events,
    retention_of_exit,
)
from app.households.schemas import EventOut, RetentionOut
from app.households.service import answers
from app.households.service.common import field_error, scoped_record, touch
from app.kit.dates import today
from app.kit.pagination import PageParams, paginate
from app.models.households import HouseholdEvent
from app.policy import lifecycle
from app.policy.income import assessment_in_force
from app.policy.reasons import Reason
from app.policy_lines.retention import retention_months_in_force
from app.policy_lines.service import line_in_force

HEAD = "02"


def event_out(e: HouseholdEvent) -> EventOut:
    retention = retention_of_exit(e) if e.kind == "exit" else None
    return EventOut(id=e.id, household_id=e.household_id, kind=e.kind, date=e.occurred_on,
                    seq=e.seq, officer=e.officer, officer_name=e.officer_name, reason=e.reason,
                    retention=RetentionOut(**retention.as_dict()) if retention else None,
                    payload=e.payload, created_at=e.created_at)


async def _append(session: AsyncSession, principal: Principal, rec: HouseholdRecord, kind: str,
                  on: date, reason: str | None, payload: dict, reasons: tuple[Reason, ...],
                  retention_months: int | None = None) -> HouseholdEvent:
    h = rec.household
    seq = max((e.seq for e in rec.events), default=0) + 1
    event = HouseholdEvent(household_id=h.id, seq=seq, kind=kind, occurred_on=on,
                           officer=principal.actor, officer_name=principal.name, reason=reason,
                           retention_months=retention_months,
                           payload={**payload, "reasons": [r.as_dict() for r in reasons]})
    session.add(event)
    await session.flush()
    touch(h)
    out = event_out(event).model_dump(exclude={"created_at"})
    await record(session, principal, f"household.{kind}", "household", h.id, after=out,
                 region_code=h.village_code)
    past = {"exit": "exited", "return": "returned", "remove": "removed"}[kind]
    await emit(session, f"household.{past}", "household", h.id, h.village_code, out)
    return event


def not_in_future(value: date | None, field: str, today: date) -> None:
    """A lifecycle fact is recorded when it has happened: a date after today is refused."""
    if value is not None and value > today:
        raise field_error(["body", field], "household.date_in_future",
                          f"{field} {value.isoformat()} is after today ({today.isoformat()})")


def _signer(rec: HouseholdRecord, member_id: uuid.UUID | None) -> lifecycle.SignerFacts | None:
    if member_id is None:
        return None
    m = rec.member(member_id)
    if m is None:
        raise field_error(["body", "signed_by_member_id"], "household.exit.signer_not_member",
                          "R6 (八): the signer is not a member of this household")
    return lifecycle.SignerFacts(person_id=m.id, birth_date=m.birth_date, is_head=m.relation == HEAD,
                                 joined_on=m.joined_on, left_on=m.left_on)


async def evaluate_exit(session: AsyncSession, rec: HouseholdRecord, data,
                        events: list[lifecycle.LifecycleEvent]) -> Evaluation:
    """R6/R5/R8/R7 on the facts recorded for the exit date: the rule's decision, the facts it
    was given and the policy data in force (the exit service and the replay both call this)."""
    on = data.exit_date
    signer = _signer(rec, data.signed_by_member_id)
    a = assessment_on(rec, on)
    line = await line_in_force(session, rec.household.village_code, on)
    target = await answers.target_on(session, rec.household.id, on)
    chosen = assessment_in_force(assessment_facts(rec), on)
    decision = lifecycle.check_exit(
        exit_date=on, assessment=chosen, persons=a.persons if a else 1, line=line, target=target,
        signer=signer, signed_on=data.signed_on, publicity_start=data.publicity_start,
        publicity_end=data.publicity_end, events=events)
    months = await retention_months_in_force(session, on)
    facts = {"date": on, "assessment": _assessment_fact(a), "persons": a.persons if a else None,
             "target": {"met": target.ok, "reasons": [r.as_dict() for r in target.reasons]},
             "signer": ({"member_id": signer.person_id, "is_head": signer.is_head,
                         "birth_date": signer.birth_date, "joined_on": signer.joined_on,
                         "left_on": signer.left_on} if signer else None),
             "signed_on": data.signed_on, "publicity_start": data.publicity_start,
             "publicity_end": data.publicity_end, "events": _event_facts(events)}
    return Evaluation(decision, jsonable(facts), {"poverty_line": line_version(line),
                                                  "retention_rule": {"months": months}})


def _assessment_fact(a) -> dict | None:
    if a is None:
        return None
    return {"id": str(a.id), "year": a.year, "version": a.version,
            "assessed_on": a.assessed_on.isoformat(), "net_income": str(a.net_income),
            "persons": a.persons}


def _event_facts(events) -> list[dict]:
    return [{"kind": e.kind, "on": e.on.isoformat(), "seq": e.seq} for e in events]


async def _decided(session: AsyncSession, principal: Principal, kind: str, event: HouseholdEvent,
                   rec: HouseholdRecord, ev: Evaluation, data) -> None:
    await record_decision(session, principal, kind=kind, subject_type="household_event",
                          subject_id=event.id, household_id=rec.household.id,
                          region_code=rec.household.village_code, decided_on=event.occurred_on,
                          evaluation=ev, outcome="approved",
                          params={"household_id": rec.household.id, "event_seq": event.seq,
                                  "body": data.model_dump(mode="json")})


async def exit_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                         data) -> EventOut:
    """R6 (八): exit needs income above the line (R8), the R5 target met, the signed confirmation
    of the head or an adult member dated on or before the exit, and publicity of ≥ 7 days if
    given. The retention length in force (R7) is stored on the event."""
    for value, field in ((data.exit_date, "exit_date"), (data.signed_on, "signed_on"),
                         (data.publicity_end, "publicity_end")):
        not_in_future(value, field, today())
    rec = await scoped_record(session, principal, household_id, lock=True)
    on = data.exit_date
    ev = await evaluate_exit(session, rec, data, lifecycle_events(rec))
    if not ev.decision.ok:
        raise refusal_error(ev.decision)
    a = assessment_on(rec, on)
    line = await line_in_force(session, rec.household.village_code, on)
    payload = {"signed_by_member_id": data.signed_by_member_id, "signed_on": data.signed_on,
               "publicity_start": data.publicity_start, "publicity_end": data.publicity_end,
               "assessment_id": a.id if a else None, "line": line.describe()}
    # R7: the retention length in force on the exit date, kept on the event so that a later
    # change of the rule never rewrites this exit.
    months = ev.versions["retention_rule"]["months"]
    event = await _append(session, principal, rec, "exit", on, data.reason,
                          jsonable(payload), ev.decision.reasons, retention_months=months)
    await _decided(session, principal, "exit", event, rec, ev, data)
    return event_out(event)


async def evaluate_return(session: AsyncSession, rec: HouseholdRecord, data,
                          events: list[lifecycle.LifecycleEvent]) -> Evaluation:
    """R6/R1/R8 on the facts recorded for the return date (the service and the replay)."""
    on = data.date
    chosen = assessment_in_force(assessment_facts(rec), on)
    row = next((a for a in rec.assessments if chosen and a.id == chosen.id), None)
    line = await line_in_force(session, rec.household.village_code, on)
    decision = lifecycle.check_return(chosen, line, row.persons if row else 1, on, events=events)
    facts = {"date": on, "assessment": _assessment_fact(row),
             "assessment_year": data.assessment_year, "events": _event_facts(events)}
    return Evaluation(decision, jsonable(facts), {"poverty_line": line_version(line)})


async def return_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                           data) -> EventOut:
    """R6 (八 返貧): the assessment in force on the date (R8) is at or below the line; the
    household is registered again (its retention ends). `assessment_year` names the year the
    officer relied on: it must be the year of the assessment in force, or the return is refused
    (an older, lower income cannot be chosen over the one in force)."""
    not_in_future(data.date, "date", today())
    rec = await scoped_record(session, principal, household_id, lock=True)
    on = data.date
    chosen = assessment_in_force(assessment_facts(rec), on)
    if chosen is not None and chosen.year != data.assessment_year:
        raise field_error(["body", "assessment_year"], "household.return.assessment_not_in_force",
                          f"R8: the assessment in force on {on.isoformat()} is of {chosen.year} "
                          f"(dated {chosen.assessed_on.isoformat()}), not of {data.assessment_year}")
    row = next((a for a in rec.assessments if chosen and a.id == chosen.id), None)
    ev = await evaluate_return(session, rec, data, lifecycle_events(rec))
    if not ev.decision.ok:
        raise refusal_error(ev.decision)
    line = await line_in_force(session, rec.household.village_code, on)
    payload = {"assessment_year": data.assessment_year, "assessment_id": row.id if row else None,
               "line": line.describe()}
    event = await _append(session, principal, rec, "return", on, data.reason, jsonable(payload),
                          ev.decision.reasons)
    await _decided(session, principal, "return", event, rec, ev, data)
    return event_out(event)


async def evaluate_remove(session: AsyncSession, rec: HouseholdRecord, data,
                          events: list[lifecycle.LifecycleEvent]) -> Evaluation:
    """R6 on the lifecycle recorded before the removal date (the service and the replay)."""
    decision = lifecycle.check_transition(events, "remove", data.date)
    return Evaluation(decision, jsonable({"date": data.date, "reason": data.reason,
                                          "events": _event_facts(events)}))


async def remove_household(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                           data) -> EventOut:
    """R6 (八): 注銷 from any state (wrongly identified, deceased, moved away, other)."""
    not_in_future(data.date, "date", today())
    rec = await scoped_record(session, principal, household_id, lock=True)
    ev = await evaluate_remove(session, rec, data, lifecycle_events(rec))
    if not ev.decision.ok:
        raise refusal_error(ev.decision)
    event = await _append(session, principal, rec, "remove", data.date, data.reason,
                          {"note": data.note}, ev.decision.reasons)
    await _decided(session, principal, "remove", event, rec, ev, data)
    return event_out(event)


async def list_events(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                      params: PageParams) -> tuple[list[EventOut], str | None]:
    """R6: the lifecycle history in order (date, then same-day order)."""
    await scoped_record(session, principal, household_id)
    stmt = select(HouseholdEvent).where(HouseholdEvent.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [HouseholdEvent.occurred_on, HouseholdEvent.seq],
                                  params)
    return [event_out(e) for e in rows], cursor
