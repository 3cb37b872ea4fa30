"""Timelines built in builder processes: the same rows as built in the caller, in the caller's
transaction, and a rule's error arrives as itself."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import text

from app.policy.errors import PolicyError
from app.policy.history import AttributeRow, EventRow, HouseholdHistory, HouseholdRef, MemberRow
from app.policy.lines import LineVersion
from app.timelines import builders, store
from tests.households.factories import register_household

V = "321283100201"
ROWS = """SELECT t.household_id, lower(t.valid), t.status, p.person_id, lower(p.valid),
                 p.entitlements::text
          FROM household_timeline t JOIN person_timeline p ON p.household_id = t.household_id
          ORDER BY 1, 2 NULLS FIRST, 4, 5 NULLS FIRST"""


async def test_builder_processes_write_what_the_caller_writes(client, admin, db):
    ids = [(await register_household(client, admin, V))["id"] for _ in range(5)]
    async with db.sessionmaker() as s:
        here = (await s.execute(text(ROWS))).all()
        # one household a chunk, two processes: chunks built out there while the next is read
        done = await s.run_sync(lambda sync: store.refresh(sync, ids, chunk=1, processes=2))
        assert done == 5
        there = (await s.execute(text(ROWS))).all()
        assert there == here and len(here) > 5
        await s.commit()
    async with db.sessionmaker() as s:
        assert await s.run_sync(store.differences) == []


def _history(capacity: str) -> HouseholdHistory:
    m = MemberRow("m", date(1970, 5, 1), date(2016, 3, 1))
    return HouseholdHistory(HouseholdRef("h", V), [EventRow("register", date(2016, 3, 1), 1)],
                            members=[m], versions={"m": [AttributeRow(1, "m", date(2016, 3, 1),
                                                                      capacity, "healthy")]},
                            lines=[LineVersion("321200000000", date(2016, 1, 1), Decimal(7000))])


def test_a_rules_error_in_a_builder_process_arrives_as_the_rules_error():
    pool = builders.pool(2)
    houses, persons = pool.submit(store.rows_of, [_history("ordinary")]).result()
    assert houses and persons
    with pytest.raises(PolicyError) as caught:
        pool.submit(store.rows_of, [_history("tireless")]).result()
    assert caught.value.code == "policy.labour_capacity.unknown"
    assert caught.value.rule == "R4"


async def test_a_failed_rewrite_leaves_its_households_owed(client, admin, db, monkeypatch):
    """Should a caller catch a builder's error and commit, the commit rewrites the households
    again instead of keeping their timelines stale (or deleted)."""
    from uuid import UUID

    from app.timelines import track

    hh = await register_household(client, admin, V)
    calls = []

    def failing(session, ids, *args, **kwargs):
        calls.append(set(ids))
        raise PolicyError("policy.test.failure", "a builder failed")

    async with db.sessionmaker() as s:
        track.mark(s.sync_session, [UUID(hh["id"])])
        monkeypatch.setattr(store, "refresh", failing)
        with pytest.raises(PolicyError):
            await s.run_sync(track.settle)
        with pytest.raises(PolicyError):
            await s.commit()  # settles again: the household is still owed its timeline
        assert calls == [{UUID(hh["id"])}, {UUID(hh["id"])}]
