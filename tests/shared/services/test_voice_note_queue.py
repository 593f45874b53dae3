"""The voice-note consumer on moto: events from every write path, batches, failures, poison,
heartbeat, stop, dedupe; sync and async (the twins share one core)."""

from __future__ import annotations

import asyncio
import io
import json
import threading

import pytest

from ai_voice_shared import (
    ConsumerReport,
    MediaIngest,
    S3EventNotification,
    S3EventRecord,
    VoiceNoteConsumer,
    VoiceNoteQueueError,
)
from ai_voice_shared_testing import FakeTwilioApi, S3Bucket, SqsQueue, VirtualTime


@pytest.fixture
def notified(s3_bucket: S3Bucket, sqs_queue: SqsQueue) -> SqsQueue:
    s3_bucket.notify(sqs_queue)
    return sqs_queue


def drain(consumer: VoiceNoteConsumer, polls: int = 5) -> list[S3EventRecord]:
    handled: list[S3EventRecord] = []
    for _ in range(polls):
        handled += consumer.poll().handled
    return handled


def test_every_write_path_sends_an_event_the_consumer_hands_over(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    s3 = s3_bucket.service
    s3.upload_bytes("voice/put.ogg", b"OggS put")
    s3.upload_stream("voice/stream.ogg", iter([b"OggS ", b"stream"]))
    client = s3_bucket.client  # a multipart upload, part by part
    upload = client.create_multipart_upload(Bucket=s3_bucket.name, Key="voice/multipart.ogg")
    part = client.upload_part(
        Bucket=s3_bucket.name,
        Key="voice/multipart.ogg",
        UploadId=upload["UploadId"],
        PartNumber=1,
        Body=b"OggS part",
    )
    client.complete_multipart_upload(
        Bucket=s3_bucket.name,
        Key="voice/multipart.ogg",
        UploadId=upload["UploadId"],
        MultipartUpload={"Parts": [{"ETag": part["ETag"], "PartNumber": 1}]},
    )
    s3.copy_object("voice/put.ogg", "voice/copy.ogg")
    s3.upload_file("voice/file.ogg", io.BytesIO(b"OggS file"))
    handled: list[S3EventRecord] = []

    drain(notified.consumer(handled.append))

    # moto 5.2 names a completed multipart upload "ObjectCreated:Put" (AWS:
    # "ObjectCreated:CompleteMultipartUpload"); the consumer takes every ObjectCreated alike.
    assert sorted((r.key, r.event_name.split(":")[0]) for r in handled) == [
        ("voice/copy.ogg", "ObjectCreated"),
        ("voice/file.ogg", "ObjectCreated"),
        ("voice/multipart.ogg", "ObjectCreated"),
        ("voice/put.ogg", "ObjectCreated"),
        ("voice/stream.ogg", "ObjectCreated"),
    ]
    assert {r.key: r.event_name for r in handled}["voice/copy.ogg"] == "ObjectCreated:Copy"
    assert notified.depth() == {"visible": 0, "in_flight": 0, "dead": 0}


def test_a_note_ingested_by_media_ingest_reaches_the_consumer_with_its_etag(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, notified: SqsQueue
) -> None:
    (stored,) = media_ingest.ingest(twilio_api.voice_note(b"OggS note"))
    handled: list[S3EventRecord] = []

    drain(notified.consumer(handled.append))

    assert [(r.key, r.etag) for r in handled] == [(stored.key, stored.etag)]


def test_a_key_with_spaces_and_plus_signs_arrives_decoded(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    s3_bucket.service.upload_bytes("voice/a b+c%d é.ogg", b"OggS")
    handled: list[S3EventRecord] = []

    drain(notified.consumer(handled.append))

    assert [r.key for r in handled] == ["voice/a b+c%d é.ogg"]


def test_the_test_event_is_acknowledged_and_not_handed_over(notified: SqsQueue) -> None:
    report = notified.consumer(lambda r: None).poll()

    assert (report.skipped, report.handled, len(report.deleted)) == (1, [], 1)


def test_ten_messages_come_in_one_batch_and_go_in_one_delete(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    notified.consumer(lambda r: None).poll()  # the test event
    for n in range(10):
        s3_bucket.service.upload_bytes(f"voice/{n}.ogg", b"OggS")
    before = len(notified.calls)

    report = notified.consumer(lambda r: None).poll()

    assert len(report.handled) == 10
    assert [c.operation for c in notified.calls[before:]] == [
        "ReceiveMessage",
        "DeleteMessageBatch",
    ]


def test_one_failing_record_does_not_redeliver_the_others(
    s3_bucket: S3Bucket, notified: SqsQueue, aivs_clock: VirtualTime
) -> None:
    for name in ("good-1", "bad", "good-2"):
        s3_bucket.service.upload_bytes(f"voice/{name}.ogg", b"OggS")
    calls: list[str] = []

    def handle(record: S3EventRecord) -> None:
        calls.append(record.key)
        if "bad" in record.key and calls.count(record.key) == 1:
            raise RuntimeError("the speech service is down")

    consumer = notified.consumer(handle)
    first = consumer.poll()
    assert len(first.failed) == 1
    assert len(first.handled) == 2
    assert consumer.poll().handled == []  # hidden for the retry delay (30 s)

    aivs_clock.advance(31)
    again = consumer.poll()

    assert [r.key for r in again.handled] == ["voice/bad.ogg"]
    assert sorted(calls) == [
        "voice/bad.ogg",
        "voice/bad.ogg",
        "voice/good-1.ogg",
        "voice/good-2.ogg",
    ]


def test_a_poison_body_ends_in_the_dead_letter_queue_and_is_never_deleted(
    sqs_queue: SqsQueue,
) -> None:
    sqs_queue.send("not json at all")
    consumer = sqs_queue.consumer(lambda r: None)

    reports = [consumer.poll() for _ in range(sqs_queue.max_receive_count + 1)]

    assert [len(r.poison) for r in reports] == [1, 1, 1, 0]
    assert sqs_queue.dead_letters() == ["not json at all"]
    assert all(not r.deleted for r in reports)


def test_a_handler_that_always_fails_sends_its_message_to_the_dead_letter_queue(
    s3_bucket: S3Bucket, notified: SqsQueue, aivs_clock: VirtualTime
) -> None:
    notified.consumer(lambda r: None).poll()  # the test event
    s3_bucket.service.upload_bytes("voice/cursed.ogg", b"OggS")

    def handle(record: S3EventRecord) -> None:
        raise RuntimeError("always")

    consumer = notified.consumer(handle)
    failures = 0
    for _ in range(20):  # each poll with nothing visible moves the clock by the long poll
        failures += len(consumer.poll().failed)

    assert failures == notified.max_receive_count
    (dead,) = notified.dead_letters()
    assert S3EventNotification.parse(dead).records[0].key == "voice/cursed.ogg"


def test_the_heartbeat_extends_a_batch_while_a_handler_runs_long(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    notified.consumer(lambda r: None).poll()  # the test event
    s3_bucket.service.upload_bytes("voice/long.ogg", b"OggS")
    s3_bucket.service.upload_bytes("voice/next.ogg", b"OggS")
    extended = threading.Event()

    def handle(record: S3EventRecord) -> None:
        if record.key == "voice/long.ogg":  # runs until the heartbeat has fired
            extended.wait(5)

    consumer = notified.consumer(handle)
    watcher = threading.Thread(target=lambda: _wait_for_heartbeat(notified, extended))
    watcher.start()
    report = consumer.poll()
    watcher.join()

    assert extended.is_set()
    assert len(report.handled) == 2
    assert len(report.deleted) == 2


def _wait_for_heartbeat(queue: SqsQueue, seen: threading.Event) -> None:
    for _ in range(500):
        batches = [c for c in queue.calls if c.operation == "ChangeMessageVisibilityBatch"]
        if batches and all(e["VisibilityTimeout"] == 60 for e in batches[0].params["Entries"]):
            seen.set()
            return
        threading.Event().wait(0.01)


def test_a_stop_mid_batch_finishes_the_running_note_and_gives_the_rest_back(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    notified.consumer(lambda r: None).poll()  # the test event
    for n in range(3):
        s3_bucket.service.upload_bytes(f"voice/{n}.ogg", b"OggS")
    consumer: VoiceNoteConsumer

    def handle(record: S3EventRecord) -> None:
        consumer.stop()  # SIGTERM arrives while the first note is handled

    consumer = notified.consumer(handle)
    report = consumer.poll()

    assert len(report.handled) == 1
    assert len(report.deleted) == 1
    assert len(report.released) == 2
    assert notified.depth()["visible"] == 2  # visible again at once: nothing lost


def test_a_redelivered_event_is_acknowledged_without_handing_it_over_again(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    s3_bucket.service.upload_bytes("voice/once.ogg", b"OggS")
    handled: list[S3EventRecord] = []
    consumer = notified.consumer(handled.append)
    drain(consumer)
    (record,) = handled
    notified.send(json.dumps({"Records": [json.loads(record.model_dump_json(by_alias=True))]}))

    report = consumer.poll()

    assert (len(handled), len(report.duplicates), len(report.deleted)) == (1, 1, 1)


def test_a_failed_receive_is_a_queue_error_and_run_carries_on(sqs_queue: SqsQueue) -> None:
    sqs_queue.fail("ReceiveMessage", code="AccessDenied", status=403)
    consumer = sqs_queue.consumer(lambda r: None)

    with pytest.raises(VoiceNoteQueueError, match="ReceiveMessage on the voice-note queue") as e:
        consumer.poll()
    assert e.value.code == "AccessDenied"

    sqs_queue.fail("ReceiveMessage", code="AccessDenied", status=403)
    consumer.run(max_polls=2)  # logged, paused on the virtual clock, polled again


def test_a_retryable_receive_fault_is_retried_by_botocore(sqs_queue: SqsQueue) -> None:
    sqs_queue.fail("ReceiveMessage", code="InternalError", status=500, times=2)

    report = sqs_queue.consumer(lambda r: None).poll()

    assert isinstance(report, ConsumerReport)


def test_the_async_consumer_does_the_same_with_a_coroutine_handler(
    s3_bucket: S3Bucket, notified: SqsQueue, aivs_clock: VirtualTime
) -> None:
    s3_bucket.service.upload_bytes("voice/ok.ogg", b"OggS")
    s3_bucket.service.upload_bytes("voice/bad.ogg", b"OggS")
    handled: list[str] = []

    async def handle(record: S3EventRecord) -> None:
        if record.key == "voice/bad.ogg" and "bad" not in handled:
            handled.append("bad")
            raise RuntimeError("once")
        handled.append(record.key)

    async def main() -> list[ConsumerReport]:
        async with notified.async_consumer(handle) as consumer:
            first = await consumer.poll()
            aivs_clock.advance(31)
            return [first, await consumer.poll(), await consumer.poll()]

    reports = asyncio.run(main())

    assert sorted(handled) == ["bad", "voice/bad.ogg", "voice/ok.ogg"]
    assert len(reports[0].failed) == 1


def test_the_async_consumer_stops_mid_batch_and_gives_the_rest_back(
    s3_bucket: S3Bucket, notified: SqsQueue
) -> None:
    for n in range(3):
        s3_bucket.service.upload_bytes(f"voice/{n}.ogg", b"OggS")

    async def main() -> ConsumerReport:
        consumer = notified.async_consumer(lambda r: stop())
        first = await consumer.poll()  # the test event, and some notes
        assert not first.released

        async def stop() -> None:
            consumer.stop()

        consumer.handle = lambda r: stop()
        await consumer.run()
        return first

    asyncio.run(main())
    assert notified.unacknowledged() == []
