"""The change feed: events written by services in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import region_filter
from app.events.payloads import payload_of
from app.models.oversight import Event


async def emit(
    session: AsyncSession,
    type_: str,
    entity_type: str,
    entity_id: Any,
    region_code: str | None,
    payload: dict[str, Any] | None = None,
) -> None:
    """Add an event (`household.registered`, `dibao.case.approved`...) to the current transaction,
    its payload in the type's one schema (`app.events.payloads`)."""
    session.add(Event(type=type_, entity_type=entity_type,
                      entity_id=None if entity_id is None else str(entity_id),
                      region_code=region_code, payload=payload_of(type_, payload)))


async def list_events(
    session: AsyncSession, principal: Principal, after: int, types: list[str], limit: int
) -> tuple[list[Event], int]:
    """Events after the cursor (a feed position), oldest first, in the principal's region.

    Positions are given at commit in increasing order (see migration 0008), so no event can
    appear later below a position already read. Answers the events and the next cursor.
    """
    stmt = select(Event).where(Event.position > after)
    if principal.region_code != "321200000000":
        stmt = stmt.where(region_filter(principal, Event.region_code))
    if types:
        stmt = stmt.where(or_(*[
            Event.type.like(t[:-1] + "%") if t.endswith("*") else Event.type == t for t in types
        ]))
    rows = list((await session.scalars(stmt.order_by(Event.position).limit(limit))).all())
    cursor = rows[-1].position if rows else after
    return rows, cursor


async def latest_position(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Event.position), 0))) or 0)
