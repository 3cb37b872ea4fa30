"""Yearly income assessments (R8): each in force from its `assessed_on`; a second one for the
same year is a correction, a new version, the old kept."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.events.service import emit
from app.households.facts import members_on
from app.households.schemas import AssessmentOut
from app.households.service.common import (
    assessment_out,
    field_error,
    net_income,
    scoped_record,
    touch,
)
from app.kit.dates import today
from app.kit.pagination import PageParams, paginate
from app.models.households import HouseholdAssessment
from app.policy.income import default_assessed_on


async def add_assessment(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                         data) -> AssessmentOut:
    """R8: record a year's income; persons default to the members on the assessment date."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    previous = max((a for a in rec.assessments if a.year == data.year),
                   key=lambda a: a.version, default=None)
    if previous is None:
        assessed_on = data.assessed_on or default_assessed_on(data.year)
    else:
        # R8: a correction is in force from its own date (by default the day it is made), never
        # from before the version it corrects: answers already given for the past stay true.
        assessed_on = data.assessed_on or max(today(), previous.assessed_on)
        if assessed_on < previous.assessed_on:
            raise field_error(["body", "assessed_on"], "household.assessment.correction_backdated",
                              f"R8: a correction of {data.year} cannot take effect before the "
                              f"version it corrects ({previous.assessed_on.isoformat()})")

    # R1: per-capita = net income ÷ members in that year; the members on the assessment date,
    # or the current members when nobody was a member then.
    persons = data.persons or len(members_on(rec, assessed_on)) or len(
        [m for m in rec.members if m.left_on is None]) or 1
    row = HouseholdAssessment(
        household_id=h.id, year=data.year,
        version=(previous.version if previous else 0) + 1, assessed_on=assessed_on,
        wage_income=data.wage_income, business_income=data.business_income,
        property_income=data.property_income, transfer_income=data.transfer_income,
        production_costs=data.production_costs, net_income=net_income(data), persons=persons,
        recorded_by=principal.actor)
    session.add(row)
    await session.flush()
    touch(h)
    out = assessment_out(row)
    summary = out.model_dump(exclude={"created_at", "household_id"})
    await record(session, principal, "household.assessment.add", "household", h.id,
                 after=summary, region_code=h.village_code)
    await emit(session, "household.assessment.added", "household", h.id, h.village_code,
               {"household_id": h.id, **summary})
    # (十四, D7) an income change re-evaluates the household's dibao grants in this transaction
    from app.dibao.adjust import on_assessment_recorded  # dibao reads the household facts

    await on_assessment_recorded(session, principal, h.id, row.assessed_on, row.id)
    return out


async def list_assessments(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                           params: PageParams) -> tuple[list[AssessmentOut], str | None]:
    """Every assessment version, by year then version."""
    await scoped_record(session, principal, household_id)
    stmt = select(HouseholdAssessment).where(HouseholdAssessment.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [HouseholdAssessment.year,
                                                  HouseholdAssessment.version], params)
    return [assessment_out(a) for a in rows], cursor
