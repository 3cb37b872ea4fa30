"""Households with their members and assessment: one row per member, the rows of a household
together and sharing its key (`household_key`). Each household passes what
`POST /api/v1/households` checks: the API's schema (HouseholdIn), the village in the caller's
region, causes (registry.check_causes), one head, GB 11643 numbers (policy.ids), no number twice,
and R1/R6 registration (policy.lifecycle.check_register against the line in force)."""

from __future__ import annotations

import json
import uuid
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from app.auth.scoping import principal_prefix
from app.errors import DomainError
from app.households.schemas import HouseholdIn, MemberIn
from app.households.service.registry import check_causes
from app.imports import values as V
from app.imports.kinds.base import Kind, RowError, StageTable, pydantic_errors, shown, text_of
from app.imports.kinds.sql import (
    HOUSEHOLD_STEPS,
    REGISTERED_EVENTS,
    count,
    emit_selected,
    reject_units_with_errors,
    run_steps,
)
from app.models.regions import Region
from app.policy import ids, lifecycle
from app.policy.errors import InvalidIdNumber, NoLineInForce
from app.policy.household_shape import check_heads
from app.policy.income import AssessmentFacts, default_assessed_on
from app.policy.lines import district_code_of
from app.policy.lines import line_in_force as rule_line_in_force
from app.policy_lines.service import line_versions

HOUSEHOLD_FIELDS = ("household_key", "village_code", "group", "address", "registered_on",
                    "cause_main", "cause_others", "assessment_year", "wage_income",
                    "business_income", "property_income", "transfer_income", "production_costs",
                    "net_income", "assessed_on")
MEMBER_FIELDS = ("name", "id_number", "relation", "labour_capacity", "health",
                 "disability_category", "disability_grade", "in_school",
                 "stable_nonfarm_employment", "tekun_since", "joined_on")
_ASSESSMENT = {"assessment_year": "year", "wage_income": "wage_income",
               "business_income": "business_income", "property_income": "property_income",
               "transfer_income": "transfer_income", "production_costs": "production_costs",
               "assessed_on": "assessed_on"}
_BACK = {"year": "assessment_year", "main": "cause_main", "others": "cause_others"}

MEMBER_STAGE = StageTable("stg_member", (
    ("id", "uuid"), ("household_id", "uuid"), ("line", "int"), ("name", "text"),
    ("id_number_enc", "bytea"), ("id_hash", "bytea"), ("masked", "text"), ("birth_date", "date"),
    ("sex", "text"), ("relation", "text"), ("joined_on", "date"), ("labour_capacity", "text"),
    ("health", "text"), ("disability_category", "int"), ("disability_grade", "int"),
    ("in_school", "bool"), ("stable_nonfarm_employment", "bool"), ("tekun_since", "date")))


def member_body(v: dict[str, str]) -> dict[str, Any]:
    """A MemberIn body from a row (labels turned into codes; empty cells left out). The
    pipeline hands the cells stripped (`text_of` would strip them again)."""
    g = v.get
    body: dict[str, Any] = {"name": g("name") or "", "id_number": g("id_number") or "",
                            "relation": V.relation(g("relation") or ""),
                            "labour_capacity": V.label(g("labour_capacity") or "", V.LABOUR),
                            "health": V.label(g("health") or "", V.HEALTH)}
    cat, grade = g("disability_category"), g("disability_grade")
    if cat or grade:
        body["disability"] = {"category": cat or "", "grade": grade or ""}
    for f in ("in_school", "stable_nonfarm_employment"):
        if g(f):
            body[f] = V.boolean(v[f])
    for f in ("tekun_since", "joined_on"):
        if g(f):
            body[f] = V.day(v[f])
    return body


