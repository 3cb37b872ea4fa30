"""Who is calling: the principal of a verified token, and the dependencies that require scopes."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

from fastapi import Depends, Request

from app.auth.tokens import TokenError, TokenService
from app.errors import Forbidden, Unauthorized

CITY_CODE = "321200000000"


@dataclass(frozen=True)
class Principal:
    kind: str  # "user" | "client"
    id: uuid.UUID
    name: str
    role: str | None
    scopes: frozenset[str]
    region_code: str
    helper_id: uuid.UUID | None = None
    # For a first secretary: the village of the active pairing today (None: sees nothing).
    extra: dict[str, str] = field(default_factory=dict)
    # For a household cadre: the households of their active pairings today (None: not limited
    # to households; region scoping alone applies).
    household_ids: frozenset[uuid.UUID] | None = None

    @property
    def actor(self) -> str:
        return f"{self.kind}:{self.id}"

    def has(self, scope: str) -> bool:
        return scope in self.scopes


def _bearer(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        raise Unauthorized("auth.required", "A bearer token is required.",
                           headers={"WWW-Authenticate": "Bearer"})
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("auth.malformed_token", "Use 'Authorization: Bearer <token>'.")
    return token.strip()


async def current_principal(request: Request) -> Principal:
    """The principal of the request's bearer token (401 when missing or not trusted)."""
    token = _bearer(request)
    tokens: TokenService = request.app.state.tokens
    try:
        claims = tokens.verify(token)
    except TokenError as e:
        raise Unauthorized(e.code, e.detail) from e
    kind, _, ident = str(claims["sub"]).partition(":")
    try:
        pid = uuid.UUID(ident)
    except ValueError as e:
        raise Unauthorized("auth.bad_claims", "The token's subject is not valid.") from e
    if kind not in ("user", "client"):
        raise Unauthorized("auth.bad_claims", "The token's subject is not valid.")
    helper = claims.get("helper_id")
    principal = Principal(
        kind=kind,
        id=pid,
        name=str(claims.get("name", "")),
        role=claims.get("role"),
        scopes=frozenset(str(claims.get("scope", "")).split()),
        region_code=str(claims.get("region_code", "")),
        helper_id=uuid.UUID(helper) if helper else None,
    )
    request.state.principal = principal
    resolver = getattr(request.app.state, "principal_resolvers", None)
    for resolve in resolver or ():
        principal = await resolve(request, principal)
    return principal


def require(*scopes: str):
    """A dependency that answers the principal when it holds every scope (403 otherwise)."""

    async def dependency(principal: Principal = Depends(current_principal)) -> Principal:
        missing = [s for s in scopes if not principal.has(s)]
        if missing:
            raise Forbidden("auth.missing_scope", f"This needs the scope {', '.join(missing)}.")
        return principal

    dependency.__name__ = "require_" + "_".join(s.replace(":", "_") for s in scopes)
    return dependency
