"""Phase 5/6: memory while every target is stalled.

A webhook receiver that hangs must not turn into unbounded memory in the web process:
either the accepted-but-undelivered events fit in a modest RSS budget, or the library's
queue bound (``MAX_QUEUE``) starts dropping and says so in ``signalhooks.stats()``. The
sink is ``tests.support.sink_process blackhole`` (accepts, reads, never answers), the
library ``TIMEOUT`` is raised so nothing completes during the measurement, and Items are
built on the fly so the benchmark's own objects do not inflate RSS.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from typing import Any

from benchmarks import common

MODES = ["signalhooks"]


def run(sink_url: str, events: int, hooks: int, settle: float) -> dict[str, Any]:
    common.setup_django()
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import HTTPSignalHook

    receivers = [
        HTTPSignalHook(request_url=f"{sink_url}/t{i}", request_method="POST") for i in range(hooks)
    ]
    for receiver in receivers:
        post_save.connect(receiver, sender=Item, weak=False)
    send = post_save.send
    send(sender=Item, instance=common.make_item(0), created=True)  # start the engine
    time.sleep(0.2)
    rss0, _ = common.rss_mb()
    t0 = time.perf_counter()
    # The warm-up event counts: exactly ``events`` accepted per hook, so a bound equal to
    # ``events`` is not tripped by the benchmark itself (MAX_QUEUE defaults to 50,000, so
    # with 100,000 events the bound does trip, and the result says how many were dropped).
    for i in range(1, events):
        send(sender=Item, instance=common.make_item(i), created=True)
    send_s = time.perf_counter() - t0
    time.sleep(settle)
    rss1, hwm = common.rss_mb()
    stats = common.library_stats()
    return {
        "phase": "memory",
        "mode": "signalhooks",
        "events": events,
        "hooks": hooks,
        "rss_before_mb": rss0,
        "rss_after_mb": rss1,
        "rss_peak_mb": hwm,
        "rss_growth_mb": rss1 - rss0,
        "send_us_per_call": send_s / max(events - 1, 1) * 1e6,
        "kb_per_pending": (rss1 - rss0) * 1024 / max(stats.get("pending", 0), 1),
        "dropped": stats.get("dropped", 0),
        "lib_stats": stats,
        "sink_requests_seen": common.sink_stats(sink_url)["requests"],
    }


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--hooks", type=int, default=1)
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before measuring")
    args = parser.parse_args(argv)
    common.emit(run(args.sink_url, args.events, args.hooks, args.settle))
    # Stalled deliveries would make an orderly shutdown wait for their timeouts.
    from django.conf import settings

    shutil.rmtree(os.path.dirname(settings.DATABASES["default"]["NAME"]), ignore_errors=True)
    sys.stderr.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
