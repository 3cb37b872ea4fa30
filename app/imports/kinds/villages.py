"""Villages (regions of level village, with their town) and village collective incomes.

Villages pass what `POST /api/v1/regions` checks (RegionIn; the code a village code under its
town, the town under a 市(區) of the caller's region; a village that exists is `region.exists`);
a town missing from the registry is created from the row's town name. Incomes pass IncomeIn and
the R2 status of each recorded year comes from app.villages.service.year_status (the policy)."""

from __future__ import annotations

from decimal import Decimal

from pydantic import ValidationError
from sqlalchemy import select

from app.audit.service import record
from app.auth.scoping import in_region, region_level
from app.events.service import emit
from app.imports import values as V
from app.imports.kinds.base import Kind, RowError, StageTable, pydantic_errors, text_of
from app.imports.kinds.sql import count
from app.models.regions import Region
from app.models.villages import VillageIncome
from app.regions.schemas import RegionIn
from app.villages.lines import all_line_versions
from app.villages.schemas import IncomeIn
from app.villages.service import year_status


def _field_where(line: int, names: dict[str, str]):
    return lambda loc: (line, names.get(str(loc[-1]), str(loc[-1])) if loc else None)


class Villages(Kind):
    name = "villages"
    fields = ("village_code", "village_name", "town_code", "town_name")
    required = ("village_code", "village_name")
    tables = (StageTable("stg_village", (
        ("line", "int"), ("code", "text"), ("name", "text"), ("town_code", "text"),
        ("town_name", "text"))),)

    async def prepare(self) -> None:
        rows = await self.ctx.session.execute(select(Region.code, Region.level))
        self.known = dict(rows.all())

    def accept(self, line: int, values: dict[str, str]) -> None:
        code = text_of(values, "village_code")
        town = text_of(values, "town_code") or (code[:9] + "000" if len(code) == 12 else "")
        names = {"code": "village_code", "name": "village_name", "parent_code": "town_code"}
        try:
            data = RegionIn(code=code, name=text_of(values, "village_name"), parent_code=town)
        except ValidationError as e:
            self.reject(pydantic_errors(e, _field_where(line, names),
                                        lambda loc: values.get(names.get(str(loc[-1]), ""))))
            return
        errors = []
        p = self.ctx.principal
        if region_level(data.code) != "village" or not data.code.startswith(data.parent_code[:9]) \
                or region_level(data.parent_code) != "town":
            errors.append(RowError(line, "village_code", "region.code_not_under_parent",
                                   f"{data.code} is not a village code under the town {town}",
                                   data.code))
        elif not in_region(p, data.code):
            errors.append(RowError(line, "village_code", "region.parent_unknown",
                                   f"{data.code} is outside your region", data.code))
        elif self.known.get(data.code[:6] + "000000") != "district":
            errors.append(RowError(line, "village_code", "region.parent_unknown",
                                   f"no 市(區) {data.code[:6]}", data.code))
        elif data.code in self.known:
            errors.append(RowError(line, "village_code", "region.exists",
                                   f"region {data.code} already exists", data.code))
        elif data.parent_code not in self.known and not text_of(values, "town_name"):
            errors.append(RowError(line, "town_name", "region.parent_unknown",
                                   f"the town {data.parent_code} is not registered: give its name"))
        if errors:
            self.reject(errors)
            return
        self.buffers["stg_village"].append((line, data.code, data.name, data.parent_code,
                                            text_of(values, "town_name") or None))

    async def check(self) -> None:
        await self.ctx.conn.execute("""
            INSERT INTO import_error (job_id, line, field, code, message, value)
            SELECT $1, v.line, 'village_code', 'import.village.repeated',
                   'the village is also on line ' || d.first_line, v.code
            FROM (SELECT code, min(line) AS first_line FROM stg_village GROUP BY code
                  HAVING count(*) > 1) d JOIN stg_village v ON v.code = d.code AND v.line > d.first_line""",
            self.ctx.job_id)
        await self.ctx.conn.execute("""
            UPDATE stg_village v SET rejected = true FROM import_error e
            WHERE e.job_id = $1 AND e.line = v.line""", self.ctx.job_id)

    async def merge(self) -> dict[str, int]:
        conn, p = self.ctx.conn, self.ctx.principal
        towns = await conn.fetch("""
            INSERT INTO region (code, name, level, parent_code)
            SELECT DISTINCT ON (town_code) town_code, town_name, 'town', left(town_code, 6) || '000000'
            FROM stg_village WHERE NOT rejected AND town_name IS NOT NULL
              AND town_code NOT IN (SELECT code FROM region)
            ORDER BY town_code, line
            RETURNING code, name, level""")
        villages = await conn.fetch("""
            INSERT INTO region (code, name, level, parent_code)
            SELECT code, name, 'village', town_code FROM stg_village WHERE NOT rejected
            ORDER BY line RETURNING code, name, level""")
        # As POST /regions records each region (a few thousand rows at most).
        for r in [*towns, *villages]:
            after = {"code": r["code"], "name": r["name"], "level": r["level"],
                     "import_job_id": str(self.ctx.job_id)}
            await record(self.ctx.session, p, "region.create", "region", r["code"], after=after,
                         region_code=r["code"])
            await emit(self.ctx.session, "region.created", "region", r["code"], r["code"], after)
        return {"towns": len(towns), "villages": len(villages)}


