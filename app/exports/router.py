"""/api/v1/exports: the registry as a file, in the import format."""

from __future__ import annotations

from datetime import date
from typing import Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import StreamingResponse

from app.errors import COMMON_ERRORS
from app.exports import service
from app.households.schemas import Status
from app.kit.dates import today
from app.kit.deps import HouseholdsReader, ReadMakerDep, SessionDep  # rows: maybe the replica

router = APIRouter(prefix="/api/v1", tags=["imports"], responses=COMMON_ERRORS)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@router.get("/exports/households", name="exports_households",
            responses={200: {"content": {"text/csv": {}, XLSX: {}}}})
async def exports_households(
    request: Request, session: SessionDep, principal: HouseholdsReader, reader: ReadMakerDep,
    region_code: str | None = Query(None, pattern=r"^[0-9]{6}([0-9]{3}([0-9]{3})?)?$",
                                    description="6, 9 or 12 digits; default the caller's region"),
    format: Literal["csv", "xlsx"] = Query("csv"),
    status: Status | None = Query(None, description="only households with this status on as_of"),
    as_of: date | None = Query(None, description="the date of status, members and attributes; "
                                                 "default today"),
    include_removed: bool = Query(False, description="also removed households (注销)"),
    lang: Literal["en", "zh"] = Query("en", description="zh: the national forms' Chinese headers"),
):
    """Households with their members on `as_of`, each household's status on that date and its
    latest assessment, as CSV (with BOM) or XLSX; every cell is text (a value starting with `=`,
    `+`, `-`, `@` is never a formula). Removed households only with `include_removed=true` or
    `status=removed`. ID numbers masked unless pii:read."""
    # The audit row is written on the primary; the rows are read through `reader` (the read
    # replica once it has the caller's own writes, chosen before the audit row is written).
    prefix = service.scope_prefix(principal, region_code)
    await service.audit_export(session, principal, prefix, format)
    settings = request.app.state.settings
    name = f"households-{prefix}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    filters = {"on": as_of or today(), "status": status, "include_removed": include_removed}
    if format == "xlsx":
        async with reader() as s:
            path = await service.xlsx_file(service.rows(s, settings, principal, prefix, **filters),
                                           lang)
        return StreamingResponse(service.file_chunks(path), media_type=XLSX, headers=headers)

    async def stream():
        # Its own session: the response streams after the request's session has closed.
        async with reader() as s:
            source = service.rows(s, settings, principal, prefix, **filters)
            async for chunk in service.csv_chunks(source, lang):
                yield chunk

    return StreamingResponse(stream(), media_type="text/csv; charset=utf-8", headers=headers)
