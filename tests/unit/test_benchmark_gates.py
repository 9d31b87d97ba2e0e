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
