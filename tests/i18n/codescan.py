"""Find, without running it, every error code the app can raise and every English sentence
with facts it raises them with (an AST scan of app/).

A *coded callee* takes an error code at a known argument: the error families below, their
subclasses, and any function that passes one of its own parameters on as a code (field_error,
_refuse…, found to a fixpoint). At each call the code argument must resolve to literal codes:
a string, an f-string over the enclosing function's parameters (expanded with the literal
arguments of that function's callers), a local variable assigned such values, a dict lookup, or
the `.code` of an error already coded elsewhere (passed through). Anything else is reported as
unresolved, so a new way of making codes fails the test until the scan understands it.
"""

from __future__ import annotations

import ast
import string
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"

# The error families: callee name -> (index of the code argument, index of its English sentence).
SEEDS: dict[str, tuple[int, int | None]] = {
    "DomainError": (0, 1),
    "PolicyError": (0, 1),
    "TokenError": (0, 1),  # app/auth/tokens.py, re-raised as Unauthorized(e.code, e.detail)
    "FileError": (0, 1),  # app/imports/reader.py, a file-level import error
    "_Abort": (0, 1),  # app/imports/pipeline.py, a job's error code
    "Refusal": (0, 1),  # a Decision's refusal; the sentence is its Reason's detail
    "RowError": (2, 3),  # an import row error: RowError(line, field, code, msg, raw)
    "problem": (1, 2),  # app/errors.py: problem(status, code, detail)
    # a custom pydantic error (app/kit/schemas.py: the date types): its type becomes the field
    # error's code through app.kit.schemas.validation_code, its message the field error's msg
    "PydanticCustomError": (0, 1),
}
# Exception classes defined here that carry a `code` but are not of the families above answer
# in the DCI error envelope (app/dci/errors.py), not problem+json: their codes are scanned (and
# must resolve) but are the specification's (err.*, rjct.*), kept apart in `Scan.envelope`.
ENVELOPE_DIR = "app/dci/"
SAMPLE = "«x»"


def _pydantic_types() -> list[str]:
    import typing

    from pydantic_core import core_schema

    return [t for t in typing.get_args(core_schema.ErrorType) if t not in ("missing", "extra_forbidden")]


# Codes made from a value known only at run time, by the f-string's source: what they can be.
DYNAMIC: dict[str, list[str]] = {
    # app/errors.py and app/imports/kinds/base.py: pydantic's error `type` (missing and
    # extra_forbidden have their own codes, field.required and field.unknown)
    "f'field.{t}'": [f"field.{t}" for t in _pydantic_types()],
    # app/errors.py: a framework HTTP error whose status _HTTP_CODES does not name; it is
    # answered with the status's Chinese title
    "f'http.{exc.status_code}'": [],
}


def _validation_codes() -> list[str]:
    import typing

    from pydantic_core import core_schema

    from app.kit.schemas import validation_code

    return sorted({validation_code(t) for t in typing.get_args(core_schema.ErrorType)})


# Functions that turn a value known only at run time into a code: what they can answer.
DYNAMIC_CALLS: dict[str, list[str]] = {
    # app/kit/schemas.py: a pydantic error's type -> its code (field.<type>, field.required,
    # field.unknown; a custom type such as date.invalid as it is, found where it is raised)
    "validation_code": _validation_codes(),
}


@dataclass
class Scan:
    codes: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))
    sentences: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    fixed: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))  # no facts
    unresolved: list[str] = field(default_factory=list)
    families: set[str] = field(default_factory=set)
    envelope: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # DCI
    uncoded_exceptions: list[str] = field(default_factory=list)


def _files(root: Path) -> list[tuple[str, ast.Module]]:
    out = []
    for p in sorted(root.rglob("*.py")):
        out.append((str(p.relative_to(root.parent)), ast.parse(p.read_text(), str(p))))
    return out


