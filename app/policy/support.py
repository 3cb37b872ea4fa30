"""R4 support type and R5 targets of a household (clauses 二.1 and 八)."""

from __future__ import annotations

from collections.abc import Iterable

from app.policy.errors import PolicyError
from app.policy.reasons import Decision, Reason, Refusal

LABOUR_CAPACITIES = ("ordinary", "skilled", "partial", "lost", "none")
# (二.1, 八) ordinary, skilled and partial labour make a household development-type (開發式).
WITH_LABOUR = frozenset({"ordinary", "skilled", "partial"})
DEVELOPMENT = "development"
RELIEF = "relief"


def support_type(members_labour_capacities: Iterable[str]) -> tuple[str, Reason]:
    """R4 (二.1, 八): development when any member is ordinary/skilled/partial, else relief."""
    capacities = list(members_labour_capacities)
    unknown = sorted({c for c in capacities if c not in LABOUR_CAPACITIES})
    if unknown:
        raise PolicyError(
            "policy.labour_capacity.unknown",
            f"unknown labour capacity {', '.join(unknown)}",
            "R4",
        )
    able = [c for c in capacities if c in WITH_LABOUR]
    if able:
        kinds = ", ".join(sorted(set(able)))
        detail = (
            f"development-type (開發式): {len(able)} of {len(capacities)} members "
            f"with labour capacity ({kinds})"
        )
        return DEVELOPMENT, Reason("R4", "二.1, 八", detail)
    detail = f"relief-type (救助式): none of {len(capacities)} members has labour capacity"
    return RELIEF, Reason("R4", "二.1, 八", detail)


def target_met(
    support_type: str,
    has_active_income_generating_measure: bool,
    any_member_stable_employment: bool,
    covered_by_dibao: bool,
) -> Decision:
    """R5 (八): development — an income-generating measure or stable job; relief — dibao (應保盡保)."""
    if support_type == DEVELOPMENT:
        met = []
        if has_active_income_generating_measure:
            met.append("an active income-generating help measure")
        if any_member_stable_employment:
            met.append("a member in stable non-agricultural employment")
        if met:
            return Decision(
                True,
                (Reason("R5", "八", f"development-type target met: {' and '.join(met)}"),),
            )
        reason = Reason(
            "R5",
            "八",
            "development-type target unmet: no active income-generating help measure "
            "and no member in stable non-agricultural employment",
        )
        return Decision(False, (reason,), (Refusal("household.target.unmet", reason),))
    if support_type == RELIEF:
        if covered_by_dibao:
            return Decision(
                True,
                (
                    Reason(
                        "R5",
                        "八",
                        "relief-type target met: covered by an active dibao grant",
                    ),
                ),
            )
        reason = Reason(
            "R5",
            "八",
            "relief-type target unmet: not covered by an active dibao grant (應保盡保)",
        )
        return Decision(False, (reason,), (Refusal("household.target.unmet", reason),))
    raise PolicyError("policy.support_type.unknown", f"unknown support type {support_type!r}", "R5")
