"""Who is on a roster (十三, I2, I4): the policy engine's answer for every candidate, as rows.

No rule lives here: eligibility, basis and reasons are those `app.policy.entitlements.evaluate`
wrote into the person timelines
(E2 `medical_premium_full` for basic medical insurance, E3 `major_illness_accident_insurance` for
major illness and accident insurance, with R7 retention); amounts come from the scheme (I1) and
`share_amounts` (I4).
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scoping import district_of
from app.policy.insurance import BASIC_MEDICAL, MAJOR_ILLNESS_ACCIDENT, ShareAmounts
from app.policy.timeline import render

CODE_OF_KIND = {
    BASIC_MEDICAL: "medical_premium_full",
    MAJOR_ILLNESS_ACCIDENT: "major_illness_accident_insurance",
}


@dataclass(frozen=True, slots=True)
class Candidate:
    """One eligible person as a roster row would carry them."""

    person_id: uuid.UUID
    household_id: uuid.UUID
    name: str
    id_number_enc: bytes
    id_hash: bytes
    village_code: str
    district_code: str
    basis: str
    reasons: list[dict[str, str]]

    @property
    def reasons_json(self) -> str:
        return json.dumps(self.reasons, ensure_ascii=False)


@dataclass(frozen=True, slots=True)
class Pricing:
    """(I1, I4) what every row of a scheme costs and who pays which part."""

    amount: Decimal
    shares: ShareAmounts | None


# The persons whose stored answer for the code is eligible on the date: the rules wrote them into
# the person timelines (app.policy.timeline), this only reads them.
_ELIGIBLE = text("""
SELECT p.person_id, p.household_id, p.birth_date, m.name, m.id_number_enc, m.id_hash,
       h.village_code, e.item
FROM person_timeline p
JOIN household_member m ON m.id = p.person_id
JOIN household h ON h.id = p.household_id
CROSS JOIN LATERAL jsonb_array_elements(p.entitlements) AS e(item)
WHERE p.valid @> CAST(:on AS date) AND p.is_member AND h.village_code LIKE :prefix
  AND e.item->>'code' = :code AND (e.item->>'eligible')::boolean
""")


async def eligible_on(session: AsyncSession, on: date, prefix: str,
                      kind: str) -> dict[uuid.UUID, Candidate]:
    """(I2) every person under `prefix` eligible on `on` for the scheme's entitlement, with its
    basis and reasons as the rules gave them: one query over the timelines."""
    code = CODE_OF_KIND[kind]
    out: dict[uuid.UUID, Candidate] = {}
    rows = await session.execute(_ELIGIBLE, {"on": on, "prefix": f"{prefix}%", "code": code})
    for r in rows:
        item = render([r.item], on, r.person_id, r.birth_date)[0]
        out[r.person_id] = Candidate(
            person_id=r.person_id, household_id=r.household_id, name=r.name,
            id_number_enc=r.id_number_enc, id_hash=r.id_hash, village_code=r.village_code,
            # (十三) the premium is paid by the household's 市(區) medical assistance fund
            district_code=district_of(r.village_code), basis=item["basis"],
            reasons=item["reasons"])
    return out
