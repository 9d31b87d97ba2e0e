"""The issue's bars, evaluated from per-repetition phase results.

Ratios are computed per repetition (both sides measured back to back) and the median is
reported. ``--smoke`` gates on a clear margin below each bar (``smoke``) so a noisy CI
machine does not flake; a full run gates on the bar itself.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Runs = dict[str, list[dict[str, Any]]]


@dataclass
class BarResult:
    name: str
    bar: str
    measured: str
    ratio: float | None
    status: str  # PASS, FAIL, INFO or ERROR
    gate_failed: bool = False


def _ok(run: dict[str, Any]) -> bool:
    return "error" not in run and run.get("complete", True) is not False


def median_of(runs: Runs, key: str, fld: str) -> float | None:
    values = [r[fld] for r in runs.get(key, []) if _ok(r) and r.get(fld) is not None]
    return statistics.median(values) if values else None


def paired(
    runs: Runs, a: str, b: str, fn: Callable[[dict[str, Any], dict[str, Any]], float]
) -> float | None:
    """Median over repetitions of ``fn(a_run, b_run)`` for runs measured back to back."""
    values = [
        fn(x, y)
        for x, y in zip(runs.get(a, []), runs.get(b, []), strict=False)
        if _ok(x) and _ok(y)
    ]
    return statistics.median(values) if values else None


def first_error(runs: Runs, *keys: str) -> str | None:
    for key in keys:
        for run in runs.get(key, []):
            if "error" in run:
                return f"{key}: {run['error']}"[:160]
            if run.get("complete") is False:
                return f"{key}: incomplete ({run.get('sink_count')} of expected delivered)"
        if key not in runs:
            return f"{key}: not run"
    return None


@dataclass(frozen=True)
class Gate:
    """A bar: ``value >= target`` (higher) or ``<= target``; ``smoke`` is the CI margin."""

    name: str
    bar: str
    target: float
    smoke: float
    higher: bool
    is_ratio: bool = True  # else the Ratio column shows value / target
    #: The smoke gate compares ``smoke_value`` (relative to a baseline of the same run).
    smoke_relative: bool = False


def judge(
    gate: Gate,
    value: float | None,
    measured: str,
    error: str | None,
    smoke: bool,
    smoke_value: float | None = None,
) -> BarResult:
    """PASS/FAIL on the bar; the CI gate on ``gate.smoke`` in a smoke run.

    ``smoke_value``: what a smoke run gates on instead of ``value``, for bars that are
    absolute times: the same quantity relative to a baseline measured in the same run,
    so that a slow hour of the machine does not fail CI but a regression does.
    """
    if value is None:
        return BarResult(gate.name, gate.bar, error or "no data", None, "ERROR", True)
    limit = gate.smoke if smoke else gate.target
    gated = smoke_value if smoke and gate.smoke_relative else value
    if gate.higher:
        passed = value >= gate.target
        gate_failed = gated is not None and gated < limit
    else:
        passed = value <= gate.target
        gate_failed = gated is not None and gated > limit
    if gated is None:  # ``--phases`` without the baseline's phase
        measured += " (not gated: no baseline in this run)"
    elif smoke and gate.smoke_relative:
        measured += f"; gate {gated:.2f} vs {limit:g}"
    status = "PASS" if passed else "FAIL"
    ratio = value if gate.is_ratio else value / gate.target
    return BarResult(gate.name, gate.bar, measured, ratio, status, gate_failed)


def info(
    name: str, value: float | None, measured: str, bar: str = "(info)", ratio: bool = True
) -> BarResult:
    """A reported figure without a gate; ``ratio=False`` leaves the Ratio column empty."""
    status = "INFO" if value is not None else "ERROR"
    return BarResult(name, bar, measured, value if ratio else None, status)


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "n/a" if value is None else format(value, spec)


def _rate_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["rate"] / b["rate"])


def _cpu_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["cpu_per_delivery_us"] / b["cpu_per_delivery_us"])


THROUGHPUT = Gate("Throughput vs raw aiohttp", ">= 0.60x", 0.60, 0.45, True)
CPU = Gate("CPU per delivery vs raw", "<= 2.0x", 2.0, 2.6, False)
#: Smoke: at most 1.5x the bare aiohttp gather of the same run (1.06-1.16x measured).
FANOUT = Gate(
    "Fan-out asend, 100 targets @50ms", "<= 65 ms", 65.0, 1.5, False, False, smoke_relative=True
)
#: Smoke, p50: at most 1.5x the raw aiohttp client's CPU per delivery in the same run
#: (0.63-0.84x measured in fast and slow hours: both are a fixed amount of Python work
#: in a busy process, so they move together; a send() with no receivers does not: its
#: cost moved 7x between hours while the caller cost moved 1.8x). p99: at most 2.5 ms.
CALLER = {
    50: Gate("Caller cost p50, 10 hooks", "<= 100 us", 100.0, 1.5, False, False, True),
    99: Gate("Caller cost p99, 10 hooks", "<= 1000 us", 1000.0, 2500.0, False, False),
}
SNS = Gate("SNS batched vs 1 Publish/event", ">= 5x", 5.0, 3.0, True)
#: HTTP_TRANSPORT="httpx" (the client pool) against the aiohttp transport of the same run.
#: Smoke: 0.10x guards against regressions only; measured 0.15-0.18x with runs of full
#: size, below the 0.30x bar (httpcore's request path; see docs/performance.md).
HTTPX = Gate("Throughput, HTTP_TRANSPORT=httpx vs aiohttp", ">= 0.30x", 0.30, 0.10, True)
#: The OpenTelemetry SDK configured (batch span processor) against the same run without.
#: Smoke: 0.30x guards against regressions only; measured 0.39-0.60x on the 2-core
#: machine, below the 0.80x bar (two SDK spans per delivery; see docs/performance.md).
OTEL_THROUGHPUT = Gate("OpenTelemetry on: throughput vs off", ">= 0.80x", 0.80, 0.30, True)
#: Extra caller cost per hook, p50, microseconds (10 hooks per call).
OTEL_CALLER = Gate("OpenTelemetry on: caller cost p50", "<= +10 us/hook", 10.0, 15.0, False, False)
#: EndpointsHook with 1,000 endpoints (10 matching) vs 10 HTTPSignalHooks, caller p50.
ENDPOINTS_CALLER = Gate("Endpoints caller p50, 10 of 1,000 vs 10 hooks", "<= 1.5x", 1.5, 2.0, False)
#: One event to 1,000 endpoints vs the raw aiohttp client posting as many.
ENDPOINTS_FANOUT = Gate("Endpoints fan-out to 1,000 vs raw aiohttp", ">= 0.60x", 0.6, 0.45, True)


#: One write per dispatch (PostgreSQL): a save with 10 durable hooks (sent first in
#: process) against a plain save in the same process (the endpoints phase's durable
#: step). Smoke: 3.0x, a regression guard (one write per hook measured 12.5x).
DURABLE_SAVE = Gate("Durable save p50, 10 hooks vs plain save", "<= 2.0x", 2.0, 3.0, False)
#: The example shop in worker-only mode at 5 orders/s, 20 hooks, against the shop
#: without hooks (view p50). Smoke: 3.0x, a regression guard (measured 11.5x before).
SHOP = Gate("Shop view p50, worker-only, 20 hooks vs none", "<= 1.5x", 1.5, 3.0, False)


def evaluate(runs: Runs, smoke: bool) -> list[BarResult]:
    out: list[BarResult] = []
    raw, sh = "throughput/raw_aiohttp", "throughput/signalhooks"
    err = first_error(runs, sh, raw)
    rates = f"{_fmt(median_of(runs, sh, 'rate'))}/s vs {_fmt(median_of(runs, raw, 'rate'))}/s"
    out.append(judge(THROUGHPUT, paired(runs, sh, raw, _rate_ratio), rates, err, smoke))
    us = "cpu_per_delivery_us"
    cpu = f"{_fmt(median_of(runs, sh, us))} us vs {_fmt(median_of(runs, raw, us))} us raw"
    out.append(judge(CPU, paired(runs, sh, raw, _cpu_ratio), cpu, err, smoke))
    pool = "throughput/signalhooks_transport_httpx"
    if pool in runs:
        ratio = paired(runs, pool, sh, _rate_ratio)
        text = f"{_fmt(median_of(runs, pool, 'rate'))}/s vs {_fmt(median_of(runs, sh, 'rate'))}/s"
        out.append(judge(HTTPX, ratio, text, first_error(runs, pool, sh), smoke))
    for key, label in (
        ("throughput/signalhooks_httpx", "user httpx client"),
        ("throughput/raw_httpx", "raw httpx client"),
    ):
        if key in runs:
            ratio = paired(runs, key, raw, _rate_ratio)
            rate = f"{_fmt(median_of(runs, key, 'rate'))}/s ({_fmt(ratio, '.2f')}x raw)"
            out.append(info(f"Throughput, {label}", ratio, rate, "(info) vs 0.60x"))
    key = "fanout/asend/100"
    value = median_of(runs, key, "median_ms")
    floor = median_of(runs, "fanout/raw_aiohttp/100", "median_ms")
    text = f"{_fmt(value, '.1f')} ms (raw aiohttp gather {_fmt(floor, '.1f')} ms)"
    vs_floor = value / floor if value is not None and floor else None
    out.append(judge(FANOUT, value, text, first_error(runs, key), smoke, vs_floor))
    sync = median_of(runs, "fanout/sync/100", "median_ms")
    out.append(
        info("Fan-out save() -> 100th arrival", sync, f"{_fmt(sync, '.1f')} ms", ratio=False)
    )
    seq = median_of(runs, "fanout/sequential/100", "median_ms")
    out.append(info("Fan-out 0.1.1 sequential, 100", seq, f"{_fmt(seq)} ms", ratio=False))
    key = "caller/signalhooks"
    raw_cpu = median_of(runs, raw, us)
    for q, gate in CALLER.items():
        value = median_of(runs, key, f"cost_p{q}_us")
        loaded = median_of(runs, key, f"with_p{q}_us")
        text = f"{_fmt(value, '.1f')} us (send() {_fmt(loaded, '.1f')} us)"
        vs_raw = value / raw_cpu if value is not None and raw_cpu else None
        out.append(judge(gate, value, text, first_error(runs, key), smoke, vs_raw))
    raw_sns, sh_sns = "sns/raw_aiobotocore", "sns/signalhooks"
    a, b = median_of(runs, sh_sns, "rate"), median_of(runs, raw_sns, "rate")
    err = first_error(runs, sh_sns, raw_sns)
    text = f"{_fmt(a)} msg/s vs {_fmt(b)} msg/s"
    out.append(judge(SNS, paired(runs, sh_sns, raw_sns, _rate_ratio), text, err, smoke))
    for run in runs.get("sns/signalhooks_retry5pct", [])[:1]:
        done = f"{run.get('sink_count')}/{run.get('events')} delivered"
        text = run.get("error") or f"{done}, {run.get('sink_failed_entries')} entries retried"
        ratio = run["sink_count"] / run["events"] if "sink_count" in run else None
        out.append(info("SNS with 5% entry failures", ratio, str(text)[:120], "all delivered"))
    out.append(_memory(runs, smoke))
    out.extend(_otel(runs, smoke))
    out.extend(_endpoints(runs, smoke))
    out.append(_shop(runs, smoke))
    seq_rate = median_of(runs, "throughput/sequential", "rate")
    sh_rate = median_of(runs, sh, "rate")
    speedup = sh_rate / seq_rate if sh_rate and seq_rate else None
    text = f"{_fmt(seq_rate)}/s; signalhooks {_fmt(speedup, '.1f')}x that"
    out.append(info("Peer: 0.1.1 sequential throughput", speedup, text))
    cost = median_of(runs, "caller/sequential", "cost_p50_us")
    ms = None if cost is None else cost / 1000
    text = f"{_fmt(ms, ',.1f')} ms per save()"
    out.append(info("Peer: 0.1.1 caller cost p50", ms, text, ratio=False))
    ran = {key.split("/")[0] for key in runs}  # ``--phases`` subsets: drop the others' bars
    return [r for r in out if _phase_of(r.name) in ran]


def _cost_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["cost_p50_us"] / b["cost_p50_us"])


def _endpoints(runs: Runs, smoke: bool) -> list[BarResult]:
    out: list[BarResult] = []
    mine, hooks = "endpoints/caller", "endpoints/hooks"
    err = first_error(runs, mine, hooks)
    a, b = median_of(runs, mine, "cost_p50_us"), median_of(runs, hooks, "cost_p50_us")
    text = f"{_fmt(a, '.1f')} us vs {_fmt(b, '.1f')} us"
    out.append(judge(ENDPOINTS_CALLER, paired(runs, mine, hooks, _cost_ratio), text, err, smoke))
    key = "endpoints/durable"
    ratio = median_of(runs, key, "ratio_p50")
    plain, durable = median_of(runs, key, "plain_p50_us"), median_of(runs, key, "durable_p50_us")
    hooks = median_of(runs, key, "hooks_p50_us")
    text = (
        f"{_fmt(durable, '.0f')} us vs {_fmt(plain, '.0f')} us plain save, "
        f"{_fmt(hooks, '.0f')} us with 10 durable hooks (PostgreSQL)"
    )
    if ratio is None:
        text = first_error(runs, key) or text
    out.append(info("Endpoints durable save p50 vs plain save", ratio, text))
    hooks_ratio = paired(runs, key, key, lambda a, _: float(a["hooks_p50_us"] / a["plain_p50_us"]))
    text = f"{_fmt(hooks, '.0f')} us vs {_fmt(plain, '.0f')} us plain save (PostgreSQL)"
    out.append(judge(DURABLE_SAVE, hooks_ratio, text, first_error(runs, key), smoke))
    mine, raw = "endpoints/fanout", "endpoints/raw_fanout"
    err = first_error(runs, mine, raw)
    text = f"{_fmt(median_of(runs, mine, 'rate'))}/s vs {_fmt(median_of(runs, raw, 'rate'))}/s"
    out.append(judge(ENDPOINTS_FANOUT, paired(runs, mine, raw, _rate_ratio), text, err, smoke))
    return out


def _shop(runs: Runs, smoke: bool) -> BarResult:
    key = "shop/worker_only"
    base, hooked = median_of(runs, key, "baseline_p50_ms"), median_of(runs, key, "hooked_p50_ms")
    text = f"{_fmt(hooked, '.2f')} ms vs {_fmt(base, '.2f')} ms without hooks (5 orders/s)"
    return judge(SHOP, median_of(runs, key, "ratio_p50"), text, first_error(runs, key), smoke)


_PHASES = (
    ("Durable save", "endpoints"),
    ("Shop view", "shop"),
    ("Endpoints", "endpoints"),
    ("Peer: 0.1.1 sequential", "throughput"),
    ("Peer: 0.1.1 caller", "caller"),
    ("Throughput", "throughput"),
    ("CPU", "throughput"),
    ("Fan-out", "fanout"),
    ("OpenTelemetry", "otel"),
    ("Caller", "caller"),
    ("SNS", "sns"),
    ("Memory", "memory"),
)


def _phase_of(name: str) -> str:
    return next(phase for prefix, phase in _PHASES if name.startswith(prefix))


def _otel(runs: Runs, smoke: bool) -> list[BarResult]:
    on, off = "otel/throughput_on", "otel/throughput_off"
    text = f"{_fmt(median_of(runs, on, 'rate'))}/s vs {_fmt(median_of(runs, off, 'rate'))}/s"
    ratio = paired(runs, on, off, _rate_ratio)
    results = [judge(OTEL_THROUGHPUT, ratio, text, first_error(runs, on, off), smoke)]
    on, off = "otel/caller_on", "otel/caller_off"

    def per_hook(a: dict[str, Any], b: dict[str, Any]) -> float:
        return float((a["cost_p50_us"] - b["cost_p50_us"]) / a["hooks"])

    extra = paired(runs, on, off, per_hook)
    costs = f"{_fmt(median_of(runs, on, 'cost_p50_us'), '.1f')} us vs "
    costs += f"{_fmt(median_of(runs, off, 'cost_p50_us'), '.1f')} us per call of 10 hooks"
    text = f"{_fmt(extra, '+.1f')} us/hook ({costs})"
    results.append(judge(OTEL_CALLER, extra, text, first_error(runs, on, off), smoke))
    return results


def _memory(runs: Runs, is_smoke: bool) -> BarResult:
    key = "memory/signalhooks"
    run = (runs.get(key) or [{"error": "not run"}])[0]
    if not _ok(run):
        return BarResult(
            "Memory, 100k events stalled",
            "<= 150 MB or bounded",
            str(run.get("error"))[:120],
            None,
            "ERROR",
            True,
        )
    growth, dropped = float(run["rss_growth_mb"]), int(run.get("dropped") or 0)
    measured = f"+{growth:.0f} MB RSS, {dropped:,} dropped, {run['send_us_per_call']:.0f} us/send"
    # The bound "kicks in" only if it dropped events; otherwise RSS must fit the budget.
    passed = growth <= 150 or dropped > 0
    gate_failed = not (growth <= (300 if is_smoke else 150) or dropped > 0)
    return BarResult(
        "Memory, 100k events stalled",
        "<= 150 MB or bounded",
        measured,
        growth / 150,
        "PASS" if passed else "FAIL",
        gate_failed,
    )
