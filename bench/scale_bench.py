"""Scale benchmark: how the read path, the list, a write, the roster and a report cost grow with
the register. `python -m bench.scale_bench [--sizes 100000,1000000] [--seed-households 2000]`

1. A fresh database (migrated with Alembic) gets villages and `--seed-households` households of
   bench.gen's synthetic register through the import path (staging, checks, merge, the timeline
   builder): this is the measured import rate.
2. The register then grows set-wise in SQL to each size of `--sizes` (persons): every imported
   household is copied with `generate_series` into the base tables (household, members,
   attribute versions, lifecycle events, assessments) and into the timeline tables
   (household_timeline, person_timeline). Copies carry new keys (derived from the original's and
   the copy number) and keep every other column, so the timeline rows are the builder's own rows
   for identical facts. At the first size `xiaokang check-timelines` runs over one village
   (originals and copies alike) and must agree; then VACUUM ANALYZE.
3. At each size, against one uvicorn worker (`--connections` concurrent clients, `--seconds` per
   path): GET one household, the first and a deep page of the list, POST a help visit (a write),
   then roster generation through the service (first run, every eligible person inserted) and
   the city's summary report over HTTP, each timed once.

Cost ratios are seconds per request at the largest size over the smallest (1.0 = flat).
5,000,000 persons: `--sizes 100000,1000000,5000000` (≈ 25 GB of timelines; hours on a small
machine). The keys `*_5m*` are null unless 5,000,000 was among the sizes; the `*_largest*` keys
carry the largest size measured. The last line is one JSON object. Not part of the test suite.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.read_bench import (  # noqa: E402
    AS_OF,
    _free_port,
    _serve,
    _wait,
    drive,
)

FIVE_MILLION = 5_000_000
REFERENCE = date(2019, 1, 1)  # the roster's reference date
# The synthetic register holds no 特困 or dibao persons (nobody has medical_premium_full), but
# about one person in eight qualifies for major illness and accident insurance (E3).
ROSTER_KIND = "major_illness_accident"
# Copied per household, in foreign-key order. Key columns get the copy's key; the rest is kept.
CLONED = ("household", "household_member", "member_attribute_version", "household_event",
          "household_assessment", "household_timeline", "person_timeline")
KEYS = {"household": ("id",), "household_member": ("id", "household_id"),
        "member_attribute_version": ("member_id",), "household_event": ("id", "household_id"),
        "household_assessment": ("id", "household_id"),
        "household_timeline": ("household_id", "assessment_id"),
        "person_timeline": ("person_id", "household_id")}
# Attribute versions are numbered (bigint identity) and the person timelines name the version in
# force (`attributes.version_id`): a copy's versions are numbered original + c * VERSION_STRIDE.
VERSION_STRIDE = 10_000_000_000


async def _token(base: str, url: str, work: Path, n: int) -> str:
    """A fresh access token of a city admin (a new user each time: read_bench's helper)."""
    import bench.read_bench as rb

    if n == 0:
        return await rb._token(base, url, work)
    import httpx

    async with httpx.AsyncClient(base_url=base) as c:
        r = await c.post("/api/v1/auth/token", data={
            "grant_type": "password", "username": "bench", "password": "a long bench password"})
        r.raise_for_status()
        return r.json()["access_token"]


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg", "postgresql")


def seed(households: int, work: Path) -> tuple[str, str, dict]:
    """A fresh database with villages and `households` households through the import path."""
    from app.imports import synthetic
    from bench.import_bench import _import, fresh_database

    name = f"xk_scale_bench_{uuid.uuid4().hex[:8]}"
    url = fresh_database(name)
    vills = synthetic.villages(8)
    synthetic.write_villages(work / "villages.csv", vills)
    rows = synthetic.write_households(work / "households.csv", households, vills, 7)
    out = {}
    for kind, file in (("villages", "villages.csv"), ("households", "households.csv")):
        done = asyncio.run(_import(url, str(work), work / file, kind))
        if done["state"] != "succeeded":
            raise SystemExit(f"{kind} import failed: {done}")
        out[kind] = done
    seconds = out["households"]["seconds"]
    print(f"import: {rows:,} member rows ({households:,} households) in {seconds:.1f} s "
          f"= {rows / seconds:,.0f} rows/s (timelines included)")
    return name, url, {"rows": rows, "seconds": seconds, "rows_per_s": rows / seconds}


async def _columns(conn, table: str) -> list[str]:
    """The columns a copy writes: all but the identity keys, which number themselves (except
    the attribute versions', which the person timelines name)."""
    return [r[0] for r in await conn.fetch(
        "SELECT column_name FROM information_schema.columns WHERE table_name = $1 "
        "AND (is_identity = 'NO' OR table_name = 'member_attribute_version') "
        "ORDER BY ordinal_position", table)]


def _select(table: str, cols: list[str]) -> str:
    """The copy c of every original row of `table`: keys derived from the original's and c."""
    out = []
    for col in cols:
        if col in KEYS[table]:
            out.append(f"CASE WHEN t.{col} IS NULL THEN NULL "
                       f"ELSE md5(t.{col}::text || '/' || c)::uuid END")
        elif col == "id_hash":  # current members' hashes are unique
            out.append("decode(md5(encode(t.id_hash, 'hex') || '/' || c), 'hex')")
        elif table == "member_attribute_version" and col == "id":
            out.append(f"t.id + c::bigint * {VERSION_STRIDE}")
        elif table == "person_timeline" and col == "ordinal":
            # the person's place in the household's member order (joined_on, relation, id),
            # which the copy's new keys may change: a rank over the copy's members
            out.append("(dense_rank() OVER (PARTITION BY t.household_id, c ORDER BY m.joined_on,"
                       " m.relation, md5(m.id::text || '/' || c)::uuid) - 1)::int")
        elif table == "person_timeline" and col == "attributes":
            out.append("CASE WHEN t.attributes ? 'version_id' THEN jsonb_set(t.attributes, "
                       "'{version_id}', to_jsonb((t.attributes->>'version_id')::bigint "
                       f"+ c::bigint * {VERSION_STRIDE})) ELSE t.attributes END")
        else:
            out.append(f"t.{col}")
    origin = "household_id" if table != "household" else "id"
    if table == "member_attribute_version":
        where = "t.member_id IN (SELECT id FROM household_member WHERE household_id = ANY($3))"
    else:
        where = f"t.{origin} = ANY($3)"
    member = " JOIN household_member m ON m.id = t.person_id" if table == "person_timeline" else ""
    return (f'INSERT INTO {table} ({", ".join(cols)}) SELECT {", ".join(out)} FROM {table} t '
            f"{member} CROSS JOIN generate_series($1::int, $2::int) AS c WHERE {where}")


async def grow(url: str, originals: list[uuid.UUID], first: int, last: int) -> float:
    """Copies `first`..`last` of every original household, set-wise, in batches of copies."""
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    started = time.perf_counter()
    try:
        # The copies are of rows that already hold every constraint: the foreign-key triggers
        # (one lookup per row) are skipped for this connection only (superuser), the unique and
        # exclusion indexes still check every copy. No fsync wait per batch either.
        await conn.execute("SET session_replication_role = replica")
        await conn.execute("SET synchronous_commit = off")
        statements = [_select(t, await _columns(conn, t)) for t in CLONED]
        step = 8
        for lo in range(first, last + 1, step):
            hi = min(last, lo + step - 1)
            async with conn.transaction():
                for stmt in statements:
                    await conn.execute(stmt, lo, hi, originals)
            print(f"  copies {lo}-{hi} of {last} written "
                  f"({time.perf_counter() - started:.0f} s)", flush=True)
        for t in CLONED:
            await conn.execute(f"VACUUM ANALYZE {t}")
    finally:
        await conn.close()
    return time.perf_counter() - started


def check_timelines(url: str, work: Path, village: str) -> str:
    env = {**os.environ, "DATABASE_URL": url, "XIAOKANG_DATA_DIR": str(work),
           "XIAOKANG_LOG_JSON": "false"}
    cli = str(Path(sys.executable).parent / "xiaokang")
    done = subprocess.run([cli, "check-timelines", "--region", village], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    out = (done.stdout + done.stderr).strip().splitlines()
    if done.returncode != 0:
        raise SystemExit("the copied timelines differ from the builder's:\n" + "\n".join(out[-20:]))
    return out[-1] if out else ""


async def _facts(url: str) -> dict:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        persons = await conn.fetchval("SELECT count(*) FROM household_member")
        households = await conn.fetchval("SELECT count(*) FROM household")
        hids = [str(r[0]) for r in await conn.fetch(
            "SELECT id FROM household ORDER BY random() LIMIT 4000")]
        deep = await conn.fetchval(
            "SELECT h.id FROM household h JOIN household_timeline t ON t.household_id = h.id "
            "AND t.valid @> $1::date WHERE t.status = 'registered' ORDER BY h.id "
            "OFFSET (SELECT count(*) * 9 / 10 FROM household) LIMIT 1",
            date.fromisoformat(AS_OF))
        size = await conn.fetchval("SELECT pg_database_size(current_database())")
    finally:
        await conn.close()
    random.shuffle(hids)
    return {"persons": persons, "households": households, "hids": hids,
            "deep": str(deep) if deep else None, "bytes": size}


async def _roster(url: str, persons: int) -> dict:
    """Roster generation through the service, first run (every eligible person inserted);
    persons per second counts everyone on the register, as bench.roster_bench does."""
    import asyncpg

    from app.auth.principal import CITY_CODE, Principal
    from app.db import Database, to_async_url
    from app.insurance.service.roster import generate_roster

    conn = await asyncpg.connect(_dsn(url))
    try:
        await conn.execute("DELETE FROM insurance_entry_history; DELETE FROM insurance_roster_run;"
                           " DELETE FROM insurance_roster_entry; DELETE FROM insurance_scheme")
        await conn.execute(
            "INSERT INTO insurance_scheme (id, year, kind, premium, reference_date, funding_body,"
            " share_city, share_district, share_town, version, created_by) VALUES ($1, $2, $3,"
            " 100.00, $4, '市、市(區)、鎮財政', 40, 40, 20, 1, 'bench')",
            uuid.uuid4(), REFERENCE.year, ROSTER_KIND, REFERENCE)
    finally:
        await conn.close()
    db = Database(to_async_url(url), pool_size=2, max_overflow=0)
    principal = Principal(kind="user", id=uuid.uuid4(), name="bench", role="admin",
                          scopes=frozenset({"insurance:write"}), region_code=CITY_CODE)
    try:
        async with db.sessionmaker() as session:
            t = time.perf_counter()
            result = await generate_roster(session, principal, REFERENCE.year, ROSTER_KIND)
            await session.commit()
            seconds = time.perf_counter() - t
    finally:
        await db.dispose()
    return {"seconds": seconds, "added": result.added, "persons_per_s": persons / seconds}


async def measure(args, url: str, work: Path, app_base: str, auth: dict) -> dict:
    import httpx

    from app.kit.pagination import encode_cursor

    f = await _facts(url)
    hids, secs, conns = f["hids"], args.seconds, args.connections
    out: dict = {"persons": f["persons"], "households": f["households"],
                 "database_gb": round(f["bytes"] / 1e9, 2)}
    paths = {
        "household_get": lambda i: ("GET", f"/api/v1/households/{hids[i % len(hids)]}"
                                    f"?as_of={AS_OF}", None),
        "list_first_page": lambda i: ("GET", "/api/v1/households?limit=50&status=registered"
                                      f"&as_of={AS_OF}", None),
        "visit_post": lambda i: ("POST", f"/api/v1/households/{hids[i % len(hids)]}/visits",
                                 {"date": "2019-05-01", "notes": "scale bench visit"}),
    }
    if f["deep"]:
        cursor = encode_cursor((uuid.UUID(f["deep"]),))
        paths["list_deep_page"] = lambda i: (
            "GET", f"/api/v1/households?limit=50&status=registered&as_of={AS_OF}&cursor={cursor}",
            None)
    for key, make in paths.items():
        r = await drive(app_base, make, secs, conns, auth)
        out[key] = {k: round(v, 2) for k, v in r.items()}
        print(f"  {key:16} {r['rps']:8.1f} req/s  p50 {r['p50_ms']:7.1f} ms  "
              f"p99 {r['p99_ms']:7.1f} ms  (errors {r['errors']} of {r['n']})", flush=True)
    async with httpx.AsyncClient(base_url=app_base, headers=auth, timeout=3600) as c:
        t = time.perf_counter()
        r = await c.get("/api/v1/reports/summary", params={"as_of": AS_OF, "year": 2019})
        out["report_summary_s"] = round(time.perf_counter() - t, 3)
        out["report_status"] = r.status_code
    print(f"  report summary   {out['report_summary_s']:.2f} s (HTTP {r.status_code})", flush=True)
    roster = await _roster(url, f["persons"])
    out["roster"] = {k: round(v, 2) for k, v in roster.items()}
    print(f"  roster           {roster['added']:,} entries in {roster['seconds']:.1f} s = "
          f"{roster['persons_per_s']:,.0f} persons/s", flush=True)
    return out


def _cost_ratio(small: dict, large: dict, key: str) -> float | None:
    """Seconds per request at the large size over the small one (the inverse of the rps)."""
    a, b = small.get(key), large.get(key)
    if not a or not b or not b["rps"] or a["errors"] or b["errors"]:
        return None  # a path that answered errors measured something else
    return round(a["rps"] / b["rps"], 3)


@contextlib.asynccontextmanager
async def _app(url: str, work: Path):
    """One uvicorn worker of the app on the database: its base URL while the block runs."""
    env = {**os.environ, "DATABASE_URL": url, "XIAOKANG_DATA_DIR": str(work),
           "XIAOKANG_LOG_JSON": "false"}
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = _serve("app.main:create_app", port, env, True)
    try:
        await _wait(base, "/healthz")
        yield base
    finally:
        server.terminate()
        server.wait(timeout=30)


async def _measured(args, url: str, work: Path, base: str, n: int, label: str) -> dict:
    """`measure` with a fresh token (growing can outlast an access token: 15 minutes) and the
    load average at the start."""
    auth = {"Authorization": f"Bearer {await _token(base, url, work, n)}"}
    proc = subprocess.run(["uptime"], capture_output=True, text=True)
    print(f"measuring {label}; {proc.stdout.strip()}", flush=True)
    out = await measure(args, url, work, base, auth)
    out["uptime"] = proc.stdout.strip()
    return out


async def run(args, url: str, work: Path, seed_persons: int) -> dict:
    import asyncpg

    conn = await asyncpg.connect(_dsn(url))
    try:
        originals = [r[0] for r in await conn.fetch("SELECT id FROM household")]
        village = await conn.fetchval("SELECT village_code FROM household LIMIT 1")
    finally:
        await conn.close()
    sizes: dict[int, dict] = {}
    copies = 0
    async with _app(url, work) as base:
        for n, target in enumerate(args.sizes):
            want = max(0, math.ceil(target / seed_persons) - 1)
            if want > copies:
                print(f"growing to ≈ {target:,} persons ({want} copies)", flush=True)
                seconds = await grow(url, originals, copies + 1, want)
                print(f"  grown in {seconds:.0f} s", flush=True)
                if copies == 0:
                    print("  check-timelines over village", village, ":",
                          await asyncio.to_thread(check_timelines, url, work, village))
                copies = want
            sizes[target] = await _measured(args, url, work, base, n, f"at {target:,} persons")
    return sizes


async def remeasure(args) -> dict:
    """The measurements of one size again, on a database a `--keep` run left."""
    from bench.import_bench import _server_url

    url = _server_url().set(database=args.database).render_as_string(hide_password=False)
    async with _app(url, Path(args.work)) as base:
        return await _measured(args, url, Path(args.work), base, 0, args.database)


def summary(sizes: dict[int, dict], imported: dict) -> dict:
    small_n, large_n = min(sizes), max(sizes)
    small, large = sizes[small_n], sizes[large_n]
    get_r = _cost_ratio(small, large, "household_get")
    list_r = _cost_ratio(small, large, "list_first_page")
    roster_rate = round(large["roster"]["persons_per_s"])
    five = FIVE_MILLION in sizes
    return {
        "household_get_ratio_5m_to_100k": get_r if five else None,
        "list_ratio_5m_to_100k": list_r if five else None,
        "roster_persons_per_s_5m": roster_rate if five else None,
        "smallest_persons": small["persons"], "largest_persons": large["persons"],
        "household_get_ratio_largest_to_smallest": get_r,
        "list_ratio_largest_to_smallest": list_r,
        "list_deep_ratio_largest_to_smallest": _cost_ratio(small, large, "list_deep_page"),
        "visit_post_ratio_largest_to_smallest": _cost_ratio(small, large, "visit_post"),
        "roster_persons_per_s_largest": roster_rate,
        "roster_persons_per_s_smallest": round(small["roster"]["persons_per_s"]),
        "report_summary_s_smallest": small["report_summary_s"],
        "report_summary_s_largest": large["report_summary_s"],
        "household_get_rps_largest": large["household_get"]["rps"],
        "visit_post_rps_largest": large["visit_post"]["rps"],
        "import_rows_per_s": round(imported["rows_per_s"]),
        "errors": sum(s[k]["errors"] for s in sizes.values()
                      for k in ("household_get", "list_first_page", "list_deep_page",
                                "visit_post") if k in s),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000,1000000",
                    help="persons, comma-separated, ascending (5000000 for the full register)")
    ap.add_argument("--seed-households", type=int, default=2000,
                    help="households imported through the import path before copying")
    ap.add_argument("--seconds", type=float, default=6.0, help="load per path and size")
    ap.add_argument("--connections", type=int, default=8)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    ap.add_argument("--database", help="measure again, at its size, a database a --keep run "
                                       "left (its name; with --work)")
    ap.add_argument("--work", help="the data directory (keys) of that run")
    args = ap.parse_args()
    args.sizes = sorted(int(s) for s in args.sizes.split(","))
    random.seed(7)
    if args.database:
        print(json.dumps(asyncio.run(remeasure(args)), default=str))
        return
    work = Path(tempfile.mkdtemp(prefix="xk_scale_bench_"))
    name, url, imported = seed(args.seed_households, work)
    try:
        sizes = asyncio.run(run(args, url, work, imported["rows"]))
    finally:
        if not args.keep:
            from bench.import_bench import drop_database

            drop_database(name)
    print(json.dumps({"sizes": sizes}, default=str))
    print(json.dumps(summary(sizes, imported)))


if __name__ == "__main__":
    main()
