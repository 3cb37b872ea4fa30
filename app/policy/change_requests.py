"""A2 change requests (maker-checker, POLICY.md section 11).

A change to a household's facts proposed from the field is applied only when a different person
of the approving level accepts it; two open requests touching the same facts conflict.

Paths are JSON Pointers into the household answer. Two paths touch the same facts when one is
the other or lies under it (`/members/7` and `/members/7/health`), segment by segment: a leave
of a member conflicts with a change of their attributes, two different attributes do not.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.policy.reasons import Decision, Reason, Refusal

CLAUSE = "八"
HOUSEHOLD_FIELDS = ("group", "address", "causes")
MEMBER_ATTRIBUTES = ("labour_capacity", "health", "disability", "in_school",
                     "stable_nonfarm_employment", "tekun_since")


def _segments(path: str) -> tuple[str, ...]:
    return tuple(path.strip("/").split("/"))


def overlaps(a: str, b: str) -> bool:
    """Whether two pointers touch the same facts (one is a prefix of the other by segments)."""
    x, y = _segments(a), _segments(b)
    n = min(len(x), len(y))
    return x[:n] == y[:n]


def check_no_conflict(touches: Iterable[str], open_requests: dict[str, Iterable[str]]) -> Decision:
    """A2: the new request touches no fact an open request of the household touches."""
    mine = list(touches)
    for request_id, theirs in open_requests.items():
        shared = sorted({a for a in mine for b in theirs if overlaps(a, b)})
        if shared:
            r = Reason("A2", CLAUSE, f"open change request {request_id} already touches "
                       f"{', '.join(shared)}; it must be decided first")
            return Decision(False, (r,), (Refusal("change_request.conflict", r),))
    return Decision(True, (Reason("A2", CLAUSE, "no open request touches the same facts"),))


def check_decider(proposer: str, decider: str, state: str) -> Decision:
    """A2: an open request is decided by someone other than its proposer."""
    if state != "open":
        r = Reason("A2", CLAUSE, f"the request is already {state}")
        return Decision(False, (r,), (Refusal("change_request.decided", r),))
    if proposer == decider:
        r = Reason("A2", CLAUSE, "a proposer never decides their own change request")
        return Decision(False, (r,), (Refusal("change_request.own_request", r),))
    return Decision(True, (Reason("A2", CLAUSE, f"decided by {decider}, proposed by {proposer}"),))


@dataclass(frozen=True, slots=True)
class MemberStanding:
    """A member a request changes or leaves, as the household records them: `joined_on` None when
    they are no member of it; `leaving` when the request itself is their leave."""

    member_id: str
    joined_on: date | None
    left_on: date | None
    leaving: bool


def member_touches(touches: Iterable[str]) -> dict[str, bool]:
    """The members a request's touches name (joins aside), each with whether it leaves them."""
    out: dict[str, bool] = {}
    for t in touches:
        seg = _segments(t)
        if seg[0] == "members" and len(seg) > 1 and not seg[1].startswith("+"):
            out[seg[1]] = out.get(seg[1], False) or len(seg) == 2
    return out


def on_date(m: MemberStanding, on: date) -> bool:
    """A member on the date of effect: joined on or before it and not gone before it (a leave on
    that date is the request's own)."""
    if m.joined_on is None or m.joined_on > on:
        return False
    return m.left_on is None or on < m.left_on or (m.leaving and m.left_on == on)


def check_acceptance(proposer: str, decider: str, state: str,
                     members: Iterable[MemberStanding], effective_from: date) -> Decision:
    """A2: decided by someone other than the proposer while open, and every member the request
    changes or leaves is a member of the household on its date of effect."""
    who = check_decider(proposer, decider, state)
    if not who.ok:
        return who
    reasons = list(who.reasons)
    for m in members:
        if not on_date(m, effective_from):
            r = Reason("A2", CLAUSE, f"member {m.member_id} is not a member of the household on "
                       f"{effective_from.isoformat()}")
            return Decision(False, (*reasons, r), (Refusal("change_request.member_not_on_date", r),))
    reasons.append(Reason("A2", CLAUSE, "every member changed is a member on "
                          f"{effective_from.isoformat()}"))
    return Decision(True, tuple(reasons))
