"""Pairings (clauses 八, 十七, 十八), one a row: a helper (named by `helper_id`, the person's
`helper_id_number` or the unit's `helper_uscc`) paired with a household (`household_id` or
`head_id_number`) or a village or town (`region_code`) from `start_date` to `end_date`.

Each row passes what `POST /api/v1/pairings` checks, through the same policy functions: the
schema (PairingIn), the helper and the target in the caller's region (`helper.not_found`,
`household.not_found`, `village.not_found`, `town.not_found`), P3 the period, the shape (which
helper kind and target each kind takes), P4 no cadre for their own household, P1 one responsible
cadre per household at a time and P2 a first secretary only for a weak village, one at a time.
P1 and P2 compare each row with the registry's pairings and with the earlier accepted rows of
the file (the earlier line keeps the period); the households and villages concerned are locked
FOR UPDATE first, as the API locks them, so a concurrent request cannot slip in between."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select

from app.auth import user_region
from app.auth.scoping import principal_prefix, region_filter
from app.imports import values as V
from app.imports.kinds.base import Kind, RowError, StageTable, pydantic_errors, shown, text_of
from app.imports.kinds.helpers import Helpers
from app.imports.kinds.sql import emit_selected, run_steps
from app.models.pairings import Helper
from app.models.regions import Region
from app.pairings.schemas import PairingIn
from app.policy import ids
from app.policy import pairings as rules
from app.policy.errors import InvalidIdNumber
from app.policy.helpers import normalise_uscc
from app.policy.pairings import Period
from app.policy.reasons import Decision
from app.villages.service import latest_statuses

__all__ = ["Helpers", "Pairings"]

_NO_HELPER = uuid.UUID(int=0)  # stands in for a helper named by number until it is resolved
_FIELD = {"household_id": "household_id", "region_code": "region_code",
          "start_date": "start_date", "end_date": "end_date", "kind": "kind",
          "helper_id": "helper_id"}
ERROR_COLUMNS = ["job_id", "line", "field", "code", "message", "value"]


def _sentence(decision: Decision) -> tuple[str, str]:
    r = decision.first_refusal
    return r.code, f"{r.reason.rule} ({r.reason.clause}): {r.reason.detail}"


def _reasons(*decisions: Decision) -> list[dict]:
    return [r.as_dict() for d in decisions for r in d.reasons]


class Pairings(Kind):
    name = "pairings"
    fields = ("helper_id", "helper_id_number", "helper_uscc", "kind", "household_id",
              "head_id_number", "region_code", "start_date", "end_date")
    required = ("kind", "start_date")
    tables = (StageTable("stg_pairing", (
        ("id", "uuid"), ("line", "int"), ("helper_id", "uuid"), ("helper_hash", "bytea"),
        ("kind", "text"), ("ref_id", "uuid"), ("head_hash", "bytea"), ("region_code", "text"),
        ("scope_code", "text"), ("start_date", "date"), ("end_date", "date"),
        ("reasons", "jsonb"))),)

    async def prepare(self) -> None:
        s, p = self.ctx.session, self.ctx.principal
        # The helpers the caller may pair (get_helper: in the caller's region), and the villages
        # and towns they may pair them with (a few thousand rows each).
        rows = (await s.execute(select(Helper.id, Helper.kind, Helper.id_hash, Helper.uscc)
                                .where(region_filter(p, Helper.region_code)))).all()
        self.helpers = {r.id: (r.kind, bytes(r.id_hash) if r.id_hash else None) for r in rows}
        self.by_hash = {bytes(r.id_hash): r.id for r in rows if r.id_hash}
        self.by_uscc = {r.uscc: r.id for r in rows if r.uscc}
        regions = await s.execute(select(Region.code, Region.level).where(
            Region.level.in_(["village", "town"]), region_filter(p, Region.code)))
        self.regions = dict(regions.all())

    def _helper(self, line: int, v: dict[str, str]) -> uuid.UUID | RowError:
        raw = text_of(v, "helper_id")
        if raw:
            try:
                hid: uuid.UUID | None = uuid.UUID(raw)
            except ValueError:
                return RowError(line, "helper_id", "field.uuid_parsing", "not a UUID", raw)
            field = "helper_id"
        elif text_of(v, "helper_id_number"):
            field, raw = "helper_id_number", text_of(v, "helper_id_number")
            try:
                number = ids.parse_id_number(raw).number
            except InvalidIdNumber as e:
                return RowError(line, field, e.code, e.detail, shown(field, raw))
            hid = self.by_hash.get(self.sealer.id_hash(number))
        elif text_of(v, "helper_uscc"):
            field, raw = "helper_uscc", text_of(v, "helper_uscc")
            hid = self.by_uscc.get(normalise_uscc(raw))
        else:
            return RowError(line, "helper_id", "field.required",
                            "name the helper: helper_id, helper_id_number or helper_uscc")
        if hid is None or hid not in self.helpers:
            return RowError(line, field, "helper.not_found", "No such helper in your region.",
                            shown(field, raw))
        return hid

    def _household(self, line: int, v: dict[str, str]) -> tuple | RowError | None:
        raw = text_of(v, "household_id")
        if raw:
            try:
                return uuid.UUID(raw), None
            except ValueError:
                return RowError(line, "household_id", "field.uuid_parsing", "not a UUID", raw)
        raw = text_of(v, "head_id_number")
        if not raw:
            return None
        try:
            number = ids.parse_id_number(raw).number
        except InvalidIdNumber as e:
            return RowError(line, "head_id_number", e.code, e.detail, shown("head_id_number", raw))
        return None, self.sealer.id_hash(number)

    def accept(self, line: int, values: dict[str, str]) -> None:
        helper = self._helper(line, values)
        household = self._household(line, values)
        body: dict[str, Any] = {
            "helper_id": helper if isinstance(helper, uuid.UUID) else _NO_HELPER,
            "kind": V.label(text_of(values, "kind"), V.PAIRING_KINDS),
            "start_date": V.day(text_of(values, "start_date"))}
        if text_of(values, "region_code"):
            body["region_code"] = text_of(values, "region_code")
        if text_of(values, "end_date"):
            body["end_date"] = V.day(text_of(values, "end_date"))
        if isinstance(household, tuple) and household[0] is not None:
            body["household_id"] = str(household[0])
        own = [e for e in (helper, household) if isinstance(e, RowError)]
        try:
            data = PairingIn.model_validate(body)
        except ValidationError as e:
            self.reject(own + pydantic_errors(
                e, lambda loc: (line, _FIELD.get(str(loc[-1]), str(loc[-1])) if loc else None),
                lambda loc: body.get(loc[-1]) if loc else None))
            return
        if own:
            self.reject(own)
            return
        period = rules.check_period(data.start_date, data.end_date)
        if not period.ok:
            self.reject([RowError(line, "end_date", *_sentence(period), str(data.end_date))])
            return
        helper_kind, helper_hash = self.helpers[helper]
        shape = rules.check_pairing_shape(data.kind, helper_kind, household is not None,
                                          data.region_code)
        if not shape.ok:
            code, msg = _sentence(shape)
            field = ("region_code" if ".region" in code else "household_id"
                     if ".household" in code else "helper_id" if "helper_kind" in code else "kind")
            self.reject([RowError(line, field, code, msg)])
            return
        scope = None
        target = rules.TARGET_OF_KIND[data.kind]
        if target != "household":
            if self.regions.get(data.region_code) != target:
                self.reject([RowError(line, "region_code", f"{target}.not_found",
                                      f"No such {target} in your region.", data.region_code)])
                return
            scope = data.region_code
        ref_id, head_hash = household if household is not None else (None, None)
        self.buffers["stg_pairing"].append((
            self.new_id(), line, helper, helper_hash, data.kind, ref_id, head_hash,
            data.region_code, scope, data.start_date, data.end_date,
            json.dumps(_reasons(period, shape), ensure_ascii=False)))

    async def check(self) -> None:
        conn, job = self.ctx.conn, self.ctx.job_id
        prefix = principal_prefix(self.ctx.principal) or "-"
        # The household: by its head's number (a current head), in the caller's region.
        await conn.execute("""
            UPDATE stg_pairing t SET ref_id = hm.household_id FROM household_member hm
            WHERE t.ref_id IS NULL AND t.head_hash IS NOT NULL AND hm.id_hash = t.head_hash
              AND hm.left_on IS NULL AND hm.relation = '02'""")
        await conn.execute("""
            UPDATE stg_pairing t SET scope_code = h.village_code FROM household h
            WHERE h.id = t.ref_id AND h.village_code LIKE $1 || '%'""", prefix)
        await conn.execute("""
            INSERT INTO import_error (job_id, line, field, code, message)
            SELECT $1, line, CASE WHEN head_hash IS NULL THEN 'household_id'
                                  ELSE 'head_id_number' END,
                   'household.not_found', 'No such household in your region.'
            FROM stg_pairing WHERE kind = 'household_cadre' AND scope_code IS NULL""", job)
        await self._mark_rejected()
        # As the API: lock the household (P1) or village (P2) before reading its pairings.
        await conn.execute("""
            SELECT 1 FROM household WHERE id IN (SELECT ref_id FROM stg_pairing
                                                 WHERE NOT rejected AND kind = 'household_cadre')
            ORDER BY id FOR UPDATE""")
        await conn.execute("""
            SELECT 1 FROM region WHERE code IN (SELECT region_code FROM stg_pairing
                                                WHERE NOT rejected AND kind = 'first_secretary')
            ORDER BY code FOR UPDATE""")
        errors, extra = await self._cadres()
        more, extra2 = await self._secretaries()
        errors += more + await self._outside_user_region()
        extra.update(extra2)
        if errors:
            await conn.copy_records_to_table("import_error", records=errors,
                                             columns=ERROR_COLUMNS)
        if extra:
            await conn.execute("CREATE TEMP TABLE stg_pairing_reasons (line int, reasons jsonb)"
                               " ON COMMIT DROP")
            await conn.copy_records_to_table("stg_pairing_reasons", records=[
                (ln, json.dumps(r, ensure_ascii=False)) for ln, r in extra.items()])
            await conn.execute("""
                UPDATE stg_pairing t SET reasons = t.reasons || r.reasons
                FROM stg_pairing_reasons r WHERE r.line = t.line""")
        await self._mark_rejected()

    async def _cadres(self) -> tuple[list[tuple], dict[int, list]]:
        """P4 then P1 for the household_cadre rows, in line order."""
        conn, job = self.ctx.conn, self.ctx.job_id
        rows = await conn.fetch("""
            SELECT t.line, t.ref_id, t.start_date, t.end_date, t.helper_hash, ARRAY(
                       SELECT hm.id_hash FROM household_member hm
                       WHERE hm.household_id = t.ref_id
                         AND (hm.left_on IS NULL OR hm.left_on > t.start_date)
                         AND (t.end_date IS NULL OR hm.joined_on <= t.end_date)) AS members
            FROM stg_pairing t WHERE NOT t.rejected AND t.kind = 'household_cadre'
            ORDER BY t.line""")
        existing = await self._periods("household_id", "household_cadre")
        return self._overlaps(rows, existing, job, lambda r: (
            rules.check_not_own_household(
                r["helper_hash"].hex() if r["helper_hash"] else None,
                [bytes(h).hex() for h in r["members"]]),
            lambda period, others: rules.check_household_cadre(period, others)))

    async def _secretaries(self) -> tuple[list[tuple], dict[int, list]]:
        """P2 for the first_secretary rows: the village weak in its latest assessed year up to
        the start's year (villages.service, as the API), one secretary at a time."""
        conn, job = self.ctx.conn, self.ctx.job_id
        rows = await conn.fetch("""
            SELECT line, region_code AS ref_id, start_date, end_date FROM stg_pairing
            WHERE NOT rejected AND kind = 'first_secretary' ORDER BY line""")
        weak: dict[tuple[str, int], Decision | None] = {}
        by_year: dict[int, set[str]] = defaultdict(set)
        for r in rows:
            by_year[r["start_date"].year].add(r["ref_id"])
        for year, codes in by_year.items():
            statuses = await latest_statuses(self.ctx.session, sorted(codes), up_to_year=year)
            for code in codes:
                st = statuses.get(code)
                weak[(code, year)] = st.decision() if st else None
        existing = await self._periods("region_code", "first_secretary")
        return self._overlaps(rows, existing, job, lambda r: (
            None, lambda period, others: rules.check_first_secretary(
                weak[(r["ref_id"], r["start_date"].year)], period, others)))

    async def _outside_user_region(self) -> list[tuple]:
        """(十八) as the API: a first-secretary pairing outside the account region of the
        helper's first-secretary user is refused (`app.auth.user_region`)."""
        rows = await self.ctx.conn.fetch("""
            SELECT t.line, t.region_code, u.region_code AS account FROM stg_pairing t
            JOIN app_user u ON u.helper_id = t.helper_id AND u.role = 'first_secretary'
            WHERE NOT t.rejected AND t.kind = 'first_secretary' ORDER BY t.line""")
        return [(self.ctx.job_id, r["line"], "region_code", "pairing.outside_user_region",
                 f"the helper's first-secretary account is in {r['account']}; "
                 f"{r['region_code']} lies outside it", r["region_code"])
                for r in rows if not user_region.contains(r["account"], r["region_code"])]

    async def _periods(self, column: str, kind: str) -> dict[Any, list[Period]]:
        rows = await self.ctx.conn.fetch(f"""
            SELECT p.{column} AS ref, p.start_date, p.end_date FROM pairing p
            WHERE p.kind = $1 AND p.{column} IN (SELECT {'ref_id' if column == 'household_id'
                                                        else 'region_code'} FROM stg_pairing
                                                 WHERE NOT rejected AND kind = $1)""", kind)
        out: dict[Any, list[Period]] = defaultdict(list)
        for r in rows:
            out[r["ref"]].append(Period(r["start_date"], r["end_date"]))
        return out

    def _overlaps(self, rows, existing: dict[Any, list[Period]], job, rules_of):
        """Each row's rules against the registry's periods and those of the earlier accepted
        rows of the file; answers the error records and the reasons of the accepted rows."""
        errors: list[tuple] = []
        reasons: dict[int, list] = {}
        for r in rows:
            first, overlap = rules_of(r)
            if first is not None and not first.ok:
                errors.append((job, r["line"], "helper_id", *_sentence(first), None))
                continue
            period = Period(r["start_date"], r["end_date"])
            d = overlap(period, existing[r["ref_id"]])
            if not d.ok:
                code, msg = _sentence(d)
                errors.append((job, r["line"], "start_date" if code.endswith(".overlap")
                               else "region_code", code, msg, period.describe()))
                continue
            existing[r["ref_id"]].append(period)
            reasons[r["line"]] = _reasons(*(x for x in (first, d) if x is not None))
        return errors, reasons

    async def _mark_rejected(self) -> None:
        await self.ctx.conn.execute("""
            UPDATE stg_pairing t SET rejected = true FROM import_error e
            WHERE e.job_id = $1 AND e.line = t.line AND NOT t.rejected""", self.ctx.job_id)

    async def merge(self) -> dict[str, int]:
        p = self.ctx.principal
        n = await run_steps(self.ctx.conn, PAIRING_STEPS, p.actor, p.name or p.actor,
                            str(self.ctx.job_id))
        await emit_selected(self.ctx.conn, "pairing.created", "pairing",
                            PAIRING_EVENTS.replace("$3", "$1"), str(self.ctx.job_id))
        return {"pairings": n[0]}


