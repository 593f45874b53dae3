"""Voice-note ingest: Twilio media into S3, against the naive pattern services hand-write.

- Throughput and memory: a 16 MiB voice note from the live fake Twilio API (API and CDN on
  127.0.0.1) into a real SeaweedFS server. Ours: ``MediaIngest.ingest``, which streams it in
  parts. Baseline: ``httpx.get`` with Basic auth and ``follow_redirects=True`` into memory, then
  boto3 ``put_object``. Each runs in a fresh child process, ``ROUNDS`` times, alternating who
  goes first; the medians are compared (single runs vary by +-25% on this shared machine).
  Targets: throughput ratio >= 1.0; peak RSS growth <= one part
  (``S3_MULTIPART_CHUNK_SIZE_BYTES``) + 4 MiB, where the naive pattern holds the whole file.
- Requests per ingested voice note, in process (the kit's fakes, moto): one media GET, one CDN
  GET and the S3 write requests only, no HEAD or listing (the bucket check is once per
  service, so the second note is counted). Printed and asserted.
"""

from __future__ import annotations

import json
import os
import sys
import time
import uuid

from benchmarks import Figure, median, reset_peak_rss, rss_kib, run_child

MiB = 1024 * 1024
SIZE = 16 * MiB
ROUNDS = 7


def child(mode: str, config: str) -> None:
    """One ingest (ours or naive) in this process; print seconds and peak RSS growth."""
    import boto3
    import httpx

    from ai_voice_shared import MediaIngest, S3Service, TwilioMediaClient, TwilioWebhookPayload
    from ai_voice_shared.settings import S3Settings, TwilioSettings

    values = json.loads(config)
    payload = TwilioWebhookPayload.model_validate_json(values["payload"])
    s3_settings = S3Settings(**values["s3"])
    twilio_settings = TwilioSettings(**values["twilio"])
    s3 = S3Service(s3_settings)
    media = TwilioMediaClient(twilio_settings)
    ingest = MediaIngest(s3, media)
    client = boto3.client(
        "s3",
        endpoint_url=s3_settings.endpoint_url,
        region_name=s3_settings.region,
        aws_access_key_id=values["s3"]["access_key_id"],
        aws_secret_access_key=values["s3"]["secret_access_key"],
    )
    web = httpx.Client()
    client.head_bucket(Bucket=s3_settings.bucket_name)  # warm both clients
    s3.exists("warm-up")
    reset_peak_rss()
    before = rss_kib("VmRSS")
    start = time.perf_counter()
    if mode == "ours":
        (stored,) = ingest.ingest(payload)
        assert stored.size == SIZE
    else:
        item = payload.media[0]
        auth = (twilio_settings.account_sid or "", values["twilio"]["auth_token"])
        body = web.get(item.url, auth=auth, follow_redirects=True).content
        client.put_object(
            Bucket=s3_settings.bucket_name,
            Key=f"naive/{uuid.uuid4().hex}.ogg",
            Body=body,
            ContentType=item.content_type,
        )
    seconds = time.perf_counter() - start
    growth = max(0, (rss_kib("VmHWM") - before) * 1024)
    print(json.dumps({"seconds": seconds, "rss_growth": growth}))


def _throughput() -> Figure:
    from ai_voice_shared.hooks import build_s3_client
    from ai_voice_shared_testing import FakeTwilioApi
    from ai_voice_shared_testing.seaweedfs import SeaweedFSServer

    with SeaweedFSServer() as server, FakeTwilioApi() as twilio:
        twilio.serve()
        bucket = f"aivs-bench-{uuid.uuid4().hex[:12]}"
        s3_settings = server.s3_settings(bucket)
        build_s3_client(s3_settings).create_bucket(Bucket=bucket)
        part = s3_settings.multipart_chunk_size_bytes
        content = b"OggS" + os.urandom(SIZE - 4)
        seconds: dict[str, list[float]] = {"ours": [], "naive": []}
        growth: dict[str, float] = {"ours": 0.0, "naive": 0.0}
        for round_ in range(ROUNDS):
            for mode in ("naive", "ours") if round_ % 2 == 0 else ("ours", "naive"):
                payload = twilio.voice_note(content)  # a new message each time: always created
                config = json.dumps(
                    {
                        "payload": payload.model_dump_json(),
                        "s3": {
                            "bucket_name": bucket,
                            "endpoint_url": server.endpoint_url,
                            "region": server.region,
                            "access_key_id": server.access_key_id,
                            "secret_access_key": server.secret_access_key,
                        },
                        "twilio": {
                            "account_sid": twilio.account_sid,
                            "auth_token": twilio.auth_token,
                            "api_base_url": twilio.api_base_url,
                        },
                    }
                )
                measured = run_child("benchmarks.media_ingest", mode, config)
                seconds[mode].append(measured["seconds"])
                growth[mode] = max(growth[mode], measured["rss_growth"] / MiB)
    limit = (part + 4 * MiB) / MiB
    return Figure(
        name="ingest of a 16 MiB voice note, Twilio to SeaweedFS (vs httpx.get + put_object)",
        value=SIZE / MiB / median(seconds["ours"]),
        baseline=SIZE / MiB / median(seconds["naive"]),
        unit="MiB/s",
        target=1.0,
        bound="min",
        extra_ok=growth["ours"] <= limit,
        extra=(
            f"peak RSS growth {growth['ours']:.1f} MiB (naive {growth['naive']:.1f} MiB) "
            f"<= one part + 4 MiB = {limit:.0f} MiB"
        ),
    )


def _requests() -> Figure:
    from ai_voice_shared import MediaIngest, TwilioMediaClient
    from ai_voice_shared_testing import FakeTwilioApi, MotoBackend

    with (
        MotoBackend() as backend,
        backend.fresh_bucket() as bucket,
        FakeTwilioApi().intercept() as twilio,
        TwilioMediaClient(twilio.settings()) as media,
    ):
        ingest = MediaIngest(bucket.service, media)
        ingest.ingest(twilio.voice_note(b"OggS" + bytes(64 * 1024)))  # the bucket check, once
        bucket.clear()
        twilio.reset()
        ingest.ingest(twilio.voice_note(b"OggS" + bytes(64 * 1024)))
        twilio_requests = [f"{r.role} {r.method}" for r in twilio.requests]
        s3_requests = [call.operation for call in bucket.calls]
    counted = len(twilio_requests) + len(s3_requests)
    expected = ["api GET", "cdn GET"], ["PutObject"]
    return Figure(
        name="requests per ingested voice note (vs one media GET, one CDN GET, one PutObject)",
        value=counted,
        baseline=3,
        unit="requests",
        target=1.0,
        bound="max",
        extra_ok=(twilio_requests, s3_requests) == expected,
        extra=f"Twilio {twilio_requests}, S3 {s3_requests}, no HEAD or listing",
    )


def run() -> list[Figure]:
    """Both figures; the throughput one needs SeaweedFS (``weed``)."""
    from ai_voice_shared_testing.seaweedfs import find_weed

    figures = [_requests()]
    if find_weed() is not None:
        figures.append(_throughput())
    return figures


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2])
