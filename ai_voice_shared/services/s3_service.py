"""``S3Service``: every S3 operation an AI Voice service needs, on boto3.

Keys are validated before any request, ``S3_KEY_PREFIX`` is applied to every key and stripped
from every key returned, large objects stream in bounded memory, and every failure is a typed
:class:`~ai_voice_shared.errors.S3ServiceError`. The same code runs on AWS, moto and
S3-compatible stores (SeaweedFS, MinIO): set ``S3_ENDPOINT_URL`` for the latter.

One request per write and per read: a write returns what the store answered
(:class:`~ai_voice_shared.models.S3WriteResult`), a read takes the object's metadata from its
GET. Integrity holds end to end: every write carries a checksum the store verifies
(``S3_CHECKSUMS``), and every read is checked against the object's stored checksum, or the
MD5 of a single-part ETag (:mod:`ai_voice_shared.services._s3_integrity`), while it streams;
a mismatch is :class:`~ai_voice_shared.errors.S3IntegrityError`, never bad bytes.

Importing this module imports boto3; ``from ai_voice_shared import S3Service`` defers that to
first use.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import os
import re
import secrets
import threading
import zlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import IO, TYPE_CHECKING, Any, Literal, Self, cast

import boto3
from boto3.exceptions import S3UploadFailedError
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from ai_voice_shared._version import __version__
from ai_voice_shared.errors import (
    ConfigurationError,
    InvalidS3KeyError,
    S3BucketNotFoundError,
    S3DeleteError,
    S3IntegrityError,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3ServiceError,
)
from ai_voice_shared.models import (
    S3ListResponse,
    S3ObjectMetadata,
    S3PresignedPost,
    S3WriteResult,
)
from ai_voice_shared.services._s3_errors import translate
from ai_voice_shared.services._s3_integrity import (
    Fingerprint,
    Verifier,
    b64_crc32,
    content_md5,
    crc32_of_stream,
)
from ai_voice_shared.settings import MAX_PRESIGNED_URL_EXPIRY_SECONDS, S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

__all__ = [
    "DEFAULT_CHUNK_SIZE",
    "MAX_KEY_BYTES",
    "Chunk",
    "S3Service",
    "build_s3_client",
    "validate_key",
]

#: S3's limit on a key's length, counted in UTF-8 bytes (with the prefix).
MAX_KEY_BYTES = 1024
#: Default chunk size of :meth:`S3Service.iter_bytes`.
DEFAULT_CHUNK_SIZE = 1024 * 1024
#: DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000
#: C0 controls, DEL and C1 controls (U+0080 to U+009F, such as NEL and CSI).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")
#: Where a tool mapping keys to paths cuts segments: '/' everywhere, '\\' on Windows too.
_SEPARATORS = re.compile(r"[/\\]")

PathOrFile = str | os.PathLike[str] | IO[bytes]
#: A chunk ``upload_stream`` takes: any bytes-like object, read byte for byte (an
#: ``array("h")`` of PCM samples too).
Chunk = bytes | bytearray | memoryview


def validate_key(key: object) -> str:
    """Return ``key`` if S3Service may send it, else raise :class:`InvalidS3KeyError`.

    A key is non-empty text without control characters (C0, DEL and C1), is valid UTF-8 (no
    lone surrogate), does not start with ``/`` and has no ``.`` or ``..`` segment (between
    ``/`` or ``\\``, which Windows tools also read as a separator): such keys
    work on S3 but break every tool that maps keys to paths (s3fs, aws s3 sync, a download to
    disk) and are a path-traversal risk.
    """
    if not isinstance(key, str):
        raise InvalidS3KeyError(
            f"S3 key {key!r} is {type(key).__name__}, not str: pass the key as text.", key=key
        )
    problem = None
    if not key:
        problem = "is empty"
    elif key.startswith("/"):
        problem = "starts with '/' (S3 keys are not absolute paths; drop the leading '/')"
    elif _CONTROL.search(key):
        problem = "contains a control character"
    elif _SURROGATE.search(key):
        problem = "holds a lone surrogate, so it is not valid UTF-8 text"
    elif any(part in (".", "..") for part in _SEPARATORS.split(key)):
        problem = "has a '.' or '..' segment (keys are not resolved like paths)"
    if problem:
        raise InvalidS3KeyError(
            f"S3 key {key!r} {problem}: use a key such as 'voice/AC.../MM....ogg'.", key=key
        )
    return key


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


class S3Service:
    """Object storage for voice notes: one bucket, an optional key prefix, typed errors.

    >>> s3 = S3Service()                          # settings from S3_* environment variables
    >>> s3.upload_bytes("voice/MM1.ogg", data, content_type="audio/ogg", overwrite=False)
    >>> s3.download_bytes("voice/MM1.ogg")

    Keys given to and returned by every method are relative to ``S3_KEY_PREFIX``. The service is
    thread-safe (boto3 clients are); for asyncio, call it in a worker thread
    (``await asyncio.to_thread(s3.upload_bytes, ...)``).
    """

    def __init__(self, settings: S3Settings | None = None, *, client: S3Client | None = None):
        self.settings = settings if settings is not None else S3Settings()
        self._owns_client = client is None
        self.client: S3Client = client if client is not None else build_s3_client(self.settings)
        self.bucket = self.settings.bucket_name
        self.key_prefix = self.settings.key_prefix
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
        self._bucket_checked = False

    def __repr__(self) -> str:
        return f"S3Service(bucket={self.bucket!r}, key_prefix={self.key_prefix!r})"

    # -- keys and errors ------------------------------------------------------------------------

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

    def _relative(self, full_key: str) -> str:
        return (
            full_key[len(self.key_prefix) :] if full_key.startswith(self.key_prefix) else full_key
        )

    @contextlib.contextmanager
    def _errors(self, operation: str, key: str | None = None) -> Iterator[None]:
        try:
            yield
        except (BotoCoreError, ClientError) as exc:
            raise self._translate(exc, operation, key) from exc
        except S3UploadFailedError as exc:
            # boto3's upload_file wraps the botocore error in a plain message; use the cause.
            cause = exc.__cause__ or exc.__context__
            if isinstance(cause, BotoCoreError | ClientError):
                raise self._translate(cause, operation, key) from exc
            where = f"s3://{self.bucket}/{key}"
            raise S3ServiceError(
                f"S3 {operation} to {where} failed: {exc}",
                operation=operation,
                bucket=self.bucket,
                key=key,
            ) from exc

    def _translate(
        self, exc: BotoCoreError | ClientError, operation: str, key: str | None
    ) -> S3ServiceError:
        error = translate(
            exc,
            operation=operation,
            bucket=self.bucket,
            key=key,
            endpoint=self.client.meta.endpoint_url,
        )
        if isinstance(error, S3ObjectNotFoundError) and error.code != "NoSuchKey":
            # A HEAD answers a bare 404 for a missing bucket too: tell the two apart once.
            self._check_bucket()
        return error

    def _check_bucket(self) -> None:
        """Make sure the bucket exists, once per service.

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
                exc,
                operation="HeadBucket",
                bucket=self.bucket,
                key=None,
                endpoint=self.client.meta.endpoint_url,
            )
            if isinstance(error, S3ObjectNotFoundError):  # HEAD: a bare 404 is the bucket
                error = S3BucketNotFoundError(
                    f"S3 bucket {self.bucket!r} does not exist at "
                    f"{self.client.meta.endpoint_url}: check S3_BUCKET_NAME and S3_REGION / "
                    "S3_ENDPOINT_URL.",
                    operation="HeadBucket",
                    bucket=self.bucket,
                    code=error.code,
                    status=error.status,
                    request_id=error.request_id,
                )
            raise error from exc
        self._bucket_checked = True

    def _metadata(self, key: str, head: Mapping[str, Any]) -> S3ObjectMetadata:
        return S3ObjectMetadata(
            key=key,
            size=head["ContentLength"],
            last_modified=head["LastModified"],
            etag=head["ETag"],
            storage_class=head.get("StorageClass") or "STANDARD",
            content_type=head.get("ContentType"),
            metadata=dict(head.get("Metadata") or {}),
        )

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
        full = self.full_key(key)
        body = data if isinstance(data, bytes | bytearray) else bytes(data)
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": full, "Body": body}
        args.update(self._extra_args(content_type, metadata))
        if self.settings.checksums == "when_required":
            args["ContentMD5"] = content_md5(body)  # what a store verifies without CRCs
        if not overwrite:
            args["IfNoneMatch"] = "*"
        self._check_bucket()
        try:
            with self._errors("PutObject", key):
                answer = self.client.put_object(**args)
        except S3ObjectExistsError as exists:
            return self._already_stored(key, full, Fingerprint.of(body), exists)
        return self._written(key, len(body), answer)

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
        full = self.full_key(key)
        extra = self._extra_args(content_type, metadata)
        threshold = self.settings.multipart_threshold_bytes
        part_size = _stream_part_size(self.settings.multipart_chunk_size_bytes)
        if size is not None and size > threshold:  # known to go multipart: start at once
            return self._multipart_stream(
                key, full, extra, overwrite, [], b"", _byte_views(chunks), size=size
            )
        first = min(size, threshold) if size is not None else part_size
        buffered = [_Part(first)]
        total = 0
        source = _byte_views(chunks)
        for chunk in source:
            total += len(chunk)
            if total > threshold:
                return self._multipart_stream(key, full, extra, overwrite, buffered, chunk, source)
            rest = memoryview(chunk)
            while rest:
                if buffered[-1].full:
                    buffered.append(_Part(part_size))
                rest = buffered[-1].fill(rest)
        whole = (
            buffered[0].data()
            if len(buffered) == 1
            else bytearray(b"".join(part.data() for part in buffered))
        )
        return self.upload_bytes(
            key, whole, content_type=content_type, metadata=metadata, overwrite=overwrite
        )

    def _multipart_stream(
        self,
        key: str,
        full: str,
        extra: dict[str, Any],
        overwrite: bool,
        buffered: list[_Part],
        chunk: bytes | memoryview,
        source: Iterator[memoryview],
        *,
        size: int | None = None,
    ) -> S3WriteResult:
        checked = self.settings.checksums == "when_supported"
        part_size = _stream_part_size(self.settings.multipart_chunk_size_bytes, size)
        self._check_bucket()
        create_args = {"Bucket": self.bucket, "Key": full, **extra}
        if checked:
            create_args.update(ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")

        def create() -> str:
            with self._errors("CreateMultipartUpload", key):
                upload_id: str = self.client.create_multipart_upload(**create_args)["UploadId"]
            return upload_id

        def upload(number: int, body: bytearray) -> dict[str, Any]:
            args: dict[str, Any] = {
                "Bucket": self.bucket,
                "Key": full,
                "UploadId": created.result(),
                "PartNumber": number,
                "Body": body,
            }
            if checked:
                args["ChecksumAlgorithm"] = "CRC32"
            else:
                args["ContentMD5"] = content_md5(body)
            with self._errors("UploadPart", key):
                answer = self.client.upload_part(**args)
            checksum = answer.get("ChecksumCRC32")
            return {"ETag": answer["ETag"], "PartNumber": number} | (
                {"ChecksumCRC32": checksum} if checksum else {}
            )

        uploads: list[Future[dict[str, Any]]] = []
        in_flight: list[tuple[_Part, Future[dict[str, Any]]]] = []
        crc = 0
        size = 0
        # Two buffers in all: each part uploads in a worker as soon as it is full, while the
        # other buffer fills here; when both are uploading, reading waits for the older one
        # (the download slows down rather than memory growing).
        with ThreadPoolExecutor(2, thread_name_prefix="aivs-s3-part") as workers:
            created = workers.submit(create)  # while the first part fills

            def ship(part: _Part) -> None:
                nonlocal crc, size
                body = part.data()
                crc = zlib.crc32(body, crc)
                size += len(body)
                upload_of_part = workers.submit(upload, len(uploads) + 1, body)
                uploads.append(upload_of_part)
                in_flight.append((part, upload_of_part))

            def free_buffer() -> _Part:
                if len(in_flight) < 2:
                    return _Part(part_size)
                part, oldest = in_flight.pop(0)
                oldest.result()
                part.clear()
                return part

            try:
                current: _Part | None = None
                for piece in buffered:  # what came before the threshold went by
                    if piece.full:
                        ship(piece)
                    else:
                        current = piece
                for data in itertools.chain([chunk], source):
                    rest = memoryview(data)
                    while rest:
                        current = current or free_buffer()
                        rest = current.fill(rest)
                        if current.full:
                            ship(current)
                            current = None
                if (current is not None and current.used) or not uploads:
                    ship(current or _Part(0))
                parts = [done.result() for done in uploads]
                upload_id = created.result()
                complete: dict[str, Any] = {
                    "Bucket": self.bucket,
                    "Key": full,
                    "UploadId": upload_id,
                    "MultipartUpload": {"Parts": parts},
                }
                if checked:
                    complete.update(ChecksumCRC32=b64_crc32(crc), ChecksumType="FULL_OBJECT")
                if not overwrite:
                    complete["IfNoneMatch"] = "*"
                try:
                    with self._errors("CompleteMultipartUpload", key):
                        answer = self.client.complete_multipart_upload(**complete)
                except S3ObjectExistsError as exists:
                    self._abort(full, upload_id)
                    etag = Fingerprint.multipart_etag([p["ETag"] for p in parts])
                    fingerprint = Fingerprint(size, b64_crc32(crc) if checked else None, etag)
                    return self._already_stored(key, full, fingerprint, exists)
            except BaseException:
                for pending in uploads:
                    pending.cancel()
                wait(uploads)
                if created.exception() is None:
                    self._abort(full, created.result())
                raise
        sent = {"ChecksumCRC32": b64_crc32(crc)} if checked else {}
        return self._written(key, size, {**sent, **answer})

    def _abort(self, full: str, upload_id: str) -> None:
        # Best effort: the caller is told about the failure that led here, not this one.
        with contextlib.suppress(BotoCoreError, ClientError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=full, UploadId=upload_id)

    def _already_stored(
        self, key: str, full: str, fingerprint: Fingerprint, exists: S3ObjectExistsError
    ) -> S3WriteResult:
        """After a refused conditional write: success if the stored bytes are these."""
        try:
            with self._errors("HeadObject", key):
                head = self.client.head_object(Bucket=self.bucket, Key=full, ChecksumMode="ENABLED")
        except S3ObjectNotFoundError as gone:
            raise S3ServiceError(
                f"S3 PutObject did not write s3://{self.bucket}/{key}: the key existed "
                f"(HTTP 412, request id {exists.request_id or 'none'}) and was deleted before "
                "it could be compared with these bytes. Nothing was written by this call; try "
                "it again (the error is transient).",
                operation="PutObject",
                bucket=self.bucket,
                key=key,
                code="ObjectChanged",
                status=exists.status,
                request_id=exists.request_id,
            ) from gone
        same = fingerprint.same_as(head)
        if same:
            return self._written(key, fingerprint.size, head, already_stored=True)
        why = (
            "holds other content"
            if same is False
            else "holds content that cannot be compared with these bytes (no full-object "
            "checksum, an ETag of another scheme), so it is treated as another write's"
        )
        raise S3ObjectExistsError(
            f"S3 PutObject did not write s3://{self.bucket}/{key}: the key {why}, and "
            f"overwrite=False (HTTP 412, request id {exists.request_id or 'none'}). Nothing was "
            "overwritten; write to another key, or pass overwrite=True to replace it.",
            operation="PutObject",
            bucket=self.bucket,
            key=key,
            code=exists.code,
            status=exists.status,
            request_id=exists.request_id,
        ) from exists

    def _written(
        self,
        key: str,
        size: int | None,
        answer: Mapping[str, Any],
        *,
        already_stored: bool = False,
    ) -> S3WriteResult:
        checksums = {
            name: str(answer[f"Checksum{name}"])
            for name in _CHECKSUM_NAMES
            if answer.get(f"Checksum{name}")
        }
        result = S3WriteResult(
            key=key,
            size=size,
            etag=answer["ETag"],
            version_id=answer.get("VersionId"),
            checksums=checksums,
            already_stored=already_stored,
        )
        result._head = lambda: self.head_object(key)
        return result

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
        full = self.full_key(key)
        extra = self._extra_args(content_type, metadata)
        self._check_bucket()
        target = (self.bucket, full)
        if isinstance(source, str | os.PathLike):
            size = os.path.getsize(source)
            if self.settings.checksums == "when_supported":
                with open(source, "rb") as whole:
                    extra.update(_full_crc32(crc32_of_stream(whole)))
            with _CAPTURE.expect(self.client, target) as answers, self._errors("UploadFile", key):
                self.client.upload_file(
                    os.fspath(source),
                    self.bucket,
                    full,
                    ExtraArgs=extra or None,
                    Config=self._transfer,
                )
        else:
            self._check_binary(source, "source")
            sized = _sized(source)
            if sized is None and self.settings.checksums == "when_supported":
                # s3transfer would send per-part checksums only: nothing could check a later
                # read of the whole object (found by an attack flipping bits on the way back).
                part = _stream_part_size(self.settings.multipart_chunk_size_bytes)
                return self.upload_stream(
                    key,
                    iter(lambda: source.read(part), b""),
                    content_type=content_type,
                    metadata=metadata,
                )
            if sized is not None and self.settings.checksums == "when_supported":
                start = source.tell()
                extra.update(_full_crc32(crc32_of_stream(source)))
                source.seek(start)
            with (
                self._borrow(source) as lent,
                _CAPTURE.expect(self.client, target) as answers,
                self._errors("UploadFile", key),
            ):
                self.client.upload_fileobj(
                    cast("IO[bytes]", lent),
                    self.bucket,
                    full,
                    ExtraArgs=extra or None,
                    Config=self._transfer,
                )
            size = sized if sized is not None else lent.read_bytes
        if len(answers) == 1:
            # The full-object CRC32 was checked by the store against what it got; a store
            # that does not echo it (moto on a multipart upload) still stored those bytes.
            sent = {"ChecksumCRC32": extra["ChecksumCRC32"]} if "ChecksumCRC32" in extra else {}
            return self._written(key, size, {**sent, **answers[0]})
        # Another upload of the same key ran at once: its answer cannot be told from ours.
        head = self.head_object(key)
        result = S3WriteResult(key=key, size=head.size, etag=head.etag)
        result._head = lambda: head
        return result

    def copy_object(self, src_key: str, dst_key: str) -> S3WriteResult:
        """Copy ``src_key`` to ``dst_key`` within the bucket (metadata kept), in one request.

        The result's ``size`` is ``None``: CopyObject does not report it (``head_object`` if
        you need it).
        """
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": self.full_key(src_key)}
        target = self.full_key(dst_key)
        self._check_bucket()
        with self._errors("CopyObject", src_key):
            answer = self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=source)
        copied = dict(answer.get("CopyObjectResult") or {})
        copied["VersionId"] = answer.get("VersionId")
        return self._written(dst_key, None, copied)

    @staticmethod
    def _extra_args(content_type: str | None, metadata: Mapping[str, str] | None) -> dict[str, Any]:
        extra: dict[str, Any] = {}
        if content_type is not None:
            extra["ContentType"] = content_type
        if metadata:
            for name, value in metadata.items():
                if not (isinstance(name, str) and isinstance(value, str) and name.isascii()):
                    raise ConfigurationError(
                        f"S3 metadata {name!r}: {value!r} is not usable: names must be ASCII str "
                        "and values str (they travel as x-amz-meta-* HTTP headers)."
                    )
            extra["Metadata"] = dict(metadata)
        return extra

    # -- reading --------------------------------------------------------------------------------

    def head_object(self, key: str) -> S3ObjectMetadata:
        """Size, modification time, ETag, content type and user metadata of ``key``."""
        full = self.full_key(key)
        with self._errors("HeadObject", key):
            head = self.client.head_object(Bucket=self.bucket, Key=full)
        return self._metadata(key, head)

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
        full = self.full_key(key)
        response = self._get(key, full)
        return b"".join(self._stream(key, full, response, DEFAULT_CHUNK_SIZE, "returned"))

    def download_file(self, key: str, dest: PathOrFile) -> S3ObjectMetadata:
        """Stream ``key`` to a path or a writable binary file object; return its metadata.

        One GET: the metadata comes from its answer. The bytes are checked against the
        object's checksum as they stream. A path is written through a temporary file in the
        same folder and renamed at the end, so a failed or corrupted download never leaves a
        file under the final name; a seekable file object is cut back to where it was.
        """
        full = self.full_key(key)
        if not isinstance(dest, str | os.PathLike):
            self._check_binary(dest, "dest")
            start = dest.tell() if _seekable(dest) else None
            response = self._get(key, full)
            try:
                for chunk in self._stream(key, full, response, DEFAULT_CHUNK_SIZE, "kept"):
                    dest.write(chunk)
            except BaseException:
                if start is not None:
                    with contextlib.suppress(OSError, ValueError):
                        dest.seek(start)
                        dest.truncate()
                raise
            return self._metadata(key, response)
        target = Path(dest)
        handle, temporary = _temporary_beside(target)
        try:
            response = self._get(key, full)
            with os.fdopen(handle, "wb") as stream:
                for chunk in self._stream(key, full, response, DEFAULT_CHUNK_SIZE, "written"):
                    stream.write(chunk)
            metadata = self._metadata(key, response)
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
        full = self.full_key(key)
        response = self._get(key, full)
        return self._stream(key, full, response, chunk_size, "returned")

    def _get(self, key: str, full: str, **extra: Any) -> dict[str, Any]:
        """A GetObject answer whose headers arrived whole, asked for again (at once, up to
        S3_MAX_ATTEMPTS) when they did not: a connection cut inside the headers looks to
        ``http.client`` like their end, and a damaged header breaks botocore's parser."""
        problem = ""
        for _ in range(self.settings.max_attempts):
            with self._errors("GetObject", key):
                try:
                    response: dict[str, Any] = dict(
                        self.client.get_object(
                            Bucket=self.bucket, Key=full, ChecksumMode="ENABLED", **extra
                        )
                    )
                except ValueError as exc:
                    if not _raised_in(exc, "botocore"):
                        raise
                    problem = f"headers botocore could not read ({exc})"
                    continue
            problem = _incomplete_answer(response)
            if not problem:
                return response
            response["Body"].close()
        raise S3ServiceError(
            f"S3 GetObject of s3://{self.bucket}/{key} got an answer with {problem}, "
            f"{self.settings.max_attempts} time(s) in a row: the connection to "
            f"{self.client.meta.endpoint_url} cuts or corrupts responses. Nothing was read; "
            "check the network path (a proxy, a load balancer), then retry.",
            operation="GetObject",
            bucket=self.bucket,
            key=key,
            code="IncompleteResponse",
        )

    def _stream(
        self, key: str, full: str, response: dict[str, Any], chunk_size: int, fate: str
    ) -> Iterator[bytes]:
        """The object's bytes from its GET, checked as they pass; after a dropped connection
        the rest is asked for again (a Range GET of the same ETag), up to S3_MAX_ATTEMPTS."""
        from botocore.exceptions import (
            ConnectionClosedError,
            FlexibleChecksumError,
            IncompleteReadError,
            ReadTimeoutError,
            ResponseStreamingError,
        )

        verifier = Verifier(response)
        body = response["Body"]
        received = 0
        resumes = 0
        try:
            while True:
                try:
                    for chunk in body.iter_chunks(chunk_size):
                        verifier.update(chunk)
                        received += len(chunk)
                        yield chunk
                    break
                except FlexibleChecksumError as exc:
                    raise self._corrupted(key, verifier, str(exc), fate) from exc
                except ValueError as exc:
                    # botocore's own check could not decode the checksum header: damaged on
                    # the way, so nothing can vouch for these bytes.
                    if not _raised_in(exc, "botocore"):
                        raise
                    unreadable = f"the checksum header is unreadable ({exc})"
                    raise self._corrupted(key, verifier, unreadable, fate) from exc
                except (
                    ResponseStreamingError,
                    ReadTimeoutError,
                    IncompleteReadError,
                    ConnectionClosedError,
                ) as exc:
                    if received == 0 and resumes + 1 < self.settings.max_attempts:
                        # Nothing read yet: the cut may have hit the headers, whose values then
                        # cannot be trusted. Ask for the whole object again, headers included;
                        # the caller's response becomes the new one (its metadata is used).
                        resumes += 1
                        body.close()
                        fresh = self._get(key, full)
                        response.clear()
                        response.update(fresh)
                        verifier = Verifier(response)
                        body = response["Body"]
                        continue
                    if resumes + 1 >= self.settings.max_attempts or received >= verifier.size:
                        raise S3ServiceError(
                            f"S3 GetObject of s3://{self.bucket}/{key} lost its connection "
                            f"after {received} of {verifier.size} bytes ({exc}), {resumes} "
                            f"time(s) resumed; nothing was {fate}. Check the network path to "
                            f"{self.client.meta.endpoint_url}; raise S3_MAX_ATTEMPTS to resume "
                            "more often.",
                            operation="GetObject",
                            bucket=self.bucket,
                            key=key,
                        ) from exc
                    resumes += 1
                    body.close()
                    try:
                        body = self._get(
                            key, full, Range=f"bytes={received}-", IfMatch=str(response["ETag"])
                        )["Body"]
                    except S3ServiceError as changed:
                        if changed.status != 412:
                            raise
                        raise S3ServiceError(
                            f"S3 GetObject of s3://{self.bucket}/{key} lost its connection "
                            f"after {received} of {verifier.size} bytes, and the object was "
                            "replaced before the rest could be read (its ETag changed); "
                            f"nothing was {fate}. Read it again: the error is transient.",
                            operation="GetObject",
                            bucket=self.bucket,
                            key=key,
                            code="ObjectChanged",
                            status=412,
                            request_id=changed.request_id,
                        ) from changed
        finally:
            body.close()
        problem = verifier.problem(received)
        if problem is not None:
            raise self._corrupted(key, verifier, problem, fate)

    def _corrupted(self, key: str, verifier: Verifier, problem: str, fate: str) -> S3IntegrityError:
        return S3IntegrityError(
            f"S3 GetObject of s3://{self.bucket}/{key} delivered bytes that do not match "
            f"{verifier.what}: {problem}. They were corrupted between the store and this "
            f"process; nothing was {fate}. Retry the read; if it keeps happening, check the "
            f"network path to {self.client.meta.endpoint_url}.",
            operation="GetObject",
            bucket=self.bucket,
            key=key,
            code="ChecksumMismatch",
        )

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
        with self._errors("ListObjectsV2", prefix or None):
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
                key=self._relative(item["Key"]),
                size=item["Size"],
                last_modified=item["LastModified"],
                etag=item["ETag"],
                storage_class=item.get("StorageClass") or "STANDARD",
            )
            for item in page.get("Contents", ())
            if self._relative(item["Key"])
        )
        prefixes = tuple(
            relative
            for relative in (self._relative(p["Prefix"]) for p in page.get("CommonPrefixes", ()))
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
        full = self.full_key(key)
        with self._errors("DeleteObject", key):
            self.client.delete_object(Bucket=self.bucket, Key=full)

    def delete_objects(self, keys: Iterable[str]) -> int:
        """Delete many keys, 1000 per request; return how many were requested.

        Raises :class:`S3DeleteError` listing every key S3 could not delete (after trying all
        batches), with ``failures`` mapping key to ``"Code: message"``.
        """
        full_keys = [self.full_key(key) for key in keys]
        failures: dict[str, str] = {}
        for start in range(0, len(full_keys), _DELETE_BATCH):
            batch = full_keys[start : start + _DELETE_BATCH]
            with self._errors("DeleteObjects"):
                response = self.client.delete_objects(
                    Bucket=self.bucket,
                    Delete={"Objects": [{"Key": key} for key in batch], "Quiet": True},
                )
            for error in response.get("Errors", ()):
                failures[self._relative(error.get("Key", "?"))] = (
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
        full = self.full_key(key)
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
        with self._errors("GeneratePresignedUrl", key):
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
        full = self.full_key(key)
        fields: dict[str, str] = {}
        conditions: list[Any] = []
        if content_type is not None:
            fields["Content-Type"] = content_type
            conditions.append({"Content-Type": content_type})
        if max_size is not None:
            if max_size < 1:
                raise ConfigurationError(f"max_size must be at least 1 byte, not {max_size}.")
            conditions.append(["content-length-range", 0, max_size])
        with self._errors("GeneratePresignedPost", key):
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

    # -- files and lifecycle --------------------------------------------------------------------

    @contextlib.contextmanager
    def _borrow(self, source: IO[bytes]) -> Iterator[_Borrowed]:
        self._check_binary(source, "source")
        if not isinstance(source, io.RawIOBase):
            yield _Borrowed(source)
            return
        # A raw stream may return short reads, which makes s3transfer buffer the whole object;
        # a BufferedReader restores full reads. Detach it afterwards so that it does not close
        # the caller's stream when it is garbage-collected.
        reader = io.BufferedReader(source)
        try:
            yield _Borrowed(cast("IO[bytes]", reader))
        finally:
            reader.detach()

    @staticmethod
    def _check_binary(stream: object, name: str) -> None:
        if isinstance(stream, io.TextIOBase):
            raise ConfigurationError(
                f"{name} is a text stream: open the file in binary mode ('rb' / 'wb')."
            )
        needed = "read" if name == "source" else "write"
        if not callable(getattr(stream, needed, None)):
            raise ConfigurationError(
                f"{name} must be a path or a binary file object with .{needed}(), not "
                f"{type(stream).__name__}."
            )

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


class _Borrowed(io.BufferedIOBase):
    """The caller's stream, lent to s3transfer, which closes what it uploads: closing this
    view leaves the caller's stream open (no surprise for code that keeps using it)."""

    def __init__(self, stream: IO[bytes]) -> None:
        super().__init__()
        self._stream = stream
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        data = self._stream.read(-1 if size is None else size)
        self.read_bytes += len(data)
        return data

    def read1(self, size: int = -1) -> bytes:
        data = self._stream.read(size)
        self.read_bytes += len(data)
        return data

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()


def _stream_part_size(configured: int, size: int | None = None) -> int:
    """The part size of a streamed upload: two of them in memory at once (one uploading, one
    filling) are about one configured part, never below S3's 5 MiB minimum. When the size is
    known, the parts are made even (16 MiB in three parts, not 5+5+5+1), as long as two of
    them stay within the configured part plus 4 MiB."""
    minimum = 5 * 1024 * 1024
    part = max(minimum, configured // 2)
    if size is not None and size > part:
        even = -(-size // max(1, size // part))
        if 2 * even <= configured + 4 * 1024 * 1024:
            return even
    return part


def _full_crc32(crc32: str) -> dict[str, str]:
    # The value, and the algorithm it is in: a store keeps the checksum (and moto only does)
    # when both are sent; for a multipart upload s3transfer makes it the full-object checksum.
    return {"ChecksumCRC32": crc32, "ChecksumAlgorithm": "CRC32"}


def _temporary_beside(target: Path) -> tuple[int, str]:
    """A new file next to ``target`` for a download, opened for writing.

    Not ``tempfile.mkstemp``: its files are 0600 whatever the umask, and the download would
    keep that mode; ``os.open`` with 0666 gives what ``open()`` and boto3 give (0644 under the
    usual umask).
    """
    while True:
        temporary = str(target.parent / f".{target.name}.{secrets.token_hex(6)}.part")
        try:
            return os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666), temporary
        except FileExistsError:
            continue


def _raised_in(exc: BaseException, package: str) -> bool:
    """Whether ``exc`` was raised inside ``package`` (by its code or what it called), so that
    a ``ValueError`` from botocore reading a damaged answer is told from one of ours."""
    frame = exc.__traceback__
    while frame is not None:
        if str(frame.tb_frame.f_globals.get("__name__", "")).startswith(package + "."):
            return True
        frame = frame.tb_next
    return False


def _incomplete_answer(response: Mapping[str, Any]) -> str:
    """What a GetObject answer lacks that every whole one has, or ``""``."""
    if not isinstance(response.get("ContentLength"), int):
        return "no Content-Length header"
    if not response.get("ETag"):
        return "no ETag header"
    if not isinstance(response.get("LastModified"), datetime):
        return "no Last-Modified header"
    return ""


def _seekable(stream: object) -> bool:
    try:
        return bool(stream.seekable())  # type: ignore[attr-defined]
    except (AttributeError, OSError, ValueError):
        return False


def _sized(stream: IO[bytes]) -> int | None:
    """Bytes left in a seekable stream, or ``None`` for one that cannot seek."""
    if not _seekable(stream):
        return None
    try:
        start = stream.tell()
        end = stream.seek(0, io.SEEK_END)
        stream.seek(start)
    except (OSError, ValueError):
        return None
    return end - start


def _byte_views(chunks: Iterable[Chunk]) -> Iterator[memoryview]:
    """Each chunk as a flat view of its bytes: a ``memoryview`` or ``array`` of wider items
    (``array('h')`` PCM samples) is taken byte for byte, never item for item; anything that is
    not bytes-like is a :class:`ConfigurationError` naming it."""
    for index, chunk in enumerate(chunks):
        try:
            view = memoryview(chunk)
        except TypeError:
            raise ConfigurationError(
                f"upload_stream chunk #{index} is {type(chunk).__name__} {str(chunk)[:40]!r}, "
                "not bytes: yield bytes, bytearray or memoryview chunks (encode text first)."
            ) from None
        if view.format != "B" or view.ndim != 1:
            view = view.cast("B") if view.c_contiguous else memoryview(view.tobytes())
        yield view


class _Part:
    """One part's bytes, filled in place: a preallocated buffer, so that building a part
    never reallocates (a growing bytearray briefly holds two copies), and botocore sends it
    as it is (a bytearray body is not copied)."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._buffer = bytearray(capacity)
        self.used = 0

    @property
    def full(self) -> bool:
        return self.used >= self.capacity

    def fill(self, data: memoryview) -> memoryview:
        """Take what fits of ``data``; return the rest."""
        take = min(self.capacity - self.used, len(data))
        self._buffer[self.used : self.used + take] = data[:take]
        self.used += take
        return data[take:]

    def data(self) -> bytearray:
        """The bytes filled so far (the buffer itself, cut to them: no copy)."""
        if self.used < len(self._buffer):
            del self._buffer[self.used :]
        return self._buffer

    def clear(self) -> None:
        """Make the part empty again, reusing its buffer."""
        if len(self._buffer) < self.capacity:
            self._buffer.extend(bytes(self.capacity - len(self._buffer)))
        self.used = 0


class _WriteCapture:
    """Keeps the store's answer to the last call of an upload that s3transfer makes in its
    worker threads (PutObject, or CompleteMultipartUpload), so that ``upload_file`` returns it
    without a HEAD. One handler pair per client (by unique id); answers are kept only for the
    keys an upload is waiting on."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._count: dict[tuple[str, str], int] = {}

    def _on_params(self, params: dict[str, Any], model: Any, context: Any, **_: Any) -> None:
        if model.name in ("PutObject", "CompleteMultipartUpload"):
            target = (params.get("Bucket"), params.get("Key"))
            if target in self._waiting:
                context["aivs_write_capture"] = target

    def _on_answer(self, http_response: Any, parsed: Any, context: Any, **_: Any) -> None:
        target = context.get("aivs_write_capture") if isinstance(context, dict) else None
        if target is not None and 200 <= getattr(http_response, "status_code", 0) < 300:
            with self._lock:
                if target in self._waiting:
                    self._waiting[target].append(dict(parsed))

    @contextlib.contextmanager
    def expect(self, client: S3Client, target: tuple[str, str]) -> Iterator[list[dict[str, Any]]]:
        events = client.meta.events
        events.register(
            "before-parameter-build.s3",
            cast(Any, self._on_params),
            unique_id="ai-voice-shared-write-capture-params",
        )
        events.register(
            "after-call.s3", cast(Any, self._on_answer), unique_id="ai-voice-shared-write-capture"
        )
        with self._lock:
            answers = self._waiting.setdefault(target, [])
            self._count[target] = self._count.get(target, 0) + 1
        try:
            yield answers
        finally:
            with self._lock:
                self._count[target] -= 1
                if not self._count[target]:
                    del self._count[target]
                    del self._waiting[target]


_CAPTURE = _WriteCapture()
_CHECKSUM_NAMES = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")
