"""Members: masked ID numbers, pii:read with an audit row, joining, leaving, versioned attributes
with If-Match."""

from __future__ import annotations

from sqlalchemy import text

from tests.conftest import assert_problem
from tests.households.factories import head_of, member, register_household, valid_id

V = "321283100201"


async def test_id_numbers_are_masked_without_pii_read(client, admin, make_user, db):
    number = valid_id("19660512", seq=101)
    hh = await register_household(client, admin, V, members=[member("02", id_number=number)])
    officer = await make_user("district_officer", "321283000000")
    r = await client.get(f"/api/v1/households/{hh['id']}", headers=officer)
    shown = r.json()["members"][0]["id_number"]
    assert shown == number[:6] + "********" + number[-4:]
    assert number not in r.text
    async with db.sessionmaker() as s:
        reads = (await s.execute(text(
            "SELECT count(*) FROM audit_log WHERE action='pii.read'"))).scalar_one()
        stored = (await s.execute(text("SELECT id_number_enc FROM household_member"))).scalar_one()
    assert number.encode() not in stored
    # The registering admin holds pii:read: its answer was unmasked and logged once.
    assert reads == 1


async def test_unmasked_only_with_pii_read_and_every_read_is_audited(client, admin, make_user, db):
    number = valid_id("19660512", seq=103)
    hh = await register_household(client, admin, V, members=[member("02", id_number=number)])
    reader = await make_user("district_officer", "321283000000", extra_scopes=["pii:read"])
    async with db.sessionmaker() as s:
        before = (await s.execute(text(
            "SELECT count(*) FROM audit_log WHERE action='pii.read'"))).scalar_one()
    r = await client.get(f"/api/v1/households/{hh['id']}", headers=reader)
    assert r.json()["members"][0]["id_number"] == number
    async with db.sessionmaker() as s:
        rows = (await s.execute(text(
            "SELECT entity_id, actor_name FROM audit_log WHERE action='pii.read' ORDER BY id"
        ))).all()
    assert len(rows) == before + 1
    assert rows[-1][0] == hh["members"][0]["id"]


async def test_add_member_and_number_uniqueness(client, admin):
    hh = await register_household(client, admin, V)
    baby = valid_id("20170304", seq=105)
    r = await client.post(f"/api/v1/households/{hh['id']}/members", headers=admin, json=member(
        "20", id_number=baby, name="王小寶", labour_capacity="none", joined_on="2017-03-04"))
    assert r.status_code == 201, r.text
    m = r.json()
    assert (m["birth_date"], m["sex"], m["joined_on"]) == ("2017-03-04", "male", "2017-03-04")
    other = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{other['id']}/members", headers=admin,
                          json=member("20", id_number=baby, labour_capacity="none"))
    problem = assert_problem(r, 409, "member.id_number_taken")
    assert problem["household_id"] == hh["id"]


async def test_a_second_head_is_refused(client, admin):
    hh = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{hh['id']}/members", headers=admin,
                          json=member("02", birth="19500101"))
    assert_problem(r, 422, "household.head_exists")


async def test_a_member_who_left_frees_the_number(client, admin):
    number = valid_id("19900101", seq=107)
    hh = await register_household(client, admin, V, members=[
        member("02"), member("30", id_number=number)])
    mid = next(m["id"] for m in hh["members"] if m["relation"] == "30")
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{mid}/leave", headers=admin,
                          json={"left_on": "2018-03-01", "reason": "married_out"})
    assert r.status_code == 200, r.text
    assert (r.json()["left_on"], r.json()["leave_reason"]) == ("2018-03-01", "married_out")
    r = await client.post(f"/api/v1/households/{hh['id']}/members/{mid}/leave", headers=admin,
                          json={"left_on": "2018-04-01", "reason": "moved"})
    assert_problem(r, 409, "member.already_left")
    other = await register_household(client, admin, V)
    r = await client.post(f"/api/v1/households/{other['id']}/members", headers=admin,
                          json=member("10", id_number=number, joined_on="2018-03-01"))
    assert r.status_code == 201, r.text


