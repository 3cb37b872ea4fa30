"""Helpers (clause 十七): people (cadres) and units. The one door to the `helper` table.

A person's ID number is a resident ID (GB 11643, `app.policy.ids`), stored encrypted with its
keyed hash (`app.pii`), masked in answers unless the caller holds `pii:read` (every unmasked read
is audited as `pii.read`). A unit's credit code is checked by `app.policy.helpers.check_unit`.
"""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.audit.service import record
from app.auth.principal import Principal
from app.auth.scoping import ensure_in_region, get_scoped, region_filter
from app.config import Settings
from app.errors import Conflict, Unprocessable, refusal_error
from app.events.service import emit
from app.kit.dates import today
from app.kit.pagination import PageParams, paginate
from app.models.pairings import Helper
from app.models.regions import Region
from app.pairings.schemas import HelperOut
from app.policy import ids
from app.policy.errors import InvalidIdNumber
from app.policy.helpers import check_unit, normalise_uscc


def _field_error(field: str, code: str, msg: str) -> Unprocessable:
    return Unprocessable(code, msg, errors=[{"loc": ["body", field], "msg": msg, "code": code}])


async def create_helper(session: AsyncSession, settings: Settings, principal: Principal,
                        data) -> Helper:
    """Record a person or a unit that helps, in its own region (default the caller's)."""
    region_code = data.region_code or principal.region_code
    ensure_in_region(principal, region_code, "region")
    if await session.get(Region, region_code) is None:
        raise _field_error("region_code", "helper.region_unknown", f"No region {region_code}.")
    helper = Helper(kind=data.kind, name=data.name, region_code=region_code,
                    created_by=principal.actor)
    if data.kind == "person":
        try:
            parsed = ids.parse_id_number(data.id_number, on=today())
        except InvalidIdNumber as e:
            raise _field_error("id_number", e.code, e.detail) from e
        every = (await pii.ring(session, settings)).id_hashes(parsed.number)
        helper.id_hash = every[0]
        if await session.scalar(select(Helper.id).where(Helper.id_hash.in_(every))):
            raise Conflict("helper.exists", "A helper with this ID number is already recorded.")
        helper.id_number_enc = pii.encrypt(settings, parsed.number)
        helper.unit, helper.post, helper.phone = data.unit, data.post, data.phone
    else:
        decision = check_unit(data.unit_kind, data.uscc)
        if not decision.ok:
            raise refusal_error(decision)
        code = normalise_uscc(data.uscc) if data.uscc else None
        if code and await session.scalar(select(Helper.id).where(Helper.uscc == code)):
            raise Conflict("helper.exists", f"A unit with credit code {code} is already recorded.")
        helper.unit_kind, helper.uscc = data.unit_kind, code or None
    session.add(helper)
    try:
        await session.flush()
    except IntegrityError:
        # a concurrent request recorded the same person or unit first
        raise Conflict("helper.exists", "This helper is already recorded.") from None
    after = {"kind": helper.kind, "name": helper.name, "region_code": region_code,
             "unit": helper.unit, "post": helper.post, "unit_kind": helper.unit_kind,
             "uscc": helper.uscc}
    await record(session, principal, "helper.create", "helper", helper.id, after=after,
                 region_code=region_code)
    await emit(session, "helper.created", "helper", helper.id, region_code,
               {"id": helper.id, **after})
    return helper


async def get_helper(session: AsyncSession, principal: Principal, helper_id: uuid.UUID) -> Helper:
    """A helper in the caller's region; 404 otherwise."""
    return await get_scoped(session, principal, Helper, helper_id, "helper")


async def list_helpers(session: AsyncSession, principal: Principal, params: PageParams,
                       kind: str | None = None):
    stmt = select(Helper).where(region_filter(principal, Helper.region_code))
    if kind:
        stmt = stmt.where(Helper.kind == kind)
    return await paginate(session, stmt, [Helper.id], params)


async def helper_out(session: AsyncSession, settings: Settings, principal: Principal,
                     helper: Helper) -> HelperOut:
    """The answer for a helper: the ID number masked unless `pii:read` (then audited)."""
    out = HelperOut.model_validate(helper)
    if helper.id_number_enc is not None:
        number = pii.decrypt(settings, helper.id_number_enc)
        if principal.has("pii:read"):
            await record(session, principal, "pii.read", "helper", helper.id,
                         region_code=helper.region_code)
            out.id_number = number
        else:
            out.id_number = ids.mask_id(number)
    return out
