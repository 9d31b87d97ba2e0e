"""The fast query-body encoder must write exactly what urllib (botocore's path) writes."""

from __future__ import annotations

import base64
import os
import random
import string
from urllib.parse import urlencode

from signalhooks.transports.query import encode_query_body, quote_plus


class _Request:
    def __init__(self, data: object) -> None:
        self.data = data


def test_quote_plus_matches_urllib_on_awkward_text() -> None:
    from urllib.parse import quote_plus as reference

    rng = random.Random(7)
    alphabet = string.printable + "äöü€ñ漢字🍕\u0000\u00a0"
    samples = ["", " ", "a b+c/d=e", base64.b64encode(os.urandom(300)).decode()]
    samples += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 80))) for _ in range(300)
    ]
    # The fast path's alphabet (base64, plain words), with one odd character or without.
    common = string.ascii_letters + string.digits + "_.~+/= -"
    for odd in ("", "&", "%", "é", "\n"):
        samples += [
            "".join(rng.choice(common) for _ in range(rng.randint(1, 80))) + odd for _ in range(100)
        ]
    for text in samples:
        assert quote_plus(text) == reference(text), repr(text)


def test_body_is_what_botocore_would_have_encoded() -> None:
    params = {
        "Action": "PublishBatch",
        "TopicArn": "arn:aws:sns:us-east-1:123456789012:t",
        "PublishBatchRequestEntries.member.1.Message": "Django Signal triggered",
        "PublishBatchRequestEntries.member.1.MessageAttributes.entry.1.Value.StringValue": (
            base64.b64encode('{"model": "x", "name": "ünï"}'.encode()).decode()
        ),
    }
    request = _Request(dict(params))
    encode_query_body(request)
    assert request.data == urlencode(list(params.items()), doseq=True)


def test_non_string_values_are_left_to_botocore() -> None:
    request = _Request({"Action": "Publish", "Count": 3})
    encode_query_body(request)
    assert request.data == {"Action": "Publish", "Count": 3}
