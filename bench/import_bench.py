"""Import benchmark: 1,000,000 members (~320,000 households) through the real import path, against
a raw asyncpg COPY of the same rows into the same tables, and the peak memory of a small and a
large import (to show it flat in the file size).

    python -m bench.import_bench [--members 1000000] [--small 30000]

Each import runs in its own process (its peak RSS, from getrusage, is its own; the timeline
builder processes it starts, app.timelines.builders, are measured apart) on a fresh database
migrated with Alembic; the file is generated first (bench.gen's generator). Timed:
the job (read, validate, stage with COPY, set-based checks, merge, timelines, audit and events), not the
upload. The baseline COPYs the same rows, prepared beforehand (ID numbers encrypted and hashed),
into household, household_member, member_attribute_version, household_assessment and
household_event. Not part of the test suite."""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from app.config import Settings  # noqa: E402
from app.db import Database, embedded_admin_url, to_async_url  # noqa: E402
from app.imports import synthetic  # noqa: E402


def _server_url():
    if os.environ.get("DATABASE_URL"):
        return to_async_url(os.environ["DATABASE_URL"])
    return embedded_admin_url(Path(os.environ.get("XIAOKANG_DATA_DIR", ROOT / ".data")))


async def _admin_sql(sql: str) -> None:
    import asyncpg

    url = _server_url()
    conn = await asyncpg.connect(host=url.host or url.query.get("host"), port=url.port,
                                 user=url.username, password=url.password, database=url.database)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def fresh_database(name: str) -> str:
    from app.migrate import upgrade

    asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    asyncio.run(_admin_sql(f'CREATE DATABASE "{name}"'))
    url = _server_url().set(database=name)
    upgrade(url)
    return url.render_as_string(hide_password=False)


def drop_database(name: str) -> None:
    asyncio.run(_admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


class _Upload:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "rb")

    async def read(self, n: int = -1) -> bytes:
        return self.f.read(n)


