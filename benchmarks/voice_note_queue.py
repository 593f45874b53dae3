"""The voice-note consumer (S3 events on SQS) against a listing poller and a naive SQS loop.

(a) Requests per new note found, with 10,000 notes stored, on moto in-process: the consumer's
SQS requests (receive, batch delete) against the listing poller the voice-parser used before
(``iter_objects(modified_since=...)`` every interval, listing every key). New notes arrive 5
per interval, for 4 intervals; each service checks once per interval. The note's own GET is
the same in both and left out. Target: events <= 1.2 requests per note, ratio <= 0.25; the
worst case of the events (one note per interval: one receive, one delete) is printed beside.

(b) Throughput: 300 queued events drained by the consumer (batches of 10, one
``DeleteMessageBatch`` per batch) against a naive receive-one / delete-one loop that parses
each body too, on moto with 5 ms added to every SQS request on both sides (a same-region
round trip; moto in-process answers in none, and its own per-message cost would hide what
batching saves). Target: >= 3x.

(c) Memory: peak RSS growth while the consumer drains 10,000 queued events (its dedupe memory
of 10,000 identities included), in a fresh process, from an in-process list standing in for
SQS (moto's receive scans its whole queue: 10,000 would take minutes); the baseline is the
16 MiB budget, and the naive loop's growth is printed beside. Target: ours <= 16 MiB.
"""

from __future__ import annotations

import contextlib
import json
import sys
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from benchmarks import Figure, reset_peak_rss, rss_kib, run_child

MiB = 1024 * 1024
STORED = 10_000
PER_INTERVAL, INTERVALS = 5, 4
DRAINED = 300
#: A same-region SQS round trip, paid by every request on both sides (moto answers in-process).
ROUND_TRIP = 0.005
QUEUED = 10_000


@contextlib.contextmanager
def _moto() -> Iterator[tuple[Any, Any]]:
    """A moto bucket and a queue (with its dead-letter queue), in-process."""
    from ai_voice_shared_testing import MotoBackend
    from ai_voice_shared_testing.sqs_queue import fresh_queue

    with MotoBackend() as backend, backend.fresh_bucket() as bucket, fresh_queue() as queue:
        yield bucket, queue


def _settings(queue: Any) -> Any:
    # No long poll: an empty receive would wait 20 s for real (no virtual clock here).
    return queue.settings.model_copy(update={"wait_seconds": 0})


def _send_events(queue: Any, count: int) -> None:
    from ai_voice_shared_testing.factories import S3EventNotificationFactory

    for start in range(0, count, 10):
        queue.client.send_message_batch(
            QueueUrl=queue.url,
            Entries=[
                {
                    "Id": str(n),
                    "MessageBody": S3EventNotificationFactory.body(
                        f"AC1/MM{start + n:06d}/0-ME.ogg", shape="moto"
                    ),
                }
                for n in range(min(10, count - start))
            ],
        )


def _requests() -> Figure:
    with _moto() as (bucket, queue):
        s3 = bucket.service
        _store_directly(bucket.name, STORED)
        bucket.notify(queue)
        consumer = queue.consumer(lambda record: None, settings=_settings(queue))
        consumer.poll()  # the s3:TestEvent
        since: datetime | None = None
        seen: set[str] = set()

        def poller() -> None:  # the listing poller, as examples/voice_parser had it
            nonlocal since
            for item in s3.iter_objects(modified_since=since):
                if item.key not in seen:
                    seen.add(item.key)
                    since = item.last_modified if since is None else max(since, item.last_modified)

        poller()  # the first run reads what was there
        sqs_before, s3_before = len(queue.calls), len(bucket.calls)
        found = 0
        for interval in range(INTERVALS):
            for n in range(PER_INTERVAL):
                s3.upload_bytes(f"AC2/MM{interval:03d}{n:03d}/0-ME.ogg", b"OggS")
            found += len(consumer.poll().handled)
            poller()
        events = len(queue.calls) - sqs_before
        listings = _listings(bucket.calls[s3_before:])
    notes = PER_INTERVAL * INTERVALS
    assert found == notes, found
    listing_per_interval = listings / INTERVALS
    return Figure(
        name=f"requests per new note, {STORED:,} stored, {PER_INTERVAL} new per interval: "
        f"events (receive + batch delete) vs the listing poller ({listings / notes:.2f}); "
        f"one note per interval: events 2, listing {listing_per_interval:.0f}",
        value=events / notes,
        baseline=listings / notes,
        unit="req/note",
        target=0.25,
        bound="max",
        extra_ok=events / notes <= 1.2,
        extra="events <= 1.2 requests per note",
    )


def _store_directly(bucket: str, count: int) -> None:
    """Put ``count`` notes into moto's S3 backend without a request each: 10,000 PUTs through
    botocore take minutes on moto, and only what the listing lists matters here."""
    from moto.core.models import DEFAULT_ACCOUNT_ID
    from moto.s3.models import s3_backends

    backend = s3_backends[DEFAULT_ACCOUNT_ID]["aws"]
    for n in range(count):
        backend.put_object(bucket, f"AC1/MM{n:06d}/0-ME{n:06d}.ogg", b"OggS")