def _name(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def _params(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> list[str]:
    names = [a.arg for a in fn.args.posonlyargs + fn.args.args]
    if names and names[0] in ("self", "cls"):
        names = names[1:]
    return names + [a.arg for a in fn.args.kwonlyargs]


def _arg(call: ast.Call, index: int, name: str | None) -> ast.expr | None:
    if index < len(call.args) and not any(isinstance(a, ast.Starred) for a in call.args[:index + 1]):
        return call.args[index]
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    return None


def _sample(node: ast.expr) -> str | None:
    """An f-string with facts -> its text with each fact as SAMPLE; anything else -> None."""
    if isinstance(node, ast.JoinedStr) and any(isinstance(v, ast.FormattedValue) for v in node.values):
        return "".join(v.value if isinstance(v, ast.Constant) else SAMPLE for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        left, right = _literal_text(node.left), _literal_text(node.right)
        if left is not None and right is not None and SAMPLE in left + right:
            return left + right
    return None


def _literal_text(node: ast.expr) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return _sample(node)


class _Scanner:
    def __init__(self, root: Path) -> None:
        self.files = _files(root)
        self.parent: dict[ast.AST, ast.AST] = {}
        self.functions: dict[str, list[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef]]] = defaultdict(list)
        self.classes: dict[str, tuple[str, ast.ClassDef]] = {}
        self.module_dicts: dict[str, ast.Dict] = {}
        self.module_tuples: dict[str, list[ast.expr]] = {}  # NAME = ("a", "b") anywhere in app/
        self.module_consts: dict[str, dict[str, str]] = defaultdict(dict)  # path -> NAME -> "…"
        self.literals: dict[str, list[str]] = {}  # Kind = Literal["a", "b"] anywhere in app/
        for path, tree in self.files:
            for node in ast.walk(tree):
                for child in ast.iter_child_nodes(node):
                    self.parent[child] = node
                if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    self.functions[node.name].append((path, node))
                elif isinstance(node, ast.ClassDef):
                    self.classes[node.name] = (path, node)
            for stmt in tree.body:
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and isinstance(stmt.value, ast.Dict):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                    if isinstance(target, ast.Name):
                        self.module_dicts[target.id] = stmt.value
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) \
                        and isinstance(stmt.value, (ast.Tuple, ast.List, ast.Set)):
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                    if isinstance(target, ast.Name):
                        self.module_tuples[target.id] = stmt.value.elts
                if isinstance(stmt, (ast.Assign, ast.AnnAssign)) and stmt.value is not None:
                    target = stmt.targets[0] if isinstance(stmt, ast.Assign) else stmt.target
                    if isinstance(target, ast.Name) and isinstance(stmt.value, ast.Constant) \
                            and isinstance(stmt.value.value, str):
                        self.module_consts[path][target.id] = stmt.value.value
                    lits = _literal_values(stmt.value)
                    if isinstance(target, ast.Name) and lits is not None:
                        self.literals[target.id] = lits
        self.callees: dict[str, tuple[int, str | None, int | None, str | None]] = {}
        self.path_of: dict[ast.AST, str] = {}
        self.wrapper_edges: set[tuple[str, str]] = set()  # (wrapper, the callee it passes to)
        self.imports: dict[str, dict[str, str]] = defaultdict(dict)  # path -> name -> module path
        for path, tree in self.files:
            for node in ast.walk(tree):
                self.path_of[node] = path
                if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("app"):
                    target = node.module.replace(".", "/")
                    for a in node.names:
                        self.imports[path][a.asname or a.name] = target

    def key(self, call: ast.Call) -> str | None:
        """The callee of `call`: a class by name, a function as `path::name` (the caller's module
        first, then the module it was imported from, then any public function of that name)."""
        name = _name(call.func)
        if name is None:
            return None
        if name in self.classes:
            return name
        path = self.path_of.get(call, "")
        defs = self.functions.get(name, [])
        if isinstance(call.func, ast.Name):
            own = [p for p, _f in defs if p == path]
            if own:
                return f"{path}::{name}"
            src = self.imports[path].get(name)
            if src:
                for p, _f in defs:
                    if p in (src + ".py", src + "/__init__.py"):
                        return f"{p}::{name}"
        public = [p for p, _f in defs if not name.startswith("_")]
        return f"{public[0]}::{name}" if len(public) == 1 else name

    # -- who takes a code -------------------------------------------------------------------
    def _class_bases(self, name: str) -> list[str]:
        if name not in self.classes:
            return []
        return [b for b in (_name(x) for x in self.classes[name][1].bases) if b]

    def _inherits(self, name: str, roots: tuple[str, ...], seen: frozenset = frozenset()) -> bool:
        if name in roots:
            return True
        return any(self._inherits(b, roots, seen | {name}) for b in self._class_bases(name)
                   if b not in seen)

    def envelope_classes(self) -> set[str]:
        """Exception classes under ENVELOPE_DIR setting `self.code`, outside the families."""
        out = set()
        for name, (path, cls) in self.classes.items():
            if not path.startswith(ENVELOPE_DIR) or self._inherits(name, tuple(SEEDS)):
                continue
            if any(isinstance(t, ast.Attribute) and t.attr == "code" and isinstance(t.value, ast.Name)
                   and t.value.id == "self" for n in ast.walk(cls) if isinstance(n, ast.Assign)
                   for t in n.targets):
                out.add(name)
        return out

    def find_callees(self) -> None:
        for name, (ci, di) in SEEDS.items():
            self.callees[name] = (ci, "code", di, "detail")
            for path, _fn in self.functions.get(name, []):
                self.callees[f"{path}::{name}"] = (ci, "code", di, "detail")
        for name in self.classes:
            if name in self.callees or not self._inherits(name, tuple(SEEDS)):
                continue
            init = next((n for n in self.classes[name][1].body
                         if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
            if init is None:
                self.callees[name] = self.callees.get(self._class_bases(name)[0], (0, "code", 1, None))
                continue
            ps = _params(init)
            if "code" in ps:
                di = ps.index("detail") if "detail" in ps else None
                self.callees[name] = (ps.index("code"), "code", di, "detail" if di is not None else None)
            else:
                self.callees[name] = (-1, None, None, None)  # the class names its own code
        changed = True
        while changed:  # wrappers: a function passing a parameter on as a code
            changed = False
            for fname, defs in self.functions.items():
                for path, fn in defs:
                    k = f"{path}::{fname}"
                    if k in self.callees:
                        continue
                    ps = _params(fn)
                    for call in (n for n in ast.walk(fn) if isinstance(n, ast.Call)):
                        spec = self.callees.get(self.key(call) or "")
                        if not spec or spec[0] < 0:
                            continue
                        arg = _arg(call, spec[0], spec[1])
                        if isinstance(arg, ast.Name) and arg.id in ps:
                            det = _arg(call, spec[2], spec[3]) if spec[2] is not None else None
                            det = self.reason_detail(det, call)
                            di = ps.index(det.id) if isinstance(det, ast.Name) and det.id in ps else None
                            self.callees[k] = (ps.index(arg.id), arg.id, di,
                                               det.id if di is not None else None)
                            changed = True
                            break

    def reason_detail(self, det: ast.expr | None, at: ast.AST) -> ast.expr | None:
        """A refusal's sentence: `Reason(rule, clause, detail)` itself, or a local assigned it."""
        for _ in range(3):  # r = Reason(rule, clause, detail); detail = f"…"
            if isinstance(det, ast.Call) and _name(det.func) == "Reason" and len(det.args) >= 3:
                det = det.args[2]
            elif isinstance(det, ast.Name):
                fn = self._function_of(at)
                if fn is None or det.id in _params(fn):
                    return det
                found = [n for n in ast.walk(fn) if isinstance(n, ast.Assign)
                         and n.lineno <= getattr(at, "lineno", 0) and self._encloses(n, at)
                         and any(isinstance(t, ast.Name) and t.id == det.id for t in n.targets)]
                if not found:
                    return det
                det = max(found, key=lambda n: n.lineno).value
            else:
                return det
        return det

    def _encloses(self, stmt: ast.AST, at: ast.AST) -> bool:
        """Does `stmt` sit in a block that also holds `at` (so it runs before it)?"""
        block = self.parent.get(stmt)
        node = at
        while node in self.parent:
            node = self.parent[node]
            if node is block:
                return True
        return False

    # -- what a code expression can be -----------------------------------------------------
    def _function_of(self, node: ast.AST) -> ast.FunctionDef | ast.AsyncFunctionDef | None:
        while node in self.parent:
            node = self.parent[node]
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                return node
        return None

    def resolve(self, expr: ast.expr, at: ast.AST, depth: int = 0) -> tuple[set[str], bool]:
        """(codes, ok): the literal codes `expr` can take; ok False when it cannot be known."""
        if depth > 8:
            return set(), False
        if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
            return {expr.value}, True
        if isinstance(expr, ast.Attribute) and expr.attr == "code":
            return set(), True  # passed through: coded where it was made
        if isinstance(expr, ast.Subscript) and isinstance(expr.slice, ast.Constant) \
                and expr.slice.value == "code":
            return set(), True  # a stored error's code (r["code"]): coded where it was made
        if isinstance(expr, ast.Subscript) and isinstance(expr.value, ast.Name) \
                and isinstance(expr.slice, ast.Constant) and isinstance(expr.slice.value, int) \
                and expr.value.id not in self.module_dicts:
            calls = self._assigned_calls(expr.value, at)
            if calls:  # problem = date_problem(...); problem[0]: the element of what it returns
                codes, ok = set(), True
                for c in calls:
                    got, o = self.resolve(_Element(c, expr.slice.value), c, depth + 1)
                    codes |= got
                    ok = ok and o
                return codes, ok
        if isinstance(expr, ast.Call) and _name(expr.func) in DYNAMIC_CALLS:
            return set(DYNAMIC_CALLS[_name(expr.func)]), True
        if isinstance(expr, ast.Attribute) and isinstance(expr.value, ast.Name) \
                and (expr.value.id == "self" or expr.value.id in self.classes):
            cls = at
            while cls in self.parent and not isinstance(cls, ast.ClassDef):
                cls = self.parent[cls]
            if expr.value.id != "self":
                cls = self.classes[expr.value.id][1]
            for stmt in getattr(cls, "body", []):
                if isinstance(stmt, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == expr.attr for t in stmt.targets):
                    return self.resolve(stmt.value, stmt, depth + 1)
            return set(), False
        if isinstance(expr, ast.IfExp):
            a, ok_a = self.resolve(expr.body, at, depth + 1)
            b, ok_b = self.resolve(expr.orelse, at, depth + 1)
            return a | b, ok_a and ok_b
        if isinstance(expr, ast.JoinedStr):
            if ast.unparse(expr) in DYNAMIC:
                return set(DYNAMIC[ast.unparse(expr)]), True
            return self._fstring(expr, at, depth)
        if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute) \
                and expr.func.attr == "get" and expr.args:
            table = expr.func.value
            if isinstance(table, ast.Name):
                table = self.module_dicts.get(table.id, table)
            if not isinstance(table, ast.Dict):
                return set(), False
            codes, ok = set(), True
            for v in table.values + expr.args[1:]:
                c, o = self.resolve(v, at, depth + 1)
                codes |= c
                ok = ok and o
            return codes, ok
        if isinstance(expr, ast.Subscript):
            table = expr.value
            name = table.id if isinstance(table, ast.Name) else getattr(table, "attr", None)
            d = self.module_dicts.get(name or "")
            if d is None:
                return set(), False
            codes, ok = set(), True
            for v in d.values:
                c, o = self.resolve(v, at, depth + 1)
                codes |= c
                ok = ok and o
            return codes, ok
        if isinstance(expr, ast.Call):
            k = self.key(expr)
            fn = next((f for p, f in self.functions.get(_name(expr.func) or "", [])
                       if f"{p}::{f.name}" == k), None)
            rets = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return) and n.value] if fn else []
            if not rets:
                return set(), False
            codes, ok = set(), True
            for v in rets:
                c, o = self.resolve(v, v, depth + 1)
                codes |= c
                ok = ok and o
            return codes, ok
        if isinstance(expr, ast.Name):
            fn = self._function_of(at)
            const = self._module_const(expr.id, at, fn)
            if const is not None:
                return {const}, True
            if fn is None:
                return set(), False
            if expr.id in _params(fn):
                k = f"{self.path_of.get(fn, '')}::{fn.name}"
                if k in self.callees:
                    return set(), True  # a wrapper: its callers are scanned
                return self._param_values(fn, k, expr.id, depth)
            values = []
            for n in ast.walk(fn):
                if not isinstance(n, ast.Assign):
                    continue
                for t in n.targets:
                    if isinstance(t, ast.Name) and t.id == expr.id:
                        values.append(n.value)
                    elif isinstance(t, ast.Tuple) and any(
                            isinstance(e, ast.Name) and e.id == expr.id for e in t.elts):
                        i = next(i for i, e in enumerate(t.elts)
                                 if isinstance(e, ast.Name) and e.id == expr.id)
                        values.append(_Element(n.value, i))
            if not values:
                return set(), False
            codes, ok = set(), True
            for v in values:
                c, o = self.resolve(v, v, depth + 1)
                codes |= c
                ok = ok and o
            return codes, ok
        if isinstance(expr, _Element):  # the i-th element of what a call returns
            if isinstance(expr.call, ast.Call):
                k = self.key(expr.call)
                fn = next((f for p, f in self.functions.get(_name(expr.call.func) or "", [])
                           if f"{p}::{f.name}" == k), None)
                rets = [n.value for n in ast.walk(fn) if isinstance(n, ast.Return)
                        and not (n.value is None or (isinstance(n.value, ast.Constant)
                                 and n.value.value is None))] if fn else []  # None: no error
                if rets and all(isinstance(r, ast.Tuple) for r in rets):
                    codes, ok = set(), True
                    for r in rets:
                        c, o = self.resolve(r.elts[expr.index], r, depth + 1)
                        codes |= c
                        ok = ok and o
                    return codes, ok
            return set(), False
        return set(), False

    def _module_const(self, name: str, at: ast.AST, fn) -> str | None:
        """A module-level `NAME = "…"` of the file (or imported into it), unless shadowed."""
        if fn is not None and (name in _params(fn) or any(
                isinstance(n, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name
                                                  for t in n.targets) for n in ast.walk(fn))):
            return None
        path = self.path_of.get(at, "")
        if name in self.module_consts.get(path, {}):
            return self.module_consts[path][name]
        src = self.imports[path].get(name)
        for p in (src + ".py", src + "/__init__.py") if src else ():
            if name in self.module_consts.get(p, {}):
                return self.module_consts[p][name]
        return None

    def _param_values(self, fn, k: str, name: str, depth: int) -> tuple[set[str], bool]:
        """A parameter's values: its `Literal[…]` annotation, else what every caller passes."""
        arg = next(a for a in fn.args.posonlyargs + fn.args.args + fn.args.kwonlyargs if a.arg == name)
        lits = _literal_values(arg.annotation) if arg.annotation is not None else None
        if lits is None and isinstance(arg.annotation, ast.Name):
            lits = self.literals.get(arg.annotation.id)
        if lits is not None:
            return set(lits), True
        callers = [c for _p, tree in self.files for c in ast.walk(tree)
                   if isinstance(c, ast.Call) and self.key(c) == k]
        if not callers:
            return set(), False
        codes, ok = set(), True
        for call in callers:
            a = _arg(call, _params(fn).index(name), name)
            if a is None:
                a = _default(fn, name)
            c, o = self.resolve(a, call, depth + 1) if a is not None else (set(), False)
            codes |= c
            ok = ok and o and bool(c)
        return codes, ok

    def _assigned_calls(self, name: ast.Name, at: ast.AST) -> list[ast.Call]:
        """The calls a local `name` is assigned from in the enclosing function."""
        fn = self._function_of(at)
        if fn is None:
            return []
        values = [n.value for n in ast.walk(fn) if isinstance(n, (ast.Assign, ast.NamedExpr))
                  and any(isinstance(t, ast.Name) and t.id == name.id
                          for t in (n.targets if isinstance(n, ast.Assign) else [n.target]))]
        return values if values and all(isinstance(v, ast.Call) for v in values) else []

    def _guarded(self, hole: ast.expr, at: ast.AST) -> set[str] | None:
        """`if data.role in HELPER_ROLES: … f"user.{data.role}_…"`: the literals of the module
        tuple that an enclosing `if` requires the hole to be one of."""
        text = ast.unparse(hole)
        node = at
        while node in self.parent:
            node = self.parent[node]
            if not isinstance(node, ast.If):
                continue
            tests = node.test.values if isinstance(node.test, ast.BoolOp) \
                and isinstance(node.test.op, ast.And) else [node.test]
            for t in tests:
                if isinstance(t, ast.Compare) and len(t.ops) == 1 and isinstance(t.ops[0], ast.In) \
                        and ast.unparse(t.left) == text and isinstance(t.comparators[0], ast.Name):
                    elts = self.module_tuples.get(t.comparators[0].id)
                    if elts and all(isinstance(e, ast.Constant) and isinstance(e.value, str)
                                    for e in elts):
                        return {e.value for e in elts}
        return None

    def _fstring(self, expr: ast.JoinedStr, at: ast.AST, depth: int) -> tuple[set[str], bool]:
        fn = self._function_of(at)
        holes = [v.value for v in expr.values if isinstance(v, ast.FormattedValue)]
        if fn is None:
            return set(), False
        guarded: dict[str, set[str]] = {}
        for h in holes:
            g = self._guarded(h, at)
            if g is not None:
                guarded[ast.unparse(h)] = g
        if not all(isinstance(h, ast.Name) or ast.unparse(h) in guarded for h in holes):
            return set(), False
        ps = _params(fn)
        local: dict[str, set[str]] = dict(guarded)
        for h in holes:
            if ast.unparse(h) in local:
                continue
            if h.id not in ps:
                c, ok = self.resolve(h, at, depth + 1)
                if not ok or not c:
                    return set(), False
                local[h.id] = c
        out: set[str] = set()
        k = f"{self.path_of.get(fn, '')}::{fn.name}"
        callers = [c for _p, tree in self.files for c in ast.walk(tree)
                   if isinstance(c, ast.Call) and self.key(c) == k]
        if any(ast.unparse(h) not in local and h.id in ps for h in holes) and not callers:
            return set(), False
        for call in callers or [None]:
            values: dict[str, set[str]] = dict(local)
            for h in holes:
                if ast.unparse(h) in local:
                    continue
                a = _arg(call, ps.index(h.id), h.id)
                if a is None:
                    a = _default(fn, h.id)
                c, ok = self.resolve(a, call, depth + 1) if a is not None else (set(), False)
                if not ok or not c:
                    return set(), False
                values[h.id] = c
            combos = [""]
            for v in expr.values:
                if isinstance(v, ast.Constant):
                    combos = [s + v.value for s in combos]
                else:
                    combos = [s + x for s in combos for x in sorted(values[ast.unparse(v.value)])]
            out |= set(combos)
        return out, True


