"""Keyset pagination (never OFFSET): `?limit=` (default 50, max 500) and an opaque `?cursor=`.

The cursor encodes the sort key of the last row of the previous page; the next page is the rows
strictly after it in the same order.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from fastapi import Query
from sqlalchemy import Select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from app.errors import Unprocessable

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class PageParams:
    limit: int
    cursor: str | None


async def page_params(
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description="page size (max 500)"),
    cursor: str | None = Query(None, description="next_cursor of the previous page"),
) -> PageParams:
    return PageParams(limit, cursor)


def _enc(v: Any) -> Any:
    if isinstance(v, uuid.UUID):
        return {"u": str(v)}
    if isinstance(v, datetime):
        return {"t": v.isoformat()}
    if isinstance(v, date):
        return {"d": v.isoformat()}
    return v


def _dec(v: Any) -> Any:
    if isinstance(v, dict):
        if "u" in v:
            return uuid.UUID(v["u"])
        if "t" in v:
            return datetime.fromisoformat(v["t"])
        if "d" in v:
            return date.fromisoformat(v["d"])
    return v


def encode_cursor(values: tuple[Any, ...]) -> str:
    raw = json.dumps([_enc(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, width: int) -> tuple[Any, ...]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
        if not isinstance(values, list) or len(values) != width:
            raise ValueError
        return tuple(_dec(v) for v in values)
    except Exception as e:
        raise Unprocessable("pagination.bad_cursor", "The cursor is not valid.") from e


async def paginate(session: AsyncSession, stmt: Select, keys: list, params: PageParams,
                   *, scalars: bool = True) -> tuple[list[Any], str | None]:
    """Run `stmt` ordered by `keys` (ascending, unique together) from the cursor on.

    Answers the rows of the page and the cursor of the next page (None on the last page).
    """
    if params.cursor:
        after = tuple(_coerce(k, v) for k, v in zip(keys, decode_cursor(params.cursor, len(keys)),
                                                     strict=True))
        cond = keys[0] > after[0] if len(keys) == 1 else tuple_(*keys) > tuple_(*after)
        stmt = stmt.where(cond)
    stmt = stmt.order_by(*keys).limit(params.limit + 1)
    if scalars:
        rows = list((await session.scalars(stmt)).all())
    else:
        rows = list((await session.execute(stmt)).all())
    more = len(rows) > params.limit
    rows = rows[: params.limit]
    next_cursor = None
    if more and rows:
        last = rows[-1]
        next_cursor = encode_cursor(tuple(_key_value(last, k) for k in keys))
    return rows, next_cursor


def _coerce(key: Any, value: Any) -> Any:
    """A cursor value of the key's type, or bad_cursor: a forged cursor never reaches SQL."""
    try:
        kind = key.type.python_type
    except (AttributeError, NotImplementedError):
        return value
    try:
        if kind is uuid.UUID:
            return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
        if kind is int and not isinstance(value, bool):
            out = int(value)
            if not -(2**63) <= out < 2**63:
                raise ValueError
            return out
        if isinstance(value, kind):
            return value
    except (TypeError, ValueError):
        pass
    raise Unprocessable("pagination.bad_cursor", "The cursor is not valid.")


def _key_value(row: Any, key: Any) -> Any:
    name = key.key if hasattr(key, "key") else str(key)
    if hasattr(row, name):
        return getattr(row, name)
    return row._mapping[key]
