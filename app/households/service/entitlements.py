"""Entitlements (section 3 + R7) of a household or a person, as of any date: the answers the
rules wrote into the timelines, read with `valid @> on`."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.errors import NotFound
from app.households.schemas import EntitlementOut, EntitlementsOut, LookupHouseholdOut, LookupOut
from app.households.service import answers
from app.households.service.common import parse_id, present_members
from app.households.service.members import membership_on, memberships_by_number


async def household_entitlements(session: AsyncSession, principal: Principal,
                                 household_id: uuid.UUID, on: date) -> EntitlementsOut:
    """Every catalogue code for every member on `on` and the household, with reasons."""
    seg, members = await answers.household_with_members(session, principal, household_id, on)
    return EntitlementsOut.model_validate(answers.entitlements_answer(seg, members, on))


async def lookup_person(session: AsyncSession, settings: Settings, principal: Principal,
                        number: str, on: date) -> LookupOut:
    """The person with this ID number (by keyed hash), their household in the caller's region
    and their entitlements on `on`; 404 when no household there holds the number."""
    parsed = parse_id(number, ["body", "id_number"])
    member = membership_on(await memberships_by_number(session, settings, principal,
                                                       parsed.number), on)
    if member is None:
        raise NotFound("person.not_found", "No household in your region holds this ID number.")
    seg, rows = await answers.household_with_members(session, principal, member.household_id, on,
                                                     only_member=member.id)
    _m, p = rows[0]
    items = [EntitlementOut.model_validate(i) for i in answers.render_person(p, on)]
    person = (await present_members(session, settings, principal, seg.household,
                                    [(member, answers.attributes_of(p.attributes if p else None))],
                                    on))[0]
    h = seg.household
    return LookupOut(
        as_of=on, person=person,
        household=LookupHouseholdOut(id=h.id, village_code=h.village_code,
                                     status=seg.timeline.status),
        entitlements=items)
