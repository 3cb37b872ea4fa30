"""Login lockout: parallel guesses are checked one by one, per (username, address) pair and per
address; password hashing runs off the event loop and old hashes are upgraded on login."""

from __future__ import annotations

import asyncio
import threading

import httpx
from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from app.auth import passwords
from app.models.accounts import LoginFailure, User
from tests.conftest import assert_problem

PASSWORD = "correct horse battery"
TOKEN = "/api/v1/auth/token"


def _client_from(app, host: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def _login(c, username, password=PASSWORD):
    return await c.post(TOKEN, data={"grant_type": "password", "username": username,
                                     "password": password})


def _count_verifications(monkeypatch) -> list[int]:
    calls: list[int] = []
    real = passwords.verify_password

    def counting(stored, password):
        calls.append(threading.get_ident())
        return real(stored, password)

    monkeypatch.setattr(passwords, "verify_password", counting)
    return calls


async def test_thirty_parallel_wrong_passwords_check_exactly_five(client, make_user, session,
                                                                  monkeypatch):
    await make_user("admin", username="target")
    calls = _count_verifications(monkeypatch)
    answers = await asyncio.gather(*(_login(client, "target", f"guess {i}") for i in range(30)))
    statuses = sorted(r.status_code for r in answers)
    assert statuses == [400] * 5 + [429] * 25, statuses
    assert len(calls) == 5
    assert await session.scalar(select(func.count()).select_from(LoginFailure)
                                .where(LoginFailure.username == "target")) == 5
    for r in answers:
        if r.status_code == 429:
            assert_problem(r, 429, "auth.locked_out")
            assert r.json()["error"] == "invalid_grant"


async def test_guessing_a_name_from_one_address_does_not_lock_out_its_owner(app, make_user):
    await make_user("admin", username="admin2")
    async with _client_from(app, "203.0.113.7") as attacker, \
            _client_from(app, "198.51.100.20") as owner:
        for _ in range(5):
            assert (await _login(attacker, "admin2", "guess")).status_code == 400
        assert_problem(await _login(attacker, "admin2"), 429, "auth.locked_out")
        assert (await _login(owner, "admin2")).status_code == 200
        # the owner's success does not lift the attacker's lock
        assert_problem(await _login(attacker, "admin2"), 429, "auth.locked_out")


async def test_one_address_failing_on_many_usernames_is_locked(db, test_settings, make_user):
    from app.main import create_app

    app = create_app(test_settings.model_copy(update={"login_max_failures_per_address": 7}), db=db)
    await make_user("auditor", username="victim")
    async with _client_from(app, "203.0.113.8") as sprayer, \
            _client_from(app, "198.51.100.21") as other:
        for i in range(7):
            assert (await _login(sprayer, f"name{i}", "guess")).status_code == 400
        r = await _login(sprayer, "victim")
        assert_problem(r, 429, "auth.address_locked_out")
        assert 0 < int(r.headers["Retry-After"]) <= 15 * 60
        assert (await _login(other, "victim")).status_code == 200


async def test_password_hashing_runs_in_a_thread_not_on_the_event_loop(client, make_user,
                                                                       monkeypatch):
    await make_user("admin", username="threaded")
    calls = _count_verifications(monkeypatch)
    loop_thread = threading.get_ident()
    assert (await _login(client, "threaded")).status_code == 200
    assert (await _login(client, "threaded", "wrong")).status_code == 400
    assert len(calls) == 2 and loop_thread not in calls


async def test_a_hash_with_old_argon2_parameters_is_upgraded_on_login(client, make_user, session):
    await make_user("admin", username="oldhash")
    old = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    await session.execute(update(User).where(User.username == "oldhash").values(password_hash=old))
    await session.commit()
    assert passwords.needs_rehash(old)
    assert (await _login(client, "oldhash")).status_code == 200
    session.expire_all()
    new = await session.scalar(select(User.password_hash).where(User.username == "oldhash"))
    assert new != old and not passwords.needs_rehash(new)
    assert (await _login(client, "oldhash")).status_code == 200
    # a wrong password never rewrites the hash
    assert (await _login(client, "oldhash", "wrong")).status_code == 400
    session.expire_all()
    assert await session.scalar(select(User.password_hash).where(User.username == "oldhash")) == new
