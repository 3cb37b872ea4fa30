"""R1 per-capita income against the line, and R8 which income assessment is in force (二, 八)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, ROUND_UP, Decimal

from app.policy.errors import PolicyError
from app.policy.lines import LineVersion
from app.policy.reasons import Decision, Reason, Refusal, yuan

FEN = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class AssessmentFacts:
    """One version of a yearly income assessment (R8): a year's income, dated `assessed_on`."""

    id: object
    year: int
    assessed_on: date
    version: int
    wage: Decimal
    business: Decimal
    property: Decimal
    transfer: Decimal
    production_costs: Decimal

    @property
    def net_income(self) -> Decimal:
        """Net income = wage + business + property + transfer − production costs (section 2)."""
        return self.wage + self.business + self.property + self.transfer - self.production_costs


def default_assessed_on(year: int) -> date:
    """R8: an assessment is made on 31 December of its year unless dated otherwise (年終入戶核實)."""
    return date(year, 12, 31)


def assessment_in_force(assessments: Iterable[AssessmentFacts], on: date) -> AssessmentFacts | None:
    """R8: latest assessed_on ≤ on; same date → later year; same year and date → higher version."""
    best: AssessmentFacts | None = None
    for a in assessments:
        if a.assessed_on > on:
            continue
        if best is None or (a.assessed_on, a.year, a.version) > (
            best.assessed_on,
            best.year,
            best.version,
        ):
            best = a
    return best


def per_capita_income(net: Decimal, persons: int) -> Decimal:
    """R1 (二): net ÷ persons rounded half-up to the fen — for display only, never to compare."""
    if persons < 1:
        raise PolicyError("policy.income.no_persons", f"{persons} persons: per-capita undefined", "R1")
    return (net / Decimal(persons)).quantize(FEN, rounding=ROUND_HALF_UP)


def at_or_below_line(
    net: Decimal,
    persons: int,
    line: LineVersion,
    *,
    rule: str = "R1",
    clause: str = "二",
) -> Decision:
    """R1 (二, "以下" includes the number): net ≤ line × persons, exact, no division, no rounding."""
    if persons < 1:
        reason = Reason(rule, clause, f"{persons} persons: per-capita income is undefined")
        return Decision(False, (reason,), (Refusal("policy.income.no_persons", reason),))
    ok = net <= line.amount * persons
    sign = "≤" if ok else ">"
    shown = per_capita_income(net, persons)
    text = yuan(shown)
    if not ok and shown <= line.amount:
        # Rounding to the fen would hide the excess (21,000.01 / 3): show it rounded up instead.
        finer = (net / Decimal(persons)).quantize(Decimal("0.0001"), rounding=ROUND_UP)
        text = f"{finer:,.4f}"
    noun = "person" if persons == 1 else "persons"
    detail = (
        f"per-capita income {text} {sign} line {line.describe()}"
        f"; household net income {yuan(net)} for {persons} {noun}"
    )
    reason = Reason(rule, clause, detail)
    if ok:
        return Decision(True, (reason,))
    return Decision(False, (reason,), (Refusal("policy.income.above_line", reason),))
