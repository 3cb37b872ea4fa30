"""Regions (city, 市(區), towns, villages) and key areas (R3)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter, region_level, region_prefix
from app.errors import Conflict, NotFound, Unprocessable
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.regions import Area, AreaTown, Region

CHILD_LEVEL = {"district": "town", "town": "village"}


def _field_error(field: str, code: str, msg: str) -> Unprocessable:
    return Unprocessable(code, msg, errors=[{"loc": ["body", field], "msg": msg, "code": code}])


async def create_region(session: AsyncSession, principal: Principal, data) -> Region:
    """Add a town under a 市(區) or a village under a town; the code must sit under the parent."""
    parent = await session.get(Region, data.parent_code)
    if parent is None or not _visible(principal, parent.code):
        raise _field_error("parent_code", "region.parent_unknown",
                           f"The parent region {data.parent_code} does not exist.")
    level = CHILD_LEVEL.get(parent.level)
    if level is None:
        raise _field_error("parent_code", "region.parent_level",
                           f"Regions under a {parent.level} are seeded, not added.")
    if region_level(data.code) != level or not data.code.startswith(region_prefix(parent.code)):
        raise _field_error("code", "region.code_not_under_parent",
                           f"{data.code} is not a {level} code under {parent.code}.")
    if await session.get(Region, data.code) is not None:
        raise Conflict("region.exists", f"Region {data.code} already exists.")
    region = Region(code=data.code, name=data.name, level=level, parent_code=parent.code)
    session.add(region)
    await session.flush()
    await record(session, principal, "region.create", "region", region.code,
                 after={"code": region.code, "name": region.name, "level": level},
                 region_code=region.code)
    await emit(session, "region.created", "region", region.code, region.code,
               {"code": region.code, "name": region.name, "level": level})
    return region


def _visible(principal: Principal, code: str) -> bool:
    # Ancestors of the caller's region are visible too (a town officer sees its 市(區) and city).
    prefix = region_prefix(principal.region_code) if principal.region_code else None
    if prefix is None:
        return False
    return code.startswith(prefix) or principal.region_code.startswith(region_prefix(code))


async def get_region(session: AsyncSession, principal: Principal, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None or not _visible(principal, code):
        raise NotFound("region.not_found", f"No region {code}.")
    return region


async def list_regions(session: AsyncSession, principal: Principal, params: PageParams,
                       parent_code: str | None = None, level: str | None = None):
    stmt = select(Region).where(region_filter(principal, Region.code))
    if parent_code:
        stmt = stmt.where(Region.parent_code == parent_code)
    if level:
        stmt = stmt.where(Region.level == level)
    return await paginate(session, stmt, [Region.code], params)


async def _area_towns(session: AsyncSession, code: str) -> list[str]:
    rows = await session.scalars(select(AreaTown.town_code).where(AreaTown.area_code == code)
                                 .order_by(AreaTown.town_code))
    return list(rows.all())


async def _check_towns(session: AsyncSession, principal: Principal, towns: list[str]) -> None:
    for i, code in enumerate(towns):
        region = await session.get(Region, code)
        if region is None or region.level != "town":
            raise Unprocessable("area.town_unknown", f"{code} is not a known town.",
                                errors=[{"loc": ["body", "town_codes", i], "msg": "not a town",
                                         "code": "area.town_unknown"}])
        ensure_in_region(principal, code, "region")


async def list_areas(session: AsyncSession) -> list[tuple[Area, list[str]]]:
    areas = (await session.scalars(select(Area).order_by(Area.code))).all()
    return [(a, await _area_towns(session, a.code)) for a in areas]


async def create_area(session: AsyncSession, principal: Principal, data) -> tuple[Area, list[str]]:
    if await session.get(Area, data.code) is not None:
        raise Conflict("area.exists", f"Area {data.code} already exists.")
    await _check_towns(session, principal, data.town_codes)
    area = Area(code=data.code, name=data.name)
    session.add(area)
    await session.flush()
    for t in sorted(set(data.town_codes)):
        session.add(AreaTown(area_code=area.code, town_code=t))
    await record(session, principal, "area.create", "area", area.code,
                 after={"code": area.code, "name": area.name, "town_codes": data.town_codes})
    await session.flush()
    return area, sorted(set(data.town_codes))


async def add_area_towns(session: AsyncSession, principal: Principal, code: str,
                         towns: list[str]) -> tuple[Area, list[str]]:
    """(R3) Add towns to a key area; villages inherit their town's areas."""
    area = await session.get(Area, code)
    if area is None:
        raise NotFound("area.not_found", f"No area {code}.")
    await _check_towns(session, principal, towns)
    before = await _area_towns(session, code)
    await session.execute(insert(AreaTown).values(
        [{"area_code": code, "town_code": t} for t in towns]).on_conflict_do_nothing())
    after = await _area_towns(session, code)
    await record(session, principal, "area.add_towns", "area", code,
                 before={"town_codes": before}, after={"town_codes": after})
    return area, after


async def areas_of(session: AsyncSession, code: str) -> list[str]:
    """(R3) The key areas a region belongs to, through its town."""
    town = code[:9] + "000"
    rows = await session.scalars(select(AreaTown.area_code).where(AreaTown.town_code == town)
                                 .order_by(AreaTown.area_code))
    return list(rows.all())
