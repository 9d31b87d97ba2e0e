"""What ``python -m benchmarks`` runs: groups of phase processes sharing one sink.

Measurements that are compared with each other (signalhooks vs raw aiohttp, batched vs
one-per-event SNS) run back to back against the *same* sink within one repetition, so
the ratio is taken under the same machine conditions; the summary uses the median of
the per-repetition ratios. Deterministic slow baselines (0.1.1 sequential fan-out) run
only once whatever ``--repeat`` says.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Step:
    """One client process: ``python -m benchmarks.<module> --mode MODE ...``."""

    key: str
    module: str
    args: list[str]
    library: bool = True
    settings: dict[str, Any] = field(default_factory=dict)
    once: bool = False
    timeout: float = 300.0


@dataclass(frozen=True)
class Group:
    """Steps that share a sink (``sink``: the arguments of ``tests.support.sink_process``)."""

    name: str
    sink: list[str]
    steps: list[Step]


@dataclass(frozen=True)
class Sizes:
    events: int  # throughput: signals (x10 hooks = deliveries); a second or more even in smoke
    httpx_events: int  # a user's one httpx client is 20-50x slower: fewer, and run once
    pool_events: int  # HTTP_TRANSPORT="httpx" (the client pool), gated against aiohttp
    path_requests: int  # the httpx phase: requests per httpx-compatible path
    sequential_events: int
    fanout_rounds: int
    sequential_rounds: int
    caller_calls: int
    sns_events: int
    memory_events: int
    attempts_events: int  # durable rows drained by the outbox worker, per drain
    attempts_rounds: int  # drains each way (recording attempts, and not), alternating
    shop_orders: tuple[int, int]  # shop: orders per shop, in so many alternating blocks


FULL = Sizes(2000, 150, 600, 10_000, 200, 20, 2, 1000, 4000, 100_000, 10_000, 3, (300, 6))
SMOKE = Sizes(2000, 40, 600, 5000, 50, 6, 1, 300, 4000, 100_000, 2000, 2, (50, 2))
TARGETS = (10, 50, 100)


def httpx_modes() -> list[str]:
    """The httpx phase's modes: the aiohttp transport, then each httpx-compatible path."""
    try:
        from benchmarks.phase_httpx import MODES
    except ImportError:  # main() says why; the library's rows report ERROR
        return ["aiohttp"]
    return MODES


def _step(key: str, module: str, mode: str, *args: str | int, **kw: Any) -> Step:
    argv = ["--mode", mode, *(str(a) for a in args)]
    kw.setdefault("library", mode.startswith(("signalhooks", "asend", "sync")))
    return Step(key, module, argv, **kw)


