"""The DCI exchanges: sync and async search, transaction status, subscribe and unsubscribe.

Every exchange is a `dci_transaction` row and an audit row (`dci.search`, `dci.txn_status`,
`dci.subscribe`, `dci.unsubscribe`) with the sender, the purposes and consent stated, the queries
(ID numbers masked), the number of records and whether numbers left unmasked.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.config import Settings
from app.dci import notify, outbox, query, search
from app.dci.envelope import Envelope, check_count, parse_ts
from app.dci.errors import DciError, now_iso
from app.events.service import latest_position
from app.models.dci import DciSender, DciSubscription, DciTransaction


def _transaction_id(message: dict) -> str:
    tid = message.get("transaction_id")
    if not isinstance(tid, str | int) or isinstance(tid, bool) or not 1 <= len(str(tid)) <= 99:
        raise DciError("err.request.bad", "message.transaction_id is 1..99 characters.")
    return str(tid)


def _txn(env: Envelope, action: str, mode: str, refs: list) -> DciTransaction:
    return DciTransaction(id=uuid.uuid4(), sender_id=env.sender.sender_id,
                          transaction_id=_transaction_id(env.message),
                          message_id=env.header["message_id"], action=action, mode=mode,
                          status="rcvd", reference_ids=[str(r) for r in refs if r is not None],
                          record_count=0, pages=0, pages_delivered=0)


async def _audit(session: AsyncSession, env: Envelope, action: str, txn: DciTransaction,
                 detail: dict[str, Any]) -> None:
    await _audit_as(session, env.principal, env.signed, action, txn, detail)


async def _audit_as(session: AsyncSession, principal: Principal, signed: bool, action: str,
                    txn: DciTransaction, detail: dict[str, Any]) -> None:
    await record(session, principal, action, "dci_transaction", txn.id, after={
        "sender_id": txn.sender_id, "transaction_id": txn.transaction_id,
        "message_id": txn.message_id, "mode": txn.mode, "signed": signed, **detail},
        region_code=principal.region_code or None)


def _require_callback(env: Envelope) -> None:
    if not env.sender.callback_uri:
        raise DciError("err.sender_uri.invalid",
                       "The sender has no registered callback URI for asynchronous answers.")
    uri = env.header.get("sender_uri")
    if uri is not None and not str(uri).startswith(env.sender.callback_uri):
        raise DciError("err.sender_uri.invalid",
                       "header.sender_uri must lie under the sender's registered callback URI.")


async def _answer(session: AsyncSession, settings: Settings, principal: Principal,
                  sender: DciSender, txn: DciTransaction, items: list, signed: bool,
                  reads: AsyncSession | None = None) -> list[list[dict]]:
    """The response items of every request (every page of each when asynchronous), audited as
    one `dci.search` row; the registry is read through `reads` when given (a replica)."""
    seen: set = set()
    responses, audits, total = [], [], 0
    for raw in items:
        out, found, audit = await search.search_item(session, settings, principal, sender, raw,
                                                     seen, all_pages=txn.mode == "async",
                                                     reads=reads)
        responses.append(out)
        audits.append(audit)
        total += found
    txn.record_count = total
    await _audit_as(session, principal, signed, "dci.search", txn, {
        "requests": audits, "records": total, "unmasked": principal.has("pii:read")})
    return responses


def _search_txn(env: Envelope, mode: str) -> tuple[DciTransaction, list]:
    items = check_count(env.header, env.message.get("search_request"))
    return _txn(env, "search", mode, [i.get("reference_id") if isinstance(i, dict) else None
                                      for i in items]), items


def _search_message(txn: DciTransaction, items: list[dict]) -> dict:
    return {"transaction_id": txn.transaction_id, "correlation_id": str(txn.id),
            "search_response": items}


async def sync_search(session: AsyncSession, settings: Settings, env: Envelope,
                      reads: AsyncSession | None = None) -> dict:
    """Answer now. The registry is read through `reads` when given (the read replica, once it
    has the client's own writes); the transaction and audit rows go through `session`."""
    txn, requests = _search_txn(env, "sync")
    session.add(txn)
    responses = await _answer(session, settings, env.principal, env.sender, txn, requests,
                              env.signed, reads)
    if reads is not None:
        # Sealed under the primary's keys, held for the transaction (the replica's ring, read
        # for the search, may be behind a rotation that has begun).
        await pii.ring(session, settings)
    txn.status, txn.completed_at = "succ", datetime.now(UTC)
    items = [i for r in responses for i in r]
    txn.response_enc = outbox.seal(settings, [outbox.stored_message(
        "on-search", "/registry/on-search", _search_message(txn, items))])
    txn.pages = 1
    await session.flush()
    return outbox.envelope(settings, env.sender.sender_id, "on-search",
                           _search_message(txn, items), total=len(items),
                           completed=len(items))


async def async_search(session: AsyncSession, settings: Settings, env: Envelope) -> str:
    """ACK now: the requests are kept (encrypted) and the search runs in the outbox, after the
    ACK (`answer_pending`); every page of every request is POSTed to
    {callback}/registry/on-search. The transaction is `pdng` until the last page is delivered."""
    _require_callback(env)
    txn, requests = _search_txn(env, "async")
    txn.status = "pdng"
    txn.request_enc = outbox.seal(settings, {"items": requests, "signed": env.signed})
    session.add(txn)
    await session.flush()
    await outbox.queue_pending(session, settings, env.sender, txn, env.principal.region_code)
    return str(txn.id)


async def answer_pending(session: AsyncSession, settings: Settings, sender: DciSender,
                         txn: DciTransaction, region_code: str | None) -> bool:
    """Run an asynchronous search now, as the sender's client is today: its pages are kept on
    the transaction and each queued after the first. False (the transaction refused) when the
    client is gone or disabled."""
    principal = await outbox.client_principal(session, sender)
    pending = outbox.unseal(settings, txn.request_enc)
    txn.request_enc = None
    if principal is None:
        txn.status, txn.completed_at = "rjct", datetime.now(UTC)
        return False
    responses = await _answer(session, settings, principal, sender, txn, pending["items"],
                              pending["signed"])
    pages = [outbox.stored_message("on-search", "/registry/on-search",
                                   _search_message(txn, [page]))
             for r in responses for page in r]
    await outbox.keep_pages(session, settings, sender, txn, region_code, pages)
    return True


async def _find(session: AsyncSession, sender_id: str, request: dict) -> DciTransaction | None:
    kind, value = request.get("attribute_type"), request.get("attribute_value")
    stmt = select(DciTransaction).where(DciTransaction.sender_id == sender_id,
                                        DciTransaction.action.in_(("search", "subscribe")))
    if request.get("txn_type") in ("search", "subscribe"):
        stmt = stmt.where(DciTransaction.action == request["txn_type"])
    if kind == "transaction_id" and isinstance(value, str | int):
        stmt = stmt.where(DciTransaction.transaction_id == str(value))
    elif kind == "correlation_id" and isinstance(value, str):
        try:
            stmt = stmt.where(DciTransaction.id == uuid.UUID(value))
        except ValueError:
            return None
    elif kind == "reference_id_list" and isinstance(value, list) and value:
        stmt = stmt.where(DciTransaction.reference_ids.overlap([str(v) for v in value]))
    else:
        raise DciError("err.request.bad", "attribute_type is transaction_id, reference_id_list "
                       "or correlation_id, with its attribute_value.")
    return await session.scalar(stmt.order_by(DciTransaction.created_at.desc()).limit(1))


async def txn_status(session: AsyncSession, settings: Settings, env: Envelope) -> dict:
    """The TxnStatusResponse of the transaction a txnstatus_request names."""
    if env.header["total_count"] != 1:
        raise DciError("rjct.total_count.invalid", "A status request holds one request.")
    request = env.message.get("txnstatus_request")
    if not isinstance(request, dict):
        raise DciError("err.request.bad", "message.txnstatus_request is required.")
    txn = await _find(session, env.sender.sender_id, request)
    own = _txn(env, "txn-status", "sync", [request.get("reference_id")])
    own.status = "succ"
    session.add(own)
    if txn is None:
        status = {"transaction_id": str(request.get("attribute_value"))[:99],
                  "status": "rjct", "status_reason_code": "rjct.reference_id.invalid",
                  "status_reason_message": "No such transaction of this sender."}
    else:
        stored = outbox.unseal(settings, txn.response_enc)
        items = [i for s in stored for i in s["message"].get(
            "search_response", s["message"].get("subscribe_response", []))]
        status = {"transaction_id": txn.transaction_id, "correlation_id": str(txn.id),
                  "status": txn.status, "mode": txn.mode, "records": txn.record_count,
                  "pages": txn.pages, "pages_delivered": txn.pages_delivered,
                  f"{txn.action}_response": items}
    await _audit(session, env, "dci.txn_status", own, {
        "asked": {k: request.get(k) for k in ("txn_type", "attribute_type")},
        "found": str(txn.id) if txn else None, "records": txn.record_count if txn else 0,
        "unmasked": env.principal.has("pii:read")})
    return {"transaction_id": own.transaction_id, "correlation_id": str(own.id),
            "txnstatus_response": {"txn_type": request.get("txn_type"), "txn_status": status}}


async def async_txn_status(session: AsyncSession, settings: Settings, env: Envelope) -> str:
    _require_callback(env)
    message = await txn_status(session, settings, env)
    own = await session.get(DciTransaction, uuid.UUID(message["correlation_id"]))
    own.status = "pdng"
    await outbox.queue_callbacks(session, settings, env.sender, own, env.principal.region_code,
                                 [outbox.stored_message("txn-on-status", "/registry/txn/on-status",
                                                        message)])
    return str(own.id)


def _subscription(env: Envelope, txn: DciTransaction, raw: Any, position: int
                  ) -> tuple[dict, DciSubscription | None]:
    ref = raw.get("reference_id") if isinstance(raw, dict) else None
    base = {"reference_id": ref if isinstance(ref, str) else "", "timestamp": now_iso()}
    if not isinstance(ref, str) or not 1 <= len(ref) <= 99:
        return {**base, "status": "rjct", "status_reason_code": "rjct.reference_id.invalid"}, None
    if parse_ts(raw.get("timestamp")) is None:
        return {**base, "status": "rjct", "status_reason_code": "rjct.timestamp.invalid"}, None
    criteria = raw.get("subscribe_criteria")
    kind = notify.reg_event_type(criteria.get("reg_event_type")) if isinstance(criteria, dict) \
        else None
    if kind is None:
        return {**base, "status": "rjct", "status_reason_code": "rjct.notify_types.invalid",
                "status_reason_message": "reg_event_type is one of "
                + ", ".join(notify.EVENT_TYPES)}, None
    record_type = str(criteria.get("notify_record_type") or "Group").rsplit(":", 1)[-1]
    try:
        if record_type not in ("Group", "Member"):
            raise query.QueryError("notify_record_type is Group or Member")
        notify.filter_tree(criteria.get("filter_type"), criteria.get("filter"))
    except query.QueryError as e:
        return {**base, "status": "rjct", "status_reason_code": "rjct.notify_details.invalid",
                "status_reason_message": e.message[:999]}, None
    sub = DciSubscription(code=f"sub-{uuid.uuid4().hex}", sender_id=env.sender.sender_id,
                          transaction_id=txn.transaction_id, reference_id=ref,
                          reg_event_type=kind, notify_record_type=record_type,
                          filter={"filter_type": criteria.get("filter_type"),
                                  "filter": criteria.get("filter")},
                          region_code=env.principal.region_code, status="subscribe",
                          from_position=position)
    info = {"version": "1.0.0", "code": sub.code, "status": "subscribe",
            "timestamp": now_iso(), "reg_type": notify.REG_TYPE, "reg_event_type": kind,
            "filter_type": criteria.get("filter_type"), "filter": criteria.get("filter"),
            "notify_record_type": record_type}
    return {**base, "status": "succ", "subscriptions": [info]}, sub


async def subscribe(session: AsyncSession, settings: Settings, env: Envelope) -> str:
    """ACK; the SubscribeResponse (subscription codes) is POSTed to on-subscribe, and events
    after this moment are notified to {callback}/registry/notify."""
    _require_callback(env)
    items = check_count(env.header, env.message.get("subscribe_request"))
    txn = _txn(env, "subscribe", "async", [i.get("reference_id") if isinstance(i, dict) else None
                                           for i in items])
    session.add(txn)
    await outbox.ensure_channel(session, settings, env.sender, env.principal.region_code)
    position = await latest_position(session)
    responses = []
    for raw in items:
        out, sub = _subscription(env, txn, raw, position)
        responses.append(out)
        if sub is not None:
            session.add(sub)
    txn.status, txn.record_count = "pdng", sum(1 for r in responses if r["status"] == "succ")
    await session.flush()
    message = {"transaction_id": txn.transaction_id, "correlation_id": str(txn.id),
               "subscribe_response": responses}
    await _audit(session, env, "dci.subscribe", txn, {"subscriptions": [
        {"reference_id": r["reference_id"], "status": r["status"],
         "code": r.get("subscriptions", [{}])[0].get("code"),
         "reason": r.get("status_reason_code")} for r in responses]})
    await outbox.queue_callbacks(session, settings, env.sender, txn, env.principal.region_code,
                                 [outbox.stored_message("on-subscribe", "/registry/on-subscribe",
                                                        message)])
    return str(txn.id)


async def unsubscribe(session: AsyncSession, settings: Settings, env: Envelope) -> str:
    """ACK; the subscriptions named end now, and the UnSubscribeResponse is POSTed, signed, to
    {callback}/registry/on-unsubscribe through the outbox (after every notification already
    queued for them). A code of no subscription of this sender is `rjct.subscription_code
    .invalid`; one ended before, `rjct.event.already_unsubscribed`."""
    _require_callback(env)
    codes = [str(c) for c in check_count(env.header, env.message.get("subscription_codes"))]
    txn = _txn(env, "unsubscribe", "async", [])
    session.add(txn)
    subs = {s.code: s for s in (await session.scalars(select(DciSubscription).where(
        DciSubscription.sender_id == env.sender.sender_id,
        DciSubscription.code.in_(codes)))).all()}
    statuses, ended, reasons = [], [], []
    for code in dict.fromkeys(codes):
        sub = subs.get(code)
        if sub is None:
            reasons.append("rjct.subscription_code.invalid")
            continue
        if sub.status == "subscribe":
            sub.status, sub.ended_at = "unsubscribe", datetime.now(UTC)
            ended.append(code)
        else:
            reasons.append("rjct.event.already_unsubscribed")
        statuses.append({"code": sub.code, "status": "unsubscribe"})
    status = "succ" if ended or not reasons else "rjct"
    txn.status = "pdng" if status == "succ" else "rjct"
    if status == "rjct":
        txn.completed_at = datetime.now(UTC)
    await session.flush()
    await _audit(session, env, "dci.unsubscribe", txn, {"codes": codes, "ended": ended,
                                                       "refused": reasons})
    out: dict[str, Any] = {"transaction_id": txn.transaction_id, "correlation_id": str(txn.id),
                           "timestamp": now_iso(), "status": status,
                           "subscription_status": statuses}
    if reasons:
        out["status_reason_code"] = reasons[0]
        out["status_reason_message"] = ("No subscription of this sender has that code."
                                        if reasons[0] == "rjct.subscription_code.invalid"
                                        else "The subscription had ended already.")
    await outbox.queue_callbacks(session, settings, env.sender, txn, env.principal.region_code,
                                 [outbox.stored_message("on-unsubscribe",
                                                        "/registry/on-unsubscribe", out)])
    return str(txn.id)
