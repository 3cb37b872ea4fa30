"""Keeping timelines in step with the facts, in the same transaction.

Every ORM write path (the household services, the dibao workflow and D7 adjustments, lines) goes
through a flush: `after_flush` notes which households' facts changed (households, members,
attribute versions, assessments, measures, lifecycle events, dibao cases and steps; a poverty line
names its region, a dibao standard its 市(區)). `settle` — called by `before_commit`, and by
every timeline read before it reads — rewrites the timelines of those households. Set-based
writes that bypass the ORM (the importer's merge) call `mark` or `store.refresh` themselves.

A dibao standard changes the monthly benefit of the grants of its 市(區) (D7): their households'
timelines are rewritten. Retention rules change no stored answer: an exit keeps the retention
length in force on its date (stored on the event).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from itertools import chain

from sqlalchemy import TextClause, event, text
from sqlalchemy.orm import Session
from sqlalchemy.sql.util import find_tables

from app.auth.scoping import region_prefix
from app.models.dibao import DibaoCase, DibaoCaseStep, DibaoStandard
from app.models.households import (
    Household,
    HouseholdAssessment,
    HouseholdEvent,
    HouseholdMeasure,
    HouseholdMember,
    MemberAttributeVersion,
)
from app.models.policy_lines import PovertyLine
from app.timelines import store

_KEYS = ("timeline.households", "timeline.members", "timeline.cases", "timeline.regions",
         "timeline.standards")
TABLES = frozenset({"household_timeline", "person_timeline"})
_BY_HOUSEHOLD = (HouseholdEvent, HouseholdMember, HouseholdAssessment, HouseholdMeasure, DibaoCase)


def _pending(session: Session, key: str) -> set:
    return session.info.setdefault(key, set())


def mark(session: Session, household_ids: Iterable[uuid.UUID]) -> None:
    """Note households whose facts changed outside the ORM (set-based SQL)."""
    _pending(session, "timeline.households").update(household_ids)


def _after_flush(session: Session, _context) -> None:
    households, members = _pending(session, _KEYS[0]), _pending(session, _KEYS[1])
    cases, regions = _pending(session, _KEYS[2]), _pending(session, _KEYS[3])
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Household):
            households.add(obj.id)
        elif isinstance(obj, _BY_HOUSEHOLD):
            households.add(obj.household_id)
        elif isinstance(obj, MemberAttributeVersion):
            members.add(obj.member_id)
        elif isinstance(obj, DibaoCaseStep):
            cases.add(obj.case_id)
        elif isinstance(obj, PovertyLine) and obj.applied_at is not None:
            regions.add(obj.region_code)  # a pending line changes no answer until applied
        elif isinstance(obj, DibaoStandard):
            _pending(session, _KEYS[4]).add(obj.region_code)


def _resolve(session: Session) -> set:
    households = set(session.info.pop(_KEYS[0], ()))
    members, cases = session.info.pop(_KEYS[1], set()), session.info.pop(_KEYS[2], set())
    regions = session.info.pop(_KEYS[3], set())
    standards = session.info.pop(_KEYS[4], set())
    if members:
        households.update(r[0] for r in session.execute(text(
            "SELECT household_id FROM household_member WHERE id = ANY(:ids)"),
            {"ids": list(members)}))
    if cases:
        households.update(r[0] for r in session.execute(text(
            "SELECT household_id FROM dibao_case WHERE id = ANY(:ids)"), {"ids": list(cases)}))
    for code in regions:  # (二) a line of the city reaches every household, a 市(區) line its own
        households.update(store.households_under(session, region_prefix(code)))
    if standards:  # (D1, D7) the grants of the 市(區) whose standard changed
        households.update(r[0] for r in session.execute(text(
            "SELECT DISTINCT household_id FROM dibao_case WHERE start_month IS NOT NULL "
            "AND substr(region_code, 1, 6) = ANY(:districts)"),
            {"districts": sorted({code[:6] for code in standards})}))
    households.discard(None)
    return households


def _has_marks(session: Session) -> bool:
    return any(session.info.get(key) for key in _KEYS)


def _before_read(state) -> None:
    """Read your writes: a query of a timeline table first settles the pending changes."""
    session = state.session
    if session.info.get("timeline.settling"):
        return
    if not (_has_marks(session) or session.new or session.dirty or session.deleted):
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        touches = any(name in statement.text for name in TABLES)
    else:
        touches = any(t.name in TABLES for t in find_tables(statement, include_joins=True))
    if touches:
        settle(session)


def settle(session: Session) -> int:
    """Write the timelines of every household whose facts changed in this transaction."""
    if session.info.get("timeline.settling"):
        return 0
    session.info["timeline.settling"] = True
    try:
        return _settle(session)
    finally:
        session.info.pop("timeline.settling", None)


def _settle(session: Session) -> int:
    done = 0
    for _ in range(10):  # writing timelines changes no fact; one round normally suffices
        if session.new or session.dirty or session.deleted:
            session.flush()
        ids = _resolve(session)
        if not ids:
            return done
        try:
            done += store.refresh(session, ids)
        except BaseException:
            # Still owed: should the caller go on and commit, the commit rewrites them again
            # (and fails again) rather than keep facts whose timelines are stale or deleted.
            mark(session, ids)
            raise
    raise RuntimeError("timelines did not settle")


async def settle_async(session) -> int:
    """`settle` for an AsyncSession (a read calls it before it reads)."""
    return await session.run_sync(settle)


def _forget(session: Session, transaction) -> None:
    if transaction.parent is None:  # the whole transaction ended (a savepoint keeps the marks)
        for key in _KEYS:
            session.info.pop(key, None)


_installed = False


def install() -> None:
    """Register the hooks on every ORM session (idempotent)."""
    global _installed
    if _installed:
        return
    event.listen(Session, "after_flush", _after_flush)
    event.listen(Session, "before_commit", settle)
    event.listen(Session, "do_orm_execute", _before_read)
    event.listen(Session, "after_transaction_end", _forget)
    _installed = True
