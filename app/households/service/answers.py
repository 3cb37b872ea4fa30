"""Reading a household's answers as of a date from its timeline (`valid @> on`).

The rules wrote the answers (app/policy/timeline.py, stored by app.timelines in the same
transaction as the facts); these reads only look them up: one statement for the household with
its segment, the assessment in force and its members with theirs (`household_with_members`), or
the household and its members apart. Stored reasons carry `{on}` and `{age}`, put back by
`render`.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from sqlalchemy import Date, and_, bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_household_visible
from app.errors import DomainError
from app.models.households import Household, HouseholdAssessment, HouseholdMember
from app.models.timelines import HouseholdTimeline, PersonTimeline
from app.policy.reasons import Decision, Reason, Refusal, day
from app.policy.timeline import render


class TimelineMissing(DomainError):
    """The household's timeline was never built (data written around the services)."""

    def __init__(self, household_id: uuid.UUID) -> None:
        super().__init__("household.timeline_missing",
                         f"household {household_id} has no timeline: run "
                         "`xiaokang rebuild-timelines`", status=503)


@dataclass(frozen=True, slots=True)
class Segment:
    household: Household
    timeline: HouseholdTimeline
    assessment: HouseholdAssessment | None


async def segment(session: AsyncSession, principal: Principal, household_id: uuid.UUID,
                  on: date) -> Segment:
    """The household (404 outside the caller's region), its answers on `on` and the assessment
    in force then: one statement."""
    t = HouseholdTimeline
    row = (await session.execute(
        select(Household, t, HouseholdAssessment)
        .outerjoin(t, and_(t.household_id == Household.id, t.valid.contains(on)))
        .outerjoin(HouseholdAssessment, HouseholdAssessment.id == t.assessment_id)
        .where(Household.id == household_id))).one_or_none()
    ensure_household_visible(principal, household_id, row[0].village_code if row else None)
    if row[1] is None:
        raise TimelineMissing(household_id)
    return Segment(row[0], row[1], row[2])


async def target_on(session: AsyncSession, household_id: uuid.UUID, on: date) -> Decision:
    """R5 (八) on `on`: the decision `support.target_met` wrote into the household's timeline."""
    t = (await session.scalars(select(HouseholdTimeline).where(
        HouseholdTimeline.household_id == household_id,
        HouseholdTimeline.valid.contains(on)))).one_or_none()
    if t is None:
        raise TimelineMissing(household_id)
    refusals = tuple(Refusal(r["code"], Reason(r["rule"], r["clause"], r["detail"]))
                     for r in t.answers["target_refusals"])
    return Decision(t.target_met, tuple(Reason(**r) for r in t.answers["target_reasons"]),
                    refusals)


def attributes_of(stored: dict | None):
    """The stored attribute version as the presenters read a version row."""
    if stored is None:
        return None
    tekun = stored.get("tekun_since")
    return SimpleNamespace(**{**stored,
                              "effective_from": date.fromisoformat(stored["effective_from"]),
                              "tekun_since": date.fromisoformat(tekun) if tekun else None})


async def member_segments(session: AsyncSession, household_id: uuid.UUID, on: date,
                          *, only_member: uuid.UUID | None = None) -> list:
    """Every member of the household (record order) with their segment on `on`: one statement."""
    p = PersonTimeline
    stmt = (select(HouseholdMember, p)
            .outerjoin(p, and_(p.person_id == HouseholdMember.id, p.valid.contains(on)))
            .where(HouseholdMember.household_id == household_id)
            .order_by(HouseholdMember.joined_on, HouseholdMember.relation, HouseholdMember.id))
    if only_member is not None:
        stmt = stmt.where(HouseholdMember.id == only_member)
    return list((await session.execute(stmt)).all())


