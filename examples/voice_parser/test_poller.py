"""The voice-parser's tests: notes stored by MediaIngest, polled back with the S3 fixtures."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from ai_voice_shared import MediaIngest, S3ObjectMetadata
from ai_voice_shared_testing import FakeTwilioApi, S3Bucket
from examples.voice_parser import VoiceNote, VoiceNotePoller, run

SENDER = "whatsapp:+15555550100"


@pytest.fixture
def parsed() -> list[VoiceNote]:
    return []


@pytest.fixture
def poller(s3_bucket: S3Bucket, parsed: list[VoiceNote]) -> VoiceNotePoller:
    return VoiceNotePoller(s3_bucket.service, parsed.append)


def test_each_stored_voice_note_is_handled_once_with_its_metadata(
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    poller: VoiceNotePoller,
    parsed: list[VoiceNote],
) -> None:
    first = twilio_api.voice_note(b"OggS first", from_=SENDER)
    second = twilio_api.voice_note(b"OggS second", from_=SENDER)
    media_ingest.ingest(first)
    media_ingest.ingest(second)

    assert len(poller.poll()) == 2
    assert poller.poll() == []  # listed again (the margin), handled once

    by_sid = {note.message_sid: note for note in parsed}
    assert by_sid[first.message_sid].audio == b"OggS first"
    assert by_sid[second.message_sid].media_type == "audio/ogg"
    assert by_sid[first.message_sid].customer_id is None  # ingested without a customer


def test_a_redelivered_webhook_is_not_handled_twice(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, poller: VoiceNotePoller
) -> None:
    payload = twilio_api.voice_note(b"OggS", from_=SENDER)
    media_ingest.ingest(payload)
    assert len(poller.poll()) == 1

    (again,) = media_ingest.ingest(payload)  # Twilio delivered the webhook again

    assert again.already_stored
    assert poller.poll() == []


def test_a_note_stored_after_a_run_is_handled_by_the_next(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, poller: VoiceNotePoller
) -> None:
    media_ingest.ingest(twilio_api.voice_note(b"OggS 1", from_=SENDER))
    assert len(poller.poll()) == 1

    media_ingest.ingest(twilio_api.voice_note(b"OggS 2", from_=SENDER))

    assert [note.audio for note in poller.poll()] == [b"OggS 2"]


def test_other_media_are_marked_read_but_not_handled(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, poller: VoiceNotePoller
) -> None:
    media_ingest.ingest(twilio_api.message((b"\x89PNG", "image/png"), from_=SENDER))

    assert poller.poll() == []
    assert len(poller.state.read) == 1


def test_a_failed_note_is_tried_again_by_the_next_run(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, s3_bucket: S3Bucket
) -> None:
    media_ingest.ingest(twilio_api.voice_note(b"OggS", from_=SENDER))
    failures = [RuntimeError("the speech service is down")]

    def handle(note: VoiceNote) -> None:
        if failures:
            raise failures.pop()

    poller = VoiceNotePoller(s3_bucket.service, handle)

    assert poller.poll() == []
    assert len(poller.poll()) == 1


def listed_as(s3_bucket: S3Bucket, times: dict[str, datetime]) -> Any:
    """An ``iter_objects`` that lists the given keys with the given S3 times (a write that
    started early and finished late), filtered as S3Service filters."""

    def iter_objects(prefix: str = "", **options: Any) -> Iterator[S3ObjectMetadata]:
        since = options.get("modified_since")
        for key, stamped in sorted(times.items()):
            item = s3_bucket.service.head_object(key).model_copy(update={"last_modified": stamped})
            if since is None or stamped >= since.replace(microsecond=0):
                yield item

    return iter_objects


@pytest.mark.parametrize(("margin", "handled"), [(timedelta(minutes=5), 1), (timedelta(0), 0)])
def test_a_note_listed_late_with_an_earlier_time_needs_the_margin(
    s3_bucket: S3Bucket,
    monkeypatch: pytest.MonkeyPatch,
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
    margin: timedelta,
    handled: int,
) -> None:
    (fast,) = media_ingest.ingest(twilio_api.voice_note(b"OggS fast", from_=SENDER))
    (slow,) = media_ingest.ingest(twilio_api.voice_note(b"OggS slow", from_=SENDER))
    stamped = s3_bucket.service.head_object(fast.key).last_modified
    poller = VoiceNotePoller(s3_bucket.service, lambda note: None, margin=margin)
    service: Any = s3_bucket.service
    monkeypatch.setattr(service, "iter_objects", listed_as(s3_bucket, {fast.key: stamped}))
    assert len(poller.poll()) == 1  # the slow note's write has not finished: not listed yet

    # It finishes: S3 lists it with the time its write started, a minute before the fast one.
    later = {fast.key: stamped, slow.key: stamped - timedelta(minutes=1)}
    monkeypatch.setattr(service, "iter_objects", listed_as(s3_bucket, later))

    assert len(poller.poll()) == handled  # without a margin, it is never seen


def test_the_keys_read_are_forgotten_once_no_listing_returns_them(
    s3_bucket: S3Bucket,
    monkeypatch: pytest.MonkeyPatch,
    twilio_api: FakeTwilioApi,
    media_ingest: MediaIngest,
) -> None:
    (old,) = media_ingest.ingest(twilio_api.voice_note(b"OggS old", from_=SENDER))
    (new,) = media_ingest.ingest(twilio_api.voice_note(b"OggS new", from_=SENDER))
    stamped = s3_bucket.service.head_object(old.key).last_modified
    poller = VoiceNotePoller(s3_bucket.service, lambda note: None)
    service: Any = s3_bucket.service
    monkeypatch.setattr(service, "iter_objects", listed_as(s3_bucket, {old.key: stamped}))
    poller.poll()
    assert set(poller.state.read) == {old.key}

    later = {old.key: stamped, new.key: stamped + timedelta(hours=1)}
    monkeypatch.setattr(service, "iter_objects", listed_as(s3_bucket, later))
    poller.poll()

    assert set(poller.state.read) == {new.key}  # old is before the watermark: never listed again


def test_run_polls_until_stopped(
    twilio_api: FakeTwilioApi, media_ingest: MediaIngest, s3_bucket: S3Bucket
) -> None:
    media_ingest.ingest(twilio_api.voice_note(b"OggS", from_=SENDER))
    stop = threading.Event()

    def handle(note: VoiceNote) -> None:
        stop.set()

    run(VoiceNotePoller(s3_bucket.service, handle), interval=0, stop=stop)

    assert stop.is_set()
