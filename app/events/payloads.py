"""One schema per event type: the payload of an event is the same whatever wrote it (the API, an
import, the command line), because every emitter passes it through `payload_of`.

Types in JSON, for every event: money is a decimal string with two decimals ("12000.00"), dates
are "YYYY-MM-DD", ids are UUID strings, counts are integers. A field an entrance has no value for
is present and null (`import_job_id` is null unless an import wrote the event). The README lists
the types and their fields ("Events and webhooks").
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer
from pydantic_core import to_jsonable_python

CENT = Decimal("0.01")
Money = Annotated[Decimal, PlainSerializer(lambda d: str(d.quantize(CENT)), return_type=str)]
Month = Annotated[str, Field(pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])$")]


class Payload(BaseModel):
    """An event payload: no field beyond the schema, none missing."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)


class ReasonP(Payload):
    rule: str
    clause: str
    detail: str


class Causes(Payload):
    main: str
    others: list[str]


class Imported(Payload):
    import_job_id: uuid.UUID | None = None


# --- households -------------------------------------------------------------------------------


class HouseholdRegistered(Imported):
    id: uuid.UUID
    village_code: str
    registered_on: date
    members: int
    causes: Causes
    assessment_year: int
    reasons: list[ReasonP]


class HouseholdUpdated(Payload):
    id: uuid.UUID
    version: int
    group: str | None
    address: str | None
    causes: Causes


class Retention(Payload):
    exit_date: date
    retention_end: date


class HouseholdLifecycle(Payload):
    """household.exited, household.returned, household.removed: the lifecycle event."""

    id: uuid.UUID
    household_id: uuid.UUID
    kind: Literal["exit", "return", "remove"]
    date: date
    seq: int
    officer: str
    officer_name: str
    reason: str | None
    retention: Retention | None
    payload: dict[str, Any]


class Disability(Payload):
    category: int | None
    grade: int


class Attributes(Payload):
    effective_from: date
    labour_capacity: str
    health: str
    disability: Disability | None
    in_school: bool
    stable_nonfarm_employment: bool
    tekun_since: date | None


class MemberAdded(Imported):
    household_id: uuid.UUID
    member_id: uuid.UUID
    name: str
    relation: str
    joined_on: date
    attributes: Attributes


class MemberUpdated(Attributes):
    household_id: uuid.UUID
    member_id: uuid.UUID
    changed: list[str]


class MemberLeft(Payload):
    household_id: uuid.UUID
    member_id: uuid.UUID
    left_on: date
    reason: str


class AssessmentAdded(Imported):
    household_id: uuid.UUID
    id: uuid.UUID
    year: int
    version: int
    assessed_on: date
    wage_income: Money
    business_income: Money
    property_income: Money
    transfer_income: Money
    production_costs: Money
    net_income: Money
    persons: int
    per_capita_income: Money
    recorded_by: str


class MeasureSnapshot(Payload):
    """household.measure.added, household.measure.updated: the measure after the change."""

    id: uuid.UUID
    household_id: uuid.UUID
    kind: str
    income_generating: bool
    project: str
    helper_id: uuid.UUID | None
    start_date: date
    end_date: date | None
    recorded_by: str
    version: int


class VisitAdded(Payload):
    id: uuid.UUID
    household_id: uuid.UUID
    date: date
    helper_id: uuid.UUID | None
    notes: str
    recorded_by: str
    latitude: float | None
    longitude: float | None
    device_time: datetime | None


# --- regions, villages, policy data -----------------------------------------------------------


class RegionCreated(Imported):
    code: str
    name: str
    level: str


class VillageIncomeRecorded(Imported):
    village_code: str
    year: int
    collective_income: Money
    version: int
    line: Money | None
    weak: bool | None
    reasons: list[ReasonP]


class EightHavesItem(Payload):
    met: bool
    evidence: str | None


class EightHavesRecorded(Payload):
    village_code: str
    year: int
    items: dict[str, EightHavesItem]
    met_all: bool
    version: int


class LineCreated(Payload):
    """policy.poverty_line.created, policy.weak_village_line.created."""

    region_code: str
    effective_from: date
    amount: Money
    reasons: list[ReasonP]


class PovertyLineCreated(LineCreated):
    """policy.poverty_line.created: `state` applied, or pending until its job applies it
    (`households`: how many it reaches)."""

    state: Literal["applied", "pending"]
    households: int


class LineApplied(Payload):
    """policy.poverty_line.applied: a pending line took effect on every answer it reaches."""

    region_code: str
    effective_from: date
    amount: Money
    state: Literal["applied"]


class RetentionRuleCreated(Payload):
    effective_from: date
    months: int


# --- dibao ------------------------------------------------------------------------------------


class Case(Payload):
    case_id: uuid.UUID
    household_id: uuid.UUID


class CaseApplied(Case):
    applied_on: date
    single_person_member_id: uuid.UUID | None
    flagged: bool


class CaseChecked(Case):
    kind: str
    passed: bool
    source: str
    checked_on: date


