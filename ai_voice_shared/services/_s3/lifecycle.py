"""The bucket lifecycle rule that aborts multipart uploads nobody finished.

An upload whose process was killed (SIGKILL, a lost container, a SIGTERM the service did not
handle) leaves its multipart upload open: no call is left to abort it, and S3 bills its parts
until ``AbortIncompleteMultipartUpload`` removes them. :func:`apply_abort_rule` puts that
rule for the service's key prefix, keeping every other rule of the bucket.
"""

from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError

from ai_voice_shared.errors import ConfigurationError
from ai_voice_shared.services._s3.store import Store

__all__ = ["apply_abort_rule", "rule_id"]


def rule_id(prefix: str) -> str:
    """The rule's ID: one per key prefix, so services sharing a bucket keep their own."""
    return f"ai-voice-shared-abort-incomplete-uploads:{prefix}"[:255]


def apply_abort_rule(store: Store, days: int) -> None:
    """``S3Service.abort_incomplete_uploads_after``: see its docstring."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ConfigurationError(
            f"days must be a whole number of days, at least 1, not {days!r} "
            "(S3's AbortIncompleteMultipartUpload counts DaysAfterInitiation in days)."
        )
    ours = rule_id(store.key_prefix)
    with store.errors("GetBucketLifecycleConfiguration"):
        try:
            current = store.client.get_bucket_lifecycle_configuration(Bucket=store.bucket)
            rules: list[Any] = list(current.get("Rules", []))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchLifecycleConfiguration":
                raise
            rules = []
    rule: Any = {
        "ID": ours,
        "Status": "Enabled",
        "Filter": {"Prefix": store.key_prefix},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
    }
    kept = [existing for existing in rules if existing.get("ID") != ours]
    with store.errors("PutBucketLifecycleConfiguration"):
        store.client.put_bucket_lifecycle_configuration(
            Bucket=store.bucket, LifecycleConfiguration={"Rules": [*kept, rule]}
        )
