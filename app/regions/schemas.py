"""Regions and key areas."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from app.kit.schemas import In, Out


class RegionIn(In):
    code: str = Field(pattern=r"^[0-9]{12}$", description="12-digit statistical code")
    name: str = Field(min_length=1, max_length=100)
    parent_code: str = Field(pattern=r"^[0-9]{12}$")


class RegionOut(Out):
    code: str
    name: str
    level: Literal["city", "district", "town", "village"]
    parent_code: str | None


class AreaIn(In):
    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,31}$")
    name: str = Field(min_length=1, max_length=100)
    town_codes: list[str] = Field(default_factory=list)


class AreaTownsIn(In):
    town_codes: list[str] = Field(min_length=1)


class AreaOut(Out):
    code: str
    name: str
    town_codes: list[str]
