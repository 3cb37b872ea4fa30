"""/api/v1/auth, /api/v1/users, /api/v1/clients and /.well-known/jwks.json."""

from __future__ import annotations

import base64
import binascii
import uuid
from urllib.parse import unquote_plus

from fastapi import APIRouter, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service
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
from app.auth.user_region import acting_regions
from app.errors import COMMON_ERRORS, BadRequest, DomainError, problem_responses
from app.kit.deps import AccountsAdmin, CurrentPrincipal, Paging, SessionDep
from app.kit.etag import IF_MATCH, IF_NONE_MATCH, not_modified, require_if_match, set_etag
from app.kit.schemas import Page

router = APIRouter(prefix="/api/v1", tags=["auth"], responses=COMMON_ERRORS)
jwks_router = APIRouter(tags=["auth"])

TOKEN_FIELDS = {"grant_type", "username", "password", "client_id", "client_secret",
                "refresh_token", "scope"}

# RFC 6749 5.2: the `error` member standard OAuth clients read, by our stable code.
OAUTH_ERRORS = {
    "auth.invalid_credentials": "invalid_grant",
    "auth.locked_out": "invalid_grant",
    "auth.address_locked_out": "invalid_grant",
    "auth.invalid_refresh_token": "invalid_grant",
    "auth.refresh_token_revoked": "invalid_grant",
    "auth.refresh_token_reused": "invalid_grant",
    "auth.refresh_token_expired": "invalid_grant",
    "auth.invalid_client": "invalid_client",
    "auth.invalid_scope": "invalid_scope",
    "auth.unsupported_grant_type": "unsupported_grant_type",
}
OAUTH_ERROR_SCHEMA = {"allOf": [{"$ref": "#/components/schemas/Problem"}, {
    "type": "object",
    "properties": {
        "error": {"type": "string", "enum": sorted({*OAUTH_ERRORS.values(), "invalid_request"}),
                  "description": "RFC 6749 5.2 error code"},
        "error_description": {"type": "string"},
    },
}]}
_TOKEN_ERRORS = {status: {**body, "content": {"application/problem+json": {
    "schema": OAUTH_ERROR_SCHEMA}}} for status, body in problem_responses(400, 401, 415, 422, 429).items()}


