"""/api/v1/change-requests: A2 maker-checker changes to a household's facts."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, require
from app.changes import service
from app.changes.schemas import ChangeDecisionIn, ChangeRequestIn, ChangeRequestOut
from app.db import session_dependency
from app.errors import COMMON_ERRORS, problem_responses
from app.kit.pagination import PageParams, page_params
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["change-requests"], responses=COMMON_ERRORS)
Session = Depends(session_dependency, scope="function")
READ = Depends(require("proposals:read"))
WRITE = Depends(require("proposals:write"))


@router.post("/change-requests", response_model=ChangeRequestOut, status_code=201,
             name="change_requests_create", responses=problem_responses(409))
async def change_requests_create(body: ChangeRequestIn, request: Request, response: Response,
                                 session: AsyncSession = Session,
                                 principal: Principal = WRITE) -> ChangeRequestOut:
    """Request a change to a household's facts (A2); applied only when another person of the
    approving level accepts it."""
    out = await service.create(session, request.app.state.settings, principal, body)
    response.headers["Location"] = f"/api/v1/change-requests/{out.id}"
    return out


@router.get("/change-requests", response_model=Page[ChangeRequestOut],
            name="change_requests_list")
async def change_requests_list(request: Request, household_id: uuid.UUID | None = None,
                               state: Literal["open", "accepted", "rejected"] | None = None,
                               params: PageParams = Depends(page_params),
                               session: AsyncSession = Session,
                               principal: Principal = READ) -> Page[ChangeRequestOut]:
    """Change requests in the caller's region."""
    items, cursor = await service.list_requests(session, request.app.state.settings, principal,
                                                params, household_id=household_id, state=state)
    return Page[ChangeRequestOut](items=items, next_cursor=cursor)


@router.get("/change-requests/{request_id}", response_model=ChangeRequestOut,
            name="change_requests_get")
async def change_requests_get(request_id: uuid.UUID, request: Request,
                              session: AsyncSession = Session,
                              principal: Principal = READ) -> ChangeRequestOut:
    """One change request with its decision."""
    return await service.get(session, request.app.state.settings, principal, request_id)


@router.post("/change-requests/{request_id}/decision", response_model=ChangeRequestOut,
             name="change_requests_decide", responses=problem_responses(409))
async def change_requests_decide(request_id: uuid.UUID, body: ChangeDecisionIn,
                                 request: Request, session: AsyncSession = Session,
                                 principal: Principal = READ) -> ChangeRequestOut:
    """Accept (apply through the registry's services) or reject, never by the proposer (A2)."""
    return await service.decide(session, request.app.state.settings, principal, request_id, body)
