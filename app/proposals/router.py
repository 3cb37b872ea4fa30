"""/api/v1/proposals: staged proposals (A1) with their steps and objections (A3)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, ProposalsReader, ProposalsWriter, SessionDep
from app.kit.schemas import Page
from app.proposals import service
from app.proposals.schemas import (
    Kind,
    ObjectionIn,
    ObjectionOut,
    ProposalIn,
    ProposalItem,
    ProposalOut,
    ProposalStepIn,
    SettleIn,
    State,
)

router = APIRouter(prefix="/api/v1", tags=["proposals"], responses=COMMON_ERRORS)


@router.post("/proposals", response_model=ProposalOut, status_code=201, name="proposals_create",
             responses=problem_responses(409))
async def proposals_create(body: ProposalIn, request: Request, response: Response,
                           session: SessionDep,
                           principal: ProposalsWriter) -> ProposalOut:
    """Propose to register, exit, return or remove a household (A1); checked as the direct
    endpoint checks it, on the proposal's date."""
    out = await service.create_proposal(session, request.app.state.settings, principal, body)
    response.headers["Location"] = f"/api/v1/proposals/{out.id}"
    return out


@router.get("/proposals", response_model=Page[ProposalItem], name="proposals_list")
async def proposals_list(params: Paging, session: SessionDep, principal: ProposalsReader,
                         state: State | None = None, kind: Kind | None = None,
                         household_id: uuid.UUID | None = None) -> Page[ProposalItem]:
    """Proposals in the caller's region."""
    items, cursor = await service.list_proposals(session, principal, params, state=state,
                                                 kind=kind, household_id=household_id)
    return Page[ProposalItem](items=items, next_cursor=cursor)


@router.get("/proposals/{proposal_id}", response_model=ProposalOut, name="proposals_get")
async def proposals_get(proposal_id: uuid.UUID, request: Request,
                        session: SessionDep,
                        principal: ProposalsReader) -> ProposalOut:
    """A proposal with its history of steps and its objections."""
    return await service.get_proposal(session, request.app.state.settings, principal, proposal_id)


@router.post("/proposals/{proposal_id}/steps", response_model=ProposalOut, status_code=201,
             name="proposals_steps_add", responses=problem_responses(409))
async def proposals_steps_add(proposal_id: uuid.UUID, body: ProposalStepIn, request: Request,
                              session: SessionDep,
                              principal: ProposalsReader) -> ProposalOut:
    """The next step (appraise, publicise ≥ 7 days, review, approve or reject), strictly in
    order; the approval writes what the direct endpoint writes."""
    return await service.add_step(session, request.app.state.settings, principal, proposal_id,
                                  body)


@router.post("/proposals/{proposal_id}/objections", response_model=ObjectionOut, status_code=201,
             name="proposals_objections_add", responses=problem_responses(409))
async def proposals_objections_add(proposal_id: uuid.UUID, body: ObjectionIn,
                                   session: SessionDep,
                                   principal: ProposalsWriter) -> ObjectionOut:
    """Record an objection raised during publicity (A3)."""
    return await service.add_objection(session, principal, proposal_id, body)


@router.get("/proposals/{proposal_id}/objections", response_model=list[ObjectionOut],
            name="proposals_objections_list")
async def proposals_objections_list(proposal_id: uuid.UUID, session: SessionDep,
                                    principal: ProposalsReader) -> list[ObjectionOut]:
    """The proposal's objections and how they were settled."""
    return await service.list_objections(session, principal, proposal_id)


@router.post("/proposals/{proposal_id}/objections/{objection_id}/settle",
             response_model=ObjectionOut, name="proposals_objections_settle",
             responses=problem_responses(409))
async def proposals_objections_settle(proposal_id: uuid.UUID, objection_id: uuid.UUID,
                                      body: SettleIn, session: SessionDep,
                                      principal: ProposalsWriter) -> ObjectionOut:
    """Settle an objection as upheld or dismissed, with notes (A3)."""
    return await service.settle_objection(session, principal, proposal_id, objection_id, body)