@dataclass(frozen=True)
class _Element(ast.expr):
    call: ast.expr
    index: int


def _literal_values(node: ast.expr | None) -> list[str] | None:
    """`Literal["a", "b"]` -> ["a", "b"]."""
    if isinstance(node, ast.Subscript) and _name(node.value) == "Literal":
        elts = node.slice.elts if isinstance(node.slice, ast.Tuple) else [node.slice]
        if all(isinstance(e, ast.Constant) and isinstance(e.value, str) for e in elts):
            return [e.value for e in elts]
    return None


def _default(fn: ast.FunctionDef | ast.AsyncFunctionDef, name: str) -> ast.expr | None:
    args = fn.args.posonlyargs + fn.args.args
    for a, d in zip(args[len(args) - len(fn.args.defaults):], fn.args.defaults, strict=True):
        if a.arg == name:
            return d
    for a, d in zip(fn.args.kwonlyargs, fn.args.kw_defaults, strict=True):
        if a.arg == name:
            return d
    return None


def scan(root: Path = APP) -> Scan:
    s = _Scanner(root)
    s.find_callees()
    envelope = s.envelope_classes()
    out = Scan(families=set(s.callees) | envelope)
    inner: dict[str, set[str]] = defaultdict(set)  # wrapper -> sentences it makes itself
    calls: list[tuple[str, set[str]]] = []  # (wrapper called, the codes it was given)
    for path, tree in s.files:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _name(node.func) in envelope:
                _scan_envelope(s, out, path, node)
            elif isinstance(node, ast.Call):
                _scan_call(s, out, path, node, inner, calls)
            elif isinstance(node, ast.Dict):
                _scan_dict(s, out, path, node)
            elif isinstance(node, ast.ClassDef) and node.name in s.callees:
                _scan_class(s, out, path, node)
    # A wrapper's own f-string (`_overlap_check(..., code, ...)` builds the sentence) is said
    # under every code its callers give it, through any depth of wrappers.
    changed = True
    while changed:
        changed = False
        for outer, key in s.wrapper_edges:
            new = inner[key] - inner[outer]
            if new:
                inner[outer] |= new
                changed = True
    for key, codes in calls:
        for code in codes:
            out.sentences[code] |= inner.get(key, set())
    return out


