"""`xiaokang demo`: a small synthetic register (towns and villages in all six 市(區), then
households) loaded through the import path — the same service, worker pipeline and rules — as
the first admin, so that a newcomer's `make run` shows a populated registry."""

from __future__ import annotations

import tempfile
from pathlib import Path

from sqlalchemy import select

from app.auth.principal import Principal
from app.auth.scopes import scopes_for_role
from app.config import Settings
from app.db import Database
from app.errors import DomainError
from app.imports import service, synthetic
from app.imports.pipeline import run_job
from app.models.accounts import User
from app.models.imports import ImportJob


class _Upload:
    def __init__(self, path: Path) -> None:
        self.f = open(path, "rb")

    async def read(self, n: int = -1) -> bytes:
        return self.f.read(n)


async def _admin(db: Database) -> Principal:
    async with db.sessionmaker() as s:
        user = await s.scalar(select(User).where(User.role == "admin").order_by(User.created_at)
                              .limit(1))
    if user is None:
        raise DomainError("demo.no_admin", "no admin yet: run `xiaokang serve` (make run) once")
    return Principal(kind="user", id=user.id, name=user.username, role="admin",
                     scopes=scopes_for_role("admin"), region_code=user.region_code)


async def load(settings: Settings, households: int = 300, seed: int = 2016) -> list[ImportJob]:
    db = Database.from_settings(settings)
    jobs = []
    try:
        principal = await _admin(db)
        vills = synthetic.villages(per_town=2, towns_per_district=2)
        with tempfile.TemporaryDirectory() as tmp:
            files = [("villages", Path(tmp) / "demo-villages.csv"),
                     ("households", Path(tmp) / "demo-households.csv")]
            synthetic.write_villages(files[0][1], vills)
            synthetic.write_households(files[1][1], households, vills, seed=seed)
            for kind, path in files:
                upload = _Upload(path)
                try:
                    async with db.sessionmaker() as s:
                        job = await service.create_import(s, settings, principal, upload, path.name,
                                                          kind, dry_run=False, on_error="skip")
                        await s.commit()
                except DomainError as e:
                    if e.code != "import.already_imported":
                        raise
                    async with db.sessionmaker() as s:
                        job = await s.get(ImportJob, e.extra["job_id"])
                finally:
                    upload.f.close()
                await run_job(db, settings, job.id)
                async with db.sessionmaker() as s:
                    jobs.append(await s.get(ImportJob, job.id))
    finally:
        await db.dispose()
    return jobs
