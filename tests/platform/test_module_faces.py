"""A module's face: each name a package lists in `__all__` is what its submodule defines, read
lazily, so listing it adds no import cycle."""

import importlib
import pkgutil
import subprocess
import sys

import pytest

import app

FACES = sorted(m.name for m in pkgutil.iter_modules(app.__path__, "app.")
               if m.ispkg and hasattr(importlib.import_module(m.name), "FACE"))


def test_the_modules_others_call_have_a_face():
    assert {"app.auth", "app.audit", "app.dibao", "app.imports", "app.pairings",
            "app.policy_lines", "app.regions", "app.villages", "app.webhooks"} <= set(FACES)


@pytest.mark.parametrize("package", FACES)
def test_every_name_of_a_face_is_its_submodules_own(package):
    face = importlib.import_module(package)
    assert face.__all__ == sorted({n for names in face.FACE.values() for n in names})
    for module, names in face.FACE.items():
        source = importlib.import_module(f"{package}.{module}")
        for name in names:
            assert getattr(face, name) is getattr(source, name), (package, name)


def test_a_name_not_on_the_face_is_an_attribute_error_and_submodules_still_import():
    dibao = importlib.import_module("app.dibao")
    with pytest.raises(AttributeError):
        dibao.no_such_name  # noqa: B018
    from app.dibao import coverage  # a submodule, not a face name

    assert coverage.__name__ == "app.dibao.coverage"


def test_importing_a_face_imports_none_of_its_submodules():
    code = (f"import sys, importlib; faces = {FACES!r}; "
            "[importlib.import_module(f) for f in faces]; "
            "print(sorted(m for m in sys.modules if any(m.startswith(f + '.') for f in faces)))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout
