"""Running the httpx-compatible transports with each package and each path.

The test virtualenv installs httpx, httpx2 and httpx-aiohttp, so ``HTTP_TRANSPORT =
"httpx"`` would always take the first of ``PATHS``. :func:`use_path` makes a later path
the fastest one installed by making the packages of the paths before it unimportable,
as if they were not installed: a ``None`` entry in ``sys.modules`` is how Python itself
marks a module that cannot be imported (a failure this venv cannot produce otherwise).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import pytest

from signalhooks.transports.httpx_paths import PATHS, httpx_path

#: The packages whose AsyncClient a user may pass as http_client=.
CLIENT_PACKAGES = ["httpx", "httpx2"]
#: Every path HTTP_TRANSPORT="httpx" can take, fastest first.
PATH_NAMES = [path.name for path in PATHS]


def block(monkeypatch: pytest.MonkeyPatch, *packages: str) -> None:
    """Make ``packages`` (and their submodules) unimportable until the test ends."""
    for name in packages:
        loaded = [m for m in sys.modules if m == name or m.startswith(f"{name}.")]
        for module in {name, *loaded}:
            monkeypatch.setitem(sys.modules, module, None)


def use_path(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Make the path called ``name`` the one ``HTTP_TRANSPORT = "httpx"`` picks."""
    target = next(path for path in PATHS if path.name == name)
    needed = {module.split(".")[0] for module in target.modules}
    for faster in PATHS[: PATHS.index(target)]:
        if httpx_path() is not faster:
            continue
        # Refuse a package that the faster path needs and this one does not.
        block(
            monkeypatch,
            next(m.split(".")[0] for m in faster.modules if m.split(".")[0] not in needed),
        )
    assert httpx_path() is target, (name, httpx_path())


def client_class(package: str) -> Any:
    """``AsyncClient`` of ``package`` (``"httpx"`` or ``"httpx2"``)."""
    return importlib.import_module(package).AsyncClient
