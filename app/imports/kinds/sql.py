"""Set-based SQL shared by the kinds: rejecting whole units (a household and all its rows) and
merging staged rows into the real tables, with one audit row and one event per entity."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable

from app.events.payloads import copy_events, from_json


def count(status: str) -> int:
    """Rows of an asyncpg command status ('INSERT 0 12' → 12)."""
    return int(status.rsplit(" ", 1)[-1]) if status and status[-1].isdigit() else 0


async def reject_units_with_errors(conn, job: uuid.UUID, unit_table: str, row_table: str,
                                   unit_column: str) -> None:
    """A unit (household) with an error on any of its rows is rejected whole, as the API would
    refuse the whole request; its other rows get `import.unit_rejected` naming the first line."""
    if not await conn.fetchval("SELECT EXISTS (SELECT 1 FROM import_error WHERE job_id = $1)", job):
        return
    await conn.execute(f"""
        UPDATE {unit_table} u SET rejected = true
        WHERE NOT u.rejected AND EXISTS (
            SELECT 1 FROM {row_table} r JOIN import_error e ON e.job_id = $1 AND e.line = r.line
            WHERE r.{unit_column} = u.id)""", job)
    await conn.execute(f"""
        INSERT INTO import_error (job_id, line, field, code, message)
        SELECT $1, r.line, NULL, 'import.unit_rejected', 'the unit of line ' || u.line
               || ' (' || u.hkey || ') is rejected'
        FROM {row_table} r JOIN {unit_table} u ON u.id = r.{unit_column} AND u.rejected
        WHERE NOT EXISTS (SELECT 1 FROM import_error e WHERE e.job_id = $1 AND e.line = r.line)""",
                       job)


HOUSEHOLD_STEPS = (
    """INSERT INTO household (id, village_code, group_name, address, registered_on, cause_main,
                              cause_others, version)
       SELECT id, village_code, group_name, address, registered_on, cause_main, cause_others, 1
       FROM stg_household WHERE NOT rejected""",
    """INSERT INTO household_member (id, household_id, name, id_number_enc, id_hash, birth_date,
                                     sex, relation, joined_on)
       SELECT m.id, m.household_id, m.name, m.id_number_enc, m.id_hash, m.birth_date, m.sex,
              m.relation, m.joined_on
       FROM stg_member m JOIN stg_household h ON h.id = m.household_id AND NOT h.rejected""",
    """INSERT INTO member_attribute_version (member_id, effective_from, labour_capacity, health,
              disability_category, disability_grade, in_school, stable_nonfarm_employment,
              tekun_since, recorded_by)
       SELECT m.id, m.joined_on, m.labour_capacity, m.health, m.disability_category,
              m.disability_grade, m.in_school, m.stable_nonfarm_employment, m.tekun_since, $1::text
       FROM stg_member m JOIN stg_household h ON h.id = m.household_id AND NOT h.rejected""",
    """INSERT INTO household_assessment (id, household_id, year, version, assessed_on, wage_income,
              business_income, property_income, transfer_income, production_costs, net_income,
              persons, recorded_by)
       SELECT gen_random_uuid(), id, year, 1, assessed_on, wage, business, property, transfer,
              costs, net, persons, $1::text
       FROM stg_household WHERE NOT rejected""",
    """INSERT INTO household_event (id, household_id, seq, kind, occurred_on, officer, officer_name,
                                    payload)
       SELECT gen_random_uuid(), id, 1, 'register', registered_on, $1::text, $2::text,
              jsonb_build_object('reasons', reasons, 'import_job_id', $3::text)
       FROM stg_household WHERE NOT rejected""",
    # One audit row and one event per household, as POST /households writes them.
    """INSERT INTO audit_log (actor, actor_name, action, entity_type, entity_id, region_code, after)
       SELECT $1::text, $2::text, 'household.register', 'household', id::text, village_code, s.summary
       FROM (SELECT id, village_code, jsonb_build_object(
                 'village_code', village_code, 'registered_on', registered_on, 'members', persons,
                 'causes', jsonb_build_object('main', cause_main, 'others', to_jsonb(cause_others)),
                 'assessment_year', year, 'reasons', reasons, 'import_job_id', $3::text) AS summary
             FROM stg_household WHERE NOT rejected) s""",
)
# One event per household, as POST /households emits it (`emit_registered`).
REGISTERED_EVENTS = """
    SELECT id::text AS entity_id, village_code AS region_code, jsonb_build_object(
               'id', id, 'village_code', village_code, 'registered_on', registered_on,
               'members', persons,
               'causes', jsonb_build_object('main', cause_main, 'others', to_jsonb(cause_others)),
               'assessment_year', year, 'reasons', reasons, 'import_job_id', $1::text)::text
           AS payload
    FROM stg_household WHERE NOT rejected"""


# Rows of an import's selection read at a time (a cursor inside the import's transaction).
BATCH = 5000


async def emit_selected(conn, type_: str, entity_type: str, sql: str, *args,
                        extra: Callable[[dict], dict] | None = None) -> int:
    """The events of `type_` for the rows of `sql` (entity_id, region_code, payload as JSON
    text), each payload (plus `extra` of it) through the type's schema, as `emit` does. Read
    through a cursor `BATCH` rows at a time and copied batch by batch, so that memory does not
    grow with the file (fetched whole, a million members' events held ≈ 1 GB)."""
    def build(r):
        if extra is None:
            return r["entity_id"], r["region_code"], r["payload"]
        data = from_json(r["payload"])
        return r["entity_id"], r["region_code"], data | extra(data)
    n = 0
    cursor = await conn.cursor(sql, *args)
    while rows := await cursor.fetch(BATCH):
        n += await copy_events(conn, type_, entity_type, rows, build)
    return n


async def run_steps(conn, steps: tuple[str, ...], *args) -> list[int]:
    """Run each statement with the arguments it uses (its $n renumbered: PostgreSQL refuses a
    parameter a statement never mentions); answer the row counts."""
    out = []
    for sql in steps:
        used = sorted({int(n) for n in re.findall(r"\$(\d+)", sql)})
        place = {n: i + 1 for i, n in enumerate(used)}
        renumbered = re.sub(r"\$(\d+)", lambda m, place=place: f"${place[int(m[1])]}", sql)
        out.append(count(await conn.execute(renumbered, *[args[i - 1] for i in used])))
    return out
