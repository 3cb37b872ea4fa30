"""Insurance schemes (十三, I1, I4): one per year and kind, city-wide, versioned."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import CITY_CODE, Principal
from app.errors import Conflict, Forbidden, NotFound, refusal_error
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.insurance import InsuranceRosterEntry, InsuranceScheme, InsuranceSchemeVersion
from app.policy.insurance import Shares, check_premium, check_scheme_shares, reference_date_default


def scheme_dict(s: InsuranceScheme) -> dict:
    """The answer shape of a scheme (shares grouped, or null)."""
    shares = None
    if s.share_city is not None:
        shares = {"city": s.share_city, "district": s.share_district, "town": s.share_town}
    return {"id": s.id, "year": s.year, "kind": s.kind, "premium": s.premium,
            "reference_date": s.reference_date, "funding_body": s.funding_body,
            "shares": shares, "version": s.version, "created_at": s.created_at,
            "updated_at": s.updated_at}


def scheme_shares(s: InsuranceScheme) -> Shares | None:
    if s.share_city is None:
        return None
    return Shares(s.share_city, s.share_district, s.share_town)


def _ensure_city(principal: Principal) -> None:
    # (十三) a scheme's premium and shares are set for the whole city: no 市(區) sets its own.
    if principal.region_code != CITY_CODE:
        raise Forbidden("insurance.scheme.city_only",
                        "Insurance schemes are set city-wide; this needs a city-level account.")


def _check(kind: str, premium, shares: Shares | None) -> None:
    verdict = check_premium(premium)
    if not verdict.ok:
        raise refusal_error(verdict)
    verdict = check_scheme_shares(kind, shares)
    if not verdict.ok:
        raise refusal_error(verdict)


def _version_row(s: InsuranceScheme, principal: Principal) -> InsuranceSchemeVersion:
    return InsuranceSchemeVersion(
        scheme_id=s.id, version=s.version, premium=s.premium, reference_date=s.reference_date,
        funding_body=s.funding_body, share_city=s.share_city, share_district=s.share_district,
        share_town=s.share_town, recorded_by=principal.actor)


async def create_scheme(session: AsyncSession, principal: Principal, data) -> InsuranceScheme:
    """(I1, I4) a new scheme; a second one for the same year and kind is 409."""
    _ensure_city(principal)
    shares = Shares(data.shares.city, data.shares.district, data.shares.town) if data.shares else None
    _check(data.kind, data.premium, shares)
    found = await session.scalar(select(InsuranceScheme.id).where(
        InsuranceScheme.year == data.year, InsuranceScheme.kind == data.kind))
    if found is not None:
        raise Conflict("insurance.scheme.exists",
                       f"A {data.kind} scheme for {data.year} exists; change it with PATCH.")
    scheme = InsuranceScheme(
        year=data.year, kind=data.kind, premium=data.premium,
        reference_date=data.reference_date or reference_date_default(data.year),
        funding_body=data.funding_body, share_city=shares.city if shares else None,
        share_district=shares.district if shares else None,
        share_town=shares.town if shares else None, version=1, created_by=principal.actor)
    try:
        async with session.begin_nested():
            session.add(scheme)
            await session.flush()
    except IntegrityError as e:  # a concurrent POST of the same year and kind won
        raise Conflict("insurance.scheme.exists",
                       f"A {data.kind} scheme for {data.year} exists.") from e
    session.add(_version_row(scheme, principal))
    await session.refresh(scheme)
    after = scheme_dict(scheme)
    await record(session, principal, "insurance.scheme.create", "insurance_scheme", scheme.id,
                 after=after, region_code=CITY_CODE)
    await emit(session, "insurance.scheme.created", "insurance_scheme", scheme.id, CITY_CODE,
               {"year": scheme.year, "kind": scheme.kind, "premium": scheme.premium})
    return scheme


async def list_schemes(session: AsyncSession, params: PageParams, year: int | None = None,
                       kind: str | None = None):
    stmt = select(InsuranceScheme)
    if year is not None:
        stmt = stmt.where(InsuranceScheme.year == year)
    if kind is not None:
        stmt = stmt.where(InsuranceScheme.kind == kind)
    return await paginate(session, stmt, [InsuranceScheme.year, InsuranceScheme.kind], params)


async def get_scheme(session: AsyncSession, year: int, kind: str, *,
                     lock: bool = False) -> InsuranceScheme:
    """The scheme of a year and kind (404 `insurance.scheme.not_found`); `lock` takes its row lock,
    which serialises roster generations and confirmations of that roster."""
    stmt = select(InsuranceScheme).where(InsuranceScheme.year == year,
                                         InsuranceScheme.kind == kind)
    if lock:
        stmt = stmt.with_for_update()
    scheme = await session.scalar(stmt)
    if scheme is None:
        raise NotFound("insurance.scheme.not_found", f"No {kind} scheme for {year}.")
    return scheme


async def update_scheme(session: AsyncSession, principal: Principal, year: int, kind: str,
                        data, check_version) -> InsuranceScheme:
    """Change a scheme (If-Match) until its roster is generated; every version is kept."""
    _ensure_city(principal)
    scheme = await get_scheme(session, year, kind, lock=True)
    check_version(scheme.version)
    generated = await session.scalar(select(exists().where(
        InsuranceRosterEntry.scheme_id == scheme.id)))
    if generated:
        raise Conflict("insurance.scheme.roster_generated",
                       "The roster of this scheme has been generated; its rows carry this "
                       "premium, so the scheme can no longer change (I2).")
    before = scheme_dict(scheme)
    changes = data.model_dump(exclude_unset=True)
    premium = changes.get("premium", scheme.premium)
    if "shares" in changes:
        s = data.shares
        shares = Shares(s.city, s.district, s.town) if s is not None else None
    else:
        shares = scheme_shares(scheme)
    _check(kind, premium, shares)
    scheme.premium = premium
    scheme.share_city = shares.city if shares else None
    scheme.share_district = shares.district if shares else None
    scheme.share_town = shares.town if shares else None
    if changes.get("reference_date") is not None:
        scheme.reference_date = changes["reference_date"]
    if changes.get("funding_body") is not None:
        scheme.funding_body = changes["funding_body"]
    scheme.version += 1
    scheme.updated_at = func.now()
    await session.flush()
    session.add(_version_row(scheme, principal))
    await session.refresh(scheme)
    await record(session, principal, "insurance.scheme.update", "insurance_scheme", scheme.id,
                 before=before, after=scheme_dict(scheme), region_code=CITY_CODE)
    await emit(session, "insurance.scheme.updated", "insurance_scheme", scheme.id, CITY_CODE,
               {"year": year, "kind": kind, "version": scheme.version})
    return scheme
