"""Webhooks: subscriptions, signed deliveries in event order, retried with backoff, never lost.

Each subscription keeps a cursor (the last event delivered). The dispatcher locks a due
subscription (`FOR UPDATE SKIP LOCKED`, so several app processes never deliver twice), posts the
events after its cursor one by one, and advances the cursor only on a 2xx answer. A failure stops
that subscription until its next attempt (exponential backoff, capped at an hour); nothing after
the failing event is sent before it, and nothing is skipped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import structlog
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.passwords import new_secret
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, region_filter
from app.config import Settings
from app.db import Database
from app.errors import NotFound, Unprocessable
from app.events.service import latest_position, list_events
from app.kit import outbound
from app.kit.pagination import PageParams, paginate
from app.models.oversight import Event
from app.models.regions import Region
from app.models.webhooks import Webhook, WebhookDelivery

log = structlog.get_logger("xiaokang.webhooks")
BATCH = 100
MAX_BACKOFF_SECONDS = 3600
TIMEOUT_SECONDS = 10.0

# Other kinds of subscription delivered on the same cursor, order and backoff (a `webhook` row
# with that `kind`): kind → deliver(session, hook, event, settings) answering (delivered, HTTP
# status, error), or None when the event means nothing to that subscription (skipped).
CHANNELS: dict = {}


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """`t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the receiver recomputes it."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _view(w: Webhook) -> dict:
    return {"url": w.url, "types": list(w.types), "region_code": w.region_code, "active": w.active}


async def create(session: AsyncSession, principal: Principal, data, settings: Settings
                 ) -> tuple[Webhook, str]:
    region_code = data.region_code or principal.region_code
    if await session.get(Region, region_code) is None:
        raise Unprocessable("region.unknown", f"Region {region_code} does not exist.")
    ensure_in_region(principal, region_code, "region")
    await outbound.check_url(str(data.url), settings)
    secret = new_secret()
    cursor = 0 if data.from_start else await latest_position(session)
    hook = Webhook(id=uuid.uuid4(), url=str(data.url), secret_enc=pii.encrypt(settings, secret),
                   types=list(data.types), region_code=region_code, owner=principal.actor,
                   active=True, cursor=cursor, failures=0, version=1)
    session.add(hook)
    await session.flush()
    await record(session, principal, "webhook.create", "webhook", hook.id, after=_view(hook),
                 region_code=region_code)
    return hook, secret


async def get(session: AsyncSession, principal: Principal, webhook_id: uuid.UUID) -> Webhook:
    hook = await session.get(Webhook, webhook_id)
    if hook is None or hook.kind != "webhook":
        raise NotFound("webhook.not_found", "No such webhook.")
    ensure_in_region(principal, hook.region_code, "webhook")
    return hook


async def update(session: AsyncSession, principal: Principal, hook: Webhook, data,
                 settings: Settings) -> Webhook:
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    before = _view(hook)
    if "url" in changes:
        await outbound.check_url(str(changes["url"]), settings)
        hook.url = str(changes["url"])
    if "types" in changes:
        hook.types = list(changes["types"])
    if "active" in changes:
        hook.active = changes["active"]
        if hook.active:  # re-enabled: try again now
            hook.failures, hook.next_attempt_at = 0, None
    hook.version += 1
    await session.flush()
    await record(session, principal, "webhook.update", "webhook", hook.id, before=before,
                 after=_view(hook), region_code=hook.region_code)
    return hook


async def list_webhooks(session: AsyncSession, principal: Principal, params: PageParams):
    stmt = select(Webhook).where(region_filter(principal, Webhook.region_code),
                                 Webhook.kind == "webhook")
    return await paginate(session, stmt, [Webhook.id], params)


async def list_deliveries(session: AsyncSession, hook: Webhook, params: PageParams):
    stmt = select(WebhookDelivery).where(WebhookDelivery.webhook_id == hook.id)
    return await paginate(session, stmt, [WebhookDelivery.id], params)


def _payload(e: Event) -> bytes:
    return json.dumps({"id": e.id, "position": e.position, "at": e.at.isoformat(), "type": e.type,
                       "entity_type": e.entity_type, "entity_id": e.entity_id,
                       "region_code": e.region_code, "payload": e.payload},
                      ensure_ascii=False, separators=(",", ":")).encode()


async def _post(http: httpx.AsyncClient, hook: Webhook, event: Event, secret: str
                ) -> tuple[bool, int | None, str | None]:
    body = _payload(event)
    headers = {"Content-Type": "application/json",
               "X-Xiaokang-Event-Id": str(event.id), "X-Xiaokang-Event-Type": event.type,
               "X-Xiaokang-Signature": sign(secret, int(time.time()), body)}
    status, error = None, None
    try:
        resp = await http.post(hook.url, content=body, headers=headers, timeout=TIMEOUT_SECONDS)
        status = resp.status_code
        ok = 200 <= status < 300
        if not ok:
            error = f"HTTP {status}"
    except outbound.AddressRefused as e:  # refused at connect time: nothing was sent
        ok, error = False, str(e)[:500]
    except httpx.HTTPError as e:
        ok, error = False, f"{type(e).__name__}: {e}"[:500]
    return ok, status, error


async def _deliver_hook(session: AsyncSession, hook: Webhook, http: httpx.AsyncClient,
                        settings: Settings, now: datetime) -> int:
    scope = Principal(kind="client", id=hook.id, name="webhook", role=None,
                      scopes=frozenset(), region_code=hook.region_code)
    events, _ = await list_events(session, scope, hook.cursor, list(hook.types), BATCH)
    secret = pii.decrypt(settings, hook.secret_enc)
    sent = 0
    channel = CHANNELS.get(hook.kind)
    if channel is None and hook.kind != "webhook":
        return 0  # a channel whose module is not loaded here: leave its cursor alone
    for event in events:
        if channel is not None:
            outcome = await channel(session, hook, event, settings)
            if outcome is None:  # nothing to send for this event: move on
                hook.cursor = event.position
                continue
            ok, status, error = outcome
        else:
            ok, status, error = await _post(http, hook, event, secret)
        session.add(WebhookDelivery(webhook_id=hook.id, event_id=event.id,
                                    attempt=hook.failures + 1, status_code=status, error=error,
                                    delivered=ok))
        if not ok:
            hook.failures += 1
            hook.last_error = error
            hook.next_attempt_at = now + timedelta(
                seconds=min(MAX_BACKOFF_SECONDS, 2 ** min(hook.failures, 12)))
            break
        hook.cursor, hook.failures, hook.next_attempt_at, hook.last_error = event.position, 0, None, None
        sent += 1
    return sent


async def deliver_due(db: Database, http: httpx.AsyncClient, settings: Settings,
                      now: datetime | None = None) -> int:
    """One pass: deliver what is due to every active subscription; answers events delivered.
    `http` is `app.kit.outbound.client(settings)` in the server (tests may pass another)."""
    now = now or datetime.now(UTC)
    total = 0
    # One subscription at a time, each in its own transaction.
    async with db.sessionmaker() as session:
        ids = (await session.scalars(
            select(Webhook.id).where(
                Webhook.active.is_(True),
                or_(Webhook.next_attempt_at.is_(None), Webhook.next_attempt_at <= now))
            .order_by(Webhook.id))).all()
    for hook_id in ids:
        async with db.sessionmaker() as session:
            hook = await session.scalar(select(Webhook).where(Webhook.id == hook_id)
                                        .with_for_update(skip_locked=True))
            if hook is None or not hook.active:
                continue
            total += await _deliver_hook(session, hook, http, settings, now)
            await session.commit()
    return total


async def run_dispatcher(db: Database, settings: Settings) -> None:
    """The background loop of `xiaokang serve`: a delivery pass every few seconds."""
    import asyncio

    async with outbound.client(settings) as http:
        while True:
            try:
                await deliver_due(db, http, settings)
            except Exception:
                log.exception("webhook_dispatch_failed")
            await asyncio.sleep(settings.webhook_interval_seconds)
