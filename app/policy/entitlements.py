"""Entitlements E1-E8 on a date, with R7 retention (POLICY.md section 3, clauses 八-十六).

The caller resolves every fact as it was on the date (member attribute versions, membership,
dibao grants, the household status) and, for an exited household, builds the same facts as of the
day before the exit (`snapshot_before_exit`), so that R7 "every entitlement held on the day before
E continues" can be evaluated here without a database.

Decisions made where the text is vague:
- E1 `dibao` reports eligible when the member is covered by an active dibao grant on the date:
  D2 eligibility is only a prerequisite and a grant needs a decided case (D5), so coverage is the
  fact that counts. Basis is always `direct`; dibao is never retained (R7 exception).
- R7 (a) carries over entitlements that rest on registration (E2, E3, E4, E6, E7, E8). E1 and E5
  never depended on registration, so an exit cannot take them away and they follow their own
  rules (column `retainable` of the catalogue).
- E4 is eligible with basis `direct` through dibao coverage whatever the household's status; only
  when it rests on registration during retention is it `retained`.
- A household-level entitlement (E7) needs a member on the date: once the last member has left
  or died, nothing is held or retained for the household (R7 applied to the household).
- "Disabled" (E4) means health `disabled` or a recorded disability grade; severe means grade 1-2.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

from app.policy.dates import age_on, day_before
from app.policy.errors import PolicyError
from app.policy.reasons import Reason, day
from app.policy.retention import Retention, is_retained, retention_reason
from app.policy.support import DEVELOPMENT, WITH_LABOUR, support_type

SKILLS_MIN_AGE = 16
SKILLS_MAX_AGE = 60


@dataclass(frozen=True, slots=True)
class CatalogueEntry:
    """One row of the section 3 catalogue: code, rule id, clause, level and registration needs."""

    code: str
    rule: str
    clause: str
    level: str  # "person" | "household"
    needs_registration: bool
    retainable: bool


CATALOGUE: tuple[CatalogueEntry, ...] = (
    CatalogueEntry("dibao", "E1", "十四", "person", False, False),
    CatalogueEntry("medical_premium_full", "E2", "十三", "person", True, True),
    CatalogueEntry("major_illness_accident_insurance", "E3", "十三", "person", True, True),
    CatalogueEntry("disability_living_subsidy", "E4", "十三", "person", True, True),
    CatalogueEntry("severe_disability_nursing_subsidy", "E5", "十三", "person", False, False),
    CatalogueEntry("education_aid", "E6", "十一", "person", True, True),
    CatalogueEntry("microcredit_interest_subsidy", "E7", "十六", "household", True, True),
    CatalogueEntry("skills_training", "E8", "八, 十", "person", True, True),
)
CODES = tuple(e.code for e in CATALOGUE)
_BY_CODE = {e.code: e for e in CATALOGUE}


@dataclass(frozen=True, slots=True, kw_only=True)
class MemberFacts:
    """A member's attributes as they were on the date (the caller resolves versions)."""

    person_id: object
    birth_date: date
    labour_capacity: str
    health: str
    disability_grade: int | None = None
    disability_category: int | None = None
    in_school: bool = False
    stable_employment: bool = False
    tekun: bool = False
    tekun_since: date | None = None
    dibao_covered: bool = False
    dibao_detail: str | None = None
    is_current_member: bool = True


@dataclass(frozen=True, slots=True, kw_only=True)
class HouseholdFacts:
    """A household on the date: status, members, support type, exit and retention (R6, R7)."""

    household_id: object
    status_on_date: str | None
    registered_on: date | None
    support_type: str | None
    members: list[MemberFacts] = field(default_factory=list)
    exit_date: date | None = None
    retention_end: date | None = None
    snapshot_before_exit: HouseholdFacts | None = None


@dataclass(frozen=True, slots=True)
class Entitlement:
    """One answer: code, person (None for household level), eligible, basis and reasons."""

    code: str
    person_id: object | None
    eligible: bool
    basis: str | None
    reasons: tuple[Reason, ...]

    def as_dict(self) -> dict[str, object]:
        """The API item {code, person_id, eligible, basis, reasons: [{rule, clause, detail}]}."""
        return {
            "code": self.code,
            "person_id": self.person_id,
            "eligible": self.eligible,
            "basis": self.basis,
            "reasons": [r.as_dict() for r in self.reasons],
        }


@dataclass(frozen=True, slots=True)
class _Check:
    met: bool
    needs_registration: bool
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class _Registration:
    basis: str | None  # "direct" | "retained" | None
    reasons: tuple[Reason, ...]


def _r(code: str, detail: str) -> Reason:
    entry = _BY_CODE[code]
    return Reason(entry.rule, entry.clause, detail)


def _tekun(m: MemberFacts) -> str:
    return f"特困 since {day(m.tekun_since)}" if m.tekun_since else "特困"


def _dibao(m: MemberFacts) -> str:
    return "covered by an active dibao grant" + (f" ({m.dibao_detail})" if m.dibao_detail else "")


