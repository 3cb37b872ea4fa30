"""Members added to existing households, and income assessments of existing households.

The household is named by `household_id` or by its head's ID number (`head_id_number`), found
set-based through the keyed hash. Members pass what `POST …/members` checks (MemberIn, GB 11643
through policy.ids, household in the caller's region and not removed, one head, the number free);
assessments what `POST …/assessments` checks (AssessmentCreate; a second one of a year is the
next version; persons default to the members on the assessment date)."""

from __future__ import annotations

import uuid

from pydantic import ValidationError

from app.auth.scoping import principal_prefix
from app.dibao.adjust import GRANT_STATES, on_assessment_recorded, on_membership_changed
from app.households.schemas import AssessmentCreate, MemberIn
from app.imports import values as V
from app.imports.kinds.base import Kind, RowError, StageTable, pydantic_errors, text_of
from app.imports.kinds.households import (
    MEMBER_FIELDS,
    MEMBER_STAGE,
    duplicate_numbers,
    member_body,
    member_loc_field,
    member_record,
    parse_member_id,
)
from app.imports.kinds.sql import emit_selected, run_steps
from app.policy.household_shape import check_new_member_relation
from app.policy.income import default_assessed_on, per_capita_income

REF_COLUMNS = (("ref_line", "int"), ("ref_id", "uuid"), ("head_hash", "bytea"))


def household_ref(kind: Kind, line: int, values: dict[str, str]) -> tuple | RowError:
    """(household_id, head hash) from the row: a UUID, or the head's ID number (keyed hash)."""
    hid = text_of(values, "household_id")
    if hid:
        try:
            return uuid.UUID(hid), None
        except ValueError:
            return RowError(line, "household_id", "field.uuid_parsing", "not a UUID", hid)
    head = text_of(values, "head_id_number")
    if not head:
        return RowError(line, "head_id_number", "field.required",
                        "name the household: household_id or head_id_number")
    p = parse_member_id(head, None, line)
    if isinstance(p, RowError):
        p.field = "head_id_number"
        return p
    return None, kind.sealer.id_hash(p.number)


async def resolve_households(kind: Kind, table: str, when: str) -> None:
    """Fill household_id from the head's number, then refuse households not found in the
    caller's region (household.not_found, as the API's 404) or removed on `when`."""
    conn, job = kind.ctx.conn, kind.ctx.job_id
    prefix = principal_prefix(kind.ctx.principal) or "-"
    await conn.execute(f"""
        UPDATE {table} t SET ref_id = hm.household_id FROM household_member hm
        WHERE t.ref_id IS NULL AND hm.id_hash = t.head_hash AND hm.left_on IS NULL
          AND hm.relation = '02'""")
    await conn.execute(f"""
        INSERT INTO import_error (job_id, line, field, code, message)
        SELECT $1, t.ref_line, CASE WHEN t.head_hash IS NULL THEN 'household_id'
                                    ELSE 'head_id_number' END,
               'household.not_found', 'no such household in your region'
        FROM {table} t LEFT JOIN household h ON h.id = t.ref_id
        WHERE h.id IS NULL OR h.village_code NOT LIKE $2 || '%'""", job, prefix)
    await conn.execute(f"""
        INSERT INTO import_error (job_id, line, field, code, message)
        SELECT $1, t.ref_line, NULL, 'household.removed',
               'the household is removed (注銷) on ' || t.{when}
        FROM {table} t
        WHERE (SELECT e.kind FROM household_event e WHERE e.household_id = t.ref_id
                 AND e.occurred_on <= t.{when} ORDER BY e.occurred_on DESC, e.seq DESC LIMIT 1)
              = 'remove'""", job)


async def check_relations(conn, job: uuid.UUID) -> None:
    """Section 2 through the one rule (policy.household_shape): each joining member against the
    relations of the household's members on the join date and of those joining it earlier in
    the file. SQL gathers the facts for all rows at once (distinct relations only); the rule
    decides per row; its refusals are COPYed into the error report."""
    await conn.execute("CREATE INDEX ON stg_member (ref_id, line)")
    rows = await conn.fetch("""
        SELECT m.line, m.relation, ARRAY(
                   SELECT hm.relation FROM household_member hm WHERE hm.household_id = m.ref_id
                     AND hm.joined_on <= m.joined_on
                     AND (hm.left_on IS NULL OR hm.left_on > m.joined_on)
                   UNION SELECT o.relation FROM stg_member o
                   WHERE o.ref_id = m.ref_id AND o.line < m.line) AS existing
        FROM stg_member m WHERE m.ref_id IS NOT NULL""")
    errors = []
    for r in rows:
        d = check_new_member_relation(r["existing"], r["relation"])
        if not d.ok:
            f = d.first_refusal
            errors.append((job, r["line"], "relation", f.code, f.reason.detail, r["relation"]))
    if errors:
        await conn.copy_records_to_table("import_error", records=errors, columns=[
            "job_id", "line", "field", "code", "message", "value"])


async def mark_rejected(kind: Kind, table: str, line_column: str = "line") -> None:
    await kind.ctx.conn.execute(f"""
        UPDATE {table} t SET rejected = true FROM import_error e
        WHERE e.job_id = $1 AND e.line = t.{line_column}""", kind.ctx.job_id)


class Members(Kind):
    merged_households = "SELECT DISTINCT ref_id FROM stg_member WHERE NOT rejected"
    name = "members"
    fields = ("household_id", "head_id_number", *MEMBER_FIELDS)
    required = ("name", "id_number", "relation", "labour_capacity", "health")
    tables = (StageTable("stg_member", (*MEMBER_STAGE.columns, *REF_COLUMNS)),)

    def accept(self, line: int, values: dict[str, str]) -> None:
        ref = household_ref(self, line, values)
        body = member_body(values)
        try:
            m = MemberIn.model_validate(body)
        except ValidationError as e:
            errs = pydantic_errors(e, lambda loc: (line, member_loc_field(tuple(loc))),
                                   lambda loc: body.get(loc[0]) if loc else None)
            self.reject(errs + ([ref] if isinstance(ref, RowError) else []))
            return
        joined = m.joined_on or self.ctx.today
        p = parse_member_id(m.id_number, joined, line)
        errors = [e for e in (ref, p) if isinstance(e, RowError)]
        if errors:
            self.reject(errors)
            return
        hid, head_hash = ref
        self.buffers["stg_member"].append(
            (*member_record(self, hid, line, m, p, joined), line, hid, head_hash))

    async def check(self) -> None:
        conn, job = self.ctx.conn, self.ctx.job_id
        await conn.execute("CREATE INDEX ON stg_member (id_hash)")
        await resolve_households(self, "stg_member", "joined_on")
        await duplicate_numbers(conn, job, "stg_member")
        await check_relations(conn, job)
        await mark_rejected(self, "stg_member")

    async def merge(self) -> dict[str, int]:
        p = self.ctx.principal
        n = await run_steps(self.ctx.conn, MEMBER_STEPS, p.actor, p.name or p.actor,
                            str(self.ctx.job_id))
        await emit_selected(self.ctx.conn, "household.member.added", "household", MEMBER_EVENTS,
                            str(self.ctx.job_id))
        # (十四, D2, D7) as POST …/members: the grants of households with an open dibao grant
        for r in await self.ctx.conn.fetch(f"""
                SELECT m.ref_id, m.id, m.joined_on FROM stg_member m
                WHERE NOT m.rejected AND {OPEN_GRANT} ORDER BY m.line""".replace("$H", "m.ref_id")):
            await on_membership_changed(self.ctx.session, p, r["ref_id"], r["id"], r["joined_on"],
                                        "member_joined")
        return {"members": n[0]}


# Households holding an open dibao grant (`app.dibao.adjust.open_grants_clause`), for D7.
OPEN_GRANT = f"""EXISTS (SELECT 1 FROM dibao_case c WHERE c.household_id = $H
                         AND c.start_month IS NOT NULL
                         AND c.state IN ({", ".join(f"'{s}'" for s in GRANT_STATES)}))"""

