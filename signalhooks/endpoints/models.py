"""The ``Endpoint`` table, and the revision row that tells other processes it changed.

Every change to endpoints (``save()``, ``delete()``, and ``QuerySet.update()`` /
``bulk_create()`` / ``bulk_update()`` through ``Endpoint.objects``) bumps the revision
in the same transaction and drops this process's endpoint index at once (and again
on commit); other processes compare the revision at most every
``ENDPOINT_CACHE_TTL`` seconds (:mod:`.index`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from functools import partial
from typing import Any, ClassVar

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import MinValueValidator
from django.db import DatabaseError, models, router, transaction
from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.utils import timezone

from .. import conf
from ..signals import endpoint_disabled
from ..targets.http import display_url
from .changes import endpoints_changed, endpoints_enabled
from .validators import (
    generate_secret,
    missing_owner,
    validate_event_types,
    validate_headers,
    validate_max_attempts,
    validate_timeout,
    validate_url,
)

if not apps.is_installed("django.contrib.contenttypes"):  # pragma: no cover - a setup error
    raise ImproperlyConfigured(
        "The 'signalhooks' app needs 'django.contrib.contenttypes' in INSTALLED_APPS: an "
        "endpoint's owner is a generic relation."
    )

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType

__all__ = [
    "PAYLOAD_FORMATS",
    "ROTATION_OVERLAP",
    "Endpoint",
    "EndpointQuerySet",
    "EndpointRevision",
    "default_payload_format",
    "disable",
]

logger = logging.getLogger("signalhooks")

#: How long the previous secret keeps signing after ``rotate_secret()``.
ROTATION_OVERLAP = timedelta(hours=24)
#: The bodies an endpoint can receive (``Endpoint.payload_format``): the 0.1 body, the
#: body Standard Webhooks recommends, and the CloudEvents structured-mode envelope.
PAYLOAD_FORMATS = conf.SETTINGS["ENDPOINT_PAYLOAD_FORMAT"].choices


def default_payload_format() -> str:
    """``SIGNALHOOKS["ENDPOINT_PAYLOAD_FORMAT"]``: the format of endpoints created now."""
    return conf.settings().endpoint_payload_format


#: Fields whose changes do not change routing: they do not bump the revision. The
#: PostgreSQL trigger (migration 0005) leaves them out too, with ``updated_at``: a new
#: column written on the delivery path needs a migration that recreates it without it.
_BOOKKEEPING = frozenset({"failing_since"})


class EndpointRevision(models.Model):
    """One row (``pk=1``): a counter bumped by every change to endpoints."""

    id: models.PositiveSmallIntegerField[int, int] = models.PositiveSmallIntegerField(
        primary_key=True
    )
    revision: models.BigIntegerField[int, int] = models.BigIntegerField(default=0)

    objects: ClassVar[models.Manager[EndpointRevision]] = models.Manager()

    class Meta:
        app_label = "signalhooks"

    def __str__(self) -> str:
        return f"endpoints revision {self.revision}"

    @classmethod
    def current(cls, using: str) -> int:
        """The revision on ``using`` (0 before the first change)."""
        value = cls.objects.using(using).filter(pk=1).values_list("revision", flat=True).first()
        return int(value or 0)

    @classmethod
    def bump(cls, using: str) -> None:
        """+1, in the caller's transaction (the row is created on first use)."""
        rows = cls.objects.using(using).filter(pk=1)
        if not rows.update(revision=F("revision") + 1):
            cls.objects.using(using).bulk_create([cls(pk=1, revision=0)], ignore_conflicts=True)
            rows.update(revision=F("revision") + 1)


def _changed(using: str) -> None:
    """Endpoints changed on ``using``, in the current transaction."""
    EndpointRevision.bump(using)
    endpoints_changed.send(sender=Endpoint, using=using)  # this thread sees it at once ...
    committed = partial(endpoints_changed.send, sender=Endpoint, using=using)
    transaction.on_commit(committed, using=using)  # ... and every thread once committed


#: What re-enabling an endpoint resets, by any route: the next failure starts afresh.
_RESET_ON_ENABLE: dict[str, Any] = {"disabled_reason": "", "failing_since": None}


