"""The issue's bars, evaluated from per-repetition phase results.

Ratios are computed per repetition (both sides measured back to back) and the median is
reported. ``--smoke`` gates on a clear margin below each bar (``smoke``) so a noisy CI
machine does not flake; a full run gates on the bar itself.
"""

from __future__ import annotations

import re
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
    status: str  # PASS, FAIL (against the bar), INFO, ERROR or SKIP
    gate_failed: bool = False
    #: The gate this run applied ("" for a figure without one): the bar itself in a full
    #: run, the margin in a smoke run.
    gate: str = ""


def _ok(run: dict[str, Any]) -> bool:
    return "error" not in run and "skipped" not in run and run.get("complete", True) is not False


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
            if "skipped" in run:
                return f"{key}: {run['skipped']}"
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
    #: What the smoke gate is, in words (default: the bar with the smoke margin's number).
    smoke_bar: str = ""

    def applied(self, smoke: bool) -> str:
        """The gate of a full run (the bar) or of a smoke run (the margin)."""
        if not smoke:
            return self.bar
        if self.smoke_bar:
            return self.smoke_bar
        number = re.search(r"\d+(?:\.(\d+))?", self.bar)
        assert number is not None, self.bar
        decimals = len(number[1] or "")
        return self.bar[: number.start()] + f"{self.smoke:.{decimals}f}" + self.bar[number.end() :]


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
    applied = gate.applied(smoke)
    if value is None:
        return BarResult(gate.name, gate.bar, error or "no data", None, "ERROR", True, applied)
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
        applied = ""
    elif smoke and gate.smoke_relative:
        measured += f"; gate {gated:.2f} vs {limit:g}"
    status = "PASS" if passed else "FAIL"
    ratio = value if gate.is_ratio else value / gate.target
    return BarResult(gate.name, gate.bar, measured, ratio, status, gate_failed, applied)


def info(
    name: str, value: float | None, measured: str, bar: str = "(info)", ratio: bool = True
) -> BarResult:
    """A reported figure without a gate; ``ratio=False`` leaves the Ratio column empty."""
    status = "INFO" if value is not None else "ERROR"
    return BarResult(name, bar, measured, value if ratio else None, status)


def skipped(name: str, bar: str, why: str) -> BarResult:
    """A figure this run could not measure for want of a service (see ``why``)."""
    return BarResult(name, bar, why, None, "SKIP")


def _fmt(value: float | None, spec: str = ",.0f") -> str:
    return "n/a" if value is None else format(value, spec)


def _rate_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["rate"] / b["rate"])


def _cpu_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["cpu_per_delivery_us"] / b["cpu_per_delivery_us"])


