"""Iterators carried between the event loop and ``AsyncS3Service``'s worker threads.

A worker uploading from an async iterable pulls it from the loop one chunk at a time
(:func:`pulled`); a sync source stops once its caller is cancelled (:func:`until`); and a sync
iterator of a worker is walked from the loop one item at a time (:func:`each`).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from concurrent.futures import Executor
from typing import Any, TypeVar

__all__ = ["SourceCancelledError", "each", "pulled", "until"]

T = TypeVar("T")
_DONE = object()


class SourceCancelledError(Exception):
    """Raised into a worker's upload when its caller was cancelled: the upload aborts."""


async def each(
    items: Iterator[T], run: Callable[[Callable[[], Any]], Awaitable[Any]], pool: Executor
) -> AsyncIterator[T]:
    """Pull a sync iterator one item at a time with ``run`` (in ``pool``); closed when left (a
    ``break``, a cancellation), after the pull that is running, if any, has finished."""
    lock = threading.Lock()  # one pull or close at a time: a generator is not reentrant

    def pull() -> Any:
        with lock:
            return next(items, _DONE)

    def close() -> None:
        with lock:
            shut = getattr(items, "close", None)
            if shut is not None:
                shut()

    try:
        while (item := await run(pull)) is not _DONE:
            yield item
    finally:
        # Not awaited: a cancelled caller must not wait for a read it no longer wants.
        try:
            pool.submit(close)
        except RuntimeError:  # the pool is closed: close it in a thread of its own
            threading.Thread(target=close, name="aivs-s3-close", daemon=True).start()


def pulled(
    chunks: AsyncIterable[T], loop: asyncio.AbstractEventLoop, stop: threading.Event
) -> Iterator[T]:
    """A sync iterator, for a worker thread, over an async iterable of the event loop; once
    ``stop`` is set (the caller was cancelled), the next pull raises instead."""
    iterator = aiter(chunks)
    try:
        while True:
            if stop.is_set():
                raise SourceCancelledError("upload_stream was cancelled")
            future = asyncio.run_coroutine_threadsafe(_next_or_done(iterator), loop)
            while True:  # wake up now and then: a cancelled caller does not send the chunk
                try:
                    chunk = future.result(timeout=0.05)
                    break
                except concurrent.futures.TimeoutError:
                    if stop.is_set() or loop.is_closed():
                        future.cancel()
                        raise SourceCancelledError("upload_stream was cancelled") from None
            if chunk is _DONE:
                if stop.is_set():
                    raise SourceCancelledError("upload_stream was cancelled")
                return
            yield chunk
    finally:
        closer = getattr(iterator, "aclose", None)
        if closer is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop stopped meanwhile
                asyncio.run_coroutine_threadsafe(closer(), loop)


def until(chunks: Iterable[T], stop: threading.Event) -> Iterator[T]:
    """``chunks``, until ``stop`` is set (the caller was cancelled)."""
    for chunk in chunks:
        if stop.is_set():
            raise SourceCancelledError("upload_stream was cancelled")
        yield chunk
    if stop.is_set():  # cancelled while the last pull ran: the upload must not complete
        raise SourceCancelledError("upload_stream was cancelled")


async def _next_or_done(iterator: AsyncIterator[T]) -> Any:
    return await anext(iterator, _DONE)