class VillageIncomes(Kind):
    name = "village_incomes"
    fields = ("village_code", "assessment_year", "collective_income")
    required = ("village_code", "assessment_year", "collective_income")
    tables = (StageTable("stg_village_income", (
        ("line", "int"), ("code", "text"), ("year", "int"), ("amount", "numeric"))),)

    async def prepare(self) -> None:
        rows = await self.ctx.session.scalars(select(Region.code).where(Region.level == "village"))
        self.villages = {c for c in rows.all() if in_region(self.ctx.principal, c)}

    def accept(self, line: int, values: dict[str, str]) -> None:
        code = text_of(values, "village_code")
        names = {"collective_income": "collective_income"}
        try:
            data = IncomeIn(collective_income=V.money(text_of(values, "collective_income")))
        except ValidationError as e:
            self.reject(pydantic_errors(e, _field_where(line, names),
                                        lambda loc: values.get("collective_income")))
            return
        year = text_of(values, "assessment_year")
        errors = []
        if not (year.isdigit() and 1990 <= int(year) <= 2100):
            errors.append(RowError(line, "assessment_year", "field.int_parsing",
                                   "a year between 1990 and 2100", year))
        if code not in self.villages:
            errors.append(RowError(line, "village_code", "village.not_found",
                                   f"{code} is not a village in your region", code))
        if errors:
            self.reject(errors)
            return
        self.buffers["stg_village_income"].append((line, code, int(year),
                                                   data.collective_income.quantize(Decimal("0.01"))))

    async def check(self) -> None:
        await self.ctx.conn.execute("""
            INSERT INTO import_error (job_id, line, field, code, message, value)
            SELECT $1, v.line, 'assessment_year', 'import.village_income.repeated',
                   'the same village and year are on line ' || d.first_line, v.year::text
            FROM (SELECT code, year, min(line) AS first_line FROM stg_village_income
                  GROUP BY code, year HAVING count(*) > 1) d
            JOIN stg_village_income v USING (code, year) WHERE v.line > d.first_line""",
            self.ctx.job_id)
        await self.ctx.conn.execute("""
            UPDATE stg_village_income v SET rejected = true FROM import_error e
            WHERE e.job_id = $1 AND e.line = v.line""", self.ctx.job_id)

    async def merge(self) -> dict[str, int]:
        """As PUT /villages/{code}/incomes/{year}: the same amount changes nothing, another one
        is the next version (the old one stays)."""
        conn, s = self.ctx.conn, self.ctx.session
        rows = await conn.fetch("""
            WITH cur AS (
                SELECT DISTINCT ON (village_code, year) village_code, year, version,
                       collective_income FROM village_income
                ORDER BY village_code, year, version DESC)
            INSERT INTO village_income (id, village_code, year, version, collective_income, recorded_by)
            SELECT gen_random_uuid(), v.code, v.year, coalesce(cur.version, 0) + 1, v.amount, $1
            FROM stg_village_income v LEFT JOIN cur ON cur.village_code = v.code AND cur.year = v.year
            WHERE NOT v.rejected AND cur.collective_income IS DISTINCT FROM v.amount
            RETURNING village_code, year, version, collective_income""", self.ctx.principal.actor)
        lines = await all_line_versions(s)
        for r in rows:
            status = year_status(lines, VillageIncome(**dict(r)))
            after = {"village_code": r["village_code"], "year": r["year"],
                     "collective_income": r["collective_income"], "version": r["version"],
                     "line": status.line, "weak": status.weak,
                     "reasons": [x.as_dict() for x in status.reasons],
                     "import_job_id": str(self.ctx.job_id)}
            await record(s, self.ctx.principal, "village.income.record", "village",
                         r["village_code"], after=after, region_code=r["village_code"])
            await emit(s, "village.income.recorded", "village", r["village_code"],
                       r["village_code"], after)
        unchanged = count(await conn.execute("SELECT 1 FROM stg_village_income WHERE NOT rejected"))
        return {"village_incomes": len(rows), "unchanged": unchanged - len(rows)}


