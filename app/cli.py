"""The `xiaokang` command: serve, migrate, create-user, import, export, demo, worker."""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import sys
from pathlib import Path

import typer
from rich.console import Console

from app.config import Settings, get_settings, reveal

cli = typer.Typer(help="Xiaokang: the poverty-relief registry of Taizhou.", no_args_is_help=True)
console = Console()


def _migrate(settings: Settings) -> None:
    from app.db import database_url
    from app.migrate import upgrade
    from app.timelines import builders, store

    upgrade(database_url(settings))
    # Households from before timelines existed get theirs (a no-op once every one has one).
    try:
        built = asyncio.run(_on_timelines(
            settings, lambda s: store.refresh(s, store.without_timeline(s))))
    finally:
        builders.shutdown()  # `serve` goes on in this process: no idle builders left behind
    if built:
        console.print(f"timelines built for {built:,} households")


async def _bootstrap_admin(settings: Settings) -> tuple[str, str] | None:
    """Create the first admin when no user exists; answers (username, password) if created."""
    from app.auth.service import ensure_first_admin
    from app.db import Database

    username = settings.admin_username or "admin"
    password = reveal(settings.admin_password)
    generated = False
    if not password:
        password = secrets.token_urlsafe(12)
        generated = True
    db = Database.from_settings(settings)
    try:
        async with db.sessionmaker() as session:
            user = await ensure_first_admin(session, settings, username, password)
            await session.commit()
    finally:
        await db.dispose()
    if user is None:
        return None
    if generated:
        path = Path(settings.data_dir) / "admin-password.txt"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(f"{password}\n")  # the password alone: `-d password=$(cat …)` works
    return username, password


