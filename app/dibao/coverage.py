"""Dibao coverage (D8 應保盡保): relief-type registered households without an active grant, totals
by 市(區), and the per-member answer the household entitlements read (E1–E4, R5).

The gap list is one query: registered and relief-type on the date (R6, R4: read from the
households' timelines) and no grant active on the date (D5). The totals are two: the relief-type
households, and the grants active on the date with the covered members and monthly benefit (D7)
their households' timelines hold.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import date
from decimal import Decimal

from sqlalchemy import and_, func, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_prefix
from app.dibao.reads import active_on_clause
from app.kit.pagination import PageParams, paginate
from app.models.dibao import DibaoCase
from app.models.households import Household, HouseholdMember
from app.models.timelines import HouseholdTimeline, PersonTimeline
from app.policy.dibao import coverage_gap
from app.policy.history import grant_covers, grant_detail
from app.policy.support import RELIEF


def _registered_relief(on: date):
    """R6 and R4 on the date, as the household's timeline answers them: registered, relief-type
    (a segment holds each date at most once, so a join keeps one row per household)."""
    t = HouseholdTimeline
    return and_(t.valid.contains(on), t.status == "registered", t.support_type == RELIEF)


def _granted(household_id, on: date):
    return (select(DibaoCase.id).where(DibaoCase.household_id == household_id,
                                       active_on_clause(on))
            .exists())


async def gaps(session: AsyncSession, principal: Principal, region_code: str, on: date,
               params: PageParams):
    """(十四, D8) relief-type households registered on the date with no active grant."""
    ensure_in_region(principal, region_code, "region")
    t = HouseholdTimeline
    stmt = (select(Household, t.household_id).join(t, t.household_id == Household.id)
            .where(Household.village_code.like(region_prefix(region_code) + "%"),
                   region_filter(principal, Household.village_code),
                   _registered_relief(on), ~_granted(Household.id, on)))
    # keyed on the timeline's household_id, as the household list is (households.service)
    rows, cursor = await paginate(session, stmt, [t.household_id], params, scalars=False)
    reason = coverage_gap("relief", False)[1]
    return [(r[0], reason) for r in rows], cursor


async def totals(session: AsyncSession, principal: Principal, region_code: str,
                 on: date) -> list[dict]:
    """Per 市(區): relief-type registered households, those without a grant, and the grants
    active on the date with their covered persons and monthly amount."""
    ensure_in_region(principal, region_code, "region")
    prefix = region_prefix(region_code)
    t = HouseholdTimeline  # the household's village code, written with its timeline
    district = func.substr(t.village_code, 1, 6)
    rows = await session.execute(
        select(district, func.count(), func.count().filter(~_granted(t.household_id, on)))
        .where(t.village_code.like(prefix + "%"), region_filter(principal, t.village_code),
               _registered_relief(on))
        .group_by(district))
    out: dict[str, dict] = defaultdict(lambda: {
        "relief_households": 0, "relief_households_without_grant": 0,
        "households_covered": 0, "persons_covered": 0, "monthly_amount": Decimal("0.00")})
    for d, relief, uncovered in rows.all():
        out[d]["relief_households"] = relief
        out[d]["relief_households_without_grant"] = uncovered
    # (十四, D5, D7) the grants active on the date, each with the members its timeline names as
    # covered then and the monthly benefit the rules wrote there (one per grant)
    p = PersonTimeline
    covered = (select(func.count().label("persons"), func.max(p.dibao_amount).label("amount"))
               .where(p.household_id == DibaoCase.household_id, p.dibao_case_id == DibaoCase.id,
                      p.valid.contains(on), p.is_member.is_(True))
               .correlate(DibaoCase).lateral())
    case_district = func.substr(DibaoCase.region_code, 1, 6)
    grants = await session.execute(
        select(case_district, func.count(),
               func.coalesce(func.sum(covered.c.persons), 0),
               func.coalesce(func.sum(covered.c.amount), 0))
        .select_from(DibaoCase).join(covered, true())
        .where(DibaoCase.region_code.like(prefix + "%"),
               region_filter(principal, DibaoCase.region_code), active_on_clause(on))
        .group_by(case_district))
    for d, cases, persons, amount in grants.all():
        out[d]["households_covered"] = cases
        out[d]["persons_covered"] = persons
        out[d]["monthly_amount"] = Decimal(amount).quantize(Decimal("0.01"))
    return [{"district_code": d + "000000", **v} for d, v in sorted(out.items())]


async def member_coverage(session: AsyncSession, member_ids: list[uuid.UUID],
                          on: date) -> dict[uuid.UUID, str]:
    """Members covered by a grant active on the date: the single person of a single-person
    grant, or every member of the household on the date (D2, D4)."""
    if not member_ids:
        return {}
    members = (await session.execute(
        select(HouseholdMember.id, HouseholdMember.household_id, HouseholdMember.joined_on,
               HouseholdMember.left_on).where(HouseholdMember.id.in_(member_ids)))).all()
    by_household: dict[uuid.UUID, list] = defaultdict(list)
    for row in members:
        by_household[row.household_id].append(row)
    cases = (await session.scalars(
        select(DibaoCase).where(DibaoCase.household_id.in_(list(by_household)),
                                active_on_clause(on))
    )).all()
    out: dict[uuid.UUID, str] = {}
    for case in cases:  # each case looks only at its own household's members
        detail = grant_detail(case.id, case.start_month)
        for mid in grant_covers(case.single_person_member_id, by_household[case.household_id], on):
            out[mid] = detail
    return out


