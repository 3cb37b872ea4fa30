"""D7 dynamic adjustment (clause 十四): when a standard or an income assessment changes, the
active grants it touches are re-evaluated at that moment. Amounts are computed on read from the
facts, so nothing is rewritten here; what this adds is the `dibao.grant.adjusted` event for
each grant whose amount (or D2 answer) changes from the first day of the month on or after the
change, so the civil-affairs system learns of it when it happens. A grant that no longer meets
D2 is not ended: the event says `d2_met: false`, and the review queue lists it.

Other modules call `on_assessment_recorded` in the transaction that adds an assessment, and
`on_membership_changed` in the one where a member joins or leaves (covered persons, D2).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.dibao import amounts
from app.dibao.facts import Facts, load_facts
from app.events.service import emit
from app.models.dibao import DibaoCase
from app.policy.dates import first_of_month_on_or_after
from app.policy.dibao import DibaoError

GRANT_STATES = ("approved", "active", "suspended")


def open_grants_clause():
    """Cases holding a grant that is not terminated: decided with a start month (D5)."""
    return (DibaoCase.start_month.is_not(None), DibaoCase.state.in_(GRANT_STATES))


async def emit_adjustments(session: AsyncSession, grants: list[DibaoCase], before: Facts,
                           after: Facts, effective_from: date, cause: str,
                           extra: dict | None = None) -> int:
    """(十四, D7) `dibao.grant.adjusted` for each grant whose amount or D2 answer differs,
    between the facts before and after the change, from the month on or after it (never before
    the grant's start month). Answers how many were emitted."""
    emitted = 0
    for case in grants:
        opening = max(first_of_month_on_or_after(effective_from), case.start_month)
        try:
            old = amounts.period_on(amounts.periods(case, before), opening)
            new = amounts.period_on(amounts.periods(case, after), opening)
        except DibaoError:
            continue  # facts incomplete for this grant: it shows its own error when read
        if new is None or (old is not None and old.monthly_benefit == new.monthly_benefit
                           and old.d2_ok == new.d2_ok):
            continue
        await emit(session, "dibao.grant.adjusted", "dibao_case", case.id, case.region_code, {
            "case_id": case.id, "household_id": case.household_id, "from": opening,
            "cause": cause, "standard": new.standard, "covered_persons": new.covered_persons,
            "monthly_benefit_before": None if old is None else old.monthly_benefit,
            "monthly_benefit_after": new.monthly_benefit, "d2_met": new.d2_ok,
            "needs_review": not new.d2_ok, **(extra or {}),
        })
        emitted += 1
    return emitted


async def on_assessment_recorded(session: AsyncSession, principal: Principal,
                                 household_id: uuid.UUID, effective_on: date,
                                 assessment_id: uuid.UUID | None = None) -> None:
    """(十四, D7; R8) call right after an income assessment (or a corrected version) of the
    household is added, in the same transaction, with its `assessed_on` as `effective_on` and,
    best, its id: each open grant of the household whose amount or D2 answer changes from the
    first of the month on or after `effective_on` gets a `dibao.grant.adjusted` event (cause
    "assessment"); one that no longer meets D2 says so (`d2_met` false, `needs_review` true)
    and is in the review queue, never ended.

    "Before" is the household's assessments without the new one: the row `assessment_id`, or,
    without it, the assessment in force on `effective_on` among those dated that day (the one
    just added, since a new version or a later year wins on its own date, R8)."""
    grants = list((await session.scalars(
        select(DibaoCase).where(DibaoCase.household_id == household_id, *open_grants_clause())
        .order_by(DibaoCase.id))).all())
    if not grants:
        return
    after = await load_facts(session, grants)
    mine = after.assessments.get(household_id, [])
    if assessment_id is None:
        same_day = [a for a in mine if a.assessed_on == effective_on]
        new = max(same_day, key=lambda a: (a.year, a.version), default=None)
        assessment_id = None if new is None else new.id
    before = Facts(standards=after.standards, members=after.members, steps=after.steps,
                   assessments={household_id: [a for a in mine if a.id != assessment_id]})
    await emit_adjustments(session, grants, before, after, effective_on, "assessment",
                           {"recorded_by": principal.actor})


async def on_membership_changed(session: AsyncSession, principal: Principal,
                                household_id: uuid.UUID, member_id: uuid.UUID,
                                effective_on: date, cause: str) -> None:
    """(十四, D2, D7) call right after a member joins (cause "member_joined") or leaves or dies
    (cause "member_left"), in the same transaction, with the join or leave date: covered
    persons are the members on a date (D2), so each open grant of the household whose amount
    or D2 answer changes from the first of the month on or after that date gets a
    `dibao.grant.adjusted` event, as for an assessment (a single-person grant changes only when
    its own person goes). "Before" is the membership without this change."""
    grants = list((await session.scalars(
        select(DibaoCase).where(DibaoCase.household_id == household_id, *open_grants_clause())
        .order_by(DibaoCase.id))).all())
    if not grants:
        return
    after = await load_facts(session, grants)
    mine = after.members.get(household_id, [])
    if cause == "member_joined":
        then = [m for m in mine if m.member_id != member_id]
    else:
        then = [replace(m, left_on=None) if m.member_id == member_id else m for m in mine]
    before = Facts(standards=after.standards, assessments=after.assessments, steps=after.steps,
                   members={household_id: then})
    await emit_adjustments(session, grants, before, after, effective_on, cause,
                           {"member_id": member_id, "recorded_by": principal.actor})
