"""Dibao, the rural minimum living guarantee (clause 十四): rules D1–D4, D6–D8.

The case workflow of D5 lives in `dibao_case.py`. Money is exact: `Decimal` in, and where a
division by 12 cannot terminate, `fractions.Fraction` in between; nothing is rounded before it is
compared.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Protocol, TypeVar

from app.policy.dates import day_before, first_of_month_on_or_after
from app.policy.errors import PolicyError
from app.policy.reasons import Decision, Reason, Refusal, day, yuan

CLAUSE = "十四"
MONTHS = 12
Amount = Decimal | Fraction | int


class DibaoError(PolicyError):
    """A dibao rule cannot answer (bad input, no standard in force, out-of-order step)."""


# --- helpers ---------------------------------------------------------------------------------


def _exact(value: Amount, what: str) -> Fraction:
    """Exact value of money; floats are refused because they are never exact."""
    if isinstance(value, bool) or not isinstance(value, Decimal | Fraction | int):
        raise DibaoError("dibao.amount.invalid", f"{what} must be a Decimal, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise DibaoError("dibao.amount.invalid", f"{what} must be finite, got {value!r}")
    return Fraction(value)


def _money(value: Amount) -> str:
    """Show an exact amount as yuan to the fen (display only; comparisons stay exact)."""
    f = Fraction(value)
    return yuan(Decimal(f.numerator) / Decimal(f.denominator))


def _persons(n: int, what: str = "persons") -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n < 1:
        raise DibaoError("dibao.persons.invalid", f"{what} must be a whole number ≥ 1, got {n!r}")
    return n


# --- D1 standard -----------------------------------------------------------------------------


class StandardLike(Protocol):
    region_code: str
    effective_from: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Standard:
    """(十四, D1) a dibao standard: yuan per person per month for a 市(區) from a date."""

    region_code: str
    effective_from: date
    amount: Decimal


S = TypeVar("S", bound=StandardLike)


def _district(code: str) -> str:
    if not (isinstance(code, str) and code.isdigit() and len(code) in (6, 12)):
        raise DibaoError("dibao.region.invalid", f"not a 6- or 12-digit region code: {code!r}")
    return code[:6]


def standard_in_force(standards: Iterable[S], district_code: str, on: date) -> S:
    """(十四, D1) the district's standard with the latest effective_from ≤ on (ties: last given)."""
    district = _district(district_code)
    best: S | None = None
    for s in standards:
        in_force = _district(s.region_code) == district and s.effective_from <= on
        if in_force and (best is None or s.effective_from >= best.effective_from):
            best = s
    if best is None:
        raise DibaoError(
            "dibao.standard.not_in_force",
            f"no dibao standard of {district} is in force on {day(on)} (D1, clause 十四)",
            "D1",
        )
    return best


def standard_reason(standard: StandardLike) -> Reason:
    """(十四, D1) the reason sentence naming the standard used."""
    return Reason(
        "D1",
        CLAUSE,
        f"standard {yuan(standard.amount)} per person per month in "
        f"{_district(standard.region_code)} from {day(standard.effective_from)}",
    )


# --- D2 eligibility --------------------------------------------------------------------------


def monthly_income_from_annual(annual_net_income: Amount) -> Fraction:
    """(十四, D2) monthly household income = annual net income ÷ 12, exactly."""
    return _exact(annual_net_income, "annual_net_income") / MONTHS


