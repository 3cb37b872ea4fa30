"""The audit log: every change (and every unmasked read) is a row, in the same transaction."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic_core import to_jsonable_python
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.auth.scoping import region_filter
from app.kit.context import request_id_var
from app.kit.pagination import PageParams, paginate
from app.models.oversight import AuditLog


def jsonable(value: Any) -> Any:
    return None if value is None else to_jsonable_python(value)


async def record(
    session: AsyncSession,
    principal: Principal | None,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: Any = None,
    after: Any = None,
    region_code: str | None = None,
) -> None:
    """Append one audit row (who, what, before and after) to the current transaction."""
    session.add(AuditLog(
        actor=principal.actor if principal else "system",
        actor_name=principal.name if principal else "system",
        action=action,
        entity_type=entity_type,
        entity_id=None if entity_id is None else str(entity_id),
        region_code=region_code,
        before=jsonable(before),
        after=jsonable(after),
        request_id=request_id_var.get(),
    ))


async def list_audit(
    session: AsyncSession,
    principal: Principal,
    params: PageParams,
    *,
    action: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
) -> tuple[list[AuditLog], str | None]:
    stmt = select(AuditLog)
    # Rows without a region (accounts, system) are visible to city-wide readers only.
    if principal.region_code != "321200000000":
        stmt = stmt.where(region_filter(principal, AuditLog.region_code))
    if action:
        stmt = stmt.where(AuditLog.action == action)
    if entity_type:
        stmt = stmt.where(AuditLog.entity_type == entity_type)
    if entity_id:
        stmt = stmt.where(AuditLog.entity_id == entity_id)
    if actor:
        stmt = stmt.where(AuditLog.actor == actor)
    if since:
        stmt = stmt.where(AuditLog.at >= since)
    return await paginate(session, stmt, [AuditLog.id], params)
