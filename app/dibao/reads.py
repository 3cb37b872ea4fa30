"""Reading dibao cases and grants: one case with its periods and history, lists, the roster of
grants active on a date and the review queue (D5, D7). Amounts are computed from the facts on
read (standards, assessments, membership), so any past date can be answered again."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, or_, select
from sqlalchemy import case as sql_case
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import region_filter
from app.dibao import amounts
from app.dibao.cases import load_case, matched_hashes, steps_of
from app.dibao.facts import Facts, load_facts
from app.errors import Unprocessable
from app.kit.pagination import PageParams, decode_cursor, encode_cursor, paginate
from app.models.dibao import DibaoCase, DibaoCaseMatch, DibaoCaseStep
from app.policy.dibao import (
    BenefitPeriod,
    DibaoError,
    FavouritismMatch,
    period_reason,
    review_period_on,
)
from app.policy.dibao_case import STATE_AFTER_ACTION, grant_active_on, state_after_steps
from app.policy.reasons import Reason, day

GRANT_STATES = ("approved", "active", "suspended")


def active_on_clause(on: date):
    """SQL for `grant_active_on`: decided with a start month ≤ on, and the latest suspend,
    resume or terminate step dated ≤ on (if any) is a resumption."""
    latest = (select(DibaoCaseStep.action)
              .where(DibaoCaseStep.case_id == DibaoCase.id,
                     DibaoCaseStep.action.in_(("suspend", "resume", "terminate")),
                     DibaoCaseStep.on <= on)
              .order_by(DibaoCaseStep.seq.desc()).limit(1)
              .correlate(DibaoCase).scalar_subquery())
    return and_(DibaoCase.start_month.is_not(None), DibaoCase.start_month <= on,
                or_(latest.is_(None), latest == "resume"))


def state_on_clause(on: date):
    """SQL for `state_after_steps` (D5): the state after the case's latest step dated ≤ on (each
    action leads to one state, `STATE_AFTER_ACTION`; steps are recorded in date order, which
    `Workflow.next_state` enforces), then `state_on`: approved is active from the start month.
    NULL before the application."""
    latest = (select(DibaoCaseStep.action)
              .where(DibaoCaseStep.case_id == DibaoCase.id, DibaoCaseStep.on <= on)
              .order_by(DibaoCaseStep.seq.desc()).limit(1)
              .correlate(DibaoCase).scalar_subquery())
    after = sql_case(STATE_AFTER_ACTION, value=latest)
    return sql_case((and_(after == "approved", DibaoCase.start_month.is_not(None),
                      DibaoCase.start_month <= on), "active"), else_=after)


def period_dict(p: BenefitPeriod) -> dict:
    return {**p.as_dict(), "d2_met": p.d2_ok, "reason": period_reason(p).as_dict()}


@dataclass
class CaseView:
    case: DibaoCase
    as_of: date
    state: str
    periods: list[BenefitPeriod]
    current: BenefitPeriod | None
    needs_review: bool
    flags: list[dict]
    steps: list[DibaoCaseStep]
    error: str | None = None


def _steps(facts: Facts, case: DibaoCase) -> list[tuple[str, date]]:
    return [(s.action, s.on) for s in facts.steps.get(case.id, []) if s.action != "apply"]


def state_of(case: DibaoCase, facts: Facts, on: date) -> str:
    """(十四, D5) the case's state on `on`, derived from its steps (approved is active from the
    start month): the one derivation the case, the review queue and the grants answer with."""
    return state_after_steps(case.applied_on, _steps(facts, case), case.start_month,
                             on) or case.state


def review_on(state: str, ps: list[BenefitPeriod], on: date) -> BenefitPeriod | None:
    """(十四, D7) the period that flags an open grant for review on `on`, else None."""
    return review_period_on(ps, on) if state in GRANT_STATES else None


def evaluate(case: DibaoCase, facts: Facts, on: date,
             matches: list[DibaoCaseMatch] = ()) -> CaseView:
    """The case on a date: its state, its periods, the amount then and its flags (D5–D7)."""
    steps = _steps(facts, case)
    state = state_of(case, facts, on)
    flags = [{"code": "dibao.favouritism", "member_id": m.member_id, "role": m.role,
              **FavouritismMatch(m.id_hash.hex(), m.role).reason().as_dict()} for m in matches]
    error = None
    try:
        ps = amounts.periods(case, facts)
    except DibaoError as e:
        ps, error = [], e.code
        flags.append({"code": e.code, "rule": e.rule or "D7", "clause": "十四",
                      "detail": e.detail})
    current = amounts.period_on(ps, on) if grant_active_on(case.start_month, steps, on) else None
    flagged = review_on(state, ps, on)
    if flagged is not None:
        # (十四, D7) flagged for review on that date, never ended silently.
        flags.append({"code": review_code(flagged), **period_reason(flagged).as_dict()})
    return CaseView(case, on, state, ps, current, flagged is not None, flags,
                    facts.steps.get(case.id, []), error)


async def get_case(session: AsyncSession, principal: Principal, case_id: uuid.UUID,
                   on: date) -> CaseView:
    case = await load_case(session, principal, case_id)
    if on < case.applied_on:
        raise Unprocessable("dibao.case.as_of_before_application",
                            f"the case was applied for on {day(case.applied_on)}")
    facts = await load_facts(session, [case])
    facts.steps[case.id] = await steps_of(session, case.id)
    return evaluate(case, facts, on, await matched_hashes(session, case.id))


async def list_cases(session: AsyncSession, principal: Principal, params: PageParams, *,
                     state: str | None, household_id: uuid.UUID | None, on: date):
    """(十四, D5) the cases that exist on `on` (applied on or before it), each with its state on
    that date, derived from its steps dated ≤ on; `state` filters on that derived state."""
    state_then = state_on_clause(on).label("state_on")
    stmt = select(DibaoCase.id, DibaoCase, state_then).where(
        region_filter(principal, DibaoCase.region_code), DibaoCase.applied_on <= on)
    if household_id:
        stmt = stmt.where(DibaoCase.household_id == household_id)
    if state:
        stmt = stmt.where(state_then == state)
    rows, cursor = await paginate(session, stmt, [DibaoCase.id], params, scalars=False)
    return [(r.DibaoCase, r.state_on) for r in rows], cursor


@dataclass
class Grant:
    case: DibaoCase
    members: list[uuid.UUID]
    period: BenefitPeriod | None
    needs_review: bool


def covered_members(case: DibaoCase, facts: Facts, on: date) -> list[uuid.UUID]:
    """(十四, D2, D4) who the grant covers on the date: the same count as its period's
    covered_persons (a single person only while a member), as the entitlements read it."""
    return amounts.covered_ids(case, facts, on)


async def grants(session: AsyncSession, principal: Principal, params: PageParams,
                 on: date, household_id: uuid.UUID | None = None):
    """(十四) the roster: every grant active on the date, covered persons and amount then."""
    stmt = select(DibaoCase).where(region_filter(principal, DibaoCase.region_code),
                                   active_on_clause(on))
    if household_id:
        stmt = stmt.where(DibaoCase.household_id == household_id)
    rows, cursor = await paginate(session, stmt, [DibaoCase.id], params)
    facts = await load_facts(session, rows)
    out = []
    for case in rows:
        view = evaluate(case, facts, on)
        out.append(Grant(case, covered_members(case, facts, on), view.current, view.needs_review))
    return out, cursor


async def review_queue(session: AsyncSession, principal: Principal, params: PageParams,
                       on: date, batch: int = 200):
    """(十四, D7) open grants flagged for review on `on` (their period then no longer meets D2),
    each with its state then (`state_of`, as the case answers), scanned in id order, a batch at
    a time, until the page is full."""
    after = decode_cursor(params.cursor, 1)[0] if params.cursor else None
    items: list[tuple[DibaoCase, str, BenefitPeriod]] = []
    while True:
        stmt = (select(DibaoCase)
                .where(region_filter(principal, DibaoCase.region_code),
                       DibaoCase.state.in_(GRANT_STATES), DibaoCase.start_month.is_not(None))
                .order_by(DibaoCase.id).limit(batch))
        if after is not None:
            stmt = stmt.where(DibaoCase.id > after)
        rows = list((await session.scalars(stmt)).all())
        facts = await load_facts(session, rows)
        for case in rows:
            after = case.id
            try:
                ps = amounts.periods(case, facts)
            except DibaoError:
                continue
            state = state_of(case, facts, on)
            flagged = review_on(state, ps, on)
            if flagged is not None:
                items.append((case, state, flagged))
                if len(items) == params.limit:
                    return items, encode_cursor((case.id,))
        if len(rows) < batch:
            return items, None


def review_code(p: BenefitPeriod) -> str:
    """Why a grant needs review (D7): nobody covered any more, or D2 no longer met."""
    return "dibao.review.no_covered_persons" if p.covered_persons == 0 else "dibao.review.d2_not_met"


def review_reasons(p: BenefitPeriod) -> list[dict]:
    if p.covered_persons == 0:
        return [period_reason(p).as_dict(),
                Reason("D2", "十四", "a grant covers the household's current members or the one "
                       "person of a single-person grant: nobody is left to cover; an officer "
                       "decides whether to terminate, the grant goes on meanwhile").as_dict()]
    return [period_reason(p).as_dict(),
            Reason("D2", "十四", "monthly per-capita income is no longer below the standard; an "
                   "officer decides whether to terminate, the grant goes on meanwhile").as_dict()]
