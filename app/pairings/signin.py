"""First secretaries sign in (十八 駐村): their region is the village of their active pairing.

A user with role first_secretary is linked to a helper (the token carries `helper_id`). On each
request this resolver replaces the principal's region by the village of the helper's
first_secretary pairing active today (Asia/Shanghai), so the platform's region scoping shows them
that one village; with no active pairing the region is "" and they see nothing
(`region_filter` answers false for an empty prefix).
"""

from __future__ import annotations

from dataclasses import replace

from fastapi import Request
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.kit import dates
from app.models.pairings import Pairing


def _in_force(on):
    return (Pairing.kind == "first_secretary", Pairing.start_date <= on,
            or_(Pairing.end_date.is_(None), Pairing.end_date >= on))


async def villages_on(session: AsyncSession, helper_ids, on) -> dict:
    """(十八) each helper's village as first secretary on `on` (the pairing in force, the latest
    started if two overlap), in one indexed query; a helper without one is absent."""
    ids = list(set(helper_ids))
    if not ids:
        return {}
    rows = await session.execute(
        select(Pairing.helper_id, Pairing.region_code)
        .where(Pairing.helper_id.in_(ids), *_in_force(on))
        .order_by(Pairing.helper_id, Pairing.start_date.desc()))
    out: dict = {}
    for helper_id, village in rows.all():
        out.setdefault(helper_id, village)
    return out


async def first_secretary_region(request: Request, principal: Principal) -> Principal:
    """The principal with the first secretary's village as region (or "" when none today)."""
    if principal.kind != "user" or principal.role != "first_secretary":
        return principal
    village = None
    if principal.helper_id is not None:
        # One indexed lookup (ix_pairing_helper_kind_start); its own short transaction, since
        # the principal is resolved before the request's session exists.
        async with request.app.state.db.sessionmaker() as session:
            village = (await villages_on(session, [principal.helper_id],
                                         dates.today())).get(principal.helper_id)
    return replace(principal, region_code=village or "",
                   extra={**principal.extra, "first_secretary_village": village or ""})


def _common_region(codes: list[str]) -> str:
    """The narrowest region holding every village of `codes` (village, town, district, city)."""
    if not codes:
        return ""
    for width, pad in ((12, ""), (9, "000"), (6, "000000"), (4, "00000000")):
        prefixes = {c[:width] for c in codes}
        if len(prefixes) == 1:
            return prefixes.pop() + pad
    return ""


async def household_cadre_scope(request: Request, principal: Principal) -> Principal:
    """(八 结对帮扶) a household cadre sees the households of their household_cadre pairings
    active today (Asia/Shanghai), and only while the pairing lasts: no pairing, nothing."""
    if principal.kind != "user" or principal.role != "household_cadre":
        return principal
    rows: list = []
    if principal.helper_id is not None:
        from app.models.households import Household

        on = dates.today()
        async with request.app.state.db.sessionmaker() as session:
            rows = list((await session.execute(
                select(Pairing.household_id, Household.village_code)
                .join(Household, Household.id == Pairing.household_id)
                .where(Pairing.helper_id == principal.helper_id,
                       Pairing.kind == "household_cadre", Pairing.start_date <= on,
                       or_(Pairing.end_date.is_(None), Pairing.end_date >= on)))).all())
    return replace(principal, region_code=_common_region([r.village_code for r in rows]),
                   household_ids=frozenset(r.household_id for r in rows))
