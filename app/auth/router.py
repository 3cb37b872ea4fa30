"""/api/v1/auth, /api/v1/users, /api/v1/clients and /.well-known/jwks.json."""

from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service
from app.auth.principal import Principal, current_principal, require
from app.auth.schemas import (
    ClientCreated,
    ClientIn,
    ClientOut,
    MeOut,
    TokenOut,
    UserIn,
    UserOut,
    UserPatch,
)
from app.db import session_dependency
from app.errors import COMMON_ERRORS, BadRequest, problem_responses
from app.kit.etag import not_modified, require_if_match, set_etag
from app.kit.pagination import PageParams, page_params
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=COMMON_ERRORS)
jwks_router = APIRouter(tags=["auth"])
Session = Depends(session_dependency, scope="function")

TOKEN_FIELDS = {"grant_type", "username", "password", "client_id", "client_secret",
                "refresh_token", "scope"}


@router.post(
    "/auth/token",
    response_model=TokenOut,
    name="auth_token",
    responses=problem_responses(415),
    openapi_extra={"requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {f: {"type": "string"} for f in sorted(TOKEN_FIELDS)},
        }}}}},
)
async def auth_token(request: Request) -> TokenOut:
    """Issue tokens: password, client_credentials or refresh_token grant (form-encoded)."""
    ctype = request.headers.get("content-type", "")
    if not ctype.startswith("application/x-www-form-urlencoded") and \
            not ctype.startswith("multipart/form-data"):
        raise BadRequest("auth.form_required",
                         "Send the token request as application/x-www-form-urlencoded.",
                         status=415)
    form = {k: str(v) for k, v in (await request.form()).items()}
    if any("\x00" in v for v in form.values()):
        raise BadRequest("request.nul_character", "The form may not contain the NUL character.")
    unknown = sorted(set(form) - TOKEN_FIELDS)
    if unknown:
        raise BadRequest("request.validation", f"Unknown fields: {', '.join(unknown)}.", status=422)
    grant = form.get("grant_type")

    def need(*names: str) -> list[str]:
        missing = [n for n in names if not form.get(n)]
        if missing:
            raise BadRequest("auth.invalid_request", f"The {grant} grant needs {', '.join(missing)}.")
        return [form[n] for n in names]

    state = request.app.state
    async with state.db.sessionmaker() as session:
        try:
            if grant == "password":
                username, password = need("username", "password")
                out = await service.password_grant(session, state.tokens, state.settings,
                                                   username, password)
            elif grant == "client_credentials":
                cid, secret = need("client_id", "client_secret")
                out = await service.client_credentials_grant(session, state.tokens, cid, secret)
            elif grant == "refresh_token":
                (token,) = need("refresh_token")
                out = await service.refresh_grant(session, state.tokens, state.settings, token)
            else:
                raise BadRequest("auth.unsupported_grant_type",
                                 "grant_type must be password, client_credentials or refresh_token.")
        except service.InvalidGrant:
            # A failed login is counted and a reused refresh family stays revoked.
            await session.commit()
            raise
        await session.commit()
    return TokenOut(**out)


@router.get("/auth/me", response_model=MeOut, name="auth_me")
async def auth_me(principal: Principal = Depends(current_principal)) -> MeOut:
    """Who the token belongs to, with its role, scopes and region."""
    return MeOut(subject=principal.actor, kind=principal.kind, role=principal.role,  # type: ignore[arg-type]
                 scopes=sorted(principal.scopes), region_code=principal.region_code,
                 name=principal.name)


@router.post("/users", response_model=UserOut, status_code=201, name="users_create",
             tags=["accounts"], responses=problem_responses(409))
async def users_create(body: UserIn, request: Request, session: AsyncSession = Session,
                       principal: Principal = Depends(require("accounts:admin"))) -> UserOut:
    """Add a user (admin)."""
    user = await service.create_user(session, principal, body, request.app.state.settings)
    return UserOut.model_validate(user)


@router.get("/users", response_model=Page[UserOut], name="users_list", tags=["accounts"])
async def users_list(session: AsyncSession = Session, params: PageParams = Depends(page_params),
                     principal: Principal = Depends(require("accounts:admin"))) -> Page[UserOut]:
    """List users (admin)."""
    rows, cursor = await service.list_users(session, principal, params)
    return Page[UserOut](items=[UserOut.model_validate(u) for u in rows], next_cursor=cursor)


@router.get("/users/{user_id}", response_model=UserOut, name="users_get", tags=["accounts"],
            responses={304: {"description": "Not Modified"}})
async def users_get(user_id: uuid.UUID, request: Request, response: Response,
                    session: AsyncSession = Session,
                    principal: Principal = Depends(require("accounts:admin"))):
    """One user, with its ETag (admin)."""
    user = await service.get_user(session, principal, user_id)
    if (cached := not_modified(request, user.version)) is not None:
        return cached
    set_etag(response, user.version)
    return UserOut.model_validate(user)


@router.patch("/users/{user_id}", response_model=UserOut, name="users_update", tags=["accounts"],
              responses=problem_responses(409, 412, 428))
async def users_update(user_id: uuid.UUID, body: UserPatch, request: Request, response: Response,
                       session: AsyncSession = Session,
                       principal: Principal = Depends(require("accounts:admin"))) -> UserOut:
    """Change a user's role, region, scopes or activity (admin; If-Match required)."""
    user = await service.get_user(session, principal, user_id)
    require_if_match(request, user.version)
    user = await service.update_user(session, principal, user, body)
    set_etag(response, user.version)
    return UserOut.model_validate(user)


@router.post("/clients", response_model=ClientCreated, status_code=201, name="clients_create",
             tags=["accounts"])
async def clients_create(body: ClientIn, session: AsyncSession = Session,
                         principal: Principal = Depends(require("accounts:admin"))) -> ClientCreated:
    """Add a machine client (admin); its secret is shown once."""
    client, secret = await service.create_client(session, principal, body)
    return ClientCreated(**ClientOut.model_validate(client).model_dump(), client_secret=secret)


@router.get("/clients", response_model=Page[ClientOut], name="clients_list", tags=["accounts"])
async def clients_list(session: AsyncSession = Session, params: PageParams = Depends(page_params),
                       principal: Principal = Depends(require("accounts:admin"))) -> Page[ClientOut]:
    """List machine clients (admin)."""
    rows, cursor = await service.list_clients(session, principal, params)
    return Page[ClientOut](items=[ClientOut.model_validate(c) for c in rows], next_cursor=cursor)


@jwks_router.get("/.well-known/jwks.json", name="auth_jwks")
async def auth_jwks(request: Request) -> dict:
    """The public keys that sign access tokens and the registry's messages (JWK Set)."""
    keys = request.app.state.tokens.jwks()
    for provider in getattr(request.app.state, "jwks_providers", ()):
        keys["keys"].extend(provider())  # e.g. the DCI signing key (app/dci/wiring.py)
    return keys
