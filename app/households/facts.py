"""A household as it was on a date, loaded from the database for the pure rules.

`load_record` reads everything one household has (bounded by the household), and the functions
below answer what held on a date: membership (joined_on ≤ d < left_on), the attribute version in
force (latest effective_from ≤ d; same date → the later row), the status from the lifecycle events
(R6), the assessment in force (R8), the support type (R4), the R5 target and the exit with its
retention end (R7, using the retention length stored on the exit event). `household_facts` builds
the `HouseholdFacts` of app.policy.entitlements, with the snapshot of the day before the exit.

Other modules call `load_household_facts(session, household_id, on)` (no region check: scope the
household first) or `load_record` + the helpers here.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import NotFound
from app.households.coverage import dibao_coverage
from app.models.households import (
    Household,
    HouseholdAssessment,
    HouseholdEvent,
    HouseholdMeasure,
    HouseholdMember,
    MemberAttributeVersion,
)
from app.policy import support
from app.policy.dates import day_before
from app.policy.entitlements import HouseholdFacts, MemberFacts
from app.policy.income import AssessmentFacts, assessment_in_force
from app.policy.lifecycle import LifecycleEvent, is_member_on, status_on
from app.policy.reasons import Decision, Reason
from app.policy.retention import DEFAULT_RETENTION_MONTHS, Retention

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


def lifecycle_events(rec: HouseholdRecord) -> list[LifecycleEvent]:
    return [LifecycleEvent(e.kind, e.occurred_on, e.seq) for e in rec.events]


def status_of(rec: HouseholdRecord, on: date) -> str | None:
    """R6 (八): registered | exited | removed on `on`, None before registration."""
    return status_on(lifecycle_events(rec), on)


def events_until(rec: HouseholdRecord, on: date) -> list[HouseholdEvent]:
    return [e for e in rec.events if e.occurred_on <= on]


def exit_in_force(rec: HouseholdRecord, on: date) -> HouseholdEvent | None:
    """R7: the exit whose retention may apply on `on` (the latest event on or before it)."""
    past = events_until(rec, on)
    return past[-1] if past and past[-1].kind == "exit" else None


def retention_of_exit(event: HouseholdEvent) -> Retention:
    """R7 (八): the retention after an exit, with the length stored on the exit event."""
    months = event.retention_months if event.retention_months is not None else DEFAULT_RETENTION_MONTHS
    return Retention.after_exit(event.occurred_on, months)


def retention_on(rec: HouseholdRecord, on: date) -> Retention | None:
    """The API `retention` on `on`: the exit (when exited) and its retention end."""
    event = exit_in_force(rec, on)
    return retention_of_exit(event) if event is not None else None


def members_on(rec: HouseholdRecord, on: date) -> list[HouseholdMember]:
    """Section 2: the members on `on` (joined_on ≤ on < left_on)."""
    return [m for m in rec.members if is_member_on(m.joined_on, m.left_on, on)]


def attributes_on(rec: HouseholdRecord, member_id: uuid.UUID, on: date) -> MemberAttributeVersion | None:
    """The attribute version in force on `on` (latest effective_from ≤ on, then the later row)."""
    best = None
    for v in rec.versions.get(member_id, []):
        if v.effective_from <= on and (
                best is None or (v.effective_from, v.id) >= (best.effective_from, best.id)):
            best = v
    return best


def _attributes_or_first(rec: HouseholdRecord, member_id: uuid.UUID, on: date) -> MemberAttributeVersion:
    found = attributes_on(rec, member_id, on)
    return found if found is not None else rec.versions[member_id][0]


def support_type_on(rec: HouseholdRecord, on: date) -> tuple[str, Reason]:
    """R4 (二.1, 八): development-type when a member on `on` has labour capacity, else relief."""
    return support.support_type(_attributes_or_first(rec, m.id, on).labour_capacity
                                for m in members_on(rec, on))


def assessment_facts(rec: HouseholdRecord) -> list[AssessmentFacts]:
    return [AssessmentFacts(id=a.id, year=a.year, assessed_on=a.assessed_on, version=a.version,
                            wage=a.wage_income, business=a.business_income,
                            property=a.property_income, transfer=a.transfer_income,
                            production_costs=a.production_costs) for a in rec.assessments]


def assessment_on(rec: HouseholdRecord, on: date) -> HouseholdAssessment | None:
    """R8: the assessment in force on `on`."""
    found = assessment_in_force(assessment_facts(rec), on)
    return next((a for a in rec.assessments if a.id == found.id), None) if found else None


def active_measures(rec: HouseholdRecord, on: date) -> list[HouseholdMeasure]:
    return [m for m in rec.measures
            if m.start_date <= on and (m.end_date is None or on <= m.end_date)]


async def target_on(session: AsyncSession, rec: HouseholdRecord, on: date) -> Decision:
    """R5 (八) on `on`: development — an active income-generating measure or a member in stable
    non-agricultural employment; relief — dibao coverage of a member."""
    kind, _ = support_type_on(rec, on)
    current = members_on(rec, on)
    measure = any(m.income_generating for m in active_measures(rec, on))
    employed = any(_attributes_or_first(rec, m.id, on).stable_nonfarm_employment for m in current)
    covered = bool(await dibao_coverage(session, [m.id for m in current], on)) if current else False
    return support.target_met(kind, measure, employed, covered)


def _member_facts(rec: HouseholdRecord, m: HouseholdMember, on: date,
                  coverage: dict[uuid.UUID, str]) -> MemberFacts:
    v = _attributes_or_first(rec, m.id, on)
    return MemberFacts(
        person_id=m.id, birth_date=m.birth_date, labour_capacity=v.labour_capacity,
        health=v.health, disability_grade=v.disability_grade,
        disability_category=v.disability_category, in_school=v.in_school,
        stable_employment=v.stable_nonfarm_employment,
        tekun=v.tekun_since is not None and v.tekun_since <= on, tekun_since=v.tekun_since,
        dibao_covered=m.id in coverage, dibao_detail=coverage.get(m.id), is_current_member=True,
    )


def facts_from(rec: HouseholdRecord, on: date, coverage: dict[uuid.UUID, str],
               snapshot: HouseholdFacts | None) -> HouseholdFacts:
    """The household's facts on `on` from its loaded record, dibao coverage already known
    (the bulk roster loader builds them the same way, many households at once)."""
    current = members_on(rec, on)
    entries = [e for e in events_until(rec, on) if e.kind in ("register", "return")]
    exit_event = exit_in_force(rec, on)
    retention = retention_of_exit(exit_event) if exit_event is not None else None
    kind, _ = support_type_on(rec, on)
    return HouseholdFacts(
        household_id=rec.household.id,
        status_on_date=status_of(rec, on),
        registered_on=entries[-1].occurred_on if entries else None,
        support_type=kind,
        members=[_member_facts(rec, m, on, coverage) for m in current],
        exit_date=retention.exit_date if retention else None,
        retention_end=retention.retention_end if retention else None,
        snapshot_before_exit=snapshot,
    )


async def _facts(session: AsyncSession, rec: HouseholdRecord, on: date,
                 with_snapshot: bool) -> HouseholdFacts:
    current = members_on(rec, on)
    coverage = await dibao_coverage(session, [m.id for m in current], on) if current else {}
    exit_event = exit_in_force(rec, on)
    snapshot = None
    if with_snapshot and exit_event is not None:
        # R7: what the household and its members held on the day before the exit.
        snapshot = await _facts(session, rec, day_before(retention_of_exit(exit_event).exit_date),
                                False)
    return facts_from(rec, on, coverage, snapshot)


async def household_facts(session: AsyncSession, rec: HouseholdRecord, on: date) -> HouseholdFacts:
    """Section 3 + R7: the HouseholdFacts of `rec` on `on`, with the day-before-exit snapshot."""
    return await _facts(session, rec, on, True)


async def load_household_facts(session: AsyncSession, household_id: uuid.UUID,
                               on: date) -> HouseholdFacts:
    """The HouseholdFacts of a household on `on` (no region check: the caller scopes first)."""
    return await household_facts(session, await load_record(session, household_id), on)
