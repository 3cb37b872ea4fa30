"""Who, among some ID numbers, holds a role in the system (D6 "杜絕人情保、關系保", clause 十四).

Other modules ask by keyed hash (`app.pii.id_hash`), never by clear number.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.models.accounts import User
from app.models.pairings import Helper, Pairing

HELPER = "helper"
FIRST_SECRETARY = "first_secretary"
OFFICER = "officer"


async def roles_by_id_hash(
    session: AsyncSession, id_hashes: set[bytes], on: date
) -> dict[bytes, set[str]]:
    """Map each given keyed hash that belongs to someone with a role to its roles on `on`.

    Roles: "helper" (a person helper, whatever their pairings), "first_secretary" (a helper with a
    first_secretary pairing active on `on`, both ends included) and "officer" (a user account
    carrying that ID number, active or not: a former officer may still be a favoured relation).
    Hashes with no role are absent from the answer.
    """
    hashes = {h for h in id_hashes if h}
    if not hashes:
        return {}
    out: dict[bytes, set[str]] = {}
    helpers = await session.execute(
        select(Helper.id_hash, Pairing.id)
        .outerjoin(
            Pairing,
            (Pairing.helper_id == Helper.id)
            & (Pairing.kind == "first_secretary")
            & (Pairing.start_date <= on)
            & or_(Pairing.end_date.is_(None), Pairing.end_date >= on),
        )
        .where(Helper.id_hash.in_(hashes))
    )
    for id_hash, pairing_id in helpers.all():
        roles = out.setdefault(bytes(id_hash), set())
        roles.add(HELPER)
        if pairing_id is not None:
            roles.add(FIRST_SECRETARY)
    users = await session.scalars(select(User.id_number_hash).where(User.id_number_hash.in_(hashes)))
    for id_hash in users.all():
        out.setdefault(bytes(id_hash), set()).add(OFFICER)
    return out