def _disability(m: MemberFacts) -> str:
    if m.disability_grade is None:
        return "disabled"
    category = f", category {m.disability_category}" if m.disability_category else ""
    return f"disability grade {m.disability_grade}{category}"


def _severe(m: MemberFacts) -> bool:
    return m.disability_grade in (1, 2)


def _e1_dibao(m: MemberFacts, on: date) -> _Check:
    if m.dibao_covered:
        return _Check(True, False, (_r("dibao", f"{_dibao(m)} on {day(on)} (D2-D5)"),))
    detail = f"not covered by an active dibao grant on {day(on)}; a grant needs a decided case (D5)"
    return _Check(False, False, (_r("dibao", detail),))


def _e2_medical(m: MemberFacts, on: date) -> _Check:
    facts = [f for ok, f in ((m.dibao_covered, _dibao(m)), (m.tekun, _tekun(m))) if ok]
    if facts:
        return _Check(True, True, (_r("medical_premium_full", "; ".join(facts)),))
    return _Check(False, True, (_r("medical_premium_full", "neither covered by dibao nor 特困"),))


def _e3_major_illness(m: MemberFacts, on: date) -> _Check:
    pairs = (
        (m.tekun, _tekun(m)),
        (m.dibao_covered, _dibao(m)),
        (_severe(m), f"severe {_disability(m)}"),
        (m.health == "serious_illness", "serious illness"),
    )
    facts = [f for ok, f in pairs if ok]
    code = "major_illness_accident_insurance"
    if facts:
        return _Check(True, True, (_r(code, "; ".join(facts)),))
    missing = "not 特困, not covered by dibao, no severe disability (grade 1-2), no serious illness"
    return _Check(False, True, (_r(code, missing),))


def _e4_disability_living(m: MemberFacts, on: date) -> _Check:
    code = "disability_living_subsidy"
    if not (m.health == "disabled" or m.disability_grade is not None):
        return _Check(False, True, (_r(code, "not disabled"),))
    if m.dibao_covered:  # (十三) dibao coverage is a route of its own: no registration needed
        return _Check(True, False, (_r(code, f"{_disability(m)}; {_dibao(m)}"),))
    return _Check(True, True, (_r(code, _disability(m)),))


def _e5_nursing(m: MemberFacts, on: date) -> _Check:
    code = "severe_disability_nursing_subsidy"
    if _severe(m):
        return _Check(True, False, (_r(code, _disability(m)),))
    shown = _disability(m) if m.disability_grade is not None else "no disability grade"
    return _Check(False, False, (_r(code, f"{shown}; the subsidy needs grade 1 or 2"),))


def _e6_education(m: MemberFacts, on: date) -> _Check:
    if m.in_school:
        return _Check(True, True, (_r("education_aid", "in school"),))
    return _Check(False, True, (_r("education_aid", "not in school"),))


def _e8_skills(m: MemberFacts, on: date) -> _Check:
    code = "skills_training"
    if m.birth_date > on:
        return _Check(False, True, (_r(code, f"born {day(m.birth_date)}, after {day(on)}"),))
    age = age_on(m.birth_date, on)
    in_age = SKILLS_MIN_AGE <= age <= SKILLS_MAX_AGE
    able = m.labour_capacity in WITH_LABOUR
    detail = f"age {age} with labour capacity {m.labour_capacity}"
    if in_age and able:
        return _Check(True, True, (_r(code, detail),))
    missing = []
    if not in_age:
        missing.append(f"aged {SKILLS_MIN_AGE}-{SKILLS_MAX_AGE} needed")
    if not able:
        missing.append("labour capacity ordinary, skilled or partial needed")
    return _Check(False, True, (_r(code, f"{detail}: {'; '.join(missing)}"),))


_PERSON_RULES: dict[str, Callable[[MemberFacts, date], _Check]] = {
    "dibao": _e1_dibao,
    "medical_premium_full": _e2_medical,
    "major_illness_accident_insurance": _e3_major_illness,
    "disability_living_subsidy": _e4_disability_living,
    "severe_disability_nursing_subsidy": _e5_nursing,
    "education_aid": _e6_education,
    "skills_training": _e8_skills,
}


def _e7_microcredit(h: HouseholdFacts) -> _Check:
    code = "microcredit_interest_subsidy"
    kind = h.support_type
    if kind is None:
        kind, _ = support_type(m.labour_capacity for m in h.members if m.is_current_member)
    if kind == DEVELOPMENT:
        return _Check(True, True, (_r(code, "development-type household (R4)"),))
    return _Check(
        False,
        True,
        (_r(code, f"{kind}-type household; the subsidy needs development-type (R4)"),),
    )


