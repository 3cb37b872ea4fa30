"""What every kind of import provides, and the shared context of a running job.

A kind reads rows one at a time (`accept`), validates them with the API's own schemas and policy
functions, and buffers staged records for COPY (`staged`). After the whole file is staged, `check`
runs the set-based checks (duplicates within the file and against the registry) in SQL, and
`merge` writes the accepted rows into the real tables with INSERT ... SELECT, audit and events
included. The job's one transaction holds all of it."""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import date
from typing import Any, ClassVar

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app import pii
from app.auth.principal import Principal
from app.config import Settings
from app.kit.schemas import validation_code
from app.policy import ids


@dataclass(slots=True)
class RowError:
    line: int
    field: str | None
    code: str
    message: str
    value: str | None = None

    def record(self, job_id: uuid.UUID) -> tuple:
        return (job_id, self.line, self.field, self.code, self.message[:2000],
                None if self.value is None else self.value[:200])


@dataclass
class Context:
    """One running job: its session (and the asyncpg connection under it), who asked, and when."""

    session: AsyncSession
    conn: Any  # asyncpg.Connection of the session's transaction
    settings: Settings
    principal: Principal
    job_id: uuid.UUID
    today: date
    dry_run: bool = False
    cache: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageTable:
    """A temporary table (dropped at commit) that a kind COPYs its validated rows into."""

    name: str
    columns: tuple[tuple[str, str], ...]

    def ddl(self) -> str:
        cols = ", ".join(f"{n} {t}" for n, t in self.columns)
        return (f"CREATE TEMP TABLE {self.name} ({cols}, rejected boolean NOT NULL DEFAULT false)"
                " ON COMMIT DROP")

    @property
    def names(self) -> list[str]:
        return [n for n, _ in self.columns]


class Kind:
    """Base of a kind of import. Subclasses set the class attributes and the hooks."""

    name: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    required: ClassVar[tuple[str, ...]]
    tables: ClassVar[tuple[StageTable, ...]]
    # SQL naming the households whose facts `merge` wrote (their timelines are rewritten in the
    # same transaction); None for kinds that write no household facts.
    merged_households: ClassVar[str | None] = None

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.errors: list[RowError] = []
        self.rejected = 0
        self.buffers: dict[str, list[tuple]] = {t.name: [] for t in self.tables}
        # ID numbers are encrypted and hashed with keys read and an AES-GCM object made once.
        self.sealer = pii.Sealer(ctx.settings)
        self._random = b""
        self._at = 0

    def new_id(self) -> uuid.UUID:
        """A random (version 4) UUID, as uuid.uuid4(), its bytes read from os.urandom in 64 KiB
        blocks rather than one system call per row."""
        if self._at + 16 > len(self._random):
            self._random, self._at = os.urandom(65536), 0
        raw = self._random[self._at:self._at + 16]
        self._at += 16
        return uuid.UUID(bytes=raw, version=4)

    async def prepare(self) -> None:
        """Load the reference data the rows are checked against (villages of the region...)."""

    def accept(self, line: int, values: dict[str, str]) -> None:
        raise NotImplementedError

    def close(self) -> None:
        """End of file: validate what is still pending (the last household)."""

    async def check(self) -> None:
        """Set-based checks in SQL over the staged rows."""

    async def merge(self) -> dict[str, int]:
        raise NotImplementedError

    # -- helpers --

    def pending(self) -> int:
        return sum(len(b) for b in self.buffers.values()) + len(self.errors)

    def reject(self, errors: list[RowError], lines: list[int] | None = None,
               why: str = "") -> None:
        """Record the errors and count the rejected lines (`lines`: every line of the unit, each
        without an error of its own getting `import.unit_rejected`)."""
        self.errors.extend(errors)
        bad = {e.line for e in errors}
        for line in lines or []:
            if line not in bad:
                self.errors.append(RowError(line, None, "import.unit_rejected", why))
                bad.add(line)
        self.rejected += len(bad)


def text_of(values: dict[str, str], name: str) -> str:
    return (values.get(name) or "").strip()


def shown(field: str | None, value: Any) -> str | None:
    """The value as the error report shows it: ID numbers masked."""
    if value is None:
        return None
    v = str(value)
    if field and "id_number" in field:
        return ids.mask_id(v) if len(v.strip()) == 18 else "*" * len(v.strip())
    return v


def pydantic_errors(e: ValidationError, where: Any, raw: Any) -> list[RowError]:
    """The API's validation errors (code `field.<type>`, as app.errors renders them) mapped to
    lines and fields: `where(loc)` answers (line, field), `raw(loc)` the value as read."""
    out = []
    for err in e.errors():
        t = err.get("type", "invalid")
        code = validation_code(t)
        loc = tuple(err.get("loc", ()))
        line, field = where(loc)
        out.append(RowError(line, field, code, err.get("msg", ""), shown(field, raw(loc))))
    return out
