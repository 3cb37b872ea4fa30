"""R1 poverty line and R2 weak-village line: versioned, region-scoped data (clause 二).

The city line is in force city-wide; a 市(區) (district-level code) may set a higher line for
itself, never a lower one. Lines exist only for the city or a district, never a town or village.
Everything here is generic over the rule id so that R2 (weak villages) reuses it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.policy.errors import NoLineInForce, PolicyError
from app.policy.reasons import Decision, Reason, Refusal, day, yuan

CITY_REGION_CODE = "321200000000"  # 泰州市
CLAUSE = "二"

_CODE = re.compile(r"[0-9]{12}")


@dataclass(frozen=True, slots=True)
class LineVersion:
    """One version of a line: in force for `region_code` from `effective_from` until replaced."""

    region_code: str
    effective_from: date
    amount: Decimal

    def describe(self) -> str:
        """'7,000.00 (321283, from 2016-01-01)': the line as a reason sentence cites it."""
        return f"{yuan(self.amount)} ({self.region_code[:6]}, from {day(self.effective_from)})"


def district_code_of(region_code: str) -> str:
    """The 12-digit code of the 市(區) containing `region_code` (its first 6 digits + zeros)."""
    return region_code[:6] + "000000"


def region_level(region_code: str) -> str:
    """Level of a 12-digit statistical code: province, city, district, town or village."""
    if not _CODE.fullmatch(region_code):
        raise PolicyError("policy.region.code", f"region code {region_code!r} is not 12 digits")
    if region_code[2:] == "0" * 10:
        return "province"
    if region_code[4:] == "0" * 8:
        return "city"
    if region_code[6:] == "0" * 6:
        return "district"
    if region_code[9:] == "000":
        return "town"
    return "village"


def _latest(lines: Iterable[LineVersion], region_code: str, on: date) -> LineVersion | None:
    # Latest effective_from on or before `on`; of two versions with the same date the later one
    # in the input wins (a correction is appended after the line it corrects).
    best: LineVersion | None = None
    for line in lines:
        if (
            line.region_code == region_code
            and line.effective_from <= on
            and (best is None or line.effective_from >= best.effective_from)
        ):
            best = line
    return best


def line_in_force(
    lines: Iterable[LineVersion],
    region_code: str,
    on: date,
    *,
    rule: str = "R1",
    city_code: str = CITY_REGION_CODE,
) -> LineVersion:
    """R1/R2 (二): the district's line in force on `on`, else the city's; NoLineInForce if none.

    A district line never undercuts the city's: should the city later raise its line above a
    district's, the city line applies there until the district raises its own.
    """
    lines = list(lines)
    city = _latest(lines, city_code, on)
    district = _latest(lines, district_code_of(region_code), on)
    if district is not None and (city is None or district.amount >= city.amount):
        return district
    if city is not None:
        return city
    raise NoLineInForce(region_code, on, rule)


def check_line_region(region_code: str, *, rule: str = "R1", city_code: str = CITY_REGION_CODE) -> Decision:
    """R1/R2 (二): a line may be set only for the city itself or one of its 市(區)."""
    if not _CODE.fullmatch(region_code):
        return _refuse(
            "policy.line.region_code",
            rule,
            f"region code {region_code!r} is not 12 digits",
        )
    level = region_level(region_code)
    if region_code == city_code:
        return Decision(True, (Reason(rule, CLAUSE, f"city line for {region_code[:6]}"),))
    if level == "district" and region_code[:4] == city_code[:4]:
        return Decision(True, (Reason(rule, CLAUSE, f"district line for {region_code[:6]}"),))
    if level in ("town", "village"):
        return _refuse(
            "policy.line.region_level",
            rule,
            f"a line is set by the city or a 市(區), not for a {level} ({region_code})",
        )
    return _refuse(
        "policy.line.region_outside",
        rule,
        f"{region_code} is neither the city {city_code[:6]} nor one of its 市(區)",
    )


def check_new_district_line(
    amount: Decimal,
    city_line_in_force: LineVersion | None,
    *,
    rule: str = "R1",
) -> Decision:
    """R1/R2 (二): a 市(區) may set a line higher than or equal to the city's, never lower."""
    if amount <= 0:
        return _refuse("policy.line.amount", rule, f"line amount {yuan(amount)} must be positive")
    if city_line_in_force is None:
        return _refuse(
            NoLineInForce.CODE,
            rule,
            "no city line is in force on that date to compare with",
        )
    if amount < city_line_in_force.amount:
        return _refuse(
            "policy.line.below_city",
            rule,
            f"district line {yuan(amount)} < city line {city_line_in_force.describe()}",
        )
    return Decision(
        True,
        (
            Reason(
                rule,
                CLAUSE,
                f"district line {yuan(amount)} ≥ city line {city_line_in_force.describe()}",
            ),
        ),
    )


def check_new_line(
    new: LineVersion,
    lines: Iterable[LineVersion],
    *,
    rule: str = "R1",
    city_code: str = CITY_REGION_CODE,
) -> Decision:
    """R1/R2 (二): region allowed, amount positive, and a district line not below the city's."""
    where = check_line_region(new.region_code, rule=rule, city_code=city_code)
    if not where.ok:
        return where
    if new.region_code == city_code:
        if new.amount <= 0:
            return _refuse(
                "policy.line.amount",
                rule,
                f"line amount {yuan(new.amount)} must be positive",
            )
        return Decision(True, where.reasons)
    city = _latest(list(lines), city_code, new.effective_from)
    verdict = check_new_district_line(new.amount, city, rule=rule)
    return Decision(verdict.ok, where.reasons + verdict.reasons, verdict.refusals)


def _refuse(code: str, rule: str, detail: str) -> Decision:
    reason = Reason(rule, CLAUSE, detail)
    return Decision(False, (reason,), (Refusal(code, reason),))
