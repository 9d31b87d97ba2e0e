"""``manage.py signalhooks_send_test``: fire a sample event at a hook and print the outcome.

The first thing to run after wiring a new endpoint::

    python manage.py signalhooks_send_test --list      # the hooks this project creates
    python manage.py signalhooks_send_test 0           # by index ...
    python manage.py signalhooks_send_test orders.example.com   # ... or part of the URL/ARN
    python manage.py signalhooks_send_test --endpoint 42        # one stored Endpoint

Hooks are found because they exist: projects create them when their signals
module is imported, normally from ``AppConfig.ready()``, which has run before any
management command. The sample event is ``signalhooks.test`` with
``Data = {"message": ...}``, delivered right away (also for durable hooks) with
the hook's own URL, headers, signing, timeout and retries. An ``EndpointsHook`` has
no single target to send to: ``--endpoint ID`` sends the test event to one stored
``Endpoint`` instead (its URL, headers, secret and SSRF rule; one attempt, even when
the endpoint is disabled), as the admin's "Send a test event" does. Exit status 1 if
the delivery failed.
"""

from __future__ import annotations

from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any

from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...endpoints.probe import TEST_EVENT, send_test_event
from ...endpoints.target import AllEndpoints
from ...engine.bridge import get_engine
from ...hooks.base import SignalHook
from ...hooks.wiring import connections, signal_index, signal_names
from ...outcome.results import DeliveryResult
from ...registry import all_hooks
from ...snapshot.events import custom_event
from ...targets.base import Delivery

__all__ = ["Command"]

_EXCERPT = 300


