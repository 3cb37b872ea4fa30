"""/api/v1/policy/poverty-lines (R1) and /api/v1/policy/retention-rules (R7)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, require
from app.db import session_dependency
from app.errors import COMMON_ERRORS
from app.kit.pagination import PageParams, page_params
from app.kit.schemas import Page
from app.policy_lines import retention, service
from app.policy_lines.schemas import LineIn, LineOut, RetentionRuleIn, RetentionRuleOut

router = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=COMMON_ERRORS)
Session = Depends(session_dependency, scope="function")


@router.get("/poverty-lines", response_model=Page[LineOut], name="poverty_lines_list")
async def poverty_lines_list(
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
    params: PageParams = Depends(page_params), session: AsyncSession = Session,
    principal: Principal = Depends(require("policy:read")),
) -> Page[LineOut]:
    """List the poverty line versions (R1) of the city and the caller's 市(區)."""
    rows, cursor = await service.list_lines(session, principal, params, region_code)
    return Page[LineOut](items=[LineOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/poverty-lines", response_model=LineOut, status_code=201, name="poverty_lines_create")
async def poverty_lines_create(body: LineIn, session: AsyncSession = Session,
                               principal: Principal = Depends(require("policy:write"))) -> LineOut:
    """Set a new version of the city's or a 市(區)'s poverty line (R1: never below the city's)."""
    return LineOut.model_validate(await service.create_line(session, principal, body))


@router.get("/retention-rules", response_model=Page[RetentionRuleOut], name="retention_rules_list")
async def retention_rules_list(params: PageParams = Depends(page_params),
                               session: AsyncSession = Session,
                               principal: Principal = Depends(require("policy:read"))
                               ) -> Page[RetentionRuleOut]:
    """The versions of the R7 retention length (months after exit)."""
    rows, cursor = await retention.list_rules(session, params)
    return Page[RetentionRuleOut](items=[RetentionRuleOut.model_validate(r) for r in rows],
                                  next_cursor=cursor)


@router.post("/retention-rules", response_model=RetentionRuleOut, status_code=201,
             name="retention_rules_create")
async def retention_rules_create(body: RetentionRuleIn, session: AsyncSession = Session,
                                 principal: Principal = Depends(require("policy:write"))
                                 ) -> RetentionRuleOut:
    """Set the R7 retention length from a date (city-wide; exits keep the length of their date)."""
    return RetentionRuleOut.model_validate(await retention.create_rule(session, principal, body))
