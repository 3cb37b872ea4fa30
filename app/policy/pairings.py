"""Pairing assignments P1–P4 (clauses 八, 十七, 十八): who helps whom, and when.

Periods are inclusive dates [start, end]; `end` None is open. Two periods overlap when they share
at least one day: a pairing that ends the day before another starts does not overlap it, one that
ends on the day the other starts does. When a pairing is edited (a new end date), the caller
leaves that pairing itself out of the `existing` periods it passes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.policy.errors import PolicyError
from app.policy.lines import region_level
from app.policy.reasons import Decision, Reason, Refusal, day


@dataclass(frozen=True, slots=True)
class Period:
    """(十七, P3) an inclusive period of dates; `end` None means still running."""

    start: date
    end: date | None = None

    def active_on(self, on: date) -> bool:
        """True when `on` falls within the period (both ends included)."""
        return self.start <= on and (self.end is None or on <= self.end)

    def describe(self) -> str:
        return f"{day(self.start)} to {'open' if self.end is None else day(self.end)}"


def overlaps(a: Period, b: Period) -> bool:
    """(P1, P2) inclusive overlap: at least one day in common; open ends run forever."""
    a_before_b = a.end is not None and a.end < b.start
    b_before_a = b.end is not None and b.end < a.start
    return not (a_before_b or b_before_a)


def _refuse(code: str, rule: str, clause: str, detail: str) -> Decision:
    r = Reason(rule, clause, detail)
    return Decision(False, (r,), (Refusal(code, r),))


def _overlap_check(
    new: Period, existing: Iterable[Period], code: str, rule: str, clause: str, what: str
) -> Decision:
    clashes = [p for p in existing if overlaps(new, p)]
    if clashes:
        listed = "; ".join(p.describe() for p in sorted(clashes, key=lambda p: p.start))
        return _refuse(code, rule, clause, f"{new.describe()} overlaps {what}: {listed}")
    return Decision(True, (Reason(rule, clause, f"{new.describe()} overlaps no {what}"),))


# --- P3 periods ------------------------------------------------------------------------------


def check_period(start: date, end: date | None) -> Decision:
    """(十七, P3) end may be open; when given it is on or after start."""
    if end is not None and end < start:
        return _refuse(
            "pairing.period.end_before_start",
            "P3",
            "十七",
            f"end {day(end)} is before start {day(start)}",
        )
    return Decision(True, (Reason("P3", "十七", f"period {Period(start, end).describe()}"),))


# --- P1 one responsible cadre ----------------------------------------------------------------


def check_household_cadre(new_period: Period, existing_periods: Iterable[Period]) -> Decision:
    """(八 定責任人, P1) a household has at most one responsible cadre on any date."""
    return _overlap_check(
        new_period,
        existing_periods,
        "pairing.household_cadre.overlap",
        "P1",
        "八",
        "another responsible cadre of the household",
    )


# --- P2 first secretary ----------------------------------------------------------------------


def check_first_secretary(
    village_weak_in_latest_year: Decision | None,
    new_period: Period,
    existing_secretary_periods: Iterable[Period],
) -> Decision:
    """(十八, P2) only to a village weak in its latest assessed year; one secretary at a time.

    `village_weak_in_latest_year` is `villages.is_weak(...)` for the latest year with a collective
    income, or None when the village has none (then it is not known to be weak: refused).
    """
    reasons: list[Reason] = []
    refusals: list[Refusal] = []
    if village_weak_in_latest_year is None:
        r = Reason("P2", "十八", "no collective income assessed: the village is not known as weak")
        reasons.append(r)
        refusals.append(Refusal("pairing.first_secretary.village_not_weak", r))
    else:
        reasons.extend(village_weak_in_latest_year.reasons)
        if not village_weak_in_latest_year.ok:
            r = Reason("P2", "十八", "the village is not weak in its latest assessed year")
            reasons.append(r)
            refusals.append(Refusal("pairing.first_secretary.village_not_weak", r))
    overlap = _overlap_check(
        new_period,
        existing_secretary_periods,
        "pairing.first_secretary.overlap",
        "P2",
        "十八",
        "another first secretary of the village",
    )
    reasons.extend(overlap.reasons)
    refusals.extend(overlap.refusals)
    return Decision(not refusals, tuple(reasons), tuple(refusals))


# --- P4 not one's own household --------------------------------------------------------------


def check_not_own_household(
    helper_id_hash: str | None, household_member_id_hashes: Iterable[str]
) -> Decision:
    """(八, P4) a person may not be the responsible cadre of a household they belong to."""
    if not helper_id_hash:
        return Decision(True, (Reason("P4", "八", "helper has no ID number on record to compare"),))
    if helper_id_hash in set(household_member_id_hashes):
        return _refuse(
            "pairing.household_cadre.own_household",
            "P4",
            "八",
            "the helper is a member of the household they would be responsible for",
        )
    return Decision(True, (Reason("P4", "八", "the helper is not a member of the household"),))


# --- kinds: who may hold which pairing, and of what ------------------------------------------

HOUSEHOLD_CADRE = "household_cadre"
VILLAGE_UNIT = "village_unit"
TOWN_UNIT = "town_unit"
FIRST_SECRETARY = "first_secretary"
PAIRING_KINDS = (HOUSEHOLD_CADRE, VILLAGE_UNIT, TOWN_UNIT, FIRST_SECRETARY)

# What a pairing is attached to: a household, or a region of the given level.
TARGET_OF_KIND: dict[str, str] = {
    HOUSEHOLD_CADRE: "household",
    VILLAGE_UNIT: "village",
    FIRST_SECRETARY: "village",
    TOWN_UNIT: "town",
}
# (八, 十七, 十八) cadres and first secretaries are people; 掛鉤幫扶 is by a unit or a city leader.
HELPER_KINDS_OF_KIND: dict[str, frozenset[str]] = {
    HOUSEHOLD_CADRE: frozenset({"person"}),
    FIRST_SECRETARY: frozenset({"person"}),
    VILLAGE_UNIT: frozenset({"unit", "person"}),
    TOWN_UNIT: frozenset({"unit", "person"}),
}
KIND_RULE = "§7"  # POLICY.md section 7 (pairing kinds) has no rule id of its own
_CLAUSE_OF_KIND = {
    HOUSEHOLD_CADRE: "八",
    VILLAGE_UNIT: "十七",
    TOWN_UNIT: "十七",
    FIRST_SECRETARY: "十八",
}


def check_pairing_shape(
    kind: str, helper_kind: str, has_household: bool, region_code: str | None
) -> Decision:
    """(八, 十七, 十八) the helper kind fits the pairing kind, and so does its target."""
    if kind not in PAIRING_KINDS:
        return _refuse("pairing.kind.unknown", KIND_RULE, "十七", f"unknown pairing kind {kind!r}")
    clause = _CLAUSE_OF_KIND[kind]
    refusals: list[Refusal] = []

    def refuse(code: str, detail: str) -> None:
        refusals.append(Refusal(code, Reason(KIND_RULE, clause, detail)))

    if helper_kind not in HELPER_KINDS_OF_KIND[kind]:
        allowed = " or ".join(sorted(HELPER_KINDS_OF_KIND[kind]))
        refuse("pairing.helper_kind.not_allowed", f"a {kind} pairing needs a {allowed} helper")
    target = TARGET_OF_KIND[kind]
    if target == "household":
        if not has_household:
            refuse("pairing.target.household_required", f"a {kind} pairing needs a household")
        if region_code is not None:
            refuse("pairing.target.region_not_allowed", f"a {kind} pairing takes no region")
    else:
        if has_household:
            refuse("pairing.target.household_not_allowed", f"a {kind} pairing takes no household")
        if region_code is None:
            refuse("pairing.target.region_required", f"a {kind} pairing needs a {target} region")
        else:
            try:
                level = region_level(region_code)
            except PolicyError:
                level = "invalid"
            if level != target:
                refuse(
                    "pairing.target.region_level",
                    f"a {kind} pairing needs a {target} code, {region_code!r} is {level}",
                )
    if refusals:
        return Decision(False, tuple(r.reason for r in refusals), tuple(refusals))
    return Decision(
        True, (Reason(KIND_RULE, clause, f"{helper_kind} helper, {kind} of a {target}"),)
    )
