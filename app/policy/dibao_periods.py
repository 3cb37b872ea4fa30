"""A case's income, covered persons and benefit periods on any date, from its facts (D2, D3, D7).

Pure: `case` is anything with the dibao case's fields (id, household_id, region_code,
start_month, single_person_member_id, declared_monthly_income, applied_on) and `facts` anything
shaped like `app.dibao.facts.Facts` (standards by 市(區), assessments and members by household,
steps by case, each step with `action` and `on`): the dibao services pass the stored rows, the
timeline builder its plain history.

Choices where the text is silent (POLICY.md D2, D4, D7):
- A single-person case (D4) covers one person whose own income is not in the household's
  assessment, so it must declare a verified monthly income (`declared_monthly_income`), and that
  figure is its income throughout.
- A household case may declare a verified monthly income; it is the income until an assessment
  dated after the application comes into force (R8): newer information supersedes it (D7).
- Covered persons of a household case are its current members on the date (D2); membership
  changes open a new period like a standard or an assessment does. The one person of a
  single-person case (D4) is covered only while a member of the household (R7: "a person who
  leaves the household, or dies, loses" what was held for them).
- A suspension (D5) leaves whole months unpaid: a month is paid when the grant is not
  suspended on its first day (`dibao_case.suspended_months`). Those months are periods with
  `suspended: true` and monthly_benefit 0.00 (not a gap: the facts and D2 still hold for them,
  and a resumption picks them up again).
- When nobody covered is a member any more, the grant is not ended silently (D7): it gets a
  period with covered_persons 0 and monthly_benefit 0.00 (not null: the amount payable is
  known, it is nothing, and rosters and totals add up), D2 fails, so the grant shows
  `needs_review` and sits in the review queue until an officer terminates it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import Any

from app.policy.dates import day_before
from app.policy.dibao import (
    BenefitPeriod,
    DibaoError,
    benefit_periods,
    d2_eligible,
    standard_in_force,
)
from app.policy.dibao import period_on as period_on
from app.policy.dibao_case import suspended_months
from app.policy.income import AssessmentFacts, assessment_in_force
from app.policy.lifecycle import is_member_on
from app.policy.lines import district_code_of as district_of
from app.policy.reasons import Decision, day

Case = Any  # a DibaoCase row or a plain grant of a household history: read by attribute only


@dataclass(frozen=True, slots=True)
class Membership:
    member_id: object
    joined_on: date
    left_on: date | None


@dataclass(slots=True)
class Facts:
    """Everything the amounts of some cases rest on, keyed by district and household; steps
    are anything with `action` and `on` (stored rows or plain ones)."""

    standards: dict[str, list] = field(default_factory=dict)
    assessments: dict[object, list[AssessmentFacts]] = field(default_factory=dict)
    members: dict[object, list[Membership]] = field(default_factory=dict)
    steps: dict[object, list] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Income:
    """The household's monthly income on a date and where it comes from."""

    monthly: Decimal | Fraction
    annual: Decimal | None  # the assessment's net income when it is the source
    declared: Decimal | None  # the verified monthly figure when it is the source


def income_on(case: Case, facts: Facts, on: date) -> Income:
    """(十四, D2, R8) the declared figure, or the assessment in force ÷ 12 (see module notes)."""
    declared = case.declared_monthly_income
    if case.single_person_member_id is not None:
        return Income(declared, None, declared)  # (D4) the person's own income
    a = assessment_in_force(facts.assessments.get(case.household_id, ()), on)
    if declared is not None and (a is None or a.assessed_on <= case.applied_on):
        return Income(declared, None, declared)
    if a is None:
        raise DibaoError("dibao.income.missing",
                         f"no income assessment of the household is in force on {day(on)} (R8)",
                         "D2")
    return Income(Fraction(a.net_income) / 12, a.net_income, None)


def covered_on(case: Case, facts: Facts, on: date) -> int:
    """(十四, D2, D4) every current member on the date, or the one person of a single grant."""
    return len(covered_ids(case, facts, on))


def covered_ids(case: Case, facts: Facts, on: date) -> list:
    """(十四, D2, D4) the members covered on the date: the household's members then, or the one
    person of a single-person grant while they are a member (gone when they leave or die)."""
    return [m.member_id for m in facts.members.get(case.household_id, ())
            if is_member_on(m.joined_on, m.left_on, on)
            and case.single_person_member_id in (None, m.member_id)]


def standard_on(case: Case, facts: Facts, on: date):
    """(十四, D1) the standard of the household's 市(區) in force on the date."""
    district = district_of(case.region_code)
    return standard_in_force(facts.standards.get(district, ()), district, on)


def d2_on(case: Case, facts: Facts, on: date) -> Decision:
    """(十四, D2) monthly per-capita income strictly below the standard on the date."""
    income = income_on(case, facts, on)
    persons = covered_on(case, facts, on)
    if persons < 1:
        raise DibaoError("dibao.persons.none", f"the household has no member on {day(on)}", "D2")
    standard = standard_on(case, facts, on).amount
    if income.declared is not None:
        return d2_eligible(persons=persons, standard=standard,
                           declared_monthly_income=income.declared)
    return d2_eligible(persons=persons, standard=standard, annual_net_income=income.annual)


def _change_dates(case: Case, facts: Facts) -> set[date]:
    dates = {s.effective_from for s in facts.standards.get(district_of(case.region_code), ())}
    if case.single_person_member_id is None:
        dates |= {a.assessed_on for a in facts.assessments.get(case.household_id, ())}
    for m in facts.members.get(case.household_id, ()):
        if case.single_person_member_id in (None, m.member_id):
            dates.add(m.joined_on)
            if m.left_on is not None:
                dates.add(m.left_on)
    return dates


def grant_end(steps: list) -> date | None:
    """The last day a terminated grant covers: the day before its termination takes effect."""
    for s in steps:
        if s.action == "terminate":
            return day_before(s.on)
    return None


def periods(case: Case, facts: Facts) -> list[BenefitPeriod]:
    """(十四, D7) the grant's periods: each new standard, assessment or membership change opens
    one from the first day of the month on or after it; empty before a decision to approve.
    A period whose covered persons fell to 0 pays 0.00 and needs review (module notes)."""
    start = case.start_month
    if start is None:
        return []
    steps = facts.steps.get(case.id, [])
    until = grant_end(steps)
    if until is not None and until < start:
        return []
    changes = []
    for d in sorted({start} | {d for d in _change_dates(case, facts) if d > start}):
        if until is not None and d > until:
            break
        # (D7) nobody left to cover opens a period of 0 persons that pays nothing and is
        # flagged for review; the grant goes on until an officer terminates it.
        persons = covered_on(case, facts, d)
        changes.append((d, standard_on(case, facts, d).amount, persons,
                        income_on(case, facts, d).monthly))
    # (十四, D5) the months a suspension leaves unpaid are periods paying nothing.
    return benefit_periods(start, changes, until,
                           suspended_months([(s.action, s.on) for s in steps]))
