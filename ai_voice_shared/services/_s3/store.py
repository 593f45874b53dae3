"""One bucket through one client: the key prefix, botocore's errors typed, the bucket check.

Every engine of the family (:mod:`.upload`, :mod:`.download`, :mod:`.writes`) works on a
:class:`Store`; ``S3Service`` holds one and adds the public operations.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from boto3.exceptions import S3UploadFailedError
from botocore.exceptions import BotoCoreError, ClientError

from ai_voice_shared.errors import (
    InvalidS3KeyError,
    S3BucketNotFoundError,
    S3ObjectNotFoundError,
    S3ServiceError,
)
from ai_voice_shared.models import S3ObjectHead
from ai_voice_shared.services._s3.errors import translate
from ai_voice_shared.services._s3.keys import MAX_KEY_BYTES, validate_key
from ai_voice_shared.services._s3.orphans import guard_retried_creates
from ai_voice_shared.settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["Store"]


class Store:
    """The bucket of ``settings`` through ``client``: keys in and out of ``S3_KEY_PREFIX``,
    failures as typed :class:`S3ServiceError`, and the bucket checked to exist once."""

    def __init__(self, settings: S3Settings, client: S3Client) -> None:
        self.settings = settings
        self.client = client
        self.bucket = settings.bucket_name
        self.key_prefix = settings.key_prefix
        self._bucket_checked = False
        guard_retried_creates(client)

    @property
    def endpoint(self) -> str:
        """The store's endpoint URL, for messages."""
        return str(self.client.meta.endpoint_url)

    # -- keys -----------------------------------------------------------------------------------

    def full_key(self, key: str) -> str:
        """The key as stored in S3: ``S3_KEY_PREFIX`` + ``key``, after validating ``key``."""
        full = self.key_prefix + validate_key(key)
        if len(full.encode("utf-8")) > MAX_KEY_BYTES:
            raise InvalidS3KeyError(
                f"S3 key {key!r} is {len(full.encode('utf-8'))} UTF-8 bytes with the prefix "
                f"{self.key_prefix!r}; S3 allows {MAX_KEY_BYTES}: shorten it.",
                key=key,
            )
        return full

    def relative(self, full_key: str) -> str:
        """A stored key without ``S3_KEY_PREFIX``."""
        return (
            full_key[len(self.key_prefix) :] if full_key.startswith(self.key_prefix) else full_key
        )

    def metadata(self, key: str, head: Mapping[str, Any]) -> S3ObjectHead:
        """The metadata of ``key`` from a HeadObject or GetObject answer."""
        return S3ObjectHead(
            key=key,
            size=head["ContentLength"],
            last_modified=head["LastModified"],
            etag=head["ETag"],
            storage_class=head.get("StorageClass") or "STANDARD",
            content_type=head.get("ContentType"),
            metadata=dict(head.get("Metadata") or {}),
        )

    def head(self, key: str) -> S3ObjectHead:
        """HeadObject of ``key`` (relative to the prefix)."""
        full = self.full_key(key)
        with self.errors("HeadObject", key):
            head = self.client.head_object(Bucket=self.bucket, Key=full)
        return self.metadata(key, head)

    # -- errors ---------------------------------------------------------------------------------

    @contextlib.contextmanager
    def errors(self, operation: str, key: str | None = None) -> Iterator[None]:
        """Raise botocore's and s3transfer's failures inside as typed :class:`S3ServiceError`."""
        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise self.translate(exc, operation, key) from exc
        except S3UploadFailedError as exc:
            # boto3's upload_file wraps the botocore error in a plain message; use the cause.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, BotoCoreError | ClientError):
                raise self.translate(cause, operation, key) from exc
            where = f"s3://{self.bucket}/{key}"
            raise S3ServiceError(
                f"S3 {operation} to {where} failed: {exc}",
                operation=operation,
                bucket=self.bucket,
                key=key,
            ) from exc

    def translate(
        self, exc: BotoCoreError | ClientError, operation: str, key: str | None
    ) -> S3ServiceError:
        """The typed error for ``exc``; a HEAD's bare 404 first checks the bucket."""
        error = translate(
            exc, operation=operation, bucket=self.bucket, key=key, endpoint=self.endpoint
        )
        if isinstance(error, S3ObjectNotFoundError) and error.code != "NoSuchKey":
            # A HEAD answers a bare 404 for a missing bucket too: tell the two apart once.
            self.check_bucket()
        return error

    def check_bucket(self) -> None:
        """Make sure the bucket exists, once per store.

        Needed before writes because some S3-compatible stores (SeaweedFS) create a missing
        bucket on PUT, so a typo in S3_BUCKET_NAME would silently store voice notes elsewhere;
        and after a HEAD's bare 404, which is the same for a missing key and a missing bucket.
        A 403 (no s3:ListBucket permission) cannot tell, and is not held against the caller.
        """
        if self._bucket_checked:
            return
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except ClientError as exc:
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if status == 403:
                self._bucket_checked = True
                return
            error = translate(
                exc, operation="HeadBucket", bucket=self.bucket, key=None, endpoint=self.endpoint
            )
            if isinstance(error, S3ObjectNotFoundError):  # HEAD: a bare 404 is the bucket
                error = S3BucketNotFoundError(
                    f"S3 bucket {self.bucket!r} does not exist at {self.endpoint}: check "
                    "S3_BUCKET_NAME and S3_REGION / S3_ENDPOINT_URL.",
                    operation="HeadBucket",
                    bucket=self.bucket,
                    code=error.code,
                    status=error.status,
                    request_id=error.request_id,
                )
            raise error from exc
        self._bucket_checked = True
