"""Every option of every hook is validated at construction (issue 12, point 2).

An invalid value raises ``ImproperlyConfigured`` naming the option and showing the
value (secrets excepted), so nothing a user can pass reaches the delivery loop.
"""

from __future__ import annotations

import importlib
import json
import math
from typing import Any

import httpx
import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from signalhooks import conf
from signalhooks.hooks import HTTPSignalHook, SNSSignalHook

URL = "https://hooks.example/in"
ARN = "arn:aws:sns:eu-west-1:123456789012:orders"
NAN = float("nan")


def http(**options: Any) -> HTTPSignalHook:
    url = options.pop("request_url", URL)
    return HTTPSignalHook(request_url=url, **options)


def sns(**options: Any) -> SNSSignalHook:
    arn = options.pop("sns_topic_arn", ARN)
    return SNSSignalHook(arn, **options)


# (factory, option, bad value, text the message must contain besides the option name)
CASES: list[tuple[Any, str, Any, str]] = []
for factory in (http, sns):
    for option in ("timeout",):
        for value in (NAN, math.inf, -math.inf, 0, -1, True, False, "5", [5]):
            CASES.append((factory, option, value, repr(value)))
    for option in ("max_attempts", "max_in_flight"):
        for value in (0, -1, 1.5, NAN, True, "3", None.__class__):
            CASES.append((factory, option, value, repr(value)))
    for option, value in [
        ("event", ""),
        ("event", 7),
        ("fields", "name"),
        ("fields", []),
        ("fields", [1]),
        ("exclude", [""]),
        ("serializer", "json"),
        ("use_natural_keys", "yes"),
        ("when", True),
        ("when_changed", "name"),
        ("durable", "yes"),
        ("durable", 1),
    ]:
        CASES.append((factory, option, value, repr(value)))
for value in (0, -1, -0.5, NAN, math.inf, True, "10", [10]):
    CASES.append((http, "rate_limit", value, repr(value)))
for value in ("yes", 1, None):
    CASES.append((http, "ordered", value, repr(value)))
CASES += [
    (http, "request_url", "ftp://files.example/x", "'ftp://files.example/x'"),
    (http, "request_url", "https://", "'https://'"),
    (http, "request_url", "https://host:99999/x", "'https://host:99999/x'"),
    (http, "request_url", "https://host/a\r\nX: y", "X: y"),
    (http, "request_url", " https://host/x", "' https://host/x'"),
    (http, "request_url", b"https://host/x", "b'https://host/x'"),
    (http, "request_method", "get", "'get'"),
    (http, "request_method", 7, "7"),
    (http, "headers", "X-Token: 1", "'X-Token: 1'"),
    (http, "headers", [("X-Token", "1")], "[('X-Token', '1')]"),
    (http, "headers", {"X-Token": 1}, "1"),
    (http, "headers", {"X-Token": b"1"}, "b'1'"),
    (http, "headers", {7: "1"}, "7"),
    (http, "headers", {"X Token": "1"}, "'X Token'"),
    (http, "headers", {"": "1"}, "''"),
    (http, "headers", {"X-Token": "a\r\nX-Evil: 1"}, "X-Evil"),
    (http, "headers", {"X-Token": "a\nb"}, "'a\\nb'"),
    (http, "headers", {"X-Bad\n": "1"}, "X-Bad"),
    (http, "http_client", "httpx", "'httpx'"),
    (http, "http_client", 42, "42"),
    (http, "ssl_context", "ca.pem", "str"),
    (sns, "sns_topic_arn", "arn:aws:sqs:eu-west-1:123456789012:q", "arn:aws:sqs"),
    (sns, "sns_topic_arn", 42, "42"),
    (sns, "sns_topic_arn", ARN + "\n", repr(ARN + "\n")),
    (sns, "aws_region", 123, "123"),
    (sns, "aws_region", "", "''"),
    (sns, "aws_region", "Europe", "'Europe'"),
    (sns, "endpoint_url", "localhost:4566", "'localhost:4566'"),
    (sns, "message_body", "json", "'json'"),
    (sns, "message_group_id", "g", "FIFO"),
]


def _id(case: tuple[Any, str, Any, str]) -> str:
    return f"{case[0].__name__}-{case[1]}={case[2]!r}"[:60]


@pytest.mark.parametrize(("factory", "option", "value", "shown"), CASES, ids=map(_id, CASES))
def test_invalid_option_is_refused_with_its_name_and_value(factory, option, value, shown):
    with pytest.raises(ImproperlyConfigured) as caught:
        factory(**{option: value})
    message = str(caught.value)
    assert option in message, message
    assert shown in message, message


@pytest.mark.parametrize("package", ["httpx", "httpx2"])
def test_sync_client_is_refused_with_a_reason(package):
    module = importlib.import_module(package)
    with pytest.raises(ImproperlyConfigured, match=rf"{package}\.Client is synchronous"):
        http(http_client=module.Client())


@pytest.mark.parametrize("package", ["httpx", "httpx2"])
def test_async_clients_of_both_packages_are_accepted(package):
    client = importlib.import_module(package).AsyncClient()
    assert http(http_client=client).target.http_client is client