_SNAPSHOT = """jsonb_build_object('id', id, 'helper_id', helper_id, 'kind', kind,
                  'household_id', ref_id, 'region_code', region_code, 'scope_code', scope_code,
                  'start_date', start_date, 'end_date', end_date, 'version', 1,
                  'reasons', reasons, 'import_job_id', $3::text)"""
PAIRING_STEPS = (
    """INSERT INTO pairing (id, helper_id, kind, household_id, region_code, scope_code,
                            start_date, end_date, version, created_by)
       SELECT id, helper_id, kind, ref_id, region_code, scope_code, start_date, end_date, 1,
              $1::text
       FROM stg_pairing WHERE NOT rejected""",
    # One audit row and one event per pairing, as POST /pairings writes them.
    f"""INSERT INTO audit_log (actor, actor_name, action, entity_type, entity_id, region_code,
                               after)
        SELECT $1::text, $2::text, 'pairing.create', 'pairing', id::text, scope_code, {_SNAPSHOT}
        FROM stg_pairing WHERE NOT rejected""",
)
# One event per pairing, as POST /pairings emits it ($3: the job, as in the steps).
PAIRING_EVENTS = f"""
    SELECT id::text AS entity_id, scope_code AS region_code, {_SNAPSHOT}::text AS payload
    FROM stg_pairing WHERE NOT rejected"""
