"""S3 streaming: ``upload_file`` / ``download_file`` of 256 MiB against a real SeaweedFS server.

Baseline: plain boto3 ``upload_fileobj`` / ``download_fileobj`` (default TransferConfig) on the
same server in the same run. Each transfer runs in a fresh child process so that its peak RSS
growth (peak during the transfer minus RSS before it) is its own. Targets: upload throughput
>= 0.9x the baseline's (ours also reads the file once for its full-object CRC32), download
>= 1.0x (one checked GET against s3transfer's parallel ranges), and peak RSS growth <= 64 MiB
for ours. Best of ``ROUNDS`` alternating runs: single runs on this shared machine vary by
+-40%.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import uuid
from pathlib import Path

from benchmarks import Figure, reset_peak_rss, rss_kib, run_child

MiB = 1024 * 1024
SIZE = 256 * MiB
ROUNDS = 5
RSS_LIMIT_MIB = 64.0


def child(mode: str, endpoint: str, bucket: str, path: str, key_id: str, secret: str) -> None:
    """Run one transfer in this process and print its seconds and peak RSS growth."""
    import boto3

    from ai_voice_shared import S3Service, S3Settings

    settings = S3Settings(
        bucket_name=bucket,
        endpoint_url=endpoint,
        region="us-east-1",
        access_key_id=key_id,
        secret_access_key=secret,
    )
    service = S3Service(settings)
    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    client.list_buckets()  # warm both connection pools before measuring
    service.exists("warm-up")
    reset_peak_rss()
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    if mode == "upload-ours":
        service.upload_file("bench/ours.bin", Path(path))
    elif mode == "upload-boto3":
        with open(path, "rb") as stream:
            client.upload_fileobj(stream, bucket, "bench/boto3.bin")
    elif mode == "download-ours":
        service.download_file("bench/ours.bin", Path(path))
    elif mode == "download-boto3":
        with open(path, "wb") as stream:
            client.download_fileobj(bucket, "bench/ours.bin", stream)
    seconds = time.perf_counter() - start
    growth = (rss_kib("VmHWM") - before) * 1024
    print(json.dumps({"seconds": seconds, "rss_growth": max(0, growth)}))


def _run(
    mode: str, endpoint: str, bucket: str, path: Path, key_id: str, secret: str
) -> dict[str, float]:
    return run_child("benchmarks.s3_streaming", mode, endpoint, bucket, str(path), key_id, secret)


def run() -> list[Figure]:
    """Start SeaweedFS, write a 256 MiB file, time each transfer ``ROUNDS`` times, best of."""
    from ai_voice_shared.hooks import build_s3_client
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

    # The client's files live in memory (/dev/shm when present) so that the figures compare
    # client code, not the shared disk's mood; SeaweedFS keeps its data on disk as usual.
    scratch = "/dev/shm" if Path("/dev/shm").is_dir() else None
    with SeaweedFSServer() as server, tempfile.TemporaryDirectory(dir=scratch) as tmp:
        source, target = Path(tmp) / "source.bin", Path(tmp) / "target.bin"
        with source.open("wb") as out:
            block = bytes(range(256)) * (MiB // 256)
            for index in range(SIZE // MiB):
                out.write(block[index % 256 :] + block[: index % 256])
        bucket = f"aivs-bench-{uuid.uuid4().hex[:12]}"
        build_s3_client(server.s3_settings(bucket)).create_bucket(Bucket=bucket)
        best: dict[str, dict[str, float]] = {}
        for round_ in range(ROUNDS):
            # Alternate who goes first; both downloads read the object upload_file stored
            # (with its full-object CRC32, which ours checks while it streams and boto3 does
            # not), so they differ only in the client code.
            pairs = [("upload-boto3", "upload-ours"), ("download-boto3", "download-ours")]
            modes = [m for pair in pairs for m in (pair if round_ % 2 == 0 else pair[::-1])]
            for mode in modes:
                path = source if mode.startswith("upload") else target
                measured = _run(
                    mode,
                    server.endpoint_url,
                    bucket,
                    path,
                    server.access_key_id,
                    server.secret_access_key,
                )
                if mode not in best or measured["seconds"] < best[mode]["seconds"]:
                    best[mode] = {
                        **measured,
                        "rss_growth": max(
                            measured["rss_growth"], best.get(mode, {}).get("rss_growth", 0.0)
                        ),
                    }
    figures = []
    for direction in ("upload", "download"):
        ours, base = best[f"{direction}-ours"], best[f"{direction}-boto3"]
        growth = ours["rss_growth"] / MiB
        figures.append(
            Figure(
                name=f"S3 {direction}_file 256 MiB on SeaweedFS (vs boto3 {direction}_fileobj)",
                value=SIZE / MiB / ours["seconds"],
                baseline=SIZE / MiB / base["seconds"],
                unit="MiB/s",
                target=0.9 if direction == "upload" else 1.0,
                bound="min",
                extra_ok=growth <= RSS_LIMIT_MIB,
                extra=(
                    f"peak RSS growth {growth:.1f} MiB (boto3 {base['rss_growth'] / MiB:.1f} MiB)"
                    f" <= {RSS_LIMIT_MIB:.0f} MiB"
                ),
            )
        )
    return figures


if __name__ == "__main__":
    child(*sys.argv[1:7])
