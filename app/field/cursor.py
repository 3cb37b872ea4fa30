"""Sync cursors: the event-feed position, bound to its village and signed, so a cursor that
this server did not give for this village is refused (422), never trusted."""

from __future__ import annotations

import base64
import hmac
from hashlib import sha256

from app import pii
from app.config import Settings
from app.errors import Unprocessable


def _sig(settings: Settings, village: str, position: int) -> bytes:
    key = hmac.new(pii.keys(settings)[1], b"xiaokang sync cursor v1", sha256).digest()
    return hmac.new(key, f"{village}:{position}".encode(), sha256).digest()[:16]


def encode(settings: Settings, village: str, position: int) -> str:
    raw = position.to_bytes(8, "big") + _sig(settings, village, position)
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(settings: Settings, village: str, cursor: str | None) -> int:
    if not cursor:
        return 0
    bad = Unprocessable("sync.cursor_invalid",
                        "The cursor was not given by this server for this village; sync "
                        "from the start (no `after`).",
                        errors=[{"loc": ["query", "after"], "msg": "not a cursor of ours",
                                 "code": "sync.cursor_invalid"}])
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
    except (ValueError, TypeError):
        raise bad from None
    if len(raw) != 24:
        raise bad
    position = int.from_bytes(raw[:8], "big")
    if not hmac.compare_digest(raw[8:], _sig(settings, village, position)):
        raise bad
    return position
