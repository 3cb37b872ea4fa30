"""Members: joining, versioned attributes, leaving (section 2), and lookup by keyed hash."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import region_pattern
from app.config import Settings
from app.errors import Conflict, NotFound
from app.events.service import emit
from app.households.facts import HouseholdRecord, attributes_on, members_on, status_of
from app.households.schemas import MemberOut
from app.households.service.common import (
    ensure_number_free,
    field_error,
    flush_members,
    new_member,
    parse_id,
    present_member,
    scoped_record,
    touch,
)
from app.households.service.registry import attribute_row
from app.kit.dates import today
from app.models.households import Household, HouseholdMember, MemberAttributeVersion
from app.policy.household_shape import check_new_member_relation
from app.policy.lifecycle import is_member_on

_ATTRS = ("labour_capacity", "health", "disability", "in_school", "stable_nonfarm_employment",
          "tekun_since")


def _member(rec: HouseholdRecord, member_id: uuid.UUID) -> HouseholdMember:
    m = rec.member(member_id)
    if m is None:
        raise NotFound("member.not_found", "No such member in this household.")
    return m


def _snapshot(v: MemberAttributeVersion | None) -> dict | None:
    if v is None:
        return None
    return {"effective_from": v.effective_from, "labour_capacity": v.labour_capacity,
            "health": v.health, "disability": (
                {"category": v.disability_category, "grade": v.disability_grade}
                if v.disability_grade is not None else None),
            "in_school": v.in_school, "stable_nonfarm_employment": v.stable_nonfarm_employment,
            "tekun_since": v.tekun_since}


async def add_member(session: AsyncSession, settings: Settings, principal: Principal,
                     household_id: uuid.UUID, data) -> MemberOut:
    """Section 2: a person joins the household (join date default today)."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    joined = data.joined_on or today()
    if status_of(rec, joined) == "removed":
        raise Conflict("household.removed", "The household is removed (注銷); it takes no members.")
    parsed = parse_id(data.id_number, ["body", "id_number"], on=joined)
    shape = check_new_member_relation([m.relation for m in members_on(rec, joined)], data.relation)
    if not shape.ok:
        r = shape.first_refusal
        raise field_error(["body", "relation"], r.code, r.reason.detail)
    hashes = (await pii.ring(session, settings)).id_hashes(parsed.number)
    hash_ = hashes[0]
    await ensure_number_free(session, parsed.number, hashes, ["body", "id_number"], principal)
    row = new_member(settings, h.id, parsed, name=data.name, relation=data.relation,
                     joined_on=joined)
    session.add(row)
    version = attribute_row(row.id, data, joined, principal.actor)
    session.add(version)
    await flush_members(session, {hash_: parsed.number})
    touch(h)
    rec.members.append(row)
    rec.versions[row.id] = [version]
    after = {"member_id": row.id, "name": row.name, "relation": row.relation,
             "joined_on": joined, "attributes": _snapshot(version)}
    await record(session, principal, "household.member.add", "household", h.id, after=after,
                 region_code=h.village_code)
    await emit(session, "household.member.added", "household", h.id, h.village_code,
               {"household_id": h.id, **after})
    from app.dibao.adjust import on_membership_changed  # (十四, D2, D7) as for a leave

    await on_membership_changed(session, principal, h.id, row.id, joined, "member_joined")
    return await present_member(session, settings, principal, rec, row, joined)


