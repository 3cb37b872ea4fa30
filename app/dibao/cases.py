"""Dibao applications (D4, D6) and the workflow of a case (D5): checks, publicity, decision,
suspension, resumption, termination. Every step is a row with its date, officer and reason."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import get_scoped
from app.config import Settings
from app.errors import Conflict, Unprocessable, refusal_error
from app.events.service import emit
from app.households.facts import attributes_on, load_record, members_on, status_of
from app.kit.dates import today
from app.models.dibao import DibaoCase, DibaoCaseMatch, DibaoCaseStep
from app.models.households import Household, HouseholdMember
from app.pairings.lookup import roles_by_id_hash
from app.policy.dates import age_on
from app.policy.dibao import check_single_person, favouritism_matches
from app.policy.dibao_case import check_not_in_future
from app.policy.reasons import day

OPEN_INDEX = "uq_dibao_case_household_open"


def field_error(field: str, code: str, msg: str) -> Unprocessable:
    return Unprocessable(code, msg, errors=[{"loc": ["body", field], "msg": msg, "code": code}])


async def apply(session: AsyncSession, settings: Settings, principal: Principal,
                data) -> DibaoCase:
    """(十四, D4–D6) an application for a registered or exited household, or for one member
    alone."""
    household = await get_scoped(session, principal, Household, data.household_id, "household",
                                 region="village_code")
    not_future(data.applied_on, "applied_on", "application")
    rec = await load_record(session, household.id)
    _check_status(status_of(rec, data.applied_on), data.applied_on)
    members = members_on(rec, data.applied_on)
    if not members:
        raise Unprocessable("dibao.case.no_members",
                            f"the household has no member on {day(data.applied_on)}")
    covered = members
    if data.single_person_member_id is not None:
        covered = [_single_person(rec, data, members)]
    case = DibaoCase(id=uuid.uuid4(), household_id=household.id,
                     region_code=household.village_code,
                     single_person_member_id=data.single_person_member_id,
                     applied_on=data.applied_on,
                     declared_monthly_income=data.declared_monthly_income, state="applied",
                     flagged=False, version=1)
    # (十四, D6) "a member of the applying household": every member on the application date,
    # not only the covered person of a single-person case (D4).
    matches = await _favouritism(session, settings, members, data.applied_on)
    case.flagged = bool(matches)
    try:
        async with session.begin_nested():
            session.add(case)
            await session.flush()
    except IntegrityError as e:
        if OPEN_INDEX not in str(e.orig):
            raise
        raise Conflict("dibao.case.open_case_exists",
                       "the household already has an open or active dibao case (D5)") from e
    for member, role in matches:
        session.add(DibaoCaseMatch(case_id=case.id, member_id=member.id, id_hash=member.id_hash,
                                   role=role))
    session.add(new_step(case, 1, "apply", data.applied_on, principal, "application", {
        "covered_member_ids": [str(m.id) for m in covered]}))
    await session.flush()
    after = {"household_id": case.household_id, "applied_on": case.applied_on,
             "single_person_member_id": case.single_person_member_id,
             "declared_monthly_income": case.declared_monthly_income, "flagged": case.flagged}
    await record(session, principal, "dibao.case.apply", "dibao_case", case.id, after=after,
                 region_code=case.region_code)
    if matches:
        # (十四, D6) the flag and the matched persons' names are in the audit log.
        await record(session, principal, "dibao.case.flag", "dibao_case", case.id, after={
            "rule": "D6", "matched": [{"member_id": m.id, "name": m.name, "role": r}
                                      for m, r in matches]}, region_code=case.region_code)
    await emit(session, "dibao.case.applied", "dibao_case", case.id, case.region_code, {
        "case_id": case.id, "household_id": case.household_id, "applied_on": case.applied_on,
        "single_person_member_id": case.single_person_member_id, "flagged": case.flagged})
    return case


def not_future(on: date, field: str, what: str) -> None:
    """(十四, D5) no step dated after today (Asia/Shanghai): 422 dibao.case.date_in_future."""
    decision = check_not_in_future(on, today(), what.replace("_", " "))
    if not decision.ok:
        r = decision.refusals[0]
        raise field_error(field, r.code, f"{r.reason.rule} ({r.reason.clause}): {r.reason.detail}")


def _check_status(status: str | None, applied_on: date) -> None:
    """(十四; R6, R7) who may apply: a household registered OR exited on the application date.
    Dibao is means-tested cash assistance, which "follows only its own rules" (R7) and whose
    basis is always direct (E1): an exit (脫貧) does not bar an application, D2 decides. A
    household not yet registered on the date, or removed (注銷: wrongly identified, deceased,
    moved away), is not on the register and cannot apply."""
    if status is None:
        raise Unprocessable(
            "dibao.case.household_not_registered",
            f"the household is not yet registered on {day(applied_on)}; dibao cases are for "
            "households on the register, registered or exited (R6, clause 八)")
    if status == "removed":
        raise Unprocessable(
            "dibao.case.household_removed",
            f"the household is removed from the register (注銷) on {day(applied_on)}; dibao "
            "cases are for households on the register, registered or exited (R6, clause 八)")


def _single_person(rec, data, members: list[HouseholdMember]) -> HouseholdMember:
    """(十四, D4) adult on the application date, grade 1–2 disability, not employed."""
    member = next((m for m in members if m.id == data.single_person_member_id), None)
    if member is None:
        raise field_error("single_person_member_id", "dibao.case.member_not_in_household",
                     f"not a member of the household on {day(data.applied_on)}")
    if data.declared_monthly_income is None:
        raise field_error("declared_monthly_income", "dibao.case.declared_income_required",
                     "a single-person case (D4) covers one person whose own income is not the "
                     "household's assessment: give the verified monthly income")
    attrs = attributes_on(rec, member.id, data.applied_on)
    decision = check_single_person(
        age_on(member.birth_date, data.applied_on),
        None if attrs is None else attrs.disability_grade,
        False if attrs is None else attrs.stable_nonfarm_employment)
    if not decision.ok:
        raise refusal_error(decision)
    return member


async def _favouritism(session: AsyncSession, settings: Settings,
                       members: list[HouseholdMember], on: date):
    """(十四, D6) every (household member, role) whose ID number is a helper's, a first
    secretary's or a user's: all members on the application date, covered or not. During a key
    rotation the helper's or user's row may carry the number's hash under the other key than
    the member's: looked up under both, the roles found are the member's (by its stored hash)."""
    by_hash = {bytes(m.id_hash): m for m in members}
    ring = await pii.ring(session, settings)
    alias = {h: stored for stored, m in by_hash.items()
             for h in ring.hashes_of(m.id_hash, m.id_number_enc)}
    found_roles: dict[bytes, set[str]] = {}
    for h, r in (await roles_by_id_hash(session, set(alias), on)).items():
        found_roles.setdefault(alias[h], set()).update(r)
    found = favouritism_matches(
        [h.hex() for h in by_hash],
        [h.hex() for h, r in found_roles.items() if "helper" in r],
        [h.hex() for h, r in found_roles.items() if "first_secretary" in r],
        [h.hex() for h, r in found_roles.items() if "officer" in r])
    return [(by_hash[bytes.fromhex(m.id_hash)], m.role) for m in found]


def new_step(case: DibaoCase, seq: int, action: str, on: date, principal: Principal,
          reason: str | None, details: dict | None = None) -> DibaoCaseStep:
    return DibaoCaseStep(case_id=case.id, seq=seq, action=action, on=on,
                         officer=principal.actor, officer_name=principal.name, reason=reason,
                         details=details or {})


async def load_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                    *, lock: bool = False) -> DibaoCase:
    return await get_scoped(session, principal, DibaoCase, case_id, "dibao.case",
                            detail="No such dibao case.", lock=lock)


async def steps_of(session: AsyncSession, case_id: uuid.UUID) -> list[DibaoCaseStep]:
    rows = await session.scalars(select(DibaoCaseStep).where(DibaoCaseStep.case_id == case_id)
                                 .order_by(DibaoCaseStep.seq))
    return list(rows.all())


async def matched_hashes(session: AsyncSession, case_id: uuid.UUID) -> list[DibaoCaseMatch]:
    rows = await session.scalars(select(DibaoCaseMatch).where(DibaoCaseMatch.case_id == case_id)
                                 .order_by(DibaoCaseMatch.id))
    return list(rows.all())


async def member_names(session: AsyncSession, ids) -> dict[uuid.UUID, str]:
    rows = await session.execute(select(HouseholdMember.id, HouseholdMember.name)
                                 .where(HouseholdMember.id.in_(list(ids))))
    return dict(rows.all())
