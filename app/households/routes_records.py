"""/api/v1/households/{id}/…: assessments, lifecycle, measures, visits, entitlements; and
/api/v1/persons/lookup."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.errors import COMMON_ERRORS, problem_responses
from app.households.schemas import (
    AssessmentCreate,
    AssessmentOut,
    EntitlementsOut,
    EventOut,
    ExitIn,
    LookupIn,
    LookupOut,
    MeasureIn,
    MeasureOut,
    MeasurePatch,
    RemoveIn,
    ReturnIn,
    VisitIn,
    VisitOut,
)
from app.households.service import assessments, entitlements, help, lifecycle
from app.kit.dates import today
from app.kit.deps import HouseholdsLifecycle, HouseholdsReader, HouseholdsWriter, Paging, SessionDep
from app.kit.etag import require_if_match, set_etag
from app.kit.schemas import Day, Page

router = APIRouter(tags=["households"], responses=COMMON_ERRORS)
BASE = "/households/{household_id}"


@router.post(BASE + "/assessments", response_model=AssessmentOut, status_code=201,
             name="households_assessments_add")
async def households_assessments_add(household_id: uuid.UUID, body: AssessmentCreate,
                                     session: SessionDep,
                                     principal: HouseholdsWriter) -> AssessmentOut:
    """Record a year's income assessment (R8: a second one for a year is a correction)."""
    return await assessments.add_assessment(session, principal, household_id, body)


@router.get(BASE + "/assessments", response_model=Page[AssessmentOut],
            name="households_assessments_list")
async def households_assessments_list(household_id: uuid.UUID, params: Paging, session: SessionDep,
                                      principal: HouseholdsReader) -> Page[AssessmentOut]:
    """Every income assessment version of the household, by year and version."""
    items, cursor = await assessments.list_assessments(session, principal, household_id, params)
    return Page[AssessmentOut](items=items, next_cursor=cursor)


@router.post(BASE + "/exit", response_model=EventOut, status_code=201, name="households_exit",
             responses=problem_responses(409))
async def households_exit(household_id: uuid.UUID, body: ExitIn, session: SessionDep,
                          principal: HouseholdsLifecycle) -> EventOut:
    """Exit from poverty (R6: income above the line, R5 target, signature; R7 retention follows)."""
    return await lifecycle.exit_household(session, principal, household_id, body)


@router.post(BASE + "/return", response_model=EventOut, status_code=201, name="households_return")
async def households_return(household_id: uuid.UUID, body: ReturnIn, session: SessionDep,
                            principal: HouseholdsLifecycle) -> EventOut:
    """Return to poverty (返貧, R6): an assessment at or below the line; retention ends."""
    return await lifecycle.return_household(session, principal, household_id, body)


@router.post(BASE + "/remove", response_model=EventOut, status_code=201, name="households_remove")
async def households_remove(household_id: uuid.UUID, body: RemoveIn, session: SessionDep,
                            principal: HouseholdsLifecycle) -> EventOut:
    """Remove the household from the register (注銷, R6) with a date and reason."""
    return await lifecycle.remove_household(session, principal, household_id, body)


@router.get(BASE + "/events", response_model=Page[EventOut], name="households_events_list")
async def households_events_list(household_id: uuid.UUID, params: Paging, session: SessionDep,
                                 principal: HouseholdsReader) -> Page[EventOut]:
    """The lifecycle history (R6) with officers, reasons and retention of exits."""
    items, cursor = await lifecycle.list_events(session, principal, household_id, params)
    return Page[EventOut](items=items, next_cursor=cursor)


@router.post(BASE + "/measures", response_model=MeasureOut, status_code=201,
             name="households_measures_add")
async def households_measures_add(household_id: uuid.UUID, body: MeasureIn, response: Response,
                                  session: SessionDep, principal: HouseholdsWriter) -> MeasureOut:
    """Add a help measure to the household's plan."""
    out = await help.add_measure(session, principal, household_id, body)
    set_etag(response, out.version)
    return out


@router.patch(BASE + "/measures/{measure_id}", response_model=MeasureOut,
              name="households_measures_update", responses=problem_responses(412, 428))
async def households_measures_update(household_id: uuid.UUID, measure_id: uuid.UUID,
                                     body: MeasurePatch, request: Request, response: Response,
                                     session: SessionDep,
                                     principal: HouseholdsWriter) -> MeasureOut:
    """End or correct a help measure (If-Match on the measure's ETag)."""
    out = await help.patch_measure(session, principal, household_id, measure_id, body,
                                   lambda v: require_if_match(request, v))
    set_etag(response, out.version)
    return out


@router.get(BASE + "/measures", response_model=Page[MeasureOut], name="households_measures_list")
async def households_measures_list(household_id: uuid.UUID, params: Paging, session: SessionDep,
                                   principal: HouseholdsReader) -> Page[MeasureOut]:
    """The household's help measures."""
    items, cursor = await help.list_measures(session, principal, household_id, params)
    return Page[MeasureOut](items=items, next_cursor=cursor)


@router.post(BASE + "/visits", response_model=VisitOut, status_code=201,
             name="households_visits_add")
async def households_visits_add(household_id: uuid.UUID, body: VisitIn, session: SessionDep,
                                principal: HouseholdsWriter) -> VisitOut:
    """Record a help visit (A5: date on or before today, own helper for a first secretary or
    cadre, optional place and device time)."""
    return await help.add_visit(session, principal, household_id, body)


@router.get(BASE + "/visits", response_model=Page[VisitOut], name="households_visits_list")
async def households_visits_list(household_id: uuid.UUID, params: Paging, session: SessionDep,
                                 principal: HouseholdsReader) -> Page[VisitOut]:
    """The household's help visits."""
    items, cursor = await help.list_visits(session, principal, household_id, params)
    return Page[VisitOut](items=items, next_cursor=cursor)


@router.get(BASE + "/entitlements", response_model=EntitlementsOut,
            name="households_entitlements")
async def households_entitlements(household_id: uuid.UUID, session: SessionDep,
                                  principal: HouseholdsReader,
                                  as_of: Day | None = None) -> EntitlementsOut:
    """Every entitlement of the household and each member on a date, with reasons (R7, E1-E8)."""
    return await entitlements.household_entitlements(session, principal, household_id,
                                                     as_of or today())


@router.post("/persons/lookup", response_model=LookupOut, name="persons_lookup")
async def persons_lookup(body: LookupIn, request: Request, session: SessionDep,
                         principal: HouseholdsReader) -> LookupOut:
    """Find a person by ID number (in the body, never the URL): household and entitlements."""
    return await entitlements.lookup_person(session, request.app.state.settings, principal,
                                            body.id_number, body.as_of or today())