async def _import(url: str, data_dir: str, path: Path, kind: str) -> dict:
    from app.auth.principal import Principal
    from app.auth.scopes import scopes_for_role
    from app.imports import service
    from app.imports.pipeline import run_job
    from app.models.imports import ImportJob

    settings = Settings(database_url=url, data_dir=Path(data_dir), log_json=False)
    db = Database.from_settings(settings)
    principal = Principal(kind="user", id=uuid.uuid4(), name="bench", role="admin",
                          scopes=scopes_for_role("admin"), region_code="321200000000")
    try:
        t = time.perf_counter()
        async with db.sessionmaker() as s:
            job = await service.create_import(s, settings, principal, _Upload(path), path.name,
                                              kind, dry_run=False, on_error="abort")
            await s.commit()
        uploaded = time.perf_counter() - t
        t = time.perf_counter()
        state = await run_job(db, settings, job.id)
        seconds = time.perf_counter() - t
        async with db.sessionmaker() as s:
            done = await s.get(ImportJob, job.id)
            out = {"state": state, "seconds": seconds, "upload_seconds": uploaded,
                   "rows": done.rows_read, "rejected": done.rows_rejected, "written": done.written,
                   "error": done.error_detail}
    finally:
        await db.dispose()
    from app.timelines import builders

    builders.shutdown()  # joined: their peak is in RUSAGE_CHILDREN
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    out["builders_maxrss_mb"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return out


def child_import(url: str, data_dir: str, path: Path, kind: str) -> dict:
    """Run one import in a fresh process: its peak memory is its own."""
    cmd = [sys.executable, "-m", "bench.import_bench", "--child", url, data_dir, str(path), kind]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    for line in done.stdout.splitlines():
        if "import_phases" in line:
            print("   ", line.strip()[:200])
    return json.loads(done.stdout.strip().splitlines()[-1])


def _records(path: Path, settings: Settings):
    """The rows the import writes, prepared for COPY (outside the timed part)."""
    from app import pii
    from app.policy import ids

    hh, mem, att, ass, ev = [], [], [], [], []
    key = None
    hid = None
    rows = []

    def close():
        first = rows[0]
        registered = date.fromisoformat(first["registered_on"])
        money = [Decimal(first[c]) for c in ("wage_income", "business_income", "property_income",
                                              "transfer_income", "production_costs")]
        net = sum(money[:4]) - money[4]
        hh.append((hid, first["village_code"], first["group"], registered, first["cause_main"],
                   [c for c in first["cause_others"].split(";") if c], 1))
        ass.append((uuid.uuid4(), hid, 2015, 1, date(2015, 12, 31), *money, net, len(rows), "bench"))
        ev.append((uuid.uuid4(), hid, 1, "register", registered, "bench", "bench", "{}"))
        for r in rows:
            p = ids.parse_id_number(r["id_number"])
            mid = uuid.uuid4()
            mem.append((mid, hid, r["name"], pii.encrypt(settings, p.number),
                        pii.id_hash(settings, p.number), p.birth_date, p.sex, r["relation"],
                        registered))
            att.append((mid, registered, r["labour_capacity"], r["health"],
                        int(r["disability_category"]) if r["disability_category"] else None,
                        int(r["disability_grade"]) if r["disability_grade"] else None,
                        r["in_school"] == "1", r["stable_nonfarm_employment"] == "1", None, "bench"))

    with open(path, encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            if r["household_key"] != key:
                if rows:
                    close()
                key, hid, rows = r["household_key"], uuid.uuid4(), []
            rows.append(r)
        if rows:
            close()
    return hh, mem, att, ass, ev


async def raw_copy(url: str, settings: Settings, path: Path) -> tuple[float, int]:
    records = _records(path, settings)
    db = Database(to_async_url(url), pool_size=1, max_overflow=0)
    tables = [
        ("household", ["id", "village_code", "group_name", "registered_on", "cause_main",
                       "cause_others", "version"]),
        ("household_member", ["id", "household_id", "name", "id_number_enc", "id_hash",
                              "birth_date", "sex", "relation", "joined_on"]),
        ("member_attribute_version", ["member_id", "effective_from", "labour_capacity", "health",
                                      "disability_category", "disability_grade", "in_school",
                                      "stable_nonfarm_employment", "tekun_since", "recorded_by"]),
        ("household_assessment", ["id", "household_id", "year", "version", "assessed_on",
                                  "wage_income", "business_income", "property_income",
                                  "transfer_income", "production_costs", "net_income", "persons",
                                  "recorded_by"]),
        ("household_event", ["id", "household_id", "seq", "kind", "occurred_on", "officer",
                             "officer_name", "payload"]),
    ]
    try:
        async with db.engine.connect() as c:
            raw = (await c.get_raw_connection()).driver_connection
            t = time.perf_counter()
            async with raw.transaction():
                for (table, cols), recs in zip(tables, records, strict=True):
                    await raw.copy_records_to_table(table, records=recs, columns=cols)
            seconds = time.perf_counter() - t
    finally:
        await db.dispose()
    return seconds, len(records[1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--members", type=int, default=1_000_000)
    ap.add_argument("--small", type=int, default=30_000)
    ap.add_argument("--child", nargs=4, metavar=("URL", "DATA_DIR", "FILE", "KIND"))
    a = ap.parse_args()
    if a.child:
        url, data_dir, file, kind = a.child
        print(json.dumps(asyncio.run(_import(url, data_dir, Path(file), kind)), default=str))
        return

    work = Path(tempfile.mkdtemp(prefix="xk-bench-"))
    settings = Settings(data_dir=work, log_json=False)
    vills = synthetic.villages(per_town=8)
    synthetic.write_villages(work / "villages.csv", vills)
    t = time.perf_counter()
    n_small = synthetic.write_households(work / "small.csv", None, vills, seed=11, members=a.small)
    n_large = synthetic.write_households(work / "large.csv", None, vills, seed=7, members=a.members)
    print(f"generated {n_small:,} + {n_large:,} member rows in {time.perf_counter() - t:.1f} s "
          f"({(work / 'large.csv').stat().st_size / 1e6:.0f} MB for the large file)")
    names = [f"xk_bench_{os.getpid()}_{x}" for x in ("small", "large", "raw")]
    try:
        results = {}
        for label, file in (("small", "small.csv"), ("large", "large.csv")):
            url = fresh_database(names[0 if label == "small" else 1])
            v = child_import(url, str(work), work / "villages.csv", "villages")
            assert v["state"] == "succeeded", v
            results[label] = child_import(url, str(work), work / file, "households")
            r = results[label]
            assert r["state"] == "succeeded", r
            print(f"import {label}: {r['rows']:,} rows, {r['written']} in {r['seconds']:.1f} s "
                  f"(upload {r['upload_seconds']:.1f} s), peak RSS {r['maxrss_mb']:.0f} MB, "
                  f"each timeline builder process at most {r['builders_maxrss_mb']:.0f} MB")
        url = fresh_database(names[2])
        child_import(url, str(work), work / "villages.csv", "villages")
        raw_seconds, raw_members = asyncio.run(raw_copy(url, settings, work / "large.csv"))
        large = results["large"]
        print(f"raw asyncpg COPY of the same {raw_members:,} members into the same tables: "
              f"{raw_seconds:.1f} s")
        print(f"ratio import / raw COPY: {large['seconds'] / raw_seconds:.2f} (target ≤ 2)")
        print(f"peak memory: small file ({n_small:,} members) {results['small']['maxrss_mb']:.0f} MB, "
              f"large file ({n_large:,} members) {large['maxrss_mb']:.0f} MB")
        print(json.dumps({
            "members": n_large, "small_members": n_small,
            "import_seconds": round(large["seconds"], 1), "copy_seconds": round(raw_seconds, 1),
            "ratio_to_copy": round(large["seconds"] / raw_seconds, 2),
            "peak_rss_mb_small": round(results["small"]["maxrss_mb"]),
            "peak_rss_mb_large": round(large["maxrss_mb"]),
            "builder_rss_mb_small": round(results["small"]["builders_maxrss_mb"]),
            "builder_rss_mb_large": round(large["builders_maxrss_mb"])}))
    finally:
        for n in names:
            drop_database(n)


if __name__ == "__main__":
    main()
