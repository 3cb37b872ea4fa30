"""A household's facts as they were on a date, resolved from its stored history (sections 2-4).

The history is anything shaped like the stored record: `household` (`id`), `events` (kind,
occurred_on, seq, retention_months) ordered by (occurred_on, seq), `members` (id, birth_date,
joined_on, left_on), `versions` (member id → attribute versions ordered by (effective_from, id)),
`assessments` (R8 versions) and `measures` (start_date, end_date, income_generating). The ORM rows
of `app.households.facts.HouseholdRecord` and the plain dataclasses below both fit, so the
database loaders and the timeline builder resolve a date with the same functions:

- membership: joined_on ≤ d < left_on;
- the attribute version in force: the latest effective_from ≤ d (same date: the later row); a
  member with no version in force yet is read with their first version;
- status (R6) from the lifecycle events, the exit in force and its retention end (R7, with the
  length stored on the exit event), the assessment in force (R8), the support type (R4), the
  active measures and the R5 target;
- dibao coverage of members from the household's grants (D2, D4, D5).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from app.policy import dibao_periods, support
from app.policy.dibao import DibaoError
from app.policy.dibao_case import grant_active_on
from app.policy.entitlements import HouseholdFacts, MemberFacts
from app.policy.income import AssessmentFacts, assessment_in_force
from app.policy.lifecycle import LifecycleEvent, is_member_on, status_on
from app.policy.reasons import Decision, Reason
from app.policy.retention import DEFAULT_RETENTION_MONTHS, Retention

Record = Any  # a HouseholdRecord or a HouseholdHistory: read by attribute only


# --- plain facts (the timeline builder and the property test use these; the ORM rows fit too) ---

@dataclass(frozen=True, slots=True)
class HouseholdRef:
    id: object
    village_code: str = ""


@dataclass(frozen=True, slots=True)
class EventRow:
    kind: str
    occurred_on: date
    seq: int
    retention_months: int | None = None


@dataclass(frozen=True, slots=True)
class MemberRow:
    id: object
    birth_date: date
    joined_on: date
    left_on: date | None = None


@dataclass(frozen=True, slots=True)
class AttributeRow:
    id: int
    member_id: object
    effective_from: date
    labour_capacity: str
    health: str
    disability_category: int | None = None
    disability_grade: int | None = None
    in_school: bool = False
    stable_nonfarm_employment: bool = False
    tekun_since: date | None = None


@dataclass(frozen=True, slots=True)
class AssessmentRow:
    id: object
    year: int
    assessed_on: date
    version: int
    wage_income: Decimal
    business_income: Decimal = Decimal(0)
    property_income: Decimal = Decimal(0)
    transfer_income: Decimal = Decimal(0)
    production_costs: Decimal = Decimal(0)


@dataclass(frozen=True, slots=True)
class MeasureRow:
    start_date: date
    end_date: date | None
    income_generating: bool


@dataclass(frozen=True, slots=True)
class GrantRow:
    """A decided dibao case of the household: its start month, the one person of a single-person
    grant (D4) and its suspend/resume/terminate steps in recorded order (D5)."""

    case_id: object
    start_month: date | None
    single_person_member_id: object | None = None
    steps: tuple[tuple[str, date], ...] = ()
    # what the case's amounts rest on besides the household's facts (D2, D4, D7)
    region_code: str = ""
    applied_on: date | None = None
    declared_monthly_income: Decimal | None = None


@dataclass(frozen=True, slots=True)
class StandardRow:
    """A dibao standard version of a 市(區) (D1): yuan per person per month from a date."""

    region_code: str
    effective_from: date
    amount: Decimal


@dataclass(slots=True)
class HouseholdHistory:
    """Everything one household's answers rest on, as plain facts."""

    household: HouseholdRef
    events: list[EventRow] = field(default_factory=list)
    members: list[MemberRow] = field(default_factory=list)
    versions: dict[object, list[AttributeRow]] = field(default_factory=dict)
    assessments: list[AssessmentRow] = field(default_factory=list)
    measures: list[MeasureRow] = field(default_factory=list)
    grants: list[GrantRow] = field(default_factory=list)
    lines: list = field(default_factory=list)  # LineVersion of the city and the 市(區)
    standards: list[StandardRow] = field(default_factory=list)  # of the grants' 市(區) (D1)
    retention_rules: list = field(default_factory=list)  # RetentionRuleVersion (R7 data)


