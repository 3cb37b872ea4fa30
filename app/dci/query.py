"""DCI search criteria → a condition tree over the registry's mapped attributes (pure).

Attributes (README, "DCI Social Registry"): of a household — `location` (a region code of any
level, matched by its prefix), `district` (the 市(區), a 6- or 12-digit code), `group_size`
(members on the date), `status` (registered | exited | retained | removed: `exited` is every
exited household, as the REST API says; `retained` those still within R7 retention),
`support_type` (development | relief), `dibao_covered` (a member covered by dibao on the date),
`poverty_score` (the per-capita net income of the assessment in force over the members on the
date, yuan a year, as the timeline holds it), `registration_date`; of a person — `age` (whole
years on the date), `gender` (male | female), `birth_date`. On a Group search a person attribute
holds when some current member satisfies it; on a Member search, when the person does. What a
tree selects is SQL over the timelines (app.dci.selection).

Predicate items are combined with AND in `seq_num` order; an item's `condition` joins its
`expression1` and `expression2` (`not`: expression1 and not expression2). Expressions are the
MongoDB-style documents of the specification's example ($and, $or, $not, $eq, $ne, $gt, $gte/$ge,
$lt, $lte/$le, $in). Anything else is refused with `rjct.search_criteria.invalid`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

INVALID = "rjct.search_criteria.invalid"
MAX_PAGE_NUMBER = 10**9


class QueryError(Exception):
    def __init__(self, message: str, code: str = INVALID) -> None:
        self.code = code
        self.message = message
        super().__init__(message)


# attribute → (kind, level, operators)
_ORDERED = ("eq", "ne", "gt", "ge", "lt", "le", "in")
_EQUALITY = ("eq", "ne", "in")
ATTRIBUTES: dict[str, tuple[str, str, tuple[str, ...]]] = {
    "location": ("region", "group", ("eq", "in")),
    "district": ("district", "group", ("eq", "in")),
    "group_size": ("int", "group", _ORDERED),
    "status": ("status", "group", _EQUALITY),
    "support_type": ("enum", "group", _EQUALITY),
    "dibao_covered": ("bool", "group", ("eq", "ne")),
    "poverty_score": ("number", "group", _ORDERED),
    "registration_date": ("date", "group", _ORDERED),
    "age": ("int", "member", _ORDERED),
    "gender": ("enum", "member", _EQUALITY),
    "birth_date": ("date", "member", _ORDERED),
}
ALIASES = {"dibao": "dibao_covered", "sex": "gender", "region_code": "location",
           "area_code": "location", "household_size": "group_size"}
ENUMS = {"status": {"registered", "exited", "retained", "removed"},
         "support_type": {"development", "relief"}, "gender": {"male", "female"}}
_MONGO = {"$eq": "eq", "$ne": "ne", "$gt": "gt", "$gte": "ge", "$ge": "ge", "$lt": "lt",
          "$lte": "le", "$le": "le", "$in": "in"}
SORTABLE = {"group": ("household_id", "poverty_score", "group_size", "registration_date",
                      "location"),
            "member": ("person_id", "age", "birth_date", "poverty_score", "location")}


@dataclass(frozen=True)
class Cmp:
    attribute: str
    op: str
    value: Any


@dataclass(frozen=True)
class Node:
    kind: str  # and | or | not
    children: tuple[Any, ...]


def _number(attr: str, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise _bad(attr, raw)
    try:
        n = Decimal(str(raw))
    except (InvalidOperation, ValueError):
        raise _bad(attr, raw) from None
    if not n.is_finite():
        raise _bad(attr, raw)
    return n


def _bool(attr: str, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if raw in ("true", "false"):
        return raw == "true"
    raise _bad(attr, raw)


def _date(attr: str, raw: Any) -> date:
    try:
        return date.fromisoformat(str(raw)[:10])
    except ValueError:
        raise _bad(attr, raw) from None


def _code(attr: str, raw: Any) -> str:
    text = str(raw)
    if not text.isdigit() or not (2 <= len(text) <= 12):
        raise _bad(attr, raw)
    return text


def _region(attr: str, raw: Any) -> str:
    return _prefix(_code(attr, raw))


def _district(attr: str, raw: Any) -> str:
    text = _code(attr, raw)
    if len(text) not in (6, 12):
        raise _bad(attr, raw)
    return text[:6]


def _enum(attr: str, raw: Any) -> str:
    text = str(raw)
    if text not in ENUMS[attr]:
        raise QueryError(f"{attr} is one of {', '.join(sorted(ENUMS[attr]))}")
    return text


def _bad(attr: str, raw: Any) -> QueryError:
    return QueryError(f"{raw!r} is not a valid value for {attr}")


_PARSERS = {"int": _number, "number": _number, "bool": _bool, "date": _date,
            "region": _region, "district": _district, "enum": _enum, "status": _enum}


def _value(attr: str, kind: str, raw: Any) -> Any:
    return _PARSERS[kind](attr, raw)


def _prefix(code: str) -> str:
    """A 12-digit code's significant prefix (city 4, 市(區) 6, town 9, village 12)."""
    if len(code) == 12:
        for zeros, keep in ((8, 4), (6, 6), (3, 9)):
            if code.endswith("0" * zeros):
                return code[:keep]
    return code


