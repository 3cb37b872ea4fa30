"""The command line: create-user, and the first admin from the environment."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlalchemy import select

from app.auth.service import ensure_first_admin
from app.models.accounts import User


def test_create_user_from_the_command_line(db_url, tmp_path):
    env = {**os.environ, "DATABASE_URL": db_url.render_as_string(hide_password=False),
           "XIAOKANG_DATA_DIR": str(tmp_path)}
    cmd = [sys.executable, "-m", "app.cli", "create-user", "wang", "--role", "district_officer",
           "--region-code", "321283000000", "--password", "a long password"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "user wang (district_officer, 321283000000) created" in done.stdout
    again = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 1 and "user.username_taken" in again.stdout


async def test_first_admin_comes_from_settings_only_when_no_user_exists(session, test_settings):
    settings = test_settings.model_copy(update={"admin_username": "root",
                                                "admin_password": "a long password"})
    user = await ensure_first_admin(session, settings)
    await session.commit()
    assert user is not None and user.role == "admin" and user.region_code == "321200000000"
    assert await ensure_first_admin(session, settings.model_copy(update={"admin_username": "two"})) is None
    names = (await session.scalars(select(User.username))).all()
    assert names == ["root"]


async def test_login_with_the_first_admin(client, session, test_settings):
    settings = test_settings.model_copy(update={"admin_username": "root",
                                                "admin_password": "a long password"})
    await ensure_first_admin(session, settings)
    await session.commit()
    r = await client.post("/api/v1/auth/token", data={"grant_type": "password", "username": "root",
                                                      "password": "a long password"})
    assert r.status_code == 200 and "accounts:admin" in r.json()["scope"]


async def test_generated_admin_password_file_holds_the_password_alone(client, db_url, tmp_path,
                                                                     test_settings):
    from app.cli import _bootstrap_admin

    settings = test_settings.model_copy(update={
        "database_url": db_url.render_as_string(hide_password=False), "data_dir": tmp_path,
        "admin_username": None, "admin_password": None})
    username, password = await _bootstrap_admin(settings)
    saved = tmp_path / "admin-password.txt"
    assert saved.read_text() == password + "\n"  # so `-d password=$(cat admin-password.txt)`
    assert saved.stat().st_mode & 0o777 == 0o600
    shell = subprocess.run(["sh", "-c", f'printf %s "$(cat {saved})"'], capture_output=True,
                           text=True, check=True)
    r = await client.post("/api/v1/auth/token", data={
        "grant_type": "password", "username": username, "password": shell.stdout})
    assert username == "admin" and r.status_code == 200, r.text