# --- facts on a date -----------------------------------------------------------------------------

def lifecycle_events(rec: Record) -> list[LifecycleEvent]:
    return [LifecycleEvent(e.kind, e.occurred_on, e.seq) for e in rec.events]


def status_of(rec: Record, on: date) -> str | None:
    """R6 (八): registered | exited | removed on `on`, None before registration."""
    return status_on(lifecycle_events(rec), on)


def events_until(rec: Record, on: date) -> list:
    return [e for e in rec.events if e.occurred_on <= on]


def exit_in_force(rec: Record, on: date):
    """R7: the exit whose retention may apply on `on` (the latest event on or before it)."""
    past = events_until(rec, on)
    return past[-1] if past and past[-1].kind == "exit" else None


def retention_of_exit(event) -> Retention:
    """R7 (八): the retention after an exit, with the length stored on the exit event."""
    months = event.retention_months if event.retention_months is not None else DEFAULT_RETENTION_MONTHS
    return Retention.after_exit(event.occurred_on, months)


def retention_on(rec: Record, on: date) -> Retention | None:
    """The API `retention` on `on`: the exit (when exited) and its retention end."""
    event = exit_in_force(rec, on)
    return retention_of_exit(event) if event is not None else None


def registered_on(rec: Record, on: date) -> date | None:
    """R6: the date of the latest registration or return on or before `on`."""
    entries = [e for e in events_until(rec, on) if e.kind in ("register", "return")]
    return entries[-1].occurred_on if entries else None


def members_on(rec: Record, on: date) -> list:
    """Section 2: the members on `on` (joined_on ≤ on < left_on)."""
    return [m for m in rec.members if is_member_on(m.joined_on, m.left_on, on)]


def attributes_on(rec: Record, member_id, on: date):
    """The attribute version in force on `on` (latest effective_from ≤ on, then the later row)."""
    best = None
    for v in rec.versions.get(member_id, []):
        if v.effective_from <= on and (
                best is None or (v.effective_from, v.id) >= (best.effective_from, best.id)):
            best = v
    return best


def attributes_or_first(rec: Record, member_id, on: date):
    found = attributes_on(rec, member_id, on)
    return found if found is not None else rec.versions[member_id][0]


def support_type_on(rec: Record, on: date) -> tuple[str, Reason]:
    """R4 (二.1, 八): development-type when a member on `on` has labour capacity, else relief."""
    return support.support_type(attributes_or_first(rec, m.id, on).labour_capacity
                                for m in members_on(rec, on))


@dataclass(frozen=True, slots=True)
class Day:
    """What several answers on one date rest on, resolved once: the members then, the attribute
    version each is read with (in force, else their first), and the support type (R4)."""

    on: date
    current: list
    versions: dict  # member id → the version read on `on`
    kind: str
    kind_reason: Reason


def day_of(rec: Record, on: date) -> Day:
    current = members_on(rec, on)
    versions = {m.id: attributes_or_first(rec, m.id, on) for m in current}
    kind, reason = support.support_type(versions[m.id].labour_capacity for m in current)
    return Day(on, current, versions, kind, reason)


def assessment_facts(rec: Record) -> list[AssessmentFacts]:
    return [AssessmentFacts(id=a.id, year=a.year, assessed_on=a.assessed_on, version=a.version,
                            wage=a.wage_income, business=a.business_income,
                            property=a.property_income, transfer=a.transfer_income,
                            production_costs=a.production_costs) for a in rec.assessments]


def assessment_on(rec: Record, on: date):
    """R8: the stored assessment in force on `on`."""
    found = assessment_in_force(assessment_facts(rec), on)
    return next((a for a in rec.assessments if a.id == found.id), None) if found else None


def active_measures(rec: Record, on: date) -> list:
    return [m for m in rec.measures
            if m.start_date <= on and (m.end_date is None or on <= m.end_date)]


def target_from(rec: Record, on: date, covered: bool, day: Day | None = None) -> Decision:
    """R5 (八) on `on`: development — an active income-generating measure or a member in stable
    non-agricultural employment; relief — dibao coverage of a member (`covered`)."""
    day = day or day_of(rec, on)
    measure = any(m.income_generating for m in active_measures(rec, on))
    employed = any(day.versions[m.id].stable_nonfarm_employment for m in day.current)
    return support.target_met(day.kind, measure, employed, covered)


