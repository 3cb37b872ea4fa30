"""/api/v1/me/work and /api/v1/sync: the field app's two calls."""

from __future__ import annotations

from fastapi import APIRouter, Query, Request

from app.errors import COMMON_ERRORS
from app.field import service
from app.field.schemas import SyncOut, WorkOut
from app.kit import dates
from app.kit.deps import HouseholdsReader, SessionDep

router = APIRouter(prefix="/api/v1", tags=["field"], responses=COMMON_ERRORS)


@router.get("/me/work", response_model=WorkOut, name="me_work")
async def me_work(session: SessionDep, principal: HouseholdsReader) -> WorkOut:
    """My households, open tasks with due dates, proposals and change requests awaiting me."""
    return await service.my_work(session, principal, dates.today())


@router.get("/sync", response_model=SyncOut, name="sync_village")
async def sync_village(request: Request, session: SessionDep, principal: HouseholdsReader,
                       village_code: str = Query(..., pattern=r"^[0-9]{12}$"),
                       after: str | None = Query(None, max_length=64,
                                                 description="the cursor of the previous sync")) -> SyncOut:
    """What changed in a village after the cursor (households with ETags, every change event
    including leaves and removals); a cursor that is not ours is 422."""
    return await service.sync(session, request.app.state.settings, principal, village_code,
                              after, dates.today())