def _reenable(endpoints: models.QuerySet[Endpoint]) -> None:
    """``update(is_active=True)``: reset the disabled ones first (same transaction)."""
    ids = list(endpoints.filter(is_active=False).values_list("pk", flat=True))
    if ids:
        models.QuerySet.update(
            Endpoint.objects.using(endpoints.db).filter(pk__in=ids), **_RESET_ON_ENABLE
        )
        _forget_failures(ids, endpoints.db)


def _forget_failures(ids: list[int], using: str) -> None:
    """Once committed, this process's health state of ``ids`` forgets its failures too."""
    enabled = partial(endpoints_enabled.send, sender=Endpoint, endpoint_ids=ids)
    transaction.on_commit(enabled, using=using)


class EndpointQuerySet(models.QuerySet["Endpoint"]):
    """Bulk changes count as changes too: they bump the revision like ``save()`` does."""

    def update(self, **kwargs: Any) -> int:
        with transaction.atomic(using=self.db, savepoint=False):
            if kwargs.get("is_active") is True:
                _reenable(self)
            count = super().update(**kwargs)
            if count and set(kwargs) - _BOOKKEEPING:
                _changed(self.db)
        return count

    def bulk_create(self, objs: Iterable[Endpoint], *args: Any, **kwargs: Any) -> list[Endpoint]:
        with transaction.atomic(using=self.db, savepoint=False):
            created = super().bulk_create(objs, *args, **kwargs)
            if created:
                _changed(self.db)
        return created

    def bulk_update(
        self, objs: Iterable[Endpoint], fields: Iterable[str], batch_size: int | None = None
    ) -> int:
        fields = list(fields)
        with transaction.atomic(using=self.db, savepoint=False):
            count = super().bulk_update(objs, fields, batch_size=batch_size)
            if count and set(fields) - _BOOKKEEPING:
                _changed(self.db)
        return count


