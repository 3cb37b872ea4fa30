"""Notifications: which registry events a subscription hears, and the notify message.

reg_event_type ← our events:
REGISTER ← household.registered; UPDATE ← household.updated, household.member.updated,
household.assessment.added, household.exited, household.returned; DELETE ← household.removed;
LINK ← household.member.added (also `NewHouseHoldMember`, the specification's name);
UNLINK ← household.member.left.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.dci import query, records, registry_reads, selection
from app.dci.errors import now_iso
from app.kit.dates import TZ
from app.models.dci import DciSender, DciSubscription
from app.models.oversight import Event

EVENT_TYPES: dict[str, tuple[str, ...]] = {
    "REGISTER": ("household.registered",),
    "UPDATE": ("household.updated", "household.member.updated", "household.assessment.added",
               "household.exited", "household.returned"),
    "DELETE": ("household.removed",),
    "LINK": ("household.member.added",),
    "UNLINK": ("household.member.left",),
}
ALIASES = {"NewHouseHoldMember": "LINK", "spdci:common:RegistryEventType:NewHouseHoldMember":
           "LINK"}
REG_TYPE = "ns:xiaokang:RegistryType:Social"


def reg_event_type(value: Any) -> str | None:
    """The canonical reg_event_type of a subscription request, or None when unknown."""
    if not isinstance(value, str):
        return None
    name = ALIASES.get(value, value.rsplit(":", 1)[-1].upper())
    return name if name in EVENT_TYPES else None


def filter_tree(filter_type: Any, filt: Any) -> query.Node:
    """A subscription filter: `predicate` or `expression` as in searches ({} or absent: all)."""
    if filt in (None, {}, []):
        return query.Node("and", ())
    if filter_type in (None, "expression"):
        return query.parse_expression(query.expression_document(filt))
    if filter_type == "predicate":
        return query.parse_predicate(filt)
    raise query.QueryError("filter_type is predicate or expression",
                           "rjct.notify_details.invalid")


async def notification(session: AsyncSession, settings: Settings, principal: Principal,
                       sender: DciSender, event: Event) -> dict | None:
    """The NotifyEventRequest of `event` for the sender's matching subscriptions, or None."""
    kinds = [k for k, types in EVENT_TYPES.items() if event.type in types]
    if not kinds or event.entity_type != "household" or not event.entity_id:
        return None
    subs = list((await session.scalars(
        select(DciSubscription).where(DciSubscription.sender_id == sender.sender_id,
                                      DciSubscription.status == "subscribe",
                                      DciSubscription.reg_event_type.in_(kinds),
                                      DciSubscription.from_position < event.position)
        .order_by(DciSubscription.created_at, DciSubscription.code))).all())
    if not subs:
        return None
    on = effective_date(event)
    hid = uuid.UUID(event.entity_id)
    scan = await registry_reads.household_view(session, settings,
                                               registry_reads.masked(principal), hid, on)
    if scan is None:  # outside the client's region
        return None
    matching = [s for s in subs if await _selects(session, principal, s, hid, on)]
    if not matching:
        return None
    view = scan if not principal.has("pii:read") else await registry_reads.household_view(
        session, settings, principal, hid, on)
    items = []
    for s in matching:
        person = _person_of(event)
        if s.notify_record_type == "Member" and person is not None:
            member = next((m for m in view.household.members if m.id == person), None)
            recs = [records.member_record(view, member)] if member else []
        elif s.notify_record_type == "Member":
            recs = [records.member_record(view, m) for m in view.household.members if m.is_member]
        else:
            recs = [records.group_record(view)]
        items.append({"reference_id": s.code, "timestamp": now_iso(),
                      "data": {"version": "1.0.0", "reg_type": REG_TYPE,
                               "reg_event_type": s.reg_event_type,
                               "reg_record_type": s.notify_record_type,
                               "reg_records": recs,
                               "event": {"id": event.id, "type": event.type,
                                         "at": event.at.isoformat()}}})
    return {"transaction_id": matching[0].transaction_id, "notify_event": items}


async def _selects(session: AsyncSession, principal: Principal, sub: DciSubscription,
                   household_id: uuid.UUID, on: date) -> bool:
    """Does the subscription's filter select the household on `on` (the search's SQL)?"""
    tree = filter_tree(sub.filter.get("filter_type"), sub.filter.get("filter"))
    stmt = selection.statement(principal, tree, on, "Group", household_id=household_id)
    return bool(await session.scalar(select(exists(stmt))))


EFFECTIVE_KEYS = ("date", "registered_on", "joined_on", "left_on", "assessed_on",
                  "effective_from")


def effective_date(event: Event) -> date:
    """The day an event speaks of (an exit's date, a join, an assessment…), else the day it was
    recorded: filters and records of a notification are as of that day."""
    recorded = (event.at if event.at.tzinfo else event.at.replace(tzinfo=UTC)).astimezone(TZ).date()
    for key in EFFECTIVE_KEYS:
        raw = (event.payload or {}).get(key)
        try:
            on = date.fromisoformat(str(raw)[:10]) if raw else None
        except ValueError:
            on = None
        if on is not None and date(1900, 1, 1) <= on <= recorded:
            return on
    return recorded


def _person_of(event: Event) -> uuid.UUID | None:
    raw = (event.payload or {}).get("member_id") or (event.payload or {}).get("person_id")
    try:
        return uuid.UUID(str(raw)) if raw else None
    except ValueError:
        return None
