"""A household or person of the registry as the specification's `Group` and `Member` records."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from app.auth.scoping import district_of
from app.dci.registry_reads import HouseholdView
from app.households.schemas import EntitlementsOut, MemberOut
from app.policy.dates import age_on as policy_age_on
from app.policy.retention import is_retained

CONTEXT = {"spdci": "https://schema.spdci.org/extensions/social/v1/",
           "common": "https://schema.spdci.org/common/v1/",
           "xsd": "http://www.w3.org/2001/XMLSchema#"}
POVERTY_SCORE_TYPE = "per-capita-net-income-cny-per-year"
HEAD = "02"


def age_on(birth: date, on: date) -> int | None:
    """Section 3's age on `on` (the policy's function); None before the birth."""
    return policy_age_on(birth, on) if on >= birth else None


def _current(view: HouseholdView) -> list[MemberOut]:
    return [m for m in view.household.members if m.is_member]


def poverty_score(view: HouseholdView) -> Decimal | None:
    """The per-capita net income of the assessment in force over the household's members on the
    date (R8, R1), as the rules wrote it into the timeline: the value searches compare."""
    return view.per_capita_income


def retained(view: HouseholdView) -> bool:
    """R7 (八) on the answer's date, by the policy's own rule."""
    h = view.household
    return h.status == "exited" and h.retention is not None and is_retained(
        h.retention.exit_date, h.retention.retention_end, h.as_of)


def _identifier(kind: str, value: str) -> dict[str, str]:
    return {"@type": "Identifier", "identifier_type": kind, "identifier_value": value}


def member_record(view: HouseholdView, m: MemberOut,
                  entitlements: EntitlementsOut | None = None) -> dict[str, Any]:
    """A person as the specification's Member (demographic_info an SRPerson). `id_number` is as
    the REST API shows it: masked unless the sender's client holds pii:read."""
    h = view.household
    extra: list[dict[str, Any]] = [
        {"household_id": str(h.id)}, {"is_member": m.is_member},
        {"age": age_on(m.birth_date, h.as_of)}, {"labour_capacity": m.labour_capacity},
        {"health": m.health}, {"in_school": m.in_school},
        {"stable_nonfarm_employment": m.stable_nonfarm_employment},
        {"tekun_since": m.tekun_since.isoformat() if m.tekun_since else None},
        {"dibao_covered": m.id in view.covered},
    ]
    if entitlements is not None:
        extra.append({"entitlements": [
            {"code": e.code, "basis": e.basis} for e in entitlements.items
            if e.person_id == m.id and e.eligible]})
    record = {
        "@type": "spdci:Member",
        "@id": f"urn:xiaokang:person:{m.id}",
        "member_identifier": [_identifier("NIN", m.id_number), _identifier("PERSON_ID", str(m.id))],
        "demographic_info": {
            "@type": "SRPerson",
            "identifier": [_identifier("NIN", m.id_number)],
            "name": {"@type": "Name", "full_name": m.name},
            "sex": m.sex,
            "birth_date": m.birth_date.isoformat(),
            "address": {"@type": "Address", "street_address": h.address or "",
                        "region_code": h.village_code, "country": "CN"},
        },
        "is_disabled": m.disability is not None,
        "disability_info": ({"category": m.disability.category, "grade": m.disability.grade}
                            if m.disability else None),
        "relationship_head": m.relation,
        "registration_date": m.joined_on.isoformat(),
        "left_on": m.left_on.isoformat() if m.left_on else None,
        "additional_attributes": extra,
    }
    return record


def group_record(view: HouseholdView, entitlements: EntitlementsOut | None = None
                 ) -> dict[str, Any]:
    """A household as the specification's Group: current members in `member_list`."""
    h = view.household
    current = _current(view)
    head = next((m for m in current if m.relation == HEAD), None)
    score = poverty_score(view)
    extra: list[dict[str, Any]] = [
        {"as_of": h.as_of.isoformat()}, {"status": h.status}, {"retained": retained(view)},
        {"retention_end": h.retention.retention_end.isoformat() if h.retention else None},
        {"exit_date": h.retention.exit_date.isoformat() if h.retention else None},
        {"support_type": h.support_type}, {"dibao_covered": bool(view.covered)},
        {"causes": {"main": h.causes.main, "others": list(h.causes.others)}},
        {"assessment_year": h.latest_assessment.year if h.latest_assessment else None},
        {"version": h.version},
    ]
    if entitlements is not None:
        extra.append({"entitlements": [
            {"code": e.code, "person_id": str(e.person_id) if e.person_id else None,
             "basis": e.basis} for e in entitlements.items if e.eligible]})
    return {
        "@context": CONTEXT,
        "@id": f"urn:xiaokang:household:{h.id}",
        "@type": "spdci:Group",
        "group_identifier": [_identifier("HOUSEHOLD_ID", str(h.id))],
        "group_type": "household",
        "place": {"@type": "Place", "address": h.address or "", "region_code": h.village_code,
                  "district_code": district_of(h.village_code), "group": h.group},
        "poverty_score": str(score) if score is not None else None,
        "poverty_score_type": POVERTY_SCORE_TYPE,
        "group_head_info": member_record(view, head) if head else None,
        "group_size": len(current),
        "member_list": [member_record(view, m) for m in current],
        "registration_date": h.registered_on.isoformat(),
        "additional_attributes": extra,
    }
