"""Attachments (A4)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from app.kit.schemas import Out

OwnerType = Literal["proposal", "change_request", "exit", "visit"]
Kind = Literal["signed_confirmation", "publicity_notice", "publicity_photo", "visit_photo",
               "scanned_form", "other"]


class AttachmentOut(Out):
    id: uuid.UUID
    owner_type: OwnerType
    owner_id: uuid.UUID
    step_seq: int | None
    kind: Kind
    household_id: uuid.UUID | None
    sha256: str
    size: int
    content_type: Literal["image/jpeg", "image/png", "application/pdf"]
    filename: str | None
    uploaded_by: str
    uploaded_by_name: str
    created_at: datetime
