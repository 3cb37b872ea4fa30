"""Error texts in the reader's language: Accept-Language negotiation and one catalogue.

English is the language of the code: every error is raised with an English sentence. The
catalogue (`zh.toml`, loaded once) gives, for each stable error `code`, its simplified-Chinese
text:

- `zh`: the sentence used when nothing better fits (a fixed sentence, or a template whose
  `{names}` come from the `params` the raising code passed, or from pydantic's error context);
- `en."English pattern with {names}"` = "中文 {names}": when the English sentence matches the
  pattern, the Chinese sentence carries the same facts (amounts, dates, rule ids, masked ID
  numbers), captured from the English one. Raise sites need not change to be translated.

A captured fact that is one of the system's words (`[terms]`: region levels, R6 statuses,
pairing kinds, dibao states…) is said in Chinese too. A sentence that begins with a rule and its
clause, `R6 (八): …`, keeps them in Chinese as `R6（八）：…`. A code the catalogue lacks is
answered with the status's Chinese title (a test fails before that can ship).
"""

from __future__ import annotations

import re
import string
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

EN = "en"
ZH = "zh-CN"

_RANGE = re.compile(r"^(\*|[A-Za-z]{1,8}(-[A-Za-z0-9]{1,8})*)$")
_Q = re.compile(r"^q=(0(\.\d{0,3})?|1(\.0{0,3})?)$", re.IGNORECASE)


def negotiate(header: str | None) -> str:
    """The answer's language for an Accept-Language header (RFC 9110 §12.5.4, q-values).

    Any `zh` range (zh, zh-CN, zh-Hans, zh-SG, and also zh-TW / zh-Hant, which have no
    traditional catalogue and read simplified Chinese better than English) selects simplified
    Chinese; `en…` and `*` select English; a range we do not speak is skipped; q=0 refuses.
    Ties keep the header's order. No header, or one that does not parse, is English.
    """
    if not header:
        return EN
    best: tuple[float, int, str] | None = None
    for pos, item in enumerate(header.split(",")):
        parts = [p.strip() for p in item.split(";")]
        tag = parts[0]
        if not tag or not _RANGE.match(tag):
            continue
        q = 1.0
        for p in parts[1:]:
            m = _Q.match(p.replace(" ", ""))
            if m:
                q = float(m.group(1))
            elif p:
                q = -1.0  # a malformed parameter: ignore the whole range
        if q <= 0:
            continue
        primary = tag.split("-", 1)[0].lower()
        lang = ZH if primary == "zh" else EN if primary in ("en", "*") else None
        if lang is None:
            continue
        if best is None or q > best[0]:
            best = (q, pos, lang)
    return best[2] if best else EN


def _pattern(template: str) -> re.Pattern[str]:
    """`"Region {code} does not exist."` -> a regex capturing `code`."""
    out, names = [], set()
    for literal, name, _spec, _conv in string.Formatter().parse(template):
        out.append(re.escape(literal))
        if name is not None:
            if not name.isidentifier():
                raise ValueError(f"catalogue pattern {template!r}: field {name!r} is not a name")
            out.append(f"(?P={name})" if name in names else f"(?P<{name}>.*?)")
            names.add(name)
    return re.compile("".join(out) + r"\Z", re.DOTALL)


@dataclass(frozen=True)
class Entry:
    zh: str
    variants: tuple[tuple[re.Pattern[str], str], ...] = field(default=())


_PREFIX = re.compile(r"^(?P<rule>[^\s():]{1,12}) \((?P<clause>[^()]{1,20})\): (?P<rest>.+)\Z", re.DOTALL)


