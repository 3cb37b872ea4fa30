"""Search: one search_request item → its search_response item(s).

Which records a search finds is one SQL statement over the timelines (app.dci.selection: filter,
sort and page as of the date); the records themselves are read as the REST API reads them.

Per item: reference_id (rjct.reference_id.invalid / .duplicate), timestamp (rjct.timestamp
.invalid), the stated purpose (one of the sender's registered purposes), the query —
`idtype-value` (NIN or its alias UIN: the 18-digit ID number, found by keyed hash; HOUSEHOLD_ID),
`predicate`, `expression` (app.dci.query) — `response_entity` Group or Member, `sort`,
`pagination`; answers as of `search_criteria.as_of` (a registry extension) or today.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, false
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.dci import query, records, registry_reads, selection
from app.dci.envelope import parse_ts
from app.dci.errors import now_iso
from app.dci.notify import REG_TYPE
from app.kit.dates import today
from app.models.dci import DciSender
from app.policy import ids
from app.policy.errors import InvalidIdNumber

NIN_TYPES = ("NIN", "UIN")


class ItemRefused(Exception):
    def __init__(self, code: str, message: str) -> None:
        self.code, self.message = code, message
        super().__init__(message)


def stated_purpose(criteria: dict) -> str | None:
    for key in ("consent", "authorize"):
        block = criteria.get(key)
        purpose = block.get("purpose") if isinstance(block, dict) else None
        if isinstance(purpose, dict) and isinstance(purpose.get("code"), str):
            return purpose["code"]
    return None


def check_purpose(sender: DciSender, criteria: dict) -> str | None:
    purpose = stated_purpose(criteria)
    if sender.purposes and purpose not in sender.purposes:
        raise ItemRefused(query.INVALID, "State one of the sender's registered purposes in "
                          f"consent.purpose.code ({', '.join(sender.purposes)}).")
    return purpose


def as_of(criteria: dict) -> date:
    raw = criteria.get("as_of")
    if raw is None:
        return today()
    try:
        on = date.fromisoformat(str(raw))
    except ValueError:
        raise ItemRefused(query.INVALID, "as_of is a date (YYYY-MM-DD).") from None
    if not date(1900, 1, 1) <= on <= today():
        raise ItemRefused(query.INVALID, "as_of lies between 1900-01-01 and today.")
    return on


def entity_of(criteria: dict) -> str:
    entity = criteria.get("response_entity")
    if entity is None:
        kind = str(criteria.get("reg_record_type") or "Group")
        entity = "Member" if kind.rsplit(":", 1)[-1] in ("Member", "SRPerson", "Person") \
            else "Group"
    if entity not in ("Group", "Member"):
        raise ItemRefused(query.INVALID, "response_entity is Group or Member.")
    return entity


def summary(criteria: dict) -> dict[str, Any]:
    """What the audit keeps of a query: never an ID number."""
    q = criteria.get("query")
    out: dict[str, Any] = {"query_type": criteria.get("query_type"),
                           "response_entity": criteria.get("response_entity"),
                           "as_of": criteria.get("as_of")}
    if criteria.get("query_type") == "idtype-value" and isinstance(q, dict):
        value = str(q.get("value", ""))
        out["id_type"] = q.get("type")
        out["id_value"] = ids.mask_id(value) if q.get("type") in NIN_TYPES else value
    else:
        out["query"] = q
    return out


async def _by_id(session: AsyncSession, settings: Settings, principal: Principal,
                 q: Any, on: date) -> tuple[uuid.UUID | None, uuid.UUID | None]:
    """(household, person) an idtype-value query names; (None, None) when none."""
    if not isinstance(q, dict) or not isinstance(q.get("type"), str) or "value" not in q:
        raise ItemRefused(query.INVALID, "An idtype-value query is {type, value}.")
    kind, value = q["type"].rsplit(":", 1)[-1].upper(), q["value"]
    if kind in NIN_TYPES:
        try:
            number = ids.parse_id_number(str(value)).number
        except InvalidIdNumber:
            raise ItemRefused(query.INVALID, "The NIN is not a valid 18-digit ID number.") \
                from None
        found = await registry_reads.household_of_number(session, settings, principal, number, on)
        return found if found else (None, None)
    if kind == "HOUSEHOLD_ID":
        try:
            return uuid.UUID(str(value)), None
        except ValueError:
            raise ItemRefused(query.INVALID, "A HOUSEHOLD_ID is a UUID.") from None
    raise ItemRefused(query.INVALID, "The identifier types are NIN (UIN), HOUSEHOLD_ID.")


def _tree(criteria: dict) -> query.Node:
    qt, q = criteria.get("query_type"), criteria.get("query")
    if qt == "predicate":
        return query.parse_predicate(q)
    if qt == "expression":
        return query.parse_expression(query.expression_document(q))
    raise ItemRefused(query.INVALID, "query_type is idtype-value, predicate or expression.")


async def selected(session: AsyncSession, settings: Settings, principal: Principal,
                   criteria: dict, on: date, entity: str) -> Select:
    """The statement of the households (Group) or persons (Member) the criteria select on `on`
    in the principal's region (app.dci.selection)."""
    if criteria.get("query_type") == "idtype-value":
        scan = registry_reads.masked(principal)  # finding the number never unmasks it
        household, person = await _by_id(session, settings, scan, criteria.get("query"), on)
        stmt = selection.statement(principal, None, on, entity, household_id=household,
                                   person_id=person)
        return stmt if household is not None else stmt.where(false())
    return selection.statement(principal, _tree(criteria), on, entity)


