"""Every read of the registry the DCI exchange makes, in one place.

Which households and persons a search selects is one SQL statement over the timelines
(app.dci.selection); the records of a page come from the same services as the REST API
(`households.service.registry`, `households.service.members`, the entitlements service), so a
DCI record says exactly what `GET /api/v1/households/{id}?as_of=` says; dibao coverage is read from
the members' timelines.
"""

from __future__ import annotations

import dataclasses
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.dci import selection
from app.errors import NotFound
from app.households.schemas import EntitlementsOut, HouseholdOut
from app.households.service import answers, registry
from app.households.service import members as members_service
from app.models.households import Household
from app.models.timelines import HouseholdTimeline


@dataclass
class HouseholdView:
    """The REST answer of a household on a date, with the dibao coverage of its members."""

    household: HouseholdOut
    covered: dict[uuid.UUID, str]
    per_capita_income: Decimal | None = None  # of the assessment in force, as the timeline holds it


def masked(principal: Principal) -> Principal:
    """The principal without pii:read: scanning candidates never unmasks (nor audits) a number."""
    return dataclasses.replace(principal, scopes=principal.scopes - {"pii:read"})


async def selected_page(session: AsyncSession, stmt: Select, keys: list[tuple[str, bool]],
                        entity: str, size: int, number: int) -> tuple[int, list[dict]]:
    """(total, the rows of page `number`) of a search statement (app.dci.selection): counted,
    sorted and paged in SQL."""
    total = int(await session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
    page = selection.ordered(stmt, keys, entity).limit(size).offset((number - 1) * size)
    return total, [dict(r) for r in (await session.execute(page)).mappings()]


async def selected_all(session: AsyncSession, stmt: Select, keys: list[tuple[str, bool]],
                       entity: str) -> list[dict]:
    """Every row of a search statement in its order (the pages of an asynchronous answer are
    cut from one reading, so that they neither overlap nor miss a row)."""
    return [dict(r) for r in (await session.execute(
        selection.ordered(stmt, keys, entity))).mappings()]


async def household_view(session: AsyncSession, settings: Settings, principal: Principal,
                         household_id: uuid.UUID, on: date, *,
                         audit: AsyncSession | None = None) -> HouseholdView | None:
    """The household as the REST API answers it on `on` (None outside the region); `session`
    may read a replica when `audit`, the primary's session, takes the pii.read row."""
    try:
        out = await registry.get_household(session, settings, principal, household_id, on,
                                           audit=audit)
    except NotFound:
        return None
    # dibao coverage on `on`, as the rules wrote it into the members' timelines
    covered = {m.id: p.dibao_detail or "" for m, p in await answers.member_segments(
        session, household_id, on) if p is not None and p.is_member and p.dibao_covered}
    per_capita = await session.scalar(select(HouseholdTimeline.per_capita_income).where(
        HouseholdTimeline.household_id == household_id, HouseholdTimeline.valid.contains(on)))
    return HouseholdView(out, covered, per_capita)


async def household_views(session: AsyncSession, settings: Settings, principal: Principal,
                          household_ids: list[uuid.UUID], on: date, *,
                          audit: AsyncSession | None = None) -> dict:
    """`household_view` and the entitlements of many households (a page of records) in one
    statement and one audit row: household id → (HouseholdView, EntitlementsOut), for those
    in the region."""
    out = {}
    for hid, (answer, seg, rows) in (await registry.households_out(
            session, settings, principal, household_ids, on, audit=audit)).items():
        covered = {m.id: p.dibao_detail or "" for m, p in rows
                   if p is not None and p.is_member and p.dibao_covered}
        view = HouseholdView(answer, covered, seg.timeline.per_capita_income)
        out[hid] = view, EntitlementsOut.model_validate(answers.entitlements_answer(seg, rows, on))
    return out


async def household_of_number(session: AsyncSession, settings: Settings, principal: Principal,
                              number: str, on: date) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(household id, person id) of the membership in force on `on` of the person with this
    ID number, found by keyed hash in the principal's region; None when none."""
    found = members_service.membership_on(
        await members_service.memberships_by_number(session, settings, principal, number), on)
    return (found.household_id, found.id) if found is not None else None


async def household_region(session: AsyncSession, household_id: uuid.UUID) -> str | None:
    return await session.scalar(select(Household.village_code).where(Household.id == household_id))