def compare(attribute: str, op: str, raw: Any) -> Cmp:
    name = ALIASES.get(attribute, attribute)
    if name not in ATTRIBUTES:
        raise QueryError(f"unknown attribute {attribute!r}; known: {', '.join(ATTRIBUTES)}")
    kind, _, ops = ATTRIBUTES[name]
    if op not in ops:
        raise QueryError(f"operator {op!r} is not allowed on {attribute}")
    if op == "in":
        if not isinstance(raw, list) or not raw:
            raise QueryError(f"'in' on {attribute} takes a non-empty list")
        return Cmp(name, op, tuple(_value(name, kind, v) for v in raw))
    return Cmp(name, op, _value(name, kind, raw))


def parse_predicate(items: Any) -> Node:
    if not isinstance(items, list) or not items:
        raise QueryError("a predicate query is a non-empty list of expressions")
    parts = []
    for item in sorted(items, key=lambda i: i.get("seq_num", 0) if isinstance(i, dict) else 0):
        if not isinstance(item, dict) or not isinstance(item.get("expression1"), dict):
            raise QueryError("each predicate needs expression1")
        first = _predicate_expression(item["expression1"])
        condition = item.get("condition")
        if condition is None and "expression2" not in item:
            parts.append(first)
            continue
        if condition not in ("and", "or", "not") or not isinstance(item.get("expression2"), dict):
            raise QueryError("condition (and | or | not) joins expression1 and expression2")
        second = _predicate_expression(item["expression2"])
        if condition == "not":
            parts.append(Node("and", (first, Node("not", (second,)))))
        else:
            parts.append(Node(condition, (first, second)))
    return Node("and", tuple(parts))


def _predicate_expression(e: dict) -> Cmp:
    if not isinstance(e.get("attribute_name"), str) or "operator" not in e \
            or "attribute_value" not in e:
        raise QueryError("an expression needs attribute_name, operator and attribute_value")
    return compare(e["attribute_name"], str(e["operator"]), e["attribute_value"])


def parse_expression(doc: Any) -> Node:
    if not isinstance(doc, dict) or not doc:
        raise QueryError("an expression query is a non-empty object")
    parts: list[Any] = []
    for key, value in doc.items():
        if key in ("$and", "$or"):
            if not isinstance(value, list) or not value:
                raise QueryError(f"{key} takes a non-empty list")
            parts.append(Node(key[1:], tuple(parse_expression(v) for v in value)))
        elif key == "$not":
            parts.append(Node("not", (parse_expression(value),)))
        elif key.startswith("$"):
            raise QueryError(f"unknown operator {key!r}")
        elif isinstance(value, dict):
            if not value:
                raise QueryError(f"no condition on {key}")
            for op, operand in value.items():
                if op not in _MONGO:
                    raise QueryError(f"unknown operator {op!r}")
                parts.append(compare(key, _MONGO[op], operand))
        else:
            parts.append(compare(key, "eq", value))
    return Node("and", tuple(parts))


def expression_document(query: Any) -> Any:
    """The condition document of an `expression` query: {type, value: {expression: {collection,
    query}}} as in the specification's example, or any inner level of it."""
    doc = query
    for key in ("value", "expression", "query"):
        if isinstance(doc, dict) and key in doc and len(doc) <= 2:
            doc = doc[key]
    return doc


def parse_sort(sort: Any, entity: str) -> list[tuple[str, bool]]:
    """[(attribute, descending)]; unknown attributes or orders are rjct.sort.invalid."""
    if sort is None:
        return []
    if not isinstance(sort, list):
        raise QueryError("sort is a list", "rjct.sort.invalid")
    level = "member" if entity == "Member" else "group"
    out = []
    for s in sort:
        name = s.get("attribute_name") if isinstance(s, dict) else None
        order = s.get("sort_order", "asc") if isinstance(s, dict) else None
        if name not in SORTABLE[level] or order not in ("asc", "desc"):
            raise QueryError(f"cannot sort by {name!r} {order!r}; sortable: "
                             f"{', '.join(SORTABLE[level])}", "rjct.sort.invalid")
        out.append((name, order == "desc"))
    return out


def page_of(pagination: Any, max_size: int, default_size: int) -> tuple[int, int]:
    """(page_size, page_number) of a search; rjct.pagination.invalid when out of range."""
    if pagination is None:
        return default_size, 1
    if not isinstance(pagination, dict):
        raise QueryError("pagination is an object", "rjct.pagination.invalid")
    size, number = pagination.get("page_size"), pagination.get("page_number", 1)
    ok = all(isinstance(v, int | float) and not isinstance(v, bool) and float(v).is_integer()
             for v in (size, number))
    if not ok or not (1 <= int(size) <= max_size) or not 1 <= int(number) <= MAX_PAGE_NUMBER:
        raise QueryError(f"page_size is 1..{max_size} and page_number 1..{MAX_PAGE_NUMBER}",
                         "rjct.pagination.invalid")
    return int(size), int(number)