def d2_eligible(
    *,
    persons: int,
    standard: Amount,
    annual_net_income: Amount | None = None,
    declared_monthly_income: Amount | None = None,
) -> Decision:
    """(十四, D2) monthly per-capita income strictly below the standard; a verified monthly wins."""
    n = _persons(persons)
    std = _exact(standard, "standard")
    if declared_monthly_income is not None:
        monthly = _exact(declared_monthly_income, "declared_monthly_income")
        income, bound = monthly, std * n
        source = f"verified monthly income {_money(monthly)}"
        compare = f"{_money(income)} vs {n} × {_money(std)} = {_money(bound)}"
    elif annual_net_income is not None:
        annual = _exact(annual_net_income, "annual_net_income")
        monthly = annual / MONTHS
        income, bound = annual, std * MONTHS * n
        source = f"annual net income {_money(annual)} ÷ 12 = monthly {_money(monthly)}"
        compare = f"{_money(income)} vs 12 × {n} × {_money(std)} = {_money(bound)}"
    else:
        raise DibaoError("dibao.income.missing", "D2 needs an annual or a verified monthly income")
    per_capita = _money(monthly / n)
    ok = income < bound
    relation = "below" if ok else "not below"
    reason = Reason(
        "D2",
        CLAUSE,
        f"{source}; per capita {per_capita} over {n} person(s) is {relation} the standard "
        f"{_money(std)} ({compare})",
    )
    if ok:
        return Decision(True, (reason,))
    return Decision(
        False, (reason,), (Refusal("dibao.eligibility.income_not_below_standard", reason),)
    )


# --- D3 benefit ------------------------------------------------------------------------------


def monthly_benefit(
    standard: Amount, covered_persons: int, household_monthly_income: Amount
) -> Decimal:
    """(十四, D3) standard × covered − monthly income, never below 0, half-up to whole yuan."""
    n = _persons(covered_persons, "covered_persons")
    gap = _exact(standard, "standard") * n - _exact(
        household_monthly_income, "household_monthly_income"
    )
    if gap <= 0:
        return Decimal("0.00")
    whole = math.floor(gap + Fraction(1, 2))  # half-up on an exact value: .5 up, .4999 down
    return Decimal(whole).quantize(Decimal("0.01"))


def benefit_reason(
    standard: Amount, covered_persons: int, household_monthly_income: Amount
) -> Reason:
    """(十四, D3) the reason sentence showing how the monthly benefit is computed."""
    amount = monthly_benefit(standard, covered_persons, household_monthly_income)
    return Reason(
        "D3",
        CLAUSE,
        f"{_money(standard)} × {covered_persons} − {_money(household_monthly_income)} "
        f"= {yuan(amount)} per month (never below 0, rounded half-up to whole yuan)",
    )


# --- D4 single-person household --------------------------------------------------------------

ADULT_AGE = 18
SEVERE_GRADES = (1, 2)


def check_single_person(
    age_on_application: int, disability_grade: int | None, employed: bool
) -> Decision:
    """(十四, D4) a single-person grant: adult on the application date, grade 1–2, not employed."""
    refusals: list[Refusal] = []
    reasons: list[Reason] = []

    def note(ok: bool, code: str, detail: str) -> None:
        r = Reason("D4", CLAUSE, detail)
        reasons.append(r)
        if not ok:
            refusals.append(Refusal(code, r))

    note(
        age_on_application >= ADULT_AGE,
        "dibao.single_person.not_adult",
        f"aged {age_on_application} on the application date; a single-person grant needs "
        f"{ADULT_AGE} or older",
    )
    grade = "no disability" if disability_grade is None else f"disability grade {disability_grade}"
    note(
        disability_grade in SEVERE_GRADES,
        "dibao.single_person.not_severely_disabled",
        f"{grade}; a single-person grant needs grade 1 or 2 (severe)",
    )
    note(
        not employed,
        "dibao.single_person.employed",
        "employed; a single-person grant needs no employment" if employed else "not employed",
    )
    return Decision(not refusals, tuple(reasons), tuple(refusals))


# --- D6 no favouritism -----------------------------------------------------------------------

ROLE_HELPER = "helper"
ROLE_FIRST_SECRETARY = "first_secretary"
ROLE_OFFICER = "officer"


@dataclass(frozen=True, slots=True)
class FavouritismMatch:
    """(十四, D6) a household member whose ID-number hash is also a helper, secretary or user."""

    id_hash: str
    role: str

    def reason(self) -> Reason:
        return Reason(
            "D6", CLAUSE, f"a member of the household is also a {self.role.replace('_', ' ')}"
        )