class CasePublicised(Case):
    start: date
    end: date


class CaseRejected(Case):
    decided_on: date


class CaseApproved(Case):
    decided_on: date
    start_month: Month
    flagged: bool


class GrantStarted(Case):
    start_month: Month
    covered_persons: int | None
    monthly_benefit: Money | None


class CaseStep(Case):
    """dibao.case.suspended, dibao.case.resumed, dibao.case.terminated."""

    on: date
    reason: str


class GrantAdjusted(Case):
    from_: date = Field(alias="from")
    cause: Literal["standard", "assessment", "member_left", "member_joined"]
    standard: Money
    covered_persons: int
    monthly_benefit_before: Money | None
    monthly_benefit_after: Money
    d2_met: bool
    needs_review: bool
    recorded_by: str | None = None
    member_id: uuid.UUID | None = None


class StandardCreated(Payload):
    region_code: str
    effective_from: date
    amount: Money


# --- insurance, imports, pairings -------------------------------------------------------------


class SchemeCreated(Payload):
    year: int
    kind: str
    premium: Money


class SchemeUpdated(Payload):
    year: int
    kind: str
    version: int


class RosterGenerated(Payload):
    year: int
    kind: str
    reference_date: date
    added: int
    removed: int
    unchanged: int
    flagged: int
    refreshed: int
    totals: dict[str, Any]


class EntriesDecided(Payload):
    """insurance.entry.confirmed, insurance.entry.rejected: how many entries of a roster."""

    year: int
    kind: str
    count: int


class ImportCompleted(Payload):
    id: uuid.UUID
    kind: str
    file_name: str | None
    file_hash: str | None
    dry_run: bool
    on_error: str
    rows_read: int
    rows_valid: int
    rows_rejected: int
    written: dict[str, int]
    state: str


class PairingSnapshot(Imported):
    """pairing.created, pairing.ended."""

    id: uuid.UUID
    helper_id: uuid.UUID
    kind: str
    household_id: uuid.UUID | None
    region_code: str | None
    scope_code: str
    start_date: date
    end_date: date | None
    version: int
    reasons: list[ReasonP]


class HelperCreated(Imported):
    id: uuid.UUID
    kind: str
    name: str
    region_code: str
    unit: str | None
    post: str | None
    unit_kind: str | None
    uscc: str | None


# --- proposals, objections, change requests, attachments (A1 to A4) --------------------------

ProposalKind = Literal["register", "exit", "return", "remove"]
ProposalState = Literal["proposed", "appraised", "publicised", "reviewed", "approved", "rejected"]


class ProposalProposed(Payload):
    id: uuid.UUID
    kind: ProposalKind
    household_id: uuid.UUID | None
    village_code: str
    proposed_on: date


class ProposalResult(Payload):
    """What an approval wrote: the household, its lifecycle event and the decision record."""

    household_id: uuid.UUID
    event_id: uuid.UUID
    decision_id: uuid.UUID | None


class ProposalStepped(Payload):
    """proposal.appraised, proposal.publicised, proposal.reviewed, proposal.approved,
    proposal.rejected: the step recorded and the state it led to (`result` once approved)."""

    id: uuid.UUID
    kind: ProposalKind
    household_id: uuid.UUID | None
    step: Literal["appraise", "publicise", "review", "approve", "reject"]
    date: date
    state: ProposalState
    from_: ProposalState = Field(alias="from")
    result: ProposalResult | None


class ObjectionRaised(Payload):
    id: uuid.UUID
    proposal_id: uuid.UUID
    raised_on: date


class ObjectionSettled(Payload):
    id: uuid.UUID
    proposal_id: uuid.UUID
    outcome: Literal["upheld", "dismissed"]


class ChangeRequestOpened(Payload):
    id: uuid.UUID
    household_id: uuid.UUID
    touches: list[str]
    effective_from: date


class ChangeApplied(Payload):
    """What an accepted change request applied through the households services."""

    household: list[str] | None = None
    attributes: list[uuid.UUID]
    joined: list[uuid.UUID]
    left: list[uuid.UUID]
    assessments: list[uuid.UUID]
    decision_id: uuid.UUID


class ChangeRequestDecided(Payload):
    """change_request.accepted, change_request.rejected (`result` null when rejected)."""

    id: uuid.UUID
    household_id: uuid.UUID
    state: Literal["accepted", "rejected"]
    notes: str | None
    result: ChangeApplied | None


class AttachmentAdded(Payload):
    id: uuid.UUID
    owner_type: Literal["proposal", "change_request", "exit", "visit"]
    owner_id: uuid.UUID
    kind: Literal["signed_confirmation", "publicity_notice", "publicity_photo", "visit_photo",
                  "scanned_form", "other"]


# --- audit chain, DCI ------------------------------------------------------------------------


class ChainHead(Payload):
    date: date
    chain_seq: int
    chain_hash: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]


