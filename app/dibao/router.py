"""/api/v1/dibao: standards (D1), cases and their workflow (D4–D6), grants and review (D7)."""

from __future__ import annotations

import uuid
from typing import Literal

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.dibao import cases, reads, standards, workflow
from app.dibao.schemas import (
    CaseIn,
    CaseOut,
    CaseSummaryOut,
    CheckIn,
    DecisionIn,
    GrantOut,
    PeriodOut,
    PublicityIn,
    ReviewItemOut,
    StandardIn,
    StandardOut,
    StepIn,
    StepOut,
)
from app.errors import COMMON_ERRORS, problem_responses
from app.kit.dates import today
from app.kit.deps import DibaoReader, DibaoWriter, Paging, SessionDep, SettingsDep
from app.kit.schemas import Day, Page

router = APIRouter(prefix="/api/v1/dibao", tags=["dibao"], responses=COMMON_ERRORS)
CaseState = Literal["applied", "verifying", "publicised", "approved", "rejected", "active",
                    "suspended", "terminated"]


def _case_out(view: reads.CaseView) -> CaseOut:
    c = view.case
    return CaseOut(
        **CaseSummaryOut.model_validate(c).model_dump(exclude={"state"}), state=view.state,
        as_of=view.as_of,
        covered_persons=None if view.current is None else view.current.covered_persons,
        monthly_benefit=None if view.current is None else view.current.monthly_benefit,
        needs_review=view.needs_review, flags=view.flags,
        periods=[PeriodOut.model_validate(reads.period_dict(p)) for p in view.periods],
        history=[StepOut.model_validate(s) for s in view.steps])


async def _answer(session: AsyncSession, principal: Principal, case) -> CaseOut:
    on = max(today(), case.applied_on)
    return _case_out(await reads.get_case(session, principal, case.id, on))


@router.get("/standards", response_model=Page[StandardOut], name="dibao_standards_list")
async def dibao_standards_list(
    params: Paging, session: SessionDep, principal: DibaoReader,
    region_code: str | None = Query(None, pattern=r"^[0-9]{12}$"),
) -> Page[StandardOut]:
    """Dibao standards per 市(區) with their effective dates (D1), history included."""
    rows, cursor = await standards.list_standards(session, principal, params, region_code)
    return Page[StandardOut](items=[StandardOut.model_validate(r) for r in rows],
                             next_cursor=cursor)


@router.post("/standards", response_model=StandardOut, status_code=201,
             name="dibao_standards_create", responses=problem_responses(409))
async def dibao_standards_create(body: StandardIn, session: SessionDep,
                                 principal: DibaoWriter) -> StandardOut:
    """Set a 市(區)'s standard from a date (D1); active grants are re-evaluated (D7)."""
    return StandardOut.model_validate(await standards.create_standard(session, principal, body))


@router.post("/cases", response_model=CaseOut, status_code=201, name="dibao_cases_create",
             responses=problem_responses(409))
async def dibao_cases_create(body: CaseIn, session: SessionDep, settings: SettingsDep,
                             principal: DibaoWriter) -> CaseOut:
    """Apply for dibao for a household, or for one member alone (D4); flags favouritism (D6)."""
    return await _answer(session, principal, await cases.apply(session, settings, principal, body))


@router.get("/cases", response_model=Page[CaseSummaryOut], name="dibao_cases_list")
async def dibao_cases_list(
    params: Paging, session: SessionDep, principal: DibaoReader, state: CaseState | None = None,
    household_id: uuid.UUID | None = None, as_of: Day | None = None,
) -> Page[CaseSummaryOut]:
    """Dibao cases in the caller's region on `as_of`, in their state then, by state or household."""
    rows, cursor = await reads.list_cases(session, principal, params, state=state,
                                          household_id=household_id, on=as_of or today())
    return Page[CaseSummaryOut](items=[
        CaseSummaryOut(**CaseSummaryOut.model_validate(c).model_dump(exclude={"state"}),
                       state=state_then) for c, state_then in rows], next_cursor=cursor)


@router.get("/cases/{case_id}", response_model=CaseOut, name="dibao_cases_get")
async def dibao_cases_get(case_id: uuid.UUID, session: SessionDep, principal: DibaoReader,
                          as_of: Day | None = None) -> CaseOut:
    """One case on a date: state, flags, monthly benefit, benefit periods and its history."""
    return _case_out(await reads.get_case(session, principal, case_id, as_of or today()))


