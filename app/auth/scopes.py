"""Roles and scopes: the one table that says what each role may do (API.md, "Roles")."""

from __future__ import annotations

ROLES = ("admin", "city_officer", "district_officer", "town_officer", "first_secretary", "auditor",
         "household_cadre")

# Every scope the API knows. Clients are granted any of these explicitly.
SCOPES: dict[str, str] = {
    "regions:read": "read regions and key areas",
    "regions:write": "add towns, villages and key-area towns",
    "policy:read": "read poverty and weak-village lines",
    "policy:write": "set poverty and weak-village lines",
    "households:read": "read the household registry",
    "households:write": "register households and record changes",
    "villages:read": "read villages, incomes and the eight haves",
    "villages:write": "record village incomes and the eight haves",
    "pairings:read": "read helpers and pairings",
    "pairings:write": "record helpers and pairings",
    "dibao:read": "read dibao standards, cases and grants",
    "dibao:write": "record dibao standards and case decisions",
    "insurance:read": "read insurance schemes and rosters",
    "insurance:write": "generate rosters and post confirmations",
    "imports:write": "run bulk imports",
    "reports:read": "read reports",
    "events:read": "read the change feed",
    "webhooks:write": "manage webhook subscriptions",
    "audit:read": "read the audit log",
    "accounts:admin": "manage users and machine clients",
    "pii:read": "see unmasked ID numbers (every read is logged)",
    "dci:search": "search the registry through the DCI Social Registry API",
    "dci:subscribe": "subscribe to registry events through the DCI Social Registry API",
    "households:lifecycle": "register, exit, return and remove households directly (A1: district "
                            "level and imports; the field proposes)",
    "proposals:read": "read proposals, objections, change requests and decision records",
    "proposals:write": "propose, record the village appraisal, publicity and objections; "
                       "request changes (A1-A3)",
    "proposals:review": "record the town review of a proposal (A1)",
    "proposals:decide": "approve or reject proposals and change requests (A1, A2)",
}

_READ = [s for s in SCOPES if s.endswith(":read") and s not in ("pii:read", "audit:read")]
_REGISTRY_WRITE = [
    "households:write", "villages:write", "pairings:write", "dibao:write", "insurance:write",
    "imports:write",
]

# pii:read belongs to no role but admin; others get it only through extra_scopes.
ROLE_SCOPES: dict[str, frozenset[str]] = {
    "admin": frozenset(SCOPES),
    "city_officer": frozenset([*_READ, *_REGISTRY_WRITE, "policy:write", "regions:write"]),
    "district_officer": frozenset([*_READ, *_REGISTRY_WRITE, "policy:write"]),
    "town_officer": frozenset([*_READ, "households:write", "villages:write", "pairings:write",
                               "dibao:write"]),
    "first_secretary": frozenset(["households:read", "households:write", "villages:read",
                                  "pairings:read", "policy:read", "regions:read",
                                  "reports:read", "dibao:read", "proposals:read",
                                  "proposals:write"]),
    "auditor": frozenset([*_READ, "audit:read"]),
    # 结对帮扶责任人: the households of their active household_cadre pairings (app.pairings.signin)
    "household_cadre": frozenset(["households:read", "households:write", "policy:read",
                                  "proposals:read", "proposals:write"]),
}
# A1: direct lifecycle writes stay with the district level (and imports); town officers and the
# field propose. Town officers review; the district decides.
_DIRECT = ["households:lifecycle", "proposals:write", "proposals:review", "proposals:decide"]
for _role in ("admin", "city_officer", "district_officer"):
    ROLE_SCOPES[_role] = ROLE_SCOPES[_role] | frozenset(_DIRECT)
ROLE_SCOPES["town_officer"] = ROLE_SCOPES["town_officer"] | frozenset(
    ["proposals:write", "proposals:review"])

# Roles that act as a helper (a first secretary, a household cadre): a user linked to one.
HELPER_ROLES = ("first_secretary", "household_cadre")


def scopes_for_role(role: str, extra: list[str] | None = None) -> frozenset[str]:
    return ROLE_SCOPES.get(role, frozenset()) | frozenset(extra or ())


def unknown_scopes(scopes: list[str]) -> list[str]:
    return [s for s in scopes if s not in SCOPES]
