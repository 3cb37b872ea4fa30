"""/dci/: the DCI Social Registry API v1.0.0, and /api/v1/dci/senders (who may use it)."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from app.auth.principal import current_principal
from app.dci import senders, service
from app.dci.envelope import open_envelope
from app.dci.errors import ack
from app.dci.outbox import envelope
from app.dci.schemas import ENVELOPE_SCHEMA, SenderIn, SenderOut, SenderPatch
from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import AccountsAdmin, Paging, SessionDep
from app.kit.etag import IF_MATCH, require_if_match, set_etag
from app.kit.schemas import Page

SPEC = Path(__file__).parent / "spec" / "social_api_v1.0.0.yaml"

senders_router = APIRouter(prefix="/api/v1/dci", tags=["dci"], responses=COMMON_ERRORS)
router = APIRouter(prefix="/dci", tags=["dci"])

_ERR = {"description": "Refused: {message: {ack_status: ERR, error: {code, message}}}",
        "content": {"application/json": {"schema": {"type": "object"}}}}
_DCI_ERRORS = {400: _ERR, 401: _ERR, 403: _ERR, 409: _ERR, 429: _ERR}


def _doc(action: str, answer: str) -> dict:
    return {"openapi_extra": {"requestBody": {"required": True, "content": {
        "application/json": {"schema": {**ENVELOPE_SCHEMA, "description":
                                        f"header.action = {action}"}}}}},
            "responses": {**_DCI_ERRORS, 200: {"description": answer, "content": {
                "application/json": {"schema": {"type": "object"}}}}}}


@senders_router.post("/senders", response_model=SenderOut, status_code=201,
                     name="dci_senders_create", responses=problem_responses(409, 422))
async def dci_senders_create(body: SenderIn, request: Request, session: SessionDep,
                             principal: AccountsAdmin) -> SenderOut:
    """Register a DCI sender: its OAuth client, keys, callback URI, purposes and rate limit."""
    sender = await senders.create_sender(session, principal, body, request.app.state.settings)
    return await senders.sender_out(session, sender)


@senders_router.get("/senders", response_model=Page[SenderOut], name="dci_senders_list")
async def dci_senders_list(params: Paging, session: SessionDep,
                           principal: AccountsAdmin) -> Page[SenderOut]:
    """Registered DCI senders whose client lies in the caller's region."""
    rows, cursor = await senders.list_senders(session, principal, params)
    return Page[SenderOut](items=[await senders.sender_out(session, s) for s in rows],
                           next_cursor=cursor)


@senders_router.get("/senders/{sender_id}", response_model=SenderOut, name="dci_senders_get")
async def dci_senders_get(sender_id: str, response: Response, session: SessionDep,
                          principal: AccountsAdmin) -> SenderOut:
    """One registered DCI sender."""
    sender = await senders.get_sender(session, principal, sender_id)
    set_etag(response, sender.version)
    return await senders.sender_out(session, sender)


@senders_router.patch("/senders/{sender_id}", response_model=SenderOut, name="dci_senders_update",
                      dependencies=[IF_MATCH], responses=problem_responses(412, 422, 428))
async def dci_senders_update(sender_id: str, body: SenderPatch, request: Request,
                             response: Response, session: SessionDep,
                             principal: AccountsAdmin) -> SenderOut:
    """Change a sender's keys, JWKS URI, callback, purposes or signing rule, or disable or
    enable it (If-Match required)."""
    sender = await senders.get_sender(session, principal, sender_id)
    require_if_match(request, sender.version)
    sender = await senders.update_sender(session, principal, sender, body,
                                         request.app.state.settings)
    set_etag(response, sender.version)
    return await senders.sender_out(session, sender)


@router.get("/social_api_v1.0.0.yaml", name="dci_specification", response_class=Response,
            responses={200: {"description": "the DCI Social Registry specification (YAML)",
                             "content": {"application/octet-stream": {
                                 "schema": {"type": "string", "format": "binary"}}}}})
