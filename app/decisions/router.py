"""/api/v1/decisions: decision records (facts, rules, policy-data versions) and their replay."""

from __future__ import annotations

import uuid

from fastapi import APIRouter

from app.decisions import service
from app.decisions.schemas import DecisionOut, ReplayOut
from app.errors import COMMON_ERRORS
from app.kit.deps import HouseholdsReader, Paging, SessionDep
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["decisions"], responses=COMMON_ERRORS)


@router.get("/decisions", response_model=Page[DecisionOut], name="decisions_list")
async def decisions_list(params: Paging, session: SessionDep, principal: HouseholdsReader,
                         household_id: uuid.UUID | None = None,
                         kind: str | None = None) -> Page[DecisionOut]:
    """Decision records in the caller's region (filter by household or kind)."""
    items, cursor = await service.list_decisions(session, principal, params,
                                                 household_id=household_id, kind=kind)
    return Page[DecisionOut](items=items, next_cursor=cursor)


@router.get("/decisions/{decision_id}", response_model=DecisionOut, name="decisions_get")
async def decisions_get(decision_id: uuid.UUID, session: SessionDep,
                        principal: HouseholdsReader) -> DecisionOut:
    """A decision with the facts, rule ids and policy-data versions it used."""
    return await service.get_decision(session, principal, decision_id)


@router.post("/decisions/{decision_id}/replay", response_model=ReplayOut, name="decisions_replay")
async def decisions_replay(decision_id: uuid.UUID, session: SessionDep,
                           principal: HouseholdsReader) -> ReplayOut:
    """Evaluate the same rules on the facts as recorded now for the decision's date: `same` or
    the differences."""
    return await service.replay_decision(session, principal, decision_id)
