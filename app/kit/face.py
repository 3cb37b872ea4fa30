"""A module's face: the names other modules may call, resolved on first use.

A package's `__init__.py` lists its public names by submodule and sets
`__getattr__ = face(__name__, FACE)`: `from app.dibao import load_case` then imports
`app.dibao.cases` only when the name is first read, so the face adds no import cycle."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any


def face(package: str, names: dict[str, tuple[str, ...]]) -> Callable[[str], Any]:
    """`__getattr__` for `package`: each name of `names` (submodule -> names) from its submodule."""
    where = {name: f"{package}.{module}" for module, listed in names.items() for name in listed}

    def __getattr__(name: str) -> Any:
        module = where.get(name)
        if module is None:  # a submodule, or no such name: the import system goes on
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(module), name)

    return __getattr__


def names_of(names: dict[str, tuple[str, ...]]) -> list[str]:
    """The `__all__` of a face: every listed name."""
    return sorted(name for listed in names.values() for name in listed)
