"""A4 evidence: upload, describe and serve attachments, scoped by their owner.

An attachment belongs to a proposal (optionally one of its steps), a change request, an exit
(the household's exit event) or a visit. Whoever may read the owner may read the attachment;
every read of the content is audited.
"""

from __future__ import annotations

import uuid

from fastapi import UploadFile
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attachments import store
from app.attachments.schemas import AttachmentOut
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, household_in_scope
from app.config import Settings
from app.errors import DomainError, NotFound, Unprocessable
from app.events.service import emit
from app.models.attachments import Attachment
from app.models.change_requests import ChangeRequest
from app.models.households import Household, HouseholdEvent, HouseholdVisit
from app.models.proposals import Proposal, ProposalStep

CHUNK = 64 * 1024


async def _owner(session: AsyncSession, principal: Principal, owner_type: str,
                 owner_id: uuid.UUID, step_seq: int | None) -> tuple[uuid.UUID | None, str]:
    """(household id, region code) of an owner the caller may read; 404 otherwise."""
    household_id, region = None, None
    if owner_type == "proposal":
        p = await session.get(Proposal, owner_id)
        if p is not None:
            household_id, region = p.household_id, p.village_code
            if step_seq is not None and await session.scalar(select(ProposalStep.id).where(
                    ProposalStep.proposal_id == p.id, ProposalStep.seq == step_seq)) is None:
                raise NotFound("attachment.step_not_found", f"The proposal has no step {step_seq}.")
    elif owner_type == "change_request":
        c = await session.get(ChangeRequest, owner_id)
        if c is not None:
            household_id, region = c.household_id, c.village_code
    else:
        model = HouseholdEvent if owner_type == "exit" else HouseholdVisit
        row = await session.get(model, owner_id)
        if row is not None and (owner_type != "exit" or row.kind == "exit"):
            household_id = row.household_id
            region = await session.scalar(select(Household.village_code).where(
                Household.id == household_id))
    if household_id is not None and not household_in_scope(principal, household_id):
        region = None
    ensure_in_region(principal, region, owner_type)
    return household_id, region  # type: ignore[return-value]


async def _read_limited(upload: UploadFile, limit: int) -> bytes:
    parts, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise DomainError("attachment.too_large",
                              f"An attachment may hold at most {limit} bytes.", status=413)
        parts.append(chunk)
    return b"".join(parts)


async def upload(session: AsyncSession, settings: Settings, principal: Principal, *,
                 owner_type: str, owner_id: uuid.UUID, step_seq: int | None, kind: str,
                 file: UploadFile) -> AttachmentOut:
    """A4: keep the evidence, typed by its content (JPEG, PNG, PDF), encrypted at rest."""
    household_id, region = await _owner(session, principal, owner_type, owner_id, step_seq)
    if step_seq is not None and owner_type != "proposal":
        raise Unprocessable("attachment.step_without_proposal", "step_seq names a proposal's step")
    content = await _read_limited(file, settings.attachment_max_bytes)
    if not content:
        raise Unprocessable("attachment.empty", "The file is empty.")
    content_type = store.sniff(content[:16])
    if content_type is None:
        raise DomainError("attachment.unsupported_type",
                          "An attachment is a JPEG, PNG or PDF file (checked by its content).",
                          status=415)
    sha = store.put(settings, content)
    row = Attachment(id=uuid.uuid4(), owner_type=owner_type, owner_id=owner_id, step_seq=step_seq,
                     kind=kind, household_id=household_id, region_code=region, sha256=sha,
                     size=len(content), content_type=content_type,
                     filename=(file.filename or None) and file.filename[:200],
                     uploaded_by=principal.actor, uploaded_by_name=principal.name)
    session.add(row)
    await session.flush()
    await session.refresh(row)
    out = AttachmentOut.model_validate(row)
    summary = out.model_dump(exclude={"created_at"})
    await record(session, principal, "attachment.upload", "attachment", row.id, after=summary,
                 region_code=region)
    await emit(session, "attachment.added", "attachment", row.id, region,
               {"id": row.id, "owner_type": owner_type, "owner_id": owner_id, "kind": kind})
    return out


async def _scoped(session: AsyncSession, principal: Principal, attachment_id: uuid.UUID) -> Attachment:
    row = await session.get(Attachment, attachment_id)
    visible = row is not None and household_in_scope(principal, row.household_id)
    ensure_in_region(principal, row.region_code if visible else None, "attachment")
    return row  # type: ignore[return-value]


async def describe(session: AsyncSession, principal: Principal,
                   attachment_id: uuid.UUID) -> AttachmentOut:
    return AttachmentOut.model_validate(await _scoped(session, principal, attachment_id))


async def content(session: AsyncSession, settings: Settings, principal: Principal,
                  attachment_id: uuid.UUID) -> tuple[Attachment, bytes]:
    """The plain content; the read is audited (attachments are sensitive data)."""
    row = await _scoped(session, principal, attachment_id)
    data = store.get(settings, row.sha256)
    await record(session, principal, "attachment.read", "attachment", row.id,
                 after={"owner_type": row.owner_type, "owner_id": row.owner_id,
                        "sha256": row.sha256}, region_code=row.region_code)
    return row, data


async def list_for(session: AsyncSession, principal: Principal, owner_type: str,
                   owner_id: uuid.UUID) -> list[AttachmentOut]:
    await _owner(session, principal, owner_type, owner_id, None)
    rows = (await session.scalars(select(Attachment).where(
        Attachment.owner_type == owner_type, Attachment.owner_id == owner_id)
        .order_by(Attachment.created_at, Attachment.id))).all()
    return [AttachmentOut.model_validate(r) for r in rows]