# The smoke margins and why each is where it is: benchmarks/NOTES.md.
THROUGHPUT = Gate("Throughput vs raw aiohttp", ">= 0.60x", 0.60, 0.45, True)
CPU = Gate("CPU per delivery vs raw", "<= 2.0x", 2.0, 2.6, False)
#: Smoke: relative to the bare aiohttp gather of the same run, which follows the
#: machine's speed as the fan-out does.
FANOUT = Gate(
    "Fan-out asend, 100 targets @50ms",
    "<= 65 ms",
    65.0,
    1.5,
    False,
    False,
    smoke_relative=True,
    smoke_bar="<= 1.5x the bare aiohttp gather",
)
#: Smoke, p50: relative to the raw aiohttp client's CPU per delivery in the same run:
#: both are a fixed amount of Python work in a busy process, so they move together (a
#: send() with no receivers does not). p99: an absolute ceiling.
CALLER = {
    50: Gate(
        "Caller cost p50, 10 hooks",
        "<= 100 us",
        100.0,
        1.5,
        False,
        False,
        True,
        smoke_bar="<= 1.5x raw aiohttp's CPU per delivery",
    ),
    99: Gate("Caller cost p99, 10 hooks", "<= 1000 us", 1000.0, 2500.0, False, False),
}
SNS = Gate("SNS batched vs 1 Publish/event", ">= 5x", 5.0, 3.0, True)
#: HTTP_TRANSPORT="httpx" (its fastest installed path, the first of httpx_paths.PATHS with
#: the bench extra) against the aiohttp transport of the same run; the smoke gate is a
#: margin below the bar, in the proportion of the throughput gate's.
HTTPX = Gate("Throughput, HTTP_TRANSPORT=httpx vs aiohttp", ">= 0.30x", 0.30, 0.22, True)
#: The OpenTelemetry SDK configured (batch span processor) against the same run without.
#: The bar is not met (two SDK spans per delivery; see docs/performance.md): the smoke
#: gate guards against regressions only.
OTEL_THROUGHPUT = Gate("OpenTelemetry on: throughput vs off", ">= 0.80x", 0.80, 0.30, True)
#: Extra caller cost per hook, p50, microseconds (10 hooks per call).
OTEL_CALLER = Gate("OpenTelemetry on: caller cost p50", "<= +10 us/hook", 10.0, 15.0, False, False)
#: The outbox worker recording every attempt (the attempts log) against the same worker
#: with recording switched off, alternating in one process (PostgreSQL). Smoke: a
#: regression guard only; short drains on a shared machine move the ratio by more than
#: the bar's margin.
ATTEMPTS = Gate("Attempts log: durable throughput vs not recording", ">= 0.90x", 0.90, 0.70, True)
#: EndpointsHook with 1,000 endpoints (10 matching) vs 10 HTTPSignalHooks, caller p50.
ENDPOINTS_CALLER = Gate("Endpoints caller p50, 10 of 1,000 vs 10 hooks", "<= 1.5x", 1.5, 2.0, False)
#: The customer portal's endpoint list (100 endpoints, 100,000 attempts, PostgreSQL), p50.
PORTAL = Gate("Portal endpoint list p50, 100 endpoints", "<= 100 ms", 100.0, 300.0, False, False)
#: One event to 1,000 endpoints vs the raw aiohttp client posting as many.
ENDPOINTS_FANOUT = Gate("Endpoints fan-out to 1,000 vs raw aiohttp", ">= 0.60x", 0.6, 0.45, True)


#: One write per dispatch (PostgreSQL): a save with 10 durable hooks (sent first in
#: process) against a plain save in the same process (the endpoints phase's durable
#: step). Smoke: 5.0x, a regression guard (one write per hook measured 12.5x).
DURABLE_SAVE = Gate("Durable save p50, 10 hooks vs plain save", "<= 2.0x", 2.0, 5.0, False)
#: The example shop in worker-only mode at 5 orders/s, 20 hooks, against the shop
#: without hooks (view p50). Smoke: 5.0x, a regression guard (measured 11.5x before;
#: the smoke run's 50 orders per shop move the ratio by a third between runs).
SHOP = Gate("Shop view p50, worker-only, 20 hooks vs none", "<= 1.5x", 1.5, 5.0, False)


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
    out.extend(_httpx_paths(runs))
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
    out.append(_previous_attributes(runs))
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
    if "portal/list" in runs:
        out.append(_portal(runs, smoke))
    out.extend(_attempts(runs, smoke))
    if "shop/worker_only" in runs:
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


def _previous_attributes(runs: Runs) -> BarResult:
    """previous_attributes=True against the same hooks without it, on updates, measured in
    alternating blocks of one process: the median over repetitions of the cost ratio."""
    key = "caller/previous_attributes"
    ratios = [
        r["previous_cost_p50_us"] / r["plain_cost_p50_us"]
        for r in runs.get(key, [])
        if _ok(r) and r.get("plain_cost_p50_us")
    ]
    mine = median_of(runs, key, "previous_cost_p50_us")
    plain = median_of(runs, key, "plain_cost_p50_us")
    text = f"{_fmt(mine, '.1f')} us vs {_fmt(plain, '.1f')} us per update of 10 hooks"
    init, bare = median_of(runs, key, "init_p50_us"), median_of(runs, key, "bare_init_p50_us")
    text += f"; Model() {_fmt(init, '.1f')} us vs {_fmt(bare, '.1f')} us"
    value = statistics.median(ratios) if ratios else None
    name = "Caller cost p50, previous_attributes=True vs without"
    return info(name, value, first_error(runs, key) or text)