def grant_detail(case_id: object, start_month: date) -> str:
    """How E1-E4 name the grant that covers a member."""
    return f"dibao grant {start_month:%Y-%m} onward (case {case_id})"


def grant_covers(single_person_member_id: object | None, members: Iterable, on: date) -> list:
    """(十四, D2, D4) the members an active grant covers on `on`: every member then, or the one
    person of a single-person grant while a member. `members` carry (id, joined_on, left_on)."""
    return [m.id for m in members if is_member_on(m.joined_on, m.left_on, on)
            and single_person_member_id in (None, m.id)]


def covering_grants(grants: Sequence[GrantRow], members: Iterable, on: date) -> dict:
    """Members covered by a grant active on `on` (D5): member id → the grant (the later one
    should two cover a member)."""
    members = list(members)
    out: dict = {}
    for g in grants:
        if grant_active_on(g.start_month, g.steps, on):
            for mid in grant_covers(g.single_person_member_id, members, on):
                out[mid] = g
    return out


def coverage_on(grants: Sequence[GrantRow], members: Iterable, on: date) -> dict:
    """Members covered by a grant active on `on` (D5): member id → the grant's detail."""
    return {mid: grant_detail(g.case_id, g.start_month)
            for mid, g in covering_grants(grants, members, on).items()}


@dataclass(frozen=True, slots=True)
class _Case:
    """A grant as `dibao_periods` reads a case."""

    id: object
    household_id: object
    region_code: str
    start_month: date | None
    single_person_member_id: object | None
    declared_monthly_income: Decimal | None
    applied_on: date | None


@dataclass(frozen=True, slots=True)
class _Step:
    action: str
    on: date


def grant_periods(rec: Record) -> dict:
    """(十四, D7) each grant's benefit periods from the household's facts: case id → the
    periods, or the DibaoError that keeps them from being known (no standard in force, no
    income), as the case itself answers (`app.dibao.reads.evaluate`)."""
    if not rec.grants:
        return {}
    hid = rec.household.id
    facts = dibao_periods.Facts(
        assessments={hid: assessment_facts(rec)},
        members={hid: [dibao_periods.Membership(m.id, m.joined_on, m.left_on)
                       for m in rec.members]},
        steps={g.case_id: [_Step(a, on) for a, on in g.steps] for g in rec.grants})
    for s in rec.standards:
        facts.standards.setdefault(s.region_code, []).append(s)
    out: dict = {}
    for g in rec.grants:
        case = _Case(g.case_id, hid, g.region_code, g.start_month, g.single_person_member_id,
                     g.declared_monthly_income, g.applied_on)
        try:
            out[g.case_id] = dibao_periods.periods(case, facts)
        except DibaoError as e:
            out[g.case_id] = e
    return out


def member_facts(rec: Record, m, on: date, coverage: dict, v=None) -> MemberFacts:
    """`v`: the attribute version the member is read with on `on`, when already known."""
    v = v or attributes_or_first(rec, m.id, on)
    return MemberFacts(
        person_id=m.id, birth_date=m.birth_date, labour_capacity=v.labour_capacity,
        health=v.health, disability_grade=v.disability_grade,
        disability_category=v.disability_category, in_school=v.in_school,
        stable_employment=v.stable_nonfarm_employment,
        tekun=v.tekun_since is not None and v.tekun_since <= on, tekun_since=v.tekun_since,
        dibao_covered=m.id in coverage, dibao_detail=coverage.get(m.id), is_current_member=True,
    )


def facts_from(rec: Record, on: date, coverage: dict,
               snapshot: HouseholdFacts | None, day: Day | None = None) -> HouseholdFacts:
    """The household's facts on `on` from its record, dibao coverage already known."""
    day = day or day_of(rec, on)
    exit_event = exit_in_force(rec, on)
    retention = retention_of_exit(exit_event) if exit_event is not None else None
    return HouseholdFacts(
        household_id=rec.household.id,
        status_on_date=status_of(rec, on),
        registered_on=registered_on(rec, on),
        support_type=day.kind,
        members=[member_facts(rec, m, on, coverage, day.versions[m.id]) for m in day.current],
        exit_date=retention.exit_date if retention else None,
        retention_end=retention.retention_end if retention else None,
        snapshot_before_exit=snapshot,
    )
