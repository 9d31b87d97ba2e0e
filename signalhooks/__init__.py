"""signalhooks: deliver Django signals to AWS SNS topics and HTTP(S) webhooks.

Connect a hook to any signal; every event is snapshotted in the caller's thread
and delivered in the background, concurrently, after commit, with retries::

    from django.db.models.signals import post_save
    from signalhooks.hooks import HTTPSignalHook

    post_save.connect(HTTPSignalHook(request_url="https://svc/hook"), sender=Pizza)
"""

from .checks import register_checks as _register_checks
from .engine.bridge import aflush, flush, stats
from .exceptions import SerializationError
from .hooks.base import SignalHook
from .hooks.endpoints import EndpointsHook
from .hooks.http import HTTPSignalHook
from .hooks.sns import SNSSignalHook
from .outcome.results import DeliveryResult
from .signals import delivery_failed, delivery_succeeded, endpoint_disabled
from .snapshot.events import Event

# System checks are registered on import, not only in AppConfig.ready(): a project
# that uses hooks without "signalhooks" in INSTALLED_APPS is the one that needs E008.
_register_checks()

#: The version of the installed package.
__version__ = "1.0.0.dev0"

__all__ = [
    "DeliveryResult",
    "EndpointsHook",
    "Event",
    "HTTPSignalHook",
    "SNSSignalHook",
    "SerializationError",
    "SignalHook",
    "__version__",
    "aflush",
    "delivery_failed",
    "delivery_succeeded",
    "endpoint_disabled",
    "flush",
    "stats",
]
