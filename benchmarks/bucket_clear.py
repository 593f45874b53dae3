"""``S3Bucket.clear()`` against a fresh bucket, per Hypothesis example.

A property test with ``s3_bucket`` resets the bucket at the start of each example. Ours: the
median cost of ``clear()`` on a bucket holding three objects and one unfinished multipart
upload. Baseline: what a fresh bucket per example costs, creating it and removing it with the
same contents (``S3Backend.fresh_bucket``). Filling the bucket is not timed in either.

- moto (the default backend, where property tests run): ratio <= 0.2;
- SeaweedFS, for information: both cost a few round trips to a real server, so ratio <= 0.75.
"""

from __future__ import annotations

import statistics
import time

from ai_voice_shared_testing.s3_bucket import MotoBackend, S3Backend, S3Bucket, SeaweedFSBackend
from ai_voice_shared_testing.seaweedfs import find_weed
from benchmarks import Figure

ROUNDS = 40


def _fill(bucket: S3Bucket) -> None:
    for key in ("voice/a.ogg", "voice/b.ogg", "voice/c.ogg"):
        bucket.put(key, b"OggS" + bytes(1000))
    bucket.client.create_multipart_upload(Bucket=bucket.name, Key="voice/half.ogg")


def _measure(backend: S3Backend) -> tuple[float, float]:
    fresh: list[float] = []
    cleared: list[float] = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        buckets = backend.fresh_bucket()
        bucket = buckets.__enter__()
        created = time.perf_counter() - start
        _fill(bucket)
        start = time.perf_counter()
        bucket.clear()
        cleared.append(time.perf_counter() - start)
        _fill(bucket)
        start = time.perf_counter()
        buckets.__exit__(None, None, None)
        fresh.append(created + time.perf_counter() - start)
    return statistics.median(cleared) * 1000, statistics.median(fresh) * 1000


def run() -> list[Figure]:
    """Time both on moto, and on SeaweedFS when ``weed`` is installed."""
    figures = []
    with MotoBackend() as moto:
        value, baseline = _measure(moto)
    figures.append(
        Figure(
            name="s3_bucket.clear() per example on moto (vs a fresh bucket per example)",
            value=value,
            baseline=baseline,
            unit="ms",
            target=0.2,
            bound="max",
        )
    )
    if find_weed() is not None:
        with SeaweedFSBackend() as seaweedfs:
            value, baseline = _measure(seaweedfs)
        figures.append(
            Figure(
                name="s3_bucket.clear() per example on SeaweedFS (vs a fresh bucket per example)",
                value=value,
                baseline=baseline,
                unit="ms",
                target=0.75,
                bound="max",
            )
        )
    return figures
