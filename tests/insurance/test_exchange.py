"""The exchange with the health-insurance system (十三, I3): pages, CSV, confirmations."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from app.models.oversight import Event
from tests.conftest import assert_problem
from tests.households.factories import member, register_household, valid_id, wrong_check_digit
from tests.insurance.helpers import (
    BASE,
    by_person,
    confirm,
    entries,
    generate,
    insurance_client,
    make_scheme,
)

VILLAGE = "321283100201"  # 泰興市
OTHER_VILLAGE = "321202100201"  # 海陵區
URL = f"{BASE}/rosters/2019/basic_medical"


async def _events(db, pattern: str) -> list[Event]:
    async with db.sessionmaker() as s:
        return list((await s.scalars(select(Event).where(Event.type.like(pattern))
                                     .order_by(Event.id))).all())


def tekun(name: str, birth: str, relation: str = "02", **kw):
    return member(relation, birth=birth, name=name, labour_capacity="lost",
                  tekun_since="2016-03-01", **kw)


async def _roster(client, admin, village=VILLAGE):
    """Two 特困 persons and one plain member, on a generated 2019 basic roster."""
    hh = await register_household(client, admin, village, members=[
        tekun("馮一", "19450101"), tekun("馮二", "19460101", "10"),
        member("20", birth="19900101", name="馮三")])
    return {m["name"]: m for m in hh["members"]}


async def _setup(client, admin):
    await make_scheme(client, admin, 2019)
    people = await _roster(client, admin)
    await generate(client, admin)
    return people


async def test_confirmations_answer_per_row_unknown_duplicate_and_not_on_roster(client, admin):
    p = await _setup(client, admin)
    one, two, three = p["馮一"], p["馮二"], p["馮三"]
    stranger = valid_id("19500101", seq=777)
    res = await confirm(client, admin, [
        {"id_number": one["id_number"], "state": "confirmed"},
        {"id_number": one["id_number"].lower(), "state": "rejected"},
        {"id_number": stranger, "state": "confirmed"},
        {"id_number": three["id_number"], "state": "confirmed"},
        {"id_number": two["id_number"], "state": "rejected", "reason": "已在外地參保"},
        {"id_number": wrong_check_digit(two["id_number"]), "state": "confirmed"},
    ])
    assert [r["result"] for r in res["results"]] == [
        "ok", "duplicate_in_request", "unknown_person", "not_on_roster", "ok",
        "invalid_id_number"]
    assert [r["index"] for r in res["results"]] == list(range(6))
    assert res["results"][1]["state"] == "confirmed"
    assert res["applied"] == 2 and res["received"] == 6
    assert res["counts"] == {"ok": 2, "duplicate_in_request": 1, "unknown_person": 1,
                             "not_on_roster": 1, "invalid_id_number": 1}
    rows = by_person(await entries(client, admin))
    assert rows[one["id"]]["state"] == "confirmed"
    assert rows[two["id"]]["state"] == "rejected"
    assert rows[two["id"]]["state_reason"] == "已在外地參保"


async def test_the_same_batch_twice_changes_nothing_the_second_time(client, admin, db):
    p = await _setup(client, admin)
    batch = [{"id_number": p["馮一"]["id_number"], "state": "confirmed"},
             {"id_number": p["馮二"]["id_number"], "state": "rejected", "reason": "重複參保"}]
    first = await confirm(client, admin, batch)
    assert first["applied"] == 2
    after_first = await entries(client, admin)
    events = await _events(db, "insurance.entry.%")
    second = await confirm(client, admin, batch)
    assert second["applied"] == 0
    assert [r["result"] for r in second["results"]] == ["already_in_state"] * 2
    assert await entries(client, admin) == after_first
    again = await _events(db, "insurance.entry.%")
    assert [(e.type, e.payload["count"]) for e in events] == [
        ("insurance.entry.confirmed", 1), ("insurance.entry.rejected", 1)]
    assert len(again) == len(events)


async def test_a_changed_answer_moves_a_rejected_row_to_confirmed(client, admin):
    p = await _setup(client, admin)
    n = p["馮一"]["id_number"]
    await confirm(client, admin, [{"id_number": n, "state": "rejected", "reason": "待核"}])
    res = await confirm(client, admin, [{"id_number": n, "state": "confirmed"}])
    assert res["results"][0]["result"] == "ok" and res["results"][0]["state"] == "confirmed"


async def test_more_than_ten_thousand_rows_are_refused_with_413(client, admin):
    await _setup(client, admin)
    rows = [{"id_number": valid_id("19500101", seq=i % 1000), "state": "confirmed"}
            for i in range(10_001)]
    r = await confirm(client, admin, rows, expect=413)
    assert_problem(r, 413, "insurance.confirmations.too_many")


async def test_a_row_with_an_unknown_state_refuses_the_whole_batch(client, admin):
    p = await _setup(client, admin)
    r = await client.post(f"{URL}/confirmations", headers=admin, json=[
        {"id_number": p["馮一"]["id_number"], "state": "confirmed"},
        {"id_number": p["馮二"]["id_number"], "state": "enrolled"}])
    assert_problem(r, 422, "request.validation")
    assert all(i["state"] == "pending" for i in await entries(client, admin))


async def test_csv_opens_with_a_bom_and_the_roster_columns(client, admin):
    p = await _setup(client, admin)
    r = await client.get(f"{URL}/entries", headers={**admin, "Accept": "text/csv"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/csv")
    assert "roster-2019-basic_medical.csv" in r.headers["content-disposition"]
    assert r.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.DictReader(io.StringIO(r.content.decode("utf-8-sig"))))
    assert list(table[0]) == ["person_id", "id_number", "name", "household_id", "village_code",
                              "district_code", "amount", "share_city", "share_district",
                              "share_town", "basis", "state", "flagged", "state_reason",
                              "reasons"]
    assert {row["name"] for row in table} == {"馮一", "馮二"}
    row = next(r for r in table if r["name"] == "馮一")
    assert row["id_number"] == p["馮一"]["id_number"]  # admin holds pii:read
    assert row["amount"] == "250.00" and row["basis"] == "direct" and row["state"] == "pending"
    assert row["district_code"] == "321283000000" and "E2 (十三)" in row["reasons"]


async def test_id_numbers_are_masked_without_pii_read_and_unmasked_reads_are_audited(
        client, admin, make_user):
    p = await _setup(client, admin)
    number = p["馮一"]["id_number"]
    officer = await make_user("city_officer")
    masked = by_person(await entries(client, officer))[p["馮一"]["id"]]["id_number"]
    assert masked == number[:6] + "********" + number[-4:]
    csv_masked = await client.get(f"{URL}/entries", headers={**officer, "Accept": "text/csv"})
    assert number not in csv_masked.text and masked in csv_masked.text
    reader = await make_user("city_officer", extra_scopes=["pii:read"])
    r = await client.get(f"{URL}/entries", headers={**reader, "Accept": "text/csv"})
    assert number in r.content.decode("utf-8-sig")
    audit = (await client.get("/api/v1/audit", headers=admin,
                              params={"action": "pii.read", "entity_type": "insurance_roster"})
             ).json()["items"]
    assert len(audit) == 1
    assert audit[0]["after"] == {"roster": "2019/basic_medical", "count": 2, "via": "csv"}


async def test_rosters_are_region_scoped_for_reads_and_confirmations(client, admin, make_user):
    await make_scheme(client, admin, 2019)
    mine = await _roster(client, admin, VILLAGE)
    theirs = await _roster(client, admin, OTHER_VILLAGE)
    await generate(client, admin)
    officer = await make_user("district_officer", "321283000000")
    names = {i["name"] for i in await entries(client, officer)}
    assert names == {"馮一", "馮二"} and len(await entries(client, admin)) == 4
    csv_rows = await client.get(f"{URL}/entries", headers={**officer, "Accept": "text/csv"})
    assert len(csv_rows.content.decode("utf-8-sig").strip().splitlines()) == 3
    res = await confirm(client, officer, [
        {"id_number": theirs["馮一"]["id_number"], "state": "confirmed"},
        {"id_number": mine["馮一"]["id_number"], "state": "confirmed"}])
    assert [r["result"] for r in res["results"]] == ["unknown_person", "ok"]
    other = by_person(await entries(client, admin))[theirs["馮一"]["id"]]
    assert other["state"] == "pending"


async def test_health_insurance_client_reads_and_confirms(client, admin):
    p = await _setup(client, admin)
    machine = await insurance_client(client, admin)
    items = await entries(client, machine)
    assert len(items) == 2 and all("*" in i["id_number"] for i in items)
    res = await confirm(client, machine, [{"id_number": p["馮一"]["id_number"],
                                           "state": "confirmed"}])
    assert res["results"][0]["result"] == "ok"
    assert "*" in res["results"][0]["id_number"]
    reader_only = await insurance_client(client, admin, ["insurance:read"])
    r = await client.post(f"{URL}/confirmations", headers=reader_only, json=[])
    assert_problem(r, 403, "auth.missing_scope")


async def test_entries_pages_follow_the_cursor(client, admin):
    await _setup(client, admin)
    first = await client.get(f"{URL}/entries", headers=admin, params={"limit": 1})
    assert len(first.json()["items"]) == 1 and first.json()["next_cursor"]
    second = await client.get(f"{URL}/entries", headers=admin,
                              params={"limit": 1, "cursor": first.json()["next_cursor"]})
    assert second.json()["next_cursor"] is None
    assert second.json()["items"][0]["id"] > first.json()["items"][0]["id"]


async def test_roster_csv_writes_a_formula_name_as_quoted_text(client, admin):
    evil = '=HYPERLINK("http://evil","x")'
    await make_scheme(client, admin, 2019)
    await register_household(client, admin, VILLAGE, members=[tekun(evil, "19450101")])
    await generate(client, admin)
    r = await client.get(f"{URL}/entries", headers={**admin, "Accept": "text/csv"})
    assert r.status_code == 200, r.text
    names = {row["name"] for row in csv.DictReader(io.StringIO(r.content.decode("utf-8-sig")))}
    assert names == {"'" + evil}
