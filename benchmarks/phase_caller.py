"""Phase 3/6: what ``post_save.send()`` costs the caller with hooks connected.

The point of the library is that ``save()`` stays cheap while deliveries are in flight,
so the targets answer after 50 ms and calls are paced (``--interval``) to keep the
delivery pipeline busy but within its in-flight cap: a backlog would measure queueing
policy, not the caller's cost. The same process first times the calls with no receivers
(the Django floor), then with ``--hooks`` hooks; cost = percentile(with) - percentile(none).
``sequential`` is 0.1.1, where the caller waits for every target in turn.

``previous_attributes`` measures updates (one field changed per save) side by side in
one process: ``format="standard"`` hooks without the option (``plain_*``) and with
``previous_attributes=True`` (``previous_*``), in alternating blocks. The items are
built after the model's capture is planned, as instances loaded by the ORM are; what
the capture costs at construction is reported apart (``init_*``).
"""

from __future__ import annotations

import time
from typing import Any

from benchmarks import common

MODES = ["signalhooks", "sequential", "previous_attributes"]
#: Alternating blocks of the previous_attributes mode (plain, with, plain, with...).
BLOCKS = 4


def percentile(samples: list[int], q: float) -> float:
    """Nearest-rank percentile in microseconds (samples are nanoseconds)."""
    ordered = sorted(samples)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[rank] / 1000


def timed_calls(
    items: list[Any], interval: float, probe: Any = None, created: bool = True
) -> list[int]:
    """Time each ``post_save.send`` with ``perf_counter_ns``; sleep ``interval`` between."""
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item

    send, clock, sleep = post_save.send, time.perf_counter_ns, time.sleep
    samples: list[int] = []
    for n, item in enumerate(items):
        t0 = clock()
        send(sender=Item, instance=item, created=created)
        samples.append(clock() - t0)
        if probe is not None and n == len(items) // 2:
            probe()
        if interval:
            sleep(interval)
    return samples


def run(
    mode: str, sink_url: str, events: int, hooks: int, interval: float, otel: bool = False
) -> dict[str, Any]:
    if otel:
        common.setup_otel()
    common.setup_django()
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item

    items = [common.make_item(i + 1) for i in range(events)]
    baseline = timed_calls(items, interval)
    urls = [f"{sink_url}/t{i}" for i in range(hooks)]
    receivers: list[Any]
    if mode == "sequential":
        from benchmarks.legacy import LegacyHTTPHook

        receivers = [LegacyHTTPHook(u) for u in urls]
    else:
        from signalhooks.hooks import HTTPSignalHook

        receivers = [HTTPSignalHook(request_url=u, request_method="POST") for u in urls]
    for receiver in receivers:
        post_save.connect(receiver, sender=Item, weak=False)
    post_save.send(sender=Item, instance=common.make_item(0), created=True)  # warm-up
    midway: dict[str, Any] = {}

    def probe() -> None:
        if mode != "sequential":
            midway.update(common.library_stats())

    t0 = time.perf_counter()
    with common.request_span():  # so that each call captures a real trace context
        with_hooks = timed_calls(items, interval, probe)
    wall = time.perf_counter() - t0
    result: dict[str, Any] = {"phase": "caller", "mode": mode, "hooks": hooks, "calls": events}
    result["otel"] = otel
    for q in (50, 90, 99):
        base, loaded = percentile(baseline, q), percentile(with_hooks, q)
        result[f"none_p{q}_us"] = base
        result[f"with_p{q}_us"] = loaded
        result[f"cost_p{q}_us"] = loaded - base
    result["calls_per_s"] = events / wall
    if mode != "sequential":
        import signalhooks

        result["stats_midway"] = midway
        result["flushed"] = signalhooks.flush(timeout=60.0)
        result["lib_stats"] = common.library_stats()
    return result


def updated_items(count: int, start: int) -> tuple[list[Any], list[int]]:
    """``count`` items as loaded (captured), each with its name changed; construction times."""
    clock = time.perf_counter_ns
    items, samples = [], []
    for i in range(start, start + count):
        t0 = clock()
        item = common.make_item(i)
        samples.append(clock() - t0)
        item.name = f"renamed-{i}"
        items.append(item)
    return items, samples


def previous_attributes(sink_url: str, events: int, hooks: int, interval: float) -> dict[str, Any]:
    """Updates with ``format="standard"`` hooks, without and with ``previous_attributes``."""
    common.setup_django()
    from django.db.models.signals import post_save

    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import HTTPSignalHook

    _, bare_init = updated_items(events, 1)  # before any capture is planned
    urls = [f"{sink_url}/t{i}" for i in range(hooks)]
    plain = [HTTPSignalHook(u, format="standard") for u in urls]
    previous = [HTTPSignalHook(u, format="standard", previous_attributes=True) for u in urls]
    for hook in previous:  # planned from the first instance made while connected
        post_save.connect(hook, sender=Item, weak=False)
    items, init = updated_items(events, 1)
    for hook in previous:
        post_save.disconnect(hook, sender=Item)
    baseline = timed_calls(items, interval, created=False)
    block = max(1, events // BLOCKS)
    samples: dict[str, list[int]] = {"plain": [], "previous": []}
    start = events + 1
    for round_ in range(BLOCKS):
        for side, receivers in (("plain", plain), ("previous", previous)):
            batch, _ = updated_items(block, start + (2 * round_ + (side == "previous")) * block)
            for hook in receivers:
                post_save.connect(hook, sender=Item, weak=False)
            post_save.send(sender=Item, instance=common.make_item(0), created=False)  # warm-up
            samples[side] += timed_calls(batch, interval, created=False)
            for hook in receivers:
                post_save.disconnect(hook, sender=Item)
    result: dict[str, Any] = {"phase": "caller", "mode": "previous_attributes", "hooks": hooks}
    result["calls"] = events
    for q in (50, 90, 99):
        base = percentile(baseline, q)
        result[f"none_p{q}_us"] = base
        for side, values in samples.items():
            result[f"{side}_p{q}_us"] = percentile(values, q)
            result[f"{side}_cost_p{q}_us"] = percentile(values, q) - base
        result[f"init_p{q}_us"] = percentile(init, q)
        result[f"bare_init_p{q}_us"] = percentile(bare_init, q)
    import signalhooks

    result["flushed"] = signalhooks.flush(timeout=60.0)
    result["lib_stats"] = common.library_stats()
    return result


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--hooks", type=int, default=10)
    parser.add_argument("--interval", type=float, default=0.005, help="seconds between calls")
    args = parser.parse_args(argv)
    if args.mode == "previous_attributes":
        common.emit(previous_attributes(args.sink_url, args.events, args.hooks, args.interval))
        return
    common.emit(run(args.mode, args.sink_url, args.events, args.hooks, args.interval, args.otel))


if __name__ == "__main__":
    main()