MEMBER_STEPS = (
    """INSERT INTO household_member (id, household_id, name, id_number_enc, id_hash, birth_date,
                                     sex, relation, joined_on)
       SELECT id, ref_id, name, id_number_enc, id_hash, birth_date, sex, relation, joined_on
       FROM stg_member WHERE NOT rejected""",
    """INSERT INTO member_attribute_version (member_id, effective_from, labour_capacity, health,
              disability_category, disability_grade, in_school, stable_nonfarm_employment,
              tekun_since, recorded_by)
       SELECT id, joined_on, labour_capacity, health, disability_category, disability_grade,
              in_school, stable_nonfarm_employment, tekun_since, $1::text
       FROM stg_member WHERE NOT rejected""",
    # Every change to a household's members bumps its version (the ETag), once per household.
    """UPDATE household h SET version = h.version + 1, updated_at = now()
       WHERE h.id IN (SELECT ref_id FROM stg_member WHERE NOT rejected)""",
    """INSERT INTO audit_log (actor, actor_name, action, entity_type, entity_id, region_code, after)
       SELECT $1::text, $2::text, 'household.member.add', 'household', m.ref_id::text, h.village_code,
              jsonb_build_object('member_id', m.id, 'name', m.name, 'relation', m.relation,
                                 'joined_on', m.joined_on, 'import_job_id', $3::text)
       FROM stg_member m JOIN household h ON h.id = m.ref_id WHERE NOT m.rejected""",
)
# One event per member, as POST …/members emits it, its attributes included.
MEMBER_EVENTS = """
    SELECT m.ref_id::text AS entity_id, h.village_code AS region_code, jsonb_build_object(
               'household_id', m.ref_id, 'member_id', m.id, 'name', m.name,
               'relation', m.relation, 'joined_on', m.joined_on, 'import_job_id', $1::text,
               'attributes', jsonb_build_object(
                   'effective_from', m.joined_on, 'labour_capacity', m.labour_capacity,
                   'health', m.health, 'disability', CASE WHEN m.disability_grade IS NULL
                       THEN NULL ELSE jsonb_build_object('category', m.disability_category,
                                                         'grade', m.disability_grade) END,
                   'in_school', m.in_school,
                   'stable_nonfarm_employment', m.stable_nonfarm_employment,
                   'tekun_since', m.tekun_since))::text AS payload
    FROM stg_member m JOIN household h ON h.id = m.ref_id WHERE NOT m.rejected"""

_ASSESSMENT_FIELDS = {"assessment_year": "year", "wage_income": "wage_income",
                      "business_income": "business_income", "property_income": "property_income",
                      "transfer_income": "transfer_income", "production_costs": "production_costs",
                      "assessed_on": "assessed_on", "persons": "persons"}


class Assessments(Kind):
    merged_households = "SELECT DISTINCT ref_id FROM stg_assessment_out"
    name = "assessments"
    fields = ("household_id", "head_id_number", *_ASSESSMENT_FIELDS)
    required = ("assessment_year",)
    tables = (StageTable("stg_assessment", (
        ("line", "int"), *REF_COLUMNS, ("year", "int"), ("assessed_on", "date"),
        ("wage", "numeric"), ("business", "numeric"), ("property", "numeric"),
        ("transfer", "numeric"), ("costs", "numeric"), ("net", "numeric"), ("persons", "int"))),)

    def accept(self, line: int, values: dict[str, str]) -> None:
        ref = household_ref(self, line, values)
        body = {}
        for f, api in _ASSESSMENT_FIELDS.items():
            raw = text_of(values, f)
            if raw:
                body[api] = V.day(raw) if f == "assessed_on" else V.money(raw)
        back = {v: k for k, v in _ASSESSMENT_FIELDS.items()}
        try:
            a = AssessmentCreate.model_validate(body)
        except ValidationError as e:
            errs = pydantic_errors(e, lambda loc: (line, back.get(str(loc[-1]), str(loc[-1]))),
                                   lambda loc: body.get(loc[-1]) if loc else None)
            self.reject(errs + ([ref] if isinstance(ref, RowError) else []))
            return
        if isinstance(ref, RowError):
            self.reject([ref])
            return
        net = (a.wage_income + a.business_income + a.property_income + a.transfer_income
               - a.production_costs)
        self.buffers["stg_assessment"].append((
            line, line, ref[0], ref[1], a.year, a.assessed_on or default_assessed_on(a.year),
            a.wage_income, a.business_income, a.property_income, a.transfer_income,
            a.production_costs, net, a.persons))

    async def check(self) -> None:
        await resolve_households(self, "stg_assessment", "assessed_on")
        await mark_rejected(self, "stg_assessment")

    async def merge(self) -> dict[str, int]:
        p = self.ctx.principal
        n = await run_steps(self.ctx.conn, ASSESSMENT_STEPS, p.actor, p.name or p.actor,
                            str(self.ctx.job_id))
        await emit_selected(self.ctx.conn, "household.assessment.added", "household",
                            ASSESSMENT_EVENTS, str(self.ctx.job_id), p.actor, extra=lambda d: {
                                "per_capita_income": per_capita_income(d["net_income"],
                                                                       d["persons"])})
        # (十四, D7) as POST …/assessments: re-evaluate the open dibao grants in this transaction
        for r in await self.ctx.conn.fetch(f"""
                SELECT a.ref_id, a.id, a.assessed_on FROM stg_assessment_out a
                WHERE {OPEN_GRANT} ORDER BY a.line""".replace("$H", "a.ref_id")):
            await on_assessment_recorded(self.ctx.session, p, r["ref_id"], r["assessed_on"],
                                         r["id"])
        return {"assessments": n[1]}