@router.post("/cases/{case_id}/checks", response_model=CaseOut, name="dibao_cases_check",
             responses=problem_responses(409))
async def dibao_cases_check(case_id: uuid.UUID, body: CheckIn, session: SessionDep,
                            principal: DibaoWriter) -> CaseOut:
    """Record one economic-status check (deposits, vehicles, real estate, business) (D5)."""
    case = await workflow.record_check(session, principal, case_id, body)
    return await _answer(session, principal, case)


@router.post("/cases/{case_id}/publicity", response_model=CaseOut, name="dibao_cases_publicise",
             responses=problem_responses(409))
async def dibao_cases_publicise(case_id: uuid.UUID, body: PublicityIn, session: SessionDep,
                                principal: DibaoWriter) -> CaseOut:
    """Record the publicity period (公示), at least 7 days (D5)."""
    case = await workflow.publicise(session, principal, case_id, body)
    return await _answer(session, principal, case)


@router.post("/cases/{case_id}/decision", response_model=CaseOut, name="dibao_cases_decide",
             responses=problem_responses(409))
async def dibao_cases_decide(case_id: uuid.UUID, body: DecisionIn, session: SessionDep,
                             settings: SettingsDep, principal: DibaoWriter) -> CaseOut:
    """Approve (checks passed, publicity over, D2 true, no favouritism) or reject (D5, D6)."""
    case = await workflow.decide(session, settings, principal, case_id, body)
    return await _answer(session, principal, case)


@router.post("/cases/{case_id}/suspend", response_model=CaseOut, name="dibao_cases_suspend",
             responses=problem_responses(409))
async def dibao_cases_suspend(case_id: uuid.UUID, body: StepIn, session: SessionDep,
                              principal: DibaoWriter) -> CaseOut:
    """Suspend an active grant from a date (D5)."""
    case = await workflow.change(session, principal, case_id, "suspend", body)
    return await _answer(session, principal, case)


@router.post("/cases/{case_id}/resume", response_model=CaseOut, name="dibao_cases_resume",
             responses=problem_responses(409))
async def dibao_cases_resume(case_id: uuid.UUID, body: StepIn, session: SessionDep,
                             principal: DibaoWriter) -> CaseOut:
    """Resume a suspended grant from a date (D5)."""
    case = await workflow.change(session, principal, case_id, "resume", body)
    return await _answer(session, principal, case)


@router.post("/cases/{case_id}/terminate", response_model=CaseOut, name="dibao_cases_terminate",
             responses=problem_responses(409))
async def dibao_cases_terminate(case_id: uuid.UUID, body: StepIn, session: SessionDep,
                                principal: DibaoWriter) -> CaseOut:
    """Terminate a grant from a date (D5); its last covered day is the day before."""
    case = await workflow.change(session, principal, case_id, "terminate", body)
    return await _answer(session, principal, case)


@router.get("/grants", response_model=Page[GrantOut], name="dibao_grants_list")
async def dibao_grants_list(
    params: Paging, session: SessionDep, principal: DibaoReader, active_on: Day | None = None,
    household_id: uuid.UUID | None = None,
) -> Page[GrantOut]:
    """Grants active on a date: household, covered persons and the monthly amount then."""
    rows, cursor = await reads.grants(session, principal, params, active_on or today(),
                                      household_id)
    return Page[GrantOut](items=[GrantOut(
        case_id=g.case.id, household_id=g.case.household_id, region_code=g.case.region_code,
        single_person_member_id=g.case.single_person_member_id, start_month=g.case.start_month,
        covered_persons=len(g.members), covered_member_ids=g.members,
        monthly_benefit=None if g.period is None else g.period.monthly_benefit,
        period_from=None if g.period is None else g.period.start,
        needs_review=g.needs_review) for g in rows], next_cursor=cursor)


@router.get("/review-queue", response_model=Page[ReviewItemOut], name="dibao_review_queue")
async def dibao_review_queue(params: Paging, session: SessionDep,
                             principal: DibaoReader) -> Page[ReviewItemOut]:
    """Grants flagged for review today: their benefit period no longer meets D2 (D7)."""
    rows, cursor = await reads.review_queue(session, principal, params, today())
    return Page[ReviewItemOut](items=[ReviewItemOut(
        case_id=c.id, household_id=c.household_id, region_code=c.region_code, state=state,
        since=p.start, monthly_benefit=p.monthly_benefit, reasons=reads.review_reasons(p))
        for c, state, p in rows], next_cursor=cursor)
