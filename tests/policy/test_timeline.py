"""Timelines answer what the rules answer: for random household histories and random dates, the
segment holding the date says exactly what the rules say when evaluated directly on that date,
entitlement by entitlement and reason by reason (section 3, R4-R8, D5), and each member's
covering grant with its monthly benefit (D7)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise
from types import SimpleNamespace

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.policy.dibao import DibaoError, period_on
from app.policy.dibao_case import grant_active_on
from app.policy.dibao_periods import periods
from app.policy.entitlements import evaluate
from app.policy.errors import NoLineInForce
from app.policy.history import (
    AssessmentRow,
    AttributeRow,
    EventRow,
    GrantRow,
    HouseholdHistory,
    HouseholdRef,
    MeasureRow,
    MemberRow,
    StandardRow,
    assessment_on,
    attributes_on,
    support_type_on,
    target_from,
)
from app.policy.income import AssessmentFacts
from app.policy.lines import LineVersion, line_in_force
from app.policy.timeline import (
    birthday,
    build,
    change_points,
    entitlement_items,
    facts_on,
    render_text,
    segment_on,
)

VILLAGE = "321283101201"
DISTRICT = "321283000000"
CITY = "321200000000"
LEAP_DAYS = [date(2016, 2, 29), date(2020, 2, 29), date(2024, 2, 29)]
START, END = date(2014, 1, 1), date(2032, 12, 31)

days = st.one_of(st.dates(START, END), st.sampled_from(LEAP_DAYS))
gaps = st.one_of(st.integers(0, 40), st.integers(300, 800), st.integers(725, 735))
capacities = st.sampled_from(["ordinary", "skilled", "partial", "lost", "none"])
healths = st.sampled_from(["healthy", "chronic", "serious_illness", "disabled"])


@st.composite
def histories(draw) -> HouseholdHistory:
    registered = draw(days)
    events = [EventRow("register", registered, 1)]
    on, state = registered, "registered"
    for seq in range(2, draw(st.integers(1, 5)) + 1):
        choices = {"registered": ["exit", "exit", "remove"], "exited": ["return", "remove"]}
        if state not in choices:
            break
        kind = draw(st.sampled_from(choices[state]))
        on = on + timedelta(days=draw(gaps))
        if draw(st.booleans()) and kind == "exit":
            on = draw(st.sampled_from([*LEAP_DAYS, on]))
            on = max(on, events[-1].occurred_on)
        months = draw(st.sampled_from([None, 12, 24])) if kind == "exit" else None
        events.append(EventRow(kind, on, seq, months))
        state = {"exit": "exited", "return": "registered", "remove": "removed"}[kind]

    members, versions, vid = [], {}, 0
    for i in range(draw(st.integers(0, 4))):
        birth = draw(st.one_of(st.dates(date(1950, 1, 1), date(2016, 12, 31)),
                               st.sampled_from([date(2000, 2, 29), date(1956, 2, 29),
                                                date(2004, 2, 29)])))
        joined = max(birth, registered - timedelta(days=draw(st.sampled_from([0, 0, 400]))))
        joined = max(joined, draw(st.sampled_from([joined, joined + timedelta(days=200)])))
        left = None
        if draw(st.booleans()):
            left = joined + timedelta(days=draw(st.integers(1, 3000)))
        mid = f"m{i}"
        members.append(MemberRow(mid, birth, joined, left))
        rows = []
        for k in range(draw(st.integers(1, 3))):
            vid += 1
            frm = joined if k == 0 else draw(st.sampled_from(
                [joined + timedelta(days=draw(st.integers(0, 2500))), rows[-1].effective_from]))
            grade = draw(st.sampled_from([None, None, 1, 2, 3, 4]))
            rows.append(AttributeRow(
                vid, mid, frm, draw(capacities), draw(healths),
                disability_category=draw(st.sampled_from([None, 2])) if grade else None,
                disability_grade=grade, in_school=draw(st.booleans()),
                stable_nonfarm_employment=draw(st.booleans()),
                tekun_since=draw(st.one_of(st.none(), days))))
        versions[mid] = sorted(rows, key=lambda v: (v.effective_from, v.id))

    assessments = []
    for n in range(draw(st.integers(0, 3))):
        year = draw(st.integers(2014, 2030))
        assessed = draw(st.sampled_from([date(year, 12, 31), draw(days)]))
        net = Decimal(draw(st.sampled_from([6999, 7000, 7001, 14000, 21000, 30000, 500])))
        version = 2 if any(a.year == year for a in assessments) else 1
        assessments.append(AssessmentRow(f"a{n}", year, assessed, version, net,
                                         production_costs=Decimal("0.01") * draw(st.integers(0, 2))))

    measures = [MeasureRow(s, draw(st.one_of(st.none(), st.just(s + timedelta(days=90)))),
                           draw(st.booleans())) for s in draw(st.lists(days, max_size=2))]
    grants = []
    for n in range(draw(st.integers(0, 2))):
        start = draw(days).replace(day=1)
        steps, when = [], start
        for _ in range(draw(st.integers(0, 3))):
            when = when + timedelta(days=draw(st.integers(0, 400)))
            steps.append((draw(st.sampled_from(["suspend", "resume", "terminate"])), when))
        single = draw(st.sampled_from([None, *[m.id for m in members]]))
        # (D4) a single-person case declares the person's income; a household case may
        declared = draw(st.sampled_from([None, Decimal(150), Decimal("333.33"), Decimal(900)]))
        if single is not None and declared is None:
            declared = Decimal(200)
        applied = start - timedelta(days=draw(st.sampled_from([0, 20, 400])))
        grants.append(GrantRow(f"c{n}", start, single, tuple(steps), VILLAGE, applied, declared))
    standards = []
    if draw(st.integers(0, 5)):  # now and then no standard: the amounts cannot be known (D1)
        standards.append(StandardRow(DISTRICT, draw(st.sampled_from([START, date(2016, 2, 29)])),
                                     Decimal(600)))
        for when in draw(st.lists(days, max_size=2)):
            if when not in {s.effective_from for s in standards}:
                standards.append(StandardRow(DISTRICT, when, Decimal(draw(st.sampled_from(
                    [450, 700, 801])))))

    lines = [LineVersion(CITY, date(2016, 1, 1), Decimal(7000))]
    if draw(st.booleans()):
        lines.append(LineVersion("321283000000", draw(days), Decimal(7500)))
    if draw(st.booleans()):
        lines.append(LineVersion(CITY, draw(days), Decimal(7200)))
    return HouseholdHistory(HouseholdRef("h1", VILLAGE), events, members, versions, assessments,
                            measures, grants, lines, standards=standards)


def _direct_line(h: HouseholdHistory, on: date):
    try:
        return line_in_force(h.lines, VILLAGE, on)
    except NoLineInForce:
        return None


def _check(h: HouseholdHistory, tl, on: date) -> None:
    direct = facts_on(h, on)
    expected = [e.as_dict() for e in evaluate(direct, on)]
    assert entitlement_items(tl, on) == expected, on
    seg = segment_on(tl.households, on)
    assert seg.status == direct.status_on_date
    assert seg.registered_on == direct.registered_on
    assert (seg.exit_date, seg.retention_end) == (direct.exit_date, direct.retention_end)
    kind, reason = support_type_on(h, on)
    assert (seg.support_type, seg.support_reason) == (kind, reason.as_dict())
    a = assessment_on(h, on)
    assert seg.assessment_id == (a.id if a else None)
    line = _direct_line(h, on)
    assert seg.line_amount == (line.amount if line else None)
    covered = any(m.dibao_covered for m in direct.members)
    target = target_from(h, on, covered)
    assert (seg.target_met, list(seg.target_reasons)) == (
        target.ok, [r.as_dict() for r in target.reasons])
    for m in h.members:
        p = segment_on([s for s in tl.persons if s.person_id == m.id], on)
        mf = next((x for x in direct.members if x.person_id == m.id), None)
        assert p.is_member == (mf is not None)
        v = attributes_on(h, m.id, on)
        assert (p.attributes or {}).get("version_id") == (v.id if v else None)
        if mf is not None:
            assert (p.dibao_covered, p.dibao_detail) == (mf.dibao_covered, mf.dibao_detail)
        assert (p.dibao_case_id, p.dibao_amount) == _direct_amount(h, m, on), (m.id, on)


def _direct_amount(h: HouseholdHistory, m, on: date):
    """(十四, D5, D7) the grant covering the member on `on` and its monthly benefit then, from the
    case rules given the case and its facts as the dibao services give them."""
    found = None
    for g in h.grants:  # the later grant should two cover the member (as the coverage answers)
        if (grant_active_on(g.start_month, g.steps, on) and m.joined_on <= on
                and (m.left_on is None or on < m.left_on)
                and g.single_person_member_id in (None, m.id)):
            found = g
    if found is None:
        return None, None
    case = SimpleNamespace(id=found.case_id, household_id="h1", region_code=found.region_code,
                           start_month=found.start_month,
                           single_person_member_id=found.single_person_member_id,
                           declared_monthly_income=found.declared_monthly_income,
                           applied_on=found.applied_on)
    facts = SimpleNamespace(
        standards={DISTRICT: list(h.standards)},
        assessments={"h1": [AssessmentFacts(a.id, a.year, a.assessed_on, a.version, a.wage_income,
                                            a.business_income, a.property_income,
                                            a.transfer_income, a.production_costs)
                            for a in h.assessments]},
        members={"h1": [SimpleNamespace(member_id=x.id, joined_on=x.joined_on, left_on=x.left_on)
                        for x in h.members]},
        steps={found.case_id: [SimpleNamespace(action=a, on=w) for a, w in found.steps]})
    try:
        current = period_on(periods(case, facts), on)
    except DibaoError:
        return found.case_id, None
    return found.case_id, current.monthly_benefit if current is not None else None


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(h=histories(), asked=st.lists(days, min_size=1, max_size=6))
def test_timeline_answers_what_the_rules_answer_on_every_date(h, asked):
    tl = build(h)
    edges = sorted({d + timedelta(days=k) for d in _dates_named(h) for k in (-1, 0, 1)})
    for on in [*asked, *edges, date(2009, 6, 1), date(2040, 1, 1)]:
        _check(h, tl, on)


def _dates_named(h: HouseholdHistory) -> set[date]:
    """Every date the facts name, found without the builder (the edges worth asking about)."""
    out = {e.occurred_on for e in h.events}
    out |= {date(e.occurred_on.year + 2, e.occurred_on.month, 28) for e in h.events}
    out |= {e.occurred_on.replace(day=28) + timedelta(days=k) for e in h.events for k in (0, 3)}
    for m in h.members:
        out |= {m.joined_on, m.left_on or m.joined_on}
        out |= {b for n in (0, 16, 18, 60, 61) if (b := birthday(m.birth_date, n))}
    for vs in h.versions.values():
        out |= {v.effective_from for v in vs} | {v.tekun_since for v in vs if v.tekun_since}
    out |= {a.assessed_on for a in h.assessments}
    out |= {x.start_date for x in h.measures} | {x.end_date for x in h.measures if x.end_date}
    for g in h.grants:
        out |= {g.start_month} | {when for _, when in g.steps}
    out |= {s.effective_from for s in h.standards}
    # (D7) a change opens a benefit period on the 1st on or after it
    out |= {(d.replace(day=28) + timedelta(days=4)).replace(day=1) for d in out if d.year < 9999}
    return out | {line.effective_from for line in h.lines}


@settings(max_examples=60, deadline=None)
@given(h=histories())
def test_timeline_segments_tile_the_calendar_without_repeating_an_answer(h):
    tl = build(h)
    assert tl.households[0].valid_from is None and tl.households[-1].valid_to is None
    for a, b in pairwise(tl.households):
        assert a.valid_to == b.valid_from
        assert _answers(a) != _answers(b)
    for m in h.members:
        mine = [p for p in tl.persons if p.person_id == m.id]
        assert mine[0].valid_from is None and mine[-1].valid_to is None
        for a, b in pairwise(mine):
            assert a.valid_to == b.valid_from and _answers(a) != _answers(b)


def _answers(segment) -> dict:
    return {f: getattr(segment, f) for f in segment.__slots__ if f not in ("valid_from", "valid_to")}


def test_birthday_of_29_february_is_1_march_in_common_years():
    assert birthday(date(2000, 2, 29), 16) == date(2016, 2, 29)
    assert birthday(date(2000, 2, 29), 61) == date(2061, 3, 1)
    assert birthday(date(2000, 2, 29), 18) == date(2018, 3, 1)


def test_e8_age_text_follows_the_date_asked_inside_one_segment():
    assert render_text("age {age} with labour capacity ordinary", date(2020, 2, 28),
                       date(2000, 2, 29)) == "age 19 with labour capacity ordinary"
    assert render_text("age {age} with labour capacity ordinary", date(2020, 2, 29),
                       date(2000, 2, 29)) == "age 20 with labour capacity ordinary"
    assert render_text("not covered on {on}", date(2019, 5, 1)) == "not covered on 2019-05-01"


def test_retention_end_and_the_day_after_are_change_points():
    # one member, so that R7 (not "nobody left", point 12) is what ends the household's E7
    h = HouseholdHistory(HouseholdRef("h", VILLAGE),
                         [EventRow("register", date(2016, 3, 1), 1),
                          EventRow("exit", date(2016, 2, 29) + timedelta(days=366), 2)],
                         members=[MemberRow("m", date(1970, 5, 1), date(2016, 3, 1))],
                         versions={"m": [AttributeRow(1, "m", date(2016, 3, 1), "ordinary",
                                                      "healthy")]},
                         lines=[LineVersion(CITY, date(2016, 1, 1), Decimal(7000))])
    points = change_points(h)
    assert date(2019, 3, 2) in points  # exit 2017-03-01 + 24 months = 2019-03-01, then the day after
    tl = build(h)
    assert segment_on(tl.households, date(2019, 3, 1)).retention_end == date(2019, 3, 1)
    assert segment_on(tl.households, date(2019, 3, 2)).status == "exited"
    e7 = segment_on(tl.households, date(2019, 3, 2)).entitlements[0]
    assert e7["reasons"][-1]["detail"] == "exited 2017-03-01; retention ended 2019-03-01"
