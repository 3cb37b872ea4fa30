"""Key rotation (issue 15, point 3): a new PII key and hash key while requests read and write,
batches that resume after an interruption, a second start refused with nothing changed; the
signing key rotates with a kid per token; the start-up check and backups know several keys."""

from __future__ import annotations

import asyncio
import base64
import itertools
import os
import random
import shutil
import subprocess
import sys
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import text

from app import pii
from app.auth.tokens import (
    SigningKeyError,
    TokenError,
    TokenService,
    retire_signing_keys,
    rotate_signing_key,
    token_lifetime,
)
from app.backup import backup, restore
from app.db import Database
from app.keycheck import KeyMismatch, check_keys
from app.keyrotation import HASHES, ROTATION_LOCK, RotationError, old_key_uses, retire, rotate
from tests.conftest import _admin, assert_problem
from tests.households.factories import household_body, make_village, member, valid_id

V = "321283100201"


@pytest.fixture
def rot_settings(test_settings, tmp_path, db, app):
    """Settings with a data directory of their own (the rotation writes key files into it), and
    the signing key of the session, so the test users' tokens hold."""
    data_dir = tmp_path / "keys"
    data_dir.mkdir(mode=0o700)
    for name in ("jwt-es256.pem", "pii-aes.key", "pii-hmac.key"):
        if (test_settings.data_dir / name).exists():
            shutil.copy2(test_settings.data_dir / name, data_dir / name)
            (data_dir / name).chmod(0o600)
    return test_settings.model_copy(update={"data_dir": data_dir,
                                            "database_url": db.url.render_as_string(False)})


@pytest.fixture
async def rclient(db, rot_settings):
    from app.main import create_app

    app = create_app(rot_settings, db=db)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        yield c


@pytest.fixture
async def rotator(db):
    """The rotation's own engine, as a separate `xiaokang rotate-keys` process would have."""
    database = Database(db.url, pool_size=2, max_overflow=0)
    yield database
    await database.dispose()


_day = itertools.count(0)


def fresh_number() -> str:
    """A number no other call gives (a birth date of its own)."""
    birth = (date(1950, 1, 1) + timedelta(days=next(_day))).strftime("%Y%m%d")
    return valid_id(birth, seq=101)


def two_members() -> list[dict]:
    return [member("02", id_number=fresh_number()),
            member("10", birth="19680302", name="李秀英", id_number=fresh_number())]


async def register(client, headers, members) -> httpx.Response:
    return await client.post("/api/v1/households", headers=headers,
                             json=household_body(V, members=members))


async def stored(db, settings) -> list[tuple[str, bytes, bytes, object]]:
    """(number, ciphertext, hash, left_on) of every household member row."""
    async with db.engine.connect() as conn:
        rows = (await conn.execute(text(
            "SELECT id_number_enc, id_hash, left_on FROM household_member"))).all()
    return [(pii.decrypt(settings, bytes(e)), bytes(e), bytes(h), left) for e, h, left in rows]


