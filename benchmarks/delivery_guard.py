"""DeliveryGuard's cost per webhook on each shared store, against the same requests by hand.

Redis (a real Valkey server on 127.0.0.1): the guard's claim and completion of a first delivery
against ``SET key value NX PX`` then a compare-and-set script written by hand; S3 (a real
SeaweedFS server): against a conditional ``PutObject`` (``If-None-Match: *``) then an
``If-Match`` one. Each figure also counts the requests a delivery costs, as the clients send
them (redis-py's commands, botocore's ``before-send`` events): a first delivery, and a
redelivery of a handled webhook. Target: ratio <= 1.3 on both stores.

And the in-memory guard's cost on the Starlette adapter's webhook path: verify, parse, claim,
complete, against verify and parse alone. Target: >= 0.95x the throughput (<= 1.05x the time).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

from ai_voice_shared import (
    DeliveryGuard,
    MemoryDeliveryStore,
    RedisDeliveryStore,
    S3DeliveryStore,
    S3Service,
    TwilioWebhookVerifier,
)
from benchmarks import Figure, median

ROUNDS = 15
NUMBER = 40
_CAS = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""


def _interleaved(ours: Any, baseline: Any) -> tuple[float, float]:
    """Seconds per call of each, the median of ROUNDS interleaved rounds of NUMBER calls."""
    ours()
    baseline()  # warm: connections, scripts, deferred schemas
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(ROUNDS):
        for runs, work in ((mine, ours), (theirs, baseline)):
            start = time.perf_counter()
            for _ in range(NUMBER):
                work()
            runs.append((time.perf_counter() - start) / NUMBER)
    return median(mine), median(theirs)


def _redis() -> list[Figure]:
    import redis

    from ai_voice_shared_testing.redis_server import RedisServer

    with RedisServer() as server:
        client = redis.Redis.from_url(server.url)
        cas = client.register_script(_CAS)
        guard = DeliveryGuard(RedisDeliveryStore(server.url), ttl_seconds=3600, lease_seconds=15)

        def ours() -> None:
            claim = guard.claim(uuid.uuid4().hex)
            assert claim is not None
            guard.complete(claim)

        def by_hand() -> None:
            key = "hand:" + uuid.uuid4().hex
            claimed = '{"state":"in_progress","token":"' + key + '"}'
            assert client.set(key, claimed, nx=True, px=15_000)
            assert cas(keys=[key], args=[claimed, '{"state":"completed"}', 3_600_000])

        value, baseline = _interleaved(ours, by_hand)

        sent: list[object] = []
        store_client = guard.store._client  # type: ignore[attr-defined]
        execute = store_client.execute_command

        def counting(*args: Any, **options: Any) -> Any:
            sent.append(args[0])
            return execute(*args, **options)

        store_client.execute_command = counting

        def counted(work: Any) -> int:
            sent.clear()
            work()
            return len(sent)

        first = counted(lambda: guard.complete(guard.claim("count-me")))  # type: ignore[arg-type]
        again = counted(lambda: guard.claim("count-me"))
        client.close()
        guard.store.close()
    return [
        Figure(
            name="delivery guard on Redis (Valkey), first delivery (vs SET NX PX + a CAS script "
            f"by hand); requests: first delivery {first}, redelivery of a handled one {again}",
            value=value * 1000,
            baseline=baseline * 1000,
            unit="ms",
            target=1.3,
            bound="max",
            extra_ok=(first, again) == (2, 1),
            extra="2 requests for a first delivery, 1 for a redelivery",
        )
    ]


def _s3() -> list[Figure]:
    from ai_voice_shared_testing import SeaweedFSServer
    from ai_voice_shared_testing.s3_bucket import create_bucket

    with SeaweedFSServer() as server:
        service = S3Service(server.s3_settings("aivs-bench-deliveries"))
        create_bucket(service.client, service.bucket, server.region)
        guard = DeliveryGuard(S3DeliveryStore(service), ttl_seconds=3600, lease_seconds=15)
        client = service.client
        sent: list[str] = []
        client.meta.events.register(
            "before-send.s3", lambda **kwargs: sent.append(kwargs["request"].method)
        )

        def ours() -> None:
            claim = guard.claim(uuid.uuid4().hex)
            assert claim is not None
            guard.complete(claim)

        def by_hand() -> None:
            key = f"hand/{uuid.uuid4().hex}.json"
            body = b'{"state":"in_progress","token":"' + key.encode() + b'"}'
            put = client.put_object(Bucket=service.bucket, Key=key, Body=body, IfNoneMatch="*")
            client.put_object(
                Bucket=service.bucket, Key=key, Body=b'{"state":"completed"}', IfMatch=put["ETag"]
            )

        value, baseline = _interleaved(ours, by_hand)
        sent.clear()
        claim = guard.claim("count-me")
        assert claim is not None
        guard.complete(claim)
        first = len(sent)
        sent.clear()
        guard.claim("count-me")
        again = len(sent)
        service.close()
    return [
        Figure(
            name="delivery guard on S3 (SeaweedFS), first delivery (vs a conditional PutObject + "
            f"an If-Match one by hand); requests: first delivery {first}, redelivery of a "
            f"handled one {again} (a 412 carries no body: the record is read)",
            value=value * 1000,
            baseline=baseline * 1000,
            unit="ms",
            target=1.3,
            bound="max",
            extra_ok=(first, again) == (2, 2),
            extra="2 requests for a first delivery, 2 for a redelivery",
        )
    ]


def _adapter() -> list[Figure]:
    from ai_voice_shared.adapters.starlette import verify_request
    from benchmarks.webhook_adapter import BASE, TOKEN, _cases, _request

    cases = _cases()
    verifier = TwilioWebhookVerifier(auth_token=TOKEN, webhook_base_url=BASE)
    guard = DeliveryGuard(MemoryDeliveryStore(), ttl_seconds=3600, lease_seconds=15)

    async def guarded() -> None:
        guard.clear()  # each sample is a first delivery again (the cases are 3 webhooks)
        for body, signature in cases:
            webhook = await verify_request(_request(body, signature), verifier)
            async with guard.aonce(webhook) as first:
                assert first

    async def bare() -> None:
        for body, signature in cases:
            webhook = await verify_request(_request(body, signature), verifier)
            assert webhook.payload is not None

    async def measure() -> tuple[float, float]:
        await guarded()
        await bare()
        mine: list[float] = []
        theirs: list[float] = []
        for _ in range(ROUNDS * 2):
            for runs, work in ((mine, guarded), (theirs, bare)):
                start = time.perf_counter()
                for _ in range(NUMBER * 5):
                    await work()
                runs.append((time.perf_counter() - start) / (NUMBER * 5))
        return median(mine), median(theirs)

    mine, theirs = asyncio.run(measure())
    return [
        Figure(
            name="in-memory delivery guard on the Starlette adapter's path (vs verify + parse "
            "without a guard)",
            value=len(cases) / mine,
            baseline=len(cases) / theirs,
            unit="webhooks/s",
            target=0.95,
            bound="min",
        )
    ]


def run() -> list[Figure]:
    return [*_redis(), *_s3(), *_adapter()]


if __name__ == "__main__":
    from benchmarks import format_figure

    for figure in run():
        print(format_figure(figure))
