"""``S3Service``: every S3 operation an AI Voice service needs, on boto3.

Keys are validated before any request, ``S3_KEY_PREFIX`` is applied to every key and stripped
from every key returned, large objects stream in bounded memory, and every failure is a typed
:class:`~ai_voice_shared.errors.S3ServiceError`. The same code runs on AWS, moto and
S3-compatible stores (SeaweedFS, MinIO): set ``S3_ENDPOINT_URL`` for the latter.

Importing this module imports boto3; ``from ai_voice_shared import S3Service`` defers that to
first use.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator, Mapping
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
    S3ObjectNotFoundError,
    S3ServiceError,
)
from ai_voice_shared.models import S3ListResponse, S3ObjectMetadata, S3PresignedPost
from ai_voice_shared.services._s3_errors import translate
from ai_voice_shared.settings import MAX_PRESIGNED_URL_EXPIRY_SECONDS, S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import CopySourceTypeDef

__all__ = ["DEFAULT_CHUNK_SIZE", "MAX_KEY_BYTES", "S3Service", "build_s3_client", "validate_key"]

#: S3's limit on a key's length, counted in UTF-8 bytes (with the prefix).
MAX_KEY_BYTES = 1024
#: Default chunk size of :meth:`S3Service.iter_bytes`.
DEFAULT_CHUNK_SIZE = 1024 * 1024
#: DeleteObjects takes at most this many keys per request.
_DELETE_BATCH = 1000
#: C0 controls, DEL and C1 controls (U+0080 to U+009F, such as NEL and CSI).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
_SURROGATE = re.compile("[\ud800-\udfff]")

PathOrFile = str | os.PathLike[str] | IO[bytes]


def validate_key(key: object) -> str:
    """Return ``key`` if S3Service may send it, else raise :class:`InvalidS3KeyError`.

    A key is non-empty text without control characters (C0, DEL and C1), is valid UTF-8 (no
    lone surrogate), does not start with ``/`` and has no ``.`` or ``..`` segment: such keys
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
    elif any(part in (".", "..") for part in key.split("/")):
        problem = "has a '.' or '..' segment (keys are not resolved like paths)"
    if problem:
        raise InvalidS3KeyError(
            f"S3 key {key!r} {problem}: use a key such as 'voice/AC.../MM....ogg'.", key=key
        )
    return key


