"""httpx and httpx2 are optional: without them signalhooks imports, delivers on aiohttp,
fails ``HTTP_TRANSPORT = "httpx"`` deliveries with a reason, and ``manage.py check``
reports E004 naming the extras (``tests/without_httpx.py`` runs in a process where
neither package can be found)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_without_the_httpx_extras(http):
    done = subprocess.run(
        [sys.executable, "-m", "tests.without_httpx", http.url("/without-httpx")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.splitlines()[-1])
    assert report["imported"] == []  # not even aiobotocore found one
    assert report["default"] == {"ok": True, "attempts": 1, "error": None}
    assert len(http.requests("/without-httpx")) == 1
    failed = report["httpx"]
    assert (failed["ok"], failed["attempts"]) == (False, 1)  # not retried: cannot help
    assert "neither httpx2 nor httpx can be imported" in failed["error"]
    assert "signalhooks[httpx2]" in failed["error"]
    [e004] = [check for check in report["checks"] if check["id"] == "signalhooks.E004"]
    assert "signalhooks[httpx2]" in e004["hint"] and "signalhooks[httpx]" in e004["hint"]