def favouritism_matches(
    member_id_hashes: Iterable[str],
    helper_hashes: Iterable[str],
    secretary_hashes: Iterable[str],
    user_hashes: Iterable[str],
) -> list[FavouritismMatch]:
    """(十四, D6) every (member, role) match; in member order, then helper, secretary, officer."""
    roles = (
        (ROLE_HELPER, frozenset(helper_hashes)),
        (ROLE_FIRST_SECRETARY, frozenset(secretary_hashes)),
        (ROLE_OFFICER, frozenset(user_hashes)),
    )
    seen: set[str] = set()
    matches: list[FavouritismMatch] = []
    for h in member_id_hashes:
        if not h or h in seen:
            continue
        seen.add(h)
        matches.extend(FavouritismMatch(h, role) for role, hashes in roles if h in hashes)
    return matches


# --- D7 dynamic adjustment -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class BenefitPeriod:
    """(十四, D7) one stretch of a grant with constant facts; `end` None means open.

    `suspended`: the months of a suspension (D5): the facts are those in force, D2 is still
    answered, but nothing is paid (`monthly_benefit` 0.00)."""

    start: date
    end: date | None
    standard: Decimal
    covered_persons: int
    household_monthly_income: Decimal | Fraction
    monthly_benefit: Decimal
    d2_ok: bool
    suspended: bool = False

    @property
    def needs_review(self) -> bool:
        return not self.d2_ok

    def as_dict(self) -> dict[str, object]:
        """The API shape: `from`, `to`, money as decimal strings (income shown to the fen)."""
        return {
            "from": day(self.start),
            "to": None if self.end is None else day(self.end),
            "standard": _money(self.standard).replace(",", ""),
            "covered_persons": self.covered_persons,
            "household_monthly_income": _money(self.household_monthly_income).replace(",", ""),
            "monthly_benefit": _money(self.monthly_benefit).replace(",", ""),
            "suspended": self.suspended,
        }


Change = tuple[date, Decimal, int, Decimal | Fraction]
Span = tuple[date, date | None]  # first and last day (None: open), both inclusive
NO_BENEFIT = Decimal("0.00")  # a period with nobody covered pays nothing (D3 over 0 persons)


def _covered(n: int) -> int:
    """Covered persons of a period: 0 is allowed (everyone covered has left or died, D7)."""
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise DibaoError("dibao.persons.invalid", f"covered_persons must be ≥ 0, got {n!r}")
    return n


def _in_spans(d: date, spans: Sequence[Span]) -> bool:
    return any(a <= d and (b is None or d <= b) for a, b in spans)


def benefit_periods(
    start_month: date, changes: Sequence[Change], until: date | None,
    suspensions: Sequence[Span] = (),
) -> list[BenefitPeriod]:
    """(十四, D7) periods from start_month: each change opens one on the 1st on or after it.

    A change with 0 covered persons (the single person of a D4 grant, or every member, has left
    or died) opens a period that pays nothing (monthly_benefit 0.00) and fails D2, so the grant
    is flagged for review; it is never ended here (D7: "never silently ended").

    `suspensions` are the unpaid months of the grant (D5, from `dibao_case.suspended_months`,
    whole months): inside them a period is `suspended` and pays 0.00, its facts and D2 answer
    unchanged; the period before a suspension ends the day before it, the one after a
    resumption starts on its first paid month."""
    if start_month.day != 1:
        raise DibaoError("dibao.decision.start_month_invalid", f"{day(start_month)} is not a 1st")
    if until is not None and until < start_month:
        raise DibaoError("dibao.periods.until_before_start", f"{day(until)} < {day(start_month)}")
    # Opening month of each change; a later change opening the same month wins (stable order).
    opened: dict[date, Change] = {}
    for change in sorted(changes, key=lambda c: c[0]):
        effective, standard, covered, income = change
        _exact(standard, "standard")
        _exact(income, "household_monthly_income")
        _covered(covered)
        opened[max(first_of_month_on_or_after(effective), start_month)] = change
    if start_month not in opened:
        raise DibaoError(
            "dibao.periods.no_facts_at_start",
            f"no standard and income are known on {day(start_month)}, the start month",
        )
    bounds = set(opened)
    for a, b in suspensions:
        bounds.add(max(a, start_month))
        if b is not None:
            bounds.add(b + timedelta(days=1))
    starts = sorted(s for s in bounds if s >= start_month and (until is None or s <= until))
    merged: list[tuple[date, Change, bool]] = []
    for s in starts:
        facts = opened[max(o for o in opened if o <= s)]
        suspended = _in_spans(s, suspensions)
        if merged and merged[-1][1][1:] == facts[1:] and merged[-1][2] == suspended:
            continue  # identical facts: the period simply goes on
        merged.append((s, facts, suspended))
    periods: list[BenefitPeriod] = []
    for i, (s, (_, standard, covered, income), suspended) in enumerate(merged):
        end = day_before(merged[i + 1][0]) if i + 1 < len(merged) else until
        periods.append(
            BenefitPeriod(
                start=s,
                end=end,
                standard=standard,
                covered_persons=covered,
                household_monthly_income=income,
                monthly_benefit=(
                    monthly_benefit(standard, covered, income)
                    if covered and not suspended else NO_BENEFIT
                ),
                d2_ok=covered > 0
                and _exact(income, "income") < _exact(standard, "standard") * covered,
                suspended=suspended,
            )
        )
    return periods


