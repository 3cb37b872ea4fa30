"""The `xiaokang import` and `xiaokang export` commands: clients of the HTTP API (so the same
rules, scoping and audit apply as to any client), with a rich progress bar."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table

TERMINAL = ("succeeded", "failed")


class CliError(Exception):
    pass


def token(server: str, token_: str | None, username: str | None, password: str | None) -> str:
    if token_:
        return token_
    if not (username and password):
        raise CliError("give --token, or --username and --password")
    r = httpx.post(f"{server}/api/v1/auth/token", timeout=30,
                   data={"grant_type": "password", "username": username, "password": password})
    if r.status_code != 200:
        raise CliError(f"login refused: {_problem(r)}")
    return r.json()["access_token"]


def _problem(r: httpx.Response) -> str:
    try:
        body = r.json()
        return f"{r.status_code} {body.get('code')}: {body.get('detail')}"
    except ValueError:
        return f"{r.status_code} {r.text[:200]}"


def run_import(console: Console, server: str, auth: str, path: Path, kind: str, dry_run: bool,
               on_error: str, poll: float = 0.5) -> int:
    """Upload, follow the job with a progress bar, print the error summary; answers the exit
    status (0 succeeded, 1 failed)."""
    headers = {"Authorization": f"Bearer {auth}"}
    size = path.stat().st_size
    with httpx.Client(base_url=server, headers=headers, timeout=httpx.Timeout(600, connect=10)) as c:
        with open(path, "rb") as f:  # httpx streams the file in chunks
            r = c.post("/api/v1/imports", files={"file": (path.name, f)},
                       data={"kind": kind, "dry_run": str(dry_run).lower(), "on_error": on_error})
        if r.status_code == 409 and r.json().get("code") == "import.already_imported":
            job = r.json()["job"]
            console.print(f"[yellow]This file is already imported[/yellow] as job {job['id']} "
                          f"({job['state']}); it is not imported twice.")
        elif r.status_code != 202:
            raise CliError(f"upload refused: {_problem(r)}")
        else:
            job = r.json()
            console.print(f"Uploaded {path.name} ({size:,} bytes, {job['file_format']}"
                          f"{', ' + job['encoding'] if job['encoding'] else ''}) as job {job['id']}")
        job = _follow(console, c, job, poll)
        return _summary(console, c, job)


def _follow(console: Console, c: httpx.Client, job: dict, poll: float) -> dict:
    columns = (SpinnerColumn(), TextColumn("[bold]{task.description}"), BarColumn(),
               TextColumn("{task.fields[read]:>9,} read  [green]{task.fields[valid]:>9,} valid"
                          "[/green]  [red]{task.fields[rejected]:>7,} rejected[/red]"),
               TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as bar:
        task = bar.add_task(job["state"], total=None, read=0, valid=0, rejected=0)
        while True:
            p = job["progress"]
            bar.update(task, description=job["state"], read=p["rows_read"],
                       valid=p["rows_valid"], rejected=p["rows_rejected"])
            if job["state"] in TERMINAL:
                bar.update(task, total=1, completed=1)
                return job
            time.sleep(poll)
            r = c.get(f"/api/v1/imports/{job['id']}")
            if r.status_code != 200:
                raise CliError(f"cannot follow the job: {_problem(r)}")
            job = r.json()


def _summary(console: Console, c: httpx.Client, job: dict, shown: int = 20) -> int:
    p = job["progress"]
    if job["state"] == "succeeded":
        what = ", ".join(f"{n:,} {k}" for k, n in sorted(job["written"].items())) or "nothing (dry run)"
        console.print(f"[green]Succeeded[/green]: {p['rows_read']:,} rows read, "
                      f"{p['rows_valid']:,} valid, {p['rows_rejected']:,} rejected; wrote {what}.")
    else:
        err = job.get("error") or {}
        console.print(f"[red]Failed[/red] ({err.get('code')}): {err.get('detail')}")
    if p["rows_rejected"]:
        r = c.get(f"/api/v1/imports/{job['id']}/errors", params={"limit": shown})
        items = r.json()["items"] if r.status_code == 200 else []
        table = Table("line", "field", "code", "message", title="Rejected rows")
        for e in items:
            table.add_row(str(e["line"]), e["field"] or "", e["code"], e["message"])
        console.print(table)
        console.print(f"All rejected rows: GET /api/v1/imports/{job['id']}/errors "
                      "(Accept: text/csv for a spreadsheet).")
    return 0 if job["state"] == "succeeded" else 1


def run_export(console: Console, server: str, auth: str, kind: str, region: str, fmt: str,
               out: Path | None, filters: dict[str, str] | None = None) -> Path:
    """Download an export; `filters` are its other query parameters (as_of, status, lang…)."""
    out = out or Path(f"{kind}-{region}.{fmt}")
    params = {"region_code": region, "format": fmt, **(filters or {})}
    with httpx.stream("GET", f"{server}/api/v1/exports/{kind}", params=params, timeout=600,
                      headers={"Authorization": f"Bearer {auth}"}) as r:
        if r.status_code != 200:
            r.read()
            raise CliError(f"export refused: {_problem(r)}")
        n = 0
        with open(out, "wb") as f:
            for chunk in r.iter_bytes():
                f.write(chunk)
                n += len(chunk)
    console.print(f"[green]Wrote[/green] {out} ({n:,} bytes)")
    return out