def _record(out: Scan, path: str, line: int, codes: set[str], sentence: str | None,
            fixed: str | None = None) -> None:
    for c in codes:
        out.codes[c].append(f"{path}:{line}")
        if sentence:
            out.sentences[c].add(sentence)
        if fixed:
            out.fixed[c].add(fixed)


def _super_spec(s: _Scanner, call: ast.Call) -> tuple[str, tuple] | None:
    """`super().__init__(code, detail)` in a family's class: the spec of the class it extends."""
    f = call.func
    if not (isinstance(f, ast.Attribute) and f.attr == "__init__" and isinstance(f.value, ast.Call)
            and _name(f.value.func) == "super"):
        return None
    cls = call
    while cls in s.parent and not isinstance(cls, ast.ClassDef):
        cls = s.parent[cls]
    if not isinstance(cls, ast.ClassDef) or cls.name not in s.callees:
        return None
    for base in s._class_bases(cls.name):
        spec = s.callees.get(base)
        if spec and spec[0] >= 0:
            return base, spec
    return None


def _element_sentences(s: _Scanner, arg: ast.expr, det: ast.expr | None,
                       at: ast.AST) -> list[tuple[set[str] | None, str]]:
    """`problem[1]` where `problem = date_problem(...)`: the sentences of that element of the
    tuples the function returns, each with the codes of the same tuple when the code is an
    element of it too (`problem[0]`), else None (every code of the call)."""
    def element(e: ast.expr) -> int | None:
        if isinstance(e, ast.Subscript) and isinstance(e.value, ast.Name) \
                and isinstance(e.slice, ast.Constant) and isinstance(e.slice.value, int):
            return e.slice.value
        return None

    di, ci = element(det) if det is not None else None, element(arg)
    if di is None:
        return []
    if ci is not None and arg.value.id != det.value.id:
        ci = None
    out = []
    for c in s._assigned_calls(det.value, at):
        k = s.key(c)
        fn = next((f for p, f in s.functions.get(_name(c.func) or "", []) if f"{p}::{f.name}" == k), None)
        for r in (n.value for n in ast.walk(fn) if isinstance(n, ast.Return)) if fn else ():
            if isinstance(r, ast.Tuple) and len(r.elts) > max(di, ci or 0):
                sample = _sample(r.elts[di])
                if sample:
                    codes = s.resolve(r.elts[ci], r)[0] if ci is not None else None
                    out.append((codes, sample))
    return out


