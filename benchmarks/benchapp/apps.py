"""App config: a fixed label keeps the event name stable as ``bench.Item:created``."""

from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "benchmarks.benchapp"
    label = "bench"
    default_auto_field = "django.db.models.BigAutoField"