ASSESSMENT_STEPS = (
    # R1: persons default to the members on the assessment date (the household's timeline), else
    # the current ones, else 1;
    # R8: a later row of the same household and year is the next version.
    """CREATE TEMP TABLE stg_assessment_out ON COMMIT DROP AS
       SELECT gen_random_uuid() AS id, a.*, coalesce(a.persons,
                  nullif((SELECT t.persons FROM household_timeline t
                          WHERE t.household_id = a.ref_id AND t.valid @> a.assessed_on), 0),
                  nullif((SELECT count(*) FROM household_member m WHERE m.household_id = a.ref_id
                          AND m.left_on IS NULL), 0), 1) AS n_persons,
              coalesce((SELECT max(version) FROM household_assessment x
                        WHERE x.household_id = a.ref_id AND x.year = a.year), 0)
              + row_number() OVER (PARTITION BY a.ref_id, a.year ORDER BY a.line) AS version
       FROM stg_assessment a WHERE NOT a.rejected""",
    """INSERT INTO household_assessment (id, household_id, year, version, assessed_on, wage_income,
              business_income, property_income, transfer_income, production_costs, net_income,
              persons, recorded_by)
       SELECT id, ref_id, year, version, assessed_on, wage, business, property, transfer, costs,
              net, n_persons, $1::text FROM stg_assessment_out""",
    """UPDATE household h SET version = h.version + 1, updated_at = now()
       WHERE h.id IN (SELECT ref_id FROM stg_assessment_out)""",
    """INSERT INTO audit_log (actor, actor_name, action, entity_type, entity_id, region_code, after)
       SELECT $1::text, $2::text, 'household.assessment.add', 'household', a.ref_id::text, h.village_code,
              jsonb_build_object('id', a.id, 'year', a.year, 'version', a.version,
                                 'assessed_on', a.assessed_on, 'net_income', a.net,
                                 'persons', a.n_persons, 'import_job_id', $3::text)
       FROM stg_assessment_out a JOIN household h ON h.id = a.ref_id""",
)
# One event per assessment, as POST …/assessments emits it (per capita from R1's function).
ASSESSMENT_EVENTS = """
    SELECT a.ref_id::text AS entity_id, h.village_code AS region_code, jsonb_build_object(
               'household_id', a.ref_id, 'id', a.id, 'year', a.year, 'version', a.version,
               'assessed_on', a.assessed_on, 'wage_income', a.wage,
               'business_income', a.business, 'property_income', a.property,
               'transfer_income', a.transfer, 'production_costs', a.costs,
               'net_income', a.net, 'persons', a.n_persons, 'recorded_by', $2::text,
               'import_job_id', $1::text)::text AS payload
    FROM stg_assessment_out a JOIN household h ON h.id = a.ref_id"""
