"""GET /api/v1/reports/summary: the yearly report per 市(區) (POLICY.md section 8, clauses 十五 and
二十三): households registered, exited, retained and removed on a date from the lifecycle events
(R6, R7), the lifecycle events of the year, and the insurance totals (I2, I4) by funding body.

Set-based: three grouped queries whatever the size of the region. The service functions below
are the only code that reads the tables; the endpoint only shapes the answer.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from decimal import Decimal

from fastapi import APIRouter, Query, Response
from pydantic import Field
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, principal_prefix, region_prefix
from app.db import scan_the_day
from app.errors import COMMON_ERRORS
from app.kit.dates import today
from app.kit.deps import ReadSessionDep, ReportsReader  # read-only: the replica may answer
from app.kit.schemas import Day, Out, model_json

router = APIRouter(prefix="/api/v1/reports", tags=["reports"], responses=COMMON_ERRORS)
ZERO = Decimal("0.00")

# --- service ---------------------------------------------------------------------------------

# R6 status and R7 retention on the date, as the rules wrote them into the households' timelines.
_HOUSEHOLDS = text("""
SELECT substr(t.village_code, 1, 6) || '000000' AS district_code,
       count(*) FILTER (WHERE t.status = 'registered') AS registered,
       count(*) FILTER (WHERE t.status = 'exited') AS exited,
       count(*) FILTER (WHERE t.status = 'exited' AND t.retention_end >= CAST(:on AS date))
           AS retained,
       count(*) FILTER (WHERE t.status = 'removed') AS removed
FROM household_timeline t
WHERE t.valid @> CAST(:on AS date) AND t.status IS NOT NULL
  AND t.village_code LIKE :prefix AND t.village_code LIKE :scope
GROUP BY 1
""")

_YEAR_EVENTS = text("""
SELECT substr(h.village_code, 1, 6) || '000000' AS district_code,
       count(*) FILTER (WHERE e.kind = 'register') AS registered,
       count(*) FILTER (WHERE e.kind = 'exit') AS exited,
       count(*) FILTER (WHERE e.kind = 'return') AS returned,
       count(*) FILTER (WHERE e.kind = 'remove') AS removed
FROM household_event e JOIN household h ON h.id = e.household_id
WHERE e.occurred_on BETWEEN :start AND :end
  AND h.village_code LIKE :prefix AND h.village_code LIKE :scope
GROUP BY 1
""")

# (十三, I2, I4; section 8 "traceable to the funding body") rows on the roster are the pending
# and confirmed ones; withdrawn and rejected rows are counted but cost nothing.
_INSURANCE = text("""
SELECT e.district_code, s.kind, s.funding_body,
       count(*) FILTER (WHERE e.state IN ('pending', 'confirmed')) AS persons,
       count(*) FILTER (WHERE e.state = 'pending') AS pending,
       count(*) FILTER (WHERE e.state = 'confirmed') AS confirmed,
       count(*) FILTER (WHERE e.state = 'rejected') AS rejected,
       count(*) FILTER (WHERE e.flagged) AS flagged,
       coalesce(sum(e.amount) FILTER (WHERE e.state IN ('pending', 'confirmed')), 0) AS amount,
       coalesce(sum(e.amount) FILTER (WHERE e.state = 'confirmed'), 0) AS confirmed_amount,
       sum(e.share_city) FILTER (WHERE e.state IN ('pending', 'confirmed')) AS city,
       sum(e.share_district) FILTER (WHERE e.state IN ('pending', 'confirmed')) AS district,
       sum(e.share_town) FILTER (WHERE e.state IN ('pending', 'confirmed')) AS town
