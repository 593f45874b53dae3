"""``S3Service``: every S3 operation an AI Voice service needs, on boto3.

Keys are validated before any request, ``S3_KEY_PREFIX`` is applied to every key and stripped
from every key returned, large objects stream in bounded memory, and every failure is a typed
:class:`~ai_voice_shared.errors.S3ServiceError`. The same code runs on AWS, moto and
S3-compatible stores (SeaweedFS, MinIO): set ``S3_ENDPOINT_URL`` for the latter.

One request per write and per read: a write returns what the store answered
(:class:`~ai_voice_shared.models.S3WriteResult`), a read takes the object's metadata from its
GET. Integrity holds end to end: every write carries a checksum the store verifies
(``S3_CHECKSUMS``), and every read is checked against the object's stored checksum, or the
MD5 of a single-part ETag, while it streams; a mismatch is
:class:`~ai_voice_shared.errors.S3IntegrityError`, never bad bytes.

This module holds the public operations; the engines behind them (the streaming upload, the
verified download, file adaptors, integrity, error translation) are the private family
:mod:`ai_voice_shared.services._s3`. Importing this module imports boto3;
``from ai_voice_shared import S3Service`` defers that to first use.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal, Self, cast

from boto3.s3.transfer import TransferConfig

from ai_voice_shared.errors import (
    ConfigurationError,
    S3DeleteError,
    S3ObjectNotFoundError,
)
from ai_voice_shared.models import (
    S3ListResponse,
    S3ObjectHead,
    S3ObjectMetadata,
    S3PresignedPost,
    S3WriteResult,
)
from ai_voice_shared.services._s3 import download, lifecycle, upload, writes
from ai_voice_shared.services._s3.capture import CAPTURE
from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.services._s3.download import DEFAULT_CHUNK_SIZE
from ai_voice_shared.services._s3.files import (
    PathOrFile,
    borrow,
    check_binary,
    seekable,
    sized,
    temporary_beside,
)
from ai_voice_shared.services._s3.integrity import crc32_of_stream
from ai_voice_shared.services._s3.keys import validate_key
from ai_voice_shared.services._s3.store import Store
from ai_voice_shared.services._s3.upload import Chunk, stream_part_size
from ai_voice_shared.settings import S3Settings
from ai_voice_shared.settings._s3 import MAX_PRESIGNED_URL_EXPIRY_SECONDS

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

__all__ = ["S3Service"]

#: DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000


class S3Service:
    """Object storage for voice notes: one bucket, an optional key prefix, typed errors.

    >>> s3 = S3Service()                          # settings from S3_* environment variables
    >>> s3.upload_bytes("voice/MM1.ogg", data, content_type="audio/ogg", overwrite=False)
    >>> s3.download_bytes("voice/MM1.ogg")

    Keys given to and returned by every method are relative to ``S3_KEY_PREFIX``. The service is
    thread-safe (boto3 clients are); for asyncio, use :class:`AsyncS3Service`.
    """

    def __init__(self, settings: S3Settings | None = None, *, client: S3Client | None = None):
        self.settings = settings if settings is not None else S3Settings()
        self._owns_client = client is None
        self.client: S3Client = client if client is not None else build_s3_client(self.settings)
        self.bucket = self.settings.bucket_name
        self.key_prefix = self.settings.key_prefix
        self._store = Store(self.settings, self.client)
        self._transfer = TransferConfig(
            multipart_threshold=self.settings.multipart_threshold_bytes,
            multipart_chunksize=self.settings.multipart_chunk_size_bytes,
            max_concurrency=self.settings.max_concurrency,
            # Downloaded data waits in this queue (256 KiB items) for the writer thread: 32
            # items is 8 MiB, against boto3's 100 (25 MiB), with no loss of throughput measured.
            max_io_queue=32,
        )
        # s3transfer buffers up to 10 parts of a file object in memory by default, whatever
        # the concurrency; one per worker keeps memory at part size x S3_MAX_CONCURRENCY.
        self._transfer.max_in_memory_upload_chunks = self.settings.max_concurrency
        self._transfer.max_in_memory_download_chunks = self.settings.max_concurrency

    def __repr__(self) -> str:
        return f"S3Service(bucket={self.bucket!r}, key_prefix={self.key_prefix!r})"

    def full_key(self, key: str) -> str:
        """The key as stored in S3: ``S3_KEY_PREFIX`` + ``key``, after validating ``key``."""
        return self._store.full_key(key)

    # -- writing --------------------------------------------------------------------------------

    def upload_bytes(
        self,
        key: str,
        data: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
    ) -> S3WriteResult:
        """Store ``data`` at ``key`` in one request; return what the store answered.

        ``overwrite=False`` makes the write conditional (``If-None-Match: *``). If the key
        already holds these very bytes (an earlier delivery, or a retry of this call whose
        first answer was lost), the result says ``already_stored``; if it holds other bytes,
        nothing is written and :class:`S3ObjectExistsError` is raised.
        """
        return writes.put(
            self._store,
            key,
            data,
            content_type=content_type,
            metadata=metadata,
            overwrite=overwrite,
        )

    def upload_stream(
        self,
        key: str,
        chunks: Iterable[Chunk],
        *,
        size: int | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
    ) -> S3WriteResult:
        """Store the bytes an iterable yields (a download, say) without holding them all.

        Up to ``S3_MULTIPART_THRESHOLD_BYTES`` they go in one PutObject. Beyond, as a
        multipart upload whose parts are half of ``S3_MULTIPART_CHUNK_SIZE_BYTES`` (at least
        5 MiB, S3's minimum), in two buffers: each part uploads as soon as it is full while
        the other fills, so two parts can upload at once and the download overlaps them, and
        memory stays at about one configured part (``size``, when known and small, sizes the
        buffer exactly). The whole object's CRC32 is sent as its
        full-object checksum (``S3_CHECKSUMS=when_supported``). ``overwrite=False`` works as
        for :meth:`upload_bytes` (the same bytes already stored are a success). If the
        iterable raises, or any request fails, the multipart upload is aborted: no part and
        no object is left behind, and the error is raised.
        """
        return upload.stream(
            self._store,
            key,
            chunks,
            size=size,
            content_type=content_type,
            metadata=metadata,
            overwrite=overwrite,
        )

    def upload_file(
        self,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> S3WriteResult:
        """Stream a file (a path or a binary file object) to ``key``, in parts when large.

        A path is read part by part straight from disk. A file object is read into memory one
        part per worker, so memory stays below ``S3_MULTIPART_CHUNK_SIZE_BYTES`` x
        ``S3_MAX_CONCURRENCY``; the stream is left open. A multipart upload that fails is
        aborted (s3transfer registers the abort as a failure cleanup): no orphan parts remain.

        With ``S3_CHECKSUMS=when_supported``, a path or a seekable stream is read once more
        first for its CRC32, sent as the full-object checksum: the store verifies the whole
        object, and every later read of it is checked. A stream that cannot seek (a pipe) goes
        through :meth:`upload_stream`, which computes that CRC32 as the bytes pass.
        """
        full = self._store.full_key(key)
        extra = writes.extra_args(content_type, metadata)
        self._store.check_bucket()
        target = (self.bucket, full)
        if isinstance(source, str | os.PathLike):
            size = os.path.getsize(source)
            if self.settings.checksums == "when_supported":
                with open(source, "rb") as whole:
                    extra.update(_full_crc32(crc32_of_stream(whole)))
            with (
                CAPTURE.expect(self.client, target) as answers,
                self._store.errors("UploadFile", key),
            ):
                self.client.upload_file(
                    os.fspath(source),
                    self.bucket,
                    full,
                    ExtraArgs=extra or None,
                    Config=self._transfer,
                )
        else:
            check_binary(source, "source")
            length = sized(source)
            if length is None and self.settings.checksums == "when_supported":
                # s3transfer would send per-part checksums only: nothing could check a later
                # read of the whole object (found by an attack flipping bits on the way back).
                part = stream_part_size(self.settings.multipart_chunk_size_bytes)
                return self.upload_stream(
                    key,
                    iter(lambda: source.read(part), b""),
                    content_type=content_type,
                    metadata=metadata,
                )
            if length is not None and self.settings.checksums == "when_supported":
                start = source.tell()
                extra.update(_full_crc32(crc32_of_stream(source)))
                source.seek(start)
            with (
                borrow(source) as lent,
                CAPTURE.expect(self.client, target) as answers,
                self._store.errors("UploadFile", key),
            ):
                self.client.upload_fileobj(
                    cast("IO[bytes]", lent),
                    self.bucket,
                    full,
                    ExtraArgs=extra or None,
                    Config=self._transfer,
                )
            size = length if length is not None else lent.read_bytes
        if len(answers) == 1:
            # The full-object CRC32 was checked by the store against what it got; a store
            # that does not echo it (moto on a multipart upload) still stored those bytes.
            sent = {"ChecksumCRC32": extra["ChecksumCRC32"]} if "ChecksumCRC32" in extra else {}
            return writes.written(key, size, {**sent, **answers[0]})
        # Another upload of the same key ran at once: its answer cannot be told from ours.
        head = self.head_object(key)
        return S3WriteResult(key=key, size=head.size, etag=head.etag)

    def copy_object(self, src_key: str, dst_key: str) -> S3WriteResult:
        """Copy ``src_key`` to ``dst_key`` within the bucket (metadata kept), in one request.

        The result's ``size`` is ``None``: CopyObject does not report it (``head_object`` if
        you need it).
        """
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": self._store.full_key(src_key)}
        target = self._store.full_key(dst_key)
        self._store.check_bucket()
        with self._store.errors("CopyObject", src_key):
            answer = self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=source)
        copied = dict(answer.get("CopyObjectResult") or {})
        copied["VersionId"] = answer.get("VersionId")
        return writes.written(dst_key, None, copied)

    # -- reading --------------------------------------------------------------------------------

    def head_object(self, key: str) -> S3ObjectHead:
        """Size, modification time, ETag, content type and user metadata of ``key``."""
        return self._store.head(key)

    def exists(self, key: str) -> bool:
        """Whether ``key`` exists (a missing bucket still raises S3BucketNotFoundError)."""
        try:
            self.head_object(key)
        except S3ObjectNotFoundError:
            return False
        return True

    def download_bytes(self, key: str) -> bytes:
        """The whole object in memory, checked against its checksum; prefer
        :meth:`iter_bytes` or :meth:`download_file` for large objects."""
        full = self._store.full_key(key)
        response = download.get(self._store, key, full)
        return b"".join(
            download.stream(self._store, key, full, response, DEFAULT_CHUNK_SIZE, "returned")
        )

    def download_file(self, key: str, dest: PathOrFile) -> S3ObjectHead:
        """Stream ``key`` to a path or a writable binary file object; return its metadata.

        One GET: the metadata comes from its answer. The bytes are checked against the
        object's checksum as they stream. A path is written through a temporary file in the
        same folder and renamed at the end, so a failed or corrupted download never leaves a
        file under the final name; a seekable file object is cut back to where it was.
        """
        full = self._store.full_key(key)
        if not isinstance(dest, str | os.PathLike):
            check_binary(dest, "dest")
            start = dest.tell() if seekable(dest) else None
            response = download.get(self._store, key, full)
            try:
                for chunk in download.stream(
                    self._store, key, full, response, DEFAULT_CHUNK_SIZE, "kept"
                ):
                    dest.write(chunk)
            except BaseException:
                if start is not None:
                    with contextlib.suppress(OSError, ValueError):
                        dest.seek(start)
                        dest.truncate()
                raise
            return self._store.metadata(key, response)
        target = Path(dest)
        handle, temporary = temporary_beside(target)
        try:
            response = download.get(self._store, key, full)
            with os.fdopen(handle, "wb") as stream:
                for chunk in download.stream(
                    self._store, key, full, response, DEFAULT_CHUNK_SIZE, "written"
                ):
                    stream.write(chunk)
            metadata = self._store.metadata(key, response)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return metadata

    def iter_bytes(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream the object in chunks of at most ``chunk_size`` bytes.

        The GET is sent at once, so a missing key raises here rather than at the first chunk.
        The bytes are checked as they pass: a mismatch raises :class:`S3IntegrityError` at
        the end of the iteration, so commit nothing before the iteration has finished.
        Iterate to the end, or close the iterator, to release the connection.
        """
        if chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be at least 1 byte, not {chunk_size}.")
        full = self._store.full_key(key)
        response = download.get(self._store, key, full)
        return download.stream(self._store, key, full, response, chunk_size, "returned")

    # -- listing --------------------------------------------------------------------------------

    def list_objects(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation_token: str | None = None,
        start_after: str | None = None,
    ) -> S3ListResponse:
        """One page of keys under ``prefix`` (relative to ``S3_KEY_PREFIX``), in key order.

        With ``delimiter="/"`` the keys below the next ``/`` are folded into
        ``common_prefixes``. Pass ``next_continuation_token`` back while ``is_truncated``.
        ``start_after`` lists only keys after that one (a poller's bookmark).
        """
        if not 1 <= max_keys <= 1000:
            raise ConfigurationError(f"max_keys must be between 1 and 1000, not {max_keys}.")
        args: dict[str, Any] = {
            "Bucket": self.bucket,
            "Prefix": self.key_prefix + prefix,
            "MaxKeys": max_keys,
        }
        if delimiter is not None:
            args["Delimiter"] = delimiter
        if continuation_token is not None:
            args["ContinuationToken"] = continuation_token
        if start_after is not None:
            args["StartAfter"] = self.key_prefix + validate_key(start_after)
        with self._store.errors("ListObjectsV2", prefix or None):
            page = self.client.list_objects_v2(**args)
        return self._page(prefix, page)

    def iter_objects(
        self,
        prefix: str = "",
        *,
        page_size: int = 1000,
        start_after: str | None = None,
        modified_since: datetime | None = None,
    ) -> Iterator[S3ObjectMetadata]:
        """Every object under ``prefix``, across all pages (``page_size`` keys each), in key
        order; only keys after ``start_after``, and only objects modified at or after
        ``modified_since`` (a timezone-aware datetime), when given.

        For a poller ("what is new since my last run"): keep the last key seen and pass it as
        ``start_after`` when keys grow in order, or keep the run's start time and pass it as
        ``modified_since`` (S3 lists every key either way; the filter saves the processing).
        Listings give modification times in whole seconds, so ``modified_since`` is taken
        down to its second: an object written in the same second as the run started is
        listed (perhaps by two runs) rather than missed. The arguments are checked at once.
        """
        if not 1 <= page_size <= 1000:
            raise ConfigurationError(f"page_size must be between 1 and 1000, not {page_size}.")
        since: datetime | None = None
        if modified_since is not None:
            if not isinstance(modified_since, datetime):
                raise ConfigurationError(
                    f"modified_since must be a timezone-aware datetime, not "
                    f"{type(modified_since).__name__} {modified_since!r}: use "
                    "datetime.now(UTC) at the start of a run."
                )
            if modified_since.tzinfo is None:
                raise ConfigurationError(
                    f"modified_since must be timezone-aware (S3 times are UTC), not "
                    f"{modified_since}: use datetime.now(UTC) or attach a tzinfo."
                )
            since = modified_since.replace(microsecond=0)
        if start_after is not None:
            validate_key(start_after)
        return self._iter_objects(prefix, page_size, start_after, since)

    def _iter_objects(
        self, prefix: str, page_size: int, start_after: str | None, since: datetime | None
    ) -> Iterator[S3ObjectMetadata]:
        token: str | None = None
        while True:
            page = self.list_objects(
                prefix,
                max_keys=page_size,
                continuation_token=token,
                start_after=start_after if token is None else None,
            )
            for item in page.objects:
                if since is None or item.last_modified >= since:
                    yield item
            if not page.is_truncated:
                return
            token = page.next_continuation_token

    def _page(self, prefix: str, page: Mapping[str, Any]) -> S3ListResponse:
        # The key S3_KEY_PREFIX itself ("tenant-a/", the folder marker the S3 console's
        # "Create folder" makes) is the namespace, not an object in it: it is left out.
        objects = tuple(
            S3ObjectMetadata(
                key=self._store.relative(item["Key"]),
                size=item["Size"],
                last_modified=item["LastModified"],
                etag=item["ETag"],
                storage_class=item.get("StorageClass") or "STANDARD",
            )
            for item in page.get("Contents", ())
            if self._store.relative(item["Key"])
        )
        prefixes = tuple(
            relative
            for relative in (
                self._store.relative(p["Prefix"]) for p in page.get("CommonPrefixes", ())
            )
            if relative
        )
        return S3ListResponse(
            bucket=self.bucket,
            prefix=prefix,
            objects=objects,
            common_prefixes=prefixes,
            is_truncated=bool(page.get("IsTruncated")),
            next_continuation_token=page.get("NextContinuationToken"),
            key_count=len(objects) + len(prefixes),
        )

    # -- deleting -------------------------------------------------------------------------------

    def delete_object(self, key: str) -> None:
        """Delete ``key``; deleting a key that does not exist is not an error (as in S3)."""
        full = self._store.full_key(key)
        with self._store.errors("DeleteObject", key):
            self.client.delete_object(Bucket=self.bucket, Key=full)

    def delete_objects(self, keys: Iterable[str]) -> int:
        """Delete many keys, 1000 per request; return how many were requested.

        Raises :class:`S3DeleteError` listing every key S3 could not delete (after trying all
        batches), with ``failures`` mapping key to ``"Code: message"``.
        """
        full_keys = [self._store.full_key(key) for key in keys]
        failures: dict[str, str] = {}
        for start in range(0, len(full_keys), _DELETE_BATCH):
            batch = full_keys[start : start + _DELETE_BATCH]
            with self._store.errors("DeleteObjects"):
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            for error in response.get("Errors", ()):
                failures[self._store.relative(error.get("Key", "?"))] = (
                    f"{error.get('Code', 'Unknown')}: {error.get('Message', '')}"
                )
        if failures:
            shown = "; ".join(f"{key!r} ({why})" for key, why in list(failures.items())[:10])
            more = f" and {len(failures) - 10} more" if len(failures) > 10 else ""
            raise S3DeleteError(
                f"S3 DeleteObjects could not delete {len(failures)} of {len(full_keys)} keys in "
                f"s3://{self.bucket}: {shown}{more}. The other keys were deleted; check the "
                "permissions (s3:DeleteObject) and object locks, then retry the failed keys.",
                failures=failures,
                operation="DeleteObjects",
                bucket=self.bucket,
            )
        return len(full_keys)

    # -- bucket housekeeping --------------------------------------------------------------------

    def abort_incomplete_uploads_after(self, days: int = 1) -> None:
        """Put the bucket's lifecycle rule that aborts multipart uploads still incomplete
        ``days`` days after they began, for keys under ``S3_KEY_PREFIX`` (the bucket's other
        rules are kept; calling it again updates the rule). A process killed mid-upload
        leaves its upload open, and no call is left to abort it: this rule does. It needs
        ``s3:GetLifecycleConfiguration`` and ``s3:PutLifecycleConfiguration``; run it once
        at deploy time. See docs/s3.md#unfinished-uploads.
        """
        lifecycle.apply_abort_rule(self._store, days)

    # -- presigning -----------------------------------------------------------------------------

    def generate_presigned_url(
        self,
        key: str,
        *,
        method: Literal["GET", "PUT"] = "GET",
        expires_in: int | None = None,
        content_type: str | None = None,
    ) -> str:
        """A URL that lets anyone GET (download) or PUT (upload) ``key`` until it expires.

        ``expires_in`` defaults to ``S3_PRESIGNED_URL_EXPIRY_SECONDS`` (at most 7 days). For a
        PUT, ``content_type`` is signed: the uploader must send exactly that ``Content-Type``.
        For a GET it sets the ``Content-Type`` of the response.
        """
        full = self._store.full_key(key)
        params: dict[str, Any] = {"Bucket": self.bucket, "Key": full}
        if method == "GET":
            operation = "get_object"
            if content_type is not None:
                params["ResponseContentType"] = content_type
        elif method == "PUT":
            operation = "put_object"
            if content_type is not None:
                params["ContentType"] = content_type
        else:
            raise ConfigurationError(f"method must be 'GET' or 'PUT', not {method!r}.")
        with self._store.errors("GeneratePresignedUrl", key):
            return self.client.generate_presigned_url(
                operation, Params=params, ExpiresIn=self._expiry(expires_in), HttpMethod=method
            )

    def generate_presigned_post(
        self,
        key: str,
        *,
        content_type: str | None = None,
        max_size: int | None = None,
        expires_in: int | None = None,
    ) -> S3PresignedPost:
        """A browser-style upload form for ``key``: S3 enforces the size and content type.

        ``max_size`` (bytes) becomes a ``content-length-range`` condition and ``content_type``
        an exact ``Content-Type`` condition; uploads outside them are refused by S3.
        """
        full = self._store.full_key(key)
        fields: dict[str, str] = {}
        conditions: list[Any] = []
        if content_type is not None:
            fields["Content-Type"] = content_type
            conditions.append({"Content-Type": content_type})
        if max_size is not None:
            if max_size < 1:
                raise ConfigurationError(f"max_size must be at least 1 byte, not {max_size}.")
            conditions.append(["content-length-range", 0, max_size])
        with self._store.errors("GeneratePresignedPost", key):
            post = self.client.generate_presigned_post(
                self.bucket,
                full,
                Fields=fields or None,
                Conditions=conditions or None,
                ExpiresIn=self._expiry(expires_in),
            )
        return S3PresignedPost(url=post["url"], fields=post["fields"])

    def _expiry(self, expires_in: int | None) -> int:
        if expires_in is None:
            return self.settings.presigned_url_expiry_seconds
        if not 1 <= expires_in <= MAX_PRESIGNED_URL_EXPIRY_SECONDS:
            raise ConfigurationError(
                f"expires_in must be between 1 and {MAX_PRESIGNED_URL_EXPIRY_SECONDS} seconds "
                f"(7 days, the SigV4 limit), not {expires_in}."
            )
        return expires_in

    # -- lifecycle ------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the boto3 client if this service built it (an injected one is left open)."""
        if self._owns_client:
            self.client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _full_crc32(crc32: str) -> dict[str, str]:
    # The value, and the algorithm it is in: a store keeps the checksum (and moto only does)
    # when both are sent; for a multipart upload s3transfer makes it the full-object checksum.
    return {"ChecksumCRC32": crc32, "ChecksumAlgorithm": "CRC32"}
