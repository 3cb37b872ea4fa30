"""A first secretary's region (十八 駐村): where they act is the village of their pairing in force
today, and the region of their account never contradicts their pairings.

- `region_code` as the API shows a user (`GET /users`, `GET /users/{id}`, and the answers of
  `POST`/`PATCH /users`) is the same as `/auth/me` answers for that user's token today: for a
  first secretary, the village of the first-secretary pairing in force today ("" with none), the
  one derivation the sign-in resolver uses (`app.pairings.signin.villages_on`); for anyone
  else, the account's region. `account_region_code` is the region stored on the account: whose
  officers administer it (the user list is scoped by it).
- A first secretary's account region must contain every village of the linked helper's
  first-secretary pairings (the village itself or a town, 市(區) or the city above it). One
  that does not is refused with 422 `user.region_conflicts_with_pairing`, and a pairing that
  would put a first secretary outside their account's region with 422
  `pairing.outside_user_region`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.scoping import region_prefix
from app.errors import Unprocessable
from app.kit import dates
from app.models.accounts import User

FIRST_SECRETARY = "first_secretary"


def contains(region_code: str, village_code: str) -> bool:
    """The region is the village or lies above it (by statistical-code prefix)."""
    return village_code.startswith(region_prefix(region_code))


async def acting_regions(session: AsyncSession, users: Iterable[User]) -> dict[uuid.UUID, str]:
    """Each user's region as `/auth/me` answers it today (module notes), in one query."""
    from app.pairings.signin import villages_on  # accounts read the pairing registry

    users = list(users)
    secretaries = [u for u in users if u.role == FIRST_SECRETARY and u.helper_id is not None]
    villages = await villages_on(session, [u.helper_id for u in secretaries], dates.today())
    return {u.id: (villages.get(u.helper_id, "") if u.role == FIRST_SECRETARY
                   else u.region_code) for u in users}


async def check_first_secretary_region(session: AsyncSession, role: str, region_code: str,
                                       helper_id: uuid.UUID | None) -> None:
    """422 `user.region_conflicts_with_pairing` when a first secretary's account region does
    not contain a village of the helper's first-secretary pairings."""
    if role != FIRST_SECRETARY or helper_id is None:
        return
    from app.models.pairings import Pairing

    villages = (await session.scalars(select(Pairing.region_code).where(
        Pairing.helper_id == helper_id, Pairing.kind == FIRST_SECRETARY))).all()
    outside = sorted({v for v in villages if not contains(region_code, v)})
    if outside:
        msg = (f"the helper is first secretary of {', '.join(outside)}, outside {region_code}: "
               "give the village or a region above it")
        raise Unprocessable("user.region_conflicts_with_pairing", msg, errors=[
            {"loc": ["body", "region_code"], "msg": msg,
             "code": "user.region_conflicts_with_pairing"}])


async def check_pairing_in_user_region(session: AsyncSession, helper_id: uuid.UUID,
                                       village_code: str) -> None:
    """422 `pairing.outside_user_region` when a first-secretary pairing's village lies outside
    the account region of a first-secretary user linked to the helper."""
    regions = (await session.scalars(select(User.region_code).where(
        User.helper_id == helper_id, User.role == FIRST_SECRETARY))).all()
    outside = sorted({r for r in regions if not contains(r, village_code)})
    if outside:
        msg = (f"the helper's first-secretary account is in {', '.join(outside)}; "
               f"{village_code} lies outside it")
        raise Unprocessable("pairing.outside_user_region", msg, errors=[
            {"loc": ["body", "region_code"], "msg": msg, "code": "pairing.outside_user_region"}])
