"""One dispatch, one event: every hook reached by one signal dispatch shares its id."""

from __future__ import annotations

import asyncio

import pytest
from django.dispatch import Signal

from signalhooks.hooks import HTTPSignalHook
from tests.testapp.models import Pizza

#: Module level, so errors can name it: ``tests.test_custom_signals.order_placed``.
order_placed = Signal()
pizza_baked = Signal()


def _ids(sent):
    return [item.event_id for item in sent]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["send", "send_robust", "asend", "async_receiver"])
def test_one_dispatch_is_one_event_id_across_hooks(connect, how):
    """The event id is the same across all hooks of one dispatch, whatever the signal."""
    from signalhooks.testing import capture_hooks

    signal = Signal()
    hooks = [
        HTTPSignalHook(request_url="https://a.example/hook", event="orders.placed"),
        HTTPSignalHook(request_url="https://b.example/hook", event="other.name"),
        HTTPSignalHook(request_url="https://c.example/hook", when=lambda instance, **kw: True),
    ]
    for hook in hooks:
        connect(signal, hook.async_receiver if how == "async_receiver" else hook)

    def dispatch(**kwargs):
        if how in ("asend", "async_receiver"):
            asyncio.run(signal.asend(sender=None, **kwargs))
        else:
            getattr(signal, how)(sender=None, **kwargs)

    with capture_hooks() as sent:
        dispatch(order_id=7)
        dispatch(order_id=7)  # the same objects again: a new dispatch, a new id
    first, second = _ids(sent[:3]), _ids(sent[3:])
    assert len(set(first)) == 1 and len(set(second)) == 1, _ids(sent)
    assert first[0] != second[0]
    assert [item.data for item in sent] == [{"order_id": 7}] * 6


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("how", ["send", "asend"])
def test_a_custom_signal_with_an_instance_is_one_event_too(connect, how):
    from signalhooks.testing import capture_hooks

    pizza = Pizza.objects.create(name="Diavola")
    signal = Signal()
    plain = HTTPSignalHook(request_url="https://a.example/hook")
    shaped = HTTPSignalHook(request_url="https://b.example/hook", fields=["name"])
    for hook in (plain, shaped):
        connect(signal, hook.async_receiver if how == "asend" else hook)
    with capture_hooks() as sent:
        if how == "asend":
            asyncio.run(signal.asend(sender=Pizza, instance=pizza, oven=3))
        else:
            signal.send(sender=Pizza, instance=pizza, oven=3)
    assert len(sent) == 2 and sent[0].event_id == sent[1].event_id
    assert sent[0].payload["Timestamp"] == sent[1].payload["Timestamp"]
    assert [item.data for item in sent] == [{"oven": 3}] * 2
    assert set(sent[1].instance["fields"]) == {"name"}  # its own snapshot, the same event


@pytest.mark.django_db(transaction=True)
def test_post_save_hooks_with_their_own_payload_options_share_the_event_id(connect):
    from django.db.models.signals import post_save

    from signalhooks.testing import capture_hooks

    connect(post_save, HTTPSignalHook(request_url="https://a.example/hook"), sender=Pizza)
    connect(
        post_save, HTTPSignalHook(request_url="https://b.example/hook", exclude=["price"]), Pizza
    )
    with capture_hooks() as sent:
        pizza = Pizza.objects.create(name="Diavola")
        pizza.save()
    assert [item.event for item in sent] == ["testapp.Pizza:created"] * 2 + [
        "testapp.Pizza:updated"
    ] * 2
    assert sent[0].event_id == sent[1].event_id != sent[2].event_id == sent[3].event_id
