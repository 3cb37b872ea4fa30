"""Every read of the registry the DCI exchange makes, in one place.

The answers come from the same services as the REST API (`households.service.registry`,
`households.service.members`, the entitlements service, the dibao coverage hook), so a DCI
record says exactly what `GET /api/v1/households/{id}?as_of=` says. When the timelines land,
dibao coverage is read from the members' timelines.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import region_filter
from app.config import Settings
from app.errors import NotFound
from app.households.schemas import EntitlementsOut, HouseholdOut
from app.households.service import answers, registry
from app.households.service import entitlements as entitlements_service
from app.households.service import members as members_service
from app.models.households import Household


@dataclass
class HouseholdView:
    """The REST answer of a household on a date, with the dibao coverage of its members."""

    household: HouseholdOut
    covered: dict[uuid.UUID, str]


def masked(principal: Principal) -> Principal:
    """The principal without pii:read: scanning candidates never unmasks (nor audits) a number."""
    return dataclasses.replace(principal, scopes=principal.scopes - {"pii:read"})


async def household_ids(session: AsyncSession, principal: Principal,
                        prefixes: list[str] | None = None, limit: int | None = None
                        ) -> list[uuid.UUID]:
    """Households in the principal's region (and under one of `prefixes`), by id."""
    stmt = select(Household.id).where(region_filter(principal, Household.village_code))
    if prefixes:
        from sqlalchemy import or_
        stmt = stmt.where(or_(*[Household.village_code.like(f"{p}%") for p in prefixes]))
    stmt = stmt.order_by(Household.id)
    if limit is not None:
        stmt = stmt.limit(limit)
    return list((await session.scalars(stmt)).all())


async def household_view(session: AsyncSession, settings: Settings, principal: Principal,
                         household_id: uuid.UUID, on: date) -> HouseholdView | None:
    """The household as the REST API answers it on `on` (None outside the region)."""
    try:
        out = await registry.get_household(session, settings, principal, household_id, on)
    except NotFound:
        return None
    # dibao coverage on `on`, as the rules wrote it into the members' timelines
    covered = {m.id: p.dibao_detail or "" for m, p in await answers.member_segments(
        session, household_id, on) if p is not None and p.is_member and p.dibao_covered}
    return HouseholdView(out, covered)


async def household_of_number(session: AsyncSession, settings: Settings, principal: Principal,
                              number: str, on: date) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(household id, person id) of the membership in force on `on` of the person with this
    ID number, found by keyed hash in the principal's region; None when none."""
    found = members_service.membership_on(
        await members_service.memberships_by_number(session, settings, principal, number), on)
    return (found.household_id, found.id) if found is not None else None


async def entitlements(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                       on: date) -> EntitlementsOut:
    return await entitlements_service.household_entitlements(session, principal, household_id, on)


async def household_region(session: AsyncSession, household_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Household.village_code).where(Household.id == household_id))
