"""/api/v1/attachments: evidence (A4) tied to a proposal step, a change request, an exit or a visit."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, File, Form, Query, Request, Response, UploadFile

from app.attachments import service
from app.attachments.schemas import AttachmentOut, Kind, OwnerType
from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import HouseholdsReader, HouseholdsWriter, SessionDep

router = APIRouter(prefix="/api/v1", tags=["attachments"], responses=COMMON_ERRORS)


@router.post("/attachments", response_model=AttachmentOut, status_code=201,
             name="attachments_create", responses=problem_responses(413, 415))
async def attachments_create(
    request: Request, response: Response, session: SessionDep, principal: HouseholdsWriter,
    file: UploadFile = File(..., description="JPEG, PNG or PDF (checked by content)"),
    owner_type: OwnerType = Form(...), owner_id: uuid.UUID = Form(...), kind: Kind = Form(...),
    step_seq: int | None = Form(None, ge=1, le=100),
) -> AttachmentOut:
    """Upload evidence for a proposal (step), a change request, an exit or a visit (A4)."""
    out = await service.upload(session, request.app.state.settings, principal,
                               owner_type=owner_type, owner_id=owner_id, step_seq=step_seq,
                               kind=kind, file=file)
    response.headers["Location"] = f"/api/v1/attachments/{out.id}"
    return out


@router.get("/attachments", response_model=list[AttachmentOut], name="attachments_list")
async def attachments_list(session: SessionDep, principal: HouseholdsReader,
                           owner_type: OwnerType = Query(...),
                           owner_id: uuid.UUID = Query(...)) -> list[AttachmentOut]:
    """The attachments of one owner."""
    return await service.list_for(session, principal, owner_type, owner_id)


@router.get("/attachments/{attachment_id}", response_model=AttachmentOut, name="attachments_get")
async def attachments_get(attachment_id: uuid.UUID, session: SessionDep,
                          principal: HouseholdsReader) -> AttachmentOut:
    """An attachment's description (owner, kind, SHA-256, type, size, who uploaded it)."""
    return await service.describe(session, principal, attachment_id)


@router.get("/attachments/{attachment_id}/content", name="attachments_content",
            response_class=Response,
            responses={200: {"description": "the stored bytes, served with their own type "
                                            "(image/jpeg, image/png or application/pdf)",
                             "content": {"application/octet-stream": {
                                 "schema": {"type": "string", "format": "binary"}}}}})
async def attachments_content(attachment_id: uuid.UUID, request: Request, session: SessionDep,
                              principal: HouseholdsReader) -> Response:
    """The attachment's content (every read is audited)."""
    row, data = await service.content(session, request.app.state.settings, principal,
                                      attachment_id)
    return Response(data, media_type=row.content_type, headers={
        "ETag": f'"{row.sha256}"', "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f'attachment; filename="{row.sha256}"'})
