"""The endpoints of this process, cached as routes: no query per event.

:data:`endpoint_index` loads every endpoint once (one query) and answers "which active
endpoints does event ``name`` go to" from memory; the answer for each event name is
computed once per load, so a save costs a dictionary lookup, matched or not.

Freshness: a change made through the ORM drops this process's index at once (and
again when its transaction commits; :mod:`.models` says so through :mod:`.changes`).
Other processes see it within ``ENDPOINT_CACHE_TTL`` seconds: at most that often, the
next event compares the revision row (one small query) and reloads if it moved. A
failing load (database down, migrations not applied) keeps the last list and is tried
again after the TTL; it never raises into the caller.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

from django.db import router, transaction
from django.dispatch import receiver

from .. import conf
from ..exceptions import PayloadError
from ..targets.http import display_url
from .changes import endpoints_changed, endpoints_enabled
from .health import EndpointState
from .patterns import Matcher, compile_patterns
from .target import EndpointTarget

if TYPE_CHECKING:
    from .models import Endpoint

__all__ = ["Entry", "Matches", "Routes", "endpoint_index"]

logger = logging.getLogger("signalhooks")

#: Owner key: ``("app_label.model", "pk")`` of the owner, or ``None`` for no owner.
OwnerKey = tuple[str, str] | None
#: Event names remembered per load (names built by an ``event=`` callable may be many).
MEMO_MAX = 10_000


class Entry(NamedTuple):
    """An active endpoint, as the hook routes to it."""

    endpoint_id: int
    target: EndpointTarget
    owner: OwnerKey
    matches: Matcher | None  # None: every event


class Matches:
    """The active endpoints one event name goes to, grouped by owner on first use."""

    __slots__ = ("_by_owner", "entries")

    def __init__(self, entries: tuple[Entry, ...]) -> None:
        self.entries = entries
        self._by_owner: dict[OwnerKey, tuple[Entry, ...]] | None = None

    def for_owner(self, owner: OwnerKey) -> tuple[Entry, ...]:
        by_owner = self._by_owner
        if by_owner is None:
            grouped: dict[OwnerKey, list[Entry]] = {}
            for entry in self.entries:
                grouped.setdefault(entry.owner, []).append(entry)
            by_owner = self._by_owner = {key: tuple(group) for key, group in grouped.items()}
        return by_owner.get(owner, ())


NO_MATCH = Matches(())


class Routes:
    """One load of the endpoints (immutable but for the per-name memo)."""

    __slots__ = ("_memo", "alias", "by_id", "entries", "revision")

    def __init__(
        self,
        alias: str | None,
        revision: int | None,
        entries: tuple[Entry, ...],
        by_id: dict[int, EndpointTarget | str],
    ) -> None:
        self.alias = alias
        self.revision = revision
        self.entries = entries
        #: Every endpoint, active or not: its target, or why it has none.
        self.by_id = by_id
        self._memo: dict[str, Matches] = {}

    def match(self, name: str) -> Matches:
        """The active endpoints whose patterns match ``name``."""
        found = self._memo.get(name)
        if found is None:
            hits = tuple(e for e in self.entries if e.matches is None or e.matches(name))
            found = Matches(hits) if hits else NO_MATCH
            if len(self._memo) >= MEMO_MAX:
                self._memo.clear()
            self._memo[name] = found
        return found


class EndpointIndex:
    """This process's :class:`Routes`, reloaded when stale; safe from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes = Routes(None, None, (), {})
        self._fresh_until = 0.0  # time.monotonic() until which no check is made
        self._generation = 0  # bumped by invalidate()
        self._loaded_generation = -1
        self._states: dict[int, EndpointState] = {}
        self._targets: dict[int, tuple[tuple[Any, ...], EndpointTarget]] = {}

    def current(self) -> Routes:
        """The routes: from memory while fresh, else checked (and reloaded) first."""
        if time.monotonic() < self._fresh_until:
            return self._routes
        return self._refresh()

    def cached(self) -> Routes | None:
        """The routes if no check is due (no query), else ``None`` (``async_receiver``)."""
        return self._routes if time.monotonic() < self._fresh_until else None

    def invalidate(self) -> None:
        """Reload (not just check) on next use: endpoints changed in this process."""
        self._generation += 1
        self._fresh_until = 0.0

    def forget_failures(self, endpoint_ids: list[int]) -> None:
        """Endpoints enabled again: their health state in this process starts afresh."""
        for endpoint_id in endpoint_ids:
            state = self._states.get(endpoint_id)
            if state is not None:
                state.forget_failures()

    def target_for(self, endpoint_id: int) -> EndpointTarget:
        """The target of endpoint ``endpoint_id`` (outbox worker), or :class:`PayloadError`."""
        found = self.current().by_id.get(endpoint_id)
        if found is None:
            raise PayloadError(f"endpoint {endpoint_id} no longer exists (deleted)")
        if isinstance(found, str):
            raise PayloadError(found)
        if found.state.blocked is not None:
            raise PayloadError(found.state.blocked)
        return found

    def _refresh(self) -> Routes:
        forced = self._loaded_generation != self._generation
        # Only a first load or a change of this process's own waits for a refresh in
        # progress; otherwise the last routes serve until the other thread is done.
        if not self._lock.acquire(blocking=forced or self._routes.revision is None):
            return self._routes
        try:
            generation = self._generation
            if time.monotonic() < self._fresh_until and generation == self._loaded_generation:
                return self._routes  # refreshed while we waited for the lock
            try:
                self._routes = self._load(force=generation != self._loaded_generation)
            except Exception as exc:
                logger.warning(
                    "signalhooks: could not load endpoints (%s: %s); routing to the last "
                    "list (%d active) and trying again in %ss",
                    type(exc).__name__,
                    exc,
                    len(self._routes.entries),
                    conf.settings().endpoint_cache_ttl,
                )
            self._loaded_generation = generation
            if generation == self._generation:  # else invalidated meanwhile: check again
                self._fresh_until = time.monotonic() + conf.settings().endpoint_cache_ttl
            return self._routes
        finally:
            self._lock.release()

    def _load(self, force: bool) -> Routes:
        from .models import Endpoint, EndpointRevision

        alias = router.db_for_read(Endpoint)
        # A savepoint inside the caller's transaction: a failing query must not break it.
        with transaction.atomic(using=alias):
            # The revision first: the endpoints read next are at least that new.
            revision = EndpointRevision.current(alias)
            routes = self._routes
            if not force and alias == routes.alias and revision == routes.revision:
                return routes
            endpoints = list(Endpoint.objects.using(alias).select_related("owner_type"))
        return self._build(alias, revision, endpoints)

    def _build(self, alias: str, revision: int, endpoints: list[Endpoint]) -> Routes:
        states: dict[int, EndpointState] = {}
        targets: dict[int, tuple[tuple[Any, ...], EndpointTarget]] = {}
        by_id: dict[int, EndpointTarget | str] = {}
        entries = []
        for endpoint in endpoints:
            state = self._states.get(endpoint.pk) or EndpointState(endpoint.pk)
            state.sync(endpoint, display_url(endpoint.url))
            states[endpoint.pk] = state
            try:
                target = self._target(endpoint, state, targets)
            except Exception as exc:  # bad data saved without full_clean(): skip, say why
                by_id[endpoint.pk] = f"endpoint {endpoint.pk} cannot be sent to: {exc}"
                logger.error("signalhooks: %s", by_id[endpoint.pk])
                continue
            by_id[endpoint.pk] = target
            if endpoint.is_active:
                matcher = compile_patterns(endpoint.event_types or [])
                entries.append(Entry(endpoint.pk, target, _owner_key(endpoint), matcher))
        for endpoint_id, state in self._states.items():
            if endpoint_id not in states:  # deleted: deliveries still queued fail at once
                state.blocked = f"endpoint {endpoint_id} no longer exists (deleted)"
        self._states, self._targets = states, targets
        return Routes(alias, revision, tuple(entries), by_id)

    def _target(
        self,
        endpoint: Endpoint,
        state: EndpointState,
        targets: dict[int, tuple[tuple[Any, ...], EndpointTarget]],
    ) -> EndpointTarget:
        """The endpoint's target: the same object while its configuration is the same."""
        expires = endpoint.previous_secret_expires_at
        config = (
            endpoint.url,
            tuple(sorted((endpoint.headers or {}).items())),
            endpoint.secret,
            endpoint.previous_secret,
            expires.timestamp() if expires is not None else None,
            endpoint.rate_limit,
            (endpoint.timeout, endpoint.max_attempts),
            endpoint.payload_format,
            endpoint.ordered,
        )
        known = self._targets.get(endpoint.pk)
        target = known[1] if known is not None and known[0] == config else None
        if target is None:
            target = EndpointTarget.build(endpoint, state)
        targets[endpoint.pk] = (config, target)
        return target


def _owner_key(endpoint: Endpoint) -> OwnerKey:
    owner_type = endpoint.owner_type
    if owner_type is None or not endpoint.owner_id:
        return None
    return (f"{owner_type.app_label}.{owner_type.model}", str(endpoint.owner_id))


endpoint_index = EndpointIndex()


@receiver(endpoints_changed)
def _changed(**kwargs: Any) -> None:
    endpoint_index.invalidate()


@receiver(endpoints_enabled)
def _enabled(*, endpoint_ids: list[int], **kwargs: Any) -> None:
    endpoint_index.forget_failures(endpoint_ids)


def _after_fork_in_child() -> None:
    # The lock may have been held by another thread at fork time.
    endpoint_index._lock = threading.Lock()


os.register_at_fork(after_in_child=_after_fork_in_child)
