"""``python -m benchmarks [--smoke] [--repeat N] [--out DIR]``: run every phase and report.

Each measurement is a fresh client process pinned to one core with its sink pinned to the
other (see ``runner``); comparisons are paired within a repetition (see ``plan``) and
judged against the issue's bars (see ``bars``). Writes ``results.json``, ``results.md``
and ``chart.png`` into ``--out`` (a full run into ``benchmarks/results/`` also rewrites
the performance block of README.md). The table shows the gate each row applied and the
last line the verdict. ``--smoke`` gates on a clear margin below each bar, so noisy CI
machines do not flake, and exits 1 when a gate fails; a full run gates on the bars
themselves and reports (exit 0) unless ``--strict`` is given.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from benchmarks import bars, plan, report
from benchmarks.runner import ROOT, phase_env, pinning, run_phase
from tests.support.sink_process import SinkProcess


def library_importable() -> str | None:
    """None when ``signalhooks.hooks`` can be found, else why not (phases get skipped)."""
    try:
        if importlib.util.find_spec("signalhooks.hooks") is None:
            return "signalhooks.hooks does not exist yet"
    except ImportError as exc:
        return f"signalhooks not importable: {exc}"
    return None


def run_all(groups: list[plan.Group], repeat: int, skip_library: str | None) -> bars.Runs:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    runs: bars.Runs = {}
    total = sum(
        len([s for s in g.steps if not (s.once and rep)]) for rep in range(repeat) for g in groups
    )
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns) as progress:
        task = progress.add_task("starting", total=total)
        for rep in range(repeat):
            for group in groups:
                steps = [s for s in group.steps if not (s.once and rep)]
                if not steps:
                    continue
                if rep % 2:  # alternate the order so drift on a noisy host favours neither side
                    steps.reverse()
                with SinkProcess(*group.sink, prefix=pinning()["sink"], env=phase_env()) as sink:
                    for step in steps:
                        progress.update(task, description=f"[{rep + 1}/{repeat}] {step.key:<40}")
                        result: dict[str, Any]
                        if step.library and skip_library:
                            result = {"error": skip_library}
                        else:
                            args = [*step.args, "--sink-url", sink.url]
                            result = run_phase(step.module, args, step.settings, step.timeout)
                        if "error" in result:
                            progress.console.print(f"[red]{step.key}: {result['error'][:200]}")
                        elif "skipped" in result:
                            progress.console.print(f"[yellow]{step.key}: {result['skipped']}")
                        runs.setdefault(step.key, []).append(result)
                        progress.advance(task)
    return runs


def write_atomic(path: Path, data: str | bytes) -> None:
    """Write via a ``.tmp`` sibling (git-ignored) so a killed run never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(data.encode() if isinstance(data, str) else data)
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--smoke", action="store_true", help="smaller sizes, margin gates, exit 1 if one fails"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 if a bar is missed")
    parser.add_argument("--repeat", type=int, default=None, help="repetitions (default 3, smoke 1)")
    parser.add_argument("--out", type=Path, default=None, help="results/ or results/smoke/")
    names = [
        "throughput",
        "httpx",
        "fanout",
        "caller",
        "sns",
        "sns_retry",
        "memory",
        "endpoints",
        "endpoints_fanout",
        "otel",
        "portal",
        "attempts",
        "shop",
    ]
    parser.add_argument("--phases", default=",".join(names), help="comma-separated subset")
    args = parser.parse_args(argv)
    repeat = args.repeat or (1 if args.smoke else 3)
    # Dirty pages (a pip install just before, say) are written back by kernel threads
    # that take CPU from the pinned phases: write them now, before anything is timed.
    os.sync()
    wanted = set(args.phases.split(","))
    groups = [g for g in plan.build(args.smoke) if g.name in wanted]
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or CI: don't squeeze the table into 80 columns
        console = Console(width=180)
    missing = library_importable()
    if missing:
        console.print(f"[yellow]{missing}: library phases will be reported as ERROR")
    started = time.time()
    runs = run_all(groups, repeat, missing)
    results = bars.evaluate(runs, args.smoke)
    info = report.machine_info()
    elapsed = time.time() - started
    title = f"signalhooks benchmarks ({'smoke' if args.smoke else 'full'}, {elapsed:.0f} s)"
    console.print(report.console_table(results, title))
    if args.out is None:  # a smoke run must not overwrite the committed full results
        args.out = ROOT / "benchmarks" / "results" / ("smoke" if args.smoke else "")
    args.out.mkdir(parents=True, exist_ok=True)
    payload = {
        "smoke": args.smoke,
        "repeat": repeat,
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "duration_s": round(elapsed, 1),
        "machine": info,
        "bars": [asdict(r) for r in results],
        "runs": runs,
    }
    write_atomic(args.out / "results.json", json.dumps(payload, indent=2, sort_keys=True))
    write_atomic(args.out / "results.md", report.markdown(results, info, args.smoke, repeat))
    report.chart(runs, args.out / "chart.png.tmp")
    os.replace(args.out / "chart.png.tmp", args.out / "chart.png")
    console.print(f"wrote {args.out}/results.json, results.md, chart.png")
    if args.out == ROOT / "benchmarks" / "results":  # the committed results: README follows
        report.update_readme(ROOT / "README.md", args.out / "results.md")
        console.print("updated the performance block of README.md")
    # The full run is the demo: it reports. --smoke (CI) and --strict gate.
    text, fails = report.verdict(results, args.smoke, args.strict)
    console.print(f"[bold {'red' if fails else 'green'}]{text}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
