"""The example shop in worker-only mode on PostgreSQL, against the shop without hooks.

``examples/asgi_shop/loadtest.py --worker-only`` at 5 orders/s with 10 endpoints (20
durable hooks: ``post_save`` and the view's ``asend()``, each dispatch one INSERT and
one NOTIFY) and two ``signalhooks_worker`` processes: the hooked view's p50 over the
view's p50 without hooks, measured in alternating blocks by the load test itself. Needs
PostgreSQL on 127.0.0.1:5432 (user postgres); the shop's database ``signalhooks_shop``
is created if missing.

    python -m benchmarks.phase_shop --mode worker_only --sink-url - --events 300 --blocks 6
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from benchmarks import common
from benchmarks.runner import ROOT


def worker_only(requests: int, blocks: int, warmup: int) -> dict[str, Any]:
    command = [sys.executable, "loadtest.py", "--worker-only", "--rate", "5", "--hooks", "10"]
    command += ["--requests", str(requests), "--blocks", str(blocks), "--warmup", str(warmup)]
    done = subprocess.run(
        [*command, "--json"],
        cwd=ROOT / "examples" / "asgi_shop",
        capture_output=True,
        text=True,
        timeout=900,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"error": f"loadtest exited {done.returncode}: {done.stderr[-300:]}"}
    result = json.loads(lines[-1])
    return {
        "phase": "shop",
        "mode": "worker_only",
        "requests": result["requests"],
        "ratio_p50": result["ratio_p50"],
        "baseline_p50_ms": result["baseline"]["p50_ms"],
        "hooked_p50_ms": result["hooked"]["p50_ms"],
        "deliveries": f"{result['deliveries_received']}/{result['deliveries_expected']}",
        "complete": done.returncode == 0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, ["worker_only"])
    parser.add_argument("--blocks", type=int, default=6, help="alternating blocks")
    parser.add_argument("--warmup", type=int, default=20, help="orders before measuring")
    args = parser.parse_args(argv)
    common.emit(worker_only(args.events, args.blocks, args.warmup))


if __name__ == "__main__":
    main()
