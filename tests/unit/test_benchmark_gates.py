"""The benchmark's CI gates (benchmarks/bars.py): absolute-time bars gate relative to
a baseline of the same run in smoke mode, and on the bar itself in a full run."""

from __future__ import annotations

from benchmarks.bars import CALLER, FANOUT, judge


def test_fanout_smoke_gate_is_relative_to_the_bare_gather():
    # A slow hour: the gather itself takes 83 ms; 96 ms is 1.16x of it.
    slow = judge(FANOUT, 96.0, "", None, smoke=True, smoke_value=96.0 / 83.0)
    assert slow.status == "FAIL" and not slow.gate_failed  # misses the bar, passes CI
    regressed = judge(FANOUT, 130.0, "", None, smoke=True, smoke_value=130.0 / 62.0)
    assert regressed.gate_failed
    full = judge(FANOUT, 70.0, "", None, smoke=False, smoke_value=70.0 / 62.0)
    assert full.gate_failed  # a full run gates on the bar: 65 ms


def test_caller_smoke_gate_is_relative_to_the_raw_clients_cpu_per_delivery():
    p50 = CALLER[50]
    # A slow hour (107 us vs 128-171 us raw) and a fast one (61 us vs 80 us): both pass.
    assert not judge(p50, 107.0, "", None, smoke=True, smoke_value=107.0 / 128.0).gate_failed
    assert not judge(p50, 61.0, "", None, smoke=True, smoke_value=61.0 / 80.0).gate_failed
    assert judge(p50, 130.0, "", None, smoke=True, smoke_value=130.0 / 80.0).gate_failed
    assert judge(p50, 117.0, "", None, smoke=False, smoke_value=117.0 / 148.0).gate_failed
    assert judge(p50, None, "", "caller: not run", smoke=True).status == "ERROR"


def test_a_relative_gate_without_its_baseline_says_so_instead_of_failing():
    # ``--phases caller``: no throughput phase, so no raw client to compare with.
    result = judge(CALLER[50], 61.0, "61 us", None, smoke=True, smoke_value=None)
    assert not result.gate_failed and "not gated" in result.measured
    # The absolute p99 gate needs no baseline.
    assert judge(CALLER[99], 3000.0, "", None, smoke=True).gate_failed


def test_endpoint_bars_pair_each_repetition_and_skip_other_phases():
    from benchmarks.bars import evaluate

    runs = {
        "endpoints/caller": [{"cost_p50_us": 160.0}, {"cost_p50_us": 400.0}],
        "endpoints/hooks": [{"cost_p50_us": 200.0}, {"cost_p50_us": 200.0}],
        "endpoints/durable": [{"error": "exit 1: no PostgreSQL"}],
        "endpoints/fanout": [{"rate": 2000.0}],
        "endpoints/raw_fanout": [{"rate": 3000.0}],
    }
    caller, durable, save, fanout = evaluate(runs, smoke=True)  # no other phase's bars
    assert caller.ratio == 1.4 and caller.status == "PASS"  # median of 0.8 and 2.0
    assert (durable.status, durable.gate_failed) == ("ERROR", False)  # reported, not gated
    assert "no PostgreSQL" in durable.measured
    assert (save.status, save.gate_failed) == ("ERROR", True)  # the 10-hook save is gated
    assert round(fanout.ratio, 3) == 0.667 and not fanout.gate_failed
    runs["endpoints/raw_fanout"] = [{"rate": 5000.0}]
    assert evaluate(runs, smoke=True)[3].gate_failed  # 0.4x: below the 0.45x smoke gate


def test_httpx_paths_are_ratios_to_the_aiohttp_transport_and_their_order_is_checked():
    from benchmarks.bars import evaluate
    from signalhooks.transports.httpx_paths import PATHS

    first, second, third = (path.name for path in PATHS[:3])
    run = {"rate": 1000.0, "cpu_per_delivery_us": 100.0}
    runs = {
        "httpx/aiohttp": [run, {"rate": 2000.0, "cpu_per_delivery_us": 100.0}],
        f"httpx/{first}": [
            {"rate": 500.0, "cpu_per_delivery_us": 200.0},
            {"rate": 1200.0, "cpu_per_delivery_us": 200.0},
        ],
        f"httpx/{second}": [{"rate": 200.0, "cpu_per_delivery_us": 500.0}] * 2,
        f"httpx/{third}": [{"phase": "httpx", "skipped": "skipped: not installed"}] * 2,
    }
    rows = {row.name: row for row in evaluate(runs, True)}
    fastest, skipped = (
        rows[f"HTTP_TRANSPORT=httpx path {first}"],
        rows[f"HTTP_TRANSPORT=httpx path {third}"],
    )
    assert fastest.ratio == 0.55  # median of 0.5 and 0.6, paired per repetition
    assert "CPU 2.0x" in fastest.measured and fastest.status == "INFO"
    assert skipped.status == "SKIP" and not skipped.gate_failed
    assert "HTTP_TRANSPORT=httpx paths, measured order agrees" in rows
    # Ranked by CPU per request, steady on a busy machine: a higher rate does not reorder.
    runs[f"httpx/{second}"] = [{"rate": 5000.0, "cpu_per_delivery_us": 500.0}] * 2
    names = [row.name for row in evaluate(runs, True)]
    assert "HTTP_TRANSPORT=httpx paths, measured order agrees" in names
    runs[f"httpx/{second}"] = [{"rate": 200.0, "cpu_per_delivery_us": 150.0}] * 2
    names = [row.name for row in evaluate(runs, True)]
    assert "HTTP_TRANSPORT=httpx paths, measured order DISAGREES" in names