async def update_member(session: AsyncSession, settings: Settings, principal: Principal,
                        household_id: uuid.UUID, member_id: uuid.UUID, data,
                        check_version: Callable[[int], None]) -> tuple[MemberOut, int]:
    """Section 3: a new attribute version in force from `effective_from` (default today)."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    check_version(h.version)
    m = _member(rec, member_id)
    start = data.effective_from or today()
    if not is_member_on(m.joined_on, m.left_on, start):
        raise field_error(["body", "effective_from"], "member.not_member_on_date",
                          f"the person is not a member of the household on {start.isoformat()}")
    changed = data.model_fields_set & set(_ATTRS)
    if not changed:
        raise field_error(["body"], "member.no_change", "name at least one attribute to change")
    for name in ("labour_capacity", "health", "in_school", "stable_nonfarm_employment"):
        if name in changed and getattr(data, name) is None:
            raise field_error(["body", name], "field.required", f"{name} cannot be null")
    base = attributes_on(rec, m.id, start) or rec.versions[m.id][0]
    new = MemberAttributeVersion(
        member_id=m.id, effective_from=start, labour_capacity=base.labour_capacity,
        health=base.health, disability_category=base.disability_category,
        disability_grade=base.disability_grade, in_school=base.in_school,
        stable_nonfarm_employment=base.stable_nonfarm_employment,
        tekun_since=base.tekun_since, recorded_by=principal.actor)
    for name in changed:
        if name == "disability":
            new.disability_category = data.disability.category if data.disability else None
            new.disability_grade = data.disability.grade if data.disability else None
        else:
            setattr(new, name, getattr(data, name))
    session.add(new)
    await session.flush()
    rec.versions[m.id].append(new)
    touch(h)
    before, after = _snapshot(base), _snapshot(new)
    await record(session, principal, "household.member.update", "household_member", m.id,
                 before=before, after=after, region_code=h.village_code)
    await emit(session, "household.member.updated", "household", h.id, h.village_code,
               {"household_id": h.id, "member_id": m.id, "changed": sorted(changed), **after})
    return await present_member(session, settings, principal, rec, m, start), h.version


async def leave_member(session: AsyncSession, settings: Settings, principal: Principal,
                       household_id: uuid.UUID, member_id: uuid.UUID, data) -> MemberOut:
    """Section 2: membership ends on `left_on` (its first day outside), with a reason."""
    rec = await scoped_record(session, principal, household_id, lock=True)
    h = rec.household
    m = _member(rec, member_id)
    if m.left_on is not None:
        raise Conflict("member.already_left", f"The member left on {m.left_on.isoformat()}.")
    if data.left_on <= m.joined_on:
        raise field_error(["body", "left_on"], "member.leave.before_join",
                          f"left_on must be after the join date {m.joined_on.isoformat()}")
    if data.left_on > today():
        # The number is free for another household once the member has left: not in advance.
        raise field_error(["body", "left_on"], "member.leave.future_date",
                          "a leave is recorded on or after the day it happens")
    m.left_on, m.leave_reason = data.left_on, data.reason
    touch(h)
    await session.flush()
    after = {"member_id": m.id, "left_on": m.left_on, "reason": m.leave_reason}
    await record(session, principal, "household.member.leave", "household_member", m.id,
                 before={"left_on": None}, after=after, region_code=h.village_code)
    await emit(session, "household.member.left", "household", h.id, h.village_code,
               {"household_id": h.id, **after})
    # (十四, D2, D7) covered persons changed: re-evaluate the dibao grants in this transaction
    from app.dibao.adjust import on_membership_changed  # dibao reads the household facts

    await on_membership_changed(session, principal, h.id, m.id, m.left_on, "member_left")
    return await present_member(session, settings, principal, rec, m, data.left_on)


async def memberships_by_number(session: AsyncSession, settings: Settings, principal: Principal,
                                number: str) -> list[HouseholdMember]:
    """Every membership (current and past) of the person with this ID number in the caller's
    region, found by keyed hash; newest join first."""
    region = region_pattern(principal)
    if region is None:
        return []
    hashes = (await pii.ring(session, settings)).id_hashes(number)
    return list((await session.scalars(_BY_HASH, {"hashes": hashes, "region": region})).all())


# Built once (see answers._WITH_MEMBERS), the caller's region bound (`region_pattern`).
_BY_HASH = (select(HouseholdMember).join(Household, Household.id == HouseholdMember.household_id)
            .where(HouseholdMember.id_hash.in_(bindparam("hashes", expanding=True)),
                   Household.village_code.like(bindparam("region")))
            .order_by(HouseholdMember.joined_on.desc(), HouseholdMember.created_at.desc()))


async def current_member_by_hash(session: AsyncSession, hash_: bytes | list[bytes]
                                 ) -> HouseholdMember | None:
    """The current member of any household with this keyed hash (`app.pii.id_hashes`: every
    hash of the number while the keys rotate), unscoped: for rules across modules (P4, D6)."""
    hashes = [hash_] if isinstance(hash_, bytes) else hash_
    return (await session.scalars(select(HouseholdMember).where(
        HouseholdMember.id_hash.in_(hashes), HouseholdMember.left_on.is_(None)))).first()


def membership_on(memberships: list[HouseholdMember], on: date) -> HouseholdMember | None:
    """The membership in force on `on`, else the current one, else the latest."""
    for m in memberships:
        if is_member_on(m.joined_on, m.left_on, on):
            return m
    current = [m for m in memberships if m.left_on is None]
    return current[0] if current else (memberships[0] if memberships else None)
