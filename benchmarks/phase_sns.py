"""Phase 4/6: SNS messages/s, batched (signalhooks) vs one ``Publish`` per event.

Botocore spends most of a call's CPU on serializing, signing and parsing, so coalescing
up to 10 events per ``PublishBatch`` should multiply messages/s; the baseline is the
obvious async implementation, ``aiobotocore`` ``publish()`` per event with the same
concurrency as the library's in-flight cap. The sink (``tests.support.sink_process sns``)
counts published messages; with ``--fail-fraction`` it fails batch entries so the library
must retry them.
"""

from __future__ import annotations

import asyncio
import os
import time
from typing import Any

from benchmarks import common

MODES = ["raw_aiobotocore", "signalhooks"]
TOPIC = "arn:aws:sns:us-east-1:123456789012:bench"
MESSAGE = "Django Signal triggered"


def attributes(instance_b64: str, pk: int) -> dict[str, dict[str, str]]:
    """The MessageAttributes signalhooks (and 0.1.1) attach to every message."""
    return {
        "Event": {"DataType": "String", "StringValue": "bench.item:created"},
        "InstanceId": {"DataType": "String", "StringValue": str(pk)},
        "Instance": {"DataType": "String", "StringValue": instance_b64},
    }


async def _raw(
    sink_url: str, events: int, concurrency: int, instance_b64: str
) -> tuple[float, float]:
    """Publish ``events`` messages, one call each; return timed wall and CPU seconds."""
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    config = AioConfig(max_pool_connections=concurrency, retries={"max_attempts": 1})
    session = get_session()
    async with session.create_client(
        "sns",
        region_name="us-east-1",
        endpoint_url=sink_url,
        aws_access_key_id="x",
        aws_secret_access_key="y",
        config=config,
    ) as client:
        await client.publish(TopicArn=TOPIC, Message=MESSAGE)  # warm-up, not counted
        common.sink_stats(sink_url, reset=True)
        todo = iter(range(events))

        async def worker() -> None:
            for i in todo:
                attrs = attributes(instance_b64, i + 1)
                await client.publish(TopicArn=TOPIC, Message=MESSAGE, MessageAttributes=attrs)

        t0, c0 = time.perf_counter(), common.cpu_seconds()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return time.perf_counter() - t0, common.cpu_seconds() - c0


def _library(sink_url: str, events: int) -> tuple[float, float, dict[str, Any]]:
    from django.db.models.signals import post_save

    import signalhooks
    from benchmarks.benchapp.models import Item
    from signalhooks.hooks import SNSSignalHook

    hook = SNSSignalHook(
        sns_topic_arn=TOPIC, endpoint_url=sink_url, aws_access_key="x", aws_secret_key="y"
    )
    post_save.connect(hook, sender=Item, weak=False)
    post_save.send(sender=Item, instance=common.make_item(0), created=True)  # warm-up
    signalhooks.flush(timeout=30.0)
    items = [common.make_item(i + 1) for i in range(events)]
    common.sink_stats(sink_url, reset=True)
    t0, c0 = time.perf_counter(), common.cpu_seconds()
    for item in items:
        post_save.send(sender=Item, instance=item, created=True)
    flushed = signalhooks.flush(timeout=120.0)
    wall, cpu = time.perf_counter() - t0, common.cpu_seconds() - c0
    return wall, cpu, {"flushed": flushed, "lib_stats": common.library_stats()}


def run(mode: str, sink_url: str, events: int, concurrency: int) -> dict[str, Any]:
    os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")
    common.setup_django()
    result: dict[str, Any] = {"phase": "sns", "mode": mode, "events": events}
    if mode == "raw_aiobotocore":
        body = common.webhook_body(common.make_item(1))
        instance_b64 = body.decode().split('"Instance": "')[1].split('"')[0]
        wall, cpu = asyncio.run(_raw(sink_url, events, concurrency, instance_b64))
        result["concurrency"] = concurrency
    else:
        wall, cpu, extra = _library(sink_url, events)
        result.update(extra)
    count = common.wait_for_count(sink_url, events, timeout=5.0)
    sink = common.sink_stats(sink_url)
    result.update(
        wall_s=wall,
        cpu_per_message_us=cpu / max(count, 1) * 1e6,
        sink_count=count,
        complete=count >= events,
        sink_requests=sink["requests"],
        sink_failed_entries=sink["failed"],
        messages_per_request=count / max(sink["requests"], 1),
        rate=count / wall,
    )
    return result


def main(argv: list[str] | None = None) -> None:
    parser = common.base_parser(__doc__, MODES)
    parser.add_argument("--concurrency", type=int, default=100)
    args = parser.parse_args(argv)
    common.emit(run(args.mode, args.sink_url, args.events, args.concurrency))


if __name__ == "__main__":
    main()
