"""/api/v1/decisions: decision records (facts, rules, policy-data versions) and their replay."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, require
from app.db import session_dependency
from app.decisions import service
from app.decisions.schemas import DecisionOut, ReplayOut
from app.errors import COMMON_ERRORS
from app.kit.pagination import PageParams, page_params
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["decisions"], responses=COMMON_ERRORS)
Session = Depends(session_dependency, scope="function")
READ = Depends(require("households:read"))


@router.get("/decisions", response_model=Page[DecisionOut], name="decisions_list")
async def decisions_list(household_id: uuid.UUID | None = None, kind: str | None = None,
                         params: PageParams = Depends(page_params),
                         session: AsyncSession = Session,
                         principal: Principal = READ) -> Page[DecisionOut]:
    """Decision records in the caller's region (filter by household or kind)."""
    items, cursor = await service.list_decisions(session, principal, params,
                                                 household_id=household_id, kind=kind)
    return Page[DecisionOut](items=items, next_cursor=cursor)


@router.get("/decisions/{decision_id}", response_model=DecisionOut, name="decisions_get")
async def decisions_get(decision_id: uuid.UUID, session: AsyncSession = Session,
                        principal: Principal = READ) -> DecisionOut:
    """A decision with the facts, rule ids and policy-data versions it used."""
    return await service.get_decision(session, principal, decision_id)


@router.post("/decisions/{decision_id}/replay", response_model=ReplayOut, name="decisions_replay")
async def decisions_replay(decision_id: uuid.UUID, session: AsyncSession = Session,
                           principal: Principal = READ) -> ReplayOut:
    """Evaluate the same rules on the facts as recorded now for the decision's date: `same` or
    the differences."""
    return await service.replay_decision(session, principal, decision_id)
