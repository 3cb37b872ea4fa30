"""Bodies of the DCI sender registry (REST, problem+json) and the documented DCI envelope."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import AnyHttpUrl, Field, field_validator, model_validator

from app.kit.schemas import In, Out

SENDER_ID = r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,98}$"


class Jwk(In):
    """An Ed25519 public key as a JWK (RFC 8037): kty OKP, crv Ed25519, x."""

    model_config = In.model_config | {"extra": "allow"}
    kty: str = Field(pattern="^OKP$")
    crv: str = Field(pattern="^Ed25519$")
    x: str = Field(min_length=43, max_length=43, pattern=r"^[A-Za-z0-9_-]+$")


class SenderIn(In):
    sender_id: str = Field(pattern=SENDER_ID, description="the sender_id of its DCI headers")
    client_id: str = Field(min_length=1, max_length=64,
                           description="the OAuth client it authenticates as (client_credentials)")
    public_keys: list[Jwk] = Field(default_factory=list, max_length=10)
    jwks_uri: AnyHttpUrl | None = Field(None, description="fetched and cached instead of keys")
    callback_uri: AnyHttpUrl | None = Field(
        None, description="base URI: results go to {callback_uri}/registry/on-search, "
                          "notifications to {callback_uri}/registry/notify")
    signature_required: bool = True
    purposes: list[str] = Field(default_factory=list, max_length=50,
                                description="purpose codes it may state in consent/authorize")
    rate_limit_per_minute: int = Field(60, ge=1, le=6000)

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, v: list[str]) -> list[str]:
        if any(not p or len(p) > 100 for p in v):
            raise ValueError("a purpose code is 1..100 characters")
        return v

    @model_validator(mode="after")
    def _keys(self) -> SenderIn:
        if self.public_keys and self.jwks_uri:
            raise ValueError("give public_keys or jwks_uri, not both")
        if self.signature_required and not self.public_keys and not self.jwks_uri:
            raise ValueError("a sender that must sign needs public_keys or a jwks_uri")
        return self


class SenderPatch(In):
    """The fields given replace the sender's (If-Match on its version); `null` clears
    `jwks_uri` or `callback_uri`. `active: false` disables the sender: its requests are refused
    with `err.sender_id.disabled` and its callbacks and notifications wait, undelivered and not
    lost, until it is enabled again."""

    public_keys: list[Jwk] | None = Field(None, max_length=10)
    jwks_uri: AnyHttpUrl | None = None
    callback_uri: AnyHttpUrl | None = None
    signature_required: bool | None = None
    purposes: list[str] | None = Field(None, max_length=50)
    rate_limit_per_minute: int | None = Field(None, ge=1, le=6000)
    active: bool | None = None

    @field_validator("purposes")
    @classmethod
    def _purposes(cls, v: list[str] | None) -> list[str] | None:
        if v is not None and any(not p or len(p) > 100 for p in v):
            raise ValueError("a purpose code is 1..100 characters")
        return v


class SenderKeyOut(Out):
    kid: str = Field(description="RFC 7638 thumbprint: the kid of its signatures' kidId")
    jwk: dict[str, Any]


class SenderOut(Out):
    id: uuid.UUID
    sender_id: str
    client_id: str
    public_keys: list[SenderKeyOut]
    jwks_uri: str | None
    callback_uri: str | None
    signature_required: bool
    purposes: list[str]
    rate_limit_per_minute: int
    active: bool
    version: int = Field(description="the ETag of the sender: send it in If-Match to change it")
    created_at: datetime


# The DCI envelope, for the contract only: the exchange reads the raw JSON itself so that the
# signature is checked over exactly what was received and every refusal carries its DCI code.
ENVELOPE_SCHEMA = {
    "type": "object", "required": ["header", "message"],
    "properties": {
        "signature": {"type": "string", "description": "Signature: namespace=\"spdci\", …"},
        "header": {"type": "object", "required": ["message_id", "message_ts", "action",
                                                  "sender_id", "total_count"]},
        "message": {"type": "object"},
    },
    "externalDocs": {"url": "https://github.com/spdci/api-standards",
                     "description": "DCI Social Registry API v1.0.0"},
}