class Command(BaseCommand):
    help = "List signalhooks' hooks, or send a sample event to one and print the outcome."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "hook",
            nargs="?",
            help="Index from --list, or part of the hook's URL or topic ARN "
            "(may be left out when the project has a single hook).",
        )
        parser.add_argument("--list", action="store_true", help="List hooks and exit.")
        parser.add_argument(
            "--endpoint",
            type=int,
            metavar="ID",
            help="Send to the stored Endpoint with this id instead of a hook (one attempt).",
        )
        parser.add_argument(
            "--event", help=f"Event name (default {TEST_EVENT}; not with --endpoint)."
        )
        parser.add_argument(
            "--message",
            default="Test event from manage.py signalhooks_send_test",
            help="Text of Data.message.",
        )
        parser.add_argument(
            "--timeout",
            type=float,
            default=120.0,
            help="Seconds to wait for the final outcome, retries included (default 120).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["endpoint"] is not None:
            self._to_endpoint(options)
            return
        hooks = sorted(all_hooks(), key=_sort_key)
        if options["list"]:
            self._list(hooks)
            return
        hook = self._choose(hooks, options["hook"])
        if isinstance(hook.target, AllEndpoints):
            raise CommandError(
                f"{type(hook).__name__} delivers to the endpoints stored in the database, "
                "not to one target of its own: send the test event to one of them with "
                "--endpoint ID (or the admin action 'Send a test event')."
            )
        event = custom_event(options["event"] or TEST_EVENT, {"message": options["message"]})
        waiter: Future[DeliveryResult] = Future()
        self.stdout.write(f"Sending {event.name} {event.id} to {hook.target.name} ...")
        get_engine().accept(Delivery(event, hook.target, hook, None, waiter))
        try:
            result = waiter.result(options["timeout"])
        except FutureTimeout:
            raise CommandError(
                f"no final outcome within {options['timeout']}s (still retrying?); "
                "raise --timeout or lower the hook's max_attempts"
            ) from None
        self._report(result, options["verbosity"])
        if not result.ok:
            raise CommandError(f"delivery failed: {result.error}")

    def _to_endpoint(self, options: dict[str, Any]) -> None:
        from ...models import Endpoint

        if options["hook"] is not None or options["list"] or options["event"] is not None:
            raise CommandError("--endpoint sends signalhooks.test to one endpoint: give it alone")
        endpoint = Endpoint.objects.filter(pk=options["endpoint"]).first()
        if endpoint is None:
            raise CommandError(f"no Endpoint with id {options['endpoint']}")
        self.stdout.write(f"Sending {TEST_EVENT} to {endpoint} ...")
        try:
            result = send_test_event(endpoint, options["message"])
        except ImproperlyConfigured as exc:  # saved without full_clean()
            raise CommandError(f"{endpoint} cannot be sent to: {exc}") from None
        if result is None:
            raise CommandError("no outcome in time (the endpoint did not answer)")
        self._report(result, options["verbosity"])
        if not result.ok:
            raise CommandError(f"delivery failed: {result.error}")

    def _list(self, hooks: list[SignalHook]) -> None:
        if not hooks:
            self.stdout.write(_NO_HOOKS)
            return
        where, names = signal_index(), signal_names()
        for index, hook in enumerate(hooks):
            durable = " durable" if getattr(hook, "durable", False) else ""
            event = f" event={hook.event_name}" if isinstance(hook.event_name, str) else ""
            line = f"[{index}] {type(hook).__name__}{durable} {hook.target.name}{event}"
            if isinstance(hook.target, AllEndpoints):
                line += " (the stored endpoints: test one with --endpoint ID)"
            self.stdout.write(line)
            lines = [str(connection) for connection in connections(hook, where, names)]
            for line in lines or ["(connected to no signal: it never fires)"]:
                self.stdout.write(f"      {line}")

    def _choose(self, hooks: list[SignalHook], wanted: str | None) -> SignalHook:
        if not hooks:
            raise CommandError(_NO_HOOKS)
        if wanted is None:
            if len(hooks) == 1:
                return hooks[0]
            raise CommandError(
                f"{len(hooks)} hooks: name one by index or by part of its URL/ARN (see --list)."
            )
        if wanted.isdigit():
            if int(wanted) >= len(hooks):
                raise CommandError(f"no hook [{wanted}]: there are {len(hooks)} (see --list)")
            return hooks[int(wanted)]
        needle = wanted.lower()
        matches = [hook for hook in hooks if needle in _searchable(hook)]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise CommandError(f"no hook matches {wanted!r} (see --list)")
        names = "\n  ".join(hook.target.name for hook in matches)
        raise CommandError(f"{len(matches)} hooks match {wanted!r}; be more specific:\n  {names}")

    def _report(self, result: DeliveryResult, verbosity: int) -> None:
        style = self.style.SUCCESS if result.ok else self.style.ERROR
        response = result.response if verbosity > 1 else _one_line(result.response)
        rows = [
            ("outcome", style("delivered" if result.ok else "FAILED")),
            ("status", str(result.status) if result.status is not None else "-"),
            ("latency", f"{result.duration * 1000:.1f} ms"),
            ("attempts", str(result.attempts)),
            ("response", response or "-"),
        ]
        if result.error:
            rows.insert(1, ("error", result.error))
        for label, value in rows:
            self.stdout.write(f"  {label + ':':<10} {value}")


_NO_HOOKS = (
    "No hooks exist in this process. Hooks are created when the module that builds them "
    "is imported: import it from your AppConfig.ready()."
)


def _sort_key(hook: SignalHook) -> tuple[str, str, str]:
    # Stable indices from run to run: all_hooks() comes from a set.
    event = hook.event_name if isinstance(hook.event_name, str) else ""
    return (hook.target.name, type(hook).__name__, event)


def _searchable(hook: SignalHook) -> str:
    # The full URL or ARN may be matched but is never printed (query strings hold tokens).
    parts = [hook.target.name, str(getattr(hook, "request_url", "") or "")]
    parts.append(str(getattr(hook, "sns_topic_arn", "") or ""))
    return " ".join(parts).lower()


def _one_line(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT] + " ..."
