"""Rendering: the rich console table, ``results.md``, the README's block and ``chart.png``.

Numbers without the machine they came from mislead, so every artefact carries the CPU
model, core count, pinning and library versions.
"""

from __future__ import annotations

import os
import platform
import re
from importlib import metadata
from pathlib import Path
from typing import Any

from benchmarks.bars import BarResult, Runs, median_of
from benchmarks.plan import TARGETS
from benchmarks.runner import pinning

STYLE = {
    "PASS": "bold green",
    "FAIL": "bold red",
    "INFO": "cyan",
    "ERROR": "bold magenta",
    "SKIP": "yellow",
}


def machine_info() -> dict[str, Any]:
    model = platform.processor() or "unknown"
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.lower().startswith(("model name", "hardware", "cpu model")):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    versions = {}
    for dist in ("django", "aiohttp", "httpx", "aiobotocore", "signalhooks"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "not installed"
    pins = pinning()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "pinning": (
            f"sink {pins['sink'][-1]}, client {pins['client'][-1]}" if pins["sink"] else "none"
        ),
        "python": platform.python_version(),
        "kernel": platform.release(),
        **versions,
    }


def gate_cell(result: BarResult) -> str:
    """The gate a row applied and whether it held ("" for a figure without a gate)."""
    if result.status == "ERROR" and result.gate_failed:
        return f"{result.gate}: FAILED (no data)"
    if not result.gate:
        return ""
    return f"{result.gate}: {'FAILED' if result.gate_failed else 'held'}"


def verdict(results: list[BarResult], smoke: bool, strict: bool) -> tuple[str, bool]:
    """The run's last line and whether it fails: a smoke run fails when a gate fails, a
    full run only with ``--strict`` (otherwise it reports)."""
    gated = [r for r in results if r.gate]
    failed = [r.name for r in gated if r.gate_failed]
    kind = "smoke gates (margins below the bars)" if smoke else "bars"
    if not failed:
        return f"Verdict: PASS: {len(gated)} of {len(gated)} {kind} held.", False
    text = f"Verdict: FAIL: {len(failed)} of {len(gated)} {kind} not held: {', '.join(failed)}."
    if not (smoke or strict):
        text += " (A full run reports; --strict makes this exit 1.)"
    return text, smoke or strict


def console_table(results: list[BarResult], title: str) -> Any:
    from rich.table import Table

    table = Table(title=title, show_lines=False)
    for col, justify in (("Metric", "left"), ("Bar", "left"), ("Measured", "left")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    table.add_column("Ratio", justify="right")
    table.add_column("Status", justify="center")
    table.add_column("Gate of this run", justify="left")
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.3f}"
        status = f"[{STYLE[r.status]}]{r.status}[/]"
        gate = gate_cell(r)
        if r.gate_failed:
            gate = f"[bold red]{gate}[/]"
        table.add_row(r.name, r.bar, r.measured, ratio, status, gate)
    return table


def markdown(results: list[BarResult], info: dict[str, Any], smoke: bool, repeat: int) -> str:
    lines = [
        f"### signalhooks benchmarks ({'smoke' if smoke else 'full'} run, {repeat} repetition(s))",
        "",
        "| Metric | Bar | Measured | Ratio | Status |",
        "| --- | --- | --- | ---: | :---: |",
    ]
    for r in results:
        ratio = "" if r.ratio is None else f"{r.ratio:.3f}"
        lines.append(f"| {r.name} | {r.bar} | {r.measured} | {ratio} | {r.status} |")
    lines += [
        "",
        f"Machine: {info['cpu']}, {info['cores']} cores ({info['usable_cores']} usable), "
        f"pinning: {info['pinning']}; Linux {info['kernel']}.",
        f"Python {info['python']}, Django {info['django']}, aiohttp {info['aiohttp']}, "
        f"httpx {info['httpx']}, aiobotocore {info['aiobotocore']}, "
        f"signalhooks {info['signalhooks']}.",
        "",
        "Reproduce: `python -m benchmarks` (full) or `python -m benchmarks --smoke`.",
        "",
    ]
    return "\n".join(lines)


# -- the README's performance block ---------------------------------------------------

