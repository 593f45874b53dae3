"""S3 for asyncio services: AsyncS3Service against the patterns services write by hand.

- Requests per ``upload_bytes`` after the first (moto in process, every request botocore sends
  counted): 1, no HEAD after the PUT, no HeadBucket after the first. Printed and asserted.
- 200 concurrent 64 KiB uploads with ``AsyncS3Service`` against the same uploads one after
  the other with ``S3Service``, to a real SeaweedFS server through a loopback proxy that holds
  each request 20 ms (what a real S3 region costs; without it, client and server share this
  machine's two cores and concurrency buys little). Target: >= 8x.
- The same 200 uploads as ``asyncio.gather`` of ``asyncio.to_thread(s3.upload_bytes, ...)``,
  what services wrote by hand. Target: ours >= 1.0x, with peak threads bounded by
  ``S3_MAX_WORKERS`` (the extra condition reports the peak of each).

Each figure is the median of ``ROUNDS`` interleaved rounds.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from benchmarks import Figure, median

UPLOADS = 200
SIZE = 64 * 1024
LATENCY = 0.02
ROUNDS = 3


def _requests_per_upload() -> Figure:
    from moto import mock_aws

    from ai_voice_shared import S3Service, S3Settings
    from ai_voice_shared_testing.s3_bucket import create_bucket

    with mock_aws():
        settings = S3Settings(
            bucket_name="aivs-bench-requests",
            region="eu-west-1",
            access_key_id="testing",
            secret_access_key="testing",
        )
        with S3Service(settings) as s3:
            create_bucket(s3.client, settings.bucket_name, "eu-west-1")
            sent: list[str] = []
            s3.client.meta.events.register(
                "before-send.s3", lambda request, **_: sent.append(request.method)
            )
            s3.upload_bytes("warm/first", b"x")  # the one-time bucket check happens here
            first = len(sent)
            count = 20
            for index in range(count):
                s3.upload_bytes(f"voice/{index}.ogg", os.urandom(1024), overwrite=index % 2 == 0)
            per_upload = (len(sent) - first) / count
    assert per_upload == 1, f"{per_upload} requests per upload_bytes, not 1"
    return Figure(
        name="requests per upload_bytes after the first, on moto (vs the one PutObject)",
        value=per_upload,
        baseline=1.0,
        unit="requests",
        target=1.0,
        bound="max",
        extra_ok=first == 2,
        extra=f"the first upload sends HeadBucket + PutObject ({first} requests)",
    )


class _PeakThreads:
    """The most threads named ``prefix...`` alive at once while it runs (sampled every
    millisecond): ours are ``aivs-s3_*``, asyncio's default executor's ``asyncio_*``; the
    proxy's are not counted."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)

    def _watch(self) -> None:
        while not self._stop.is_set():
            workers = sum(t.name.startswith(self.prefix) for t in threading.enumerate())
            self.peak = max(self.peak, workers)
            time.sleep(0.001)

    def __enter__(self) -> _PeakThreads:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _concurrency() -> list[Figure]:
    from ai_voice_shared import AsyncS3Service, S3Service
    from ai_voice_shared_testing import FaultProxy
    from ai_voice_shared_testing.s3_bucket import create_bucket
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

    payload = os.urandom(SIZE)
    with SeaweedFSServer() as server, FaultProxy(server.endpoint_url) as proxy:
        bucket = f"aivs-bench-{uuid.uuid4().hex[:12]}"
        settings = server.s3_settings(bucket).model_copy(update={"endpoint_url": proxy.url})
        sync = S3Service(settings)
        create_bucket(sync.client, bucket, server.region)
        sync.upload_bytes("warm", b"x")  # bucket check and connection pool warm
        proxy.latency(LATENCY)

        def sequential(round_: int) -> None:
            for index in range(UPLOADS):
                sync.upload_bytes(f"seq/{round_}/{index}", payload)

        async def ours(round_: int) -> None:
            async with AsyncS3Service(service=sync) as s3:
                await asyncio.gather(
                    *(
                        s3.upload_bytes(f"async/{round_}/{index}", payload)
                        for index in range(UPLOADS)
                    )
                )

        async def by_hand(round_: int) -> None:
            await asyncio.gather(
                *(
                    asyncio.to_thread(sync.upload_bytes, f"hand/{round_}/{index}", payload)
                    for index in range(UPLOADS)
                )
            )

        def timed(
            work: Callable[[int], Awaitable[None] | None], round_: int, prefix: str
        ) -> tuple[float, int]:
            with _PeakThreads(prefix) as threads:
                start = time.perf_counter()
                outcome: Any = work(round_)
                if asyncio.iscoroutine(outcome):
                    asyncio.run(outcome)
                seconds = time.perf_counter() - start
            return seconds, threads.peak

        times: dict[str, list[float]] = {"sequential": [], "ours": [], "by_hand": []}
        peaks: dict[str, int] = {"ours": 0, "by_hand": 0}
        for round_ in range(ROUNDS):
            for name, work, prefix in (
                ("sequential", sequential, "-"),
                ("ours", ours, "aivs-s3_"),
                ("by_hand", by_hand, "asyncio_"),
            ):
                seconds, peak = timed(work, round_, prefix)
                times[name].append(seconds)
                if name in peaks:
                    peaks[name] = max(peaks[name], peak)
        workers = sync.settings.max_workers
        sync.close()
    return [
        Figure(
            name=f"{UPLOADS} concurrent 64 KiB uploads, AsyncS3Service vs sequential S3Service "
            f"(SeaweedFS behind +{LATENCY * 1000:.0f} ms per request)",
            value=UPLOADS / median(times["ours"]),
            baseline=UPLOADS / median(times["sequential"]),
            unit="uploads/s",
            target=8.0,
            bound="min",
        ),
        Figure(
            name=f"{UPLOADS} concurrent 64 KiB uploads, AsyncS3Service vs asyncio.gather of "
            "asyncio.to_thread calls",
            value=UPLOADS / median(times["ours"]),
            baseline=UPLOADS / median(times["by_hand"]),
            unit="uploads/s",
            target=1.0,
            bound="min",
            extra_ok=0 < peaks["ours"] <= workers,
            extra=(
                f"peak worker threads <= S3_MAX_WORKERS={workers} (ours {peaks['ours']}, "
                f"to_thread {peaks['by_hand']}, the default executor's cap on this machine)"
            ),
        ),
    ]


def run() -> list[Figure]:
    return [_requests_per_upload(), *_concurrency()]