def test_the_portal_bar_needs_the_index_as_well_as_the_time():
    from benchmarks.bars import evaluate

    runs = {"portal/list": [{"median_ms": 40.0, "queries": 3, "uses_index": True}]}
    [portal] = evaluate(runs, smoke=True)
    assert portal.status == "PASS" and not portal.gate_failed and "3 queries" in portal.measured
    runs["portal/list"][0]["median_ms"] = 350.0
    assert evaluate(runs, smoke=True)[0].gate_failed  # beyond the smoke margin
    runs["portal/list"][0].update(median_ms=40.0, uses_index=False)
    [unindexed] = evaluate(runs, smoke=True)
    assert unindexed.gate_failed and "not read from its index" in unindexed.measured


def test_the_attempts_log_bar_compares_recording_with_not_and_skips_without_postgres():
    from benchmarks.bars import evaluate

    def paired(ratio: float) -> dict[str, list[dict[str, object]]]:
        run = {"rate": 950.0, "unrecorded_rate": 1000.0, "ratio": ratio}
        run.update(cpu_per_delivery_us=330.0, unrecorded_cpu_per_delivery_us=300.0)
        return {"attempts/paired": [{**run, "cpu_ratio": 1.1}]}

    throughput, cpu = evaluate(paired(0.95), smoke=True)
    assert (throughput.status, throughput.gate_failed, throughput.ratio) == ("PASS", False, 0.95)
    assert throughput.measured == "950/s vs 1,000/s"
    assert (cpu.status, cpu.ratio, cpu.measured) == ("INFO", 1.1, "330 us vs 300 us")
    assert evaluate(paired(0.6), smoke=True)[0].gate_failed  # a regression: below the guard
    missed = evaluate(paired(0.85), smoke=True)[0]  # misses the bar, passes the smoke guard
    assert missed.status == "FAIL" and not missed.gate_failed
    assert evaluate(paired(0.85), smoke=False)[0].gate_failed
    skipped = {"attempts/paired": [{"skipped": "no PostgreSQL on 127.0.0.1:5432"}]}
    [result] = evaluate(skipped, smoke=True)
    assert (result.status, result.gate_failed) == ("INFO", False)
    assert result.measured == "skipped: no PostgreSQL on 127.0.0.1:5432"
    crashed = evaluate({"attempts/paired": [{"error": "exit 1: boom"}]}, smoke=True)[0]
    assert crashed.status == "ERROR" and crashed.gate_failed


def test_previous_attributes_is_reported_beside_the_plain_hooks_of_the_same_run():
    from benchmarks.bars import evaluate

    def run(previous: float, plain: float) -> dict[str, float]:
        return {
            "previous_cost_p50_us": previous,
            "plain_cost_p50_us": plain,
            "init_p50_us": 6.0,
            "bare_init_p50_us": 4.0,
        }

    runs = {"caller/previous_attributes": [run(150.0, 100.0), run(120.0, 100.0)]}
    [row] = [r for r in evaluate(runs, smoke=True) if "previous_attributes" in r.name]
    assert (row.status, row.ratio, row.gate_failed) == ("INFO", 1.35, False)
    assert "135.0 us vs 100.0 us" in row.measured
    runs = {"caller/previous_attributes": [{"error": "exit 1"}]}
    [row] = [r for r in evaluate(runs, smoke=True) if "previous_attributes" in r.name]
    assert (row.status, row.measured) == ("ERROR", "caller/previous_attributes: exit 1")


def test_one_write_per_dispatch_bars_gate_the_durable_save_and_the_worker_only_shop():
    from benchmarks.bars import evaluate

    durable = {"plain_p50_us": 1200.0, "hooks_p50_us": 2100.0, "durable_p50_us": 1500.0}
    runs = {
        "endpoints/durable": [{**durable, "ratio_p50": 1.25}],
        "shop/worker_only": [{"baseline_p50_ms": 4.7, "hooked_p50_ms": 6.1, "ratio_p50": 1.3}],
    }
    results = {r.name: r for r in evaluate(runs, smoke=True)}
    save = results["Durable save p50, 10 hooks vs plain save"]
    shop = results["Shop view p50, worker-only, 20 hooks vs none"]
    assert (save.ratio, save.status, save.gate_failed) == (1.75, "PASS", False)
    assert (shop.status, shop.gate_failed) == ("PASS", False)
    assert "2100 us vs 1200 us plain save" in save.measured
    # One write per hook (12.5x, 11.5x before): both fail the smoke gates.
    runs["endpoints/durable"][0]["hooks_p50_us"] = 15000.0
    runs["shop/worker_only"][0]["ratio_p50"] = 11.5
    failed = {r.name for r in evaluate(runs, smoke=True) if r.gate_failed}
    assert {save.name, shop.name} <= failed
    runs["shop/worker_only"] = [{"error": "exit 1: no PostgreSQL"}]
    assert {r.name: r for r in evaluate(runs, smoke=True)}[shop.name].status == "ERROR"