@pytest.mark.parametrize("option", ["aws_access_key", "aws_secret_key"])
def test_credentials_of_the_wrong_type_are_refused_without_echoing_them(option):
    secret_like = 1234567890123
    other = "aws_secret_key" if option == "aws_access_key" else "aws_access_key"
    with pytest.raises(ImproperlyConfigured, match=option) as caught:
        sns(**{option: secret_like, other: "x"})
    assert str(secret_like) not in str(caught.value)


def test_valid_options_are_accepted():
    http(
        timeout=0.5,
        max_attempts=1,
        max_in_flight=3,
        headers={"X-Token": "abc", "Authorization": "Bearer t0k3n=="},
        http_client=httpx.AsyncClient,
        request_method="PATCH",
        request_url="http://[::1]:8080/hook?x=1",
    )
    sns(aws_region="us-gov-west-1", endpoint_url="http://127.0.0.1:4566", timeout=3)
    sns(aws_region="cn-north-1", aws_access_key="AKID", aws_secret_key="s3cr3t")


def test_sns_message_body_attributes_is_the_default_and_seed_its_alias():
    """The fixed message with the data as attributes, by its descriptive name; "seed"
    (its 0.1 name) stays accepted, and both keep the outbox key rows were stored with."""
    from signalhooks.outbox.codec import hook_key
    from signalhooks.snapshot.events import custom_event
    from signalhooks.targets.sns import SEED_MESSAGE

    default, named, alias = sns(), sns(message_body="attributes"), sns(message_body="seed")
    assert hook_key(default) == hook_key(named) == hook_key(alias)
    assert hook_key(sns(message_body="event")) != hook_key(default)
    event = custom_event("orders.placed", {"id": 1})
    for hook in (default, named, alias):
        message = hook.target.default_message(event)
        values = message.attribute_values()
        assert message.message == SEED_MESSAGE and values["Event"] == "orders.placed"
        assert json.loads(values["Data"]) == {"id": 1}


def test_ipv6_targets_are_named_as_urls():
    hook = http(request_url="http://[::1]:8080/hook?token=secret")
    assert hook.target.name == "POST http://[::1]:8080/hook"
    assert repr(hook) == "<HTTPSignalHook POST http://[::1]:8080/hook>"
    assert http(request_url="https://[2001:db8::1]/x").target.name == "POST https://[2001:db8::1]/x"


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("TIMEOUT", NAN),
        ("TIMEOUT", math.inf),
        ("RETRY_BACKOFF", -1.0),
        ("RETRY_AFTER_MAX", NAN),
        ("SHUTDOWN_TIMEOUT", -1),
        ("RESPONSE_BODY_LIMIT", -5),
        ("DURABLE_LEASE", NAN),
        ("DURABLE_RETRY_SCHEDULE", [0, NAN]),
        ("MAX_ATTEMPTS", True),
        ("ENDPOINT_CACHE_TTL", -1),
        ("ENDPOINT_DISABLE_AFTER", NAN),
        ("ENDPOINT_BLOCK_PRIVATE_ADDRESSES", "yes"),
    ],
)
def test_settings_numbers_must_be_finite_and_in_range(key, value):
    problems = conf.validate({key: value})
    assert len(problems) == 1 and key in problems[0] and repr(value) in problems[0]
    with override_settings(SIGNALHOOKS={key: value}), pytest.raises(ImproperlyConfigured):
        conf.settings()


def test_endpoints_hook_options_are_checked():
    from signalhooks.hooks import EndpointsHook

    with pytest.raises(ImproperlyConfigured, match="owner= must be a callable"):
        EndpointsHook(owner="shop")  # type: ignore[arg-type]
    with pytest.raises(ImproperlyConfigured, match="durable must be True, False or None"):
        EndpointsHook(durable="yes")  # type: ignore[arg-type]
    for option in ("timeout", "max_attempts", "max_in_flight"):  # docs/hooks.md says so
        with pytest.raises(TypeError, match=option):
            EndpointsHook(**{option: 5})  # the settings' limits; a rate_limit per endpoint
    assert EndpointsHook().durable is True and HTTPSignalHook("https://a.example/").durable is None
    with pytest.raises(ImproperlyConfigured, match="when_changed"):
        EndpointsHook(when_changed=[])


def test_per_object_order_needs_durable_delivery_and_a_valid_key():
    from signalhooks.hooks import EndpointsHook

    with pytest.raises(ImproperlyConfigured, match="durable"):
        http(ordered=True, durable=False)
    with pytest.raises(ImproperlyConfigured, match="order_key= applies to ordered=True"):
        http(order_key="order_id")
    for key in ("", "order id", 7, "instance.order"):
        with pytest.raises(ImproperlyConfigured, match="order_key") as caught:
            http(ordered=True, durable=True, order_key=key)
        assert repr(key) in str(caught.value)
    with pytest.raises(ImproperlyConfigured, match="durable"):
        EndpointsHook(durable=False, order_key="order_id")
    assert http(ordered=True, durable=True, order_key="order_id")._order is not None
    assert http(ordered=True)._order is not None  # durable=None: the system check says
    assert http(rate_limit=0.5).target.rate_limit == 0.5
    assert "rate_limit" not in vars(http().target)  # unset: the hook's stored key is unchanged
