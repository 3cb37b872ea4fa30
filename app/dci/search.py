"""Search: one search_request item → one search_response item, read as the REST API reads.

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

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.principal import Principal
from app.config import Settings
from app.dci import query, records, registry_reads
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
                 q: Any, on: date) -> tuple[list[uuid.UUID], uuid.UUID | None]:
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
        return ([found[0]], found[1]) if found else ([], None)
    if kind == "HOUSEHOLD_ID":
        try:
            return [uuid.UUID(str(value))], None
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


def _prefixes(node: Any) -> list[str] | None:
    """The location prefixes a top-level AND pins (to narrow the scan), or None."""
    if isinstance(node, query.Node) and node.kind == "and":
        for child in node.children:
            if isinstance(child, query.Cmp) and child.attribute in ("location", "district"):
                values = child.value if child.op == "in" else (child.value,)
                return list(values)
    return None


async def matching_rows(session: AsyncSession, settings: Settings, principal: Principal,
                        criteria: dict, on: date, entity: str) -> list[dict[str, Any]]:
    """The attribute rows (household or person) that the criteria select on `on`."""
    scan = registry_reads.masked(principal)
    if criteria.get("query_type") == "idtype-value":
        hids, person = await _by_id(session, settings, scan, criteria.get("query"), on)
        tree = None
    else:
        tree = _tree(criteria)
        person = None
        hids = await registry_reads.household_ids(session, scan, _prefixes(tree),
                                                  settings.dci_max_records + 1)
        if len(hids) > settings.dci_max_records:
            raise ItemRefused("rjct.search.too_many_records_found",
                              f"More than {settings.dci_max_records} households to search: "
                              "narrow the search by location.")
    rows: list[dict[str, Any]] = []
    for hid in hids:
        view = await registry_reads.household_view(session, settings, scan, hid, on)
        if view is None or (tree is not None and not query.matches(
                tree, records.group_row(view), records.member_rows(view))):
            continue
        if entity == "Group":
            rows.append(records.group_row(view))
        else:
            members = records.member_rows(view)
            if person is not None:
                members = [m for m in members if m["person_id"] == str(person)]
            elif tree is not None:  # each person must satisfy the criteria themselves
                members = [m for m in members if query.matches(tree, m, [m])]
            rows.extend(members)
    if len(rows) > settings.dci_max_records:
        raise ItemRefused("rjct.search.too_many_records_found",
                          f"More than {settings.dci_max_records} records found.")
    return rows


async def page_records(session: AsyncSession, settings: Settings, principal: Principal,
                       rows: list[dict[str, Any]], entity: str, on: date) -> list[dict]:
    """The records of one page, read with the sender's own principal (numbers unmasked and the
    read audited only when its client holds pii:read)."""
    out = []
    views: dict[str, registry_reads.HouseholdView] = {}
    for row in rows:
        hid = row["household_id"]
        if hid not in views:
            views[hid] = await registry_reads.household_view(session, settings, principal,
                                                             uuid.UUID(hid), on)
        view = views[hid]
        ent = await registry_reads.entitlements(session, principal, view.household.id, on)
        if entity == "Group":
            out.append(records.group_record(view, ent))
        else:
            member = next(m for m in view.household.members if str(m.id) == row["person_id"])
            out.append(records.member_record(view, member, ent))
    return out


def _item(ref: Any, status: str, code: str | None = None, message: str | None = None,
          **extra: Any) -> dict:
    item = {"reference_id": ref, "timestamp": now_iso(), "status": status, **extra}
    if code:
        item["status_reason_code"], item["status_reason_message"] = code, (message or "")[:999]
    return item


async def search_item(session: AsyncSession, settings: Settings, principal: Principal,
                      sender: DciSender, raw: Any, seen: set, *, all_pages: bool
                      ) -> tuple[list[dict], int, dict]:
    """The response item(s) of one request — one per page when `all_pages` and no pagination
    was asked — with the number of records found and the audit summary."""
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
        rows = await matching_rows(session, settings, principal, criteria, on, entity)
    except (ItemRefused, query.QueryError) as e:
        return ([_item(ref if isinstance(ref, str) else "", "rjct", e.code, e.message)], 0,
                {"reference_id": ref, "refused": e.code})
    rows = query.sort_rows(rows, keys, "household_id" if entity == "Group" else "person_id")
    total = len(rows)
    numbers = range(1, max(1, -(-total // size)) + 1) if all_pages and asked is None \
        else [number]
    items = []
    for n in numbers:
        chunk = rows[(n - 1) * size:n * size]
        recs = await page_records(session, settings, principal, chunk, entity, on)
        items.append(_item(ref, "succ", data={
            "version": "1.0.0", "reg_type": REG_TYPE, "reg_record_type": entity,
            "reg_records": recs}, pagination={"page_size": size, "page_number": n,
                                              "total_count": total},
            locale=raw.get("locale", "eng")))
    audit.update(records=total, unmasked=principal.has("pii:read"))
    return items, total, audit
