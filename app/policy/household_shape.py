"""The shape of a household (POLICY.md section 2, clauses 二 and 八): it has one head.

A household record carries "the head" among its members: relation 02 of GB/T 4761
(家庭關係代碼 戶主). One function for a household registered with its members, one for a person
joining an existing household; the registry service and the bulk importer both call them, so the
check and its codes exist once.
"""

from __future__ import annotations

from collections.abc import Iterable

from app.policy.reasons import Decision, Reason, Refusal

HEAD = "02"  # GB/T 4761 戶主
RULE = "§2"  # POLICY.md section 2 names no rule id for the head
CLAUSE = "二"


def _refuse(code: str, detail: str) -> Decision:
    r = Reason(RULE, CLAUSE, detail)
    return Decision(False, (r,), (Refusal(code, r),))


def check_heads(relations: Iterable[str]) -> Decision:
    """(二) a household registered with its members has exactly one head (relation 02).

    `relations` are the GB/T 4761 codes of all its members."""
    heads = sum(1 for r in relations if r == HEAD)
    if heads != 1:
        return _refuse("household.head_count",
                       f"a household has exactly one head (relation 02), not {heads}")
    return Decision(True, (Reason(RULE, CLAUSE, "one head (relation 02)"),))


def check_new_member_relation(existing_relations: Iterable[str], relation: str) -> Decision:
    """(二) a person joining as head (relation 02) needs a household without one.

    `existing_relations` are the relations of the household's members on the join date (and, in
    a bulk import, of those joining it earlier in the same file)."""
    if relation == HEAD and any(r == HEAD for r in existing_relations):
        return _refuse("household.head_exists",
                       "the household already has a head (relation 02) on that date")
    return Decision(True, (Reason(RULE, CLAUSE, f"relation {relation} fits the household"),))
