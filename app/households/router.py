"""/api/v1/households: registration, reading, listing, amending, members; the rest of the
registry's endpoints live in routes_records.py and are included here."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, require
from app.config import Settings
from app.db import session_dependency
from app.errors import COMMON_ERRORS, problem_responses
from app.households.routes_records import router as records_router
from app.households.schemas import (
    HouseholdIn,
    HouseholdItem,
    HouseholdOut,
    HouseholdPatch,
    LeaveIn,
    MemberIn,
    MemberOut,
    MemberPatch,
    SupportType,
)
from app.households.schemas import Status as StatusName
from app.households.service import members, registry
from app.kit.dates import today
from app.kit.etag import IF_MATCH, IF_NONE_MATCH, not_modified, require_if_match, set_etag
from app.kit.pagination import PageParams, page_params
from app.kit.schemas import Day, Page

router = APIRouter(prefix="/api/v1", tags=["households"], responses=COMMON_ERRORS)
Session = Depends(session_dependency, scope="function")
READ = Depends(require("households:read"))
WRITE = Depends(require("households:write"))
# A1: direct registration and lifecycle stay with the district level; the field proposes.
LIFECYCLE = Depends(require("households:lifecycle"))


async def settings_of(request: Request) -> Settings:
    return request.app.state.settings


@router.post("/households", response_model=HouseholdOut, status_code=201, name="households_create",
             responses=problem_responses(409))
async def households_create(body: HouseholdIn, response: Response, session: AsyncSession = Session,
                            settings: Settings = Depends(settings_of),
                            principal: Principal = LIFECYCLE) -> HouseholdOut:
    """Register a household with its members, causes and an income assessment (R1, R6)."""
    out = await registry.register_household(session, settings, principal, body)
    set_etag(response, out.version)
    response.headers["Location"] = f"/api/v1/households/{out.id}"
    return out


@router.get("/households", response_model=Page[HouseholdItem], name="households_list")
async def households_list(
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
    status: StatusName | None = None, support_type: SupportType | None = None,
    as_of: Day | None = None, params: PageParams = Depends(page_params),
    session: AsyncSession = Session, principal: Principal = READ,
) -> Page[HouseholdItem]:
    """List households in the caller's region with status and support type as of a date."""
    items, cursor = await registry.list_households(
        session, principal, params, on=as_of or today(), region_code=region_code, status=status,
        support_type=support_type)
    return Page[HouseholdItem](items=items, next_cursor=cursor)


@router.get("/households/{household_id}", response_model=HouseholdOut, name="households_get",
            dependencies=[IF_NONE_MATCH],
            responses={304: {"description": "Not Modified"}})
async def households_get(household_id: uuid.UUID, request: Request, response: Response,
                         as_of: Day | None = None, session: AsyncSession = Session,
                         settings: Settings = Depends(settings_of),
                         principal: Principal = READ):
    """One household with its members, status, support type and retention as of a date."""
    on = as_of or today()
    out = await registry.get_household(session, settings, principal, household_id, on)
    # status and retention depend on the date: the ETag names the version and the date
    cached = not_modified(request, out.version, on)
    if cached is not None:
        return cached
    set_etag(response, out.version, on)
    return out


@router.patch("/households/{household_id}", response_model=HouseholdOut, name="households_update",
              dependencies=[IF_MATCH],
              responses=problem_responses(412, 428))
async def households_update(household_id: uuid.UUID, body: HouseholdPatch, request: Request,
                            response: Response, session: AsyncSession = Session,
                            settings: Settings = Depends(settings_of),
                            principal: Principal = WRITE) -> HouseholdOut:
    """Amend the group, address or causes of poverty (If-Match)."""
    out = await registry.patch_household(session, settings, principal, household_id, body,
                                         lambda v: require_if_match(request, v), today())
    set_etag(response, out.version)
    return out


@router.post("/households/{household_id}/members", response_model=MemberOut, status_code=201,
             name="households_members_add", responses=problem_responses(409))
async def households_members_add(household_id: uuid.UUID, body: MemberIn,
                                 session: AsyncSession = Session,
                                 settings: Settings = Depends(settings_of),
                                 principal: Principal = WRITE) -> MemberOut:
    """Add a member (join date default today); the ID number must not belong to a current member."""
    return await members.add_member(session, settings, principal, household_id, body)


@router.patch("/households/{household_id}/members/{member_id}", response_model=MemberOut,
              name="households_members_update", responses=problem_responses(412, 428),
              dependencies=[IF_MATCH])
async def households_members_update(household_id: uuid.UUID, member_id: uuid.UUID,
                                    body: MemberPatch, request: Request, response: Response,
                                    session: AsyncSession = Session,
                                    settings: Settings = Depends(settings_of),
                                    principal: Principal = WRITE) -> MemberOut:
    """Change member attributes from `effective_from` (a new version; If-Match on the household)."""
    out, version = await members.update_member(session, settings, principal, household_id,
                                               member_id, body,
                                               lambda v: require_if_match(request, v))
    set_etag(response, version)
    return out


@router.post("/households/{household_id}/members/{member_id}/leave", response_model=MemberOut,
             name="households_members_leave", responses=problem_responses(409))
async def households_members_leave(household_id: uuid.UUID, member_id: uuid.UUID, body: LeaveIn,
                                   session: AsyncSession = Session,
                                   settings: Settings = Depends(settings_of),
                                   principal: Principal = WRITE) -> MemberOut:
    """End a membership on `left_on` with its reason (moved, deceased, married out, other)."""
    return await members.leave_member(session, settings, principal, household_id, member_id, body)


router.include_router(records_router)
