"""/api/v1/insurance: schemes (I1, I4), rosters (I2) and the exchange (I3)."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.responses import StreamingResponse

from app.errors import COMMON_ERRORS, problem_responses
from app.insurance import service
from app.insurance.schemas import (
    MAX_CONFIRMATIONS,
    ConfirmationIn,
    ConfirmationsOut,
    EntryOut,
    Kind,
    RosterIn,
    RosterOut,
    RosterTotals,
    SchemeIn,
    SchemeOut,
    SchemePatch,
)
from app.insurance.service.schemes import scheme_dict
from app.kit.deps import (  # read-only parts: the replica may answer
    InsuranceReader,
    InsuranceWriter,
    Paging,
    ReadMakerDep,
    ReadSessionDep,
    SessionDep,
)
from app.kit.etag import IF_MATCH, IF_NONE_MATCH, not_modified, require_if_match, set_etag
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1/insurance", tags=["insurance"], responses=COMMON_ERRORS)
State = Literal["pending", "confirmed", "rejected", "withdrawn"]
_CSV = {200: {"content": {"text/csv": {"schema": {"type": "string"}}},
              "description": "JSON page, or CSV (UTF-8 with BOM) with Accept: text/csv"}}


@router.get("/schemes", response_model=Page[SchemeOut], name="insurance_schemes_list")
async def insurance_schemes_list(
    params: Paging, session: SessionDep, principal: InsuranceReader, year: int | None = None,
    kind: Kind | None = None,
) -> Page[SchemeOut]:
    """List insurance schemes by year and kind (I1)."""
    rows, cursor = await service.list_schemes(session, params, year, kind)
    return Page[SchemeOut](items=[SchemeOut.model_validate(scheme_dict(r)) for r in rows],
                           next_cursor=cursor)


@router.post("/schemes", response_model=SchemeOut, status_code=201,
             name="insurance_schemes_create", responses=problem_responses(409))
async def insurance_schemes_create(
    body: SchemeIn, response: Response, session: SessionDep, principal: InsuranceWriter,
) -> SchemeOut:
    """Set the scheme of a year and kind: premium, reference date, funding body, shares (I1, I4)."""
    scheme = await service.create_scheme(session, principal, body)
    set_etag(response, scheme.version)
    return SchemeOut.model_validate(scheme_dict(scheme))


@router.get("/schemes/{year}/{kind}", response_model=SchemeOut, name="insurance_schemes_get",
            dependencies=[IF_NONE_MATCH])
async def insurance_schemes_get(
    year: int, kind: Kind, request: Request, response: Response, session: SessionDep,
    principal: InsuranceReader,
):
    """One scheme, with its ETag."""
    scheme = await service.get_scheme(session, year, kind)
    cached = not_modified(request, scheme.version)
    if cached is not None:
        return cached
    set_etag(response, scheme.version)
    return SchemeOut.model_validate(scheme_dict(scheme))


@router.patch("/schemes/{year}/{kind}", response_model=SchemeOut, name="insurance_schemes_update",
              dependencies=[IF_MATCH],
              responses=problem_responses(409, 412, 428))
async def insurance_schemes_update(
    year: int, kind: Kind, body: SchemePatch, request: Request, response: Response,
    session: SessionDep, principal: InsuranceWriter,
) -> SchemeOut:
    """Change a scheme before its roster is generated (If-Match); every version is kept."""
    scheme = await service.update_scheme(session, principal, year, kind, body,
                                         lambda v: require_if_match(request, v))
    set_etag(response, scheme.version)
    return SchemeOut.model_validate(scheme_dict(scheme))


@router.post("/rosters", response_model=RosterOut, name="insurance_rosters_generate")
async def insurance_rosters_generate(
    body: RosterIn, session: SessionDep, principal: InsuranceWriter, reads: ReadSessionDep,
) -> RosterOut:
    """Generate or refresh a roster over the caller's region; answers what changed (I2)."""
    r = await service.generate_roster(session, principal, body.year, body.kind, reads=reads)
    return RosterOut(year=r.scheme.year, kind=r.scheme.kind, reference_date=r.scheme.reference_date,
                     region_code=r.region_code, added=r.added, removed=r.removed,
                     unchanged=r.unchanged, flagged=r.flagged, refreshed=r.refreshed,
                     totals=RosterTotals(**r.totals))


@router.get("/rosters/{year}/{kind}/entries", response_model=Page[EntryOut],
            name="insurance_roster_entries", responses=_CSV)
async def insurance_roster_entries(
    year: int, kind: Kind, request: Request, params: Paging, session: SessionDep,
    principal: InsuranceReader, reader: ReadMakerDep, state: State | None = None,
    flagged: bool | None = None,
    district_code: str | None = Query(None, pattern=r"^[0-9]{6}000000$"),
):
    """The roster's rows in the caller's region: JSON pages, or CSV with Accept: text/csv (I3)."""
    filters = {"state": state, "flagged": flagged, "district_code": district_code}
    settings = request.app.state.settings
    if "text/csv" in request.headers.get("accept", ""):
        export = await service.csv_export(session, reader, settings, principal, year, kind,
                                          **filters)
        return StreamingResponse(
            export.chunks, media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{export.filename}"'})
    items, cursor = await service.list_entries(session, settings, principal, year, kind,
                                               params, **filters)
    return Page[EntryOut](items=[EntryOut.model_validate(i) for i in items], next_cursor=cursor)


@router.post("/rosters/{year}/{kind}/confirmations", response_model=ConfirmationsOut,
             name="insurance_roster_confirmations", responses=problem_responses(413))
async def insurance_roster_confirmations(
    year: int, kind: Kind, request: Request, session: SessionDep, principal: InsuranceWriter,
    items: list[ConfirmationIn] = Body(..., description=f"at most {MAX_CONFIRMATIONS} rows"),
) -> ConfirmationsOut:
    """Apply the health-insurance system's confirmations and rejections, one result per row (I3)."""
    out = await service.apply_confirmations(session, request.app.state.settings, principal,
                                            year, kind, items)
    return ConfirmationsOut(year=year, kind=kind, received=len(items), applied=out.applied,
                            counts=out.counts, results=out.results)