class DciCallbackQueued(Payload):
    """One page of an asynchronous DCI answer queued for the sender's callback."""

    sender_id: str
    correlation_id: uuid.UUID
    index: int


PAYLOADS: dict[str, type[Payload]] = {
    "household.registered": HouseholdRegistered,
    "household.updated": HouseholdUpdated,
    "household.exited": HouseholdLifecycle,
    "household.returned": HouseholdLifecycle,
    "household.removed": HouseholdLifecycle,
    "household.member.added": MemberAdded,
    "household.member.updated": MemberUpdated,
    "household.member.left": MemberLeft,
    "household.assessment.added": AssessmentAdded,
    "household.measure.added": MeasureSnapshot,
    "household.measure.updated": MeasureSnapshot,
    "household.visit.added": VisitAdded,
    "region.created": RegionCreated,
    "village.income.recorded": VillageIncomeRecorded,
    "village.eight_haves.recorded": EightHavesRecorded,
    "policy.poverty_line.created": PovertyLineCreated,
    "policy.poverty_line.applied": LineApplied,
    "policy.weak_village_line.created": LineCreated,
    "policy.retention_rule.created": RetentionRuleCreated,
    "dibao.standard.created": StandardCreated,
    "dibao.case.applied": CaseApplied,
    "dibao.case.checked": CaseChecked,
    "dibao.case.publicised": CasePublicised,
    "dibao.case.rejected": CaseRejected,
    "dibao.case.approved": CaseApproved,
    "dibao.grant.started": GrantStarted,
    "dibao.case.suspended": CaseStep,
    "dibao.case.resumed": CaseStep,
    "dibao.case.terminated": CaseStep,
    "dibao.grant.adjusted": GrantAdjusted,
    "insurance.scheme.created": SchemeCreated,
    "insurance.scheme.updated": SchemeUpdated,
    "insurance.roster.generated": RosterGenerated,
    "insurance.entry.confirmed": EntriesDecided,
    "insurance.entry.rejected": EntriesDecided,
    "import.completed": ImportCompleted,
    "pairing.created": PairingSnapshot,
    "pairing.ended": PairingSnapshot,
    "helper.created": HelperCreated,
    "proposal.proposed": ProposalProposed,
    "proposal.appraised": ProposalStepped,
    "proposal.publicised": ProposalStepped,
    "proposal.reviewed": ProposalStepped,
    "proposal.approved": ProposalStepped,
    "proposal.rejected": ProposalStepped,
    "proposal.objection.raised": ObjectionRaised,
    "proposal.objection.settled": ObjectionSettled,
    "change_request.opened": ChangeRequestOpened,
    "change_request.accepted": ChangeRequestDecided,
    "change_request.rejected": ChangeRequestDecided,
    "attachment.added": AttachmentAdded,
    "audit.chain_head": ChainHead,
    "dci.callback.queued": DciCallbackQueued,
}


def payload_of(type_: str, data: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload of an event of `type_` as stored and delivered: `data` validated against the
    type's schema and dumped to JSON types (a ValidationError is a bug of the emitter). A type
    without a schema yet is stored as given, made JSON-safe (a test lists every type the code
    emits and fails on one without a schema)."""
    model = PAYLOADS.get(type_)
    if model is None:
        return to_jsonable_python(dict(data or {}))
    return model.model_validate(dict(data or {})).model_dump(mode="json", by_alias=True)


def payload_json(type_: str, data: Mapping[str, Any] | str) -> str:
    """`payload_of` as JSON text, for bulk writers: the same schema, validated and serialised in
    pydantic-core without a Python dict in between when `data` is already JSON text."""
    model = PAYLOADS.get(type_)
    if model is None or not isinstance(data, str):
        return json.dumps(payload_of(type_, from_json(data) if isinstance(data, str) else data),
                          ensure_ascii=False)
    value = model.__pydantic_validator__.validate_json(data)
    return model.__pydantic_serializer__.to_json(value, by_alias=True).decode()


def from_json(text: str) -> dict[str, Any]:
    """A JSON object read back from PostgreSQL, numbers exact (decimals as Decimal)."""
    return json.loads(text, parse_float=Decimal)


EVENT_COLUMNS = ("type", "entity_type", "entity_id", "region_code", "payload")


async def copy_events(conn, type_: str, entity_type: str, rows: Iterable[Any],
                      build: Callable[[Any], tuple[str | None, str | None,
                                                   Mapping[str, Any] | str]]
                      ) -> int:
    """Set-wise emission for the importer: one event of `type_` per row, `build(row)` giving
    (entity_id, region_code, payload facts as a dict or JSON text); each payload goes through
    the type's schema, as `emit` does, and all are written with one COPY into the outbox.
    Answers how many."""
    records = []
    for row in rows:
        entity_id, region_code, data = build(row)
        records.append((type_, entity_type, entity_id, region_code, payload_json(type_, data)))
    if records:
        await conn.copy_records_to_table("event", records=records, columns=list(EVENT_COLUMNS))
    return len(records)
