"""/api/v1/change-requests: A2 maker-checker changes to a household's facts."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Request, Response

from app.changes import service
from app.changes.schemas import ChangeDecisionIn, ChangeRequestIn, ChangeRequestOut
from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, ProposalsReader, ProposalsWriter, SessionDep
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["change-requests"], responses=COMMON_ERRORS)


@router.post("/change-requests", response_model=ChangeRequestOut, status_code=201,
             name="change_requests_create", responses=problem_responses(409))
async def change_requests_create(body: ChangeRequestIn, request: Request, response: Response,
                                 session: SessionDep,
                                 principal: ProposalsWriter) -> ChangeRequestOut:
    """Request a change to a household's facts (A2); applied only when another person of the
    approving level accepts it."""
    out = await service.create(session, request.app.state.settings, principal, body)
    response.headers["Location"] = f"/api/v1/change-requests/{out.id}"
    return out


@router.get("/change-requests", response_model=Page[ChangeRequestOut],
            name="change_requests_list")
async def change_requests_list(request: Request, params: Paging, session: SessionDep,
                               principal: ProposalsReader, household_id: uuid.UUID | None = None,
                               state: Literal["open", "accepted", "rejected"] | None = None,
                               ) -> Page[ChangeRequestOut]:
    """Change requests in the caller's region."""
    items, cursor = await service.list_requests(session, request.app.state.settings, principal,
                                                params, household_id=household_id, state=state)
    return Page[ChangeRequestOut](items=items, next_cursor=cursor)


@router.get("/change-requests/{request_id}", response_model=ChangeRequestOut,
            name="change_requests_get")
async def change_requests_get(request_id: uuid.UUID, request: Request, session: SessionDep,
                              principal: ProposalsReader) -> ChangeRequestOut:
    """One change request with its decision."""
    return await service.get(session, request.app.state.settings, principal, request_id)


@router.post("/change-requests/{request_id}/decision", response_model=ChangeRequestOut,
             name="change_requests_decide", responses=problem_responses(409))
async def change_requests_decide(request_id: uuid.UUID, body: ChangeDecisionIn,
                                 request: Request, session: SessionDep,
                                 principal: ProposalsReader) -> ChangeRequestOut:
    """Accept (apply through the registry's services) or reject, never by the proposer (A2)."""
    return await service.decide(session, request.app.state.settings, principal, request_id, body)
