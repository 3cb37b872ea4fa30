"""The change feed: events written by services in the same transaction as the change."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, Text, and_, cast, func, literal, literal_column, or_, select
from sqlalchemy.dialects.postgresql import aggregate_order_by
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


def _feed_filter(principal: Principal, after: int, types: list[str]) -> ColumnElement[bool]:
    """Events after the cursor (a feed position) in the principal's region, of the types asked."""
    where = [Event.position > after]
    if principal.region_code != "321200000000":
        where.append(region_filter(principal, Event.region_code))
    if types:
        where.append(or_(*[
            Event.type.like(t[:-1] + "%") if t.endswith("*") else Event.type == t for t in types
        ]))
    return and_(*where)


async def list_events(
    session: AsyncSession, principal: Principal, after: int, types: list[str], limit: int
) -> tuple[list[Event], int]:
    """Events after the cursor (a feed position), oldest first, in the principal's region.

    Positions are given at commit in increasing order (see migration 0008), so no event can
    appear later below a position already read. Answers the events and the next cursor.
    """
    stmt = select(Event).where(_feed_filter(principal, after, types))
    rows = list((await session.scalars(stmt.order_by(Event.position).limit(limit))).all())
    cursor = rows[-1].position if rows else after
    return rows, cursor


# `at` as the feed has always written it (pydantic's form of an aware UTC datetime): seconds,
# then microseconds unless there are none, then "Z".
_AT = literal_column(
    "to_char(event.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS')"
    " || CASE WHEN date_part('microseconds', event.at)::int % 1000000 = 0 THEN ''"
    " ELSE to_char(event.at AT TIME ZONE 'UTC', '.US') END || 'Z'")


async def page_json(
    session: AsyncSession, principal: Principal, after: int, types: list[str], limit: int
) -> str:
    """The page `list_events` answers, as the JSON text of the feed's page (`{"items": [...],
    "next_cursor": "..."}`): PostgreSQL writes each event once, with its payload as stored,
    so a page of 500 costs one statement and no Python object per event."""
    rows = (select(Event.id, Event.position, _AT.label("at"), Event.type, Event.entity_type,
                   Event.entity_id, Event.region_code, Event.payload)
            .where(_feed_filter(principal, after, types))
            .order_by(Event.position).limit(limit).subquery("e"))
    items, last = (await session.execute(select(
        func.coalesce(func.string_agg(cast(func.row_to_json(literal_column("e")), Text),
                                      aggregate_order_by(literal(","), rows.c.position)), ""),
        func.max(rows.c.position)))).one()
    cursor = after if last is None else last
    return f'{{"items":[{items}],"next_cursor":"{cursor}"}}'


async def latest_position(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.coalesce(func.max(Event.position), 0))) or 0)
