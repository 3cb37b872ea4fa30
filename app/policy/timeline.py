"""Timelines: a household's answers as a piecewise-constant function of the date.

Every answer of sections 2-4 (status R6, support type R4, registration and retention R7, the
assessment in force R8 with the line in force R1, the R5 target, each member's attributes in force,
dibao coverage D5 with the covering grant's monthly benefit D7, and every entitlement E1-E8 with its
basis and reasons) can change only on a date the facts name: a lifecycle event, the day after a
retention end, a join or a leave, an attribute version or a 特困 date, an assessment, the start of
a measure or the day after its end, a grant's start month, step or benefit period, a line
version, and the birthdays at the ages the rules look at (birth, 16 and 61 for E8, 18 for D4).
`change_points` lists them; `build` evaluates the existing rules once
per segment between two change points and merges neighbours that answer alike.

Two parts of a reason's text follow the date asked inside a segment without changing any decision:
the date itself ("not covered by an active dibao grant on 2019-05-01") and a member's age in E8
("age 43 with labour capacity ordinary"). The builder evaluates the rules with a date that prints
as `{on}`, and writes the E8 age as `{age}`; `render` puts the date asked and the age on that date
back, so a rendered segment says word for word what the rules say when asked directly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.policy.dates import age_on, day_before
from app.policy.dibao import period_on
from app.policy.entitlements import SKILLS_MAX_AGE, SKILLS_MIN_AGE, HouseholdFacts, evaluate
from app.policy.errors import NoLineInForce
from app.policy.history import (
    Day,
    HouseholdHistory,
    assessment_on,
    attributes_on,
    coverage_on,
    covering_grants,
    day_of,
    exit_in_force,
    facts_from,
    grant_periods,
    retention_of_exit,
    target_from,
)
from app.policy.income import per_capita_income
from app.policy.lifecycle import ADULT_AGE
from app.policy.lines import line_in_force
from app.policy.reasons import day

ON = "{on}"
AGE = "{age}"
# Birthdays where an answer can turn: birth itself (E8 "born after"), 16 and 61 (E8 ages 16-60),
# 18 (D4 single-person households).
AGE_THRESHOLDS = (0, SKILLS_MIN_AGE, SKILLS_MAX_AGE + 1, ADULT_AGE)
_ONE_DAY = timedelta(days=1)
_ATTRIBUTES = ("labour_capacity", "health", "disability_category", "disability_grade",
               "in_school", "stable_nonfarm_employment", "tekun_since")


class _AsOf(date):
    """The date asked: compares as itself, prints as the placeholder `{on}`."""

    def isoformat(self) -> str:  # type: ignore[override]
        return ON

    __str__ = isoformat


def birthday(birth: date, years: int) -> date | None:
    """The first day on which a person born on `birth` is `years` old (29 February → 1 March in
    common years, as `age_on` counts); None past the calendar."""
    year = birth.year + years
    if year > date.max.year:
        return None
    try:
        return birth.replace(year=year)
    except ValueError:
        return date(year, 3, 1)


def _next_day(d: date | None, points: set[date]) -> None:
    if d is not None and d < date.max:
        points.add(d + _ONE_DAY)


def _grant_points(h: HouseholdHistory, periods: dict, points: set[date]) -> None:
    for g in h.grants:
        if g.start_month is not None:
            points.add(g.start_month)
        points.update(when for _, when in g.steps)
    for ps in periods.values():
        for p in ps if isinstance(ps, list) else ():  # D7: a grant's amount changes per period
            points.add(p.start)
            _next_day(p.end, points)


def change_points(h: HouseholdHistory, periods: dict | None = None) -> list[date]:
    """Every date on which an answer of the household or of one of its members can change
    (`periods`: the grants' benefit periods, `grant_periods(h)`, when already known)."""
    points: set[date] = set()
    for e in h.events:
        points.add(e.occurred_on)
        if e.kind == "exit":
            _next_day(retention_of_exit(e).retention_end, points)  # R7: the day after the end
    for m in h.members:
        points.add(m.joined_on)
        if m.left_on is not None:
            points.add(m.left_on)
        # Ages matter only while the person is a member (the rules see current members only).
        points.update(b for years in AGE_THRESHOLDS if (b := birthday(m.birth_date, years))
                      and m.joined_on < b and (m.left_on is None or b < m.left_on))
    for versions in h.versions.values():
        for v in versions:
            points.add(v.effective_from)
            if v.tekun_since is not None:
                points.add(v.tekun_since)
    points.update(a.assessed_on for a in h.assessments)
    for x in h.measures:
        points.add(x.start_date)
        _next_day(x.end_date, points)
    _grant_points(h, grant_periods(h) if periods is None else periods, points)
    points.update(line.effective_from for line in h.lines)
    points.discard(date.min)
    return sorted(points)


def facts_on(h: HouseholdHistory, on: date, *, with_snapshot: bool = True,
             snapshots: dict | None = None, view: Day | None = None) -> HouseholdFacts:
    """Section 3 + R7: the HouseholdFacts on `on`, with the snapshot of the day before the exit
    in force (the same construction as the database loader, coverage from the grants);
    `snapshots` keeps the day-before-exit facts between calls."""
    snapshot = None
    event = exit_in_force(h, on)
    if with_snapshot and event is not None:
        before = day_before(event.occurred_on)
        if snapshots is None or before not in snapshots:
            snapshot = facts_on(h, before, with_snapshot=False)
            if snapshots is not None:
                snapshots[before] = snapshot
        else:
            snapshot = snapshots[before]
    return facts_from(h, on, coverage_on(h.grants, h.members, on), snapshot, view)


@dataclass(frozen=True, slots=True)
class HouseholdSegment:
    """The household's answers on every date of [valid_from, valid_to) (None: unbounded)."""

    valid_from: date | None
    valid_to: date | None
    status: str | None
    support_type: str
    support_reason: dict
    registered_on: date | None
    exit_date: date | None
    retention_end: date | None
    persons: int
    assessment_id: object | None
    assessment_year: int | None
    net_income: Decimal | None
    per_capita_income: Decimal | None
    line_amount: Decimal | None
    line_region: str | None
    line_from: date | None
    target_met: bool
    target_reasons: tuple[dict, ...]
    target_refusals: tuple[dict, ...]
    entitlements: tuple[dict, ...]  # household-level items (E7), reasons as templates


@dataclass(frozen=True, slots=True)
class PersonSegment:
    """One member's answers on every date of [valid_from, valid_to)."""

    person_id: object
    birth_date: date
    valid_from: date | None
    valid_to: date | None
    is_member: bool
    attributes: dict | None  # the version in force (id, effective_from, fields), if any
    dibao_covered: bool
    dibao_detail: str | None
    dibao_case_id: object | None  # the grant covering the member (D5)
    dibao_amount: Decimal | None  # its monthly benefit then (D7); None when not known
    entitlements: tuple[dict, ...]  # person-level items E1-E6, E8, reasons as templates


@dataclass(frozen=True, slots=True)
class Timeline:
    household_id: object
    households: tuple[HouseholdSegment, ...]
    persons: tuple[PersonSegment, ...]


def _age_text(birth: date | None, on: date) -> str | None:
    """The words E8 begins its reason with for a member born on `birth`, asked on `on`."""
    return f"age {age_on(birth, on)} with " if birth is not None and birth <= on else None


_KEPT: dict[tuple, dict] = {}
KEEP = 20_000  # items kept between builds (about 1 KB each); the first ones built stay


def _item(e, age_text: str | None, kept: dict) -> dict:
    """The stored item of an entitlement (the reasons as templates), shared between the
    segments and households that answer alike: nobody changes a stored item (`render` copies).
    `kept`: the household's own; the first `KEEP` items built are shared by every build."""
    key = (e.code, e.eligible, e.basis, age_text, *[(r.rule, r.clause, r.detail) for r in e.reasons])
    found = _KEPT.get(key) or kept.get(key)
    if found is None:
        found = _new_item(e, age_text)
        (_KEPT if len(_KEPT) < KEEP else kept)[key] = found
    return found


def _new_item(e, age_text: str | None) -> dict:
    reasons = []
    for r in e.reasons:
        detail = r.detail
        if age_text and r.rule == "E8" and detail.startswith(age_text):
            detail = f"age {AGE} with " + detail[len(age_text):]
        reasons.append({"rule": r.rule, "clause": r.clause, "detail": detail})
    return {"code": e.code, "eligible": e.eligible, "basis": e.basis, "reasons": reasons}


def _household_answers(h: HouseholdHistory, view: Day, facts: HouseholdFacts,
                       items: list, kept: dict) -> dict:
    """`items`: the household-level entitlements of `evaluate` on the day of `view`."""
    on, kind, kind_reason, current = view.on, view.kind, view.kind_reason, view.current
    a = assessment_on(h, on)
    net = (a.wage_income + a.business_income + a.property_income + a.transfer_income
           - a.production_costs) if a is not None else None
    try:
        line = line_in_force(h.lines, h.household.village_code, on) if h.lines else None
    except NoLineInForce:
        line = None
    covered = any(m.dibao_covered for m in facts.members)
    target = target_from(h, on, covered, view)
    return {
        "status": facts.status_on_date, "support_type": kind,
        "support_reason": kind_reason.as_dict(), "registered_on": facts.registered_on,
        "exit_date": facts.exit_date, "retention_end": facts.retention_end,
        "persons": len(current), "assessment_id": a.id if a else None,
        "assessment_year": a.year if a else None, "net_income": net,
        "per_capita_income": per_capita_income(net, len(current))
        if net is not None and current else None,
        "line_amount": line.amount if line else None,
        "line_region": line.region_code if line else None,
        "line_from": line.effective_from if line else None,
        "target_met": target.ok, "target_reasons": tuple(r.as_dict() for r in target.reasons),
        "target_refusals": tuple({"code": f.code, **f.reason.as_dict()} for f in target.refusals),
        "entitlements": tuple(_item(e, None, kept) for e in items),
    }


def _attributes(h: HouseholdHistory, member_id, on: date) -> dict | None:
    v = attributes_on(h, member_id, on)
    if v is None:
        return None
    return {"version_id": v.id, "effective_from": v.effective_from,
            **{k: getattr(v, k) for k in _ATTRIBUTES}}


def _grant_amount(grant, periods: dict, on: date) -> Decimal | None:
    """(十四, D7) the monthly benefit of the covering grant's period on `on`: None when its
    periods cannot be known (the case answers with an error then)."""
    ps = periods.get(grant.case_id)
    current = period_on(ps, on) if isinstance(ps, list) else None
    return current.monthly_benefit if current is not None else None


def _person_answers(h: HouseholdHistory, m, on: date, mf, items: list, grant,
                    periods: dict, kept: dict) -> dict:
    """`mf`: the member's facts on `on` (None: not a member then); `items`: its entitlements;
    `grant`: the grant covering the member then, if any."""
    if mf is None:
        return {"is_member": False, "attributes": _attributes(h, m.id, on),
                "dibao_covered": False, "dibao_detail": None, "dibao_case_id": None,
                "dibao_amount": None, "entitlements": ()}
    age_text = _age_text(m.birth_date, on)
    return {
        "is_member": True, "attributes": _attributes(h, m.id, on),
        "dibao_covered": mf.dibao_covered, "dibao_detail": mf.dibao_detail,
        "dibao_case_id": grant.case_id if grant is not None else None,
        "dibao_amount": _grant_amount(grant, periods, on) if grant is not None else None,
        "entitlements": tuple(_item(e, age_text, kept) for e in items),
    }


def _merge(rows: list[tuple[date | None, date | None, dict]]) -> list[tuple]:
    out: list[list] = []
    for start, end, answers in rows:
        if out and out[-1][2] == answers:
            out[-1][1] = end
        else:
            out.append([start, end, answers])
    return [tuple(r) for r in out]


def build(h: HouseholdHistory) -> Timeline:
    """The household's timeline: the rules evaluated once per segment between change points."""
    periods = grant_periods(h)
    points = change_points(h, periods)
    starts: list[date | None] = [None, *points]
    ends: list[date | None] = [*points, None]
    house: list[tuple] = []
    persons: dict[object, list[tuple]] = {m.id: [] for m in h.members}
    snapshots: dict = {}
    kept: dict = {}  # the household's stored items, by what they say
    for start, end in zip(starts, ends, strict=True):
        on = start or date.min
        view = day_of(h, on)
        facts = facts_on(h, on, snapshots=snapshots, view=view)
        items: dict[object, list] = {}
        for e in evaluate(facts, _AsOf(on.year, on.month, on.day)):
            items.setdefault(e.person_id, []).append(e)  # in `evaluate`'s order per person
        house.append((start, end, _household_answers(h, view, facts, items.get(None, []), kept)))
        member_facts: dict = {}
        for x in facts.members:
            member_facts.setdefault(x.person_id, x)
        grants = covering_grants(h.grants, h.members, on) if h.grants else {}
        for m in h.members:
            mf = member_facts.get(m.id)
            persons[m.id].append((start, end, _person_answers(
                h, m, on, mf, items.get(m.id, []), grants.get(m.id), periods, kept)))
    households = tuple(HouseholdSegment(s, e, **a) for s, e, a in _merge(house))
    births = {m.id: m.birth_date for m in h.members}
    people = tuple(PersonSegment(pid, births[pid], s, e, **a)
                   for pid, rows in persons.items() for s, e, a in _merge(rows))
    return Timeline(h.household.id, households, people)


def covers(valid_from: date | None, valid_to: date | None, on: date) -> bool:
    """`on` lies in [valid_from, valid_to) (the daterange `valid @> on`)."""
    return (valid_from is None or valid_from <= on) and (valid_to is None or on < valid_to)


def segment_on(segments, on: date):
    """The segment of `segments` whose range holds `on`, else None."""
    return next((s for s in segments if covers(s.valid_from, s.valid_to, on)), None)


def render_text(text: str, on: date, birth_date: date | None = None) -> str:
    """A stored reason with the date asked (and the member's age on it) written back."""
    if ON in text:
        text = text.replace(ON, day(on))
    if AGE in text and birth_date is not None:
        text = text.replace(AGE, str(age_on(birth_date, on)))
    return text


def render(items, on: date, person_id: object | None = None,
           birth_date: date | None = None) -> list[dict]:
    """Stored entitlement items as `Entitlement.as_dict()` answers them on `on`."""
    return [{"code": i["code"], "person_id": person_id, "eligible": i["eligible"],
             "basis": i["basis"],
             "reasons": [{**r, "detail": render_text(r["detail"], on, birth_date)}
                         for r in i["reasons"]]} for i in items]


def entitlement_items(timeline: Timeline, on: date) -> list[dict]:
    """Every entitlement item on `on` in the order `evaluate` gives them: each current member's
    person-level items (members in record order), then the household's."""
    out: list[dict] = []
    for p in timeline.persons:
        if covers(p.valid_from, p.valid_to, on) and p.is_member:
            out.extend(render(p.entitlements, on, p.person_id, p.birth_date))
    seg = segment_on(timeline.households, on)
    if seg is not None:
        out.extend(render(seg.entitlements, on))
    return out