async def dci_specification() -> Response:
    """The DCI Social Registry specification this API serves (errata fixed)."""
    return Response(SPEC.read_bytes(), media_type="application/yaml")


@router.post("/registry/sync/search", name="dci_sync_search",
             **_doc("search", "signed {signature, header (on-search), message: SearchResponse}"))
async def dci_sync_search(request: Request, session: SessionDep) -> JSONResponse:
    """Search the registry and answer now (Group or Member records, as of a date)."""
    # The registry is read on the replica once it has the client's own writes. Chosen before
    # the request's session takes its connection: choosing reads the fence on the primary, and
    # holding one primary connection while waiting for another could exhaust the pool.
    principal = await current_principal(request)  # the token is checked once and remembered
    async with request.app.state.db.replica_session(
            f"{principal.kind}:{principal.id}") as reads:
        env = await open_envelope(request, session, "dci:search", "search")
        # The exchange's own rows (transaction, message id, audit) are read by no later search:
        # they do not send the client's next searches to the primary (app.db read fence).
        request.state.fence_exempt = True
        return JSONResponse(await service.sync_search(session, request.app.state.settings, env,
                                                      reads))


@router.post("/registry/search", name="dci_search",
             **_doc("search", "ACK; SearchResponse pages POSTed to {callback}/registry/on-search"))
async def dci_search(request: Request, session: SessionDep) -> JSONResponse:
    """Search asynchronously: ACK now, signed results to the sender's on-search, in pages."""
    env = await open_envelope(request, session, "dci:search", "search")
    return JSONResponse(ack("ACK", await service.async_search(
        session, request.app.state.settings, env)))


@router.post("/registry/sync/txn/status", name="dci_sync_txn_status",
             **_doc("txn-status", "signed {signature, header, message: TxnStatusResponse}"))
async def dci_sync_txn_status(request: Request, session: SessionDep) -> JSONResponse:
    """The status (and stored answer) of an earlier transaction, now."""
    env = await open_envelope(request, session, "dci:search", "txn-status")
    settings = request.app.state.settings
    message = await service.txn_status(session, settings, env)
    return JSONResponse(envelope(settings, env.sender.sender_id, "txn-on-status", message))


@router.post("/registry/txn/status", name="dci_txn_status",
             **_doc("txn-status", "ACK; TxnStatusResponse POSTed to {callback}/registry/txn/on-status"))
async def dci_txn_status(request: Request, session: SessionDep) -> JSONResponse:
    """The status of an earlier transaction, POSTed to the sender's txn/on-status."""
    env = await open_envelope(request, session, "dci:search", "txn-status")
    return JSONResponse(ack("ACK", await service.async_txn_status(
        session, request.app.state.settings, env)))


@router.post("/registry/subscribe", name="dci_subscribe",
             **_doc("subscribe", "ACK; SubscribeResponse POSTed to {callback}/registry/on-subscribe"))
async def dci_subscribe(request: Request, session: SessionDep) -> JSONResponse:
    """Subscribe to registry events; notifications go to the sender's /registry/notify."""
    env = await open_envelope(request, session, "dci:subscribe", "subscribe")
    return JSONResponse(ack("ACK", await service.subscribe(
        session, request.app.state.settings, env)))


@router.post("/registry/unsubscribe", name="dci_unsubscribe",
             **_doc("unsubscribe",
                    "ACK; UnSubscribeResponse POSTed to {callback}/registry/on-unsubscribe"))
async def dci_unsubscribe(request: Request, session: SessionDep) -> JSONResponse:
    """End subscriptions by their codes; the answer goes to the sender's on-unsubscribe."""
    env = await open_envelope(request, session, "dci:subscribe", "unsubscribe")
    return JSONResponse(ack("ACK", await service.unsubscribe(
        session, request.app.state.settings, env)))
