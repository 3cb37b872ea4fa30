"""Who is on a roster (十三, I2, I4): the policy engine's answer for every candidate, as rows.

No rule lives here: eligibility, basis and reasons are those of `app.policy.entitlements.evaluate`
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

from app.auth.scoping import district_of
from app.insurance.facts import Loaded
from app.policy.entitlements import evaluate
from app.policy.insurance import BASIC_MEDICAL, MAJOR_ILLNESS_ACCIDENT, ShareAmounts

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


def eligible_in(loaded: list[Loaded], on: date, kind: str) -> dict[uuid.UUID, Candidate]:
    """(I2) the persons of these households eligible for the scheme's entitlement on `on`."""
    code = CODE_OF_KIND[kind]
    codes = frozenset({code})
    out: dict[uuid.UUID, Candidate] = {}
    for item in loaded:
        rec = item.record
        members = None
        for e in evaluate(item.facts, on, codes=codes):
            if e.code != code or not e.eligible:
                continue
            if members is None:
                members = {m.id: m for m in rec.members}
            m = members[e.person_id]
            village = rec.household.village_code
            out[m.id] = Candidate(
                person_id=m.id, household_id=rec.household.id, name=m.name,
                id_number_enc=m.id_number_enc, id_hash=m.id_hash, village_code=village,
                # (十三) the premium is paid by the household's 市(區) medical assistance fund
                district_code=district_of(village), basis=e.basis,
                reasons=[r.as_dict() for r in e.reasons])
    return out