def _listings(calls: list[Any]) -> int:
    return sum(1 for call in calls if call.operation == "ListObjectsV2")


def _drain(mode: str, client: Any, settings: Any, count: int) -> int:
    """Drain ``count`` events, ours or the naive way; the requests it took."""
    from ai_voice_shared import S3EventNotification, VoiceNoteConsumer

    requests = 0
    if mode == "ours":
        consumer = VoiceNoteConsumer(lambda record: None, settings=settings, client=client)
        handled = 0
        while handled < count:
            report = consumer.poll()
            handled += len(report.handled)
            requests += 1 + bool(report.deleted)
        return requests
    for _ in range(count):
        (message,) = client.receive_message(QueueUrl=settings.queue_url, MaxNumberOfMessages=1)[
            "Messages"
        ]
        S3EventNotification.parse(message["Body"])
        client.delete_message(QueueUrl=settings.queue_url, ReceiptHandle=message["ReceiptHandle"])
        requests += 2
    return requests


def _throughput() -> Figure:
    seconds: dict[str, float] = {}
    requests: dict[str, int] = {}

    def round_trip(**_: Any) -> None:
        time.sleep(ROUND_TRIP)

    with _moto() as (_, queue):
        queue.client.meta.events.register("before-send.sqs", round_trip, unique_id="aivs-rtt")
        try:
            for mode in ("naive", "ours", "naive", "ours"):  # the second round counts: warm
                _send_events(queue, DRAINED)
                start = time.perf_counter()
                requests[mode] = _drain(mode, queue.client, _settings(queue), DRAINED)
                seconds[mode] = time.perf_counter() - start
        finally:
            queue.client.meta.events.unregister("before-send.sqs", unique_id="aivs-rtt")
    return Figure(
        name=f"consumer throughput on moto, {DRAINED} events, {ROUND_TRIP * 1000:.0f} ms per SQS "
        f"round trip: batches of 10 with batch deletes, {requests['ours']} requests (vs receive "
        f"one, delete one: {requests['naive']})",
        value=DRAINED / seconds["ours"],
        baseline=DRAINED / seconds["naive"],
        unit="notes/s",
        target=3.0,
        bound="min",
    )


class _MemoryQueue:
    """The SQS calls the consumer makes, on a list in this process: the consumer's own memory
    is measured, not moto's (whose receive scans the whole queue: 10,000 take minutes)."""

    def __init__(self, bodies: list[str]) -> None:
        self.bodies = bodies
        self.next = 0

    def receive_message(self, **args: Any) -> dict[str, Any]:
        taken = self.bodies[self.next : self.next + int(args.get("MaxNumberOfMessages", 1))]
        self.next += len(taken)
        return {
            "Messages": [
                {"MessageId": str(self.next + i), "ReceiptHandle": f"r{self.next + i}", "Body": b}
                for i, b in enumerate(taken)
            ]
        }

    def delete_message(self, **args: Any) -> dict[str, Any]:
        return {}

    def delete_message_batch(self, **args: Any) -> dict[str, Any]:
        return {"Successful": [{"Id": e["Id"]} for e in args["Entries"]], "Failed": []}

    def change_message_visibility_batch(self, **args: Any) -> dict[str, Any]:
        return {"Successful": [{"Id": e["Id"]} for e in args["Entries"]], "Failed": []}

    def close(self) -> None:
        pass


def child(mode: str) -> None:
    """In a fresh process: QUEUED events waiting, then the peak RSS growth of draining them."""
    from ai_voice_shared import VoiceNoteQueueSettings
    from ai_voice_shared_testing.factories import S3EventNotificationFactory

    bodies = [
        S3EventNotificationFactory.body(f"AC1/MM{n:06d}/0-ME.ogg", shape="aws")
        for n in range(QUEUED)
    ]
    settings = VoiceNoteQueueSettings(
        queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/voice-notes", wait_seconds=0
    )
    client = _MemoryQueue(bodies)
    _drain(mode, _MemoryQueue(bodies[:20]), settings, 20)  # warm: imports, schemas
    reset_peak_rss()
    before = rss_kib("VmRSS")
    _drain(mode, client, settings, QUEUED)
    print(json.dumps({"rss_growth": max(0, (rss_kib("VmHWM") - before) * 1024)}))


def _memory() -> Figure:
    ours = run_child("benchmarks.voice_note_queue", "ours")["rss_growth"] / MiB
    naive = run_child("benchmarks.voice_note_queue", "naive")["rss_growth"] / MiB
    return Figure(
        name=f"consumer peak RSS growth draining {QUEUED:,} queued events, its dedupe memory "
        "included (vs the naive loop, which keeps nothing)",
        value=ours,
        baseline=16.0,
        unit="MiB",
        target=1.0,
        bound="max",
        extra=f"the naive loop: {naive:.1f} MiB",
    )


def run() -> list[Figure]:
    """The three figures, on moto in-process."""
    return [_requests(), _throughput(), _memory()]


if __name__ == "__main__":
    child(sys.argv[1])
