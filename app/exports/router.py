"""/api/v1/exports: the registry as a file, in the import format."""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, require
from app.db import session_dependency
from app.errors import COMMON_ERRORS
from app.exports import service

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=COMMON_ERRORS)
Session = Depends(session_dependency, scope="function")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/exports/households", name="exports_households",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
async def exports_households(
    request: Request,
    region_code: str | None = Query(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
                                    description="6, 9 or 12 digits; default the caller's region"),
    format: Literal["csv", "xlsx"] = Query("csv"),
    session: AsyncSession = Session, principal: Principal = Depends(require("households:read")),
):
    """Households with their current members and latest assessment, as CSV (with BOM) or XLSX;
    ID numbers masked unless pii:read."""
    prefix = service.scope_prefix(principal, region_code)
    await service.audit_export(session, principal, prefix, format)
    settings = request.app.state.settings
    name = f"households-{prefix}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "xlsx":
        path = await service.xlsx_file(service.rows(session, settings, principal, prefix))
        return StreamingResponse(service.file_chunks(path), media_type=XLSX, headers=headers)

    async def stream():
        # Its own session: the response streams after the request's session has closed.
        async with request.app.state.db.sessionmaker() as s:
            async for chunk in service.csv_chunks(service.rows(s, settings, principal, prefix)):
                yield chunk

    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8", headers=headers)
