"""``S3Service``'s interface over an ``AsyncS3Service``, so that one contract suite runs every
test on both services: each coroutine runs on an event loop in a thread of its own, each async
iterator is pulled one item at a time, and a sync iterable handed to ``upload_stream`` reaches
the async service as an async iterable (its loop-to-worker path is the one exercised)."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import AsyncIterator, Awaitable, Iterable, Iterator
from typing import Any, TypeVar

from ai_voice_shared import AsyncS3Service

T = TypeVar("T")


class EventLoopThread:
    """An event loop running in a daemon thread until :meth:`stop`."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, awaitable: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result(timeout=120)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        self.loop.close()


class SyncFacade:
    """What a test of ``S3Service`` needs, answered by an ``AsyncS3Service``."""

    def __init__(self, service: AsyncS3Service, loop: EventLoopThread) -> None:
        self.async_service = service
        self._loop = loop

    def __repr__(self) -> str:
        return f"SyncFacade({self.async_service!r})"

    @property
    def client(self) -> Any:
        return self.async_service.service.client

    def upload_stream(self, key: str, chunks: Iterable[bytes], **options: Any) -> Any:
        return self._loop.run(self.async_service.upload_stream(key, _async(chunks), **options))

    def close(self) -> None:
        self._loop.run(self.async_service.aclose())

    def __enter__(self) -> SyncFacade:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self.async_service, name)
        if inspect.iscoroutinefunction(attribute):
            return lambda *args, **kwargs: self._loop.run(attribute(*args, **kwargs))
        if inspect.isasyncgenfunction(attribute):
            return lambda *args, **kwargs: self._pulled(attribute(*args, **kwargs))
        return attribute

    def _pulled(self, items: AsyncIterator[T]) -> Iterator[T]:
        # The first item is fetched at once: S3Service's iterators send their first request
        # when called (a missing key raises there), the async ones at the first iteration.
        first = self._loop.run(_next(items))
        return self._rest(first, items)

    def _rest(self, first: Any, items: AsyncIterator[T]) -> Iterator[T]:
        try:
            item = first
            while item is not _DONE:
                yield item
                item = self._loop.run(_next(items))
        finally:
            self._loop.run(items.aclose())  # type: ignore[attr-defined]


_DONE: Any = object()


async def _next(items: AsyncIterator[T]) -> Any:
    try:
        return await items.__anext__()
    except StopAsyncIteration:
        return _DONE


async def _async(chunks: Iterable[bytes]) -> AsyncIterator[bytes]:
    for chunk in chunks:
        yield chunk