def build(smoke: bool) -> list[Group]:
    s = SMOKE if smoke else FULL
    tp = "phase_throughput"
    throughput = [
        _step("throughput/raw_aiohttp", tp, "raw_aiohttp", "--events", s.events),
        _step("throughput/signalhooks", tp, "signalhooks", "--events", s.events),
        _step(
            "throughput/signalhooks_httpx",
            tp,
            "signalhooks_httpx",
            *("--events", s.httpx_events),
            once=True,
        ),
        _step("throughput/sequential", tp, "sequential", "--events", s.sequential_events),
        _step(
            "throughput/signalhooks_transport_httpx",
            tp,
            "signalhooks",
            *("--events", s.pool_events),
            settings={"HTTP_TRANSPORT": "httpx"},
        ),
    ]
    if not smoke:
        throughput += [
            _step("throughput/raw_httpx", tp, "raw_httpx", "--events", s.httpx_events, once=True),
        ]
    # Every httpx-compatible path of HTTP_TRANSPORT="httpx" and the aiohttp transport,
    # driven directly, back to back on one sink: the ranking of httpx_paths.PATHS.
    httpx_paths = [
        _step(f"httpx/{mode}", "phase_httpx", mode, "--events", s.path_requests, library=True)
        for mode in httpx_modes()
    ]
    fanout: list[Step] = []
    rounds = ("--rounds", s.fanout_rounds)
    for m in TARGETS:
        fanout.append(_step(f"fanout/asend/{m}", "phase_fanout", "asend", "--targets", m, *rounds))
        fanout.append(
            _step(f"fanout/raw_aiohttp/{m}", "phase_fanout", "raw_aiohttp", "--targets", m, *rounds)
        )
    fanout.append(_step("fanout/sync/100", "phase_fanout", "sync", "--targets", 100, *rounds))
    for m in TARGETS:
        fanout.append(
            _step(
                f"fanout/sequential/{m}",
                "phase_fanout",
                "sequential",
                *("--targets", m, "--rounds", s.sequential_rounds, "--warmup", 0),
                once=True,
            )
        )
    caller = [
        _step("caller/signalhooks", "phase_caller", "signalhooks", "--events", s.caller_calls),
        # Updates, format="standard" hooks without and with previous_attributes=True,
        # in alternating blocks of one process.
        _step(
            "caller/previous_attributes",
            "phase_caller",
            "previous_attributes",
            *("--events", s.caller_calls),
            library=True,
        ),
        _step(
            "caller/sequential",
            "phase_caller",
            "sequential",
            *("--events", 4 if smoke else 10, "--interval", 0),
            once=True,
        ),
    ]
    sns = [
        _step("sns/raw_aiobotocore", "phase_sns", "raw_aiobotocore", "--events", s.sns_events),
        _step("sns/signalhooks", "phase_sns", "signalhooks", "--events", s.sns_events),
    ]
    # OpenTelemetry: the same runs with the SDK configured (batch span processor) and
    # without, back to back on one sink: throughput, and the caller's cost.
    otel_throughput = [
        _step(f"otel/throughput_{side}", tp, "signalhooks", "--events", s.events, *flag)
        for side, flag in (("off", ()), ("on", ("--otel",)))
    ]
    otel_caller = [
        _step(
            f"otel/caller_{side}", "phase_caller", "signalhooks", "--events", s.caller_calls, *flag
        )
        for side, flag in (("off", ()), ("on", ("--otel",)))
    ]
    groups = [
        Group("throughput", ["http"], throughput),
        Group("httpx", ["http"], httpx_paths),
        Group("fanout", ["http", "--delay", "0.05"], fanout),
        Group("caller", ["http", "--delay", "0.05"], caller),
        Group("sns", ["sns"], sns),
        Group("otel", ["http"], otel_throughput),
        Group("otel", ["http", "--delay", "0.05"], otel_caller),
    ]
    ep = "phase_endpoints"
    calls = ("--events", s.caller_calls)
    groups.append(
        Group(
            "endpoints",
            ["http", "--delay", "0.05"],
            [
                _step("endpoints/caller", ep, "caller", *calls, library=True),
                _step("endpoints/hooks", ep, "hooks", *calls, library=True),
                _step("endpoints/durable", ep, "durable", *calls, library=True, timeout=600.0),
            ],
        )
    )
    rounds = ("--rounds", s.fanout_rounds)
    groups.append(
        Group(
            "endpoints_fanout",
            ["http"],
            [
                _step("endpoints/fanout", ep, "fanout", *rounds, library=True),
                _step("endpoints/raw_fanout", ep, "raw_fanout", *rounds, library=False),
            ],
        )
    )
    if not smoke:
        retry = _step(
            "sns/signalhooks_retry5pct", "phase_sns", "signalhooks", "--events", 2000, once=True
        )
        groups.append(Group("sns_retry", ["sns", "--fail-fraction", "0.05"], [retry]))
    portal = _step(
        "portal/list",
        "phase_portal",
        "list",
        *("--rounds", 20 if smoke else 50),
        library=True,
        timeout=600.0,  # the first run makes 100,000 attempts
    )
    groups.append(Group("portal", ["blackhole"], [portal]))
    # The attempts log: the outbox worker with and without recording each attempt,
    # alternating in one process on one sink (PostgreSQL; "skipped" without it).
    drains = ("--events", s.attempts_events, "--rounds", s.attempts_rounds)
    attempts = _step("attempts/paired", "phase_attempts", "paired", *drains, library=True)
    groups.append(Group("attempts", ["http"], [attempts]))
    # The example shop in worker-only mode against the shop without hooks (PostgreSQL).
    orders, blocks = s.shop_orders
    shop = _step(
        "shop/worker_only",
        "phase_shop",
        "worker_only",
        *("--events", orders, "--blocks", blocks, "--warmup", 10 if smoke else 20),
        library=True,
        once=True,
        timeout=900.0,
    )
    groups.append(Group("shop", ["http"], [shop]))
    memory = _step(
        "memory/signalhooks",
        "phase_memory",
        "signalhooks",
        *("--events", s.memory_events),
        settings={"TIMEOUT": 600.0},
        once=True,
    )
    groups.append(Group("memory", ["blackhole"], [memory]))
    return groups
