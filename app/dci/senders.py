"""Registered DCI senders: who may exchange, as which client, with which keys and purposes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import structlog
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter
from app.config import Settings
from app.dci import http
from app.dci.schemas import SenderIn, SenderKeyOut, SenderOut
from app.dci.signatures import thumbprint
from app.errors import Conflict, NotFound, Unprocessable
from app.kit import outbound
from app.kit.pagination import PageParams, paginate
from app.models.accounts import Client
from app.models.dci import DciMessage, DciSender

log = structlog.get_logger("xiaokang.dci")


def _view(s: DciSender) -> dict:
    return {"sender_id": s.sender_id, "client_ref": str(s.client_ref),
            "kids": [thumbprint(k) for k in s.public_keys], "jwks_uri": s.jwks_uri,
            "callback_uri": s.callback_uri, "signature_required": s.signature_required,
            "purposes": list(s.purposes), "rate_limit_per_minute": s.rate_limit_per_minute}


async def sender_out(session: AsyncSession, s: DciSender) -> SenderOut:
    client = await session.get(Client, s.client_ref)
    keys = s.public_keys or (s.jwks_cache or [])
    return SenderOut(id=s.id, sender_id=s.sender_id, client_id=client.client_id if client else "",
                     public_keys=[SenderKeyOut(kid=thumbprint(k), jwk=k) for k in keys],
                     jwks_uri=s.jwks_uri, callback_uri=s.callback_uri,
                     signature_required=s.signature_required, purposes=list(s.purposes),
                     rate_limit_per_minute=s.rate_limit_per_minute, active=s.active,
                     created_at=s.created_at)


async def create_sender(session: AsyncSession, principal: Principal, data: SenderIn,
                        settings: Settings) -> DciSender:
    # The registry will call these: the outbound rules apply at registration, as for webhooks
    # (and again at connect time).
    for field, uri in (("callback_uri", data.callback_uri), ("jwks_uri", data.jwks_uri)):
        if uri:
            try:
                await outbound.check_url(str(uri), settings)
            except Unprocessable as e:
                raise Unprocessable(e.code, e.detail, errors=[
                    {"loc": ["body", field], "msg": "refused address", "code": e.code}]) from None
    client = await session.scalar(select(Client).where(Client.client_id == data.client_id))
    if client is None:
        raise Unprocessable("dci.sender.client_unknown", f"No client {data.client_id}.",
                            errors=[{"loc": ["body", "client_id"], "msg": "no such client",
                                     "code": "dci.sender.client_unknown"}])
    ensure_in_region(principal, client.region_code, "client")
    if await session.scalar(select(DciSender.id).where(DciSender.sender_id == data.sender_id)):
        raise Conflict("dci.sender.exists", f"The sender {data.sender_id} is registered already.")
    keys = [k.model_dump() for k in data.public_keys]
    if len({thumbprint(k) for k in keys}) != len(keys):
        raise Unprocessable("dci.sender.key_repeated", "The same key is given twice.")
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
    return await session.scalar(select(DciSender).where(DciSender.sender_id == sender_id,
                                                        DciSender.active.is_(True)))


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
