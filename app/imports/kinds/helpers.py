"""Helpers (clause 十七): people (cadres) and units, one a row.

Each row passes what `POST /api/v1/helpers` checks: the API's schema (HelperIn: a person with
unit and ID number, or a unit with its kind), GB 11643 for a person's number (policy.ids; stored
encrypted with its keyed hash), policy.helpers.check_unit for a unit (an enterprise carries a
valid USCC, a given USCC is valid), the helper's region inside the caller's and registered, and
one record per person (ID number) or per credit code — within the file (`import.helper.repeated`
on the later rows) and against the registry (`helper.exists`)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from app.auth.scoping import in_region
from app.imports import values as V
from app.imports.kinds.base import Kind, RowError, StageTable, pydantic_errors, shown, text_of
from app.imports.kinds.sql import emit_selected, run_steps
from app.models.regions import Region
from app.pairings.schemas import HelperPersonIn, HelperUnitIn
from app.policy import ids
from app.policy.errors import InvalidIdNumber
from app.policy.helpers import check_unit, normalise_uscc

# HelperIn is the union of these two, told apart by `kind` (its discriminator).
_HELPER_IN = {"person": HelperPersonIn, "unit": HelperUnitIn}


class Helpers(Kind):
    name = "helpers"
    fields = ("kind", "name", "unit", "post", "phone", "id_number", "unit_kind", "uscc",
              "region_code")
    required = ("kind", "name")
    tables = (StageTable("stg_helper", (
        ("id", "uuid"), ("line", "int"), ("kind", "text"), ("name", "text"),
        ("region_code", "text"), ("unit", "text"), ("post", "text"), ("phone", "text"),
        ("id_number_enc", "bytea"), ("id_hash", "bytea"), ("masked", "text"),
        ("unit_kind", "text"), ("uscc", "text"))),)

    async def prepare(self) -> None:
        self.regions = set((await self.ctx.session.scalars(select(Region.code))).all())

    def accept(self, line: int, values: dict[str, str]) -> None:
        body = helper_body(values)
        model = _HELPER_IN.get(body["kind"])
        if model is None:
            self.reject([RowError(line, "kind", "field.union_tag_invalid",
                                  "kind is person (个人) or unit (单位)", body["kind"])])
            return
        try:
            data = model.model_validate(body)
        except ValidationError as e:
            self.reject(pydantic_errors(e, lambda loc: (line, str(loc[-1]) if loc else None),
                                        lambda loc: body.get(loc[-1]) if loc else None))
            return
        errors: list[RowError] = []
        region = data.region_code or self.ctx.principal.region_code
        if not in_region(self.ctx.principal, region):
            # as ensure_in_region answers for a region outside the caller's: not found
            errors.append(RowError(line, "region_code", "region.not_found",
                                   f"{region} is outside your region", region))
        elif region not in self.regions:
            errors.append(RowError(line, "region_code", "helper.region_unknown",
                                   f"No region {region}.", region))
        enc = hash_ = masked = unit_kind = uscc = None
        if data.kind == "person":
            try:
                parsed = ids.parse_id_number(data.id_number, on=self.ctx.today)
            except InvalidIdNumber as e:
                errors.append(RowError(line, "id_number", e.code, e.detail,
                                       shown("id_number", data.id_number)))
            else:
                enc, hash_ = self.sealer.seal(parsed.number)
                masked = ids.mask_id(parsed.number)
        else:
            decision = check_unit(data.unit_kind, data.uscc)
            if not decision.ok:
                r = decision.first_refusal
                errors.append(RowError(line, "uscc" if "uscc" in r.code else "unit_kind", r.code,
                                       f"{r.reason.rule} ({r.reason.clause}): {r.reason.detail}",
                                       data.uscc or data.unit_kind))
            unit_kind = data.unit_kind
            uscc = (normalise_uscc(data.uscc) if data.uscc else None) or None
        if errors:
            self.reject(errors)
            return
        person = data.kind == "person"
        self.buffers["stg_helper"].append((
            self.new_id(), line, data.kind, data.name, region, data.unit if person else None,
            data.post if person else None, data.phone if person else None, enc, hash_, masked,
            unit_kind, uscc))

    async def check(self) -> None:
        conn, job = self.ctx.conn, self.ctx.job_id
        # One record per person (keyed hash of the number) and per enterprise code: the first
        # line of the file keeps it; a helper already recorded is `helper.exists` (the API's 409).
        for key, field, shown_as in (("id_hash", "id_number", "masked"), ("uscc", "uscc", "uscc")):
            await conn.execute(f"""
                INSERT INTO import_error (job_id, line, field, code, message, value)
                SELECT $1, s.line, '{field}', 'import.helper.repeated',
                       'the same helper is on line ' || d.first_line, s.{shown_as}
                FROM (SELECT {key}, min(line) AS first_line FROM stg_helper
                      WHERE {key} IS NOT NULL GROUP BY {key} HAVING count(*) > 1) d
                JOIN stg_helper s ON s.{key} = d.{key} AND s.line > d.first_line""", job)
            await conn.execute(f"""
                INSERT INTO import_error (job_id, line, field, code, message, value)
                SELECT $1, s.line, '{field}', 'helper.exists',
                       'a helper with this {field} is already recorded', s.{shown_as}
                FROM stg_helper s
                WHERE s.{key} IS NOT NULL
                  AND EXISTS (SELECT 1 FROM helper h WHERE h.{key} = s.{key})""", job)
        await conn.execute("""
            UPDATE stg_helper t SET rejected = true FROM import_error e
            WHERE e.job_id = $1 AND e.line = t.line""", job)

    async def merge(self) -> dict[str, int]:
        p = self.ctx.principal
        n = await run_steps(self.ctx.conn, HELPER_STEPS, p.actor, p.name or p.actor,
                            str(self.ctx.job_id))
        await emit_selected(self.ctx.conn, "helper.created", "helper", HELPER_EVENTS,
                            str(self.ctx.job_id))
        return {"helpers": n[0]}


def helper_body(v: dict[str, str]) -> dict[str, Any]:
    """A HelperIn body from a row (labels turned into codes; empty cells left out)."""
    kind = V.label(text_of(v, "kind"), V.HELPER_KINDS)
    body: dict[str, Any] = {"kind": kind, "name": text_of(v, "name")}
    names = (("unit", "post", "phone", "id_number") if kind == "person"
             else ("unit_kind", "uscc") if kind == "unit" else ())
    for f in (*names, "region_code"):
        if text_of(v, f):
            body[f] = V.label(text_of(v, f), V.UNIT_KINDS) if f == "unit_kind" else text_of(v, f)
    return body


HELPER_STEPS = (
    """INSERT INTO helper (id, kind, name, region_code, unit, post, phone, id_number_enc, id_hash,
                           unit_kind, uscc, version, created_by)
       SELECT id, kind, name, region_code, unit, post, phone, id_number_enc, id_hash, unit_kind,
              uscc, 1, $1::text
       FROM stg_helper WHERE NOT rejected""",
    # One audit row and one event per helper, as POST /helpers writes them.
    """INSERT INTO audit_log (actor, actor_name, action, entity_type, entity_id, region_code, after)
       SELECT $1::text, $2::text, 'helper.create', 'helper', id::text, region_code,
              jsonb_build_object('kind', kind, 'name', name, 'region_code', region_code,
                                 'unit', unit, 'post', post, 'unit_kind', unit_kind, 'uscc', uscc,
                                 'import_job_id', $3::text)
       FROM stg_helper WHERE NOT rejected""",
)
# One event per helper, as POST /helpers emits it.
HELPER_EVENTS = """
    SELECT id::text AS entity_id, region_code, jsonb_build_object(
               'id', id, 'kind', kind, 'name', name, 'region_code', region_code, 'unit', unit,
               'post', post, 'unit_kind', unit_kind, 'uscc', uscc,
               'import_job_id', $1::text)::text AS payload
    FROM stg_helper WHERE NOT rejected"""