def member_in(body: dict[str, Any]) -> MemberIn | dict[str, Any]:
    """The member validated by the API's MemberIn, or its body unchanged when it is refused.
    HouseholdIn then takes the validated members as they are (pydantic does not validate an
    instance twice) and validates the refused ones again, reporting their errors at
    members[i] exactly as it would have: the same schema, checked once instead of twice."""
    try:
        return MemberIn.model_validate(body)
    except ValidationError:
        return body


def member_loc_field(rest: tuple) -> str | None:
    if not rest:
        return None
    if rest[0] == "disability":
        return "disability_" + str(rest[1]) if len(rest) > 1 else "disability_category"
    return str(rest[0])


_API_TO_FIELD = {v: k for k, v in _ASSESSMENT.items()}


def _locators(body: dict[str, Any], lines: list[int], first_line: int):
    """(where, raw) for pydantic_errors: the line and field of an error's loc in HouseholdIn,
    and the value as read (only needed when a household is refused)."""

    def where(loc: tuple) -> tuple[int, str | None]:
        if loc and loc[0] == "members" and len(loc) > 1 and isinstance(loc[1], int):
            return lines[loc[1]], member_loc_field(loc[2:])
        f = str(loc[-1]) if loc else None
        return first_line, _API_TO_FIELD.get(f, _BACK.get(f, f))

    def raw(loc: tuple) -> Any:
        node: Any = body
        for p in loc:
            try:
                node = node[p]
            except (KeyError, IndexError, TypeError):
                return None
        return node if not isinstance(node, dict | list) else None

    return where, raw


def parse_member_id(number: str, on, line: int) -> ids.ParsedId | RowError:
    """Section 2 (GB 11643) through the policy rule; the error carries the rule's code."""
    try:
        return ids.parse_id_number(number, on=on)
    except InvalidIdNumber as e:
        return RowError(line, "id_number", e.code, e.detail, shown("id_number", number))


def member_record(kind: Kind, household_id: uuid.UUID, line: int, m, p: ids.ParsedId,
                  joined) -> tuple:
    d = m.disability
    sealer = kind.sealer
    return (kind.new_id(), household_id, line, m.name, sealer.encrypt(p.number),
            sealer.id_hash(p.number), ids.mask_id(p.number), p.birth_date, p.sex,
            m.relation, joined, m.labour_capacity, m.health, d.category if d else None,
            d.grade if d else None, m.in_school, m.stable_nonfarm_employment, m.tekun_since)


async def villages_in_region(ctx) -> set[str]:
    """The village codes the caller may import into (loaded once: a few thousand codes)."""
    prefix = principal_prefix(ctx.principal)
    if prefix is None:
        return set()
    rows = await ctx.session.scalars(select(Region.code).where(
        Region.level == "village", Region.code.like(f"{prefix}%")))
    return set(rows.all())


async def load_poverty_lines(ctx, villages: set[str]) -> None:
    """R1 line versions of each 市(區) (a few rows), for the pure rule to pick the one in force."""
    lines = ctx.cache.setdefault("poverty_lines", {})
    for district in {district_code_of(v) for v in villages} - set(lines):
        lines[district] = await line_versions(ctx.session, district)


def _parsed_ids(data: HouseholdIn, lines, errors: list[RowError]) -> list[ids.ParsedId]:
    """The members' ID numbers, parsed; an unparsable or repeated one is a row error."""
    parsed: list[ids.ParsedId] = []
    seen: dict[str, int] = {}
    for ln, m in zip(lines, data.members, strict=True):
        p = parse_member_id(m.id_number, m.joined_on or data.registered_on, ln)
        if isinstance(p, RowError):
            errors.append(p)
            continue
        if p.number in seen:
            errors.append(RowError(ln, "id_number", "member.id_number_repeated",
                                   f"the same ID number is on line {seen[p.number]}",
                                   ids.mask_id(p.number)))
        seen.setdefault(p.number, ln)
        parsed.append(p)
    return parsed