def _as_code(key: str, code: str) -> str:
    if key == "PydanticCustomError":  # its type becomes the code as the API renders it
        from app.kit.schemas import validation_code

        return validation_code(code)
    return code


def _scan_call(s: _Scanner, out: Scan, path: str, call: ast.Call,
               inner: dict[str, set[str]], calls: list[tuple[str, set[str]]]) -> None:
    key = s.key(call) or ""
    spec = s.callees.get(key)
    sup = _super_spec(s, call) if not spec else None
    if sup is not None:
        key, spec = sup
        fn = s._function_of(call)
        arg = _arg(call, spec[0], spec[1])
        if fn is not None and isinstance(arg, ast.Name) and arg.id in _params(fn):
            return  # the class passes its own `code` parameter on: its callers are scanned
    if not spec or spec[0] < 0:
        return
    arg = _arg(call, spec[0], spec[1])
    if arg is None:
        return  # the callee's default code, scanned with the class
    codes, ok = s.resolve(arg, call)
    if not ok:
        out.unresolved.append(f"{path}:{call.lineno}: {ast.unparse(arg)}")
        return
    codes = {_as_code(key, c) for c in codes}
    sentence = fixed = None
    if spec[2] is not None:
        det = s.reason_detail(_arg(call, spec[2], spec[3]), call)
        sentence = _sample(det) if det is not None else None
        fixed = det.value if isinstance(det, ast.Constant) and isinstance(det.value, str) else None
        for paired, sample in _element_sentences(s, arg, det, call):
            for c in codes if paired is None else paired:
                out.sentences[_as_code(key, c)].add(sample)
    _record(out, path, call.lineno, codes, sentence, fixed)
    calls.append((key, codes))
    fn = s._function_of(call)
    if fn is not None and isinstance(arg, ast.Name) and arg.id in _params(fn):
        outer = f"{s.path_of.get(fn, '')}::{fn.name}"
        if sentence:
            inner[outer].add(sentence)
        s.wrapper_edges.add((outer, key))


