"""Reasons and decisions: what every rule answers, so that an officer can check it."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True, slots=True)
class Reason:
    """One step of an explanation: the rule id (R1, E2, D4...), the policy clause and the facts."""

    rule: str
    clause: str
    detail: str

    def as_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "clause": self.clause, "detail": self.detail}


@dataclass(frozen=True, slots=True)
class Refusal:
    """Why a rule says no: a stable machine code (`household.exit.signature_required`) and reasons."""

    code: str
    reason: Reason


@dataclass(frozen=True, slots=True)
class Decision:
    ok: bool
    reasons: tuple[Reason, ...] = ()
    refusals: tuple[Refusal, ...] = field(default=())

    @property
    def first_refusal(self) -> Refusal | None:
        return self.refusals[0] if self.refusals else None


def yuan(amount: Decimal) -> str:
    """Format money for a reason sentence: 6850 -> '6,850.00' (never rounds away a fen)."""
    q = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    return f"{q:,.2f}"


def day(d: date) -> str:
    return d.isoformat()
