"""Insurance subsidies I1–I4 (clause 十三): scheme shares, premium split, roster refresh, exchange.

Roster rows are in one of four states: `pending` (generated, not yet answered by the health
insurance system), `confirmed`, `rejected` (both answers of I3) and `withdrawn` (a pending row
whose person is no longer eligible; the row is kept for audit, never deleted).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Set
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.policy.errors import PolicyError
from app.policy.reasons import Decision, Reason, Refusal, yuan

CLAUSE = "十三"
BASIC_MEDICAL = "basic_medical"
MAJOR_ILLNESS_ACCIDENT = "major_illness_accident"
SCHEME_KINDS = (BASIC_MEDICAL, MAJOR_ILLNESS_ACCIDENT)
HUNDRED = Decimal(100)
FEN = Decimal("0.01")


class InsuranceError(PolicyError):
    """An insurance rule cannot answer: the input itself is wrong (unknown kind or state)."""


def _decimal(value: Decimal | int, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise InsuranceError("insurance.amount.invalid", f"{what} must be a Decimal, got {value!r}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise InsuranceError("insurance.amount.invalid", f"{what} must be finite, got {value!r}")
    return Decimal(value)


def _pct(value: Decimal) -> str:
    return f"{value:f}%"


# --- I1 scheme year --------------------------------------------------------------------------


def reference_date_default(year: int) -> date:
    """(十三, I1) eligibility for a scheme year is judged on 1 January unless set otherwise."""
    return date(year, 1, 1)


def check_premium(premium: Decimal) -> Decision:
    """(十三, I1, I4) a premium is positive and counted in whole fen."""
    p = _decimal(premium, "premium")
    if p <= 0 or p != p.quantize(FEN):
        r = Reason("I1", CLAUSE, f"premium {p} must be positive with at most two decimals")
        return Decision(False, (r,), (Refusal("insurance.scheme.premium_invalid", r),))
    return Decision(True, (Reason("I1", CLAUSE, f"premium {yuan(p)} per person"),))


# --- I4 shares -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Shares:
    """(十三, I4) percentages of a premium paid by the city, the 市(區) and the town."""

    city: Decimal
    district: Decimal
    town: Decimal


@dataclass(frozen=True, slots=True)
class ShareAmounts:
    """(十三, I4) a premium split into the yuan each level pays; the three sum to the premium."""

    city: Decimal
    district: Decimal
    town: Decimal


def check_shares(city: Decimal, district: Decimal, town: Decimal) -> Decision:
    """(十三, I4) each share is ≥ 0 and together they are exactly 100 (99.99 is refused)."""
    parts = {
        "city": _decimal(city, "city share"),
        "district": _decimal(district, "district share"),
        "town": _decimal(town, "town share"),
    }
    refusals: list[Refusal] = []
    for name, value in parts.items():
        if value < 0:
            r = Reason("I4", CLAUSE, f"{name} share {_pct(value)} is negative")
            refusals.append(Refusal("insurance.scheme.share_negative", r))
    total = sum(parts.values(), Decimal(0))
    listed = " + ".join(_pct(v) for v in parts.values())
    if total != HUNDRED:
        r = Reason("I4", CLAUSE, f"shares {listed} = {_pct(total)}, not 100%")
        refusals.append(Refusal("insurance.scheme.shares_not_100", r))
    if refusals:
        return Decision(False, tuple(x.reason for x in refusals), tuple(refusals))
    return Decision(True, (Reason("I4", CLAUSE, f"shares {listed} = 100%"),))


def check_scheme_shares(kind: str, shares: Shares | None) -> Decision:
    """(十三, I1, I4) shares are required for major illness and accident, forbidden otherwise."""
    if kind not in SCHEME_KINDS:
        raise InsuranceError("insurance.scheme.kind_unknown", f"unknown scheme kind {kind!r}")
    if kind == BASIC_MEDICAL:
        if shares is not None:
            r = Reason(
                "I1",
                CLAUSE,
                "the basic medical premium is paid by the 市(區) medical assistance fund: no shares",
            )
            return Decision(False, (r,), (Refusal("insurance.scheme.shares_forbidden", r),))
        return Decision(True, (Reason("I1", CLAUSE, "basic medical scheme: no shares"),))
    if shares is None:
        r = Reason(
            "I4", CLAUSE, "major illness and accident insurance needs city, 市(區), town shares"
        )
        return Decision(False, (r,), (Refusal("insurance.scheme.shares_required", r),))
    return check_shares(shares.city, shares.district, shares.town)


def share_amounts(premium: Decimal, shares: Shares) -> ShareAmounts:
    """(十三, I4) city and district shares rounded half-up to the fen; the town takes the rest.

    The rest makes the three sum to the premium exactly. Should two half-fen round-ups leave the
    town below zero (possible only when its share is under 0.01 yuan), that fen comes back off the
    district, else the city, so that no level ever pays a negative amount.
    """
    p = _decimal(premium, "premium")
    if not check_premium(p).ok:
        raise InsuranceError("insurance.scheme.premium_invalid", f"premium {p} is not a fen amount")
    verdict = check_shares(shares.city, shares.district, shares.town)
    if not verdict.ok:
        first = verdict.refusals[0]
        raise InsuranceError(first.code, first.reason.detail, "I4")
    city = (p * shares.city / HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)
    district = (p * shares.district / HUNDRED).quantize(FEN, rounding=ROUND_HALF_UP)
    town = p - city - district
    if town < 0:
        if district > 0:
            district += town
        else:
            city += town
        town = Decimal("0.00")
    return ShareAmounts(city, district, town)


# --- I2 roster refresh -----------------------------------------------------------------------

PENDING = "pending"
CONFIRMED = "confirmed"
REJECTED = "rejected"
WITHDRAWN = "withdrawn"
ROW_STATES = (PENDING, CONFIRMED, REJECTED, WITHDRAWN)


@dataclass(frozen=True, slots=True)
class RosterDiff:
    """(十三, I2) what a roster refresh does to each person key."""

    added: frozenset[Hashable]  # new rows, or withdrawn rows eligible again: (back to) pending
    withdrawn: frozenset[Hashable]  # pending rows no longer eligible: set to withdrawn
    unchanged: frozenset[Hashable]  # left exactly as they are
    flagged: frozenset[Hashable]  # confirmed rows no longer eligible: kept, reported for review


def roster_diff(existing: Mapping[Hashable, str], eligible: Set[Hashable]) -> RosterDiff:
    """(十三, I2) refresh a roster: add the newly eligible, withdraw pending rows no longer so.

    A confirmed row is never altered: when its person is no longer eligible it is flagged. A
    rejected row stays as it is, eligible or not (the health insurance system has answered; a new
    answer comes through I3). Running the same refresh twice changes nothing the second time.
    """
    added: set[Hashable] = {k for k in eligible if k not in existing}
    withdrawn: set[Hashable] = set()
    unchanged: set[Hashable] = set()
    flagged: set[Hashable] = set()
    for key, state in existing.items():
        if state not in ROW_STATES:
            raise InsuranceError("insurance.roster.state_unknown", f"unknown row state {state!r}")
        still = key in eligible
        if state == WITHDRAWN and still:
            added.add(key)
        elif state == PENDING and not still:
            withdrawn.add(key)
        elif state == CONFIRMED and not still:
            flagged.add(key)
        else:
            unchanged.add(key)
    return RosterDiff(
        frozenset(added), frozenset(withdrawn), frozenset(unchanged), frozenset(flagged)
    )


# --- I3 confirmations ------------------------------------------------------------------------

RESULT_OK = "ok"
RESULT_ALREADY = "already_in_state"
RESULT_WITHDRAWN = "row_withdrawn"
RESULT_BAD_STATE = "invalid_state"


def check_confirmation(current_state: str, new_state: str) -> str:
    """(十三, I3) the per-row result of an answer from the health insurance system.

    `ok`: apply it (pending → confirmed | rejected, or a changed answer, rejected ⇄ confirmed);
    `already_in_state`: nothing to do (a replayed answer); `row_withdrawn`: the person is no longer
    on the roster; `invalid_state`: the answer is neither confirmed nor rejected.
    """
    if current_state not in ROW_STATES:
        raise InsuranceError(
            "insurance.roster.state_unknown", f"unknown row state {current_state!r}"
        )
    if new_state not in (CONFIRMED, REJECTED):
        return RESULT_BAD_STATE
    if current_state == WITHDRAWN:
        return RESULT_WITHDRAWN
    if current_state == new_state:
        return RESULT_ALREADY
    return RESULT_OK
