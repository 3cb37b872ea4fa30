"""/api/v1/policy/weak-village-lines (R2) and /api/v1/villages (R2, R3, V1)."""

from __future__ import annotations

from fastapi import APIRouter, Path, Query

from app.errors import COMMON_ERRORS
from app.kit.deps import Paging, PolicyReader, PolicyWriter, SessionDep, VillagesReader, VillagesWriter
from app.kit.schemas import Page
from app.villages import lines, service
from app.villages.schemas import (
    EightHavesIn,
    EightHavesOut,
    IncomeIn,
    VillageItem,
    VillageOut,
    WeakLineIn,
    WeakLineOut,
    YearOut,
)

router = APIRouter(prefix="/api/v1", responses=COMMON_ERRORS)
CODE = Path(pattern=r"^[0-9]{12}$", description="12-digit village code")
YEAR = Path(ge=1990, le=2100)


def _reasons(reasons) -> list[dict]:
    return [r.as_dict() for r in reasons]


def year_out(s: service.YearStatus) -> YearOut:
    return YearOut(year=s.year, collective_income=s.collective_income, line=s.line, weak=s.weak,
                   reasons=_reasons(s.reasons), version=s.version)


def eight_out(e: service.EightHaves) -> EightHavesOut:
    return EightHavesOut(year=e.year, items=e.items, met_all=e.met_all,
                         reasons=_reasons(e.reasons), version=e.version)


@router.get("/policy/weak-village-lines", response_model=Page[WeakLineOut], tags=["policy"],
            name="weak_village_lines_list")
async def weak_village_lines_list(
    params: Paging, session: SessionDep, principal: PolicyReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
) -> Page[WeakLineOut]:
    """List the weak-village line versions (R2) of the city and the caller's 市(區)."""
    rows, cursor = await lines.list_lines(session, principal, params, region_code)
    return Page[WeakLineOut](items=[WeakLineOut.model_validate(r) for r in rows],
                             next_cursor=cursor)


@router.post("/policy/weak-village-lines", response_model=WeakLineOut, status_code=201,
             tags=["policy"], name="weak_village_lines_create")
async def weak_village_lines_create(
    body: WeakLineIn, session: SessionDep, principal: PolicyWriter,
) -> WeakLineOut:
    """Set a new version of the city's or a 市(區)'s weak-village line (R2: never below the city's)."""
    return WeakLineOut.model_validate(await lines.create_line(session, principal, body))


@router.get("/villages", response_model=Page[VillageItem], tags=["villages"],
            name="villages_list")
async def villages_list(
    params: Paging, session: SessionDep, principal: VillagesReader,
    weak: bool | None = Query(None, description="R2 weak status in `year` (else the latest year)"),
    year: int | None = Query(None, ge=1990, le=2100),
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
    area: str | None = Query(None, pattern=r"^[a-z][a-z0-9_]{1,31}$", description="key area (R3)"),
) -> Page[VillageItem]:
    """List villages in the caller's region with their weak status (R2) and key areas (R3)."""
    rows, cursor = await service.list_villages(session, principal, params, weak=weak, year=year,
                                               region_code=region_code, area=area)
    items = []
    for r in rows:
        s = r.status
        items.append(VillageItem(
            code=r.region.code, name=r.region.name, town_code=r.region.parent_code, areas=r.areas,
            year=s.year if s else None, collective_income=s.collective_income if s else None,
            line=s.line if s else None, weak=s.weak if s else None))
    return Page[VillageItem](items=items, next_cursor=cursor)


@router.get("/villages/{code}", response_model=VillageOut, tags=["villages"], name="villages_get")
async def villages_get(session: SessionDep, principal: VillagesReader,
                       code: str = CODE) -> VillageOut:
    """One village: every year's income and weak status (R2), key areas (R3), latest eight haves (V1)."""
    v = await service.get_village(session, principal, code)
    return VillageOut(code=v.region.code, name=v.region.name, town_code=v.region.parent_code,
                      areas=v.areas, years=[year_out(y) for y in v.years],
                      eight_haves=eight_out(v.eight_haves) if v.eight_haves else None)


@router.put("/villages/{code}/incomes/{year}", response_model=YearOut, tags=["villages"],
            name="villages_put_income")
async def villages_put_income(
    body: IncomeIn, session: SessionDep, principal: VillagesWriter, code: str = CODE,
    year: int = YEAR,
) -> YearOut:
    """Record a year's collective income (a correction is a new version); answers weak status (R2)."""
    return year_out(await service.record_income(session, principal, code, year,
                                                body.collective_income))


@router.put("/villages/{code}/eight-haves/{year}", response_model=EightHavesOut,
            tags=["villages"], name="villages_put_eight_haves")
async def villages_put_eight_haves(
    body: EightHavesIn, session: SessionDep, principal: VillagesWriter, code: str = CODE,
    year: int = YEAR,
) -> EightHavesOut:
    """Record a year's eight haves (V1), each item met or not with evidence; answers met_all."""
    items = {k: (v.met, v.evidence) for k, v in body.items.items()}
    return eight_out(await service.record_eight_haves(session, principal, code, year, items))