def _refuse_exposed_keys(settings: Settings) -> None:
    """Exit (status 2) when a key file in the data directory is readable by group or others."""
    from app.keyfiles import KeyFileError, check_all

    try:
        check_all(settings)
    except KeyFileError as e:
        console.print(f"[red]Refusing to start: {e}[/red]")
        raise typer.Exit(2) from e


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest migration."""
    _migrate(get_settings())
    console.print("[green]database at the latest migration[/green]")


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, reload: bool = False,
          worker: bool = typer.Option(True, help="also run the import worker"),
          migrate: bool = typer.Option(True, help="migrate first (under an advisory lock); a "
                                                 "deployment runs `xiaokang migrate` once instead"),
          workers: int = typer.Option(1, min=1, help="API worker processes")) -> None:
    """Migrate, create the first admin if needed, and serve the API (with an import worker)."""
    import uvicorn

    settings = get_settings()
    _refuse_exposed_keys(settings)
    # Every process (API workers, the import worker) writes its metrics beside the others', and
    # /metrics merges them; set before any of them imports prometheus_client's registry.
    _prepare_metrics_dir(Path(settings.data_dir) / "run" / "metrics")
    if migrate:
        _migrate(settings)
    _check_keys_or_exit(settings)
    created = asyncio.run(_bootstrap_admin(settings))
    base = f"http://{host}:{port}"
    console.print(f"[bold]Xiaokang[/bold] on {base}  (docs: {base}/docs)")
    if created:
        user, password = created
        console.print(f"First admin created: username [bold]{user}[/bold] password [bold]{password}[/bold]"
                      f" (when generated, the password alone is also in "
                      f"{Path(settings.data_dir) / 'admin-password.txt'})")
    else:
        saved = Path(settings.data_dir) / "admin-password.txt"
        name = settings.admin_username or "admin"
        hint = f" (the generated password of {name} is in {saved})" if saved.exists() else ""
        console.print(f"Log in with your account{hint}.")
    console.print(f"Get a token:  curl -s -d grant_type=password -d username=USER -d password=PASS "
                  f"{base}/api/v1/auth/token")
    # The import worker runs beside the API in its own process (bulk imports are CPU work that
    # must not stall requests), started again whenever it dies; it stops with the server.
    from app.imports.supervisor import WorkerSupervisor

    supervisor = WorkerSupervisor(restart_seconds=settings.worker_restart_seconds) if worker else None
    if supervisor is not None:
        supervisor.start()
    # uvicorn re-raises SIGTERM after its graceful shutdown; with Python's default handler the
    # process would die before `finally` stops the worker, so SIGTERM becomes a normal exit.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    try:
        # uvicorn's own records go to the root handler of app.kit.logs (JSON, like every line);
        # the access line is the application's (it carries the request id).
        from app.kit.logs import uvicorn_log_config

        uvicorn.run("app.asgi:app", host=host, port=port, reload=reload, log_level="warning",
                    log_config=uvicorn_log_config(), access_log=False,
                    workers=None if reload else workers)
    finally:
        if supervisor is not None:
            supervisor.stop()


def _prepare_metrics_dir(path: Path) -> None:
    """An empty directory for the metric files of every process of this server, in the
    environment they inherit (prometheus_client's multiprocess mode; it must be set before
    prometheus_client is first imported, so this module never imports it at the top)."""
    import shutil

    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, mode=0o700)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


def _check_keys_or_exit(settings: Settings) -> None:
    from app.keycheck import KeyMismatch, check_keys

    async def run() -> None:
        from app.db import Database

        db = Database.from_settings(settings)
        try:
            async with db.engine.connect() as conn:
                await check_keys(conn, settings)
        finally:
            await db.dispose()

    try:
        asyncio.run(run())
    except KeyMismatch as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from None



@cli.command("create-user")
def create_user(
    username: str = typer.Argument(...),
    role: str = typer.Option(..., help="admin, city_officer, district_officer, town_officer, "
                                       "first_secretary or auditor"),
    region_code: str = typer.Option("321200000000", help="12-digit region code"),
    password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True),
    display_name: str = typer.Option(""),
) -> None:
    """Add a user from the command line."""
    from pydantic import ValidationError

    from app.auth.schemas import UserIn
    from app.auth.service import create_user as create
    from app.db import Database
    from app.errors import DomainError

    settings = get_settings()
    try:
        data = UserIn(username=username, password=password, role=role,  # type: ignore[arg-type]
                      region_code=region_code, display_name=display_name)
    except ValidationError as e:
        console.print(f"[red]invalid: {e.errors()[0]['loc']}: {e.errors()[0]['msg']}[/red]")
        raise typer.Exit(2) from e

    async def run() -> None:
        db = Database.from_settings(settings)
        try:
            async with db.sessionmaker() as session:
                await create(session, None, data, settings)
                await session.commit()
        finally:
            await db.dispose()

    _migrate(settings)
    try:
        asyncio.run(run())
    except DomainError as e:
        console.print(f"[red]{e.code}: {e.detail}[/red]")
        raise typer.Exit(1) from e
    console.print(f"[green]user {username} ({role}, {region_code}) created[/green]")


DEFAULT_SERVER = "http://127.0.0.1:8000"
KINDS = ("households", "members", "assessments", "villages", "village_incomes", "helpers",
         "pairings")


def _auth(server: str, token: str | None, username: str | None, password: str | None) -> str:
    from app.imports.client import CliError
    from app.imports.client import token as get_token

    try:
        return get_token(server.rstrip("/"), token, username, password)
    except CliError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(2) from e


@cli.command("import")
def import_(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="CSV, XLSX or JSONL"),
    kind: str = typer.Option(..., help=", ".join(KINDS)),
    dry_run: bool = typer.Option(False, "--dry-run", help="validate every row, write nothing"),
    on_error: str = typer.Option("abort", help="abort (all or nothing) or skip (import good rows)"),
    server: str = typer.Option(DEFAULT_SERVER, envvar="XIAOKANG_SERVER"),
    token: str | None = typer.Option(None, envvar="XIAOKANG_TOKEN"),
    username: str | None = typer.Option(None), password: str | None = typer.Option(None),
) -> None:
    """Upload a file through the API, follow the job, and print the rejected rows."""
    from app.imports.client import CliError, run_import

    if kind not in KINDS or on_error not in ("abort", "skip"):
        console.print(f"[red]--kind is one of {', '.join(KINDS)}; --on-error abort or skip[/red]")
        raise typer.Exit(2)
    auth = _auth(server, token, username, password)
    try:
        status = run_import(console, server.rstrip("/"), auth, file, kind, dry_run, on_error)
    except CliError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e
    raise typer.Exit(status)


@cli.command("export")
def export(
    kind: str = typer.Argument("households"),
    region: str = typer.Option(..., help="6-, 9- or 12-digit region code, e.g. 321283"),
    format: str = typer.Option("xlsx", help="xlsx or csv"),
    output: Path | None = typer.Option(None, "-o", "--output"),
    as_of: str | None = typer.Option(None, "--as-of", help="YYYY-MM-DD (default today)"),
    status: str | None = typer.Option(None, help="registered, exited or removed"),
    include_removed: bool = typer.Option(False, help="also removed households"),
    lang: str = typer.Option("en", help="en, or zh for the national forms' Chinese headers"),
    server: str = typer.Option(DEFAULT_SERVER, envvar="XIAOKANG_SERVER"),
    token: str | None = typer.Option(None, envvar="XIAOKANG_TOKEN"),
    username: str | None = typer.Option(None), password: str | None = typer.Option(None),
) -> None:
    """Download the registry of a region as XLSX or CSV (ID numbers masked unless pii:read)."""
    from app.imports.client import CliError, run_export

    if kind != "households" or format not in ("xlsx", "csv"):
        console.print("[red]export households --format xlsx|csv[/red]")
        raise typer.Exit(2)
    auth = _auth(server, token, username, password)
    try:
        filters = {k: v for k, v in (("as_of", as_of), ("status", status), ("lang", lang))
                   if v is not None}
        if include_removed:
            filters["include_removed"] = "true"
        run_export(console, server.rstrip("/"), auth, kind, region, format, output, filters)
    except CliError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(1) from e


@cli.command()
def worker(concurrency: int = typer.Option(1, min=1, help="jobs run at once"),
           metrics_port: int = typer.Option(0, help="serve this worker's Prometheus metrics on "
                                                    "this port (0: none; under `serve` the API's "
                                                    "/metrics includes them)")) -> None:
    """Run the import worker (PostgreSQL queue) until stopped."""
    from app.db import Database
    from app.imports.queue import run_worker
    from app.kit.logs import configure_logging

    settings = get_settings()
    _refuse_exposed_keys(settings)
    configure_logging(settings.log_json)  # procrastinate's and SQLAlchemy's records as JSON too
    if metrics_port:
        from prometheus_client import start_http_server

        start_http_server(metrics_port, addr="0.0.0.0")

    async def run() -> None:
        db = Database.from_settings(settings)
        try:
            await run_worker(settings, db, concurrency=concurrency)
        finally:
            await db.dispose()

    asyncio.run(run())


@cli.command()
def demo(households: int = typer.Option(300, help="households to generate")) -> None:
    """Load a small synthetic register (villages, then households) through the import path."""
    from app.imports.demo import load

    settings = get_settings()
    _migrate(settings)
    from app.errors import DomainError

    try:
        jobs = asyncio.run(load(settings, households))
    except DomainError as e:
        console.print(f"[red]{e.code}: {e.detail}[/red]")
        raise typer.Exit(1) from e
    for job in jobs:
        what = ", ".join(f"{n:,} {k}" for k, n in (job.written or {}).items()) or "nothing new"
        console.print(f"{job.kind}: {job.state}, {job.rows_read:,} rows read, "
                      f"{job.rows_rejected:,} rejected; wrote {what}")
    console.print("See them: GET /api/v1/households (or /docs), or "
                  "`xiaokang export households --region 321283 --format xlsx`.")


def _backup_command(work, path: Path, passphrase: str | None):
    from app.backup import BackupError
    from app.db import database_url

    settings = get_settings()
    try:
        return asyncio.run(work(settings, database_url(settings), path, passphrase or ""))
    except BackupError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(e.exit_code) from None


PASSPHRASE = typer.Option(None, envvar="XIAOKANG_BACKUP_PASSPHRASE", show_envvar=True,
                          help="protects the keys in the archive (scrypt, AES-256-GCM)")


@cli.command()
def backup(path: Path = typer.Argument(..., help="the archive to write (never overwritten)"),
           passphrase: str | None = PASSPHRASE) -> None:
    """Write one archive: a consistent dump of the database, the keys (encrypted), a manifest."""
    from app.backup import backup as run

    done = _backup_command(run, path, passphrase)
    total = sum(done.row_counts.values())
    console.print(f"backup written to {done.path}: schema {done.schema_revision}, "
                  f"{len(done.row_counts)} tables, {total} rows")


@cli.command()
def restore(path: Path = typer.Argument(..., exists=True, dir_okay=False),
            passphrase: str | None = PASSPHRASE) -> None:
    """Restore an archive into an empty database and a data directory without keys."""
    from app.backup import restore as run

    done = _backup_command(run, path, passphrase)
    console.print(f"restored {done.path}: schema {done.schema_revision}, "
                  f"{sum(done.row_counts.values())} rows; the keys are in the data directory")


@cli.command("rotate-keys")
def rotate_keys(
    resume: bool = typer.Option(False, "--resume", help="continue an interrupted rotation"),
    batch_size: int = typer.Option(500, min=1, help="rows re-encrypted per transaction"),
    retire: bool = typer.Option(False, "--retire",
                                help="remove the key files no longer in use (after a rotation)"),
    signing: bool = typer.Option(False, "--signing",
                                 help="the token signing key instead of the PII keys"),
) -> None:
    """Rotate the PII keys (re-encrypting in batches while the service runs), or the token
    signing key with --signing; --retire removes the keys a finished rotation left unused."""
    from app.db import Database
    from app.keyrotation import RotationError

    settings = get_settings()
    _refuse_exposed_keys(settings)
    if signing:
        from app.auth import tokens

        try:
            if retire:
                gone = tokens.retire_signing_keys(settings)
                console.print("removed " + (", ".join(str(p) for p in gone) or "nothing") +
                              " (keys whose successor is older than the longest token lifetime)")
            else:
                kid = tokens.rotate_signing_key(settings)
                console.print(f"new signing key {kid}: it signs from now on; the old keys stay "
                              "in the JWKS until `xiaokang rotate-keys --signing --retire`, once "
                              "the tokens they signed have expired")
        except tokens.SigningKeyError as e:
            console.print(f"[red]{e}[/red]")
            raise typer.Exit(1) from None
        return

    async def run():
        from app import keyrotation

        db = Database.from_settings(settings)
        try:
            if retire:
                return await keyrotation.retire(db.engine, settings)
            return await keyrotation.rotate(db.engine, settings, resume=resume,
                                            batch_size=batch_size)
        finally:
            await db.dispose()

    try:
        done = asyncio.run(run())
    except RotationError as e:
        console.print(f"[red]{e}[/red]")
        raise typer.Exit(e.exit_code) from None
    if retire:
        console.print("removed " + (", ".join(str(p) for p in done) or "nothing"))
        return
    total = sum(done.rewritten.values())
    console.print(f"keys rotated {done.old_aes_kid} → {done.aes_kid}"
                  f"{' (resumed)' if done.resumed else ''}: {total:,} values re-encrypted, "
                  f"{done.rehashed:,} hashes rewritten in {done.passes} passes. The old key files "
                  "are no longer used: back up, then `xiaokang rotate-keys --retire`.")


audit_cli = typer.Typer(help="The audit log's hash chain (clause 十五).", no_args_is_help=True)
cli.add_typer(audit_cli, name="audit")


def _with_connection(work):
    from app.db import Database

    async def run():
        db = Database.from_settings(get_settings())
        try:
            async with db.engine.connect() as conn:
                return await work(conn)
        finally:
            await db.dispose()

    return asyncio.run(run())


@audit_cli.command("verify")
def audit_verify(from_seq: int | None = typer.Option(
        None, "--from", help="start at this chain position, trusting the hash just before it")) -> None:
    """Recompute the audit log's chain: exit 0 when it holds, 1 naming the first row that does not."""
    from app.audit.chain import verify

    result = _with_connection(lambda conn: verify(conn, from_seq))
    if result.mismatch is not None:
        console.print(f"[red]audit chain broken at {result.mismatch}[/red] "
                      f"({result.rows} rows verified before it)")
        raise typer.Exit(1)
    console.print(f"audit chain holds: {result.rows} rows, head {result.head_seq} {result.head_hash}")


