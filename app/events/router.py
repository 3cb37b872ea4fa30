"""/api/v1/events: the ordered change feed, region-scoped, read with a cursor."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from app.errors import COMMON_ERRORS
from app.events import service
from app.kit.deps import EventsReader, ReadSessionDep  # read-only: the replica may answer
from app.kit.pagination import MAX_LIMIT
from app.kit.schemas import Out

router = APIRouter(prefix="/api/v1", tags=["events"], responses=COMMON_ERRORS)


class FeedEventOut(Out):
    """One event of the feed (its position orders the feed)."""

    id: int
    position: int
    at: datetime
    type: str
    entity_type: str
    entity_id: str | None
    region_code: str | None
    payload: dict[str, Any]


class EventPage(BaseModel):
    items: list[FeedEventOut]
    next_cursor: str = Field(description="pass as `after` next time")


@router.get("/events", response_model=EventPage, name="events_list")
async def events_list(
    session: ReadSessionDep,
    principal: EventsReader,
    after: int = Query(0, ge=0, description="the next_cursor of the last read (0: from the start)"),
    types: str | None = Query(None, description="comma-separated types; `dibao.case.*` matches a family"),
    limit: int = Query(100, ge=1, le=MAX_LIMIT),
) -> Response:
    """Changes after a cursor, oldest first."""
    wanted = [t.strip() for t in (types or "").split(",") if t.strip()]
    # The page is an EventPage written by the database (service.page_json): no model per event.
    body = await service.page_json(session, principal, after, wanted, limit)
    return Response(body, media_type="application/json")
