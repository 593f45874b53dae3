"""The streaming upload engine: bytes from an iterable into S3 without holding them all.

Up to ``S3_MULTIPART_THRESHOLD_BYTES`` the bytes go in one PutObject. Beyond, as a multipart
upload in two part buffers: each part uploads in a worker as soon as it is full while the
other fills, so memory stays at about one configured part whatever the object's size; the
whole object's CRC32 is sent as its full-object checksum. A failure anywhere aborts the
multipart upload: no part and no object is left behind.
"""

from __future__ import annotations

import contextlib
import itertools
import zlib
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from ai_voice_shared.errors import ConfigurationError, S3ObjectExistsError
from ai_voice_shared.models import S3WriteResult
from ai_voice_shared.services._s3.integrity import Fingerprint, b64_crc32, content_md5
from ai_voice_shared.services._s3.store import Store
from ai_voice_shared.services._s3.writes import already_stored, extra_args, put, written

__all__ = ["Chunk", "Part", "abort", "byte_views", "stream", "stream_part_size"]

#: A chunk ``upload_stream`` takes: any bytes-like object, read byte for byte (an
#: ``array("h")`` of PCM samples too).
Chunk = bytes | bytearray | memoryview


def stream(
    store: Store,
    key: str,
    chunks: Iterable[Chunk],
    *,
    size: int | None,
    content_type: str | None,
    metadata: Mapping[str, str] | None,
    overwrite: bool,
) -> S3WriteResult:
    """``S3Service.upload_stream``: see its docstring."""
    full = store.full_key(key)
    extra = extra_args(content_type, metadata)
    threshold = store.settings.multipart_threshold_bytes
    part_size = stream_part_size(store.settings.multipart_chunk_size_bytes)
    if size is not None and size > threshold:  # known to go multipart: start at once
        return _multipart(store, key, full, extra, overwrite, [], b"", byte_views(chunks), size)
    first = min(size, threshold) if size is not None else part_size
    buffered = [Part(first)]
    total = 0
    source = byte_views(chunks)
    for chunk in source:
        total += len(chunk)
        if total > threshold:
            return _multipart(store, key, full, extra, overwrite, buffered, chunk, source)
        rest = memoryview(chunk)
        while rest:
            if buffered[-1].full:
                buffered.append(Part(part_size))
            rest = buffered[-1].fill(rest)
    whole = (
        buffered[0].data()
        if len(buffered) == 1
        else bytearray(b"".join(part.data() for part in buffered))
    )
    return put(store, key, whole, content_type=content_type, metadata=metadata, overwrite=overwrite)


def _multipart(
    store: Store,
    key: str,
    full: str,
    extra: dict[str, Any],
    overwrite: bool,
    buffered: list[Part],
    chunk: bytes | memoryview,
    source: Iterator[memoryview],
    size: int | None = None,
) -> S3WriteResult:
    checked = store.settings.checksums == "when_supported"
    part_size = stream_part_size(store.settings.multipart_chunk_size_bytes, size)
    store.check_bucket()
    create_args = {"Bucket": store.bucket, "Key": full, **extra}
    if checked:
        create_args.update(ChecksumAlgorithm="CRC32", ChecksumType="FULL_OBJECT")

    def create() -> str:
        with store.errors("CreateMultipartUpload", key):
            upload_id: str = store.client.create_multipart_upload(**create_args)["UploadId"]
        return upload_id

    def upload(number: int, body: bytearray) -> dict[str, Any]:
        args: dict[str, Any] = {
            "Bucket": store.bucket,
            "Key": full,
            "UploadId": created.result(),
            "PartNumber": number,
            "Body": body,
        }
        if checked:
            args["ChecksumAlgorithm"] = "CRC32"
        else:
            args["ContentMD5"] = content_md5(body)
        with store.errors("UploadPart", key):
            answer = store.client.upload_part(**args)
        checksum = answer.get("ChecksumCRC32")
        return {"ETag": answer["ETag"], "PartNumber": number} | (
            {"ChecksumCRC32": checksum} if checksum else {}
        )

    uploads: list[Future[dict[str, Any]]] = []
    in_flight: list[tuple[Part, Future[dict[str, Any]]]] = []
    crc = 0
    sent_size = 0
    # Two buffers in all: each part uploads in a worker as soon as it is full, while the
    # other buffer fills here; when both are uploading, reading waits for the older one
    # (the download slows down rather than memory growing).
    with ThreadPoolExecutor(2, thread_name_prefix="aivs-s3-part") as workers:
        created = workers.submit(create)  # while the first part fills

        def ship(part: Part) -> None:
            nonlocal crc, sent_size
            body = part.data()
            crc = zlib.crc32(body, crc)
            sent_size += len(body)
            upload_of_part = workers.submit(upload, len(uploads) + 1, body)
            uploads.append(upload_of_part)
            in_flight.append((part, upload_of_part))

        def free_buffer() -> Part:
            if len(in_flight) < 2:
                return Part(part_size)
            part, oldest = in_flight.pop(0)
            oldest.result()
            part.clear()
            return part

        try:
            current: Part | None = None
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
                ship(current or Part(0))
            parts = [done.result() for done in uploads]
            upload_id = created.result()
            complete: dict[str, Any] = {
                "Bucket": store.bucket,
                "Key": full,
                "UploadId": upload_id,
                "MultipartUpload": {"Parts": parts},
            }
            if checked:
                complete.update(ChecksumCRC32=b64_crc32(crc), ChecksumType="FULL_OBJECT")
            if not overwrite:
                complete["IfNoneMatch"] = "*"
            try:
                with store.errors("CompleteMultipartUpload", key):
                    answer = store.client.complete_multipart_upload(**complete)
            except S3ObjectExistsError as exists:
                abort(store, full, upload_id)
                etag = Fingerprint.multipart_etag([p["ETag"] for p in parts])
                fingerprint = Fingerprint(sent_size, b64_crc32(crc) if checked else None, etag)
                return already_stored(store, key, full, fingerprint, exists)
        except BaseException:
            for pending in uploads:
                pending.cancel()
            wait(uploads)
            if created.exception() is None:
                abort(store, full, created.result())
            raise
    sent = {"ChecksumCRC32": b64_crc32(crc)} if checked else {}
    return written(key, sent_size, {**sent, **answer})


def abort(store: Store, full: str, upload_id: str) -> None:
    """Abort a multipart upload, best effort: the caller is told about the failure that led
    here, not this one."""
    with contextlib.suppress(BotoCoreError, ClientError):
        store.client.abort_multipart_upload(Bucket=store.bucket, Key=full, UploadId=upload_id)


def stream_part_size(configured: int, size: int | None = None) -> int:
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


def byte_views(chunks: Iterable[Chunk]) -> Iterator[memoryview]:
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


class Part:
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