async def test_rotation_under_load_misses_no_one_and_lets_no_duplicate_in(
        db, rclient, rot_settings, rotator, admin):
    client, settings = rclient, rot_settings
    await make_village(client, admin, V)
    known: dict[str, str] = {}  # number → household id
    for _ in range(6):
        members = two_members()
        r = await register(client, admin, members)
        assert r.status_code == 201, r.text
        known.update({m["id_number"]: r.json()["id"] for m in members})
    failures: list[str] = []
    counts = {"lookups": 0, "creates": 0, "duplicates_refused": 0, "reads": 0}
    rng = random.Random(15)

    async def one_round(create: bool = True) -> None:
        number = rng.choice(sorted(known))
        r = await client.post("/api/v1/persons/lookup", headers=admin,
                              json={"id_number": number, "as_of": "2017-01-01"})
        if r.status_code != 200 or r.json()["household"]["id"] != known[number]:
            failures.append(f"lookup {number}: {r.status_code} {r.text[:200]}")
        counts["lookups"] += 1
        r = await client.get(f"/api/v1/households/{known[number]}", headers=admin)
        if r.status_code != 200 or number not in {m["id_number"] for m in r.json()["members"]}:
            failures.append(f"read {known[number]}: {r.status_code} {r.text[:200]}")
        counts["reads"] += 1
        # a new household with fresh numbers, and one that repeats a number already held
        if create:
            members = two_members()
            r = await register(client, admin, members)
            if r.status_code != 201:
                failures.append(f"create: {r.status_code} {r.text[:200]}")
            else:
                known.update({m["id_number"]: r.json()["id"] for m in members})
                counts["creates"] += 1
        taken = rng.choice(sorted(known))
        r = await register(client, admin, [member("02", id_number=taken),
                                           member("10", birth="19680302",
                                                  id_number=fresh_number())])
        if r.status_code != 409 or r.json().get("code") != "member.id_number_taken":
            failures.append(f"duplicate {taken} let in: {r.status_code} {r.text[:200]}")
        else:
            counts["duplicates_refused"] += 1

    done = asyncio.Event()

    async def load() -> None:
        for _ in range(8):  # bounded: the rotation also catches up with what it writes
            if done.is_set():
                break
            await one_round()

    batches = itertools.count(1)

    async def between_batches() -> None:
        # requests between batches too, so they meet every mix of old and new rows
        await one_round(create=next(batches) <= 6)

    async def rotation():
        try:
            return await rotate(rotator.engine, settings, batch_size=3, on_batch=between_batches)
        finally:
            done.set()

    report, _ = await asyncio.gather(rotation(), load())
    assert failures == []
    assert counts["creates"] > 0 and counts["duplicates_refused"] > 0 and counts["lookups"] > 0
    assert (report.old_aes_kid, report.aes_kid, report.hash_kid) == (0, 1, 1)
    assert report.rewritten["household_member.id_number_enc"] >= 12

    # every ciphertext carries the new key id, every hash is the new key's
    new = pii.Ring(settings, 1, (1,))
    rows = await stored(db, settings)
    assert {pii.key_id(e) for _, e, _, _ in rows} == {1}
    assert all(h == new.id_hash(n) for n, _, h, _ in rows)
    current = [n for n, _, _, left in rows if left is None]
    assert len(current) == len(set(current)) and set(current) == set(known)
    async with db.engine.connect() as conn:
        assert await old_key_uses(conn, settings, 0) == {}
        state = await pii.read_state(conn)
    assert (state["phase"], state["aes_kid"], state["hash_kid"]) == ("idle", 1, 1)

    # the old keys retire; everything still reads with the new ones alone
    removed = await retire(rotator.engine, settings)
    assert sorted(p.name for p in removed) == ["pii-aes.key", "pii-hmac.key"]
    pii.forget_keys()
    for number, hid in sorted(known.items())[:4]:
        r = await client.post("/api/v1/persons/lookup", headers=admin, json={"id_number": number})
        assert r.status_code == 200 and r.json()["household"]["id"] == hid, r.text
    r = await register(client, admin, [member("02", id_number=next(iter(known))),
                                       member("10", birth="19680302", id_number=fresh_number())])
    assert_problem(r, 409, "member.id_number_taken")
    async with db.engine.connect() as conn:
        assert await check_keys(conn, settings) > 0
    assert not (settings.data_dir / "pii-aes.key").exists()  # key 0 is not made up again


