"""Entitlements (section 3 + R7) of a household or a person, as of any date."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.errors import NotFound
from app.households.facts import household_facts, status_of
from app.households.schemas import EntitlementOut, EntitlementsOut, LookupHouseholdOut, LookupOut
from app.households.service.common import parse_id, present_member, scoped_record
from app.households.service.members import membership_on, memberships_by_number
from app.policy.entitlements import entitlements_answer


async def household_entitlements(session: AsyncSession, principal: Principal,
                                 household_id: uuid.UUID, on: date) -> EntitlementsOut:
    """Every catalogue code for every member on `on` and the household, with reasons."""
    rec = await scoped_record(session, principal, household_id)
    facts = await household_facts(session, rec, on)
    return EntitlementsOut.model_validate(entitlements_answer(facts, on))


async def lookup_person(session: AsyncSession, settings: Settings, principal: Principal,
                        number: str, on: date) -> LookupOut:
    """The person with this ID number (by keyed hash), their household in the caller's region
    and their entitlements on `on`; 404 when no household there holds the number."""
    parsed = parse_id(number, ["body", "id_number"])
    member = membership_on(await memberships_by_number(session, settings, principal,
                                                       parsed.number), on)
    if member is None:
        raise NotFound("person.not_found", "No household in your region holds this ID number.")
    rec = await scoped_record(session, principal, member.household_id)
    facts = await household_facts(session, rec, on)
    answer = entitlements_answer(facts, on)
    items = [EntitlementOut.model_validate(i) for i in answer["items"]
             if i["person_id"] == member.id]
    h = rec.household
    return LookupOut(
        as_of=on, person=await present_member(session, settings, principal, rec, member, on),
        household=LookupHouseholdOut(id=h.id, village_code=h.village_code,
                                     status=status_of(rec, on)),
        entitlements=items)
