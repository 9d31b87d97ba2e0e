"""The public surface: ``__all__`` lists of every module resolve, and the package's is complete."""

from __future__ import annotations

import importlib
import inspect
import tomllib
import types
from pathlib import Path

import pytest

import signalhooks

PACKAGE = Path(signalhooks.__file__).parent

#: What users import from the package itself, by design (README, seed API).
DESIGNED = {
    "SignalHook",
    "HTTPSignalHook",
    "SNSSignalHook",
    "DeliveryResult",
    "Event",
    "SerializationError",
    "delivery_succeeded",
    "delivery_failed",
    "flush",
    "aflush",
    "stats",
    "__version__",
}
#: Documented names in public submodules.
DOCUMENTED = {
    "signalhooks.hooks": {"SignalHook", "HTTPSignalHook", "SNSSignalHook"},
    "signalhooks.signals": {"delivery_succeeded", "delivery_failed"},
    "signalhooks.testing": {"capture_hooks", "deliver_synchronously", "CapturedDelivery"},
    "signalhooks.pytest_plugin": {"signalhooks_capture", "signalhooks_synchronous"},
    "signalhooks.checks": {"register_checks"},
    "signalhooks.catalog": {
        "EventType",
        "declare",
        "event_types",
        "openapi",
        "produces",
        "webhooks",
    },
}


def module_names() -> list[str]:
    """Every module of the package, except migrations (generated code) and admin modules.

    ``admin`` modules are imported by Django's admin autodiscovery only, and need
    ``django.contrib.admin`` installed, which the test settings do not.
    """
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if "migrations" in parts or parts[-1] == "admin":
            continue
        if any(p.startswith("_") and p != "__init__" for p in parts):
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def own_public_names(module: types.ModuleType) -> list[str]:
    return [
        name
        for name, value in vars(module).items()
        if not name.startswith("_")
        and not isinstance(value, types.ModuleType)
        and getattr(value, "__module__", module.__name__) == module.__name__
        and name != "annotations"  # from __future__ import annotations
    ]


@pytest.mark.parametrize("name", module_names())
def test_module_all_resolves(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        # Django finds a command's ``Command`` by convention; nothing else is public there.
        if ".management.commands." not in name:
            assert own_public_names(module) == [], f"{name} defines public names but no __all__"
        return
    assert all(isinstance(item, str) for item in exported)
    assert len(set(exported)) == len(exported), f"duplicates in {name}.__all__"
    missing = [item for item in exported if not hasattr(module, item)]
    assert missing == [], f"{name}.__all__ names what {name} does not have: {missing}"


def test_package_all_covers_the_public_surface():
    for name in module_names():  # submodules bind names on the package when imported
        importlib.import_module(name)
    public = {
        name
        for name, value in vars(signalhooks).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public - set(signalhooks.__all__) == set(), "add these to signalhooks.__all__"
    assert set(signalhooks.__all__) >= DESIGNED
    for name in signalhooks.__all__:
        assert hasattr(signalhooks, name), name


@pytest.mark.parametrize("module_name", sorted(DOCUMENTED))
def test_documented_names_are_exported(module_name):
    module = importlib.import_module(module_name)
    assert set(module.__all__) >= DOCUMENTED[module_name]


def test_public_classes_and_functions_have_docstrings():
    undocumented = [
        name
        for name in signalhooks.__all__
        if (inspect.isclass(obj := getattr(signalhooks, name)) or inspect.isfunction(obj))
        and not inspect.getdoc(obj)
    ]
    assert undocumented == []


def test_typed_package_and_version():
    assert (PACKAGE / "py.typed").is_file()
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["signalhooks"]
    assert signalhooks.__version__ == pyproject["project"]["version"]
