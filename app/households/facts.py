"""A household as it was on a date, loaded from the database for the pure rules.

`load_record` reads everything one household has (bounded by the household), and the functions
below answer what held on a date: membership (joined_on ≤ d < left_on), the attribute version in
force (latest effective_from ≤ d; same date → the later row), the status from the lifecycle events
(R6), the assessment in force (R8), the support type (R4), the R5 target and the exit with its
retention end (R7, using the retention length stored on the exit event); those helpers are pure
and live in `app.policy.history` (re-exported here). Answers that need dibao coverage (R5,
entitlements) are read from the timelines, which the rules wrote; this module imports nothing of
the dibao module.

Other modules call `load_record` + the helpers here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.models.households import (
    Household,
    HouseholdAssessment,
    HouseholdEvent,
    HouseholdMeasure,
    HouseholdMember,
    MemberAttributeVersion,
)
from app.policy.history import (  # noqa: F401  (re-exported: the facts on a date)
    active_measures,
    assessment_facts,
    assessment_on,
    attributes_on,
    attributes_or_first,
    events_until,
    exit_in_force,
    facts_from,
    lifecycle_events,
    member_facts,
    members_on,
    registered_on,
    retention_of_exit,
    retention_on,
    status_of,
    support_type_on,
    target_from,
)

HEAD = "02"


@dataclass
class HouseholdRecord:
    """Everything stored for one household, ordered as the rules expect."""

    household: Household
    events: list[HouseholdEvent]
    members: list[HouseholdMember]
    versions: dict[uuid.UUID, list[MemberAttributeVersion]]
    assessments: list[HouseholdAssessment]
    measures: list[HouseholdMeasure]

    def member(self, member_id: uuid.UUID) -> HouseholdMember | None:
        return next((m for m in self.members if m.id == member_id), None)


async def load_record(session: AsyncSession, household_id: uuid.UUID, *,
                      lock: bool = False) -> HouseholdRecord:
    """Load a household with its events, members, attribute versions, assessments and measures.
    With `lock`, the household row is locked (FOR UPDATE) so that concurrent changes serialise."""
    stmt = select(Household).where(Household.id == household_id)
    if lock:
        stmt = stmt.with_for_update()
    household = (await session.scalars(stmt)).one_or_none()
    if household is None:
        raise NotFound("household.not_found", "No such household.")
    hid = household.id
    events = list((await session.scalars(
        select(HouseholdEvent).where(HouseholdEvent.household_id == hid)
        .order_by(HouseholdEvent.occurred_on, HouseholdEvent.seq))).all())
    members = list((await session.scalars(
        select(HouseholdMember).where(HouseholdMember.household_id == hid)
        .order_by(HouseholdMember.joined_on, HouseholdMember.relation, HouseholdMember.id))).all())
    versions: dict[uuid.UUID, list[MemberAttributeVersion]] = defaultdict(list)
    if members:
        rows = await session.scalars(
            select(MemberAttributeVersion)
            .where(MemberAttributeVersion.member_id.in_([m.id for m in members]))
            .order_by(MemberAttributeVersion.effective_from, MemberAttributeVersion.id))
        for v in rows.all():
            versions[v.member_id].append(v)
    assessments = list((await session.scalars(
        select(HouseholdAssessment).where(HouseholdAssessment.household_id == hid)
        .order_by(HouseholdAssessment.year, HouseholdAssessment.version))).all())
    measures = list((await session.scalars(
        select(HouseholdMeasure).where(HouseholdMeasure.household_id == hid)
        .order_by(HouseholdMeasure.start_date, HouseholdMeasure.id))).all())
    return HouseholdRecord(household, events, members, dict(versions), assessments, measures)
