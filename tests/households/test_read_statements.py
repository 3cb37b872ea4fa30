"""The household read's share of the database: one SELECT for the household, its answers on the
date and its members with theirs, plus the one audit row of an unmasked read (issue 11: a
household read in at most three statements). Counted at the driver, after the caller's account
state is cached, so the count is the read's own."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, text

from tests.households.factories import member, register_household, valid_id

V = "321283100201"


@contextmanager
def statements(db):
    """The SQL statements (not BEGIN/COMMIT) the app sends while the block runs."""
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(db.engine.sync_engine, "before_cursor_execute", on_execute)
    try:
        yield seen
    finally:
        event.remove(db.engine.sync_engine, "before_cursor_execute", on_execute)


async def test_unmasked_household_read_is_one_select_and_one_audit_row(client, admin, db):
    numbers = [valid_id("19660512", seq=171), valid_id("19680304", seq=172, sex="female")]
    hh = await register_household(client, admin, V, members=[
        member("02", id_number=numbers[0]), member("10", birth="19680304", id_number=numbers[1])])
    url = f"/api/v1/households/{hh['id']}?as_of=2019-06-01"
    assert (await client.get(url, headers=admin)).status_code == 200  # account state cached
    with statements(db) as seen:
        r = await client.get(url, headers=admin)
    assert r.status_code == 200, r.text
    assert sorted(m["id_number"] for m in r.json()["members"]) == sorted(numbers)
    assert [s.split()[0] for s in seen] == ["SELECT", "INSERT"], seen
    assert "INSERT INTO audit_log" in seen[1]
    async with db.sessionmaker() as s:
        rows = (await s.execute(text(
            "SELECT after->'person_ids' FROM audit_log WHERE action = 'pii.read' "
            "AND entity_id = :h ORDER BY id"), {"h": hh["id"]})).scalars().all()
    # each unmasked read (the registration's answer, and the two reads) names both persons once
    assert len(rows) == 3
    assert sorted(rows[-1]) == sorted(m["id"] for m in hh["members"])


async def test_masked_household_read_is_one_select(client, admin, make_user, db):
    hh = await register_household(client, admin, V)
    officer = await make_user("district_officer", "321283000000")
    url = f"/api/v1/households/{hh['id']}"
    assert (await client.get(url, headers=officer)).status_code == 200
    with statements(db) as seen:
        r = await client.get(url, headers=officer)
    assert r.status_code == 200, r.text
    assert "*" in r.json()["members"][0]["id_number"]
    assert len(seen) == 1 and seen[0].startswith("SELECT"), seen


async def test_household_outside_the_region_is_not_found_in_the_same_one_select(
        client, admin, make_user, db):
    hh = await register_household(client, admin, V)
    elsewhere = await make_user("district_officer", "321281000000", extra_scopes=["pii:read"])
    url = f"/api/v1/households/{hh['id']}"
    assert (await client.get(url, headers=elsewhere)).status_code == 404
    with statements(db) as seen:
        r = await client.get(url, headers=elsewhere)
    assert r.status_code == 404
    assert r.json()["code"] == "household.not_found"
    assert len(seen) == 1, seen  # nothing shown, nothing audited


async def test_a_list_page_after_a_cursor_bounds_the_timeline_scan(client, admin, db):
    """The keyset bound is on the timeline's household_id, the index a page walks: the planner
    does not carry an inequality across the join, and with the bound on `household.id` a deep
    page walked the timeline's index from its beginning (10 s at 5 million persons)."""
    ids = sorted([(await register_household(client, admin, V))["id"] for _ in range(3)])
    first = await client.get("/api/v1/households?limit=1", headers=admin)
    assert first.status_code == 200, first.text
    with statements(db) as seen:
        r = await client.get(f"/api/v1/households?limit=1&cursor={first.json()['next_cursor']}",
                             headers=admin)
    assert r.status_code == 200, r.text
    assert [h["id"] for h in r.json()["items"]] == ids[1:2]
    listed = [s for s in seen if "FROM household JOIN household_timeline" in s]
    assert len(listed) == 1, seen
    assert "household_timeline.household_id >" in listed[0], listed[0]
    assert "ORDER BY household_timeline.household_id" in listed[0], listed[0]