def _basic_credentials(request: Request) -> tuple[str, str] | None:
    """RFC 6749 2.3.1: client_id and client_secret in an `Authorization: Basic` header."""
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic" or not value.strip():
        return None
    try:
        cid, sep, secret = base64.b64decode(value.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise BadRequest("auth.invalid_request", "The Basic credentials are not valid.") from None
    if not sep:
        raise BadRequest("auth.invalid_request", "The Basic credentials are not valid.")
    return unquote_plus(cid), unquote_plus(secret)


@router.post(
    "/auth/token",
    response_model=TokenOut,
    name="auth_token",
    responses=_TOKEN_ERRORS,
    openapi_extra={"security": [], "requestBody": {"required": True, "content": {
        "application/x-www-form-urlencoded": {"schema": {
            "type": "object", "required": ["grant_type"],
            "properties": {f: {"type": "string"} for f in sorted(TOKEN_FIELDS)},
        }}}}},
)
async def auth_token(request: Request, response: Response) -> TokenOut:
    """Issue tokens: password, client_credentials or refresh_token grant (form-encoded);
    `scope` asks for a subset of the account's scopes."""
    try:
        out = await _token(request)
    except DomainError as e:
        # RFC 6749 5.2 beside the problem fields, so standard OAuth clients read the answer.
        e.extra = {**e.extra, "error": OAUTH_ERRORS.get(e.code, "invalid_request"),
                   "error_description": e.detail}
        e.headers = {**(e.headers or {}), "Cache-Control": "no-store"}
        raise
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 5.1
    response.headers["Pragma"] = "no-cache"
    return TokenOut(**out)


async def _token(request: Request) -> dict:
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
    if not grant:
        raise BadRequest("auth.invalid_request", "grant_type is required.")
    if grant == "client_credentials" and (basic := _basic_credentials(request)):
        form.setdefault("client_id", basic[0])
        form.setdefault("client_secret", basic[1])

    def need(*names: str) -> list[str]:
        missing = [n for n in names if not form.get(n)]
        if missing:
            raise BadRequest("auth.invalid_request", f"The {grant} grant needs {', '.join(missing)}.")
        return [form[n] for n in names]

    state = request.app.state
    scope = form.get("scope")
    async with state.db.sessionmaker() as session:
        try:
            if grant == "password":
                username, password = need("username", "password")
                address = request.client.host if request.client else ""
                out = await service.password_grant(session, state.tokens, state.settings,
                                                   username, password, address, scope)
            elif grant == "client_credentials":
                cid, secret = need("client_id", "client_secret")
                out = await service.client_credentials_grant(session, state.tokens, cid, secret,
                                                             scope)
            elif grant == "refresh_token":
                (token,) = need("refresh_token")
                out = await service.refresh_grant(session, state.tokens, state.settings, token,
                                                  scope)
            else:
                raise BadRequest("auth.unsupported_grant_type",
                                 "grant_type must be password, client_credentials or refresh_token.")
        except service.InvalidGrant:
            # A failed login is counted and a reused refresh family stays revoked.
            await session.commit()
            raise
        await session.commit()
    return out


@router.get("/auth/me", response_model=MeOut, name="auth_me")
async def auth_me(principal: CurrentPrincipal) -> MeOut:
    """Who the token belongs to, with its role, scopes and region."""
    return MeOut(subject=principal.actor, kind=principal.kind, role=principal.role,  # type: ignore[arg-type]
                 scopes=sorted(principal.scopes), region_code=principal.region_code,
                 name=principal.name)


async def _users_out(session: AsyncSession, users) -> list[UserOut]:
    """The users as the API shows them: `region_code` as /auth/me answers (app.auth.user_region)."""
    acting = await acting_regions(session, users)
    own = UserOut.model_fields.keys() - {"region_code", "account_region_code"}
    return [UserOut(**{f: getattr(u, f) for f in own}, region_code=acting[u.id],
                    account_region_code=u.region_code) for u in users]


@router.post("/users", response_model=UserOut, status_code=201, name="users_create",
             tags=["accounts"], responses=problem_responses(409))
async def users_create(body: UserIn, request: Request, session: SessionDep,
                       principal: AccountsAdmin) -> UserOut:
    """Add a user (admin)."""
    user = await service.create_user(session, principal, body, request.app.state.settings)
    [out] = await _users_out(session, [user])
    return out


@router.get("/users", response_model=Page[UserOut], name="users_list", tags=["accounts"])
async def users_list(session: SessionDep, params: Paging,
                     principal: AccountsAdmin) -> Page[UserOut]:
    """List users (admin)."""
    rows, cursor = await service.list_users(session, principal, params)
    return Page[UserOut](items=await _users_out(session, rows), next_cursor=cursor)


@router.get("/users/{user_id}", response_model=UserOut, name="users_get", tags=["accounts"],
            dependencies=[IF_NONE_MATCH],
            responses={304: {"description": "Not Modified"}})
async def users_get(user_id: uuid.UUID, request: Request, response: Response, session: SessionDep,
                    principal: AccountsAdmin):
    """One user, with its ETag (admin)."""
    user = await service.get_user(session, principal, user_id)
    if (cached := not_modified(request, user.version)) is not None:
        return cached
    set_etag(response, user.version)
    [out] = await _users_out(session, [user])
    return out


@router.patch("/users/{user_id}", response_model=UserOut, name="users_update", tags=["accounts"],
              dependencies=[IF_MATCH],
              responses=problem_responses(409, 412, 428))
async def users_update(user_id: uuid.UUID, body: UserPatch, request: Request, response: Response,
                       session: SessionDep, principal: AccountsAdmin) -> UserOut:
    """Change a user's role, region, scopes or activity (admin; If-Match required)."""
    user = await service.get_user(session, principal, user_id)
    require_if_match(request, user.version)
    user = await service.update_user(session, principal, user, body)
    set_etag(response, user.version)
    [out] = await _users_out(session, [user])
    return out


@router.post("/clients", response_model=ClientCreated, status_code=201, name="clients_create",
             tags=["accounts"])
async def clients_create(body: ClientIn, session: SessionDep,
                         principal: AccountsAdmin) -> ClientCreated:
    """Add a machine client (admin); its secret is shown once."""
    client, secret = await service.create_client(session, principal, body)
    return ClientCreated(**ClientOut.model_validate(client).model_dump(), client_secret=secret)


@router.get("/clients", response_model=Page[ClientOut], name="clients_list", tags=["accounts"])
async def clients_list(session: SessionDep, params: Paging,
                       principal: AccountsAdmin) -> Page[ClientOut]:
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
