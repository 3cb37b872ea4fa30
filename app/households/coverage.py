"""Dibao coverage as the household registry reads it: ONE function, filled by the dibao module.

R5 (relief-type target), E1, E2, E3 and E4 need to know whether a member is covered by an active
dibao grant on a date. The dibao module answers (`app.dibao.coverage.member_coverage`): a member
is covered when a grant of their household is active on the date (D5) and they are a member then,
and, for a single-person grant (D4), they are its one person. It agrees with the roster of
`GET /api/v1/dibao/grants?active_on=`.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from sqlalchemy.ext.asyncio import AsyncSession


async def dibao_coverage(session: AsyncSession, member_ids: list[UUID], on: date) -> dict[UUID, str]:
    """Members covered by an active dibao grant on `on`: member id → a short detail such as
    "dibao grant 2016-05 onward". Members not covered are absent."""
    # (十四) filled by the dibao module: grants active on the date, from its cases and steps.
    # Imported here: app.dibao reads the household facts module, which imports this one.
    from app.dibao.coverage import member_coverage

    return await member_coverage(session, member_ids, on)
