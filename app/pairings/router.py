"""/api/v1/helpers and /api/v1/pairings (P1–P4, clauses 八, 十七, 十八)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Body, Query, Request, Response

from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, PairingsReader, PairingsWriter, SessionDep, SettingsDep
from app.kit.etag import IF_MATCH, IF_NONE_MATCH, not_modified, require_if_match, set_etag
from app.kit.schemas import Day, Page
from app.pairings import helpers, service
from app.pairings.schemas import HelperIn, HelperOut, PairingIn, PairingKind, PairingOut, PairingPatch

helpers_router = APIRouter(prefix="/api/v1/helpers", tags=["pairings"], responses=COMMON_ERRORS)
pairings_router = APIRouter(prefix="/api/v1/pairings", tags=["pairings"], responses=COMMON_ERRORS)


def pairing_out(pairing, reasons=()) -> PairingOut:
    out = PairingOut.model_validate(pairing).model_dump(exclude={"reasons"})
    return PairingOut(**out, reasons=[r.as_dict() for r in reasons])


@helpers_router.post("", response_model=HelperOut, status_code=201, name="helpers_create",
                     responses=problem_responses(409))
async def helpers_create(session: SessionDep, settings: SettingsDep, principal: PairingsWriter,
                         body: HelperIn = Body()) -> HelperOut:
    """Record a helper: a person (cadre) or a unit (department, enterprise, other)."""
    helper = await helpers.create_helper(session, settings, principal, body)
    return await helpers.helper_out(session, settings, principal, helper)


@helpers_router.get("", response_model=Page[HelperOut], name="helpers_list")
async def helpers_list(params: Paging, session: SessionDep, settings: SettingsDep,
                       principal: PairingsReader,
                       kind: Literal["person", "unit"] | None = None) -> Page[HelperOut]:
    """List the helpers of the caller's region (ID numbers masked unless pii:read)."""
    rows, cursor = await helpers.list_helpers(session, principal, params, kind)
    return Page[HelperOut](items=[await helpers.helper_out(session, settings, principal, h)
                                  for h in rows], next_cursor=cursor)


@helpers_router.get("/{helper_id}", response_model=HelperOut, name="helpers_get")
async def helpers_get(helper_id: uuid.UUID, session: SessionDep, settings: SettingsDep,
                      principal: PairingsReader) -> HelperOut:
    """One helper (ID number masked unless pii:read)."""
    helper = await helpers.get_helper(session, principal, helper_id)
    return await helpers.helper_out(session, settings, principal, helper)


@pairings_router.post("", response_model=PairingOut, status_code=201, name="pairings_create",
                      responses=problem_responses(409))
async def pairings_create(body: PairingIn, response: Response, session: SessionDep,
                          settings: SettingsDep, principal: PairingsWriter) -> PairingOut:
    """Pair a helper with a household, a village or a town for a period (P1–P4)."""
    result = await service.create_pairing(session, settings, principal, body)
    set_etag(response, result.pairing.version)
    return pairing_out(result.pairing, result.reasons)


@pairings_router.get("", response_model=Page[PairingOut], name="pairings_list")
async def pairings_list(
    params: Paging, session: SessionDep, principal: PairingsReader,
    helper_id: uuid.UUID | None = None, kind: PairingKind | None = None,
    household_id: uuid.UUID | None = None,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
    active_on: Day | None = Query(None, description="only pairings active on this date"),
) -> Page[PairingOut]:
    """List pairings in the caller's region."""
    rows, cursor = await service.list_pairings(
        session, principal, params, helper_id=helper_id, kind=kind, household_id=household_id,
        region_code=region_code, active_on=active_on)
    return Page[PairingOut](items=[pairing_out(p) for p in rows], next_cursor=cursor)


@pairings_router.get("/{pairing_id}", response_model=PairingOut, name="pairings_get",
                     dependencies=[IF_NONE_MATCH],
                     responses={304: {"description": "Not Modified"}})
async def pairings_get(pairing_id: uuid.UUID, request: Request, response: Response,
                       session: SessionDep, principal: PairingsReader):
    """One pairing, with its ETag."""
    pairing = await service.get_pairing(session, principal, pairing_id)
    if (cached := not_modified(request, pairing.version)) is not None:
        return cached
    set_etag(response, pairing.version)
    return pairing_out(pairing)


@pairings_router.patch("/{pairing_id}", response_model=PairingOut, name="pairings_end",
                       dependencies=[IF_MATCH],
                       responses=problem_responses(409, 412, 428))
async def pairings_end(pairing_id: uuid.UUID, body: PairingPatch, request: Request,
                       response: Response, session: SessionDep,
                       principal: PairingsWriter) -> PairingOut:
    """End a pairing (or move its end date): needs If-Match with the pairing's ETag."""
    result = await service.end_pairing(session, principal, pairing_id, body.end_date,
                                       lambda version: require_if_match(request, version))
    set_etag(response, result.pairing.version)
    return pairing_out(result.pairing, result.reasons)
