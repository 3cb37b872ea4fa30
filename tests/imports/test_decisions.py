"""Row 34 for imports: a registration by import is a decision recorded as the direct endpoint
records it, its entrance `import`, written with the file's one transaction (nothing on a failed
file or a dry run)."""

from __future__ import annotations

from sqlalchemy import func, select

from app.models.proposals import DecisionRecord
from tests.households.factories import assessment, member, register_household
from tests.imports.helpers import (
    HEADER_EN,
    VILLAGE,
    csv_bytes,
    household_rows,
    import_file,
    make_village,
    valid_id,
)

SAME = ("kind", "subject_type", "decided_on", "outcome", "rules", "facts", "policy_versions",
        "reasons", "region_code")


async def _decisions(session) -> int:
    return await session.scalar(select(func.count()).select_from(DecisionRecord))


async def test_an_imported_registration_is_recorded_as_the_direct_one_and_replays(
        client, app, db, admin, session):
    await make_village(client, admin)
    job = await import_file(client, app, db, admin, csv_bytes(
        HEADER_EN, household_rows("H1", 10) + household_rows("H2", 20)))
    assert job["state"] == "succeeded", job["error"]
    assert job["written"]["decisions"] == 2
    # the same household registered through POST /households (other ID numbers)
    direct = await register_household(
        client, admin, VILLAGE, make=False, group="3", causes={"main": "illness", "others": []},
        members=[member("02", id_number=valid_id("19660512", 90), name="Wang Jianguo"),
                 member("10", id_number=valid_id("19680301", 91), name="Li Xiuying",
                        labour_capacity="partial", health="chronic")],
        assessment_=assessment(2015, wage="9000.00", business="0.00", transfer="3000.00"))
    items = (await client.get("/api/v1/decisions?kind=register", headers=admin)).json()["items"]
    imported = [d for d in items if d["entrance"] == "import"]
    mine = next(d for d in items if d["household_id"] == direct["id"])
    assert len(imported) == 2 and mine["entrance"] == "direct"
    for d in imported:
        assert {k: d[k] for k in SAME} == {k: mine[k] for k in SAME}
        assert d["facts"]["assessment"] == {"year": 2015, "version": 1,
                                            "assessed_on": "2015-12-31", "net_income": "12000.00"}
        assert d["decided_by"] == mine["decided_by"]
        event = (await client.get(f"/api/v1/households/{d['household_id']}/events",
                                  headers=admin)).json()["items"][0]
        assert (event["kind"], event["id"]) == ("register", d["subject_id"])
        replay = (await client.post(f"/api/v1/decisions/{d['id']}/replay", headers=admin)).json()
        assert (replay["result"], replay["differences"]) == ("same", []), replay


async def test_a_failed_file_and_a_dry_run_record_no_decision(client, app, db, admin, session):
    await make_village(client, admin)
    rows = household_rows("H1", 10) + household_rows("H2", 20)
    dry = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows), dry_run=True)
    assert dry["state"] == "succeeded" and dry["written"] == {}
    rows[2][6] = rows[3][6] = "abc"  # H2 refused: all or nothing
    failed = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows))
    assert failed["state"] == "failed"
    assert await _decisions(session) == 0
    skipped = await import_file(client, app, db, admin, csv_bytes(HEADER_EN, rows),
                                on_error="skip")
    assert skipped["written"] == {"households": 1, "members": 2, "assessments": 1,
                                  "decisions": 1}
    assert await _decisions(session) == 1
