"""/api/v1/audit: who changed what, and who read unmasked ID numbers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query

from app.audit import service
from app.errors import COMMON_ERRORS
from app.kit.deps import AuditReader, Paging, SessionDep
from app.kit.schemas import Out, Page

router = APIRouter(prefix="/api/v1", tags=["audit"], responses=COMMON_ERRORS)


class AuditOut(Out):
    id: int
    at: datetime
    actor: str
    actor_name: str
    action: str
    entity_type: str
    entity_id: str | None
    region_code: str | None
    before: Any
    after: Any
    request_id: str | None


@router.get("/audit", response_model=Page[AuditOut], name="audit_list")
async def audit_list(
    params: Paging, session: SessionDep, principal: AuditReader, action: str | None = None,
    entity_type: str | None = None, entity_id: str | None = None, actor: str | None = None,
    since: datetime | None = Query(None),
) -> Page[AuditOut]:
    """The audit log, oldest first (admin, auditor)."""
    rows, cursor = await service.list_audit(session, principal, params, action=action,
                                            entity_type=entity_type, entity_id=entity_id,
                                            actor=actor, since=since)
    return Page[AuditOut](items=[AuditOut.model_validate(r) for r in rows], next_cursor=cursor)
