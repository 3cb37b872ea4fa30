"""GET /api/v1/reports/pairing-coverage: 三落實 on a date (clauses 八, 十七, 十八).

Registered households without a responsible cadre (P1), weak villages (R2) without a first
secretary (P2) or a helping unit, and counts by 市(區); the queries are in app.pairings.coverage.
"""

from __future__ import annotations

from fastapi import APIRouter, Query, Response

from app.errors import COMMON_ERRORS
from app.kit.dates import today
from app.kit.deps import ReadSessionDep, ReportsReader  # read-only: the replica may answer
from app.kit.schemas import Day, model_json
from app.pairings.coverage import PairingCoverage, pairing_coverage

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=COMMON_ERRORS)


@router.get("/pairing-coverage", response_model=PairingCoverage, name="reports_pairing_coverage")
async def reports_pairing_coverage(
    session: ReadSessionDep, principal: ReportsReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$",
                                    description="default: the caller's region"),
    as_of: Day | None = Query(None, description="default: today (Asia/Shanghai)"),
    limit: int = Query(500, ge=0, le=5000, description="most gaps listed of each kind"),
) -> Response:
    """Households without a responsible cadre and weak villages without a first secretary or unit."""
    return model_json(await pairing_coverage(session, principal, region_code, as_of or today(),
                                             limit))
