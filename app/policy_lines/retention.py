"""R7 retention length as versioned policy data: the one door to `retention_rule`."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.service import record
from app.auth.principal import CITY_CODE, Principal
from app.errors import Forbidden
from app.events.service import emit
from app.kit.pagination import PageParams, paginate
from app.models.policy_lines import RetentionRule
from app.policy.retention import RetentionRuleVersion, months_in_force


async def retention_months_in_force(session: AsyncSession, on: date) -> int:
    """R7 (八): the retention length in months in force on `on` (an exit date)."""
    rows = (await session.scalars(select(RetentionRule).order_by(RetentionRule.id))).all()
    return months_in_force([RetentionRuleVersion(r.effective_from, r.months) for r in rows], on)


async def create_rule(session: AsyncSession, principal: Principal, data) -> RetentionRule:
    """Set a new retention length from a date; city-wide, so only a city-level account may."""
    if principal.region_code != CITY_CODE:
        raise Forbidden("policy.retention.city_only", "The retention length is set city-wide.")
    row = RetentionRule(effective_from=data.effective_from, months=data.months,
                        created_by=principal.actor)
    session.add(row)
    await session.flush()
    after = {"effective_from": row.effective_from, "months": row.months}
    await record(session, principal, "policy.retention_rule.create", "retention_rule", row.id,
                 after=after, region_code=CITY_CODE)
    await emit(session, "policy.retention_rule.created", "retention_rule", row.id, CITY_CODE,
               after)
    return row


async def list_rules(session: AsyncSession, params: PageParams):
    return await paginate(session, select(RetentionRule), [RetentionRule.id], params)
