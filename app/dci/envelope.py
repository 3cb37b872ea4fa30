"""The gate of every DCI request: token, sender, rate limit, signature, header, replay.

In this order, each refusal with the specification's code (README, "DCI Social Registry"):
401 `err.request.unauthorized` (no or bad token) · 400 `err.request.bad` (not an envelope) ·
403 `err.sender_id.invalid` (not a sender of this client), `err.sender_id.disabled` (a sender
disabled at the registry) · 429 `err.request.too_many_requests` ·
400 `err.signature.missing` / `err.signature.invalid` · 400 `rjct.version.invalid`,
`rjct.action.invalid`, `rjct.message_ts.invalid`, `rjct.total_count.invalid`,
`rjct.total_count.limit_exceeded`, `err.receiver_id.invalid`, `err.encryption.invalid` ·
409 `rjct.message_id.duplicate` (a message id already received from this sender).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import Request
from sqlalchemy import delete, func
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal, current_principal
from app.config import Settings
from app.dci import senders
from app.dci.errors import DciError
from app.dci.signatures import SignatureError, verify
from app.models.dci import DciMessage, DciSender

VERSION = "1.0.0"


@dataclass
class Envelope:
    principal: Principal
    sender: DciSender
    header: dict[str, Any]
    message: dict[str, Any]
    signed: bool


def parse_ts(value: Any) -> datetime | None:
    """An ISO 8601 timestamp with its time zone, or None."""
    if not isinstance(value, str):
        return None
    try:
        ts = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return ts if ts.tzinfo is not None else None


async def _principal(request: Request, scope: str) -> Principal:
    principal = await current_principal(request)  # Unauthorized → 401 in the DCI shape
    if principal.kind != "client" or not principal.has(scope):
        raise DciError("err.request.forbidden", f"This needs a sender's client with {scope}.",
                       403)
    return principal


def _body(raw: bytes) -> tuple[dict, dict, str | None]:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise DciError("err.request.bad", "The body is not JSON.") from None
    if not isinstance(body, dict) or not isinstance(body.get("header"), dict) \
            or not isinstance(body.get("message"), dict):
        raise DciError("err.request.bad", "A DCI message is {signature, header, message}.")
    signature = body.get("signature")
    if signature is not None and not isinstance(signature, str):
        raise DciError("err.signature.invalid", "The signature is a string.")
    return body["header"], body["message"], signature


async def _sender(session: AsyncSession, principal: Principal, header: dict) -> DciSender:
    sender_id = header.get("sender_id")
    sender = await senders.by_sender_id(session, sender_id) if isinstance(sender_id, str) else None
    if sender is None or sender.client_ref != principal.id:
        raise DciError("err.sender_id.invalid",
                       "header.sender_id is not a sender registered for this client.", 403)
    if not sender.active:
        raise DciError("err.sender_id.disabled",
                       f"The sender {sender.sender_id} is disabled at this registry.", 403)
    return sender


def check_header(settings: Settings, header: dict, action: str, now: datetime) -> None:
    """The header rules that need no database."""
    if header.get("version", VERSION) != VERSION:
        raise DciError("rjct.version.invalid", f"Only version {VERSION} is served.")
    if header.get("action") != action:
        raise DciError("rjct.action.invalid", f"This endpoint takes action '{action}'.")
    message_id = header.get("message_id")
    if not isinstance(message_id, str) or not 1 <= len(message_id) <= 99:
        raise DciError("err.request.bad", "header.message_id is a string of 1..99 characters.")
    ts = parse_ts(header.get("message_ts"))
    window = timedelta(seconds=settings.dci_message_ts_window_seconds)
    if ts is None or abs(now - ts) > window:
        raise DciError("rjct.message_ts.invalid",
                       "header.message_ts is an ISO 8601 time with zone within "
                       f"{settings.dci_message_ts_window_seconds} s of now.")
    receiver = header.get("receiver_id")
    if receiver is not None and receiver != settings.dci_registry_id:
        raise DciError("err.receiver_id.invalid", f"This registry is {settings.dci_registry_id}.")
    if header.get("is_msg_encrypted"):
        raise DciError("err.encryption.invalid", "Encrypted messages are not supported.")
    total = header.get("total_count")
    if not isinstance(total, int) or isinstance(total, bool) or total < 0:
        raise DciError("rjct.total_count.invalid", "header.total_count is a whole number.")
    if total > settings.dci_max_requests_per_message:
        raise DciError("rjct.total_count.limit_exceeded",
                       f"At most {settings.dci_max_requests_per_message} requests a message.")


def check_count(header: dict, items: Any) -> list:
    if not isinstance(items, list) or not items:
        raise DciError("err.request.bad", "The message holds a non-empty list of requests.")
    if header["total_count"] != len(items):
        raise DciError("rjct.total_count.invalid",
                       f"header.total_count is {header['total_count']}, the message holds "
                       f"{len(items)}.")
    return items


async def _remember(session: AsyncSession, sender: DciSender, header: dict) -> None:
    """Record the message id; a replay of one already received is refused. Ids older than a
    day are forgotten: a message that old is refused by its message_ts anyway."""
    await session.execute(delete(DciMessage).where(
        DciMessage.sender_id == sender.sender_id,
        DciMessage.received_at < func.now() - timedelta(days=1)))
    stmt = (insert(DciMessage).values(sender_id=sender.sender_id, message_id=header["message_id"],
                                      action=header["action"])
            .on_conflict_do_nothing(index_elements=["sender_id", "message_id"])
            .returning(DciMessage.id))
    if (await session.execute(stmt)).scalar_one_or_none() is None:
        raise DciError("rjct.message_id.duplicate",
                       f"Message {header['message_id']} was received already.", 409)


async def open_envelope(request: Request, session: AsyncSession, scope: str,
                        action: str) -> Envelope:
    settings: Settings = request.app.state.settings
    principal = await _principal(request, scope)
    header, message, signature = _body(await request.body())
    sender = await _sender(session, principal, header)
    now = datetime.now(UTC)
    recent = await senders.recent_messages(session, sender.sender_id, now - timedelta(minutes=1))
    if recent >= sender.rate_limit_per_minute:
        raise DciError("err.request.too_many_requests",
                       f"At most {sender.rate_limit_per_minute} messages a minute.", 429)
    if signature is not None or sender.signature_required:
        # a present signature is always checked, whatever the sender's registration says
        kid = _kid_of(signature)
        keys = await senders.keys_of(session, settings, sender, kid)
        try:
            verify(signature, header, message, keys, sender.sender_id, int(time.time()),
                   settings.dci_signature_skew_seconds)
        except SignatureError as e:
            raise DciError(e.code, e.detail) from None
    check_header(settings, header, action, now)
    await _remember(session, sender, header)
    return Envelope(principal, sender, header, message, signature is not None)


def _kid_of(signature: str | None) -> str | None:
    if not signature:
        return None
    from app.dci.signatures import parse
    try:
        return parse(signature).kid
    except SignatureError:
        return None
