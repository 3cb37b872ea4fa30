"""/api/v1/regions and /api/v1/areas."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query

from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, RegionsReader, RegionsWriter, SessionDep
from app.kit.schemas import Page
from app.regions import service
from app.regions.schemas import AreaIn, AreaOut, AreaTownsIn, RegionIn, RegionOut

router = APIRouter(prefix="/api/v1", tags=["regions"], responses=COMMON_ERRORS)


@router.get("/regions", response_model=Page[RegionOut], name="regions_list")
async def regions_list(
    params: Paging, session: SessionDep, principal: RegionsReader,
    parent_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
    level: Literal["city", "district", "town", "village"] | None = None,
) -> Page[RegionOut]:
    """List regions in the caller's region."""
    rows, cursor = await service.list_regions(session, principal, params, parent_code, level)
    return Page[RegionOut](items=[RegionOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/regions", response_model=RegionOut, status_code=201, name="regions_create",
             responses=problem_responses(409))
async def regions_create(body: RegionIn, session: SessionDep,
                         principal: RegionsWriter) -> RegionOut:
    """Add a town or a village (the parent must exist and the code sit under it)."""
    return RegionOut.model_validate(await service.create_region(session, principal, body))


@router.get("/regions/{code}", response_model=RegionOut, name="regions_get")
async def regions_get(code: str, session: SessionDep, principal: RegionsReader) -> RegionOut:
    """One region."""
    return RegionOut.model_validate(await service.get_region(session, principal, code))


@router.get("/areas", response_model=list[AreaOut], name="areas_list")
async def areas_list(session: SessionDep, principal: RegionsReader) -> list[AreaOut]:
    """The key weak areas (R3) with their towns."""
    return [AreaOut(code=a.code, name=a.name, town_codes=t)
            for a, t in await service.list_areas(session)]


@router.post("/areas", response_model=AreaOut, status_code=201, name="areas_create",
             responses=problem_responses(409))
async def areas_create(body: AreaIn, session: SessionDep, principal: RegionsWriter) -> AreaOut:
    """Add a key area with its towns."""
    area, towns = await service.create_area(session, principal, body)
    return AreaOut(code=area.code, name=area.name, town_codes=towns)


@router.post("/areas/{code}/towns", response_model=AreaOut, name="areas_add_towns")
async def areas_add_towns(code: str, body: AreaTownsIn, session: SessionDep,
                          principal: RegionsWriter) -> AreaOut:
    """Add towns to a key area (huangqiao, lixiahe)."""
    area, towns = await service.add_area_towns(session, principal, code, body.town_codes)
    return AreaOut(code=area.code, name=area.name, town_codes=towns)
