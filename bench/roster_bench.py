"""Roster generation benchmark (十三, I2): `python -m bench.roster_bench --persons 100000`.

Creates its own database (on DATABASE_URL's server, or the embedded one, as the tests do),
migrates it, inserts registered households across the six 市(區) with COPY (not through the API:
the point is the roster, not registration), some with 特困 members and some covered by dibao,
some exited inside or outside the R7 retention; then times, in the same run:

- a plain SQL read of the same facts (every member of the candidate households with the
  attribute version in force and the household's latest lifecycle event), and
- roster generation through the service (`generate_roster`: facts, the policy engine, the diff,
  the writes), first run (inserts) and a second run (idempotent refresh, no writes),

and prints persons per second for each and the ratio. The database is dropped at the end
(unless --keep).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import URL
from stdnum.cn import ric

from app.auth.principal import CITY_CODE, Principal
from app.config import get_settings
from app.db import Database, embedded_admin_url, to_async_url
from app.insurance.service.roster import generate_roster
from app.migrate import upgrade
from app.pii import encrypt, id_hash

DISTRICTS = ("321202", "321203", "321204", "321281", "321282", "321283")
TOWNS_PER_DISTRICT = 6
VILLAGES_PER_TOWN = 10
REGISTERED_ON = date(2016, 3, 1)
REFERENCE = date(2019, 1, 1)
ACTOR = "bench"

PLAIN_READ = """
WITH last AS (
    SELECT DISTINCT ON (household_id) household_id, kind, occurred_on
    FROM household_event WHERE occurred_on <= $1
    ORDER BY household_id, occurred_on DESC, seq DESC
)
SELECT m.id, m.household_id, m.name, m.id_number_enc, m.id_hash, m.birth_date, h.village_code,
       last.kind, last.occurred_on, v.labour_capacity, v.health, v.disability_grade,
       v.tekun_since, v.in_school