def _net_income(a, first, first_line, errors: list[RowError]) -> Decimal:
    """The assessment's net income from its parts; a stated one must be the same."""
    net = (a.wage_income + a.business_income + a.property_income + a.transfer_income
           - a.production_costs)
    given = text_of(first, "net_income")
    if given:
        try:
            stated = Decimal(V.money(given))
        except InvalidOperation:
            stated = None
        if stated is None or stated != net:
            errors.append(RowError(first_line, "net_income", "import.net_income.mismatch",
                                   f"net income is wage + business + property + transfer − "
                                   f"production costs = {net}", given))
    return net


# Row 34: one decision record per household, as POST /households records it (the facts and the
# line version `registry.evaluate_register` answers, the rule ids in the order of the reasons),
# its entrance `import` and the job named in its params; one statement for the whole file.
REGISTER_DECISIONS = """
    INSERT INTO decision_record (id, kind, subject_type, subject_id, household_id, region_code,
                                 decided_on, outcome, entrance, rules, facts, policy_versions,
                                 reasons, params, decided_by)
    SELECT gen_random_uuid(), 'register', 'household_event', e.id, s.id, s.village_code,
           s.registered_on, 'approved', 'import',
           (SELECT coalesce(jsonb_agg(q.rule ORDER BY q.first), '[]'::jsonb)
              FROM (SELECT x.r->>'rule' AS rule, min(x.o) AS first
                      FROM jsonb_array_elements(s.reasons) WITH ORDINALITY AS x(r, o)
                     GROUP BY 1) q),
           jsonb_build_object(
               'date', to_char(s.registered_on, 'YYYY-MM-DD'), 'persons', s.persons,
               'assessment', jsonb_build_object(
                   'year', s.year, 'version', 1,
                   'assessed_on', to_char(s.assessed_on, 'YYYY-MM-DD'),
                   'net_income', s.net::text)),
           jsonb_build_object('poverty_line', jsonb_build_object(
               'region_code', s.line_region,
               'effective_from', to_char(s.line_from, 'YYYY-MM-DD'),
               'amount', s.line_amount)),
           s.reasons,
           jsonb_build_object('household_id', s.id, 'event_seq', 1,
                              'body', jsonb_build_object('registered_on',
                                                         to_char(s.registered_on, 'YYYY-MM-DD')),
                              'import_job_id', $2::text),
           $1::text
    FROM stg_household s
    JOIN household_event e ON e.household_id = s.id AND e.seq = 1
    WHERE NOT s.rejected"""