class Endpoint(models.Model):
    """A webhook subscription: where to POST which events, signed with its own secret.

    ``EndpointsHook`` delivers each event to every active endpoint whose
    ``event_types`` match the event name (patterns: see docs/endpoints.md),
    with the same JSON body as ``HTTPSignalHook``, signed with ``secret`` (Standard
    Webhooks) and with ``headers`` added. ``secret`` is generated on creation; it is
    never shown in ``repr()`` or, after creation, in the admin. ``timeout`` and
    ``max_attempts`` override the settings for this endpoint (empty: the settings).
    """

    url: models.CharField[str, str] = models.CharField(
        max_length=2000,
        validators=[validate_url],
        help_text="http:// or https:// URL the events are POSTed to.",
    )
    description: models.TextField[str, str] = models.TextField(blank=True, default="")
    event_types: models.JSONField[Any, Any] = models.JSONField(
        default=list,
        blank=True,
        validators=[validate_event_types],
        help_text='Patterns, e.g. "shop.Order:*" or "shop.*"; empty: every event.',
    )
    secret: models.CharField[str, str] = models.CharField(
        max_length=100, default=generate_secret, editable=False
    )
    #: The secret before the last rotation: it signs alongside until
    #: ``previous_secret_expires_at``.
    previous_secret: models.CharField[str, str] = models.CharField(
        max_length=100, blank=True, default="", editable=False
    )
    previous_secret_expires_at: models.DateTimeField[datetime | None, datetime | None] = (
        models.DateTimeField(null=True, blank=True, editable=False)
    )
    headers: models.JSONField[Any, Any] = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_headers],
        help_text='Extra request headers, e.g. {"X-Customer": "42"}.',
    )
    payload_format: models.CharField[str, str] = models.CharField(
        max_length=20,
        choices=[(name, name) for name in PAYLOAD_FORMATS],
        default=default_payload_format,
        help_text="The body sent: signalhooks (the 0.1 body), standard (Standard Webhooks' "
        '{"type", "timestamp", "data"}) or cloudevents (a CloudEvents 1.0 envelope).',
    )
    is_active: models.BooleanField[bool, bool] = models.BooleanField(default=True)
    disabled_reason: models.TextField[str, str] = models.TextField(blank=True, default="")
    rate_limit: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Deliveries per second, all processes together; empty: unlimited.",
    )
    ordered: models.BooleanField[bool, bool] = models.BooleanField(
        default=False,
        help_text="Deliver the events of one object one at a time, in the order their "
        "transactions committed (durable deliveries: a durable EndpointsHook, the default).",
    )
    timeout: models.FloatField[float | None, float | None] = models.FloatField(
        null=True,
        blank=True,
        validators=[validate_timeout],
        help_text="Seconds per attempt; empty: SIGNALHOOKS['TIMEOUT'].",
    )
    max_attempts: models.PositiveIntegerField[int | None, int | None] = models.PositiveIntegerField(
        null=True,
        blank=True,
        validators=[validate_max_attempts],
        help_text="Attempts of a delivery, the first included: durable deliveries stop "
        "after this many steps of DURABLE_RETRY_SCHEDULE, in-process ones retry up to "
        "it; empty: the whole schedule, or MAX_ATTEMPTS in process.",
    )
    owner_type: models.ForeignKey[ContentType | None, ContentType | None] = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    owner_id: models.CharField[str | None, str | None] = models.CharField(
        max_length=255, null=True, blank=True
    )
    #: Who the endpoint belongs to (a customer, a tenant...): ``EndpointsHook(owner=...)``
    #: delivers only to the endpoints of the event's owner.
    owner = GenericForeignKey("owner_type", "owner_id")
    #: When the first failure after the last success happened (``None``: healthy).
    failing_since: models.DateTimeField[datetime | None, datetime | None] = models.DateTimeField(
        null=True, blank=True, editable=False
    )
    created_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now_add=True)
    updated_at: models.DateTimeField[datetime, datetime] = models.DateTimeField(auto_now=True)

    objects: ClassVar[EndpointQuerySet] = EndpointQuerySet.as_manager()  # type: ignore[assignment]
    _loaded_active: bool | None = None  # is_active as loaded (see save())

    class Meta:
        app_label = "signalhooks"
        ordering = ("pk",)
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["owner_type", "owner_id"], name="signalhooks_endpoint_owner"),
        ]

    def __str__(self) -> str:
        return display_url(self.url) if self.url else "endpoint"

    def __repr__(self) -> str:
        state = "active" if self.is_active else "disabled"
        return f"<Endpoint {self.pk} {self} {state}>"

    @classmethod
    def from_db(cls, db: str | None, field_names: Any, values: Any, **kwargs: Any) -> Endpoint:
        endpoint = super().from_db(db, field_names, values, **kwargs)
        # What save() compares with, to tell a re-enabling (None: deferred, unknown).
        endpoint._loaded_active = endpoint.__dict__.get("is_active")
        return endpoint

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Saved; re-enabling (``is_active`` set on a disabled endpoint) resets
        ``disabled_reason`` and ``failing_since``, as :meth:`enable` does."""
        update_fields = kwargs.get("update_fields")
        reenabled = (
            self.is_active
            and (update_fields is None or "is_active" in update_fields)
            and (getattr(self, "_loaded_active", None) is False or bool(self.disabled_reason))
        )
        if reenabled:
            for name, value in _RESET_ON_ENABLE.items():
                setattr(self, name, value)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, *_RESET_ON_ENABLE}
        super().save(*args, **kwargs)
        self._loaded_active = self.is_active
        if reenabled:
            _forget_failures([self.pk], self._state.db or router.db_for_write(Endpoint))

    def clean(self) -> None:
        owner_type_id = getattr(self, "owner_type_id", None)
        if (owner_type_id is None) != (not self.owner_id):
            raise ValidationError(
                {"owner_id": "Give both the owner's type and id, or neither."}, code="owner"
            )
        problem = None if owner_type_id is None else missing_owner(owner_type_id, self.owner_id)
        if problem is not None:
            raise ValidationError({"owner_id": problem}, code="owner")

    # -- secrets -------------------------------------------------------------------

    @property
    def masked_secret(self) -> str:
        """The secret as the admin shows it after creation: its prefix and 4 characters."""
        return f"{self.secret[:10]}…" if self.secret else ""

    def signing_secrets(self, now: datetime | None = None) -> list[str]:
        """The secrets that sign now: the current one, then the previous one while it lasts."""
        now = now or timezone.now()
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and now < expires:
            return [self.secret, self.previous_secret]
        return [self.secret]

    def rotate_secret(self, overlap: timedelta = ROTATION_OVERLAP) -> str:
        """A new secret; the current one keeps signing alongside for ``overlap``. Saved.

        Returns the new secret: give it to the receiver, which may verify with either
        until the overlap ends (Standard Webhooks receivers accept any one signature).
        """
        self.previous_secret = self.secret
        self.previous_secret_expires_at = timezone.now() + overlap
        self.secret = generate_secret()
        self.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
        return self.secret

    # -- health --------------------------------------------------------------------

    def disable(self, reason: str) -> bool:
        """Stop delivering to this endpoint; ``endpoint_disabled`` is sent (once).

        Returns ``False`` if it was already disabled.
        """
        done = disable(self.pk, reason, self._state.db or router.db_for_write(Endpoint))
        if done is not None:
            self.is_active, self.disabled_reason = False, done.disabled_reason
        return done is not None

    def enable(self) -> None:
        """Deliver again: active, no disabled reason, failure history cleared (here and in
        this process's health state), so the next failure does not disable it at once.
        Saved; ``save()`` with ``is_active`` set, and ``update(is_active=True)``, do the same."""
        self.is_active, self.disabled_reason, self.failing_since = True, "", None
        self.save(update_fields=["is_active", "disabled_reason", "failing_since", "updated_at"])
        _forget_failures([self.pk], self._state.db or router.db_for_write(Endpoint))


def disable(endpoint_id: int, reason: str, using: str) -> Endpoint | None:
    """Disable endpoint ``endpoint_id`` if active; send ``endpoint_disabled``; the instance.

    ``None`` if it was already disabled (or is gone). Any thread but the delivery loop's.
    """
    with transaction.atomic(using=using):
        count = (
            Endpoint.objects.using(using)
            .filter(pk=endpoint_id, is_active=True)
            .update(is_active=False, disabled_reason=reason[:2000], updated_at=timezone.now())
        )
    if not count:
        return None
    endpoint = Endpoint.objects.using(using).filter(pk=endpoint_id).first()
    if endpoint is None:
        return None
    logger.warning("signalhooks: endpoint %s disabled: %s", endpoint.pk, reason)
    for receiver, response in endpoint_disabled.send_robust(
        sender=Endpoint, endpoint=endpoint, reason=reason
    ):
        if isinstance(response, Exception):
            logger.error("endpoint_disabled receiver %r raised %r", receiver, response)
    return endpoint


def _saved(sender: type[Endpoint], instance: Endpoint, using: str, **kwargs: Any) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields is None or set(update_fields) - _BOOKKEEPING:
        _changed(using)


def _deleted(sender: type[Endpoint], instance: Endpoint, using: str, **kwargs: Any) -> None:
    from ..outbox.models import OutboxDelivery

    _changed(using)
    # Pending deliveries on this database die now, with the reason; rows elsewhere die
    # when a worker or this process comes to send them (the endpoint is gone by then).
    try:
        with transaction.atomic(using=using):  # no outbox table here: leave it to them
            OutboxDelivery.objects.using(using).filter(
                endpoint_id=instance.pk, status=OutboxDelivery.PENDING
            ).update(
                status=OutboxDelivery.DEAD,
                last_error=f"endpoint {instance.pk} was deleted",
                lease_until=None,
            )
    except DatabaseError as exc:
        logger.warning(
            "signalhooks: endpoint %s deleted; its rows stay pending: %s", instance.pk, exc
        )


post_save.connect(_saved, sender=Endpoint, dispatch_uid="signalhooks.endpoints.saved")
post_delete.connect(_deleted, sender=Endpoint, dispatch_uid="signalhooks.endpoints.deleted")
