"""signalhooks installed without its httpx extras: ``python -m tests.without_httpx URL``.

The test virtualenv installs httpx, httpx2 and httpx-aiohttp; a meta path finder
refuses them here as an environment without them would (no module found), the one way
to see that case in this venv. The script delivers one event to ``URL`` on the default
transport and one with ``HTTP_TRANSPORT = "httpx"``, runs the system checks, and prints
one JSON line of what it saw (tests/integration/test_without_httpx.py).
"""

import json
import sys

REFUSED = ("httpx", "httpx2", "httpx_aiohttp", "httpcore", "httpcore2")


class NotInstalled:
    def find_spec(self, name: str, path: object = None, target: object = None) -> None:
        if name.split(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


sys.meta_path.insert(0, NotInstalled())

import django  # noqa: E402

django.setup()

from django.core.checks import run_checks  # noqa: E402
from django.dispatch import Signal  # noqa: E402
from django.test import override_settings  # noqa: E402

from signalhooks.hooks import HTTPSignalHook  # noqa: E402
from tests.helpers import fresh_engine, outcomes  # noqa: E402


def deliver(url: str, transport: str) -> dict[str, object]:
    signal = Signal()
    with fresh_engine(HTTP_TRANSPORT=transport), outcomes() as seen:
        hook = HTTPSignalHook(request_url=url)
        signal.connect(hook, weak=False)
        signal.send(sender=None, n=1)
        [result] = seen.wait(hook)
    return {"ok": result.ok, "attempts": result.attempts, "error": result.error}


url = sys.argv[1]
report = {"default": deliver(url, "aiohttp"), "httpx": deliver(url, "httpx")}
with override_settings(SIGNALHOOKS={"HTTP_TRANSPORT": "httpx"}):
    report["checks"] = [
        {"id": m.id, "msg": m.msg, "hint": m.hint} for m in run_checks(tags=["signalhooks"])
    ]
report["imported"] = sorted(m for m in sys.modules if m.split(".")[0] in REFUSED)
print(json.dumps(report), flush=True)
