"""The decision records of a households import: the one INSERT ... SELECT that writes them
(`REGISTER_DECISIONS`) timed against the step of the same merge that writes the register events
(`HOUSEHOLD_STEPS[4]`, one row per household too), over the same staged households, in one
transaction on a fresh database that is rolled back and dropped.

    python -m bench.import_decisions_bench [--households 300000]

The figure that matters is the ratio (decisions / events): both statements write one row per
household, so it survives a loaded machine better than the seconds. Not part of the test suite."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import time
import uuid
from datetime import date
from decimal import Decimal

import asyncpg

from app.imports.kinds.households import REGISTER_DECISIONS, Households
from app.imports.kinds.sql import HOUSEHOLD_STEPS, run_steps
from bench.import_bench import drop_database, fresh_database

VILLAGE = "321283100201"


async def measure(url: str, n: int) -> dict:
    conn = await asyncpg.connect(url.replace("postgresql+asyncpg:", "postgresql:", 1))
    try:
        async with conn.transaction():
            for code, level, parent in (("321200000000", "city", None),
                                        ("321283000000", "district", "321200000000"),
                                        ("321283100000", "town", "321283000000"),
                                        (VILLAGE, "village", "321283100000")):
                await conn.execute("INSERT INTO region (code, name, level, parent_code) "
                                   "VALUES ($1, $1, $2, $3) ON CONFLICT DO NOTHING", code, level,
                                   parent)
            stage = next(t for t in Households.tables if t.name == "stg_household")
            await conn.execute(stage.ddl())
            member = next(t for t in Households.tables if t.name == "stg_member")
            await conn.execute(member.ddl())
            reasons = json.dumps([
                {"rule": "R6", "clause": "八", "detail": "register on 2016-03-01 follows status none"},
                {"rule": "R6", "clause": "八", "detail": "assessment of 2015 (v1, dated 2015-12-31)"},
                {"rule": "R1", "clause": "二", "detail": "per-capita income 6,000.00 ≤ line 7,000.00"}],
                ensure_ascii=False)
            rows = [(uuid.uuid4(), f"H{i}", i + 2, VILLAGE, "3", None, date(2016, 3, 1),
                     "illness", [], 2015, date(2015, 12, 31), Decimal("9000.00"), Decimal("0"),
                     Decimal("0"), Decimal("3000.00"), Decimal("0"), Decimal("12000.00"), 2,
                     reasons, "321200000000", date(2016, 1, 1), "7000.00") for i in range(n)]
            await conn.copy_records_to_table("stg_household", records=rows, columns=stage.names)
            await conn.execute("ANALYZE stg_household")
            steps = HOUSEHOLD_STEPS[:4]
            await run_steps(conn, steps, "bench", "bench", "job")
            t = time.perf_counter()
            await run_steps(conn, (HOUSEHOLD_STEPS[4],), "bench", "bench", "job")
            events = time.perf_counter() - t
            t = time.perf_counter()
            written = await conn.execute(REGISTER_DECISIONS, "bench", "job")
            decisions = time.perf_counter() - t
            raise _Rollback({"households": n, "decision_rows": int(written.split()[-1]),
                             "events_seconds": round(events, 2),
                             "decisions_seconds": round(decisions, 2),
                             "ratio_decisions_to_events": round(decisions / events, 2)})
    except _Rollback as done:
        return done.figures
    finally:
        await conn.close()


class _Rollback(Exception):
    """Raised to leave the transaction: nothing measured is kept."""

    def __init__(self, figures: dict) -> None:
        super().__init__("rolled back")
        self.figures = figures


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--households", type=int, default=300_000)
    a = ap.parse_args()
    name = f"xk_bench_decisions_{os.getpid()}"
    try:
        url = fresh_database(name)
        figures = asyncio.run(measure(url, a.households))
    finally:
        drop_database(name)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
