"""Account and token shapes (API.md, "Auth and accounts")."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from app.kit.schemas import In, Out

Role = Literal["admin", "city_officer", "district_officer", "town_officer", "first_secretary",
               "auditor", "household_cadre"]


class TokenOut(Out):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    refresh_token: str | None = None
    scope: str


class MeOut(Out):
    subject: str
    kind: Literal["user", "client"]
    role: str | None
    scopes: list[str]
    region_code: str
    name: str


class UserIn(In):
    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.@-]+$")
    password: str = Field(min_length=10, max_length=256)
    role: Role
    region_code: str = Field(pattern=r"^[0-9]{12}$")
    display_name: str = Field(default="", max_length=100)
    id_number: str | None = Field(default=None, description="the officer's own ID number (D6)")
    helper_id: uuid.UUID | None = None
    extra_scopes: list[str] = Field(default_factory=list)


class UserPatch(In):
    role: Role | None = None
    region_code: str | None = Field(default=None, pattern=r"^[0-9]{12}$")
    display_name: str | None = Field(default=None, max_length=100)
    extra_scopes: list[str] | None = None
    active: bool | None = None
    helper_id: uuid.UUID | None = None


class UserOut(Out):
    id: uuid.UUID
    username: str
    role: str
    region_code: str = Field(description="where the user acts today, as /auth/me answers: a "
                             "first secretary's village of the pairing in force (\"\" with none)")
    account_region_code: str = Field(description="the account's region: whose officers "
                                     "administer it; contains a first secretary's villages")
    display_name: str
    helper_id: uuid.UUID | None
    extra_scopes: list[str]
    active: bool
    version: int
    created_at: datetime


class ClientIn(In):
    name: str = Field(min_length=1, max_length=100)
    scopes: list[str] = Field(min_length=1)
    region_code: str = Field(pattern=r"^[0-9]{12}$")


class ClientOut(Out):
    id: uuid.UUID
    client_id: str
    name: str
    scopes: list[str]
    region_code: str
    active: bool
    created_at: datetime


class ClientCreated(ClientOut):
    client_secret: str = Field(description="shown once; only a hash is stored")
