"""The hooks you connect to any Django signal (stage 1 of the flow: signal -> receiver).

A hook object is a *sync* receiver: called by ``Signal.send()`` (and so by
``Model.save()``), it snapshots the event in the caller's thread and hands one
delivery to the background engine, after commit when inside ``atomic()``. It
never waits on the network and never raises into the sender.

``EndpointsHook`` delivers to the endpoints stored in the database
(:class:`signalhooks.models.Endpoint`) instead of a target given in code.

``hook.async_receiver`` is the awaited counterpart for ``await signal.asend()``:
it returns the :class:`~signalhooks.DeliveryResult` once delivery has finished.
"""

from .base import SignalHook
from .endpoints import EndpointsHook
from .http import HTTPSignalHook
from .sns import SNSSignalHook

__all__ = ["EndpointsHook", "HTTPSignalHook", "SNSSignalHook", "SignalHook"]