async def _pages(session: AsyncSession, stmt: Select, keys: list[tuple[str, bool]], entity: str,
                 size: int, number: int, every: bool) -> tuple[int, list[tuple[int, list]]]:
    """(total, [(page number, rows)]): the page asked, or every page of one reading."""
    if not every:
        total, rows = await registry_reads.selected_page(session, stmt, keys, entity, size,
                                                         number)
        return total, [(number, rows)]
    rows = await registry_reads.selected_all(session, stmt, keys, entity)
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)] or [[]]
    return len(rows), list(enumerate(chunks, start=1))


async def page_records(session: AsyncSession, settings: Settings, principal: Principal,
                       rows: list[dict[str, Any]], entity: str, on: date, *,
                       audit: AsyncSession | None = None) -> list[dict]:
    """The records of one page, read with the sender's own principal in one statement (numbers
    unmasked, and one audit row naming the persons shown, through `audit` when `session` reads a
    replica, only when its client holds pii:read)."""
    out = []
    views = await registry_reads.household_views(
        session, settings, principal, list(dict.fromkeys(r["household_id"] for r in rows)), on,
        audit=audit)
    for row in rows:
        if row["household_id"] not in views:  # outside the region: the selection never finds one
            continue
        view, ent = views[row["household_id"]]
        if entity == "Group":
            out.append(records.group_record(view, ent))
        else:
            member = next(m for m in view.household.members if m.id == row["person_id"])
            out.append(records.member_record(view, member, ent))
    return out


def _item(ref: Any, status: str, code: str | None = None, message: str | None = None,
          **extra: Any) -> dict:
    item = {"reference_id": ref, "timestamp": now_iso(), "status": status, **extra}
    if code:
        item["status_reason_code"], item["status_reason_message"] = code, (message or "")[:999]
    return item


async def search_item(session: AsyncSession, settings: Settings, principal: Principal,
                      sender: DciSender, raw: Any, seen: set, *, all_pages: bool,
                      reads: AsyncSession | None = None) -> tuple[list[dict], int, dict]:
    """The response item(s) of one request — one per page when `all_pages` and no pagination
    was asked — with the number of records found and the audit summary. The registry is read
    through `reads` (a replica's session) when given; `session` writes the audit."""
    reads = reads or session
    ref = raw.get("reference_id") if isinstance(raw, dict) else None
    try:
        if not isinstance(ref, str) or not 1 <= len(ref) <= 99:
            raise ItemRefused("rjct.reference_id.invalid", "reference_id is 1..99 characters.")
        if ref in seen:
            raise ItemRefused("rjct.reference_id.duplicate", "reference_id is repeated.")
        seen.add(ref)
        if parse_ts(raw.get("timestamp")) is None:
            raise ItemRefused("rjct.timestamp.invalid", "timestamp is ISO 8601 with a zone.")
        criteria = raw.get("search_criteria")
        if not isinstance(criteria, dict):
            raise ItemRefused(query.INVALID, "search_criteria is required.")
        audit = {"reference_id": ref, **summary(criteria)}
        audit["purpose"] = check_purpose(sender, criteria)
        audit["consent"] = isinstance(criteria.get("consent"), dict)
        on, entity = as_of(criteria), entity_of(criteria)
        keys = query.parse_sort(criteria.get("sort"), entity)
        asked = criteria.get("pagination")
        size, number = query.page_of(asked, settings.dci_max_page_size,
                                     settings.dci_callback_page_size if all_pages
                                     else settings.dci_max_page_size)
        stmt = await selected(reads, settings, principal, criteria, on, entity)
    except (ItemRefused, query.QueryError) as e:
        return ([_item(ref if isinstance(ref, str) else "", "rjct", e.code, e.message)], 0,
                {"reference_id": ref, "refused": e.code})
    total, pages = await _pages(reads, stmt, keys, entity, size, number,
                                all_pages and asked is None)
    items = []
    for n, chunk in pages:
        recs = await page_records(reads, settings, principal, chunk, entity, on, audit=session)
        items.append(_item(ref, "succ", data={
            "version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": entity,
            "reg_records": recs}, pagination={"page_size": size, "page_number": n,
                                              "total_count": total},
            locale=raw.get("locale", "eng")))
    audit.update(records=total, unmasked=principal.has("pii:read"))
    return items, total, audit
