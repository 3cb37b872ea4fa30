"""Help plans and help records (幫扶有記載, 八): measures and visits."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scopes import HELPER_ROLES
from app.errors import NotFound, refusal_error
from app.events.service import emit
from app.households.schemas import MeasureOut, VisitOut
from app.households.service.common import field_error, scoped_record, touch
from app.kit import dates
from app.kit.pagination import PageParams, paginate
from app.models.households import HouseholdMeasure, HouseholdVisit
from app.policy import field


def visit_out(v: HouseholdVisit) -> VisitOut:
    return VisitOut(id=v.id, household_id=v.household_id, date=v.visited_on, helper_id=v.helper_id,
                    notes=v.notes, recorded_by=v.recorded_by, created_at=v.created_at,
                    latitude=None if v.latitude is None else float(v.latitude),
                    longitude=None if v.longitude is None else float(v.longitude),
                    device_time=v.device_time)


async def _check_helper(session: AsyncSession, helper_id: uuid.UUID | None) -> None:
    """The responsible helper of a measure or a visit must be a recorded helper."""
    from app.models.pairings import Helper  # the helper registry (section 7)

    if helper_id is not None and await session.get(Helper, helper_id) is None:
        raise field_error(["body", "helper_id"], "household.helper_unknown",
                          f"no helper {helper_id}")


async def add_measure(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                      data) -> MeasureOut:
    """A help measure of the plan; income-generating ones count for the R5 target."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    if data.end_date is not None and data.end_date < data.start_date:
        raise field_error(["body", "end_date"], "household.measure.end_before_start",
                          "end_date is before start_date")
    await _check_helper(session, data.helper_id)
    row = HouseholdMeasure(household_id=h.id, kind=data.kind,
                           income_generating=data.income_generating, project=data.project,
                           helper_id=data.helper_id, start_date=data.start_date,
                           end_date=data.end_date, recorded_by=principal.actor)
    session.add(row)
    await session.flush()
    touch(h)
    out = MeasureOut.model_validate(row)
    summary = out.model_dump(exclude={"created_at"})
    await record(session, principal, "household.measure.add", "household", h.id, after=summary,
                 region_code=h.village_code)
    await emit(session, "household.measure.added", "household", h.id, h.village_code, summary)
    return out


async def patch_measure(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                        measure_id: uuid.UUID, data, check_version: Callable[[int], None]) -> MeasureOut:
    """End or correct a measure (If-Match on its version); the R5 target reads the result."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    row = await session.get(HouseholdMeasure, measure_id, with_for_update=True)
    if row is None or row.household_id != h.id:
        raise NotFound("household.measure.not_found", "No such measure.")
    check_version(row.version)
    fields = data.model_fields_set
    for name in ("kind", "income_generating", "project", "start_date"):
        if name in fields and getattr(data, name) is None:
            raise field_error(["body", name], "field.required", f"{name} cannot be null")
    before = MeasureOut.model_validate(row).model_dump(exclude={"created_at"})
    start = data.start_date if "start_date" in fields else row.start_date
    end = data.end_date if "end_date" in fields else row.end_date
    if end is not None and end < start:
        raise field_error(["body", "end_date"], "household.measure.end_before_start",
                          "end_date is before start_date")
    if "helper_id" in fields:
        await _check_helper(session, data.helper_id)
    for name in fields:
        setattr(row, name, getattr(data, name))
    row.version += 1
    touch(h)
    await session.flush()
    out = MeasureOut.model_validate(row)
    after = out.model_dump(exclude={"created_at"})
    await record(session, principal, "household.measure.update", "household", h.id,
                 before=before, after=after, region_code=h.village_code)
    await emit(session, "household.measure.updated", "household", h.id, h.village_code, after)
    return out


async def list_measures(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                        params: PageParams) -> tuple[list[MeasureOut], str | None]:
    await scoped_record(session, principal, household_id)
    stmt = select(HouseholdMeasure).where(HouseholdMeasure.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [HouseholdMeasure.start_date, HouseholdMeasure.id],
                                  params)
    return [MeasureOut.model_validate(r) for r in rows], cursor


async def add_visit(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                    data) -> VisitOut:
    """A help record (A5): the visit's date, helper and what was done, optionally the place and
    the device time; a first secretary or cadre records their own visits only."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    own = principal.helper_id if principal.role in HELPER_ROLES else None
    helper_id = field.visit_helper(own, data.helper_id)
    checked = field.check_visit(own, helper_id, data.date, dates.today())
    if not checked.ok:
        code = checked.first_refusal.code
        raise refusal_error(checked, status=403 if code == "household.visit.not_own" else 422)
    if (data.latitude is None) != (data.longitude is None):
        raise field_error(["body", "latitude"], "household.visit.place_incomplete",
                          "a place needs both latitude and longitude")
    await _check_helper(session, helper_id)
    row = HouseholdVisit(household_id=h.id, visited_on=data.date, helper_id=helper_id,
                         notes=data.notes, recorded_by=principal.actor, latitude=data.latitude,
                         longitude=data.longitude,
                         device_time=data.device_time.astimezone(UTC) if data.device_time else None)
    session.add(row)
    await session.flush()
    touch(h)
    out = visit_out(row)
    summary = out.model_dump(exclude={"created_at"})
    await record(session, principal, "household.visit.add", "household", h.id, after=summary,
                 region_code=h.village_code)
    await emit(session, "household.visit.added", "household", h.id, h.village_code, summary)
    return out


async def list_visits(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                      params: PageParams) -> tuple[list[VisitOut], str | None]:
    await scoped_record(session, principal, household_id)
    stmt = select(HouseholdVisit).where(HouseholdVisit.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [HouseholdVisit.visited_on, HouseholdVisit.id],
                                  params)
    return [visit_out(v) for v in rows], cursor
