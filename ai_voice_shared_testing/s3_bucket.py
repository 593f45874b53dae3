"""A fresh S3 bucket per test, on moto, SeaweedFS or any S3-compatible endpoint.

The classes here work without pytest::

    with MotoBackend() as backend, backend.fresh_bucket() as bucket:
        bucket.put("voice/MM1.ogg", b"OggS...")
        assert bucket.keys() == ["voice/MM1.ogg"]

One boto3 client per backend serves every bucket (building one costs ~100 ms); each bucket is
created empty and removed with everything in it (objects, unfinished multipart uploads)
afterwards. boto3 and moto are imported when a backend starts, not when this module loads.

This module is the public face; the family lives in :mod:`ai_voice_shared_testing._s3`.
"""

from __future__ import annotations

from ai_voice_shared_testing._extras import TESTING_EXTRA_HINT, MissingTestingExtraError
from ai_voice_shared_testing._s3.admin import (
    bucket_name,
    create_bucket,
    destroy_bucket,
    empty_bucket,
)
from ai_voice_shared_testing._s3.backend import S3Backend
from ai_voice_shared_testing._s3.bucket import S3Bucket, S3NotificationsUnsupportedError
from ai_voice_shared_testing._s3.endpoint import EndpointBackend
from ai_voice_shared_testing._s3.faults import S3Call, S3FaultInjector
from ai_voice_shared_testing._s3.moto import MotoBackend
from ai_voice_shared_testing._s3.seaweedfs import SeaweedFSBackend

__all__ = [
    "TESTING_EXTRA_HINT",
    "EndpointBackend",
    "MissingTestingExtraError",
    "MotoBackend",
    "S3Backend",
    "S3Bucket",
    "S3Call",
    "S3FaultInjector",
    "S3NotificationsUnsupportedError",
    "SeaweedFSBackend",
    "bucket_name",
    "create_bucket",
    "destroy_bucket",
    "empty_bucket",
]
