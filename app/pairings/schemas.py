"""Helpers (people and units) and pairings `{helper_id, kind, household_id?, region_code?,
start_date, end_date?}`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field

from app.kit.schemas import Day, In, Out

REGION = Field(None, pattern=r"^[0-9]{12}$",
               description="the helper's own region (its unit's); default the caller's")


class HelperPersonIn(In):
    kind: Literal["person"]
    name: str = Field(min_length=1, max_length=200)
    unit: str = Field(min_length=1, max_length=200, description="the cadre's work unit")
    post: str | None = Field(None, max_length=100)
    phone: str | None = Field(None, pattern=r"^[0-9+\- ]{5,32}$")
    id_number: str = Field(description="18-digit resident ID number (stored encrypted)")
    region_code: str | None = REGION


class HelperUnitIn(In):
    kind: Literal["unit"]
    name: str = Field(min_length=1, max_length=200)
    unit_kind: Literal["department", "enterprise", "other"]
    uscc: str | None = Field(None, max_length=32,
                             description="unified social credit code; required of enterprises")
    region_code: str | None = REGION


HelperIn = Annotated[HelperPersonIn | HelperUnitIn, Field(discriminator="kind")]


class HelperOut(Out):
    id: uuid.UUID
    kind: Literal["person", "unit"]
    name: str
    region_code: str
    unit: str | None = None
    post: str | None = None
    phone: str | None = None
    id_number: str | None = Field(None, description="masked unless the caller holds pii:read")
    unit_kind: str | None = None
    uscc: str | None = None
    version: int
    created_at: datetime


PairingKind = Literal["household_cadre", "village_unit", "town_unit", "first_secretary"]


class PairingIn(In):
    helper_id: uuid.UUID
    kind: PairingKind
    household_id: uuid.UUID | None = Field(None, description="household_cadre: the household")
    region_code: str | None = Field(None, pattern=r"^[0-9]{12}$",
                                    description="village_unit/first_secretary: the village; "
                                                "town_unit: the town")
    start_date: Day
    end_date: Day | None = Field(None, description="last day (inclusive); null: open")


class PairingPatch(In):
    end_date: Day = Field(description="the last day of the pairing (inclusive)")


class ReasonOut(Out):
    rule: str
    clause: str
    detail: str


class PairingOut(Out):
    id: uuid.UUID
    helper_id: uuid.UUID
    kind: PairingKind
    household_id: uuid.UUID | None
    region_code: str | None
    scope_code: str = Field(description="the region the pairing belongs to: the household's "
                                        "village, or the target village or town")
    start_date: date
    end_date: date | None
    version: int
    created_at: datetime
    reasons: list[ReasonOut] = Field(default_factory=list,
                                     description="the checks passed (on creation and change)")
