"""A parsed search (app.dci.query) as one SQL statement over the timelines, as of a date.

The columns hold the answers the rules wrote (app/policy/timeline.py, stored by app.timelines):
a household's status (R6), retention end (R7), support type (R4), members on the date and the
per-capita income of the assessment in force (R8/R1); a person's membership and dibao coverage
(D5). This SQL only filters, sorts and pages on them where `valid @> on`; it restates no rule.
Age is the one answer not stored (it moves every day): `age >= n` on the date is a bound on the
birth date given by the policy's own age (`app.policy.dates.latest_birth_date`).

Region scoping is the sender's client's, as every REST list applies it (`region_filter`,
`household_filter`). Comparisons follow two-valued logic: a missing value fails every comparison
but `ne`, whatever `not` surrounds it.
"""

from __future__ import annotations

import math
import uuid
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    exists,
    false,
    func,
    not_,
    or_,
    select,
    true,
)
from sqlalchemy.orm import aliased

from app.auth.principal import Principal
from app.auth.scoping import household_filter, region_filter
from app.dci.query import ATTRIBUTES, Cmp, Node
from app.models.households import Household as H
from app.models.households import HouseholdMember as M
from app.models.timelines import HouseholdTimeline as T
from app.models.timelines import PersonTimeline as P
from app.policy.dates import latest_birth_date

# attribute → the column holding its answer (status, district, dibao_covered and age are
# read through their own conditions below)
_COLUMNS: dict[str, Any] = {
    "location": H.village_code, "group_size": T.persons, "support_type": T.support_type,
    "poverty_score": T.per_capita_income, "registration_date": H.registered_on,
    "gender": M.sex, "birth_date": M.birth_date,
}
# sort key → (column, ascending means) : age ascending is the latest birth date first
_SORT: dict[str, tuple[Any, bool]] = {
    "household_id": (H.id, False), "person_id": (M.id, False),
    "poverty_score": (T.per_capita_income, False), "group_size": (T.persons, False),
    "registration_date": (H.registered_on, False), "location": (H.village_code, False),
    "birth_date": (M.birth_date, False), "age": (M.birth_date, True),
}


def _held(expr: ColumnElement[bool]) -> ColumnElement[bool]:
    """NULL (a missing value) is false: SQL's third value never reaches `not`."""
    return func.coalesce(expr, false())


def _compare(column: Any, op: str, value: Any) -> ColumnElement[bool]:
    if op == "in":
        return column.in_(list(value))
    if op == "ne":
        return column.is_distinct_from(value)
    return {"eq": column == value, "gt": column > value, "ge": column >= value,
            "lt": column < value, "le": column <= value}[op]


def _one_of(values: Any, op: str) -> tuple:
    return tuple(values) if op == "in" else (values,)


def _status_is(value: str, on: date) -> ColumnElement[bool]:
    # `retained`: exited and the R7 retention end the rules wrote not yet passed
    if value == "retained":
        return and_(T.status == "exited", T.retention_end >= on)
    return T.status == value


def _dibao_covered(on: date) -> ColumnElement[bool]:
    p = aliased(P)
    return exists(select(p.id).where(p.household_id == H.id, p.valid.contains(on),
                                     p.is_member.is_(True), p.dibao_covered.is_(True)))


def _age_at_least(years: int, on: date) -> ColumnElement[bool]:
    bound = latest_birth_date(on, years)
    return M.birth_date <= bound if bound is not None else false()


def _age(op: str, value: Any, on: date) -> ColumnElement[bool]:
    if op == "in":
        return or_(*[_age("eq", v, on) for v in value])
    if op == "ne":
        return not_(_held(_age("eq", value, on)))
    born = M.birth_date <= on  # no age before the birth
    if op == "ge":
        return _age_at_least(math.ceil(value), on)
    if op == "gt":
        return _age_at_least(math.floor(value) + 1, on)
    if op == "lt":
        return and_(born, not_(_age_at_least(math.ceil(value), on)))
    if op == "le":
        return and_(born, not_(_age_at_least(math.floor(value) + 1, on)))
    if value != value.to_integral_value():  # eq: whole years only
        return false()
    n = int(value)
    return and_(_age_at_least(n, on), not_(_age_at_least(n + 1, on)))


def _leaf(c: Cmp, on: date) -> ColumnElement[bool]:
    values = _one_of(c.value, c.op)
    if c.attribute == "location":
        return or_(*[H.village_code.like(f"{p}%") for p in values])  # digits: nothing to escape
    if c.attribute == "district":
        return func.substr(H.village_code, 1, 6).in_(values)
    if c.attribute == "status":
        held = or_(*[_status_is(v, on) for v in values])
        return not_(_held(held)) if c.op == "ne" else held
    if c.attribute == "dibao_covered":
        return _dibao_covered(on) if (c.op == "eq") is c.value else not_(_dibao_covered(on))
    if c.attribute == "age":
        return _age(c.op, c.value, on)
    return _compare(_COLUMNS[c.attribute], c.op, c.value)


def _member_exists(condition: ColumnElement[bool], on: date) -> ColumnElement[bool]:
    """On a Group: some current member of the household satisfies the person condition."""
    return exists(select(M.id).join(P, _member_join(on))
                  .where(M.household_id == H.id, condition))


def condition(node: Any, on: date, entity: str) -> ColumnElement[bool]:
    """The tree as a condition on the household (Group) or on the person row (Member)."""
    if isinstance(node, Cmp):
        leaf = _held(_leaf(node, on))
        if entity == "Group" and ATTRIBUTES[node.attribute][1] == "member":
            return _member_exists(leaf, on)
        return leaf
    parts = [condition(child, on, entity) for child in node.children]
    if not parts:  # an empty filter (a subscription to everything)
        return true()
    if node.kind == "and":
        return and_(*parts)
    if node.kind == "or":
        return or_(*parts)
    return not_(parts[0])


def _member_join(on: date) -> ColumnElement[bool]:
    return and_(P.person_id == M.id, P.valid.contains(on), P.is_member.is_(True))


def statement(principal: Principal, tree: Node | None, on: date, entity: str, *,
              household_id: uuid.UUID | None = None, person_id: uuid.UUID | None = None
              ) -> Select:
    """(household_id[, person_id]) of every household or current member the search selects."""
    if entity == "Group":
        stmt = select(H.id.label("household_id"))
    else:
        stmt = (select(H.id.label("household_id"), M.id.label("person_id"))
                .join(M, M.household_id == H.id).join(P, _member_join(on)))
    stmt = (stmt.join(T, and_(T.household_id == H.id, T.valid.contains(on)))
            .where(region_filter(principal, H.village_code), household_filter(principal, H.id),
                   condition(tree, on, entity) if tree is not None else true()))
    if household_id is not None:
        stmt = stmt.where(H.id == household_id)
    if person_id is not None and entity == "Member":
        stmt = stmt.where(M.id == person_id)
    return stmt


def ordered(stmt: Select, keys: list[tuple[str, bool]], entity: str) -> Select:
    """Sorted by the keys asked, missing values last in either order, then by id."""
    order = []
    for name, desc in keys:
        column, reversed_ = _SORT[name]
        descending = desc != reversed_
        order.append((column.desc() if descending else column.asc()).nulls_last())
    order.append(H.id.asc() if entity == "Group" else M.id.asc())
    return stmt.order_by(*order)
