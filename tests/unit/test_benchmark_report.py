"""The benchmark's report: the gate each row applied, the verdict and its exit status,
a service that is missing, and README.md's performance block (benchmarks/report.py)."""

from __future__ import annotations

from pathlib import Path

from benchmarks import report
from benchmarks.bars import CALLER, FANOUT, HTTPX, THROUGHPUT, evaluate, judge

ROOT = Path(__file__).resolve().parents[2]
RESULTS_MD = ROOT / "benchmarks" / "results" / "results.md"


def test_each_row_shows_the_gate_of_its_run():
    smoke = judge(THROUGHPUT, 0.5, "x", None, smoke=True)
    assert (smoke.status, smoke.gate, smoke.gate_failed) == ("FAIL", ">= 0.45x", False)
    assert report.gate_cell(smoke) == ">= 0.45x: held"
    full = judge(THROUGHPUT, 0.5, "x", None, smoke=False)
    assert (full.gate, report.gate_cell(full)) == (">= 0.60x", ">= 0.60x: FAILED")
    relative = judge(FANOUT, 70.0, "x", None, smoke=True, smoke_value=1.1)
    assert relative.gate == "<= 1.5x the bare aiohttp gather" and not relative.gate_failed
    assert judge(CALLER[99], 3000.0, "", None, smoke=True).gate == "<= 2500 us"
    missing = judge(HTTPX, None, "", "throughput: not run", smoke=True)
    assert report.gate_cell(missing) == ">= 0.22x: FAILED (no data)"


def test_a_smoke_run_fails_when_a_gate_fails_and_a_full_run_reports():
    held = [judge(THROUGHPUT, 0.5, "", None, smoke=True), judge(HTTPX, 0.25, "", None, smoke=True)]
    assert report.verdict(held, smoke=True, strict=False) == (
        "Verdict: PASS: 2 of 2 smoke gates (margins below the bars) held.",
        False,
    )
    broken = [*held, judge(THROUGHPUT, 0.3, "", None, smoke=True)]
    text, fails = report.verdict(broken, smoke=True, strict=False)
    assert fails and text.startswith("Verdict: FAIL: 1 of 3 smoke gates")
    assert "Throughput vs raw aiohttp" in text
    full = [judge(THROUGHPUT, 0.5, "", None, smoke=False)]
    text, fails = report.verdict(full, smoke=False, strict=False)
    assert not fails and "--strict makes this exit 1" in text
    assert report.verdict(full, smoke=False, strict=True)[1]


def test_a_row_whose_service_is_missing_says_so_and_gates_nothing():
    why = "skipped: this row needs PostgreSQL, which is not reachable on 127.0.0.1:5432"
    runs = {
        "endpoints/caller": [{"cost_p50_us": 100.0}],
        "endpoints/hooks": [{"cost_p50_us": 100.0}],
        "endpoints/durable": [{"phase": "endpoints", "mode": "durable", "skipped": why}],
        "endpoints/fanout": [{"rate": 3000.0}],
        "endpoints/raw_fanout": [{"rate": 3000.0}],
    }
    _, durable, save, _ = evaluate(runs, smoke=True)
    for row in (durable, save):  # the informative row and the gated one
        assert (row.status, row.measured, row.gate_failed) == ("SKIP", why, False)
        assert report.gate_cell(row) == ""


def test_readme_shows_the_block_that_results_md_gives():
    """Rerun ``python -m benchmarks`` (it rewrites the block), or write it with
    ``report.update_readme``, when results.md changes."""
    readme = (ROOT / "README.md").read_text()
    start = readme.index(report.README_BEGIN)
    end = readme.index(report.README_END) + len(report.README_END)
    assert readme[start:end] == report.readme_block(RESULTS_MD.read_text())


def test_the_block_lists_every_bar_met_or_not(tmp_path):
    results = (
        "### signalhooks benchmarks (full run, 3 repetition(s))\n\n"
        "| Metric | Bar | Measured | Ratio | Status |\n| --- | --- | --- | ---: | :---: |\n"
        "| Throughput vs raw aiohttp | >= 0.60x | 4,908/s vs 6,560/s | 0.719 | PASS |\n"
        "| Fan-out save() -> 100th arrival | (info) | 18.1 ms |  | INFO |\n"
        "| OpenTelemetry on: throughput vs off | >= 0.80x | 2,198/s vs 4,424/s | 0.524 | FAIL |\n"
    )
    block = report.readme_block(results)
    assert "| Throughput vs raw aiohttp | >= 0.60x | 4,908/s vs 6,560/s | PASS |" in block
    assert "| OpenTelemetry on: throughput vs off | >= 0.80x | 2,198/s vs 4,424/s | FAIL |" in block
    assert "100th arrival" not in block and "(full run, 3 repetition(s))" in block
    readme, source = tmp_path / "README.md", tmp_path / "results.md"
    source.write_text(results)
    readme.write_text(f"# x\n\n{report.README_BEGIN}\nold\n{report.README_END}\n\nrest\n")
    report.update_readme(readme, source)
    assert readme.read_text() == f"# x\n\n{block}\n\nrest\n"


def test_the_durable_phase_says_postgresql_is_unreachable(tmp_path):
    """A real run of the phase against a port where no server listens."""
    import json
    import os
    import subprocess
    import sys

    from tests.support.ports import free_port

    port = str(free_port())
    env = {**os.environ, "BENCH_OUTBOX_PORT": port, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "benchmarks.phase_endpoints", "--mode", "durable"]
    done = subprocess.run(
        [*command, "--sink-url", "http://127.0.0.1:9", "--events", "1"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["skipped"] == (
        f"skipped: this row needs PostgreSQL, which is not reachable on 127.0.0.1:{port} "
        "(user postgres, trust auth)"
    )


def test_a_subset_of_phases_reports_only_the_rows_it_ran():
    runs = {
        "endpoints/caller": [{"cost_p50_us": 80.0}],
        "endpoints/hooks": [{"cost_p50_us": 100.0}],
    }
    [caller] = evaluate(runs, smoke=True)  # --phases endpoints without endpoints_fanout
    assert caller.name.startswith("Endpoints caller") and not caller.gate_failed