def _with_members(households, one_member: bool = False):
    """Households (`households`: the condition on Household.id) with their answers and
    assessment on the bound date, and their members (record order) with their segments."""
    t, p, m = HouseholdTimeline, PersonTimeline, HouseholdMember
    on = bindparam("on", type_=Date())
    members_of = m.household_id == Household.id
    if one_member:
        members_of = and_(members_of, m.id == bindparam("member_id"))
    return (select(Household, t, HouseholdAssessment, m, p)
            .outerjoin(t, and_(t.household_id == Household.id, t.valid.contains(on)))
            .outerjoin(HouseholdAssessment, HouseholdAssessment.id == t.assessment_id)
            .outerjoin(m, members_of)
            .outerjoin(p, and_(p.person_id == m.id, p.valid.contains(on)))
            .where(households)
            .order_by(Household.id, m.joined_on, m.relation, m.id))


# Built once: the statements of every household read (their construction and cache key cost a
# request about a tenth of its time when built each time).
_ONE = Household.id == bindparam("household_id")
_WITH_MEMBERS = {False: _with_members(_ONE), True: _with_members(_ONE, one_member=True)}
_MANY_WITH_MEMBERS = _with_members(Household.id.in_(bindparam("household_ids", expanding=True)))


async def household_with_members(session: AsyncSession, principal: Principal,
                                 household_id: uuid.UUID, on: date, *,
                                 only_member: uuid.UUID | None = None) -> tuple[Segment, list]:
    """`segment` and `member_segments` in one statement: the household (404 outside the
    caller's view) with its answers and assessment on `on`, and its members (record order, or
    just `only_member`) with their segments, one row per member."""
    rows = (await session.execute(_WITH_MEMBERS[only_member is not None], {
        "household_id": household_id, "on": on, "member_id": only_member})).all()
    first = rows[0] if rows else None
    ensure_household_visible(principal, household_id, first[0].village_code if first else None)
    if first[1] is None:
        raise TimelineMissing(household_id)
    return (Segment(first[0], first[1], first[2]),
            [(r[3], r[4]) for r in rows if r[3] is not None])


async def households_with_members(session: AsyncSession, principal: Principal,
                                  household_ids: list[uuid.UUID], on: date) -> dict:
    """`household_with_members` for many households in one statement: household id → (Segment,
    [(member, segment)]), leaving out those the caller may not see (as a single read answers
    them 404)."""
    rows = (await session.execute(_MANY_WITH_MEMBERS, {
        "household_ids": list(household_ids), "on": on})).all()
    out: dict = {}
    for r in rows:
        hid = r[0].id
        if hid not in out:
            try:
                ensure_household_visible(principal, hid, r[0].village_code)
            except DomainError:
                out[hid] = None
                continue
            if r[1] is None:
                raise TimelineMissing(hid)
            out[hid] = (Segment(r[0], r[1], r[2]), [])
        if out[hid] is not None and r[3] is not None:
            out[hid][1].append((r[3], r[4]))
    return {hid: found for hid, found in out.items() if found is not None}


def render_person(p: PersonTimeline | None, on: date) -> list[dict]:
    """A current member's person-level items on `on` (none for someone not a member then)."""
    if p is None or not p.is_member:
        return []
    return render(p.entitlements, on, p.person_id, p.birth_date)


def entitlement_items(members: list, seg: Segment, on: date) -> list[dict]:
    """Section 3 + R7 items on `on` in the order the rules give them: each current member's,
    then the household's."""
    items: list[dict] = []
    for _m, p in members:
        items.extend(render_person(p, on))
    items.extend(render(seg.timeline.answers["entitlements"], on))
    return items


def retention_of(t: HouseholdTimeline) -> dict | None:
    """R7 (八): {exit_date, retention_end} while the household is exited."""
    if t.status == "exited" and t.exit_date and t.retention_end:
        return {"exit_date": day(t.exit_date), "retention_end": day(t.retention_end)}
    return None


def entitlements_answer(seg: Segment, members: list, on: date) -> dict:
    """The body of GET …/entitlements from the stored answers."""
    return {"household_id": seg.household.id, "as_of": day(on), "status": seg.timeline.status,
            "retention": retention_of(seg.timeline),
            "items": entitlement_items(members, seg, on)}