def build_s3_client(settings: S3Settings) -> S3Client:
    """A boto3 S3 client configured from ``settings`` (built on its own session).

    Standard retry mode with ``S3_MAX_ATTEMPTS``, SigV4, the configured timeouts; for a custom
    endpoint also path-style addressing and checksums only where S3 requires them (botocore >=
    1.36 sends CRC checksums by default, which some S3-compatible stores reject).
    """
    custom = settings.endpoint_url is not None
    checksums: Literal["when_required", "when_supported"] = (
        "when_required" if custom else "when_supported"
    )
    config = Config(
        region_name=settings.region,
        signature_version="s3v4",
        retries={"mode": "standard", "total_max_attempts": settings.max_attempts},
        connect_timeout=settings.connect_timeout_seconds,
        read_timeout=settings.read_timeout_seconds,
        max_pool_connections=max(10, settings.max_concurrency + 2),
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
    ) -> S3ObjectMetadata:
        """Store ``data`` at ``key`` in one request and return what S3 now holds.

        ``overwrite=False`` makes the write conditional (``If-None-Match: *``): if the key
        exists, nothing is written and :class:`S3ObjectExistsError` is raised.
        """
        full = self.full_key(key)
        args: dict[str, Any] = {"Bucket": self.bucket, "Key": full, "Body": bytes(data)}
        args.update(self._extra_args(content_type, metadata))
        if not overwrite:
            args["IfNoneMatch"] = "*"
        self._check_bucket()
        with self._errors("PutObject", key):
            self.client.put_object(**args)
        return self.head_object(key)

    def upload_file(
        self,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> S3ObjectMetadata:
        """Stream a file (a path or a binary file object) to ``key``, in parts when large.

        A path is read part by part straight from disk. A file object is read into memory one
        part per worker, so memory stays below ``S3_MULTIPART_CHUNK_SIZE_BYTES`` x
        ``S3_MAX_CONCURRENCY``; the stream is left open. A multipart upload that fails is
        aborted (s3transfer registers the abort as a failure cleanup): no orphan parts remain.
        """
        full = self.full_key(key)
        extra = self._extra_args(content_type, metadata) or None
        self._check_bucket()
        if isinstance(source, str | os.PathLike):
            with self._errors("UploadFile", key):
                self.client.upload_file(
                    os.fspath(source), self.bucket, full, ExtraArgs=extra, Config=self._transfer
                )
        else:
            with self._borrow(source) as stream, self._errors("UploadFile", key):
                self.client.upload_fileobj(
                    stream, self.bucket, full, ExtraArgs=extra, Config=self._transfer
                )
        return self.head_object(key)

    def copy_object(self, src_key: str, dst_key: str) -> S3ObjectMetadata:
        """Copy ``src_key`` to ``dst_key`` within the bucket (metadata kept); return the copy."""
        source: CopySourceTypeDef = {"Bucket": self.bucket, "Key": self.full_key(src_key)}
        target = self.full_key(dst_key)
        self._check_bucket()
        with self._errors("CopyObject", src_key):
            self.client.copy_object(Bucket=self.bucket, Key=target, CopySource=source)
        return self.head_object(dst_key)

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
        """The whole object in memory; prefer :meth:`iter_bytes` or :meth:`download_file` for
        large objects."""
        full = self.full_key(key)
        with self._errors("GetObject", key):
            response = self.client.get_object(Bucket=self.bucket, Key=full)
            with contextlib.closing(response["Body"]) as body:
                return body.read()

    def download_file(self, key: str, dest: PathOrFile) -> S3ObjectMetadata:
        """Stream ``key`` to a path or a writable binary file object; return its metadata.

        A path is written through a temporary file in the same folder and renamed at the end,
        so a failed download never leaves a partial file under the final name.
        """
        metadata = self.head_object(key)
        full = self.full_key(key)
        if not isinstance(dest, str | os.PathLike):
            self._check_binary(dest, "dest")
            with self._errors("DownloadFile", key):
                self.client.download_fileobj(self.bucket, full, dest, Config=self._transfer)
            return metadata
        # Written through a temporary file renamed at the end, so the final name is never a
        # partial file. Not s3transfer's download_file, which does the same but was measured
        # about 25% slower than download_fileobj into an open file (benchmarks/s3_streaming).
        target = Path(dest)
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.")
        try:
            with os.fdopen(handle, "wb") as stream, self._errors("DownloadFile", key):
                self.client.download_fileobj(self.bucket, full, stream, Config=self._transfer)
            os.replace(temporary, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)
            raise
        return metadata

    def iter_bytes(self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE) -> Iterator[bytes]:
        """Stream the object in chunks of at most ``chunk_size`` bytes.

        The GET is sent at once, so a missing key raises here rather than at the first chunk.
        Iterate to the end, or close the iterator, to release the connection.
        """
        if chunk_size < 1:
            raise ConfigurationError(f"chunk_size must be at least 1 byte, not {chunk_size}.")
        full = self.full_key(key)
        with self._errors("GetObject", key):
            body = self.client.get_object(Bucket=self.bucket, Key=full)["Body"]
        return self._chunks(body, key, chunk_size)

    def _chunks(self, body: Any, key: str, chunk_size: int) -> Iterator[bytes]:
        with contextlib.closing(body), self._errors("GetObject", key):
            yield from body.iter_chunks(chunk_size)

    # -- listing --------------------------------------------------------------------------------

    def list_objects(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation_token: str | None = None,
    ) -> S3ListResponse:
        """One page of keys under ``prefix`` (relative to ``S3_KEY_PREFIX``).

        With ``delimiter="/"`` the keys below the next ``/`` are folded into
        ``common_prefixes``. Pass ``next_continuation_token`` back while ``is_truncated``.
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
        with self._errors("ListObjectsV2", prefix or None):
            page = self.client.list_objects_v2(**args)
        return self._page(prefix, page)

    def iter_objects(
        self, prefix: str = "", *, page_size: int = 1000
    ) -> Iterator[S3ObjectMetadata]:
        """Every object under ``prefix``, across all pages (``page_size`` keys each), in order."""
        token: str | None = None
        while True:
            page = self.list_objects(prefix, max_keys=page_size, continuation_token=token)
            yield from page.objects
            if not page.is_truncated:
                return
            token = page.next_continuation_token

    def _page(self, prefix: str, page: Mapping[str, Any]) -> S3ListResponse:
        objects = tuple(
            S3ObjectMetadata(
                key=self._relative(item["Key"]),
                size=item["Size"],
                last_modified=item["LastModified"],
                etag=item["ETag"],
                storage_class=item.get("StorageClass") or "STANDARD",
            )
            for item in page.get("Contents", ())
        )
        prefixes = tuple(self._relative(p["Prefix"]) for p in page.get("CommonPrefixes", ()))
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
    def _borrow(self, source: IO[bytes]) -> Iterator[IO[bytes]]:
        self._check_binary(source, "source")
        if not isinstance(source, io.RawIOBase):
            yield cast("IO[bytes]", _Borrowed(source))
            return
        # A raw stream may return short reads, which makes s3transfer buffer the whole object;
        # a BufferedReader restores full reads. Detach it afterwards so that it does not close
        # the caller's stream when it is garbage-collected.
        reader = io.BufferedReader(source)
        try:
            yield cast("IO[bytes]", _Borrowed(reader))
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

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes:
        return self._stream.read(-1 if size is None else size)

    def read1(self, size: int = -1) -> bytes:
        return self._stream.read(size)

    def seekable(self) -> bool:
        return self._stream.seekable()

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._stream.seek(offset, whence)

    def tell(self) -> int:
        return self._stream.tell()
