"""Process plumbing: where the sink and the clients run, one fresh client process per measurement.

Separate processes keep phases from sharing warmed-up caches, threads or garbage, and
pinning the sink to one core and the client to another stops them from stealing each
other's CPU on a small machine. ``taskset`` is used only if it exists and only with cores
this process may run on; otherwise the phases run unpinned (and say so in the results).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def pinning() -> dict[str, list[str]]:
    """``taskset`` prefixes for the sink and the client (empty when pinning is impossible)."""
    taskset = shutil.which("taskset")
    cpus = sorted(os.sched_getaffinity(0))
    if not taskset or len(cpus) < 2:
        return {"sink": [], "client": []}
    return {"sink": [taskset, "-c", str(cpus[0])], "client": [taskset, "-c", str(cpus[1])]}


def phase_env(library_settings: dict[str, Any] | None = None) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env["DJANGO_SETTINGS_MODULE"] = "benchmarks.bench_settings"
    env["BENCH_SIGNALHOOKS"] = json.dumps(library_settings or {})
    env.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    return env


def run_phase(
    module: str,
    args: list[str],
    library_settings: dict[str, Any] | None = None,
    timeout: float = 300.0,
) -> dict[str, Any]:
    """Run ``python -m benchmarks.<module> ARGS`` pinned; parse its JSON line or report why not."""
    cmd = [*pinning()["client"], sys.executable, "-m", f"benchmarks.{module}", *args]
    started = time.monotonic()
    try:
        proc = subprocess.run(
            cmd, cwd=ROOT, env=phase_env(library_settings), capture_output=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f}s", "cmd": " ".join(cmd)}
    lines = proc.stdout.decode(errors="replace").strip().splitlines()
    if proc.returncode == 0 and lines:
        try:
            result: dict[str, Any] = json.loads(lines[-1])
            result["process_s"] = round(time.monotonic() - started, 2)
            return result
        except json.JSONDecodeError:
            pass
    tail = proc.stderr.decode(errors="replace").strip().splitlines()[-8:]
    return {"error": f"exit {proc.returncode}: " + " | ".join(tail), "cmd": " ".join(cmd)}
