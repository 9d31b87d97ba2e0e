"""The public surface, stated once: :data:`PUBLIC` lists it, and docs/api.md and the
public modules' ``__all__`` must say exactly the same. A name added to a public
module's ``__all__`` fails here until it is in the table and documented."""

from __future__ import annotations

import importlib
import inspect
import re
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest

import signalhooks

PACKAGE = Path(signalhooks.__file__).parent
API_PAGE = (PACKAGE.parent / "docs" / "api.md").read_text()
COMMANDS = "manage.py"

#: Where users reach signalhooks -> the public names there. Every other module of the
#: package is internal (docs/api.md says anything not listed may change). Besides these:
#: the check ids (tests/unit/test_check_ids.py), the settings (test_settings.py), and
#: the portal's URL names and API (tests/portal).
PUBLIC: dict[str, set[str]] = {
    "signalhooks": {
        "DeliveryResult",
        "EndpointsHook",
        "Event",
        "HTTPSignalHook",
        "SNSSignalHook",
        "SerializationError",
        "SignalHook",
        "__version__",
        "aflush",
        "delivery_failed",
        "delivery_succeeded",
        "endpoint_disabled",
        "flush",
        "stats",
    },
    "signalhooks.hooks": {"EndpointsHook", "HTTPSignalHook", "SNSSignalHook", "SignalHook"},
    "signalhooks.models": {"DeliveryAttempt", "Endpoint", "EndpointRevision", "OutboxDelivery"},
    "signalhooks.signals": {"delivery_failed", "delivery_succeeded", "endpoint_disabled"},
    "signalhooks.exceptions": {
        "BlockedAddressError",
        "PayloadError",
        "SerializationError",
        "SignalhooksError",
        "TransportError",
    },
    "signalhooks.testing": {
        "CapturedDelivery",
        "capture_hooks",
        "deliver_synchronously",
        "reset_engine",
    },
    "signalhooks.pytest_plugin": {"signalhooks_capture", "signalhooks_synchronous"},
    "signalhooks.catalog": {
        "EventType",
        "body_schema",
        "declare",
        "event_types",
        "openapi",
        "produces",
        "webhooks",
    },
    "signalhooks.portal.urls": {"app_name", "urlpatterns"},
    # Stored in broker messages: a path that must outlive a deploy.
    "signalhooks.tasks": {"adeliver", "deliver"},
    # By name: manage.py <command>.
    COMMANDS: {
        "signalhooks_prune",
        "signalhooks_replay",
        "signalhooks_requeue",
        "signalhooks_schema",
        "signalhooks_send_test",
        "signalhooks_worker",
    },
}
MODULES = sorted(name for name in PUBLIC if name != COMMANDS)


# -- the table against the code ----------------------------------------------------------


@pytest.mark.parametrize("module_name", MODULES)
def test_a_public_modules_all_is_its_row_of_the_table(module_name):
    module = importlib.import_module(module_name)
    assert set(module.__all__) == PUBLIC[module_name]


def test_the_commands_are_the_commands_of_the_package():
    commands = PACKAGE / "management" / "commands"
    assert {path.stem for path in commands.glob("signalhooks_*.py")} == PUBLIC[COMMANDS]


def test_public_classes_and_functions_have_docstrings():
    undocumented = [
        f"{module_name}.{name}"
        for module_name in MODULES
        for name in PUBLIC[module_name]
        if (inspect.isclass(obj := getattr(importlib.import_module(module_name), name)))
        or inspect.isfunction(obj)
        if not inspect.getdoc(obj)
    ]
    assert undocumented == []


# -- the table against docs/api.md -------------------------------------------------------

#: ``.. autoclass:: signalhooks.hooks.HTTPSignalHook`` (or automodule, autodata...).
DIRECTIVE = re.compile(r"^\.\. auto(\w+):: ([\w.]+)", re.M)
#: A prose entry: ``* `name`...`` or ``* `name(...)`...``.
ENTRY = re.compile(r"^\* `(\w+)", re.M)


def sections() -> list[tuple[set[str], set[str]]]:
    """Each "From `module`" paragraph of the page: the public modules it names, and the
    names its list documents (up to the next heading)."""
    found = []
    for section in re.split(r"^#+ ", API_PAGE, flags=re.M):
        for match in re.finditer(r"^From (.*?)(?:\n\n|\Z)", section, re.S | re.M):
            modules = {m for m in re.findall(r"`([\w.]+)`", match[1]) if m in PUBLIC}
            rest = section[match.end() :]
            found.append((modules, set(ENTRY.findall(rest.split("\nFrom ", 1)[0]))))
    return found


def autodoc_targets() -> dict[str, Any]:
    """What the page's directives document: dotted path -> the object it imports."""
    targets = {}
    for kind, path in DIRECTIVE.findall(API_PAGE):
        module_name, _, name = path.rpartition(".")
        if kind == "module":
            targets[path] = importlib.import_module(path)
        else:
            targets[path] = getattr(importlib.import_module(module_name), name)
    return targets


@pytest.mark.parametrize("module_name", sorted(PUBLIC))
def test_every_public_name_is_documented_in_prose(module_name):
    listed = set().union(*(names for modules, names in sections() if module_name in modules))
    if module_name == COMMANDS:  # named in the page's introduction
        listed = {name for name in PUBLIC[COMMANDS] if f"`{name}`" in API_PAGE.split("\n## ")[0]}
    assert PUBLIC[module_name] - listed == set(), f"docs/api.md lists no {module_name} entry"


@pytest.mark.parametrize("module_name", MODULES)
def test_every_public_name_is_documented_by_autodoc(module_name):
    documented = {id(obj) for obj in autodoc_targets().values()}
    module = importlib.import_module(module_name)
    missing = {name for name in PUBLIC[module_name] if id(getattr(module, name)) not in documented}
    assert missing == set(), f"no autodoc directive in docs/api.md for {module_name}: {missing}"


def test_the_api_page_documents_nothing_else():
    for modules, names in sections():
        assert modules, "a section names no public module"
        others = names - set().union(*(PUBLIC[m] for m in modules))
        assert others == set(), f"docs/api.md lists names that are not public: {others}"
    for path in autodoc_targets():
        module_name, _, name = path.rpartition(".")
        public = path in PUBLIC or name in PUBLIC.get(module_name, ())
        assert public, f"docs/api.md documents {path}, which is not public"


def test_the_api_page_says_the_rest_may_change():
    assert "Anything not listed here may change" in API_PAGE


# -- every module ------------------------------------------------------------------------


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
    for name in signalhooks.__all__:
        assert hasattr(signalhooks, name), name


def test_typed_package_and_version():
    assert (PACKAGE / "py.typed").is_file()
    pyproject = tomllib.loads((PACKAGE.parent / "pyproject.toml").read_text())
    assert "py.typed" in pyproject["tool"]["setuptools"]["package-data"]["signalhooks"]
    assert signalhooks.__version__ == pyproject["project"]["version"]
