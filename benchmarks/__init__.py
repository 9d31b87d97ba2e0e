"""Benchmark suite for signalhooks: each phase runs in its own pinned process.

``python -m benchmarks`` orchestrates the phases; every ``benchmarks.phase_*`` module is
also runnable alone and prints one JSON line, so numbers can be reproduced piecemeal.
"""
