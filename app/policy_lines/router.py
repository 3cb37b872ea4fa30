"""/api/v1/policy/poverty-lines (R1) and /api/v1/policy/retention-rules (R7)."""

from __future__ import annotations

from fastapi import APIRouter, Query

from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, PolicyReader, PolicyWriter, SessionDep, SettingsDep
from app.kit.schemas import Page
from app.policy_lines import retention, service
from app.policy_lines.schemas import LineIn, PovertyLineOut, RetentionRuleIn, RetentionRuleOut

router = APIRouter(prefix="/api/v1/policy", tags=["policy"], responses=COMMON_ERRORS)


@router.get("/poverty-lines", response_model=Page[PovertyLineOut], name="poverty_lines_list")
async def poverty_lines_list(
    params: Paging, session: SessionDep, principal: PolicyReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
) -> Page[PovertyLineOut]:
    """List the poverty line versions (R1) of the city and the caller's 市(區)."""
    rows, cursor = await service.list_lines(session, principal, params, region_code)
    return Page[PovertyLineOut](items=[PovertyLineOut.model_validate(r) for r in rows], next_cursor=cursor)


@router.post("/poverty-lines", response_model=PovertyLineOut, status_code=201, name="poverty_lines_create",
             responses=problem_responses(409))
async def poverty_lines_create(body: LineIn, session: SessionDep, settings: SettingsDep,
                               principal: PolicyWriter) -> PovertyLineOut:
    """Set a new version of the city's or a 市(區)'s poverty line (R1: never below the city's);
    `state` pending while the worker applies a line that reaches many households."""
    return PovertyLineOut.model_validate(await service.create_line(session, settings, principal, body))


@router.get("/retention-rules", response_model=Page[RetentionRuleOut], name="retention_rules_list")
async def retention_rules_list(params: Paging, session: SessionDep,
                               principal: PolicyReader) -> Page[RetentionRuleOut]:
    """The versions of the R7 retention length (months after exit)."""
    rows, cursor = await retention.list_rules(session, params)
    return Page[RetentionRuleOut](items=[RetentionRuleOut.model_validate(r) for r in rows],
                                  next_cursor=cursor)


@router.post("/retention-rules", response_model=RetentionRuleOut, status_code=201,
             name="retention_rules_create")
async def retention_rules_create(body: RetentionRuleIn, session: SessionDep,
                                 principal: PolicyWriter) -> RetentionRuleOut:
    """Set the R7 retention length from a date (city-wide; exits keep the length of their date)."""
    return RetentionRuleOut.model_validate(await retention.create_rule(session, principal, body))
