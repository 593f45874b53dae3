"""docs/testing-s3.md: code that stores voice notes, tested with the S3 fixtures."""

from __future__ import annotations

import pytest

from ai_voice_shared import S3Service, S3ServiceError
from ai_voice_shared_testing import S3Bucket


def store_voice_note(key: str, audio: bytes) -> None:  # the code under test
    with S3Service() as s3:  # built from the environment, as a service does
        s3.upload_bytes(key, audio, content_type="audio/ogg", overwrite=False)


def test_stores_the_voice_note(s3_env: S3Bucket) -> None:
    store_voice_note("voice/AC1/MM1.ogg", b"OggS...")
    assert s3_env.keys("voice/") == ["voice/AC1/MM1.ogg"]
    assert s3_env.get("voice/AC1/MM1.ogg").startswith(b"OggS")


def test_retries_a_throttled_upload(s3_env: S3Bucket) -> None:
    s3_env.fail("PutObject", code="SlowDown", status=503, times=2)
    store_voice_note("voice/AC1/MM1.ogg", b"OggS...")  # botocore retries, then succeeds
    assert [c.operation for c in s3_env.calls] == ["HeadBucket", "PutObject"]


def test_stores_nothing_when_s3_is_down(s3_env: S3Bucket) -> None:
    s3_env.fail("PutObject", status=500, times=5)  # every attempt of S3_MAX_ATTEMPTS
    with pytest.raises(S3ServiceError):
        store_voice_note("voice/AC1/MM1.ogg", b"OggS...")
    assert s3_env.keys() == []  # a faulted request never reaches the store