async def test_an_interrupted_rotation_resumes_and_a_second_start_is_refused(
        db, rclient, rot_settings, rotator, admin, tmp_path):
    client, settings = rclient, rot_settings
    await make_village(client, admin, V)
    for _ in range(3):
        assert (await register(client, admin, two_members())).status_code == 201

    class Killed(Exception):
        pass

    batches = 0

    def killed_after_two_batches():
        nonlocal batches
        batches += 1
        if batches == 2:
            raise Killed  # the process dies between two committed batches

    with pytest.raises(Killed):
        await rotate(rotator.engine, settings, batch_size=2, on_batch=killed_after_two_batches)

    async def snapshot():
        async with db.engine.connect() as conn:
            state = (await conn.execute(text("SELECT * FROM pii_key_state"))).mappings().one()
        files = sorted(p.name for p in settings.data_dir.iterdir())
        return dict(state), files, await stored(db, settings)

    before = await snapshot()
    assert before[0]["phase"] == "rotating" and before[0]["progress"]
    kids = {pii.key_id(e) for _, e, _, _ in before[2]}
    assert kids == {0, 1}  # half done: both keys read
    # meanwhile, lookups find everyone and the start-up check accepts both keys
    for number, *_ in before[2]:
        r = await client.post("/api/v1/persons/lookup", headers=admin, json={"id_number": number})
        assert r.status_code == 200, r.text
    async with db.engine.connect() as conn:
        assert await check_keys(conn, settings) > 0

    # started again: refused, nothing changed
    with pytest.raises(RotationError, match=r"unfinished.*--resume"):
        await rotate(rotator.engine, settings)
    env = {**os.environ, "DATABASE_URL": db.url.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(settings.data_dir)}
    done = await asyncio.to_thread(subprocess.run, [sys.executable, "-m", "app.cli", "rotate-keys"],
                                   env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 1 and "unfinished" in done.stdout, done.stdout + done.stderr
    assert await snapshot() == before

    # the start-up check: a key the unfinished rotation needs is missing → refuses
    copy = tmp_path / "without-new-key"
    shutil.copytree(settings.data_dir, copy)
    (copy / "pii-aes-1.key").unlink()
    async with db.engine.connect() as conn:
        with pytest.raises(KeyMismatch, match="missing"):
            await check_keys(conn, settings.model_copy(update={"data_dir": copy}))

    # a backup in the middle of it keeps both keys, and its restore reads every number
    archive = tmp_path / "mid-rotation.backup"
    await backup(settings, db.url, archive, "pass phrase")
    name = f"xk_rot_{uuid.uuid4().hex[:8]}"
    server = db.url.set(database="postgres")
    await _admin(server, f'CREATE DATABASE "{name}"')
    try:
        restored = settings.model_copy(update={"data_dir": tmp_path / "restored"})
        await restore(restored, db.url.set(database=name), archive, "pass phrase")
        assert {"pii-aes.key", "pii-aes-1.key", "pii-hmac.key", "pii-hmac-1.key"} <= {
            p.name for p in restored.data_dir.iterdir()}
        again = Database(db.url.set(database=name), pool_size=1, max_overflow=0)
        try:
            async with again.engine.connect() as conn:
                assert await check_keys(conn, restored) > 0
        finally:
            await again.dispose()
    finally:
        await _admin(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    # another process rotating: refused
    async with rotator.engine.connect() as other:
        assert await other.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": ROTATION_LOCK})
        with pytest.raises(RotationError, match="running in another process"):
            await rotate(db.engine, settings, resume=True)
        await other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": ROTATION_LOCK})
        await other.commit()

    # resumed: it finishes from where the batches stopped
    report = await rotate(rotator.engine, settings, resume=True, batch_size=2)
    assert report.resumed
    rows = await stored(db, settings)
    assert {pii.key_id(e) for _, e, _, _ in rows} == {1}
    assert all(h == pii.Ring(settings, 1, (1,)).id_hash(n) for n, _, h, _ in rows)
    with pytest.raises(RotationError, match="nothing to resume"):
        await rotate(rotator.engine, settings, resume=True)


async def test_the_start_up_check_refuses_a_wrong_hash_key(db, rclient, rot_settings, admin,
                                                           tmp_path):
    await make_village(rclient, admin, V)
    assert (await register(rclient, admin, two_members())).status_code == 201
    copy = tmp_path / "wrong-hash-key"
    shutil.copytree(rot_settings.data_dir, copy)
    (copy / "pii-hmac.key").write_text(base64.b64encode(os.urandom(32)).decode())
    async with db.engine.connect() as conn:
        with pytest.raises(KeyMismatch, match="hash key"):
            await check_keys(conn, rot_settings.model_copy(update={"data_dir": copy}))


def test_ciphertexts_name_their_key_and_old_ones_without_an_id_read_as_key_0(rot_settings):
    s = rot_settings
    legacy_key = pii.key_by_id(s, "aes", 0)
    nonce = os.urandom(12)

    legacy = nonce + AESGCM(legacy_key).encrypt(nonce, b"321283196605125011", b"id_number")
    assert pii.key_id(legacy) == 0 and pii.decrypt(s, legacy) == "321283196605125011"
    blob = pii.encrypt(s, "321283196605125011")
    assert blob.startswith(pii.header(0))
    # the key id is bound to the ciphertext: naming another key does not open it
    (s.data_dir / "pii-aes-7.key").write_text(base64.b64encode(os.urandom(32)).decode())
    (s.data_dir / "pii-aes-7.key").chmod(0o600)
    with pytest.raises(InvalidTag):
        pii.decrypt(s, pii.header(7) + blob[pii.HEADER_LEN:])
    with pytest.raises(pii.KeyMissing):
        pii.decrypt(s, pii.header(9) + blob[pii.HEADER_LEN:])


def test_the_signing_key_rotates_and_the_old_one_verifies_until_retired(tmp_path):
    from app.config import Settings

    s = Settings(data_dir=tmp_path, access_token_ttl_seconds=900)
    service = TokenService(s)
    old_kid = service.keys.kid
    old_token, _ = service.issue("user:1", {})
    new_kid = rotate_signing_key(s)
    other_process = TokenService(s)  # started after: signs with the new key
    new_token, _ = service.issue("user:2", {})  # a running process picks the new key up
    from jose import jwt as jose_jwt

    assert jose_jwt.get_unverified_header(new_token)["kid"] == new_kid != old_kid
    assert jose_jwt.get_unverified_header(old_token)["kid"] == old_kid
    for verifier in (service, other_process):
        assert verifier.verify(old_token)["sub"] == "user:1"
        assert verifier.verify(new_token)["sub"] == "user:2"
        assert [k["kid"] for k in verifier.jwks()["keys"]] == [new_kid, old_kid]
    # retiring is refused while an old token may still be valid
    with pytest.raises(SigningKeyError, match="Nothing was removed"):
        retire_signing_keys(s)
    assert len(list(tmp_path.glob("jwt-es256*.pem"))) == 2
    gone = retire_signing_keys(s, now=time.time() + token_lifetime(s) + 1)
    assert [p.name for p in gone] == ["jwt-es256.pem"]
    with pytest.raises(TokenError) as e:
        service.verify(old_token)
    assert e.value.code == "auth.bad_signature"
    assert [k["kid"] for k in service.jwks()["keys"]] == [new_kid]
    assert service.verify(new_token)["sub"] == "user:2"
    # a token naming no key is refused even when its signature is ours
    bare = jose_jwt.encode({"sub": "x"}, service.keys.private_pem, algorithm="ES256")
    with pytest.raises(TokenError) as e:
        service.verify(bare)
    assert e.value.code == "auth.bad_signature"
    # a key from the environment is not rotated by files
    pem = Path(tmp_path / "jwt-es256-1.pem").read_text()
    with pytest.raises(SigningKeyError, match="XIAOKANG_JWT_PRIVATE_KEY"):
        rotate_signing_key(Settings(data_dir=tmp_path / "env", jwt_private_key=pem))


def test_id_numbers_inside_json_documents_are_re_encrypted(rot_settings):
    from app.keyrotation import _rekey_json

    s = rot_settings
    old = base64.b64encode(pii.encrypt(s, "321283196605125011")).decode()
    for kind in ("aes", "hmac"):
        path = s.data_dir / pii.key_filename(kind, 3)
        path.write_text(base64.b64encode(os.urandom(32)).decode())
        path.chmod(0o600)
    doc = {"members": [{"name": "王", "id_number_enc": old}], "value": {"id_number_enc": old},
           "note": "id_number_enc"}
    ring = pii.Ring(s, 3, (3,))
    new, changed = _rekey_json(doc, s, ring)
    assert changed == 2 and new["note"] == "id_number_enc"
    for blob in (new["members"][0]["id_number_enc"], new["value"]["id_number_enc"]):
        assert pii.key_id(base64.b64decode(blob)) == 3
        assert pii.decrypt(s, base64.b64decode(blob)) == "321283196605125011"
    assert _rekey_json(new, s, ring) == (new, 0)  # a second pass changes nothing


# --- matches across tables while a rotation is half done ------------------------------------
# A row written during a rotation carries the new key's hash; a row of the same person written
# before keeps the old key's hash until its batch comes. Rules comparing them still match.

class Stopped(Exception):
    pass


def _stop() -> None:
    raise Stopped  # the rotation stops between two batches, its state `rotating`


async def rotation_half_done(rotator, settings) -> tuple[pii.Ring, pii.Ring]:
    """A rotation stopped after its first batch: answers (the old keys' ring, the new keys'
    ring). The batch re-encrypts whichever member row comes first on disk (ctid order, which
    depends on what earlier tests left in the heap); that one row goes back under the old key,
    as if the batch had not reached it, so every row written before the rotation is under the
    old key and every row written after it under the new one, whatever the disk order."""
    with pytest.raises(Stopped):
        await rotate(rotator.engine, settings, batch_size=1, on_batch=_stop)
    async with rotator.engine.connect() as conn:
        state = await pii.read_state(conn)
    assert state["phase"] == "rotating"
    old = pii.Ring(settings, state["old_aes_kid"], (state["old_hash_kid"],))
    new = pii.Ring(settings, state["aes_kid"], (state["hash_kid"],))
    async with rotator.engine.begin() as conn:
        rows = (await conn.execute(text(
            "SELECT id, id_number_enc FROM household_member"))).all()
        moved = [r for r in rows
                 if bytes(r.id_number_enc)[:pii.HEADER_LEN] == pii.header(new.aes_kid)]
        assert len(moved) == 1  # one batch of one row
        number = pii.decrypt(settings, bytes(moved[0].id_number_enc))
        await conn.execute(text(
            "UPDATE household_member SET id_number_enc = :enc, id_hash = :old WHERE id = :id"),
            {"enc": old.seal(number.encode(), pii.ID_NUMBER), "old": old.id_hash(number),
             "id": moved[0].id})
        for table, column in HASHES[1:]:
            await conn.execute(text(f"UPDATE {table} SET {column} = :old WHERE {column} = :new"),
                               {"old": old.id_hash(number), "new": new.id_hash(number)})
    return old, new


async def stored_hash(db, table: str, row_id: str) -> bytes:
    async with db.engine.connect() as conn:
        return bytes(await conn.scalar(text(f"SELECT id_hash FROM {table} WHERE id = :id"),
                                       {"id": uuid.UUID(row_id)}))


async def finish(rotator, settings) -> None:
    await rotate(rotator.engine, settings, resume=True)


async def test_d6_a_helper_added_during_a_rotation_flags_a_member_still_under_the_old_key(
        db, rclient, rot_settings, rotator, admin):
    from tests.dibao.helpers import apply, household, set_standard

    client, settings = rclient, rot_settings
    await set_standard(client, admin, "500.00")
    await household(client, admin)  # the first member row, the one the first batch rewrites
    number = fresh_number()
    h = await household(client, admin, net="6000.00",
                        members=[member("02", id_number=number, name="王幫扶")])
    old, new = await rotation_half_done(rotator, settings)
    helper = (await client.post("/api/v1/helpers", headers=admin, json={
        "kind": "person", "name": "王幫扶", "unit": "市財政局", "post": "科長",
        "phone": "0523-86881234", "id_number": number})).json()
    assert await stored_hash(db, "household_member", h["members"][0]["id"]) == old.id_hash(number)
    assert await stored_hash(db, "helper", helper["id"]) == new.id_hash(number)
    case = await apply(client, admin, h["id"])
    assert case["flagged"] is True
    assert [(f["rule"], f["role"], f["member_id"]) for f in case["flags"]] == [
        ("D6", "helper", h["members"][0]["id"])]
    # one without a helper's number is not flagged in the same window
    other = await household(client, admin, net="6000.00", village="321283100202")
    assert (await apply(client, admin, other["id"]))["flagged"] is False
    await finish(rotator, settings)


async def test_p4_a_cadre_of_their_own_household_is_refused_whichever_side_is_under_the_old_key(
        db, rclient, rot_settings, rotator, admin):
    from tests.pairings.factories import make_person, pair

    client, settings = rclient, rot_settings
    await make_village(client, admin, V)
    assert (await register(client, admin, two_members())).status_code == 201  # first batch's
    member_first, helper_first = fresh_number(), fresh_number()
    r = await register(client, admin, [member("02", id_number=member_first),
                                       member("10", birth="19680302", id_number=fresh_number())])
    assert r.status_code == 201, r.text
    hh = r.json()
    early = await make_person(client, admin, id_number=helper_first)
    old, new = await rotation_half_done(rotator, settings)
    # the helper is new (new key), the member old
    cadre = await make_person(client, admin, id_number=member_first)
    assert await stored_hash(db, "helper", cadre["id"]) == new.id_hash(member_first)
    assert await stored_hash(db, "household_member", hh["members"][0]["id"]) == \
        old.id_hash(member_first)
    body = assert_problem(await pair(client, admin, cadre["id"], "household_cadre", "2016-04-01",
                                     household_id=hh["id"]),
                          422, "pairing.household_cadre.own_household")
    assert body["detail"].startswith("P4")
    # the helper old, the member new: a household registered during the rotation
    r = await register(client, admin, [member("02", id_number=helper_first),
                                       member("10", birth="19680302", id_number=fresh_number())])
    assert r.status_code == 201, r.text
    second = r.json()
    assert await stored_hash(db, "helper", early["id"]) == old.id_hash(helper_first)
    assert_problem(await pair(client, admin, early["id"], "household_cadre", "2016-04-01",
                              household_id=second["id"]), 422,
                   "pairing.household_cadre.own_household")
    # and someone else's household is still allowed
    r = await pair(client, admin, early["id"], "household_cadre", "2016-04-01",
                   household_id=hh["id"])
    assert r.status_code == 201, r.text
    await finish(rotator, settings)


async def test_a2_a_join_requested_before_a_rotation_conflicts_with_the_same_join_during_and_after(
        db, rclient, rot_settings, rotator, admin):
    client, settings = rclient, rot_settings
    await make_village(client, admin, V)
    r = await register(client, admin, two_members())
    assert r.status_code == 201, r.text
    hh = r.json()
    number = valid_id("20100101", seq=131)

    async def join(expect: int) -> httpx.Response:
        r = await client.post("/api/v1/change-requests", headers=admin, json={
            "household_id": hh["id"], "reason": "新生兒", "effective_from": "2017-05-01",
            "changes": [{"op": "add", "path": "/members/-", "value": member(
                "20", birth="20100101", id_number=number, name="王小寶",
                labour_capacity="none")}]})
        assert r.status_code == expect, r.text
        return r

    first = (await join(201)).json()
    old, new = await rotation_half_done(rotator, settings)
    assert first["touches"] == [f"/members/+{old.id_hash(number).hex()[:24]}"]
    body = assert_problem(await join(409), 409, "change_request.conflict")
    assert first["id"] in body["detail"]
    await finish(rotator, settings)  # the open request's touches still name the old key's hash
    body = assert_problem(await join(409), 409, "change_request.conflict")
    assert first["id"] in body["detail"]
    # another person's join does not conflict
    r = await client.post("/api/v1/change-requests", headers=admin, json={
        "household_id": hh["id"], "reason": "新生兒", "effective_from": "2017-05-01",
        "changes": [{"op": "add", "path": "/members/-", "value": member(
            "20", birth="20100102", id_number=valid_id("20100102", seq=131), name="王小貝",
            labour_capacity="none")}]})
    assert r.status_code == 201, r.text
    assert r.json()["touches"] == [
        f"/members/+{new.id_hash(valid_id('20100102', seq=131)).hex()[:24]}"]


async def test_d6_an_officer_added_during_a_rotation_is_the_matched_person_and_may_not_approve(
        db, app, rclient, rot_settings, rotator, admin, make_user):
    from app.auth.schemas import UserIn
    from app.auth.service import _user_claims, create_user
    from tests.dibao.helpers import decide, household, ready_case, set_standard

    client, settings = rclient, rot_settings
    await set_standard(client, admin, "500.00")
    await household(client, admin)  # the first member row, the one the first batch rewrites
    number = fresh_number()
    h = await household(client, admin, members=[  # eligible under D2: 4,000 a year each
        member("02", id_number=number, name="王幹部"),
        member("10", name="李秀英", id_number=fresh_number()),
        member("20", birth="20080901", name="王小明", labour_capacity="none",
               id_number=valid_id("20080901", seq=141))])
    old, new = await rotation_half_done(rotator, settings)
    async with db.sessionmaker() as s:  # written as the running service writes: new key
        user = await create_user(s, None, UserIn(
            username="wang_ganbu", password="correct horse battery", role="district_officer",
            region_code="321283000000", id_number=number), settings)
        await s.commit()
    assert bytes(user.id_number_hash) == new.id_hash(number)
    assert await stored_hash(db, "household_member", h["members"][0]["id"]) == old.id_hash(number)
    token, _ = app.state.tokens.issue(f"user:{user.id}", _user_claims(user)[0])
    relative = {"Authorization": f"Bearer {token}"}
    case = await ready_case(client, admin, h["id"])
    assert [(f["role"], f["member_id"]) for f in case["flags"]] == [
        ("officer", h["members"][0]["id"])]
    body = assert_problem(await decide(client, relative, case["id"]), 422,
                          "dibao.approval.conflict_of_interest")
    assert "matched household member" in body["detail"]
    other = await make_user("district_officer", "321283000000", username="approver_zhao")
    r = await decide(client, other, case["id"])
    assert r.status_code == 200, r.text
    await finish(rotator, settings)