def _scan_envelope(s: _Scanner, out: Scan, path: str, call: ast.Call) -> None:
    """A DCI envelope error: its code is the `code` parameter of the class's __init__."""
    _p, cls = s.classes[_name(call.func)]
    init = next((n for n in cls.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None)
    if init is None or "code" not in _params(init):
        return
    arg = _arg(call, _params(init).index("code"), "code")
    if arg is None:
        arg = _default(init, "code")
        if arg is None:
            return
        codes, ok = s.resolve(arg, init)
    else:
        codes, ok = s.resolve(arg, call)
    if not ok:
        out.unresolved.append(f"{path}:{call.lineno}: {ast.unparse(arg)}")
        return
    for c in codes:
        out.envelope[c].append(f"{path}:{call.lineno}")


def _scan_dict(s: _Scanner, out: Scan, path: str, node: ast.Dict) -> None:
    """`{"loc": …, "msg": …, "code": …}`: a field error's code; `{"error_code": "…"}`: an
    import job's (shown as the job's `error`)."""
    keys = [k.value if isinstance(k, ast.Constant) else None for k in node.keys]
    if "error_code" in keys:
        value = node.values[keys.index("error_code")]
        codes, ok = s.resolve(value, node)
        if not ok:
            out.unresolved.append(f"{path}:{node.lineno}: {ast.unparse(value)}")
        else:
            det = node.values[keys.index("error_detail")] if "error_detail" in keys else None
            _record(out, path, node.lineno, codes, _sample(det) if det is not None else None)
    if "code" not in keys or "msg" not in keys:
        return
    value = node.values[keys.index("code")]
    if isinstance(value, ast.Dict):
        return  # a JSON schema describing the field, not a field error
    codes, ok = s.resolve(value, node)
    if not ok:
        out.unresolved.append(f"{path}:{node.lineno}: {ast.unparse(value)}")
        return
    msg = node.values[keys.index("msg")]
    fixed = msg.value if isinstance(msg, ast.Constant) and isinstance(msg.value, str) else None
    _record(out, path, node.lineno, codes, _sample(msg), fixed)


def _scan_class(s: _Scanner, out: Scan, path: str, cls: ast.ClassDef) -> None:
    """Class-level codes (`code = "…"`, `CODE = "…"`) and defaults of a `code` parameter."""
    for stmt in cls.body:
        if isinstance(stmt, ast.AnnAssign) and isinstance(stmt.target, ast.Name) \
                and stmt.target.id in ("code", "CODE") and stmt.value is not None:
            codes, _ok = s.resolve(stmt.value, stmt)
            _record(out, path, stmt.lineno, codes, None)
        if isinstance(stmt, ast.Assign) and any(isinstance(t, ast.Name) and t.id in ("code", "CODE")
                                                for t in stmt.targets):
            codes, _ok = s.resolve(stmt.value, stmt)
            _record(out, path, stmt.lineno, codes, None)
        if isinstance(stmt, ast.FunctionDef) and stmt.name == "__init__":
            d = _default(stmt, "code")
            if d is not None:
                codes, _ok = s.resolve(d, stmt)
                _record(out, path, stmt.lineno, codes, None)


def pattern_matches(pattern: str, sample: str) -> bool:
    from app.i18n import _pattern

    return _pattern(pattern).match(sample) is not None


def placeholders(template: str) -> set[str]:
    return {n for _l, n, _s, _c in string.Formatter().parse(template) if n}
