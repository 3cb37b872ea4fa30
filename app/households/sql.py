"""The household rules as SQL expressions, for lists and reports over many households at once.

Each mirrors a pure rule and the Python facts loader exactly (tests compare them):
- status on a date (R6): the latest lifecycle event dated on or before it, same-day by seq;
- a member's attribute in force (section 3): the latest version dated on or before the date,
  a same-day correction (higher id) winning, or the member's first version when none is in
  force yet (as `households.facts` does);
- development-type (R4): a current member whose labour capacity in force has labour.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import and_, case, exists, func, literal, or_, select

from app.models.households import Household, HouseholdEvent, HouseholdMember, MemberAttributeVersion
from app.policy.support import WITH_LABOUR

STATUS_OF_KIND = {"register": "registered", "return": "registered", "exit": "exited",
                  "remove": "removed"}


def status_sql(on: date):
    """R6 (八): the household's status on `on`, or NULL before its registration."""
    e = HouseholdEvent
    kind = (select(e.kind).where(e.household_id == Household.id, e.occurred_on <= on)
            .order_by(e.occurred_on.desc(), e.seq.desc()).limit(1)
            .correlate(Household).scalar_subquery())
    return case(*[(kind == k, literal(s)) for k, s in STATUS_OF_KIND.items()], else_=None)


def current_member_sql(on: date):
    """A member of the household on `on` (joined on or before it, not yet left)."""
    m = HouseholdMember
    return and_(m.household_id == Household.id, m.joined_on <= on,
                or_(m.left_on.is_(None), m.left_on > on))


def attribute_sql(column, on: date):
    """The member's attribute `column` in force on `on`, else from its first version."""
    m, a = HouseholdMember, MemberAttributeVersion
    in_force = (select(column).where(a.member_id == m.id, a.effective_from <= on)
                .order_by(a.effective_from.desc(), a.id.desc()).limit(1)
                .correlate(m).scalar_subquery())
    first = (select(column).where(a.member_id == m.id).order_by(a.effective_from, a.id).limit(1)
             .correlate(m).scalar_subquery())
    return func.coalesce(in_force, first)


def development_sql(on: date):
    """R4 (二.1, 八): a current member whose labour capacity in force has labour."""
    labour = attribute_sql(MemberAttributeVersion.labour_capacity, on)
    return exists().where(current_member_sql(on), labour.in_(sorted(WITH_LABOUR))) \
        .correlate(Household)
