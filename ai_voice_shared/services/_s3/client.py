"""The boto3 S3 client every ``S3Service`` talks through, built from ``S3Settings``."""

from __future__ import annotations

from typing import TYPE_CHECKING

import boto3
from botocore.config import Config

from ai_voice_shared._version import __version__
from ai_voice_shared.settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["build_s3_client"]


def build_s3_client(settings: S3Settings) -> S3Client:
    """A boto3 S3 client configured from ``settings`` (built on its own session).

    Standard retry mode with ``S3_MAX_ATTEMPTS``, SigV4, the configured timeouts, checksums as
    ``S3_CHECKSUMS`` says (CRC32 on every write and checked on every read by default; some old
    S3-compatible stores reject them: ``when_required`` then); for a custom endpoint also
    path-style addressing.
    """
    custom = settings.endpoint_url is not None
    checksums = settings.checksums
    config = Config(
        region_name=settings.region,
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        max_pool_connections=max(10, settings.max_concurrency + 2, settings.max_workers + 2),
        s3={"addressing_style": "path" if custom else "auto"},
        request_checksum_calculation=checksums,
        response_checksum_validation=checksums,
        user_agent_extra=f"ai-voice-shared/{__version__}",
    )
    key_id, secret = settings.access_key_id, settings.secret_access_key
    session = boto3.session.Session()
    return session.client(
        "s3",
        endpoint_url=settings.endpoint_url,
        config=config,
        aws_access_key_id=key_id.get_secret_value() if key_id else None,
        aws_secret_access_key=secret.get_secret_value() if secret else None,
    )
