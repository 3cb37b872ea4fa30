"""The `xiaokang` command: serve, migrate, create-user (later: import, export, demo)."""

from __future__ import annotations

import asyncio
import os
import secrets
from pathlib import Path

import typer
from rich.console import Console

from app.config import Settings, get_settings

cli = typer.Typer(help="Xiaokang: the poverty-relief registry of Taizhou.", no_args_is_help=True)
console = Console()


def _migrate(settings: Settings) -> None:
    from app.db import database_url
    from app.migrate import upgrade

    upgrade(database_url(settings))


async def _bootstrap_admin(settings: Settings) -> tuple[str, str] | None:
    """Create the first admin when no user exists; answers (username, password) if created."""
    from app.auth.service import ensure_first_admin
    from app.db import Database

    username = settings.admin_username or "admin"
    password = settings.admin_password
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
            f.write(f"{username}\n{password}\n")
    return username, password


@cli.command()
def migrate() -> None:
    """Bring the database schema to the latest migration."""
    _migrate(get_settings())
    console.print("[green]database at the latest migration[/green]")


@cli.command()
def serve(host: str = "127.0.0.1", port: int = 8000, reload: bool = False) -> None:
    """Migrate, create the first admin if needed, and serve the API."""
    import uvicorn

    settings = get_settings()
    _migrate(settings)
    created = asyncio.run(_bootstrap_admin(settings))
    base = f"http://{host}:{port}"
    console.print(f"[bold]Xiaokang[/bold] on {base}  (docs: {base}/docs)")
    if created:
        user, password = created
        console.print(f"First admin created: username [bold]{user}[/bold] password [bold]{password}[/bold]"
                      f" (also in {Path(settings.data_dir) / 'admin-password.txt'} when generated)")
    else:
        saved = Path(settings.data_dir) / "admin-password.txt"
        hint = f" (the generated first admin is in {saved})" if saved.exists() else ""
        console.print(f"Log in with your account{hint}.")
    console.print(f"Get a token:  curl -s -d grant_type=password -d username=USER -d password=PASS "
                  f"{base}/api/v1/auth/token")
    uvicorn.run("app.asgi:app", host=host, port=port, reload=reload, log_level="warning")


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


def main() -> None:
    cli()


if __name__ == "__main__":
    main()
