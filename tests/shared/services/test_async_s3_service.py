"""AsyncS3Service beyond the contract suite: cancellation, streams between two keys, closing.

The contract suite (test_s3_service.py) runs every S3Service test on AsyncS3Service too; these
are what only an event loop can do to it. Each was found by an attack on the async twin.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Iterator

import pytest

from ai_voice_shared import AsyncS3Service, S3Service, S3ServiceClosedError
from tests.shared.services.s3_backends import MiB, S3Backend

pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def sync_s3(backend: S3Backend, bucket: str) -> S3Service:
    return S3Service(backend.settings(bucket), client=backend.client)


def no_uploads_left(s3: S3Service) -> bool:
    answer = s3.client.list_multipart_uploads(Bucket=s3.bucket)
    return answer.get("Uploads", []) == []


async def test_a_cancelled_iteration_raises_the_cancellation_not_a_generator_error(
    sync_s3: S3Service,
) -> None:
    for index in range(30):
        sync_s3.upload_bytes(f"voice/{index:02}.ogg", b"x")
    async with AsyncS3Service(service=sync_s3, max_workers=2) as s3:

        async def walk() -> None:
            async for _ in s3.iter_objects("voice/", page_size=1):
                await asyncio.sleep(0)

        for _ in range(5):
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(walk(), 0.01)
        assert len([o async for o in s3.iter_objects("voice/")]) == 30  # the pool still works


async def test_a_stream_of_another_key_of_the_same_service_is_copied_even_with_one_worker(
    sync_s3: S3Service,
) -> None:
    data = os.urandom(2 * MiB)
    sync_s3.upload_bytes("voice/src.ogg", data)
    async with AsyncS3Service(service=sync_s3, max_workers=1) as s3:
        copies = [
            s3.upload_stream(f"voice/copy{n}.ogg", s3.iter_bytes("voice/src.ogg", chunk_size=MiB))
            for n in range(3)
        ]
        results = await asyncio.wait_for(asyncio.gather(*copies), 60)

    assert [r.size for r in results] == [len(data)] * 3
    assert sync_s3.download_bytes("voice/copy2.ogg") == data


@pytest.mark.parametrize("length", [64 * 1024, 12 * MiB], ids=["one request", "in parts"])
async def test_a_cancelled_upload_stream_stops_pulling_and_stores_nothing(
    sync_s3: S3Service, length: int
) -> None:
    pulled = 0
    chunk = os.urandom(length // 8)

    async def slow_source() -> AsyncIterator[bytes]:
        nonlocal pulled
        for _ in range(8):
            pulled += 1
            yield chunk
            await asyncio.sleep(0.05)

    async with AsyncS3Service(service=sync_s3) as s3:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(s3.upload_stream("voice/k.ogg", slow_source()), 0.12)
        at_cancel = pulled
    # Leaving the block waited for the worker, which stopped at its next pull.
    assert pulled <= at_cancel + 1 < 8
    assert not sync_s3.exists("voice/k.ogg")
    assert no_uploads_left(sync_s3)


async def test_a_cancelled_upload_from_a_sync_iterable_stops_at_its_next_chunk(
    sync_s3: S3Service,
) -> None:
    started = asyncio.Event()
    loop = asyncio.get_running_loop()

    def source() -> Iterator[bytes]:
        for _ in range(100):
            loop.call_soon_threadsafe(started.set)
            yield os.urandom(64 * 1024)
            time.sleep(0.01)

    async with AsyncS3Service(service=sync_s3) as s3:
        task = asyncio.create_task(s3.upload_stream("voice/k.ogg", source()))
        await started.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not sync_s3.exists("voice/k.ogg")


async def test_leaving_the_block_after_a_timeout_on_a_stalled_source_does_not_hang(
    sync_s3: S3Service,
) -> None:
    async def stalled() -> AsyncIterator[bytes]:
        yield b"OggS"
        await asyncio.Event().wait()  # never sends the rest
        yield b""

    async def run() -> None:
        async with AsyncS3Service(service=sync_s3) as s3:
            await asyncio.wait_for(s3.upload_stream("voice/k.ogg", stalled()), 0.1)

    with pytest.raises(TimeoutError):
        await asyncio.wait_for(run(), 30)  # the bug: aclose() waited for the stalled worker
    assert not sync_s3.exists("voice/k.ogg")


async def test_a_call_after_aclose_is_a_typed_error_and_closing_twice_is_harmless(
    sync_s3: S3Service,
) -> None:
    s3 = AsyncS3Service(service=sync_s3)
    await s3.aclose()
    await s3.aclose()
    s3.close()

    with pytest.raises(S3ServiceClosedError) as caught:
        await s3.upload_bytes("voice/k.ogg", b"x")
    with pytest.raises(S3ServiceClosedError):
        [o async for o in s3.iter_objects()]

    assert str(caught.value) == (
        f"{s3!r} was closed (aclose() or the end of its 'async with'): build a new "
        "AsyncS3Service, or close it only once every call has finished."
    )
    assert sync_s3.upload_bytes("voice/k.ogg", b"x").created  # the shared service is open


async def test_a_cancellation_during_the_last_pull_of_a_sync_source_stores_nothing(
    sync_s3: S3Service,
) -> None:
    # Found by an attack: the stop was checked only when a chunk came, never when the source
    # ended, so an upload cancelled during its last pull completed.
    pulling_last = asyncio.Event()
    loop = asyncio.get_running_loop()

    def source() -> Iterator[bytes]:
        yield b"OggS"
        loop.call_soon_threadsafe(pulling_last.set)
        time.sleep(0.3)

    async with AsyncS3Service(service=sync_s3) as s3:
        task = asyncio.create_task(s3.upload_stream("voice/k.ogg", source()))
        await pulling_last.wait()
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert not sync_s3.exists("voice/k.ogg")
