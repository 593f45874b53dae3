"""Where test buckets live: :class:`S3Backend`, the base every backend builds on.

One boto3 client per backend serves every bucket (building one costs ~100 ms); each bucket is
created empty and removed with everything in it (objects, unfinished multipart uploads, and any
bucket the test created itself) afterwards. A backend says only how to start and stop, which
settings reach it, and (moto) how to do the bucket work faster.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from types import TracebackType
from typing import TYPE_CHECKING, Self

from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing._s3.admin import (
    bucket_name,
    create_bucket,
    destroy_bucket,
    empty_bucket,
)
from ai_voice_shared_testing._s3.bucket import S3Bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["DEFAULT_REGION", "S3Backend"]

#: moto runs here; not us-east-1, where re-creating a bucket you own silently succeeds.
DEFAULT_REGION = "eu-west-1"


class S3Backend:
    """Where buckets live; one shared client; a fresh bucket per :meth:`fresh_bucket`."""

    name = "abstract"
    region = DEFAULT_REGION
    endpoint_url: str | None = None
    _client: S3Client | None = None

    @property
    def client(self) -> S3Client:
        """The backend's boto3 client, shared by every bucket (built on first use)."""
        if self._client is None:
            from ai_voice_shared.hooks import build_s3_client
            from ai_voice_shared_testing._s3.botocore_hooks import install

            install()  # first, so that this client and every later one can be watched
            self._client = build_s3_client(self.settings("aivs-client"))
        return self._client

    def settings(self, bucket: str) -> S3Settings:
        """``S3Settings`` that reach ``bucket`` on this backend."""
        return S3Settings(bucket_name=bucket, region=self.region, endpoint_url=self.endpoint_url)

    def start(self) -> Self:
        return self

    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None

    @contextlib.contextmanager
    def scope(self) -> Iterator[None]:
        """Wraps each bucket's life (moto: a fresh in-memory S3 per test)."""
        yield

    @contextlib.contextmanager
    def fresh_bucket(self, worker: str = "") -> Iterator[S3Bucket]:
        """Create an empty bucket, yield its handle, then remove it and everything in it."""
        with self.scope():
            name = bucket_name(worker)
            self.create(name)
            bucket = S3Bucket(name, self)
            try:
                yield bucket
            finally:
                bucket.close()
                self.destroy(name)
                self.destroy_created(bucket.created_buckets)

    def create(self, name: str) -> None:
        """Create the empty bucket ``name`` in this backend's region."""
        create_bucket(self.client, name, self.region)

    def clear(self, name: str) -> None:
        """Empty bucket ``name``: objects and unfinished multipart uploads."""
        empty_bucket(self.client, name)

    def destroy_created(self, names: list[str]) -> None:
        """Remove buckets a test created itself (those that still exist), contents included."""
        from botocore.exceptions import ClientError

        for name in dict.fromkeys(names):
            try:
                destroy_bucket(self.client, name)
            except ClientError as exc:
                if exc.response.get("Error", {}).get("Code") != "NoSuchBucket":
                    raise

    def destroy(self, name: str) -> None:
        """Abort unfinished multipart uploads, delete every object, then the bucket."""
        destroy_bucket(self.client, name)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
