"""Bucket administration through the S3 API: name, create, empty and destroy a bucket.

Plain functions over a boto3 client, so they work on every backend (and in scripts and
benchmarks); the moto backend takes faster, in-process paths where moto allows it.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["bucket_name", "create_bucket", "destroy_bucket", "empty_bucket"]


def bucket_name(worker: str = "") -> str:
    """A bucket name unique per test and per xdist worker, valid under S3's rules."""
    tag = "".join(ch for ch in worker.lower() if ch.isalnum())[:8]
    return f"aivs-{tag + '-' if tag else ''}{uuid.uuid4().hex[:20]}"


def create_bucket(client: S3Client, name: str, region: str) -> None:
    """Create bucket ``name`` in ``region`` (us-east-1 takes no location constraint)."""
    if region == "us-east-1":
        client.create_bucket(Bucket=name)
    else:
        client.create_bucket(
            Bucket=name,
            CreateBucketConfiguration={"LocationConstraint": region},  # type: ignore[typeddict-item]
        )


def empty_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished multipart uploads and delete every object, every version of it and
    every delete marker (a test may have switched versioning on); the bucket stays."""
    for upload in client.list_multipart_uploads(Bucket=name).get("Uploads", []):
        client.abort_multipart_upload(Bucket=name, Key=upload["Key"], UploadId=upload["UploadId"])
    # ListObjectVersions lists current objects too (version "null" when never versioned), so
    # one listing serves both kinds of bucket.
    for page in client.get_paginator("list_object_versions").paginate(Bucket=name):
        entries: list[Any] = []
        for item in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            entry = {"Key": item["Key"]}
            if item.get("VersionId") not in (None, "null"):
                entry["VersionId"] = item["VersionId"]
            entries.append(entry)
        for start in range(0, len(entries), 1000):
            batch = entries[start : start + 1000]
            client.delete_objects(Bucket=name, Delete={"Objects": batch, "Quiet": True})


def destroy_bucket(client: S3Client, name: str) -> None:
    """Abort unfinished multipart uploads, delete every object, then the bucket itself."""
    empty_bucket(client, name)
    client.delete_bucket(Bucket=name)
