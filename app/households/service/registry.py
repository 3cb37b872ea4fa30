"""Registering, reading, listing and amending households (sections 2, R1, R4, R6)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import (
    common_region,
    ensure_household_visible,
    household_filter,
    in_region,
    region_filter,
    region_prefix,
)
from app.config import Settings
from app.db import plan_each_time
from app.decisions.record import Evaluation, line_version, record_decision
from app.errors import refusal_error
from app.events.service import emit
from app.households.schemas import CausesOut, HouseholdItem, HouseholdOut, RetentionOut
from app.households.service import answers
from app.households.service.common import (
    assessment_out,
    ensure_number_free,
    field_error,
    flush_members,
    net_income,
    new_member,
    parse_id,
    present_members,
    scoped_record,
    shown_members,
    touch,
)
from app.kit.pagination import PageParams, paginate
from app.models.households import (
    Household,
    HouseholdAssessment,
    HouseholdEvent,
    MemberAttributeVersion,
)
from app.models.regions import Region
from app.models.timelines import HouseholdTimeline
from app.policy import lifecycle
from app.policy.household_shape import check_heads
from app.policy.income import AssessmentFacts, default_assessed_on
from app.policy_lines.service import line_in_force


def check_causes(causes, loc: list) -> None:
    """Section 2: one main cause and at most two others, no cause named twice."""
    named = [causes.main, *causes.others]
    if len(set(named)) != len(named):
        raise field_error(loc, "household.causes.duplicate", "a cause of poverty is named twice")


async def _village(session: AsyncSession, principal: Principal, code: str) -> Region:
    region = await session.get(Region, code)
    if region is None or region.level != "village" or not in_region(principal, code):
        raise field_error(["body", "village_code"], "household.village_unknown",
                          f"{code} is not a village in your region")
    return region


def attribute_row(member_id: uuid.UUID, data, effective_from: date, actor: str) -> MemberAttributeVersion:
    return MemberAttributeVersion(
        member_id=member_id, effective_from=effective_from, labour_capacity=data.labour_capacity,
        health=data.health,
        disability_category=data.disability.category if data.disability else None,
        disability_grade=data.disability.grade if data.disability else None,
        in_school=data.in_school, stable_nonfarm_employment=data.stable_nonfarm_employment,
        tekun_since=data.tekun_since, recorded_by=actor)


def evaluate_register(assessment: AssessmentFacts | None, line, persons: int,
                      on: date) -> Evaluation:
    """R6/R1 (二, 八) on given facts: the registration service (the request's assessment and
    members) and the replay (the household's assessment in force and members on the date)."""
    decision = lifecycle.check_register(assessment, line, persons, on, events=[])
    a = None if assessment is None else {
        "year": assessment.year,
        "version": assessment.version, "assessed_on": assessment.assessed_on.isoformat(),
        "net_income": str(assessment.net_income)}
    return Evaluation(decision, {"date": on.isoformat(), "assessment": a, "persons": persons},
                      {"poverty_line": line_version(line)})


async def _member_numbers(session: AsyncSession, settings: Settings, principal: Principal, data):
    """The members' ID numbers, parsed, each given once and held by no current member; with
    their keyed hashes (hash -> number)."""
    parsed, seen = [], {}
    for i, m in enumerate(data.members):
        loc = ["body", "members", i, "id_number"]
        p = parse_id(m.id_number, loc, on=m.joined_on or data.registered_on)
        if p.number in seen:
            raise field_error(loc, "member.id_number_repeated",
                              f"the same ID number is given for members {seen[p.number]} and {i}")
        seen[p.number] = i
        parsed.append(p)
    hashes = {}
    ring = await pii.ring(session, settings)
    for i, p in enumerate(parsed):
        every = ring.id_hashes(p.number)
        await ensure_number_free(session, p.number, every, ["body", "members", i, "id_number"],
                                 principal)
        hashes[every[0]] = p.number
    return parsed, hashes


async def register_household(session: AsyncSession, settings: Settings, principal: Principal,
                             data) -> HouseholdOut:
    """R6/R1 (二, 八): register a household with members, causes and an income assessment."""
    await _village(session, principal, data.village_code)
    check_causes(data.causes, ["body", "causes"])
    shape = check_heads(m.relation for m in data.members)
    if not shape.ok:
        r = shape.first_refusal
        raise field_error(["body", "members"], r.code, r.reason.detail)
    parsed, hashes = await _member_numbers(session, settings, principal, data)
    a = data.assessment
    assessed_on = a.assessed_on or default_assessed_on(a.year)
    facts = AssessmentFacts(id=None, year=a.year, assessed_on=assessed_on, version=1,
                            wage=a.wage_income, business=a.business_income,
                            property=a.property_income, transfer=a.transfer_income,
                            production_costs=a.production_costs)
    line = await line_in_force(session, data.village_code, data.registered_on)
    ev = evaluate_register(facts, line, len(data.members), data.registered_on)
    decision = ev.decision
    if not decision.ok:
        raise refusal_error(decision)

    household = Household(id=uuid.uuid4(), village_code=data.village_code, group_name=data.group,
                          address=data.address, registered_on=data.registered_on,
                          cause_main=data.causes.main, cause_others=list(data.causes.others),
                          version=1)
    session.add(household)
    await session.flush()
    for m, p in zip(data.members, parsed, strict=True):
        joined = m.joined_on or data.registered_on
        row = new_member(settings, household.id, p, name=m.name, relation=m.relation,
                         joined_on=joined)
        session.add(row)
        session.add(attribute_row(row.id, m, joined, principal.actor))
    await flush_members(session, hashes)
    session.add(HouseholdAssessment(
        household_id=household.id, year=a.year, version=1, assessed_on=assessed_on,
        wage_income=a.wage_income, business_income=a.business_income,
        property_income=a.property_income, transfer_income=a.transfer_income,
        production_costs=a.production_costs, net_income=net_income(a),
        persons=len(data.members), recorded_by=principal.actor))
    session.add(HouseholdEvent(
        household_id=household.id, seq=1, kind="register", occurred_on=data.registered_on,
        officer=principal.actor, officer_name=principal.name, reason=None,
        payload={"reasons": [r.as_dict() for r in decision.reasons]}))
    await session.flush()
    summary = {"village_code": household.village_code, "registered_on": household.registered_on,
               "members": len(data.members), "causes": data.causes.model_dump(),
               "assessment_year": a.year, "reasons": [r.as_dict() for r in decision.reasons]}
    await record(session, principal, "household.register", "household", household.id,
                 after=summary, region_code=household.village_code)
    event_id = await session.scalar(select(HouseholdEvent.id).where(
        HouseholdEvent.household_id == household.id, HouseholdEvent.seq == 1))
    await record_decision(session, principal, kind="register", subject_type="household_event",
                          subject_id=event_id, household_id=household.id,
                          region_code=household.village_code, decided_on=data.registered_on,
                          evaluation=ev, outcome="approved",
                          params={"household_id": household.id, "event_seq": 1,
                                  "body": {"registered_on": data.registered_on}})
    await emit(session, "household.registered", "household", household.id,
               household.village_code, {"id": household.id, **summary})
    return await household_out(session, settings, principal, household.id, data.registered_on)


async def household_out(session: AsyncSession, settings: Settings, principal: Principal,
                        household_id: uuid.UUID, on: date, *,
                        audit: AsyncSession | None = None) -> HouseholdOut:
    """The household answer as of `on` (status, support type, members, retention), read from
    its timeline: one statement, and one audit row when ID numbers are shown unmasked (through
    `audit` when given: `session` may then be a replica's)."""
    seg, rows = await answers.household_with_members(session, principal, household_id, on)
    members = await present_members(
        session, settings, principal, seg.household,
        [(m, answers.attributes_of(p.attributes if p else None)) for m, p in rows], on,
        audit=audit)
    return _answer(seg, members, on)


def _answer(seg: answers.Segment, members: list, on: date) -> HouseholdOut:
    h, t = seg.household, seg.timeline
    retention = answers.retention_of(t)
    return HouseholdOut(
        id=h.id, village_code=h.village_code, group=h.group_name, address=h.address, as_of=on,
        status=t.status, support_type=t.support_type, registered_on=h.registered_on,
        causes=CausesOut(main=h.cause_main, others=list(h.cause_others)), members=members,
        latest_assessment=assessment_out(seg.assessment) if seg.assessment else None,
        retention=RetentionOut(**retention) if retention else None, version=h.version)


async def households_out(session: AsyncSession, settings: Settings, principal: Principal,
                         household_ids: list[uuid.UUID], on: date, *,
                         audit: AsyncSession | None = None) -> dict:
    """`household_out` for many households (those the caller may see) in one statement, with
    one audit row naming every person whose ID number was shown unmasked: household id →
    (the answer, its Segment, its [(member, segment)])."""
    found = await answers.households_with_members(session, principal, household_ids, on)
    out: dict = {}
    for hid, (seg, rows) in found.items():
        members = shown_members(settings, principal, [
            (m, answers.attributes_of(p.attributes if p else None)) for m, p in rows], on)
        out[hid] = (_answer(seg, members, on), seg, rows)
    shown = [m.id for _seg, rows in found.values() for m, _p in rows]
    if principal.has("pii:read") and shown:
        households = [seg.household for seg, _rows in found.values()]
        entity = (("household_member", shown[0]) if len(shown) == 1 else
                  ("household", households[0].id) if len(households) == 1 else
                  ("household", None))
        await record(audit or session, principal, "pii.read", *entity,
                     after={"household_ids": list(found), "field": "id_number",
                            "person_ids": shown},
                     # filed where the officers of every village shown see it
                     region_code=common_region([h.village_code for h in households]))
    return out


async def get_household(session: AsyncSession, settings: Settings, principal: Principal,
                        household_id: uuid.UUID, on: date, *,
                        audit: AsyncSession | None = None) -> HouseholdOut:
    return await household_out(session, settings, principal, household_id, on, audit=audit)


async def household_version(session: AsyncSession, principal: Principal,
                            household_id: uuid.UUID) -> int:
    """The current version (ETag) of a household in the caller's region."""
    row = (await session.execute(select(Household.village_code, Household.version)
                                 .where(Household.id == household_id))).one_or_none()
    ensure_household_visible(principal, household_id, row.village_code if row else None)
    return row.version


async def patch_household(session: AsyncSession, settings: Settings, principal: Principal,
                          household_id: uuid.UUID, data, check_version: Callable[[int], None],
                          on: date) -> HouseholdOut:
    """Amend the group, address or causes (If-Match on the household's version)."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    check_version(h.version)
    before = {"group": h.group_name, "address": h.address,
              "causes": {"main": h.cause_main, "others": list(h.cause_others)}}
    fields = data.model_fields_set
    if "causes" in fields:
        if data.causes is None:
            raise field_error(["body", "causes"], "household.causes.required",
                              "a household keeps a main cause of poverty")
        check_causes(data.causes, ["body", "causes"])
        h.cause_main, h.cause_others = data.causes.main, list(data.causes.others)
    if "group" in fields:
        h.group_name = data.group
    if "address" in fields:
        h.address = data.address
    touch(h)
    await session.flush()
    after = {"group": h.group_name, "address": h.address,
             "causes": {"main": h.cause_main, "others": list(h.cause_others)}}
    await record(session, principal, "household.update", "household", h.id, before=before,
                 after=after, region_code=h.village_code)
    await emit(session, "household.updated", "household", h.id, h.village_code,
               {"id": h.id, "version": h.version, **after})
    return await household_out(session, settings, principal, h.id, on)


async def list_households(session: AsyncSession, principal: Principal, params: PageParams, *,
                          on: date, region_code: str | None, status: str | None,
                          support_type: str | None) -> tuple[list[HouseholdItem], str | None]:
    """Households in the caller's region, with status and support type as of `on`: read from
    their timelines (`valid @> on`), so filters and keyset pagination stay exact."""
    t = HouseholdTimeline
    stmt = (select(Household.id, Household.village_code, Household.group_name,
                   Household.registered_on, Household.version, t.status, t.support_type,
                   t.household_id)
            .join(t, and_(t.household_id == Household.id, t.valid.contains(on)))
            .where(region_filter(principal, Household.village_code),
                   household_filter(principal, Household.id)))
    if region_code:
        stmt = stmt.where(Household.village_code.like(f"{region_prefix(region_code)}%"))
    if status:
        stmt = stmt.where(t.status == status)
    if support_type:
        stmt = stmt.where(t.support_type == support_type)
    await plan_each_time(session)  # the prefix, date and status decide the plan
    # Keyed on the timeline's household_id (equal to household.id): the cursor's bound then
    # starts the walk of the timeline's index, and each row finds its household by key.
    # Keyed on household.id, the bound stayed on the household side (PostgreSQL carries
    # equalities across a join, not inequalities) and a deep page at 5,000,000 persons walked
    # the timeline's index from its first row (10 s a request); bounding both sides misleads
    # the row estimates into sorting the households after the cursor (3.6 ms at 50,000).
    rows, cursor = await paginate(session, stmt, [t.household_id], params, scalars=False)
    items = [HouseholdItem(id=r.id, village_code=r.village_code, group=r.group_name,
                           registered_on=r.registered_on, status=r.status,
                           support_type=r.support_type, version=r.version) for r in rows]
    return items, cursor