@audit_cli.command("head")
def audit_head() -> None:
    """Print the chain's head (position and hash), to keep outside the system."""
    from app.audit.chain import head

    found = _with_connection(head)
    console.print(f"{found[0]} {found[1]}" if found else "0 " + "00" * 32)
async def _on_timelines(settings: Settings, work):
    from app.db import Database

    db = Database.from_settings(settings)
    try:
        async with db.sessionmaker() as session:
            result = await session.run_sync(work)
            await session.commit()
            return result
    finally:
        await db.dispose()


@cli.command("apply-pending-lines")
def apply_pending_lines() -> None:
    """Apply now the poverty lines still pending (their job failed or no worker ran it)."""
    from app.db import Database
    from app.imports.queue import apply_policy_line
    from app.policy_lines.service import pending_lines

    async def run() -> list[int]:
        db = Database.from_settings(get_settings())
        try:
            async with db.sessionmaker() as session:
                ids = await pending_lines(session)
            for line_id in ids:
                await apply_policy_line(db, line_id)
            return ids
        finally:
            await db.dispose()

    ids = asyncio.run(run())
    console.print(f"applied {len(ids)} pending line(s){': ' if ids else ''}"
                  f"{', '.join(map(str, ids))}")


@cli.command("rebuild-timelines")
def rebuild_timelines(region: str = typer.Option(None, help="region code prefix (all if none)")
                      ) -> None:
    """Rebuild the timelines of every household (under a region) from their facts."""
    from app.timelines import store

    n = asyncio.run(_on_timelines(get_settings(), lambda s: store.rebuild(s, _prefix(region))))
    console.print(f"timelines rebuilt for {n:,} households")


@cli.command("check-timelines")
def check_timelines(region: str = typer.Option(None, help="region code prefix (all if none)")
                    ) -> None:
    """Compare stored timelines with the ones the facts give now; exit 1 naming differences."""
    from app.timelines import store

    found = asyncio.run(_on_timelines(get_settings(),
                                      lambda s: store.differences(s, _prefix(region))))
    for line in found:
        console.print(line, markup=False, highlight=False)
    if found:
        console.print(f"{len(found)} households differ: run `xiaokang rebuild-timelines`")
        raise typer.Exit(1)
    console.print("timelines agree with the facts")


def _prefix(region: str | None) -> str | None:
    """A 12-digit region code is cut to its meaningful digits (321283000000 → 321283)."""
    if region and len(region) == 12:
        from app.auth.scoping import region_prefix

        return region_prefix(region)
    return region or None


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
