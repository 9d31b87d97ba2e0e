"""Delivery metrics through the OpenTelemetry metrics API: what ``stats()`` counts, and more.

Instruments (meter ``signalhooks``):

* ``signalhooks.deliveries`` (counter): final outcomes, by ``signalhooks.outcome``
  (``delivered`` / ``failed``) and ``signalhooks.target`` (the hook's target name,
  without secrets or query strings; ``endpoints`` for every endpoint of an
  ``EndpointsHook``), counted here and read when the SDK collects; with
  ``SIGNALHOOKS["METRICS_ENDPOINT_ID"]``, endpoint deliveries also by
  ``signalhooks.endpoint.id``;
* ``signalhooks.delivery.duration`` (histogram, seconds): from the signal to the final
  outcome, with the same attributes;
* ``signalhooks.accepted``, ``signalhooks.retries``, ``signalhooks.drops`` (counters)
  and ``signalhooks.pending`` (up-down counter): the process counters of ``stats()``,
  read when the SDK collects, so they cost nothing per delivery.

Outcomes are recorded on the delivery side (the loop, the outbox writer, the worker),
never in the caller's thread. Only the histogram is a synchronous instrument: the SDK
does real work on each measurement, so whatever can be a plain count read at
collection time is one.

Every attribute value is bounded by the project's code, as a metrics backend needs
(each value is a time series kept for ever): code hooks' target names are their URLs
(scheme, host, port, path) and topic ARNs, fixed in code; an endpoint's URL, which
comes from data, never appears; its id only when the project asks for it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from .. import conf
from .state import metrics_on, otel_metrics, version

__all__ = ["DURATION_BUCKETS", "record_outcome", "set_counter_source"]

#: Seconds: webhook answers in milliseconds up to retried deliveries over minutes.
DURATION_BUCKETS = (
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 1800.0,
)  # fmt: skip

_histogram: Any = None
_counter_source: Callable[[], Mapping[str, int]] | None = None
#: (target, endpoint id or None, ok): one series of the outcome metrics.
Series = tuple[str, int | None, bool]
_attributes: dict[Series, dict[str, str | int]] = {}
#: Final outcomes per series, read by the ``signalhooks.deliveries`` callback.
_outcomes: dict[Series, int] = {}
_lock = threading.Lock()


def set_counter_source(read: Callable[[], Mapping[str, int]]) -> None:
    """Where the observable counters come from (``stats()``'s snapshot)."""
    global _counter_source
    _counter_source = read


def record_outcome(target: str, ok: bool, duration: float, endpoint_id: int | None = None) -> None:
    """One final outcome: counted and its latency recorded (a no-op when metrics are off).

    ``endpoint_id`` becomes an attribute only with ``SIGNALHOOKS["METRICS_ENDPOINT_ID"]``.
    """
    if not metrics_on():
        return
    histogram = _histogram or _create()
    if endpoint_id is not None and not conf.settings().metrics_endpoint_id:
        endpoint_id = None
    key = (target, endpoint_id, ok)
    attributes = _attributes.get(key)
    if attributes is None:  # one dict per series, not one per delivery
        attributes = {
            "signalhooks.outcome": "delivered" if ok else "failed",
            "signalhooks.target": target,
        }
        if endpoint_id is not None:
            attributes["signalhooks.endpoint.id"] = endpoint_id
        _attributes[key] = attributes
    with _lock:  # several threads report: the loop, the outbox writer, a worker's
        _outcomes[key] = _outcomes.get(key, 0) + 1
    histogram.record(duration, attributes)


def _create() -> Any:
    global _histogram
    meter = otel_metrics.get_meter("signalhooks", version() or "")
    meter.create_observable_counter(
        "signalhooks.deliveries",
        callbacks=[_observe_outcomes],
        unit="{delivery}",
        description="Final delivery outcomes",
    )
    try:
        histogram = meter.create_histogram(
            "signalhooks.delivery.duration",
            unit="s",
            description="Time from the signal to the final outcome of a delivery",
            explicit_bucket_boundaries_advisory=list(DURATION_BUCKETS),
        )
    except TypeError:  # opentelemetry-api < 1.23 has no bucket advice
        histogram = meter.create_histogram(
            "signalhooks.delivery.duration",
            unit="s",
            description="Time from the signal to the final outcome of a delivery",
        )
    for name, key, unit, description in (
        ("signalhooks.accepted", "accepted", "{delivery}", "Deliveries accepted"),
        ("signalhooks.retries", "retried", "{retry}", "Retries, in process and handed off"),
        ("signalhooks.drops", "dropped", "{delivery}", "Deliveries dropped (queue full)"),
    ):
        meter.create_observable_counter(
            name, callbacks=[_observe(key)], unit=unit, description=description
        )
    meter.create_observable_up_down_counter(
        "signalhooks.pending",
        callbacks=[_observe("pending")],
        unit="{delivery}",
        description="Deliveries accepted and not finished",
    )
    _histogram = histogram
    return histogram


def _observe_outcomes(options: Any) -> Iterable[Any]:
    with _lock:
        counts = list(_outcomes.items())
    for key, count in counts:
        yield otel_metrics.Observation(count, _attributes[key])


def _observe(key: str) -> Callable[[Any], Iterable[Any]]:
    def callback(options: Any) -> Iterable[Any]:
        if _counter_source is not None:
            yield otel_metrics.Observation(_counter_source()[key])

    return callback