def _cost_ratio(a: dict[str, Any], b: dict[str, Any]) -> float:
    return float(a["cost_p50_us"] / b["cost_p50_us"])


def _endpoints(runs: Runs, smoke: bool) -> list[BarResult]:
    """The rows of the two endpoint groups that ran (``--phases`` may run one of them)."""
    out: list[BarResult] = []
    mine, hooks = "endpoints/caller", "endpoints/hooks"
    if mine in runs or hooks in runs:
        err = first_error(runs, mine, hooks)
        a, b = median_of(runs, mine, "cost_p50_us"), median_of(runs, hooks, "cost_p50_us")
        text = f"{_fmt(a, '.1f')} us vs {_fmt(b, '.1f')} us"
        ratio = paired(runs, mine, hooks, _cost_ratio)
        out.append(judge(ENDPOINTS_CALLER, ratio, text, err, smoke))
    if "endpoints/durable" in runs:
        out.extend(_durable_save(runs, smoke))
    mine, raw = "endpoints/fanout", "endpoints/raw_fanout"
    if mine in runs or raw in runs:
        err = first_error(runs, mine, raw)
        text = f"{_fmt(median_of(runs, mine, 'rate'))}/s vs {_fmt(median_of(runs, raw, 'rate'))}/s"
        ratio = paired(runs, mine, raw, _rate_ratio)
        out.append(judge(ENDPOINTS_FANOUT, ratio, text, err, smoke))
    return out


def _durable_save(runs: Runs, smoke: bool) -> list[BarResult]:
    key, name = "endpoints/durable", "Endpoints durable save p50 vs plain save"
    why = next((run["skipped"] for run in runs[key] if "skipped" in run), None)
    if why is not None:  # no PostgreSQL
        return [skipped(name, "(info)", why), skipped(DURABLE_SAVE.name, DURABLE_SAVE.bar, why)]
    ratio = median_of(runs, key, "ratio_p50")
    if ratio is None:
        error = first_error(runs, key) or "no data"
        return [info(name, None, error), judge(DURABLE_SAVE, None, error, error, smoke)]
    plain, durable = median_of(runs, key, "plain_p50_us"), median_of(runs, key, "durable_p50_us")
    hooks = median_of(runs, key, "hooks_p50_us")
    text = (
        f"{_fmt(durable, '.0f')} us vs {_fmt(plain, '.0f')} us plain save, "
        f"{_fmt(hooks, '.0f')} us with 10 durable hooks (PostgreSQL)"
    )
    key_ratio = paired(runs, key, key, lambda a, _: float(a["hooks_p50_us"] / a["plain_p50_us"]))
    gated = f"{_fmt(hooks, '.0f')} us vs {_fmt(plain, '.0f')} us plain save (PostgreSQL)"
    return [
        info(name, ratio, text),
        judge(DURABLE_SAVE, key_ratio, gated, first_error(runs, key), smoke),
    ]


def _attempts(runs: Runs, smoke: bool) -> list[BarResult]:
    key = "attempts/paired"
    skipped = [run["skipped"] for run in runs.get(key, []) if "skipped" in run]
    if skipped:  # no PostgreSQL on this machine: nothing measured, nothing gated
        return [BarResult(ATTEMPTS.name, ATTEMPTS.bar, f"skipped: {skipped[0]}", None, "INFO")]
    err = first_error(runs, key)
    rates = f"{_fmt(median_of(runs, key, 'rate'))}/s vs "
    rates += f"{_fmt(median_of(runs, key, 'unrecorded_rate'))}/s"
    results = [judge(ATTEMPTS, median_of(runs, key, "ratio"), rates, err, smoke)]
    cpu = f"{_fmt(median_of(runs, key, 'cpu_per_delivery_us'))} us vs "
    cpu += f"{_fmt(median_of(runs, key, 'unrecorded_cpu_per_delivery_us'))} us"
    name = "Attempts log: CPU per durable delivery vs not recording"
    results.append(info(name, median_of(runs, key, "cpu_ratio"), cpu))
    return results