def _registration(h: HouseholdFacts, on: date) -> _Registration:
    status = h.status_on_date
    if status == "registered":
        since = f" since {day(h.registered_on)}" if h.registered_on else ""
        return _Registration("direct", (Reason("R6", "八", f"household registered{since}"),))
    if status == "exited" and h.exit_date and h.retention_end:
        if is_retained(h.exit_date, h.retention_end, on):
            return _Registration("retained", (retention_reason(h.exit_date, h.retention_end),))
        detail = f"exited {day(h.exit_date)}; retention ended {day(h.retention_end)}"
        return _Registration(None, (Reason("R7", "八", detail),))
    if status == "exited":
        return _Registration(None, (Reason("R7", "八", "household exited; no retention recorded"),))
    if status == "removed":
        return _Registration(None, (Reason("R6", "八", "household removed (注銷)"),))
    return _Registration(None, (Reason("R6", "八", f"household not registered on {day(on)}"),))


def _decide(
    code: str,
    person_id: object | None,
    check: _Check,
    reg: _Registration,
    held: Entitlement | None,
    exit_date: date | None,
) -> Entitlement:
    if check.met and not check.needs_registration:
        return Entitlement(code, person_id, True, "direct", check.reasons)
    if check.met and reg.basis is not None:
        return Entitlement(code, person_id, True, reg.basis, reg.reasons + check.reasons)
    if reg.basis == "retained" and held is not None and _BY_CODE[code].retainable and exit_date:
        # R7 (a): held on the day before the exit, so it continues for a current member.
        before = day(day_before(exit_date))
        carried = tuple(
            Reason(r.rule, r.clause, f"held on {before}: {r.detail}")
            for r in held.reasons
            if r.rule == _BY_CODE[code].rule
        )
        return Entitlement(code, person_id, True, "retained", reg.reasons + carried)
    if check.met:  # conditions met, registration missing
        return Entitlement(code, person_id, False, None, check.reasons + reg.reasons)
    extra = reg.reasons if check.needs_registration and reg.basis is None else ()
    return Entitlement(code, person_id, False, None, check.reasons + extra)


def _held_before_exit(
    h: HouseholdFacts, codes: frozenset[str] | None = None
) -> dict[tuple[str, object | None], Entitlement]:
    snapshot = h.snapshot_before_exit
    if snapshot is None or h.exit_date is None:
        return {}
    before = evaluate(snapshot, day_before(h.exit_date), codes=codes)
    return {(e.code, e.person_id): e for e in before if e.eligible}


def evaluate(
    household: HouseholdFacts, on: date, *, codes: frozenset[str] | None = None
) -> list[Entitlement]:
    """Section 3 + R7 (八-十六): every catalogue code for every current member, and the household.

    `codes` limits the answer to those catalogue codes (a roster needs one); each answer is the
    same as in the full evaluation, since no code's rule depends on another's.
    """
    if codes is not None and not codes <= set(CODES):
        raise PolicyError("policy.entitlement.unknown_code", f"unknown codes {sorted(codes - set(CODES))}")
    h = household
    reg = _registration(h, on)
    held = _held_before_exit(h, codes) if reg.basis == "retained" else {}
    items: list[Entitlement] = []
    for m in h.members:
        if not m.is_current_member:
            continue  # R7: a person who left loses what was retained for them
        for entry in CATALOGUE:
            if entry.level != "person" or (codes is not None and entry.code not in codes):
                continue
            check = _PERSON_RULES[entry.code](m, on)
            found = held.get((entry.code, m.person_id))
            items.append(_decide(entry.code, m.person_id, check, reg, found, h.exit_date))
    nobody = not any(m.is_current_member for m in h.members)
    for entry in CATALOGUE:
        if entry.level == "household" and (codes is None or entry.code in codes):
            if nobody:
                items.append(_nobody_left(entry.code, on))
                continue
            check = _e7_microcredit(h)
            found = held.get((entry.code, None))
            items.append(_decide(entry.code, None, check, reg, found, h.exit_date))
    return items


def _nobody_left(code: str, on: date) -> Entitlement:
    """(R7, 八) a household entitlement is held for its members: when the last one has left or
    died, nobody is left to hold it, directly or retained ("a person who leaves the household,
    or dies, loses what was retained for them")."""
    return Entitlement(code, None, False, None, (
        _r(code, f"the household has no member on {day(on)}"),
        Reason("R7", "八", "the last member left or died: nobody holds a household-level "
               "entitlement, nothing is retained"),
    ))


def retention_of(household: HouseholdFacts) -> Retention | None:
    """R7 (八): the API `retention` {exit_date, retention_end} of an exited household, else None."""
    h = household
    if h.status_on_date == "exited" and h.exit_date and h.retention_end:
        return Retention(h.exit_date, h.retention_end)
    return None


def entitlements_answer(household: HouseholdFacts, on: date) -> dict[str, object]:
    """Section 3: the body of GET …/entitlements (household_id, as_of, status, retention, items)."""
    retention = retention_of(household)
    return {
        "household_id": household.household_id,
        "as_of": day(on),
        "status": household.status_on_date,
        "retention": retention.as_dict() if retention else None,
        "items": [e.as_dict() for e in evaluate(household, on)],
    }