README_BEGIN = (
    "<!-- performance: written by benchmarks/report.py from benchmarks/results/results.md -->"
)
README_END = "<!-- /performance -->"


def readme_block(results_md: str) -> str:
    """The README's block: every bar of ``results.md`` with its measured value and
    whether it is met (PASS / FAIL, as ``results.md`` says); figures without a bar
    (INFO rows) are left out."""
    rows = []
    for line in results_md.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) != 5 or cells[4] in ("Status", ":---:", "INFO"):
            continue
        name, bar, measured, _, status = cells
        rows.append(f"| {name} | {bar} | {measured} | {status} |")
    run = re.search(r"\((.*)\)\s*$", results_md.split("\n", 1)[0])
    return "\n".join(
        [
            README_BEGIN,
            f"Latest benchmark ({run[1] if run else 'run'}), from "
            "[`benchmarks/results/results.md`](benchmarks/results/results.md):",
            "",
            "| bar | target | measured | met |",
            "|---|---|---|---|",
            *rows,
            README_END,
        ]
    )


def update_readme(readme: Path, results_md: Path) -> None:
    """Replace the README's block (between its markers) with one from ``results_md``."""
    text = readme.read_text()
    start, end = text.index(README_BEGIN), text.index(README_END) + len(README_END)
    readme.write_text(text[:start] + readme_block(results_md.read_text()) + text[end:])


def chart(runs: Runs, path: Path) -> None:
    """Left: fan-out latency vs targets; right: deliveries/s of each HTTP client."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.8))
    series = (  # (mode, label, color, style, label offset or None for no labels)
        ("sequential", "0.1.1 sequential (requests)", "tab:red", "o-", 6),
        ("asend", "signalhooks asend (concurrent)", "tab:blue", "s-", 6),
        ("raw_aiohttp", "raw aiohttp gather (floor)", "tab:gray", "^--", -13),
    )
    for mode, label, color, style, offset in series:
        points = [(m, median_of(runs, f"fanout/{mode}/{m}", "median_ms")) for m in TARGETS]
        xs = [m for m, v in points if v is not None]
        ys = [v for _, v in points if v is not None]
        if not xs:
            continue
        left.plot(xs, ys, style, color=color, label=label)
        for x, y in zip(xs, ys, strict=True):
            left.annotate(
                f"{y:,.0f}",
                (x, y),
                textcoords="offset points",
                xytext=(0, offset),
                ha="center",
                fontsize=8,
                color=color,
            )
    left.axhline(65, color="tab:green", linestyle=":", label="bar: 65 ms")
    left.set_yscale("log")
    left.set_xticks(list(TARGETS))
    left.set_xlabel("targets per signal (each answers in 50 ms)")
    left.set_ylabel("fan-out latency, median (ms, log)")
    left.set_title("Fan-out latency vs number of targets")
    left.legend(fontsize=8)
    bars = (
        ("throughput/raw_aiohttp", "raw aiohttp\nceiling", "tab:gray"),
        ("throughput/signalhooks", "signalhooks\n(aiohttp)", "tab:blue"),
        ("throughput/signalhooks_httpx", "signalhooks\n+ user httpx", "tab:purple"),
        ("throughput/sequential", "0.1.1\nsequential", "tab:red"),
    )
    names, values, colors = [], [], []
    for key, label, color in bars:
        names.append(label)
        values.append(median_of(runs, key, "rate") or 0.0)
        colors.append(color)
    right.bar(names, values, color=colors)
    for i, v in enumerate(values):
        right.annotate(
            f"{v:,.0f}/s" if v else "n/a",
            (i, v),
            textcoords="offset points",
            xytext=(0, 3),
            ha="center",
            fontsize=9,
        )
    if values[0]:
        right.axhline(0.6 * values[0], color="tab:green", linestyle=":", label="bar: 60% of raw")
        right.legend(fontsize=8)
    right.set_ylabel("deliveries / s (10 hooks, ~1 KB, local sink)")
    right.set_title("Delivery throughput")
    fig.tight_layout()
    fig.savefig(path, dpi=110, format="png")
    plt.close(fig)
