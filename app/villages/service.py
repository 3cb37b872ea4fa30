"""Villages (二.2, 七): collective income per year with its weak status (R2), key areas through
the town (R3) and the eight haves per year (V1). The one door to `village_income` and
`village_eight_haves`.

Weak status of a year is judged against the weak-village line in force on 31 December of that
year: the income is a whole calendar year's, known at the year's end (as an income assessment is
dated 31 December by default, R8). A year before any line is in force has no weak status (null,
with the reason). Corrections are new versions; the highest version of a year is in force.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_prefix
from app.errors import NotFound
from app.events.service import emit
from app.kit.pagination import PageParams, decode_cursor, encode_cursor
from app.models.regions import AreaTown, Region
from app.models.villages import VillageEightHaves, VillageIncome
from app.policy import villages as rules
from app.policy.errors import NoLineInForce
from app.policy.lines import LineVersion, line_in_force
from app.policy.reasons import Decision, Reason
from app.regions.service import areas_of
from app.villages.lines import all_line_versions, line_versions

CENT = Decimal("0.01")


@dataclass(frozen=True)
class YearStatus:
    """R2 for one village and year: income, the line in force on 31 December, weak or not."""

    village_code: str
    year: int
    collective_income: Decimal
    version: int
    line: Decimal | None
    weak: bool | None
    reasons: tuple[Reason, ...]

    def decision(self) -> Decision | None:
        """The R2 decision (weak = ok), or None when no line was in force that year."""
        return None if self.weak is None else Decision(self.weak, self.reasons)


def year_status(lines: Iterable[LineVersion], row: VillageIncome) -> YearStatus:
    """R2 (二.2): weak for the year when the income is at or below the line in force on 31 Dec."""
    try:
        line = line_in_force(lines, row.village_code, date(row.year, 12, 31), rule="R2")
    except NoLineInForce as e:
        return YearStatus(row.village_code, row.year, row.collective_income, row.version, None,
                          None, (Reason("R2", rules.CLAUSE, e.detail),))
    d = rules.is_weak(row.collective_income, line.amount)
    used = Reason("R2", rules.CLAUSE, f"line in force on {row.year}-12-31: {line.describe()}")
    return YearStatus(row.village_code, row.year, row.collective_income, row.version,
                      line.amount, d.ok, (used, *d.reasons))


def _current_incomes():
    # The version in force of each (village, year): the highest.
    return (select(VillageIncome)
            .ext(distinct_on(VillageIncome.village_code, VillageIncome.year))
            .order_by(VillageIncome.village_code, VillageIncome.year, VillageIncome.version.desc()))


async def income_years(session: AsyncSession, village_code: str) -> list[YearStatus]:
    """Every year of a village with its current income and R2 status, oldest first."""
    rows = (await session.scalars(_current_incomes().where(
        VillageIncome.village_code == village_code))).all()
    lines = await line_versions(session, village_code)
    return [year_status(lines, r) for r in rows]


async def latest_statuses(session: AsyncSession, codes: list[str], *, year: int | None = None,
                          up_to_year: int | None = None) -> dict[str, YearStatus]:
    """For each village: the status of `year`, or else of its latest year with an income (not
    after `up_to_year` when given). One query for all the villages, one for the lines."""
    if not codes:
        return {}
    stmt = (select(VillageIncome).where(VillageIncome.village_code.in_(codes))
            .ext(distinct_on(VillageIncome.village_code))
            .order_by(VillageIncome.village_code, VillageIncome.year.desc(),
                      VillageIncome.version.desc()))
    if year is not None:
        stmt = stmt.where(VillageIncome.year == year)
    if up_to_year is not None:
        stmt = stmt.where(VillageIncome.year <= up_to_year)
    rows = (await session.scalars(stmt)).all()
    lines = await all_line_versions(session)
    return {r.village_code: year_status(lines, r) for r in rows}


async def weak_in_latest_year(session: AsyncSession, village_code: str,
                              up_to_year: int) -> tuple[Decision | None, YearStatus | None]:
    """P2 (十八): R2 of the village's latest assessed year not after `up_to_year` — a pairing
    starting in year Y is judged on year Y's income when recorded, else the latest before it.
    Answers (None, None) when no year has an income; (None, status) when no line was in force."""
    status = (await latest_statuses(session, [village_code], up_to_year=up_to_year)).get(village_code)
    return (status.decision() if status else None), status


async def get_village_region(session: AsyncSession, principal: Principal, code: str,
                             *, for_update: bool = False) -> Region:
    """The village (a region of level village) in the caller's region; 404 otherwise."""
    ensure_in_region(principal, code, "village")
    stmt = select(Region).where(Region.code == code, Region.level == "village")
    if for_update:
        stmt = stmt.with_for_update()
    region = await session.scalar(stmt)
    if region is None:
        raise NotFound("village.not_found", "No such village.")
    return region


