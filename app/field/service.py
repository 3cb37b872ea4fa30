"""GET /me/work and GET /sync: what a field worker needs, read through the services' scoping."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, household_filter, household_in_scope, region_filter
from app.config import Settings
from app.field import cursor as cursors
from app.field.schemas import SyncChange, SyncHousehold, SyncOut, Task, WorkHousehold, WorkOut
from app.households.service.registry import household_out
from app.kit.etag import etag_of
from app.models.change_requests import ChangeRequest
from app.models.households import Household, HouseholdMeasure
from app.models.oversight import Event
from app.models.proposals import Proposal, ProposalObjection
from app.proposals.service import OPEN, STEP_SCOPE

NEXT_STEP = {"proposed": "appraise", "appraised": "publicise", "publicised": "review",
             "reviewed": "approve"}
MEASURE_HORIZON = timedelta(days=30)
SYNC_LIMIT = 500


async def my_work(session: AsyncSession, principal: Principal, on: date) -> WorkOut:
    """The caller's households, open tasks with due dates, proposals and requests awaiting them."""
    scope = (region_filter(principal, Household.village_code),
             household_filter(principal, Household.id))
    households = (await session.execute(select(
        Household.id, Household.village_code, Household.group_name, Household.version)
        .where(*scope).order_by(Household.village_code, Household.id).limit(2000))).all()
    tasks: list[Task] = []
    waiting: list[uuid.UUID] = []
    proposals = (await session.scalars(select(Proposal).where(
        region_filter(principal, Proposal.village_code),
        household_filter(principal, Proposal.household_id) | (Proposal.proposed_by
                                                                == principal.actor),
        Proposal.state.in_(OPEN)).order_by(Proposal.proposed_on, Proposal.id))).all()
    for p in proposals:
        step = NEXT_STEP[p.state]
        due = p.publicity_end + timedelta(days=1) if step == "approve" and p.publicity_end else None
        if principal.has(STEP_SCOPE[step]):
            waiting.append(p.id)
            tasks.append(Task(kind="proposal_step", what=f"{step} the {p.kind} proposal",
                              due_on=due, household_id=p.household_id, proposal_id=p.id))
    open_objections = (await session.execute(select(ProposalObjection, Proposal.publicity_end,
                                                    Proposal.household_id)
        .join(Proposal, Proposal.id == ProposalObjection.proposal_id)
        .where(region_filter(principal, Proposal.village_code),
               household_filter(principal, Proposal.household_id),
               ProposalObjection.outcome.is_(None)))).all()
    for o, end, hid in open_objections:
        tasks.append(Task(kind="objection", what=f"settle the objection of {o.raised_by}",
                          due_on=end + timedelta(days=1) if end else None, household_id=hid,
                          proposal_id=o.proposal_id, objection_id=o.id))
    requests = (await session.scalars(select(ChangeRequest).where(
        region_filter(principal, ChangeRequest.village_code),
        household_filter(principal, ChangeRequest.household_id),
        ChangeRequest.state == "open").order_by(ChangeRequest.created_at))).all()
    cr_waiting = [r.id for r in requests
                  if principal.has("proposals:review") and r.proposed_by != principal.actor]
    tasks += [Task(kind="change_request", what="decide the change request", due_on=None,
                   household_id=r.household_id, change_request_id=r.id)
              for r in requests if r.id in cr_waiting]
    ending = (await session.scalars(select(HouseholdMeasure)
        .join(Household, Household.id == HouseholdMeasure.household_id).where(
        *scope, HouseholdMeasure.end_date >= on,
        HouseholdMeasure.end_date <= on + MEASURE_HORIZON))).all()
    tasks += [Task(kind="measure_ending", what=f"the {m.kind} measure ends", due_on=m.end_date,
                   household_id=m.household_id, measure_id=m.id) for m in ending]
    tasks.sort(key=lambda t: (t.due_on is None, t.due_on or on))
    return WorkOut(as_of=on, households=[WorkHousehold(id=h.id, village_code=h.village_code,
                                                       group=h.group_name, version=h.version)
                                         for h in households],
                   tasks=tasks, proposals_waiting=waiting, change_requests_waiting=cr_waiting)


async def sync(session: AsyncSession, settings: Settings, principal: Principal, village: str,
               after: str | None, on: date) -> SyncOut:
    """What changed in a village after the cursor: every event (leaves, removals, proposals…)
    and the current answer of each household they touched, with its ETag."""
    ensure_in_region(principal, village, "village")
    position = cursors.decode(settings, village, after)
    rows = list((await session.scalars(select(Event).where(
        Event.region_code == village, Event.position > position)
        .order_by(Event.position).limit(SYNC_LIMIT + 1))).all())
    more = len(rows) > SYNC_LIMIT
    rows = rows[:SYNC_LIMIT]
    changes, touched = [], []
    for e in rows:
        hid = _household_of(e)
        if principal.household_ids is not None and (hid is None
                                                    or not household_in_scope(principal, hid)):
            continue
        changes.append(SyncChange(position=e.position, type=e.type, entity_type=e.entity_type,
                                  entity_id=e.entity_id, at=e.at, payload=e.payload))
        if hid is not None and hid not in touched:
            touched.append(hid)
    households = []
    for hid in touched:
        if await session.get(Household, hid) is None:
            continue
        out = await household_out(session, settings, principal, hid, on)
        households.append(SyncHousehold(etag=etag_of(out.version, on), household=out))
    last = rows[-1].position if rows else position
    return SyncOut(village_code=village, as_of=on, cursor=cursors.encode(settings, village, last),
                   has_more=more, households=households, changes=changes)


def _household_of(e: Event) -> uuid.UUID | None:
    raw = e.entity_id if e.entity_type == "household" else (e.payload or {}).get("household_id")
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
