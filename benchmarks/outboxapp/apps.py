"""Creates the benchmark's durable hook at startup, as a project would (``BENCH_OUTBOX_SINK``)."""

import os

from django.apps import AppConfig
from django.dispatch import Signal

#: What the benchmark's hook listens to (rows are inserted directly; nothing sends it).
bench_signal = Signal()


class OutboxBenchConfig(AppConfig):
    name = "benchmarks.outboxapp"
    label = "outbox_bench"

    def ready(self) -> None:
        from signalhooks.hooks import HTTPSignalHook

        url = os.environ.get("BENCH_OUTBOX_SINK")
        if url:
            bench_signal.connect(HTTPSignalHook(url, durable=True), weak=False)
