"""MediaIngest and AsyncMediaIngest: Twilio media into S3, on moto and SeaweedFS, sync and async.

The fake Twilio API of the kit serves the media (intercepted); the S3 contract suite's
backends hold the bucket (parts of 5 MiB here, so a 7 MiB note goes multipart).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterator

import pytest

from ai_voice_shared import (
    AsyncMediaIngest,
    AsyncS3Service,
    AsyncTwilioMediaClient,
    CustomerMetadata,
    MediaConflictError,
    MediaDownloadError,
    MediaIngest,
    MediaTooLargeError,
    S3Service,
    S3ServiceError,
    StoredMedia,
    TwilioMediaClient,
    TwilioWebhookPayload,
    UntrustedMediaUrlError,
)
from ai_voice_shared_testing import FakeTwilioApi
from tests.shared.services.s3_backends import FaultInjector, MiB, S3Backend

NOTE = b"OggS" + os.urandom(100_000)
BIG = b"OggS" + os.urandom(7 * MiB)
CUSTOMER = CustomerMetadata(customer_id="cus_1", company_id="co_9", company_name="Acme Ltd")
Ingest = Callable[..., list[StoredMedia]]


@pytest.fixture
def twilio() -> Iterator[FakeTwilioApi]:
    with FakeTwilioApi().intercept() as fake:
        yield fake


@pytest.fixture(params=["sync", "async"])
def ingest(request: pytest.FixtureRequest, s3: S3Service, twilio: FakeTwilioApi) -> Ingest:
    """Ingest a payload with a fresh ingest of the twin under test."""

    def run(payload: TwilioWebhookPayload, **options: object) -> list[StoredMedia]:
        settings = twilio.settings(**options)
        if request.param == "sync":
            with TwilioMediaClient(settings) as media:
                return MediaIngest(s3, media).ingest(payload, customer=CUSTOMER)

        async def go() -> list[StoredMedia]:
            async with (
                AsyncTwilioMediaClient(settings) as media,
                AsyncS3Service(service=s3, max_workers=4) as async_s3,
            ):
                return await AsyncMediaIngest(async_s3, media).ingest(payload, customer=CUSTOMER)

        return asyncio.run(go())

    return run


def uploads(backend: S3Backend, bucket: str) -> list[object]:
    return list(backend.client.list_multipart_uploads(Bucket=bucket).get("Uploads", []))


def test_a_voice_note_is_stored_once_under_its_key_with_what_a_parser_needs(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service, faults: FaultInjector
) -> None:
    payload = twilio.voice_note(NOTE, from_="whatsapp:+15555550100")

    (stored,) = ingest(payload)

    media_sid = payload.media[0].media_sid
    assert stored.key == f"{payload.account_sid}/{payload.message_sid}/0-{media_sid}.ogg"
    assert (stored.size, stored.created, stored.content_type) == (len(NOTE), True, "audio/ogg")
    assert s3.download_bytes(stored.key) == NOTE
    head = s3.head_object(stored.key)
    assert head.content_type == "audio/ogg"
    assert head.metadata == {
        "twilio-account-sid": payload.account_sid,
        "twilio-message-sid": payload.message_sid,
        "twilio-media-sid": media_sid,
        "media-index": "0",
        "media-type": "audio/ogg",
        "channel": "whatsapp",
        "customer-id": "cus_1",
        "company-id": "co_9",
    }
    assert "5555550" not in repr(head)  # never a phone number
    assert [(r.role, r.status) for r in twilio.requests] == [("api", 307), ("cdn", 200)]
    writes = [c.operation for c in faults.calls if c.operation not in ("GetObject", "HeadObject")]
    assert writes == ["HeadBucket", "PutObject"]


def test_three_media_of_one_message_are_stored_in_order_one_of_them_multipart(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service
) -> None:
    payload = twilio.message(NOTE, (BIG, "video/mp4"), (b"\x89PNG" * 100, "image/png"))

    stored = ingest(payload)

    assert [s.key.rsplit("/", 1)[1].split("-", 1)[0] for s in stored] == ["0", "1", "2"]
    assert [s.key.rsplit(".", 1)[1] for s in stored] == ["ogg", "mp4", "png"]
    assert s3.download_bytes(stored[1].key) == BIG
    assert stored[1].etag.endswith("-2")  # 5 MiB parts


@pytest.mark.parametrize("content", [NOTE, BIG], ids=["one request", "multipart"])
def test_a_redelivered_webhook_stores_nothing_twice(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service, content: bytes
) -> None:
    payload = twilio.voice_note(content)
    (first,) = ingest(payload)

    (again,) = ingest(payload)

    assert (first.already_stored, again.already_stored) == (False, True)
    assert (again.key, again.etag) == (first.key, first.etag)
    assert s3.download_bytes(first.key) == content


def test_other_bytes_under_the_key_are_a_conflict_never_an_overwrite(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service
) -> None:
    payload = twilio.voice_note(NOTE)
    key = f"{payload.account_sid}/{payload.message_sid}/0-{payload.media[0].media_sid}.ogg"
    s3.upload_bytes(key, b"something else")

    with pytest.raises(MediaConflictError, match="already holds other bytes"):
        ingest(payload)

    assert s3.download_bytes(key) == b"something else"


@pytest.mark.parametrize("content_length", [True, False], ids=["declared", "chunked"])
def test_media_over_the_cap_stores_nothing(
    twilio: FakeTwilioApi,
    ingest: Ingest,
    s3: S3Service,
    backend: S3Backend,
    bucket: str,
    content_length: bool,
) -> None:
    payload = twilio.voice_note(NOTE)
    twilio.fail(on="cdn", oversize=12 * MiB, content_length=content_length)

    with pytest.raises(MediaTooLargeError):
        ingest(payload, media_max_bytes=10 * MiB)

    assert list(s3.iter_objects()) == []
    assert uploads(backend, bucket) == []


def test_a_forged_media_url_anywhere_in_the_message_stops_everything_before_any_request(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service
) -> None:
    payload = twilio.message(NOTE, NOTE, NOTE)
    forged = payload.media[1].model_copy(update={"url": "https://attacker.example/steal"})
    payload = payload.model_copy(update={"media": (payload.media[0], forged, payload.media[2])})

    with pytest.raises(UntrustedMediaUrlError, match=r"attacker.example"):
        ingest(payload)

    assert twilio.requests == []
    assert list(s3.iter_objects()) == []


@pytest.mark.parametrize("content", [NOTE, BIG], ids=["one request", "multipart"])
def test_a_body_cut_off_stores_nothing_and_is_fetched_again(
    twilio: FakeTwilioApi,
    ingest: Ingest,
    s3: S3Service,
    backend: S3Backend,
    bucket: str,
    content: bytes,
) -> None:
    payload = twilio.voice_note(content)
    twilio.fail(on="cdn", cut_after=len(content) - 1000)

    (stored,) = ingest(payload)

    assert s3.download_bytes(stored.key) == content
    assert [r.role for r in twilio.requests].count("cdn") == 2
    assert uploads(backend, bucket) == []


def test_a_body_cut_off_every_time_leaves_nothing_and_a_rerun_completes(
    twilio: FakeTwilioApi, ingest: Ingest, s3: S3Service, backend: S3Backend, bucket: str
) -> None:
    payload = twilio.voice_note(BIG)
    twilio.fail(on="cdn", cut_after=6 * MiB, times=3)

    with pytest.raises(MediaDownloadError, match="cut off"):
        ingest(payload)

    assert list(s3.iter_objects()) == []
    assert uploads(backend, bucket) == []
    (stored,) = ingest(payload)  # Twilio's next delivery
    assert s3.download_bytes(stored.key) == BIG


def test_s3_failing_midway_leaves_nothing_and_a_rerun_completes(
    twilio: FakeTwilioApi,
    ingest: Ingest,
    s3: S3Service,
    faults: FaultInjector,
    backend: S3Backend,
    bucket: str,
) -> None:
    payload = twilio.voice_note(BIG)
    faults.fail("UploadPart", status=400, code="InvalidPart", skip=1)

    with pytest.raises(S3ServiceError, match="InvalidPart"):
        ingest(payload)

    assert list(s3.iter_objects()) == []
    assert uploads(backend, bucket) == []
    (stored,) = ingest(payload)
    assert stored.created
