"""/api/v1/webhooks: subscriptions to the change feed, delivered signed and in order."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Request, Response

from app.errors import COMMON_ERRORS, problem_responses
from app.kit.deps import Paging, SessionDep, WebhooksWriter
from app.kit.etag import IF_MATCH, require_if_match, set_etag
from app.kit.schemas import Page
from app.webhooks import service
from app.webhooks.schemas import DeliveryOut, WebhookCreated, WebhookIn, WebhookOut, WebhookPatch

router = APIRouter(prefix="/api/v1", tags=["webhooks"], responses=COMMON_ERRORS)


@router.post("/webhooks", response_model=WebhookCreated, status_code=201, name="webhooks_create")
async def webhooks_create(body: WebhookIn, request: Request, session: SessionDep,
                          principal: WebhooksWriter) -> WebhookCreated:
    """Subscribe a URL to events of a region; the signing secret is shown once."""
    hook, secret = await service.create(session, principal, body, request.app.state.settings)
    return WebhookCreated(**WebhookOut.model_validate(hook).model_dump(), secret=secret)


@router.get("/webhooks", response_model=Page[WebhookOut], name="webhooks_list")
async def webhooks_list(params: Paging, session: SessionDep,
                        principal: WebhooksWriter) -> Page[WebhookOut]:
    """Subscriptions in the caller's region, with their delivery state."""
    rows, cursor = await service.list_webhooks(session, principal, params)
    return Page[WebhookOut](items=[WebhookOut.model_validate(w) for w in rows], next_cursor=cursor)


@router.get("/webhooks/{webhook_id}", response_model=WebhookOut, name="webhooks_get")
async def webhooks_get(webhook_id: uuid.UUID, response: Response, session: SessionDep,
                       principal: WebhooksWriter) -> WebhookOut:
    """One subscription."""
    hook = await service.get(session, principal, webhook_id)
    set_etag(response, hook.version)
    return WebhookOut.model_validate(hook)


@router.patch("/webhooks/{webhook_id}", response_model=WebhookOut, name="webhooks_update",
              dependencies=[IF_MATCH],
              responses=problem_responses(412, 428))
async def webhooks_update(webhook_id: uuid.UUID, body: WebhookPatch, request: Request,
                          response: Response, session: SessionDep,
                          principal: WebhooksWriter) -> WebhookOut:
    """Change the URL or types, pause or resume a subscription (If-Match required)."""
    hook = await service.get(session, principal, webhook_id)
    require_if_match(request, hook.version)
    hook = await service.update(session, principal, hook, body, request.app.state.settings)
    set_etag(response, hook.version)
    return WebhookOut.model_validate(hook)


@router.get("/webhooks/{webhook_id}/deliveries", response_model=Page[DeliveryOut],
            name="webhooks_deliveries")
async def webhooks_deliveries(webhook_id: uuid.UUID, params: Paging, session: SessionDep,
                              principal: WebhooksWriter) -> Page[DeliveryOut]:
    """Delivery attempts of a subscription, oldest first."""
    hook = await service.get(session, principal, webhook_id)
    rows, cursor = await service.list_deliveries(session, hook, params)
    return Page[DeliveryOut](items=[DeliveryOut.model_validate(d) for d in rows], next_cursor=cursor)