def _shop(runs: Runs, smoke: bool) -> BarResult:
    key = "shop/worker_only"
    base, hooked = median_of(runs, key, "baseline_p50_ms"), median_of(runs, key, "hooked_p50_ms")
    text = f"{_fmt(hooked, '.2f')} ms vs {_fmt(base, '.2f')} ms without hooks (5 orders/s)"
    return judge(SHOP, median_of(runs, key, "ratio_p50"), text, first_error(runs, key), smoke)


_PHASES = (
    ("HTTP_TRANSPORT=httpx path", "httpx"),
    ("Attempts log", "attempts"),
    ("Durable save", "endpoints"),
    ("Shop view", "shop"),
    ("Endpoints", "endpoints"),
    ("Portal", "portal"),
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


def _httpx_paths(runs: Runs) -> list[BarResult]:
    """Each httpx-compatible path against the aiohttp transport, and their ranking.

    The ranking goes by CPU per request: the client is CPU-bound on its core, so that is
    its throughput's inverse, and it holds steady on a busy machine where rates do not.
    """
    base = "httpx/aiohttp"
    out: list[BarResult] = []
    cpu_ratios: dict[str, float] = {}
    for key in [k for k in runs if k.startswith("httpx/") and k != base]:
        name = f"HTTP_TRANSPORT=httpx path {key.removeprefix('httpx/')}"
        why = next((run["skipped"] for run in runs[key] if "skipped" in run), None)
        if why is not None:  # its packages are not installed
            out.append(skipped(name, "(info)", why))
            continue
        ratio = paired(runs, key, base, _rate_ratio)
        cpu = paired(runs, key, base, _cpu_ratio)
        text = f"{_fmt(median_of(runs, key, 'rate'))}/s, CPU {_fmt(cpu, '.1f')}x the aiohttp's"
        error = first_error(runs, key, base)
        out.append(info(name, ratio, text if ratio is not None else str(error)))
        if cpu is not None:
            cpu_ratios[key.removeprefix("httpx/")] = cpu
    if cpu_ratios:  # the shipped paths: measured order against PATHS' order
        from signalhooks.transports.httpx_paths import PATHS

        shipped = [path.name for path in PATHS if path.name in cpu_ratios]
        ranked = sorted(shipped, key=cpu_ratios.__getitem__)
        text = " > ".join(ranked) + f" (by CPU per request); PATHS: {' > '.join(shipped)}"
        agree = "agrees" if ranked == shipped else "DISAGREES"
        name = f"HTTP_TRANSPORT=httpx paths, measured order {agree}"
        out.append(info(name, 1.0, text, ratio=False))
    return out


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
            f"<= {300 if is_smoke else 150} MB or bounded",
        )
    growth, dropped = float(run["rss_growth_mb"]), int(run.get("dropped") or 0)
    measured = f"+{growth:.0f} MB RSS, {dropped:,} dropped, {run['send_us_per_call']:.0f} us/send"
    # The bound "kicks in" only if it dropped events; otherwise RSS must fit the budget.
    passed = growth <= 150 or dropped > 0
    budget = 300 if is_smoke else 150
    gate_failed = not (growth <= budget or dropped > 0)
    return BarResult(
        "Memory, 100k events stalled",
        "<= 150 MB or bounded",
        measured,
        growth / 150,
        "PASS" if passed else "FAIL",
        gate_failed,
        f"<= {budget} MB or bounded",
    )


def _portal(runs: Runs, smoke: bool) -> BarResult:
    """Absolute time: the smoke gate has a wide margin; a plan without the index fails."""
    key = "portal/list"
    value = median_of(runs, key, "median_ms")
    error = first_error(runs, key)
    if value is not None and not all(r.get("uses_index") for r in runs[key] if _ok(r)):
        value, error = None, "each endpoint's newest attempt is not read from its index"
    queries = median_of(runs, key, "queries")
    text = f"{_fmt(value, '.1f')} ms, {_fmt(queries)} queries (100,000 attempts, PostgreSQL)"
    return judge(PORTAL, value, text, error, smoke)
