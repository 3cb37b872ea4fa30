"""Storing a decision with the facts it used (row 34 of the feature table).

A service that decides (register, exit, return, remove, a dibao approval or rejection, a change
request's acceptance) evaluates its rules through one function answering an `Evaluation`: the
pure rule's Decision, the facts it was given and the policy-data versions in force. The same
function is called again by the replay, on the facts as recorded now, and the two are compared.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import jsonable
from app.auth.principal import Principal
from app.models.proposals import DecisionRecord
from app.policy.lines import LineVersion
from app.policy.reasons import Decision

# Every kind of decision with the outcome it records when its rule allows it (a refused rule
# replays as `refused`); each has its replay in app.decisions.service.
KINDS = {"register": "approved", "exit": "approved", "return": "approved", "remove": "approved",
         "dibao_approval": "approved", "dibao_rejection": "rejected",
         "change_request": "accepted"}


@dataclass
class Evaluation:
    """A rule evaluated on facts: the decision, the facts as plain JSON and the policy data."""

    decision: Decision
    facts: dict[str, Any]
    versions: dict[str, Any] = field(default_factory=dict)

    @property
    def rules(self) -> list[str]:
        seen: list[str] = []
        for r in (*self.decision.reasons, *(x.reason for x in self.decision.refusals)):
            if r.rule not in seen:
                seen.append(r.rule)
        return seen

    @property
    def outcome(self) -> str:
        return "allowed" if self.decision.ok else "refused"

    def refusal_codes(self) -> list[str]:
        return [r.code for r in self.decision.refusals]


def line_version(line: LineVersion) -> dict[str, Any]:
    """A poverty line version as recorded: region, effective date, amount."""
    return {"region_code": line.region_code, "effective_from": line.effective_from.isoformat(),
            "amount": str(line.amount)}


async def record_decision(session: AsyncSession, principal: Principal, *, kind: str,
                          subject_type: str, subject_id: uuid.UUID,
                          household_id: uuid.UUID | None, region_code: str, decided_on: date,
                          evaluation: Evaluation, params: dict[str, Any], outcome: str | None = None,
                          entrance: str = "direct",
                          proposal_id: uuid.UUID | None = None) -> DecisionRecord:
    """Add the record of a decision taken to the current transaction."""
    if kind not in KINDS:
        raise ValueError(f"{kind} is not a kind of decision with a replay")
    row = DecisionRecord(
        id=uuid.uuid4(), kind=kind, subject_type=subject_type, subject_id=subject_id,
        household_id=household_id, region_code=region_code, decided_on=decided_on,
        outcome=outcome or KINDS[kind], entrance=entrance, proposal_id=proposal_id,
        rules=evaluation.rules, facts=jsonable(evaluation.facts),
        policy_versions=jsonable(evaluation.versions),
        reasons=[r.as_dict() for r in evaluation.decision.reasons], params=jsonable(params),
        decided_by=principal.actor)
    session.add(row)
    return row
