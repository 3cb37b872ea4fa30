"""A2 change requests (maker-checker, POLICY.md section 11).

A change to a household's facts proposed from the field is applied only when a different person
of the approving level accepts it; two open requests touching the same facts conflict.

Paths are JSON Pointers into the household answer. Two paths touch the same facts when one is
the other or lies under it (`/members/7` and `/members/7/health`), segment by segment: a leave
of a member conflicts with a change of their attributes, two different attributes do not.
"""

from __future__ import annotations

from collections.abc import Iterable

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