async def test_leave_reason_and_dates_are_checked(client, admin):
    hh = await register_household(client, admin, V)
    mid = hh["members"][1]["id"]
    url = f"/api/v1/households/{hh['id']}/members/{mid}/leave"
    r = await client.post(url, headers=admin, json={"left_on": "2016-03-01", "reason": "moved"})
    assert_problem(r, 422, "member.leave.before_join")
    r = await client.post(url, headers=admin, json={"left_on": "2099-01-01", "reason": "moved"})
    assert_problem(r, 422, "member.leave.future_date")
    r = await client.post(url, headers=admin, json={"left_on": "2017-01-01", "reason": "eloped"})
    assert_problem(r, 422, "request.validation")


async def test_member_attributes_are_versioned_and_patch_needs_if_match(client, admin):
    hh = await register_household(client, admin, V)
    hid, mid = hh["id"], head_of(hh)["id"]
    url = f"/api/v1/households/{hid}/members/{mid}"
    patch = {"effective_from": "2017-05-01", "health": "disabled",
             "disability": {"category": 2, "grade": 1}, "labour_capacity": "lost"}
    r = await client.patch(url, headers=admin, json=patch)
    assert_problem(r, 428, "precondition.if_match_required")
    r = await client.patch(url, headers={**admin, "If-Match": '"999"'}, json=patch)
    assert_problem(r, 412, "precondition.stale")
    get = await client.get(f"/api/v1/households/{hid}", headers=admin)
    etag = get.headers["ETag"]
    # the version, qualified by the date the answer is for (status and retention change with it)
    assert etag.startswith(f'"{hh["version"]};')
    r = await client.patch(url, headers={**admin, "If-Match": etag}, json=patch)
    assert r.status_code == 200, r.text
    assert r.json()["disability"] == {"category": 2, "grade": 1}
    assert r.headers["ETag"] != etag
    old = (await client.get(f"/api/v1/households/{hid}?as_of=2017-04-30", headers=admin)).json()
    new = (await client.get(f"/api/v1/households/{hid}?as_of=2017-05-01", headers=admin)).json()
    old_head = next(m for m in old["members"] if m["id"] == mid)
    new_head = next(m for m in new["members"] if m["id"] == mid)
    assert (old_head["health"], old_head["disability"], old_head["attributes_from"]) == (
        "healthy", None, "2016-03-01")
    assert (new_head["health"], new_head["labour_capacity"]) == ("disabled", "lost")
    # the same stale ETag again is refused
    r = await client.patch(url, headers={**admin, "If-Match": etag}, json={"in_school": True})
    assert_problem(r, 412, "precondition.stale")


async def test_if_none_match_answers_304(client, admin):
    hh = await register_household(client, admin, V)
    r = await client.get(f"/api/v1/households/{hh['id']}", headers=admin)
    r2 = await client.get(f"/api/v1/households/{hh['id']}",
                          headers={**admin, "If-None-Match": r.headers["ETag"]})
    assert r2.status_code == 304


async def test_patch_household_causes_and_group(client, admin):
    hh = await register_household(client, admin, V)
    url = f"/api/v1/households/{hh['id']}"
    etag = (await client.get(url, headers=admin)).headers["ETag"]
    r = await client.patch(url, headers={**admin, "If-Match": etag},
                           json={"group": "5組", "causes": {"main": "disaster", "others": []}})
    assert r.status_code == 200, r.text
    assert (r.json()["group"], r.json()["causes"]) == ("5組", {"main": "disaster", "others": []})
    assert r.json()["version"] == hh["version"] + 1
    r = await client.patch(url, headers={**admin, "If-Match": r.headers["ETag"]},
                           json={"causes": {"main": "land", "others": ["land"]}})
    assert_problem(r, 422, "household.causes.duplicate")
