"""What the registry sends: signed callbacks (on-search, txn/on-status, on-subscribe,
on-unsubscribe) and notifications, through the webhooks outbox.

Each sender with a callback URI has one channel: a `webhook` row of kind "dci" whose cursor walks
the event feed. A callback is queued as a `dci.callback.queued` event (its body stays in the
encrypted transaction row); a household event becomes a notification for the sender's matching
subscriptions. The webhooks dispatcher delivers them in feed order, retries with backoff and never
skips one; this module only says what to POST where (`deliver`).
"""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.auth.passwords import new_secret
from app.auth.principal import Principal
from app.config import Settings
from app.dci import http, notify
from app.dci.errors import now_iso
from app.dci.signatures import load_or_create_key, sign
from app.events.service import emit, latest_position
from app.models.accounts import Client
from app.models.dci import DciSender, DciTransaction
from app.models.oversight import Event
from app.models.webhooks import Webhook

KIND = "dci"
CALLBACK_EVENT = "dci.callback.queued"


def envelope(settings: Settings, receiver: str, action: str, message: dict, *,
             message_id: str | None = None, total: int = 1, completed: int = 1,
             status: str = "succ") -> dict:
    """A signed {signature, header, message} from the registry to `receiver`."""
    header = {"version": "1.0.0", "message_id": message_id or uuid.uuid4().hex,
              "message_ts": now_iso(), "action": action, "status": status,
              "total_count": total, "completed_count": completed,
              "sender_id": settings.dci_registry_id, "receiver_id": receiver,
              "is_msg_encrypted": False}
    created = int(time.time())
    signature = sign(load_or_create_key(settings), settings.dci_registry_id, header, message,
                     created, created + settings.dci_signature_ttl_seconds)
    return {"signature": signature, "header": header, "message": message}


def seal(settings: Settings, data: Any) -> bytes:
    return pii.encrypt(settings, json.dumps(data, ensure_ascii=False, default=str))


def unseal(settings: Settings, blob: bytes | None) -> Any:
    return json.loads(pii.decrypt(settings, blob)) if blob else []


async def client_principal(session: AsyncSession, sender: DciSender) -> Principal | None:
    """The sender's client as a principal (scopes and region of the client today)."""
    client = await session.get(Client, sender.client_ref)
    if client is None or not client.active:
        return None
    return Principal(kind="client", id=client.id, name=client.name, role=None,
                     scopes=frozenset(client.scopes), region_code=client.region_code)


async def ensure_channel(session: AsyncSession, settings: Settings, sender: DciSender,
                         region_code: str) -> Webhook:
    """The sender's delivery channel, created at the current end of the feed."""
    owner = f"dci:{sender.sender_id}"
    hook = await session.scalar(select(Webhook).where(Webhook.kind == KIND,
                                                      Webhook.owner == owner))
    if hook is None:
        hook = Webhook(id=uuid.uuid4(), url=sender.callback_uri or "",
                       secret_enc=pii.encrypt(settings, new_secret()),
                       types=["household.*", CALLBACK_EVENT], region_code=region_code,
                       owner=owner, active=True, cursor=await latest_position(session),
                       failures=0, version=1, kind=KIND)
        session.add(hook)
        await session.flush()
    return hook


async def queue_callbacks(session: AsyncSession, settings: Settings, sender: DciSender,
                          txn: DciTransaction, region_code: str, messages: list[dict]) -> None:
    """Keep the callback bodies (encrypted) on the transaction and queue one event each."""
    await ensure_channel(session, settings, sender, region_code)
    txn.response_enc = seal(settings, messages)
    txn.pages = len(messages)
    await _queue(session, sender, txn, region_code, range(len(messages)))


async def queue_pending(session: AsyncSession, settings: Settings, sender: DciSender,
                        txn: DciTransaction, region_code: str) -> None:
    """Queue the first callback of a transaction not answered yet (an asynchronous search): the
    answer is made when the outbox reaches it, after the ACK."""
    await ensure_channel(session, settings, sender, region_code)
    await _queue(session, sender, txn, region_code, range(1))


async def keep_pages(session: AsyncSession, settings: Settings, sender: DciSender,
                     txn: DciTransaction, region_code: str | None, messages: list[dict]) -> None:
    """The answer of a pending transaction: kept (encrypted) and every page after the first
    queued behind it (the first is being delivered)."""
    txn.response_enc = seal(settings, messages)
    txn.pages = len(messages)
    await _queue(session, sender, txn, region_code, range(1, len(messages)))


async def _queue(session: AsyncSession, sender: DciSender, txn: DciTransaction,
                 region_code: str | None, indexes: range) -> None:
    for index in indexes:
        await emit(session, CALLBACK_EVENT, "dci_transaction", txn.id, region_code,
                   {"sender_id": sender.sender_id, "correlation_id": str(txn.id), "index": index})


async def _callback(session: AsyncSession, settings: Settings, sender: DciSender,
                    event: Event) -> tuple[str, bytes] | None:
    txn = await session.get(DciTransaction, uuid.UUID(event.payload["correlation_id"]))
    if txn is None:
        return None
    if txn.request_enc is not None:
        # the asynchronous search runs here, after its ACK (the service imports this module)
        from app.dci.service import answer_pending
        if not await answer_pending(session, settings, sender, txn, event.region_code):
            return None
    index = int(event.payload["index"])
    stored_messages = unseal(settings, txn.response_enc)
    if index >= len(stored_messages):  # refused before it was answered: nothing to send
        return None
    stored = stored_messages[index]
    body = envelope(settings, sender.sender_id, stored["action"], stored["message"],
                    message_id=f"{txn.id}-{index}", total=txn.pages, completed=index + 1)
    return sender.callback_uri + stored["path"], json.dumps(body, ensure_ascii=False).encode()


def _delivered(txn: DciTransaction, index: int) -> None:
    txn.pages_delivered = max(txn.pages_delivered, index + 1)
    if txn.pages_delivered >= txn.pages and txn.status == "pdng":
        txn.status, txn.completed_at = "succ", datetime.now(UTC)


async def deliver(session: AsyncSession, hook: Webhook, event: Event, settings: Settings
                  ) -> tuple[bool, int | None, str | None] | None:
    """The "dci" channel of the webhooks dispatcher: POST what `event` means for this sender;
    None when it means nothing to it (the cursor moves on)."""
    sender_id = hook.owner.removeprefix("dci:")
    sender = await session.scalar(select(DciSender).where(DciSender.sender_id == sender_id))
    if sender is None:
        return None
    if not sender.active or not sender.callback_uri:  # held, never skipped (app.dci.senders)
        return False, None, "the sender is disabled or has no callback URI"
    if event.type == CALLBACK_EVENT:
        if event.payload.get("sender_id") != sender_id:
            return None
        out = await _callback(session, settings, sender, event)
    else:
        principal = await client_principal(session, sender)
        message = await notify.notification(session, settings, principal, sender, event) \
            if principal else None
        out = None
        if message is not None:
            body = envelope(settings, sender.sender_id, "notify", message,
                            message_id=f"notify-{event.id}")
            out = (sender.callback_uri + "/registry/notify",
                   json.dumps(body, ensure_ascii=False).encode())
    if out is None:
        return None
    result = await http.post_json(settings, *out)
    if result[0] and event.type == CALLBACK_EVENT:
        txn = await session.get(DciTransaction, uuid.UUID(event.payload["correlation_id"]))
        if txn is not None:
            _delivered(txn, int(event.payload["index"]))
    return result


def stored_message(action: str, path: str, message: dict[str, Any]) -> dict[str, Any]:
    return {"action": action, "path": path, "message": message}