async def record_income(session: AsyncSession, principal: Principal, code: str, year: int,
                        amount: Decimal) -> YearStatus:
    """R2: record the collective income of a year; a different amount is a new version (the
    old one stays), the same amount changes nothing."""
    # Lock the village so that two corrections of one year never take the same version.
    await get_village_region(session, principal, code, for_update=True)
    amount = amount.quantize(CENT)
    current = await session.scalar(
        select(VillageIncome).where(VillageIncome.village_code == code, VillageIncome.year == year)
        .order_by(VillageIncome.version.desc()).limit(1))
    lines = await line_versions(session, code)
    if current is not None and current.collective_income == amount:
        return year_status(lines, current)
    row = VillageIncome(village_code=code, year=year, collective_income=amount,
                        version=(current.version + 1) if current else 1,
                        recorded_by=principal.actor)
    session.add(row)
    await session.flush()
    status = year_status(lines, row)
    before = None if current is None else {"collective_income": current.collective_income,
                                           "version": current.version}
    after = {"village_code": code, "year": year, "collective_income": amount,
             "version": row.version, "line": status.line, "weak": status.weak,
             "reasons": [r.as_dict() for r in status.reasons]}
    await record(session, principal, "village.income.record", "village", code,
                 before=before, after=after, region_code=code)
    await emit(session, "village.income.recorded", "village", code, code, after)
    return status


@dataclass(frozen=True)
class EightHaves:
    year: int
    items: dict
    met_all: bool
    reasons: tuple[Reason, ...]
    version: int


def _eight(row: VillageEightHaves) -> EightHaves:
    d = rules.eight_haves({k: (v["met"], v.get("evidence")) for k, v in row.items.items()})
    return EightHaves(row.year, row.items, d.ok, d.reasons, row.version)


async def record_eight_haves(session: AsyncSession, principal: Principal, code: str, year: int,
                             items: dict[str, tuple[bool, str | None]]) -> EightHaves:
    """V1 (二.2): the eight items of a year, each met or not with evidence; all eight → met_all.
    A PolicyError (unknown or missing item, met without evidence) is a 422 with its code."""
    await get_village_region(session, principal, code, for_update=True)
    decision = rules.eight_haves(items)
    stored = {k: {"met": met, "evidence": (ev or None)} for k, (met, ev) in items.items()}
    current = await session.scalar(
        select(VillageEightHaves).where(VillageEightHaves.village_code == code,
                                        VillageEightHaves.year == year)
        .order_by(VillageEightHaves.version.desc()).limit(1))
    if current is not None and current.items == stored:
        return _eight(current)
    row = VillageEightHaves(village_code=code, year=year, items=stored, met_all=decision.ok,
                            version=(current.version + 1) if current else 1,
                            recorded_by=principal.actor)
    session.add(row)
    await session.flush()
    before = None if current is None else {"items": current.items, "met_all": current.met_all,
                                           "version": current.version}
    after = {"village_code": code, "year": year, "items": stored, "met_all": decision.ok,
             "version": row.version}
    await record(session, principal, "village.eight_haves.record", "village", code,
                 before=before, after=after, region_code=code)
    await emit(session, "village.eight_haves.recorded", "village", code, code, after)
    return EightHaves(year, stored, decision.ok, decision.reasons, row.version)


@dataclass(frozen=True)
class VillageView:
    region: Region
    areas: list[str]
    years: list[YearStatus]
    eight_haves: EightHaves | None


async def get_village(session: AsyncSession, principal: Principal, code: str) -> VillageView:
    """A village with every year's income and R2 status, its key areas (R3) and latest V1."""
    region = await get_village_region(session, principal, code)
    latest = await session.scalar(
        select(VillageEightHaves).where(VillageEightHaves.village_code == code)
        .order_by(VillageEightHaves.year.desc(), VillageEightHaves.version.desc()).limit(1))
    return VillageView(region, await areas_of(session, code), await income_years(session, code),
                       _eight(latest) if latest else None)


@dataclass(frozen=True)
class VillageRow:
    region: Region
    areas: list[str]
    status: YearStatus | None


async def _area_map(session: AsyncSession) -> dict[str, list[str]]:
    rows = (await session.execute(select(AreaTown.town_code, AreaTown.area_code)
                                  .order_by(AreaTown.area_code))).all()
    out: dict[str, list[str]] = {}
    for town, area in rows:
        out.setdefault(town, []).append(area)
    return out


async def list_villages(session: AsyncSession, principal: Principal, params: PageParams, *,
                        weak: bool | None = None, year: int | None = None,
                        region_code: str | None = None,
                        area: str | None = None) -> tuple[list[VillageRow], str | None]:
    """Villages in the caller's region, keyset-paginated by code, with the status of `year`
    (else each village's latest year). `weak` filters on R2, decided by the policy rule, so the
    pages are filled by scanning villages in code order until the page is full."""
    stmt = select(Region).where(Region.level == "village", region_filter(principal, Region.code))
    if region_code:
        stmt = stmt.where(Region.code.like(f"{region_prefix(region_code)}%"))
    if area:
        towns = select(AreaTown.town_code).where(AreaTown.area_code == area)
        stmt = stmt.where(Region.parent_code.in_(towns))
    after = decode_cursor(params.cursor, 1)[0] if params.cursor else None
    areas = await _area_map(session)
    batch = max(params.limit + 1, 200)
    found: list[VillageRow] = []
    while len(found) <= params.limit:
        page = stmt if after is None else stmt.where(Region.code > after)
        regions = list((await session.scalars(page.order_by(Region.code).limit(batch))).all())
        if not regions:
            break
        statuses = await latest_statuses(session, [r.code for r in regions], year=year)
        for r in regions:
            status = statuses.get(r.code)
            if weak is None or (status is not None and status.weak is weak):
                found.append(VillageRow(r, areas.get(r.code[:9] + "000", []), status))
                if len(found) > params.limit:
                    break
            after = r.code
        if len(regions) < batch:
            break
    more = len(found) > params.limit
    found = found[:params.limit]
    return found, (encode_cursor((found[-1].region.code,)) if more and found else None)
