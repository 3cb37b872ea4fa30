"""Row scoping: one helper turns a principal into a filter on region-code prefix.

Region codes are 12-digit statistical codes: 4 digits for the city (3212), 6 for a 市(區), 9 for a
town, 12 for a village. A principal sees the rows whose region code starts with its own prefix.
Every service filters its reads and writes through `region_filter` / `ensure_in_region` (or reads
one row by its key with `get_scoped`), and an object outside the caller's region answers 404 (its
existence is not revealed).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import ColumnElement, false, true

from app.auth.principal import Principal
from app.errors import NotFound
from app.policy.lines import CITY_REGION_CODE

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

M = TypeVar("M")


def region_prefix(code: str) -> str:
    """The significant prefix of a 12-digit region code (city 4, district 6, town 9, village 12)."""
    if code.endswith("00000000"):
        return code[:4]
    if code.endswith("000000"):
        return code[:6]
    if code.endswith("000"):
        return code[:9]
    return code


def region_level(code: str) -> str:
    return {4: "city", 6: "district", 9: "town", 12: "village"}[len(region_prefix(code))]


def district_of(code: str) -> str:
    return code[:6] + "000000"


def town_of(code: str) -> str:
    return code[:9] + "000"


def common_region(codes: list[str]) -> str:
    """The smallest region holding every one of these villages: the village, its town, its
    市(區) or the city."""
    for level in (lambda c: c, town_of, district_of):
        found = {level(c) for c in codes}
        if len(found) == 1:
            return found.pop()
    return CITY_REGION_CODE


def principal_prefix(principal: Principal) -> str | None:
    """The prefix the principal may see; None when it may see nothing (an ended secretary)."""
    if not principal.region_code:
        return None
    return region_prefix(principal.region_code)


def region_filter(principal: Principal, column) -> ColumnElement[bool]:
    """`column LIKE prefix%` for the principal: apply to every scoped query."""
    pattern = region_pattern(principal)
    if pattern is None:
        return false()
    return column.like(pattern)


def region_pattern(principal: Principal) -> str | None:
    """The pattern `region_filter` compares with (None: the principal sees no region), for a
    statement built once that binds it (`column.like(bindparam(...))`)."""
    prefix = principal_prefix(principal)
    return None if prefix is None else f"{prefix}%"  # digits only: nothing to escape


def in_region(principal: Principal, code: str | None) -> bool:
    prefix = principal_prefix(principal)
    return prefix is not None and code is not None and code.startswith(prefix)


def ensure_in_region(principal: Principal, code: str | None, what: str = "resource") -> None:
    """404 when `code` lies outside the principal's region (never reveal it exists)."""
    if not in_region(principal, code):
        raise NotFound(f"{what}.not_found", f"No such {what}.")


async def get_scoped(session: AsyncSession, principal: Principal, model: type[M], ident: Any,
                     what: str, *, region: str = "region_code", detail: str | None = None,
                     lock: bool = False, household: str | None = None, **options: Any) -> M:
    """The row of `model` with primary key `ident` when its `region` code lies in the caller's
    region (and, with `household` naming the attribute that holds its household's id, for a
    household cadre that household is theirs); else 404 `{what}.not_found` (absent and out of
    scope answer alike). `lock` reads it FOR UPDATE; `options` go to `session.get`."""
    row = await session.get(model, ident, with_for_update=True if lock else None, **options)
    if row is None or not in_region(principal, getattr(row, region)) or (
            household is not None and not household_in_scope(principal, getattr(row, household))):
        raise NotFound(f"{what}.not_found", detail or f"No such {what}.")
    return row


def household_filter(principal: Principal, column) -> ColumnElement[bool]:
    """`column IN (the principal's households)` for a household cadre; true for everyone else.
    Apply beside `region_filter` wherever household rows are read."""
    if principal.household_ids is None:
        return true()
    if not principal.household_ids:
        return false()
    return column.in_(sorted(principal.household_ids))


def household_in_scope(principal: Principal, household_id) -> bool:
    return principal.household_ids is None or household_id in principal.household_ids


def ensure_household_visible(principal: Principal, household_id, village_code: str | None) -> None:
    """404 `household.not_found` unless the household lies in the caller's region and, for a
    household cadre, is one of theirs while the pairing lasts: the one check of every read of a
    single household."""
    if not household_in_scope(principal, household_id):
        village_code = None  # a household cadre's other households: not found, as elsewhere
    ensure_in_region(principal, village_code, "household")

