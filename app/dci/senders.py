"""Registered DCI senders: who may exchange, as which client, with which keys and purposes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter
from app.config import Settings
from app.dci import http
from app.dci.schemas import SenderIn, SenderKeyOut, SenderOut, SenderPatch
from app.dci.signatures import thumbprint
from app.errors import Conflict, NotFound, Unprocessable
from app.kit import outbound
from app.kit.pagination import PageParams, paginate
from app.models.accounts import Client
from app.models.dci import DciMessage, DciSender
from app.models.webhooks import Webhook

log = structlog.get_logger("xiaokang.dci")


def _view(s: DciSender) -> dict:
    return {"sender_id": s.sender_id, "client_ref": str(s.client_ref),
            "kids": [thumbprint(k) for k in s.public_keys], "jwks_uri": s.jwks_uri,
            "callback_uri": s.callback_uri, "signature_required": s.signature_required,
            "purposes": list(s.purposes), "rate_limit_per_minute": s.rate_limit_per_minute,
            "active": s.active}


async def sender_out(session: AsyncSession, s: DciSender) -> SenderOut:
    client = await session.get(Client, s.client_ref)
    keys = s.public_keys or (s.jwks_cache or [])
    return SenderOut(id=s.id, sender_id=s.sender_id, client_id=client.client_id if client else "",
                     public_keys=[SenderKeyOut(kid=thumbprint(k), jwk=k) for k in keys],
                     jwks_uri=s.jwks_uri, callback_uri=s.callback_uri,
                     signature_required=s.signature_required, purposes=list(s.purposes),
                     rate_limit_per_minute=s.rate_limit_per_minute, active=s.active,
                     version=s.version, created_at=s.created_at)


async def _check_uris(settings: Settings, uris: dict[str, Any]) -> None:
    """The registry will call these: the outbound rules apply to every URI registered or
    changed, as for webhooks (and again at connect time)."""
    for field, uri in uris.items():
        if uri:
            try:
                await outbound.check_url(str(uri), settings)
            except Unprocessable as e:
                raise Unprocessable(e.code, e.detail, errors=[
                    {"loc": ["body", field], "msg": "refused address", "code": e.code}]) from None


def _check_keys(keys: list[dict]) -> None:
    if len({thumbprint(k) for k in keys}) != len(keys):
        raise Unprocessable("dci.sender.key_repeated", "The same key is given twice.")


async def create_sender(session: AsyncSession, principal: Principal, data: SenderIn,
                        settings: Settings) -> DciSender:
    await _check_uris(settings, {"callback_uri": data.callback_uri, "jwks_uri": data.jwks_uri})
    client = await session.scalar(select(Client).where(Client.client_id == data.client_id))
    if client is None:
        raise Unprocessable("dci.sender.client_unknown", f"No client {data.client_id}.",
                            errors=[{"loc": ["body", "client_id"], "msg": "no such client",
                                     "code": "dci.sender.client_unknown"}])
    ensure_in_region(principal, client.region_code, "client")
    if await session.scalar(select(DciSender.id).where(DciSender.sender_id == data.sender_id)):
        raise Conflict("dci.sender.exists", f"The sender {data.sender_id} is registered already.")
    keys = [k.model_dump() for k in data.public_keys]
    _check_keys(keys)
    sender = DciSender(sender_id=data.sender_id, client_ref=client.id, public_keys=keys,
                       jwks_uri=str(data.jwks_uri) if data.jwks_uri else None,
                       callback_uri=str(data.callback_uri).rstrip("/") if data.callback_uri
                       else None, signature_required=data.signature_required,
                       purposes=list(dict.fromkeys(data.purposes)),
                       rate_limit_per_minute=data.rate_limit_per_minute, active=True,
                       created_by=principal.actor, version=1)
    session.add(sender)
    await session.flush()
    await session.refresh(sender)
    await record(session, principal, "dci.sender.create", "dci_sender", sender.id,
                 after=_view(sender), region_code=client.region_code)
    return sender


_NOT_NULL = ("public_keys", "signature_required", "purposes", "rate_limit_per_minute", "active")


def _refuse(field: str, code: str, message: str) -> Unprocessable:
    return Unprocessable(code, message, errors=[{"loc": ["body", field], "msg": message,
                                                 "code": code}])


def _patched_keys(sender: DciSender, data: SenderPatch) -> tuple[list[dict], str | None, bool]:
    """(keys, JWKS URI, signature required) after the change, checked as at registration."""
    fields = data.model_fields_set
    keys = [k.model_dump() for k in data.public_keys] if "public_keys" in fields \
        and data.public_keys is not None else list(sender.public_keys)
    jwks = (str(data.jwks_uri) if data.jwks_uri else None) if "jwks_uri" in fields \
        else sender.jwks_uri
    required = data.signature_required if data.signature_required is not None \
        else sender.signature_required
    _check_keys(keys)
    if keys and jwks:
        raise _refuse("jwks_uri", "dci.sender.keys_conflict",
                      "Give public_keys or jwks_uri, not both (clear one with [] or null).")
    if required and not keys and not jwks:
        raise _refuse("public_keys", "dci.sender.keys_required",
                      "A sender that must sign needs public_keys or a jwks_uri.")
    return keys, jwks, required


async def update_sender(session: AsyncSession, principal: Principal, sender: DciSender,
                        data: SenderPatch, settings: Settings) -> DciSender:
    """Change a sender's keys, JWKS URI, callback, purposes, rate limit or signing rule, or
    disable / enable it; nothing is written when any part is refused."""
    fields = data.model_fields_set
    for name in _NOT_NULL:
        if name in fields and getattr(data, name) is None:
            raise _refuse(name, "field.null", f"{name} cannot be null.")
    await _check_uris(settings, {f: getattr(data, f) for f in ("callback_uri", "jwks_uri")
                                 if f in fields})
    keys, jwks, required = _patched_keys(sender, data)
    before = _view(sender)
    if jwks != sender.jwks_uri:  # another JWKS: fetched again on the next signature
        sender.jwks_cache, sender.jwks_fetched_at = None, None
    sender.public_keys, sender.jwks_uri, sender.signature_required = keys, jwks, required
    if "callback_uri" in fields:
        sender.callback_uri = str(data.callback_uri).rstrip("/") if data.callback_uri else None
    if data.purposes is not None:
        sender.purposes = list(dict.fromkeys(data.purposes))
    if data.rate_limit_per_minute is not None:
        sender.rate_limit_per_minute = data.rate_limit_per_minute
    if data.active is not None:
        sender.active = data.active
    sender.version += 1
    await _sync_channel(session, sender)
    await session.flush()
    await record(session, principal, "dci.sender.update", "dci_sender", sender.id,
                 before=before, after=_view(sender), region_code=principal.region_code or None)
    return sender


async def _sync_channel(session: AsyncSession, sender: DciSender) -> None:
    """The sender's outbox channel follows it: its callback URI, and paused while the sender is
    disabled or has no callback URI (the cursor stays, so nothing is skipped), tried again at
    once when it can be delivered to."""
    hook = await session.scalar(select(Webhook).where(Webhook.kind == "dci",
                                                      Webhook.owner == f"dci:{sender.sender_id}"))
    if hook is None:
        return
    hook.url = sender.callback_uri or ""
    active = sender.active and bool(sender.callback_uri)
    if active and not hook.active:
        hook.failures, hook.next_attempt_at = 0, None
    hook.active = active


async def list_senders(session: AsyncSession, principal: Principal, params: PageParams):
    stmt = (select(DciSender).join(Client, Client.id == DciSender.client_ref)
            .where(region_filter(principal, Client.region_code)))
    return await paginate(session, stmt, [DciSender.id], params)


async def get_sender(session: AsyncSession, principal: Principal, sender_id: str) -> DciSender:
    row = (await session.execute(
        select(DciSender, Client.region_code).join(Client, Client.id == DciSender.client_ref)
        .where(DciSender.sender_id == sender_id))).first()
    if row is None:
        raise NotFound("dci.sender.not_found", "No such sender.")
    ensure_in_region(principal, row[1], "dci.sender")
    return row[0]


async def by_sender_id(session: AsyncSession, sender_id: str) -> DciSender | None:
    """The sender, enabled or not (the gate tells a disabled one apart)."""
    return await session.scalar(select(DciSender).where(DciSender.sender_id == sender_id))


async def keys_of(session: AsyncSession, settings: Settings, sender: DciSender,
                  kid: str | None = None) -> list[dict]:
    """The sender's public JWKs: registered, or from its JWKS URI (cached; fetched again when
    stale, or when a signature names a kid the cache lacks and the cache is a minute old)."""
    if not sender.jwks_uri:
        return list(sender.public_keys)
    now = datetime.now(UTC)
    cached = sender.jwks_cache or []
    age = now - sender.jwks_fetched_at if sender.jwks_fetched_at else None
    stale = age is None or age > timedelta(seconds=settings.dci_jwks_cache_seconds)
    unknown_kid = kid is not None and kid not in {_kid(k) for k in cached} \
        and (age is None or age > timedelta(seconds=60))
    if stale or unknown_kid:
        try:
            data = await http.get_json(settings, sender.jwks_uri)
            keys = [k for k in (data.get("keys", []) if isinstance(data, dict) else [])
                    if isinstance(k, dict) and k.get("kty") == "OKP" and k.get("crv") == "Ed25519"]
            sender.jwks_cache, sender.jwks_fetched_at = keys, now
            cached = keys
        except Exception as e:  # noqa: BLE001 - an unreachable JWKS keeps the cached keys
            log.warning("dci_jwks_fetch_failed", sender_id=sender.sender_id,
                        error=type(e).__name__)
    return list(cached)


def _kid(jwk: dict) -> str | None:
    try:
        return thumbprint(jwk)
    except (KeyError, TypeError):
        return None


async def recent_messages(session: AsyncSession, sender_id: str, since: datetime) -> int:
    """Messages received from the sender since `since` (the per-sender rate limit)."""
    return int(await session.scalar(
        select(func.count()).select_from(DciMessage).where(DciMessage.sender_id == sender_id,
                                                           DciMessage.received_at >= since)) or 0)