def period_on(periods: Iterable[BenefitPeriod], on: date) -> BenefitPeriod | None:
    """(十四, D7) the period in force on `on`, None outside the grant."""
    for p in periods:
        if p.start <= on and (p.end is None or on <= p.end):
            return p
    return None


def review_period_on(periods: Iterable[BenefitPeriod], on: date) -> BenefitPeriod | None:
    """(十四, D7) the period that flags the grant for review on `on`: the one in force then, if
    D2 fails in it (nobody left to cover, or income not below the standard). The flag of a past
    date is the flag then, not today's: a grant reviewed later was not flagged before."""
    p = period_on(periods, on)
    return p if p is not None and not p.d2_ok else None


def period_reason(period: BenefitPeriod) -> Reason:
    """(十四, D7) the reason for one period: its facts, amount and whether it needs review."""
    to = "open" if period.end is None else day(period.end)
    if period.suspended:
        review = "" if period.d2_ok else "; D2 no longer holds: flagged for review"
        return Reason(
            "D5",
            CLAUSE,
            f"{day(period.start)} to {to}: the grant is suspended, nothing is paid for these "
            f"months ({yuan(period.monthly_benefit)}; {period.covered_persons} covered "
            f"person(s), standard {_money(period.standard)}){review}",
        )
    if period.covered_persons == 0:
        return Reason(
            "D7",
            CLAUSE,
            f"{day(period.start)} to {to}: nobody covered by the grant is a member any more "
            f"(left or deceased): {yuan(period.monthly_benefit)} per month; flagged for review "
            "(the grant is not ended until an officer terminates it)",
        )
    review = "" if period.d2_ok else "; D2 no longer holds: flagged for review (the grant goes on)"
    return Reason(
        "D7",
        CLAUSE,
        f"{day(period.start)} to {to}: {_money(period.standard)} × {period.covered_persons} − "
        f"{_money(period.household_monthly_income)} = {yuan(period.monthly_benefit)}{review}",
    )


# --- D8 coverage ----------------------------------------------------------------------------


def coverage_gap(support_type: str, has_active_grant: bool) -> tuple[bool, Reason]:
    """(十四, D8 應保盡保) a registered relief-type household without an active grant is a gap."""
    if support_type not in ("relief", "development"):
        raise DibaoError("dibao.support_type.invalid", f"unknown support type {support_type!r}")
    if support_type == "development":
        return False, Reason(
            "D8", CLAUSE, "development-type household: dibao coverage not required"
        )
    if has_active_grant:
        return False, Reason("D8", CLAUSE, "relief-type household covered by an active dibao grant")
    return True, Reason(
        "D8", CLAUSE, "relief-type household without an active dibao grant (應保盡保 gap)"
    )
