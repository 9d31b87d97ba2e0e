"""One write per dispatch, measured beside its baselines on PostgreSQL (issue 22, point 1).

Modes (one process each):

* ``save``: ``Item.objects.create()`` inside ``transaction.atomic()`` with no receivers
  (the plain save), then with 10 durable ``HTTPSignalHook``s whose rows this process
  sends first (``DURABLE_INLINE``, the default), then the same hooks leaving their rows
  to the workers (``DURABLE_INLINE = False``; no worker runs, the rows stay). The
  ratio is the hooked save's p50 over the plain save's, in the same process.
* ``shop``: ``examples/asgi_shop/loadtest.py --worker-only`` at 5 orders/s with 10
  endpoints (20 hooks: ``post_save`` and the view's ``asend()``), two
  ``signalhooks_worker`` processes: the hooked view's p50 over the view's p50 without
  hooks, measured in alternating blocks by the load test itself.

Needs PostgreSQL on 127.0.0.1:5432 (user postgres): the databases ``signalhooks_bench``
and the shop's ``signalhooks_shop`` are created if missing.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from typing import Any

from benchmarks import common
from benchmarks.phase_caller import percentile
from benchmarks.runner import ROOT

MODES = ["save", "shop"]
HOOKS = 10


def save(sink_url: str, events: int, interval: float) -> dict[str, Any]:
    from benchmarks.phase_endpoints import _setup

    _setup(pg=True)
    from django.conf import settings
    from django.db import connection, transaction
    from django.db.models.signals import post_save
    from django.test import override_settings

    import signalhooks
    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import HTTPSignalHook
    from signalhooks.models import OutboxDelivery

    OutboxDelivery.objects.all().delete()
    Item.objects.all().delete()
    text = (common._LOREM * 20)[: common.BODY_CHARS]

    def saves(count: int) -> list[int]:
        samples = []
        for n in range(count):
            t0 = time.perf_counter_ns()
            with transaction.atomic():
                Item.objects.create(name=f"item-{n}", body=text)
            samples.append(time.perf_counter_ns() - t0)
            time.sleep(interval)
        return samples

    saves(20)  # warm the connection and the table
    plain = saves(events)
    hooks = [HTTPSignalHook(f"{sink_url}/h{i}", durable=True) for i in range(HOOKS)]
    for hook in hooks:
        post_save.connect(hook, sender=Item, weak=False)
    saves(5)
    inline = saves(events)
    flushed = signalhooks.flush(timeout=120.0)
    with override_settings(SIGNALHOOKS={**settings.SIGNALHOOKS, "DURABLE_INLINE": False}):
        saves(5)
        fleet = saves(events)
    rows = OutboxDelivery.objects.count()
    connection.close()
    out: dict[str, Any] = {"phase": "dispatch", "mode": "save", "calls": events, "hooks": HOOKS}
    for q in (50, 90, 99):
        out[f"plain_p{q}_us"] = percentile(plain, q)
        out[f"inline_p{q}_us"] = percentile(inline, q)
        out[f"fleet_p{q}_us"] = percentile(fleet, q)
    out["ratio_p50"] = out["inline_p50_us"] / out["plain_p50_us"]
    out["fleet_ratio_p50"] = out["fleet_p50_us"] / out["plain_p50_us"]
    out.update(flushed=flushed, rows=rows)
    return out


def shop(requests: int, blocks: int, warmup: int) -> dict[str, Any]:
    command = [sys.executable, "loadtest.py", "--worker-only", "--rate", "5", "--hooks", "10"]
    command += ["--requests", str(requests), "--blocks", str(blocks), "--warmup", str(warmup)]
    command += ["--json"]
    done = subprocess.run(
        command,
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
        "phase": "dispatch",
        "mode": "shop",
        "requests": result["requests"],
        "ratio_p50": result["ratio_p50"],
        "baseline_p50_ms": result["baseline"]["p50_ms"],
        "hooked_p50_ms": result["hooked"]["p50_ms"],
        "deliveries": f"{result['deliveries_received']}/{result['deliveries_expected']}",
        "complete": done.returncode == 0,
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between saves")
    parser.add_argument("--blocks", type=int, default=6, help="shop: alternating blocks")
    parser.add_argument("--warmup", type=int, default=20, help="shop: orders before measuring")
    args = parser.parse_args(argv)
    if args.mode == "save":
        result = save(args.sink_url, args.events, args.interval)
    else:
        result = shop(args.events, args.blocks, args.warmup)
    common.emit(result)


if __name__ == "__main__":
    main()
