"""The reference voice-parser: notes stored by MediaIngest, handed over by S3 events on SQS,
processed once; with the plugin's fixtures only."""

from __future__ import annotations

import pytest

from ai_voice_shared import MediaIngest, S3EventNotification, VoiceNoteSweep
from ai_voice_shared_testing import FakeTwilioApi, S3Bucket, SqsQueue, VirtualTime
from examples.voice_parser import RESULTS, VoiceNote, VoiceParser, run

SENDER = "whatsapp:+15555550100"


@pytest.fixture
def processed() -> list[VoiceNote]:
    return []


@pytest.fixture
def parser(s3_bucket: S3Bucket, processed: list[VoiceNote]) -> VoiceParser:
    def process(note: VoiceNote) -> bytes:
        processed.append(note)
        return b"transcript of " + note.message_sid.encode()

    return VoiceParser(s3_bucket.service, process)


@pytest.fixture
def queue(s3_bucket: S3Bucket, sqs_queue: SqsQueue) -> SqsQueue:
    s3_bucket.notify(sqs_queue)
    return sqs_queue


def test_each_ingested_note_is_processed_once_and_its_event_acknowledged(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    s3_bucket: S3Bucket,
    queue: SqsQueue,
    parser: VoiceParser,
    processed: list[VoiceNote],
) -> None:
    payload = twilio_api.voice_note(b"OggS note", from_=SENDER)
    (stored,) = media_ingest.ingest(payload)
    consumer = queue.consumer(parser.handle)

    for _ in range(3):  # the test event, the note, then the result's own event
        consumer.poll()

    (note,) = processed
    assert (note.key, note.audio, note.media_type) == (stored.key, b"OggS note", "audio/ogg")
    assert note.customer_id is None  # ingested without a customer
    assert s3_bucket.get(RESULTS + stored.key) == b"transcript of " + payload.message_sid.encode()
    assert queue.depth() == {"visible": 0, "in_flight": 0, "dead": 0}


def test_a_redelivered_event_is_not_processed_again_even_by_a_fresh_replica(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    queue: SqsQueue,
    parser: VoiceParser,
    processed: list[VoiceNote],
) -> None:
    media_ingest.ingest(twilio_api.voice_note(b"OggS", from_=SENDER))
    consumer = queue.consumer(parser.handle)
    handled = [r for _ in range(3) for r in consumer.poll().handled]
    (record,) = [r for r in handled if not r.key.startswith(RESULTS)]

    queue.send(S3EventNotification(Records=[record]))  # SQS delivers it once more
    queue.consumer(parser.handle).poll()  # another replica: its own dedupe knows nothing

    assert len(processed) == 1  # the stored result makes the handler idempotent


def test_a_failed_processing_is_delivered_again_and_then_succeeds(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    s3_bucket: S3Bucket,
    queue: SqsQueue,
    aivs_clock: VirtualTime,
) -> None:
    (stored,) = media_ingest.ingest(twilio_api.voice_note(b"OggS", from_=SENDER))
    attempts: list[str] = []

    def process(note: VoiceNote) -> bytes:
        attempts.append(note.key)
        if len(attempts) == 1:
            raise RuntimeError("the speech service is down")
        return b"ok"

    consumer = queue.consumer(VoiceParser(s3_bucket.service, process).handle)
    assert [len(consumer.poll().failed) for _ in range(2)] == [1, 0]
    aivs_clock.advance(31)  # the retry delay
    consumer.poll()

    assert attempts == [stored.key, stored.key]
    assert s3_bucket.get(RESULTS + stored.key) == b"ok"


def test_other_media_are_marked_done_without_processing(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    s3_bucket: S3Bucket,
    parser: VoiceParser,
    processed: list[VoiceNote],
) -> None:
    (stored,) = media_ingest.ingest(twilio_api.message((b"\x89PNG", "image/png"), from_=SENDER))

    assert parser.parse(stored.key)

    assert processed == []
    assert s3_bucket.get(RESULTS + stored.key) == b""


def test_the_sweep_finds_a_note_whose_event_was_lost_and_skips_the_rest(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    s3_bucket: S3Bucket,
    parser: VoiceParser,
    processed: list[VoiceNote],
) -> None:
    (first,) = media_ingest.ingest(twilio_api.voice_note(b"OggS 1", from_=SENDER))
    assert parser.parse(first.key)  # handled from its event
    (lost,) = media_ingest.ingest(twilio_api.voice_note(b"OggS 2", from_=SENDER))  # no event
    sweep = VoiceNoteSweep(s3_bucket.service, page_size=1000)

    assert parser.sweep(sweep) == 1  # one listing: the lost note; the result and the first skipped

    assert [n.key for n in processed] == [first.key, lost.key]
    assert parser.sweep(sweep) == 0


def test_run_consumes_until_stopped_while_the_sweep_runs_beside_it(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    s3_bucket: S3Bucket,
    queue: SqsQueue,
    processed: list[VoiceNote],
) -> None:
    (stored,) = media_ingest.ingest(twilio_api.voice_note(b"OggS", from_=SENDER))

    def process(note: VoiceNote) -> bytes:
        processed.append(note)
        consumer.stop()  # as SIGTERM does: this note finishes, then run returns
        return b"ok"

    parser = VoiceParser(s3_bucket.service, process)
    consumer = queue.consumer(parser.handle)
    run(parser, consumer, VoiceNoteSweep(s3_bucket.service), sweep_every=0.01)

    assert [n.key for n in processed] == [stored.key]
    assert queue.unacknowledged() == []
