"""What only a real server can prove: presigned URLs over HTTP, and large streamed objects."""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ai_voice_shared import S3Service
from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer
from tests.shared.services.s3_backends import MiB, create_bucket, destroy_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

VOICE = b"OggS" + bytes(range(256)) * 16


@pytest.fixture
def real_s3(seaweedfs_server: SeaweedFSServer, seaweedfs_client: S3Client) -> Iterator[S3Service]:
    """An S3Service on a fresh SeaweedFS bucket, with its own client built from settings."""
    bucket = f"aivs-http-{uuid.uuid4().hex[:16]}"
    create_bucket(seaweedfs_client, bucket, seaweedfs_server.region)
    settings = seaweedfs_server.s3_settings(bucket)
    with S3Service(settings) as service:
        yield service
    destroy_bucket(seaweedfs_client, bucket)


def test_the_client_is_configured_for_an_s3_compatible_store(real_s3: S3Service) -> None:
    config: Any = real_s3.client.meta.config  # botocore's stubs omit most Config fields

    assert config.retries == {"mode": "standard", "total_max_attempts": 5}
    assert config.signature_version == "s3v4"
    assert config.s3 == {"addressing_style": "path"}
    assert config.request_checksum_calculation == "when_supported"
    assert config.response_checksum_validation == "when_supported"
    assert (config.connect_timeout, config.read_timeout) == (5.0, 60.0)


def test_the_client_for_aws_keeps_botocore_checksums_and_auto_addressing() -> None:
    client = build_s3_client(S3Settings(bucket_name="voice-notes", region="eu-west-1"))
    config: Any = client.meta.config

    assert config.request_checksum_calculation == "when_supported"
    assert config.s3 == {"addressing_style": "auto"}
    assert client.meta.region_name == "eu-west-1"


def test_a_presigned_get_downloads_the_object_over_http(real_s3: S3Service) -> None:
    real_s3.upload_bytes("voice/MM1.ogg", VOICE, content_type="audio/ogg")

    response = httpx.get(real_s3.generate_presigned_url("voice/MM1.ogg"))

    assert response.status_code == 200
    assert response.content == VOICE
    assert response.headers["content-type"] == "audio/ogg"


def test_a_presigned_put_uploads_with_the_signed_content_type(real_s3: S3Service) -> None:
    url = real_s3.generate_presigned_url("up/MM1.ogg", method="PUT", content_type="audio/ogg")

    response = httpx.put(url, content=VOICE, headers={"Content-Type": "audio/ogg"})

    assert response.status_code == 200
    assert real_s3.download_bytes("up/MM1.ogg") == VOICE
    assert real_s3.head_object("up/MM1.ogg").content_type == "audio/ogg"


def test_a_presigned_post_accepts_a_file_within_its_conditions(real_s3: S3Service) -> None:
    post = real_s3.generate_presigned_post("up/MM2.ogg", content_type="audio/ogg", max_size=10_000)

    response = httpx.post(
        post.url, data=post.fields, files={"file": ("note.ogg", VOICE, "audio/ogg")}
    )

    assert response.status_code in (200, 204), response.text
    assert real_s3.download_bytes("up/MM2.ogg") == VOICE


def test_a_presigned_post_refuses_a_file_above_max_size(real_s3: S3Service) -> None:
    post = real_s3.generate_presigned_post("up/big.ogg", max_size=100)

    response = httpx.post(post.url, data=post.fields, files={"file": ("big.ogg", VOICE)})

    assert response.status_code == 400
    assert not real_s3.exists("up/big.ogg")


def test_an_expired_presigned_url_is_refused(real_s3: S3Service) -> None:
    real_s3.upload_bytes("voice/MM1.ogg", VOICE)
    url = real_s3.generate_presigned_url("voice/MM1.ogg", expires_in=1)
    time.sleep(2.1)

    assert httpx.get(url).status_code == 403


def test_a_64_mib_file_round_trips_through_multipart_upload_and_download(
    real_s3: S3Service, make_file: Callable[[str, int], Path], tmp_path: Path
) -> None:
    source = make_file("in.bin", 64 * MiB)

    stored = real_s3.upload_file("big/in.bin", source)
    fetched = real_s3.download_file("big/in.bin", tmp_path / "out.bin")
    streamed = hashlib.sha256()
    for chunk in real_s3.iter_bytes("big/in.bin", chunk_size=4 * MiB):
        streamed.update(chunk)

    expected = hashlib.sha256(source.read_bytes()).hexdigest()
    assert hashlib.sha256((tmp_path / "out.bin").read_bytes()).hexdigest() == expected
    assert streamed.hexdigest() == expected
    assert stored.size == fetched.size == 64 * MiB
    assert stored.etag.endswith("-8")  # eight 8 MiB parts
