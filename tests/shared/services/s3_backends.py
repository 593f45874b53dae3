"""Helpers of the S3 contract suite: backend description and bucket setup.

Fault injection is the test kit's own ``S3FaultInjector``, re-exported here as ``FaultInjector``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.s3_bucket import S3FaultInjector as FaultInjector
from ai_voice_shared_testing.s3_bucket import create_bucket, destroy_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024


@dataclass
class S3Backend:
    """Where the contract tests run: a shared client and what settings need to reach it."""

    name: str
    client: S3Client
    region: str
    endpoint_url: str | None
    access_key_id: str
    secret_access_key: str

    def settings(self, bucket: str, **overrides: Any) -> S3Settings:
        values: dict[str, Any] = {
            "bucket_name": bucket,
            "region": self.region,
            "endpoint_url": self.endpoint_url,
            "access_key_id": self.access_key_id,
            "secret_access_key": self.secret_access_key,
            "multipart_threshold_bytes": 5 * MiB,
            "multipart_chunk_size_bytes": 5 * MiB,
            **overrides,
        }
        return S3Settings(**values)


__all__ = ["FaultInjector", "MiB", "S3Backend", "create_bucket", "destroy_bucket"]
