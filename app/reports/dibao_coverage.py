"""GET /api/v1/reports/dibao-coverage: 應保盡保 (D8) gaps and dibao totals by 市(區) on a date."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Query, Response

from app.dibao import coverage
from app.errors import COMMON_ERRORS
from app.kit.dates import today
from app.kit.deps import DibaoReader, Paging, ReadSessionDep  # read-only: the replica may answer
from app.kit.schemas import Day, Out, model_json

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=COMMON_ERRORS)


class CoverageReasonOut(Out):
    rule: str
    clause: str
    detail: str


class CoverageGapOut(Out):
    household_id: uuid.UUID
    village_code: str
    reasons: list[CoverageReasonOut]


class DistrictCoverageOut(Out):
    district_code: str
    relief_households: int
    relief_households_without_grant: int
    households_covered: int
    persons_covered: int
    monthly_amount: Decimal


class DibaoCoverageOut(Out):
    region_code: str
    as_of: date
    totals: list[DistrictCoverageOut]
    gaps: list[CoverageGapOut]
    gaps_next_cursor: str | None


@router.get("/dibao-coverage", response_model=DibaoCoverageOut, name="reports_dibao_coverage")
async def reports_dibao_coverage(
    params: Paging, session: ReadSessionDep, principal: DibaoReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$",
                                    description="default: the caller's region"),
    as_of: Day | None = None,
) -> Response:
    """Relief-type registered households without an active dibao grant (D8), totals by 市(區)."""
    code, on = region_code or principal.region_code, as_of or today()
    gaps, cursor = await coverage.gaps(session, principal, code, on, params)
    return model_json(DibaoCoverageOut(
        region_code=code, as_of=on,
        totals=[DistrictCoverageOut(**t) for t in await coverage.totals(session, principal, code, on)],
        gaps=[CoverageGapOut(household_id=h.id, village_code=h.village_code,
                             reasons=[CoverageReasonOut(**r.as_dict())]) for h, r in gaps],
        gaps_next_cursor=cursor))
