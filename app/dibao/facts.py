"""Load, for a batch of cases, the facts their amounts rest on (D1, D2, D7): the districts'
standards, the households' income assessments (R8) and membership. One query per kind of fact
for the whole batch, never one per case."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.dibao import DibaoCase, DibaoCaseStep, DibaoStandard
from app.models.households import HouseholdAssessment, HouseholdMember
from app.policy.dibao_periods import Facts, Membership
from app.policy.income import AssessmentFacts

__all__ = ["Facts", "Membership", "assessment_facts", "district_of", "load_facts",
           "load_standards"]


def district_of(code: str) -> str:
    return code[:6] + "000000"


def assessment_facts(a: HouseholdAssessment) -> AssessmentFacts:
    return AssessmentFacts(id=a.id, year=a.year, assessed_on=a.assessed_on, version=a.version,
                           wage=a.wage_income, business=a.business_income,
                           property=a.property_income, transfer=a.transfer_income,
                           production_costs=a.production_costs)


async def load_standards(session: AsyncSession, districts: Iterable[str]) -> dict[str, list]:
    wanted = sorted(set(districts))
    out: dict[str, list[DibaoStandard]] = {d: [] for d in wanted}
    if not wanted:
        return out
    rows = await session.scalars(select(DibaoStandard)
                                 .where(DibaoStandard.region_code.in_(wanted))
                                 .order_by(DibaoStandard.region_code,
                                           DibaoStandard.effective_from))
    for s in rows.all():
        out[s.region_code].append(s)
    return out


async def load_facts(session: AsyncSession, cases: Iterable[DibaoCase]) -> Facts:
    """The standards, assessments, membership and steps of these cases, in four queries."""
    cases = list(cases)
    households = {c.household_id for c in cases}
    facts = Facts(standards=await load_standards(session, {district_of(c.region_code)
                                                           for c in cases}))
    facts.assessments = defaultdict(list)
    facts.members = defaultdict(list)
    facts.steps = defaultdict(list)
    if not cases:
        return facts
    rows = await session.scalars(select(HouseholdAssessment)
                                 .where(HouseholdAssessment.household_id.in_(households)))
    for a in rows.all():
        facts.assessments[a.household_id].append(assessment_facts(a))
    members = await session.execute(
        select(HouseholdMember.household_id, HouseholdMember.id, HouseholdMember.joined_on,
               HouseholdMember.left_on).where(HouseholdMember.household_id.in_(households)))
    for hid, mid, joined, left in members.all():
        facts.members[hid].append(Membership(mid, joined, left))
    steps = await session.scalars(select(DibaoCaseStep)
                                  .where(DibaoCaseStep.case_id.in_([c.id for c in cases]))
                                  .order_by(DibaoCaseStep.case_id, DibaoCaseStep.seq))
    for s in steps.all():
        facts.steps[s.case_id].append(s)
    return facts