class Households(Kind):
    merged_households = "SELECT id FROM stg_household WHERE NOT rejected"
    name = "households"
    fields = HOUSEHOLD_FIELDS + MEMBER_FIELDS
    required = ("household_key", "village_code", "registered_on", "cause_main", "assessment_year",
                "name", "id_number", "relation", "labour_capacity", "health")
    tables = (
        StageTable("stg_household", (
            ("id", "uuid"), ("hkey", "text"), ("line", "int"), ("village_code", "text"),
            ("group_name", "text"), ("address", "text"), ("registered_on", "date"),
            ("cause_main", "text"), ("cause_others", "text[]"), ("year", "int"),
            ("assessed_on", "date"), ("wage", "numeric"), ("business", "numeric"),
            ("property", "numeric"), ("transfer", "numeric"), ("costs", "numeric"),
            ("net", "numeric"), ("persons", "int"), ("reasons", "jsonb"),
            # the R1 line version the rule used, for the decision record
            ("line_region", "text"), ("line_from", "date"), ("line_amount", "text"))),
        MEMBER_STAGE,
    )

    def __init__(self, ctx) -> None:
        super().__init__(ctx)
        self.key: str | None = None
        self.group: list[tuple[int, dict[str, str]]] = []
        self.villages: set[str] = set()

    async def prepare(self) -> None:
        self.villages = await villages_in_region(self.ctx)
        await load_poverty_lines(self.ctx, self.villages)

    def accept(self, line: int, values: dict[str, str]) -> None:
        key = text_of(values, "household_key")
        if not key:
            self.reject([RowError(line, "household_key", "field.required",
                                  "every row names its household")])
            return
        if key != self.key:
            self.close()
            self.key = key
        self.group.append((line, values))

    def close(self) -> None:
        if self.group:
            self._household(self.group)
        self.group = []
        self.key = None

    def _household(self, rows: list[tuple[int, dict[str, str]]]) -> None:
        lines = [ln for ln, _ in rows]
        first_line, first = rows[0]
        why = f"household {text_of(first, 'household_key')} (line {first_line}) is rejected"
        errors: list[RowError] = []
        shared = [first.get(f) for f in HOUSEHOLD_FIELDS]
        for ln, v in rows[1:]:  # household columns repeated on member rows must agree
            if [v.get(f) for f in HOUSEHOLD_FIELDS] == shared:
                continue  # the usual case: the same cells
            for f in HOUSEHOLD_FIELDS[1:]:
                if text_of(v, f) and text_of(first, f) and text_of(v, f) != text_of(first, f):
                    errors.append(RowError(ln, f, "import.household.inconsistent",
                                           f"differs from line {first_line} of the same household",
                                           text_of(v, f)))
        g = first.get  # cells come stripped from the pipeline
        body: dict[str, Any] = {"village_code": g("village_code") or "",
                                "registered_on": V.day(g("registered_on") or ""),
                                "causes": {"main": V.label(g("cause_main") or "", V.CAUSES),
                                           "others": V.many(g("cause_others") or "", V.CAUSES)},
                                "assessment": {},
                                "members": [member_in(member_body(v)) for _, v in rows]}
        for f in ("group", "address"):
            if g(f):
                body[f] = g(f)
        assessment = body["assessment"]
        for f, api in _ASSESSMENT.items():
            raw_value = g(f)
            if raw_value:
                assessment[api] = V.day(raw_value) if f == "assessed_on" else (
                    raw_value if f == "assessment_year" else V.money(raw_value))
        try:
            data = HouseholdIn.model_validate(body)
        except ValidationError as e:
            self.reject(errors + pydantic_errors(e, *_locators(body, lines, first_line)),
                        lines, why)
            return
        self._validated(data, rows, lines, first_line, first, errors, why)

    def _validated(self, data: HouseholdIn, rows, lines, first_line, first, errors, why) -> None:
        ctx = self.ctx
        if data.village_code not in self.villages:
            errors.append(RowError(first_line, "village_code", "household.village_unknown",
                                   f"{data.village_code} is not a village in your region",
                                   data.village_code))
        try:
            check_causes(data.causes, ["cause_others"])
        except DomainError as e:
            errors.append(RowError(first_line, "cause_others", e.code, e.detail))
        shape = check_heads(m.relation for m in data.members)
        if not shape.ok:
            r = shape.first_refusal
            errors.append(RowError(first_line, "relation", r.code, r.reason.detail))
        parsed = _parsed_ids(data, lines, errors)
        a = data.assessment
        net = _net_income(a, first, first_line, errors)
        if errors:
            self.reject(errors, lines, why)
            return
        assessed_on = a.assessed_on or default_assessed_on(a.year)
        facts = AssessmentFacts(id=None, year=a.year, assessed_on=assessed_on, version=1,
                                wage=a.wage_income, business=a.business_income,
                                property=a.property_income, transfer=a.transfer_income,
                                production_costs=a.production_costs)
        try:
            versions = ctx.cache["poverty_lines"][district_code_of(data.village_code)]
            line = rule_line_in_force(versions, data.village_code, data.registered_on)
            decision = lifecycle.check_register(facts, line, len(data.members), data.registered_on,
                                                events=[])
        except NoLineInForce as e:
            self.reject([RowError(first_line, "registered_on", e.code, e.detail,
                                  str(data.registered_on))], lines, why)
            return
        if not decision.ok:
            self.reject([RowError(first_line, "assessment_year", r.code,
                                  f"{r.reason.rule} ({r.reason.clause}): {r.reason.detail}")
                         for r in decision.refusals], lines, why)
            return
        hid = self.new_id()
        self.buffers["stg_household"].append((
            hid, text_of(first, "household_key"), first_line, data.village_code, data.group,
            data.address, data.registered_on, data.causes.main, list(data.causes.others), a.year,
            assessed_on, a.wage_income, a.business_income, a.property_income, a.transfer_income,
            a.production_costs, net, len(data.members),
            json.dumps([r.as_dict() for r in decision.reasons], ensure_ascii=False, default=str),
            line.region_code, line.effective_from, str(line.amount)))
        out = self.buffers["stg_member"]
        for ln, m, p in zip(lines, data.members, parsed, strict=True):
            out.append(member_record(self, hid, ln, m, p, m.joined_on or data.registered_on))

    async def check(self) -> None:
        conn, job = self.ctx.conn, self.ctx.job_id
        await conn.execute("CREATE INDEX ON stg_member (id_hash)")
        await conn.execute("ANALYZE stg_member; ANALYZE stg_household")
        # A household key met twice: its rows are not together (or two households share it).
        await conn.execute("""
            INSERT INTO import_error (job_id, line, field, code, message, value)
            SELECT $1, h.line, 'household_key', 'import.household_key.repeated',
                   'the rows of a household must be together; key also used on line '
                   || h.other, h.hkey
            FROM (SELECT line, hkey, CASE WHEN line = min(line) OVER w THEN max(line) OVER w
                                          ELSE min(line) OVER w END AS other,
                         count(*) OVER w AS n
                  FROM stg_household WINDOW w AS (PARTITION BY hkey)) h
            WHERE h.n > 1""", job)
        await conn.execute("""
            UPDATE stg_household SET rejected = true
            WHERE hkey IN (SELECT hkey FROM stg_household GROUP BY hkey HAVING count(*) > 1)""")
        await duplicate_numbers(conn, job, "stg_member")
        await reject_units_with_errors(conn, job, "stg_household", "stg_member", "household_id")

    async def merge(self) -> dict[str, int]:
        p = self.ctx.principal
        n = await run_steps(self.ctx.conn, HOUSEHOLD_STEPS, p.actor, p.name or p.actor,
                            str(self.ctx.job_id))
        await emit_selected(self.ctx.conn, "household.registered", "household",
                            REGISTERED_EVENTS, str(self.ctx.job_id))
        decisions = count(await self.ctx.conn.execute(
            REGISTER_DECISIONS, p.actor, str(self.ctx.job_id)))
        return {"households": n[0], "members": n[1], "assessments": n[3], "decisions": decisions}


async def duplicate_numbers(conn, job: uuid.UUID, table: str) -> None:
    """Section 2: a number is held by one current member. Within the file the first row keeps it
    (member.id_number_repeated on the later ones); against the registry, member.id_number_taken."""
    await conn.execute(f"""
        INSERT INTO import_error (job_id, line, field, code, message, value)
        SELECT $1, m.line, 'id_number', 'member.id_number_repeated',
               'the same ID number is on line ' || d.first_line, m.masked
        FROM (SELECT id_hash, min(line) AS first_line FROM {table} GROUP BY id_hash
              HAVING count(*) > 1) d
        JOIN {table} m ON m.id_hash = d.id_hash AND m.line > d.first_line""", job)
    await conn.execute(f"""
        INSERT INTO import_error (job_id, line, field, code, message, value)
        SELECT $1, m.line, 'id_number', 'member.id_number_taken',
               'the ID number belongs to a current member of another household', m.masked
        FROM {table} m
        WHERE EXISTS (SELECT 1 FROM household_member hm
                      WHERE hm.id_hash = m.id_hash AND hm.left_on IS NULL)""", job)
