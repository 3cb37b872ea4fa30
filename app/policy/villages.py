"""Villages: weak status R2, key weak areas R3 and the new eight haves V1 (clauses 二.2, 七, 十七).

The weak-village line in force is chosen by `lines.line_in_force(..., rule="R2")` (district line,
else the city's); the functions here take the chosen amount, so they stay free of any lookup.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from app.policy.errors import PolicyError
from app.policy.reasons import Decision, Reason, Refusal, yuan

CLAUSE = "二"


class VillageError(PolicyError):
    """A village rule cannot answer: the input itself is wrong (unknown item, bad code)."""


def _decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise VillageError("village.amount.invalid", f"{what} must be a Decimal, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise VillageError("village.amount.invalid", f"{what} must be finite, got {value!r}")
    return Decimal(value)


# --- R2 weak village -------------------------------------------------------------------------


def is_weak(collective_income: Decimal, line_amount: Decimal) -> Decision:
    """(二.2, R2) weak for the year when collective income is at or below the line (以下)."""
    income = _decimal(collective_income, "collective_income")
    line = _decimal(line_amount, "line_amount")
    weak = income <= line
    sign = "≤" if weak else ">"
    verdict = "weak" if weak else "not weak"
    reason = Reason(
        "R2", CLAUSE, f"collective income {yuan(income)} {sign} line {yuan(line)}: {verdict}"
    )
    return Decision(weak, (reason,))


def check_weak_line(amount: Decimal, city_amount: Decimal) -> Decision:
    """(二.2, R2) a 市(區) weak-village line may be higher than the city's in force, never lower."""
    new = _decimal(amount, "amount")
    city = _decimal(city_amount, "city_amount")
    if new <= 0:
        r = Reason("R2", CLAUSE, f"weak-village line {yuan(new)} must be positive")
        return Decision(False, (r,), (Refusal("policy.weak_village_line.not_positive", r),))
    if new < city:
        r = Reason("R2", CLAUSE, f"district weak-village line {yuan(new)} < city line {yuan(city)}")
        return Decision(False, (r,), (Refusal("policy.weak_village_line.below_city", r),))
    r = Reason("R2", CLAUSE, f"district weak-village line {yuan(new)} ≥ city line {yuan(city)}")
    return Decision(True, (r,))


# --- R3 key weak areas -----------------------------------------------------------------------


def _digits(code: str, lengths: tuple[int, ...], what: str) -> str:
    if not (isinstance(code, str) and code.isdigit() and len(code) in lengths):
        raise VillageError("village.code.invalid", f"{what} {code!r} is not a statistical code")
    return code


def town_code_of(village_code: str) -> str:
    """(R3) the 12-digit code of a village's town: the first 9 digits and 000."""
    code = _digits(village_code, (12,), "village code")
    if code[9:] == "000" or code[6:9] == "000":
        raise VillageError("village.code.invalid", f"{code} is not a village code")
    return code[:9] + "000"


def areas_of_village(village_code: str, area_towns: Mapping[str, set[str]]) -> tuple[str, ...]:
    """(二, 十七, R3) the key weak areas whose towns include the village's town, sorted."""
    town = town_code_of(village_code)

    def town12(code: str) -> str:
        code = _digits(code, (9, 12), "town code")
        return code if len(code) == 12 else code + "000"

    return tuple(sorted(a for a, towns in area_towns.items() if town in {town12(t) for t in towns}))


# --- V1 eight haves --------------------------------------------------------------------------

EIGHT_HAVES: tuple[tuple[str, str], ...] = (
    ("strong_leadership", "有群眾擁護的“雙強”班子"),
    ("development_plan", "有科學合理的發展規劃"),
    ("farm_facilities", "有高產高效的農業設施"),
    ("leading_industry", "有特色鮮明的主導產業"),
    ("collective_income", "有持續穩定的集體收入"),
    ("information_network", "有先進適用的信息網絡"),
    ("civil_customs", "有健康向上的文明村風"),
    ("living_environment", "有村容整潔的居住環境"),
)
EIGHT_HAVE_KEYS: tuple[str, ...] = tuple(k for k, _ in EIGHT_HAVES)
_NAMES = dict(EIGHT_HAVES)

Item = tuple[bool, str | None]


def eight_haves(items: Mapping[str, Item]) -> Decision:
    """(二.2, V1) the new eight haves: met_all (Decision.ok) only when all eight are met.

    The whole set is given each year: an unknown or a missing key is an error, and so is an item
    claimed as met without evidence (V1: "each yes/no with evidence"); an unmet item needs none.
    """
    unknown = sorted(set(items) - set(EIGHT_HAVE_KEYS))
    if unknown:
        raise VillageError(
            "village.eight_haves.unknown_item",
            f"unknown eight-haves item(s): {', '.join(unknown)}; "
            f"known: {', '.join(EIGHT_HAVE_KEYS)}",
            "V1",
        )
    missing = [k for k in EIGHT_HAVE_KEYS if k not in items]
    if missing:
        raise VillageError(
            "village.eight_haves.missing_item",
            f"eight-haves item(s) not given: {', '.join(missing)}",
            "V1",
        )
    unproven = [k for k in EIGHT_HAVE_KEYS if items[k][0] and not (items[k][1] or "").strip()]
    if unproven:
        raise VillageError(
            "village.eight_haves.evidence_required",
            f"item(s) marked met without evidence: {', '.join(unproven)}",
            "V1",
        )
    reasons: list[Reason] = []
    refusals: list[Refusal] = []
    for key in EIGHT_HAVE_KEYS:
        met, evidence = items[key]
        if met:
            reasons.append(Reason("V1", CLAUSE, f"{key} {_NAMES[key]}: met ({evidence})"))
        else:
            r = Reason("V1", CLAUSE, f"{key} {_NAMES[key]}: not met")
            reasons.append(r)
            refusals.append(Refusal("village.eight_haves.not_met", r))
    return Decision(not refusals, tuple(reasons), tuple(refusals))
