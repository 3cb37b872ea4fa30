"""Shared helpers of the household services: scoping, versions, ID numbers, presentation."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_household_visible, in_region
from app.config import Settings
from app.errors import Conflict, Unprocessable
from app.households.facts import HouseholdRecord, attributes_on, load_record
from app.households.schemas import AssessmentOut, DisabilityOut, MemberOut
from app.models.households import Household, HouseholdAssessment, HouseholdMember
from app.policy import ids
from app.policy.errors import InvalidIdNumber
from app.policy.income import per_capita_income
from app.policy.lifecycle import is_member_on

CURRENT_ID_INDEX = "uq_household_member_current_id_hash"


def field_error(loc: list[Any], code: str, msg: str, status: int = 422) -> Unprocessable:
    return Unprocessable(code, msg, status=status, errors=[{"loc": loc, "msg": msg, "code": code}])


async def scoped_record(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                        *, lock: bool = False) -> HouseholdRecord:
    """The household's record, or 404 when it does not exist or lies outside the caller's region."""
    village = await session.scalar(select(Household.village_code).where(Household.id == household_id))
    ensure_household_visible(principal, household_id, village)
    return await load_record(session, household_id, lock=lock)


def touch(household: Household) -> None:
    """Every change to a household or its members bumps its version (the ETag)."""
    household.version += 1
    household.updated_at = func.now()


def parse_id(number: str, loc: list[Any], on: date | None = None) -> ids.ParsedId:
    """Section 2 (GB 11643): a valid number or 422 with the id_number.* code at `loc`."""
    try:
        return ids.parse_id_number(number, on=on)
    except InvalidIdNumber as e:
        raise field_error(loc, e.code, e.detail) from None


async def current_holder(session: AsyncSession, hashes: bytes | list[bytes]
                         ) -> HouseholdMember | None:
    """The current member (of any household) holding the number with these keyed hashes
    (`app.pii.id_hashes`: two while the keys rotate)."""
    hashes = [hashes] if isinstance(hashes, bytes) else hashes
    return (await session.scalars(select(HouseholdMember).where(
        HouseholdMember.id_hash.in_(hashes), HouseholdMember.left_on.is_(None)))).first()


def taken_error(number: str, household_id: uuid.UUID | None, loc: list[Any]) -> Conflict:
    masked = ids.mask_id(number)
    where = f"household {household_id}" if household_id else "a household outside your view"
    return Conflict("member.id_number_taken",
                    f"ID number {masked} belongs to a current member of {where}.",
                    errors=[{"loc": loc, "msg": "already a current member", "code":
                             "member.id_number_taken"}],
                    extra={"household_id": str(household_id) if household_id else None,
                           "id_number": masked})


async def ensure_number_free(session: AsyncSession, number: str, hash_: bytes | list[bytes],
                             loc: list[Any], principal: Principal) -> None:
    """Section 2: a number is unique among current members of all households (409 otherwise).

    The 409 names the holding household only when it lies in the caller's region: uniqueness
    is city-wide, but a household elsewhere is not revealed (its id stays hidden)."""
    holder = await current_holder(session, hash_)
    if holder is not None:
        household = await session.get(Household, holder.household_id)
        visible = household is not None and in_region(principal, household.village_code)
        raise taken_error(number, holder.household_id if visible else None, loc)


async def flush_members(session: AsyncSession, number_of: dict[bytes, str]) -> None:
    """Flush, turning a lost race on the current-number index into the same 409."""
    try:
        await session.flush()
    except IntegrityError as e:
        if CURRENT_ID_INDEX in str(e.orig):
            number = next(iter(number_of.values()), "")
            raise taken_error(number, None, ["body", "id_number"]) from None
        raise


def new_member(settings: Settings, household_id: uuid.UUID, parsed: ids.ParsedId, *, name: str,
               relation: str, joined_on: date) -> HouseholdMember:
    return HouseholdMember(
        id=uuid.uuid4(), household_id=household_id, name=name,
        id_number_enc=pii.encrypt(settings, parsed.number),
        id_hash=pii.id_hash(settings, parsed.number), birth_date=parsed.birth_date,
        sex=parsed.sex, relation=relation, joined_on=joined_on)


async def present_member(session: AsyncSession, settings: Settings, principal: Principal,
                         rec: HouseholdRecord, m: HouseholdMember, on: date) -> MemberOut:
    """A member as of `on`: ID number masked unless `pii:read` (then the read is audited)."""
    return (await present_members(session, settings, principal, rec.household,
                                  [(m, attributes_on(rec, m.id, on))], on))[0]


async def present_members(session: AsyncSession, settings: Settings, principal: Principal,
                          household: Household, members: list[tuple], on: date, *,
                          audit: AsyncSession | None = None) -> list[MemberOut]:
    """Members as of `on`, each with the attribute version in force then (or None): ID numbers
    masked unless `pii:read`; then one audit row names every person whose number was shown,
    written through `audit` (the primary's session when `session` reads a replica)."""
    out = shown_members(settings, principal, members, on)
    if principal.has("pii:read") and members:
        person_ids = [m.id for m, _ in members]
        entity = ("household_member", person_ids[0]) if len(person_ids) == 1 else (
            "household", household.id)
        await record(audit or session, principal, "pii.read", *entity,
                     after={"household_id": household.id, "field": "id_number",
                            "person_ids": person_ids},
                     region_code=household.village_code)
    return out


def shown_members(settings: Settings, principal: Principal, members: list[tuple],
                  on: date) -> list[MemberOut]:
    """`present_members` without its audit row: the caller writes one for all it shows."""
    unmasked = principal.has("pii:read")
    out = []
    for m, v in members:
        number = pii.decrypt(settings, m.id_number_enc)
        out.append(member_out(m, number if unmasked else ids.mask_id(number), v, on))
    return out


def member_out(m: HouseholdMember, shown: str, v, on: date) -> MemberOut:
    return MemberOut(
        id=m.id, household_id=m.household_id, name=m.name, id_number=shown,
        birth_date=m.birth_date, sex=m.sex, relation=m.relation, joined_on=m.joined_on,
        left_on=m.left_on, leave_reason=m.leave_reason,
        is_member=is_member_on(m.joined_on, m.left_on, on),
        attributes_from=v.effective_from if v else None,
        labour_capacity=v.labour_capacity if v else None, health=v.health if v else None,
        disability=(DisabilityOut(category=v.disability_category, grade=v.disability_grade)
                    if v and v.disability_grade is not None else None),
        in_school=v.in_school if v else None,
        stable_nonfarm_employment=v.stable_nonfarm_employment if v else None,
        tekun_since=v.tekun_since if v else None,
    )


def assessment_out(a: HouseholdAssessment) -> AssessmentOut:
    return AssessmentOut(
        id=a.id, household_id=a.household_id, year=a.year, version=a.version,
        assessed_on=a.assessed_on, wage_income=a.wage_income, business_income=a.business_income,
        property_income=a.property_income, transfer_income=a.transfer_income,
        production_costs=a.production_costs, net_income=a.net_income, persons=a.persons,
        per_capita_income=per_capita_income(a.net_income, a.persons),
        recorded_by=a.recorded_by, created_at=a.created_at)


def net_income(data) -> Decimal:
    """Section 2: net = wage + business + property + transfer − production costs."""
    return (data.wage_income + data.business_income + data.property_income
            + data.transfer_income - data.production_costs)