class Catalogue:
    def __init__(self, data: dict[str, Any]) -> None:
        self.statuses: dict[int, str] = {int(k): v for k, v in data.get("status", {}).items()}
        self.terms: dict[str, str] = dict(data.get("terms", {}))
        self.entries: dict[str, Entry] = {}
        pydantic = _pydantic_templates()
        for code, spec in data.get("codes", {}).items():
            variants = [(_pattern(en), zh) for en, zh in spec.get("en", {}).items()]
            # pydantic's own sentence carries its context ("at most 64 characters"): read it
            # back when the context itself did not travel (an import's stored row errors)
            template = pydantic.get(code.removeprefix("field.")) if code.startswith("field.") else None
            if template:
                variants.append((_pattern(template), spec["zh"]))
            self.entries[code] = Entry(spec["zh"], tuple(variants))

    def title(self, status: int) -> str:
        return self.statuses.get(status) or self.statuses.get(status // 100 * 100, "错误")

    def text(self, code: str, english: str, params: dict[str, Any] | None = None,
             status: int = 422) -> str:
        """The Chinese for `english`, said under `code`."""
        entry = self.entries.get(code)
        if entry is None:
            return self.title(status)
        m = _PREFIX.match(english or "")
        if m:  # "R6 (八): …" keeps its rule id and clause
            inner = self._variant(entry, m["rest"], params)
            if inner is None:
                inner = self._variant(entry, english, params)
                if inner is not None:
                    return inner
                inner = self._plain(entry, params, status)
            return f"{m['rule']}（{m['clause']}）：{inner}"
        found = self._variant(entry, english, params)
        return found if found is not None else self._plain(entry, params, status)

    def _variant(self, entry: Entry, english: str, params: dict[str, Any] | None) -> str | None:
        for pattern, zh in entry.variants:
            m = pattern.match(english or "")
            if m:
                facts = {k: self._term(v) for k, v in m.groupdict().items()}
                return zh.format_map({**(params or {}), **facts})
        return None

    def _term(self, value: str) -> str:
        """A fact that is one of the system's words (a region level, a status, an action, a
        pairing kind…), or a list of them, is said in Chinese; any other fact stays as it is."""
        if value in self.terms:
            return self.terms[value]
        for sep, zh_sep in ((", ", "、"), (" or ", "或"), (" and ", "和")):
            parts = value.split(sep)
            if len(parts) > 1 and all(p in self.terms for p in parts):
                return zh_sep.join(self.terms[p] for p in parts)
        return value

    def _plain(self, entry: Entry, params: dict[str, Any] | None, status: int) -> str:
        try:
            return entry.zh.format_map(params or {})
        except (KeyError, IndexError, ValueError):
            return self.title(status)


@cache
def _pydantic_templates() -> dict[str, str]:
    """pydantic's English message template of each error type, by type."""
    import typing

    from pydantic_core import PydanticKnownError, core_schema

    out = {}
    for t in typing.get_args(core_schema.ErrorType):
        ctx: dict[str, Any] = {}
        for _ in range(8):
            try:
                out[t] = PydanticKnownError(t, ctx or None).message_template
                break
            except (TypeError, ValueError, KeyError) as e:
                m = re.search(r"'(\w+)'", str(e))
                if not m:
                    break
                ctx[m.group(1)] = "x" if "must be a String" in str(e) else 1
    return out


@cache
def catalogue() -> Catalogue:
    with (Path(__file__).parent / "zh.toml").open("rb") as f:
        return Catalogue(tomllib.load(f))


def localise(body: dict[str, Any], lang: str, params: dict[str, Any] | None = None) -> None:
    """Put a problem+json body's `title`, `detail`, each `errors[].msg` and each
    `reasons[].detail` into `lang`, in place. Items may carry `_params` (pydantic's context);
    they are removed in every language."""
    items = body.get("errors") or []
    item_params = [i.pop("_params", None) if isinstance(i, dict) else None for i in items]
    if lang != ZH:
        return
    cat = catalogue()
    status = int(body.get("status", 500))
    code = str(body.get("code", ""))
    body["title"] = cat.title(status)
    body["detail"] = cat.text(code, str(body.get("detail", "")), params, status)
    for item, p in zip(items, item_params, strict=True):
        if isinstance(item, dict) and "msg" in item:
            item["msg"] = cat.text(str(item.get("code", code)), str(item["msg"]), p, status)
    if isinstance(body.get("reasons"), list):
        body["reasons"] = [dict(r) if isinstance(r, dict) else r for r in body["reasons"]]
    for r in body.get("reasons") or []:
        if isinstance(r, dict) and "detail" in r:
            r["detail"] = cat.text(str(r.get("code", code)), str(r["detail"]), params, status)


def translate(code: str, english: str, lang: str, params: dict[str, Any] | None = None,
              status: int = 422) -> str:
    """One sentence said under `code`, in `lang` (English is returned as it is)."""
    return catalogue().text(code, english, params, status) if lang == ZH else english


def language_headers(lang: str) -> dict[str, str]:
    return {"Content-Language": lang, "Vary": "Accept-Language"}
