"""`xiaokang import` and `xiaokang export` against a running server and worker."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import threading
import time

import pytest
import uvicorn

from app.main import create_app
from tests.imports.helpers import HEADER_EN, bad_check_digit, csv_bytes, household_rows, make_village

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(db, test_settings):
    """uvicorn on a free 127.0.0.1 port in a thread, and `xiaokang worker` in a subprocess, both
    on the test database."""
    url = db.url.render_as_string(hide_password=False)
    settings = test_settings.model_copy(update={"database_url": url})
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(settings), host="127.0.0.1", port=port,
                                        log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    env = {**os.environ, "DATABASE_URL": url, "XIAOKANG_DATA_DIR": str(test_settings.data_dir)}
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 20
    while not srv.started and time.time() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", env
    worker.terminate()
    worker.wait(timeout=20)
    srv.should_exit = True
    thread.join(timeout=10)


def _cli(env, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env={
        **env, "COLUMNS": "200"}, capture_output=True, text=True, timeout=120)


async def test_cli_imports_through_the_server_and_prints_the_rejected_rows(
        server, client, admin, tmp_path):
    base, env = server
    await make_village(client, admin)
    token = admin["Authorization"].split()[1]
    good = tmp_path / "good.csv"
    good.write_bytes(csv_bytes(HEADER_EN, household_rows("H1", 10)))
    done = await asyncio.to_thread(_cli, env, "import", str(good), "--kind", "households",
                                   "--server", base, "--token", token)
    assert done.returncode == 0, done.stdout + done.stderr
    assert ("Succeeded: 2 rows read, 2 valid, 0 rejected; wrote 1 assessments, 1 decisions, 1 households, 2 members"
            in done.stdout)

    again = await asyncio.to_thread(_cli, env, "import", str(good), "--kind", "households",
                                    "--server", base, "--token", token)
    assert "already imported" in again.stdout and again.returncode == 0

    rows = household_rows("H2", 20)
    rows[1][9] = bad_check_digit(rows[1][9])
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_bytes(HEADER_EN, rows))
    failed = await asyncio.to_thread(_cli, env, "import", str(bad), "--kind", "households",
                                     "--server", base, "--token", token)
    assert failed.returncode == 1
    assert "import.rows_rejected" in failed.stdout
    assert "id_number.check_digit" in failed.stdout and "Rejected rows" in failed.stdout

    out = tmp_path / "export.csv"
    exported = await asyncio.to_thread(_cli, env, "export", "households", "--region", "321283",
                                       "--format", "csv", "-o", str(out), "--server", base,
                                       "--token", token)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    text = out.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("household_key,village_code")
    assert len(text) == 3  # the two members of H1

    zh = tmp_path / "export-zh.csv"
    exported = await asyncio.to_thread(_cli, env, "export", "households", "--region", "321283",
                                       "--format", "csv", "-o", str(zh), "--lang", "zh",
                                       "--as-of", "2016-02-29", "--server", base, "--token", token)
    assert exported.returncode == 0, exported.stdout + exported.stderr
    text = zh.read_text(encoding="utf-8-sig").splitlines()
    assert text[0].startswith("户编号,村代码") and len(text) == 1  # nobody registered yet