FROM insurance_roster_entry e JOIN insurance_scheme s ON s.id = e.scheme_id
WHERE s.year = :year AND e.village_code LIKE :prefix AND e.village_code LIKE :scope
GROUP BY 1, 2, 3
ORDER BY 1, 2, 3
""")

_HOUSEHOLD_KEYS = ("registered", "exited", "retained", "removed")
_EVENT_KEYS = ("registered", "exited", "returned", "removed")


async def summary(session: AsyncSession, principal: Principal, region_code: str, on: date,
                  year: int) -> dict:
    """Section 8: per 市(區) under `region_code`, the households by status on `on`, the
    lifecycle events of `year` and that year's insurance totals by kind and funding body."""
    ensure_in_region(principal, region_code, "region")
    params = {"prefix": region_prefix(region_code) + "%",
              "scope": (principal_prefix(principal) or "") + "%"}
    districts: dict[str, dict] = defaultdict(lambda: {
        "households": dict.fromkeys(_HOUSEHOLD_KEYS, 0),
        "events_in_year": dict.fromkeys(_EVENT_KEYS, 0), "insurance": []})
    await scan_the_day(session)
    for r in (await session.execute(_HOUSEHOLDS, {**params, "on": on})).mappings():
        districts[r["district_code"]]["households"] = {k: r[k] for k in _HOUSEHOLD_KEYS}
    for r in (await session.execute(_YEAR_EVENTS, {**params, "start": date(year, 1, 1),
                                                   "end": date(year, 12, 31)})).mappings():
        districts[r["district_code"]]["events_in_year"] = {k: r[k] for k in _EVENT_KEYS}
    for r in (await session.execute(_INSURANCE, {**params, "year": year})).mappings():
        shares = None
        if r["city"] is not None:
            shares = {"city": r["city"], "district": r["district"], "town": r["town"]}
        districts[r["district_code"]]["insurance"].append({
            "kind": r["kind"], "funding_body": r["funding_body"], "persons": r["persons"],
            "pending": r["pending"], "confirmed": r["confirmed"], "rejected": r["rejected"],
            "flagged": r["flagged"], "amount": r["amount"],
            "confirmed_amount": r["confirmed_amount"], "shares": shares})
    rows = [{"district_code": d, **v} for d, v in sorted(districts.items())]
    return {"region_code": region_code, "as_of": on, "year": year, "districts": rows,
            "totals": _totals(rows)}


def _totals(rows: list[dict]) -> dict:
    households = {k: sum(r["households"][k] for r in rows) for k in _HOUSEHOLD_KEYS}
    events = {k: sum(r["events_in_year"][k] for r in rows) for k in _EVENT_KEYS}
    insurance: dict[tuple[str, str], dict] = {}
    for r in rows:
        for i in r["insurance"]:
            t = insurance.setdefault((i["kind"], i["funding_body"]), {
                "kind": i["kind"], "funding_body": i["funding_body"], "persons": 0, "pending": 0,
                "confirmed": 0, "rejected": 0, "flagged": 0, "amount": ZERO,
                "confirmed_amount": ZERO, "shares": None})
            for k in ("persons", "pending", "confirmed", "rejected", "flagged", "amount",
                      "confirmed_amount"):
                t[k] += i[k]
            if i["shares"] is not None:
                s = t["shares"] or dict.fromkeys(("city", "district", "town"), ZERO)
                t["shares"] = {k: s[k] + i["shares"][k] for k in s}
    return {"households": households, "events_in_year": events,
            "insurance": [insurance[k] for k in sorted(insurance)]}


# --- HTTP ------------------------------------------------------------------------------------


class HouseholdCounts(Out):
    registered: int = Field(description="registered on as_of (R6)")
    exited: int = Field(description="exited on as_of (R6)")
    retained: int = Field(description="exited and within the two-year retention on as_of (R7)")
    removed: int


class YearEvents(Out):
    registered: int
    exited: int
    returned: int
    removed: int


class ShareTotals(Out):
    city: Decimal
    district: Decimal
    town: Decimal


class InsuranceTotals(Out):
    kind: str
    funding_body: str
    persons: int = Field(description="pending and confirmed rows")
    pending: int
    confirmed: int
    rejected: int
    flagged: int
    amount: Decimal = Field(description="premiums of pending and confirmed rows")
    confirmed_amount: Decimal
    shares: ShareTotals | None = Field(description="yuan paid by city, 市(區), town (I4)")


class DistrictSummary(Out):
    district_code: str
    households: HouseholdCounts
    events_in_year: YearEvents
    insurance: list[InsuranceTotals]


class SummaryTotals(Out):
    households: HouseholdCounts
    events_in_year: YearEvents
    insurance: list[InsuranceTotals]


class SummaryOut(Out):
    region_code: str
    as_of: date
    year: int
    districts: list[DistrictSummary]
    totals: SummaryTotals


@router.get("/summary", response_model=SummaryOut, name="reports_summary")
async def reports_summary(
    session: ReadSessionDep, principal: ReportsReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$",
                                    description="default: the caller's region"),
    as_of: Day | None = Query(None, description="default: today (Asia/Shanghai)"),
    year: int | None = Query(None, ge=2016, le=2100, description="default: the year of as_of"),
) -> Response:
    """Households by status and insurance totals by funding body, per 市(區) (section 8)."""
    on = as_of or today()
    body = await summary(session, principal, region_code or principal.region_code, on,
                         year or on.year)
    return model_json(SummaryOut.model_validate(body))
