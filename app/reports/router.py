"""/api/v1/reports/targets and /api/v1/reports/annual-verification (R5, R6)."""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.errors import COMMON_ERRORS
from app.kit.dates import today
from app.kit.deps import ReadSessionDep, ReportsReader  # read-only: the replica may answer
from app.kit.schemas import Day, model_json
from app.reports.targets import AnnualVerification, TargetsReport, annual_verification, targets

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=COMMON_ERRORS)


@router.get("/targets", response_model=TargetsReport, name="reports_targets")
async def reports_targets(
    session: ReadSessionDep, principal: ReportsReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$",
                                    description="default: the caller's region"),
    as_of: Day | None = None,
    limit: int = Query(500, ge=1, le=500, description="households listed (counts are exact)"),
) -> Response:
    """R5: registered households that meet their target, and those that fall short with why."""
    return model_json(await targets(session, principal, region_code or principal.region_code,
                                    as_of or today(), limit))


@router.get("/annual-verification", response_model=AnnualVerification,
            name="reports_annual_verification")
async def reports_annual_verification(
    session: ReadSessionDep, principal: ReportsReader,
    year: int = Query(..., ge=2016, le=2100),
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$",
                                    description="default: the caller's region"),
    limit: int = Query(500, ge=1, le=500, description="households listed (counts are exact)"),
) -> Response:
    """R6 定期全面核查: households registered in a year that lack that year's assessment."""
    return model_json(await annual_verification(
        session, principal, region_code or principal.region_code, year, limit))