FROM household_member m
JOIN household h ON h.id = m.household_id
JOIN last ON last.household_id = m.household_id
JOIN LATERAL (
    SELECT * FROM member_attribute_version x
    WHERE x.member_id = m.id AND x.effective_from <= $1
    ORDER BY x.effective_from DESC, x.id DESC LIMIT 1
) v ON true
WHERE m.joined_on <= $1 AND (m.left_on IS NULL OR m.left_on > $1)
"""


def _server_url() -> URL:
    if os.environ.get("DATABASE_URL"):
        return to_async_url(os.environ["DATABASE_URL"])
    root = Path(__file__).resolve().parent.parent
    return embedded_admin_url(Path(os.environ.get("XIAOKANG_DATA_DIR", root / ".data")))


def _connect_kwargs(url: URL) -> dict:
    return {"host": url.host or url.query.get("host"), "port": url.port, "user": url.username,
            "password": url.password, "database": url.database}


def _id_number(county: str, n: int) -> str:
    """A unique valid GB 11643 number: birth date and 3-digit order derived from n."""
    birth = date(1930, 1, 1) + timedelta(days=(n // 1000) % 28000)
    body = f"{county}{birth:%Y%m%d}{n % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def _villages() -> list[str]:
    return [f"{d}{t:03d}{v:03d}" for d in DISTRICTS for t in range(100, 100 + TOWNS_PER_DISTRICT)
            for v in range(201, 201 + VILLAGES_PER_TOWN)]


def _dataset(persons: int, seed: int = 2016):
    """Households of 1-5 members (3.3 on average) until `persons` members exist."""
    rnd = random.Random(seed)
    settings = get_settings()
    villages = _villages()
    households, events, members, versions, cases = [], [], [], [], []
    n = 0
    while n < persons:
        hid = uuid.uuid4()
        village = rnd.choice(villages)
        size = min(rnd.choice((1, 2, 3, 3, 4, 4, 5)), persons - n)
        households.append((hid, village, REGISTERED_ON, "illness", [], 1))
        events.append((uuid.uuid4(), hid, 1, "register", REGISTERED_ON, ACTOR, ACTOR, "{}"))
        roll = rnd.random()
        if roll < 0.10:  # exited 18 months before the reference date: retained (R7)
            events.append((uuid.uuid4(), hid, 2, "exit", date(2017, 7, 1), ACTOR, ACTOR, "{}",
                           24))
        elif roll < 0.15:  # exited 25 months before: retention over
            events.append((uuid.uuid4(), hid, 2, "exit", date(2016, 12, 1), ACTOR, ACTOR, "{}",
                           24))
        if rnd.random() < 0.06:  # covered by an approved dibao grant from May 2016
            cases.append((uuid.uuid4(), hid, village, date(2016, 4, 1), "approved",
                           date(2016, 4, 10), date(2016, 5, 1)))
        for i in range(size):
            mid = uuid.uuid4()
            number = _id_number(village[:6], n)
            birth = ric.get_birth_date(number)
            members.append((mid, hid, f"成員{n}", encrypt(settings, number),
                            id_hash(settings, number), birth,
                            "male" if int(number[16]) % 2 else "female",
                            "02" if i == 0 else "10", REGISTERED_ON))
            tekun = REGISTERED_ON if rnd.random() < 0.05 else None
            labour = "lost" if tekun or rnd.random() < 0.15 else "ordinary"
            health = "serious_illness" if rnd.random() < 0.03 else "healthy"
            versions.append((mid, REGISTERED_ON, labour, health, False, False, tekun, ACTOR))
            n += 1
    return households, events, members, versions, cases


async def _timelines(url) -> None:
    from app.timelines import store

    db = Database(url, pool_size=1, max_overflow=0)
    try:
        async with db.sessionmaker() as s:
            await s.run_sync(store.rebuild)
            await s.commit()
    finally:
        await db.dispose()


async def _load(conn: asyncpg.Connection, persons: int) -> tuple[int, int]:
    households, events, members, versions, cases = _dataset(persons)
    regions = []
    for d in DISTRICTS:
        for t in range(100, 100 + TOWNS_PER_DISTRICT):
            town = f"{d}{t:03d}000"
            regions.append((town, f"town {town}", "town", f"{d}000000"))
            regions += [(f"{d}{t:03d}{v:03d}", f"village {v}", "village", town)
                        for v in range(201, 201 + VILLAGES_PER_TOWN)]
    await conn.copy_records_to_table("region", records=regions,
                                     columns=["code", "name", "level", "parent_code"])
    await conn.copy_records_to_table("household", records=households, columns=[
        "id", "village_code", "registered_on", "cause_main", "cause_others", "version"])
    plain = [e for e in events if len(e) == 8]
    exits = [e for e in events if len(e) == 9]
    cols = ["id", "household_id", "seq", "kind", "occurred_on", "officer", "officer_name",
            "payload"]
    await conn.copy_records_to_table("household_event", records=plain, columns=cols)
    await conn.copy_records_to_table("household_event", records=exits,
                                     columns=[*cols, "retention_months"])
    await conn.copy_records_to_table("household_member", records=members, columns=[
        "id", "household_id", "name", "id_number_enc", "id_hash", "birth_date", "sex",
        "relation", "joined_on"])
    await conn.copy_records_to_table("member_attribute_version", records=versions, columns=[
        "member_id", "effective_from", "labour_capacity", "health", "in_school",
        "stable_nonfarm_employment", "tekun_since", "recorded_by"])
    await conn.copy_records_to_table("dibao_case", records=[(*c, 1, False) for c in cases],
                                     columns=["id", "household_id", "region_code", "applied_on",
                                              "state", "decided_on", "start_month", "version",
                                              "flagged"])
    await conn.execute("ANALYZE")
    return len(households), len(members)


async def _plain_read(url: URL) -> tuple[float, int]:
    conn = await asyncpg.connect(**_connect_kwargs(url))
    try:
        start = time.perf_counter()
        rows = await conn.fetch(PLAIN_READ, REFERENCE)
        return time.perf_counter() - start, len(rows)
    finally:
        await conn.close()


async def _generate(db: Database, principal: Principal):
    async with db.sessionmaker() as session:
        start = time.perf_counter()
        result = await generate_roster(session, principal, REFERENCE.year, "basic_medical")
        await session.commit()
        return time.perf_counter() - start, result


async def _scheme(conn: asyncpg.Connection) -> None:
    await conn.execute(
        "INSERT INTO insurance_scheme (id, year, kind, premium, reference_date, funding_body,"
        " version, created_by) VALUES ($1, $2, 'basic_medical', 250.00, $3, '醫療救助基金', 1,"
        " $4)", uuid.uuid4(), REFERENCE.year, REFERENCE, ACTOR)


async def main(persons: int, keep: bool) -> None:
    server = _server_url()
    name = f"xk_bench_{os.getpid()}"
    admin = await asyncpg.connect(**_connect_kwargs(server))
    await admin.execute(f'CREATE DATABASE "{name}"')
    url = server.set(database=name)
    try:
        t0 = time.perf_counter()
        await asyncio.to_thread(upgrade, url)
        conn = await asyncpg.connect(**_connect_kwargs(url))
        try:
            n_households, n_members = await _load(conn, persons)
            await _scheme(conn)
        finally:
            await conn.close()
        t1 = time.perf_counter()
        await _timelines(url)  # the rows went in with COPY, around the services
        print(f"timelines built in {time.perf_counter() - t1:.1f} s")
        print(f"database {name}: {n_members} persons in {n_households} households "
              f"loaded in {time.perf_counter() - t0:.1f} s")
        plain_s, plain_rows = await _plain_read(url)
        db = Database(url, pool_size=2, max_overflow=0)
        principal = Principal(kind="user", id=uuid.uuid4(), name=ACTOR, role="admin",
                              scopes=frozenset({"insurance:write"}), region_code=CITY_CODE)
        try:
            first_s, first = await _generate(db, principal)
            second_s, second = await _generate(db, principal)
        finally:
            await db.dispose()
        rate = n_members / first_s
        plain_rate = n_members / plain_s
        print(f"plain SQL read of the facts: {plain_rows} current members in {plain_s:.2f} s "
              f"= {plain_rate:,.0f} persons/s")
        print(f"roster generation (first):   {first.added} rows added in {first_s:.2f} s "
              f"= {rate:,.0f} persons/s")
        print(f"roster generation (again):   added {second.added}, removed {second.removed}, "
              f"unchanged {second.unchanged} in {second_s:.2f} s "
              f"= {n_members / second_s:,.0f} persons/s")
        print(f"ratio plain read / generation: first {first_s / plain_s:.1f}x, "
              f"again {second_s / plain_s:.1f}x slower")
        print(json.dumps({"persons_per_s": round(rate), "ratio_to_plain_read":
                          round(first_s / plain_s, 2), "plain_read_persons_per_s":
                          round(plain_rate), "again_persons_per_s": round(n_members / second_s)}))
    finally:
        if not keep:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    asyncio.run(main(args.persons, args.keep))
