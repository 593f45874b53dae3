"""``AsyncS3Service``: every ``S3Service`` method, awaitable, for asyncio services.

The design, chosen by measurement (``benchmarks/async_s3.py``) and by what must keep working:

- A bounded pool of worker threads (``S3_MAX_WORKERS``) runs the very same :class:`S3Service`
  methods over one boto3 client. One code path: key rules, prefixing, error translation,
  integrity checks and metadata are :class:`S3Service`'s, not copied.
- It works on every ``s3_bucket`` backend, moto included (moto does not support aiobotocore,
  by its maintainers' choice), and keeps the test kit's faults and call recording, which hook
  botocore's events.
- aiobotocore pins botocore to one exact version, a recurring dependency conflict; and
  thread-pooled boto3 beat aioboto3 in a published experiment (100 ListBuckets: 0.82 s vs
  1.4 s). Here, 200 concurrent 64 KiB uploads through a proxy adding 20 ms per request run
  more than 8x faster than the same uploads one after the other, and as fast as an unbounded
  ``asyncio.gather`` of ``asyncio.to_thread`` calls while using at most ``S3_MAX_WORKERS``
  threads instead of one per call.

Streams cross between the event loop and the pool one chunk at a time: ``iter_bytes`` and
``iter_objects`` are async iterators over the sync ones, and ``upload_stream`` takes an async
iterable of chunks that a worker pulls from the loop as it uploads, so memory stays bounded.

Cancellation: a call already running in a worker cannot be stopped by the event loop (a thread
cannot be interrupted), so a cancelled ``upload_bytes``, ``upload_file`` or ``download_file``
finishes in its worker and its outcome is dropped. ``upload_stream`` is different: it stops at
its next chunk, aborts, and stores nothing (unless its last request was already on its way).
An upload from an async iterable waits for its chunks in a second pool of ``max_workers``
threads, so that a source reading from this very service (``iter_bytes`` of another key)
never waits for a worker that is itself waiting for it.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import AsyncIterable, AsyncIterator, Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from types import TracebackType
from typing import TYPE_CHECKING, Literal, ParamSpec, Self, TypeVar

from ai_voice_shared.errors import S3ServiceClosedError
from ai_voice_shared.models import (
    S3ListResponse,
    S3ObjectHead,
    S3ObjectMetadata,
    S3PresignedPost,
    S3WriteResult,
)
from ai_voice_shared.services._s3.bridge import each, pulled, until
from ai_voice_shared.services._s3.download import DEFAULT_CHUNK_SIZE
from ai_voice_shared.services._s3.files import PathOrFile
from ai_voice_shared.services._s3.upload import Chunk
from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared.settings import S3Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

__all__ = ["AsyncS3Service"]

P = ParamSpec("P")
T = TypeVar("T")


class AsyncS3Service:
    """Object storage for asyncio services: :class:`S3Service`'s methods, awaitable.

    >>> async with AsyncS3Service() as s3:              # S3Settings() from the environment
    ...     await s3.upload_bytes("voice/MM1.ogg", data, overwrite=False)
    ...     async for chunk in s3.iter_bytes("voice/MM1.ogg"): ...

    ``service`` shares an existing :class:`S3Service` (and its client); ``max_workers``
    overrides ``S3_MAX_WORKERS``. :meth:`aclose` stops the pool and closes what it built.
    """

    def __init__(
        self,
        settings: S3Settings | None = None,
        *,
        client: S3Client | None = None,
        service: S3Service | None = None,
        max_workers: int | None = None,
    ) -> None:
        self._owns_service = service is None
        self.service = service if service is not None else S3Service(settings, client=client)
        self.settings = self.service.settings
        self.bucket = self.service.bucket
        self.key_prefix = self.service.key_prefix
        self.max_workers = max_workers or self.settings.max_workers
        self._pool = ThreadPoolExecutor(self.max_workers, thread_name_prefix="aivs-s3")
        # Uploads whose chunks come from the event loop wait here, not in _pool: see the module
        # docstring (a source reading from this service would otherwise starve it).
        self._stream_pool = ThreadPoolExecutor(
            self.max_workers, thread_name_prefix="aivs-s3-stream"
        )
        self._closed = False

    def __repr__(self) -> str:
        return (
            f"AsyncS3Service(bucket={self.bucket!r}, key_prefix={self.key_prefix!r}, "
            f"max_workers={self.max_workers})"
        )

    async def _run(self, call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        return await self._run_in(self._pool, functools.partial(call, *args, **kwargs))

    async def _run_in(self, pool: ThreadPoolExecutor, call: Callable[[], T]) -> T:
        self._check_open()
        loop = asyncio.get_running_loop()
        try:
            future = loop.run_in_executor(pool, call)
        except RuntimeError:  # "cannot schedule new futures after shutdown": closed meanwhile
            self._check_open()
            raise
        return await future

    def _check_open(self) -> None:
        if self._closed:
            raise S3ServiceClosedError(
                f"{self!r} was closed (aclose() or the end of its 'async with'): build a new "
                "AsyncS3Service, or close it only once every call has finished."
            )

    # -- keys (no I/O) --------------------------------------------------------------------------

    def full_key(self, key: str) -> str:
        """The key as stored in S3 (see :meth:`S3Service.full_key`)."""
        return self.service.full_key(key)

    # -- writing --------------------------------------------------------------------------------

    async def upload_bytes(
        self,
        key: str,
        data: bytes | bytearray | memoryview,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
    ) -> S3WriteResult:
        """See :meth:`S3Service.upload_bytes`."""
        return await self._run(
            self.service.upload_bytes,
            key,
            data,
            content_type=content_type,
            metadata=metadata,
            overwrite=overwrite,
        )

    async def upload_file(
        self,
        key: str,
        source: PathOrFile,
        *,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> S3WriteResult:
        """See :meth:`S3Service.upload_file` (the file is read in the worker threads)."""
        return await self._run(
            self.service.upload_file, key, source, content_type=content_type, metadata=metadata
        )

    async def upload_stream(
        self,
        key: str,
        chunks: AsyncIterable[Chunk] | Iterable[Chunk],
        *,
        size: int | None = None,
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        overwrite: bool = True,
    ) -> S3WriteResult:
        """See :meth:`S3Service.upload_stream`; ``chunks`` may be an async iterable, pulled
        from the event loop one chunk at a time as the upload goes. Cancelled, the upload
        stops at its next chunk and stores nothing."""
        loop = asyncio.get_running_loop()
        stop = threading.Event()
        if isinstance(chunks, AsyncIterable):
            source: Iterable[Chunk] = pulled(chunks, loop, stop)
            pool = self._stream_pool
        else:
            source = until(chunks, stop)
            pool = self._pool
        upload = functools.partial(
            self.service.upload_stream,
            key,
            source,
            size=size,
            content_type=content_type,
            metadata=metadata,
            overwrite=overwrite,
        )
        try:
            return await self._run_in(pool, upload)
        except asyncio.CancelledError:
            stop.set()  # the worker's next pull raises: the upload aborts
            raise

    async def copy_object(self, src_key: str, dst_key: str) -> S3WriteResult:
        """See :meth:`S3Service.copy_object`."""
        return await self._run(self.service.copy_object, src_key, dst_key)

    # -- reading --------------------------------------------------------------------------------

    async def head_object(self, key: str) -> S3ObjectHead:
        """See :meth:`S3Service.head_object`."""
        return await self._run(self.service.head_object, key)

    async def exists(self, key: str) -> bool:
        """See :meth:`S3Service.exists`."""
        return await self._run(self.service.exists, key)

    async def download_bytes(self, key: str) -> bytes:
        """See :meth:`S3Service.download_bytes`."""
        return await self._run(self.service.download_bytes, key)

    async def download_file(self, key: str, dest: PathOrFile) -> S3ObjectHead:
        """See :meth:`S3Service.download_file` (the file is written in a worker thread)."""
        return await self._run(self.service.download_file, key, dest)

    async def iter_bytes(
        self, key: str, *, chunk_size: int = DEFAULT_CHUNK_SIZE
    ) -> AsyncIterator[bytes]:
        """See :meth:`S3Service.iter_bytes`: each chunk is read in a worker thread."""
        chunks = await self._run(self.service.iter_bytes, key, chunk_size=chunk_size)
        async for chunk in self._each(chunks):
            yield chunk

    # -- listing --------------------------------------------------------------------------------

    async def list_objects(
        self,
        prefix: str = "",
        *,
        delimiter: str | None = None,
        max_keys: int = 1000,
        continuation_token: str | None = None,
        start_after: str | None = None,
    ) -> S3ListResponse:
        """See :meth:`S3Service.list_objects`."""
        return await self._run(
            self.service.list_objects,
            prefix,
            delimiter=delimiter,
            max_keys=max_keys,
            continuation_token=continuation_token,
            start_after=start_after,
        )

    async def iter_objects(
        self,
        prefix: str = "",
        *,
        page_size: int = 1000,
        start_after: str | None = None,
        modified_since: datetime | None = None,
    ) -> AsyncIterator[S3ObjectMetadata]:
        """See :meth:`S3Service.iter_objects`: each page is fetched in a worker thread."""
        objects = self.service.iter_objects(
            prefix, page_size=page_size, start_after=start_after, modified_since=modified_since
        )
        async for item in self._each(objects):
            yield item

    # -- deleting -------------------------------------------------------------------------------

    async def delete_object(self, key: str) -> None:
        """See :meth:`S3Service.delete_object`."""
        await self._run(self.service.delete_object, key)

    async def delete_objects(self, keys: Iterable[str]) -> int:
        """See :meth:`S3Service.delete_objects`."""
        return await self._run(self.service.delete_objects, list(keys))

    # -- bucket housekeeping --------------------------------------------------------------------

    async def abort_incomplete_uploads_after(self, days: int = 1) -> None:
        """See :meth:`S3Service.abort_incomplete_uploads_after`."""
        await self._run(self.service.abort_incomplete_uploads_after, days)

    # -- presigning (no I/O, but botocore may load credentials) ---------------------------------

    async def generate_presigned_url(
        self,
        key: str,
        *,
        method: Literal["GET", "PUT"] = "GET",
        expires_in: int | None = None,
        content_type: str | None = None,
    ) -> str:
        """See :meth:`S3Service.generate_presigned_url`."""
        return await self._run(
            self.service.generate_presigned_url,
            key,
            method=method,
            expires_in=expires_in,
            content_type=content_type,
        )

    async def generate_presigned_post(
        self,
        key: str,
        *,
        content_type: str | None = None,
        max_size: int | None = None,
        expires_in: int | None = None,
    ) -> S3PresignedPost:
        """See :meth:`S3Service.generate_presigned_post`."""
        return await self._run(
            self.service.generate_presigned_post,
            key,
            content_type=content_type,
            max_size=max_size,
            expires_in=expires_in,
        )

    # -- plumbing -------------------------------------------------------------------------------

    def _each(self, items: Iterator[T]) -> AsyncIterator[T]:
        return each(items, lambda pull: self._run(pull), self._pool)

    async def aclose(self) -> None:
        """Stop the worker pool (after the calls running now) and close a service it built."""
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(None, self.close)

    def close(self) -> None:
        """:meth:`aclose` for code that has no event loop (a fixture's teardown, ``atexit``):
        it blocks until the calls running now have finished (uploads from an async source
        whose caller is gone stop at their next chunk). Later calls raise
        :class:`S3ServiceClosedError`; closing again does nothing."""
        if self._closed:
            return
        self._closed = True
        self._stream_pool.shutdown(cancel_futures=True)
        self._pool.shutdown()
        if self._owns_service:
            self.service.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
