"""What each S3 backend of the kit enforces, against what S3 does: the fidelity table of
docs/testing-s3.md is generated here, so it cannot go stale (issue 21, item 5).

Run with ``AIVS_WRITE_FIDELITY=1`` to rewrite the table in the docs after a backend changes.
Each probe talks HTTP to a real server: a moto server (what ``ai-voice-shared fakes`` and
``demo`` run) and SeaweedFS. The in-process moto of ``s3_bucket`` answers boto3 only: a
presigned URL fetched over HTTP there stops with RealHostError (tested in
tests/testing/test_plugin_s3.py), so it cannot pass where S3 would refuse.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer
from tests.shared.services.s3_backends import create_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

DOCS = Path(__file__).parents[3] / "docs" / "testing-s3.md"
START, END = "[//]: # (fidelity-table:start)", "[//]: # (fidelity-table:end)"
KEYS = ["a/b", "a-b", "a0"]  # S3 lists by UTF-8 bytes: a-b (0x2d), a/b (0x2f), a0 (0x30)

#: What S3 answers (AWS S3 API reference: presigned URLs, POST policy, ListObjectsV2).
S3 = {
    "presigned GET, signature altered": "403",
    "presigned GET, expired": "403",
    "presigned POST over content-length-range": "400, not stored",
    "PUT to a bucket that does not exist": "404",
    "ListObjectsV2 order": "by UTF-8 bytes",
}


def _probe(client: S3Client, bucket: str, expired_url: str) -> dict[str, str]:
    client.put_object(Bucket=bucket, Key="k", Body=b"OggS")
    url = client.generate_presigned_url("get_object", Params={"Bucket": bucket, "Key": "k"})
    head, _, signature = url.rpartition("X-Amz-Signature=")
    altered = head + "X-Amz-Signature=" + ("0" if signature[0] != "0" else "1") + signature[1:]
    post = client.generate_presigned_post(
        bucket, "big", Conditions=[["content-length-range", 0, 10]], ExpiresIn=60
    )
    posted = httpx.post(post["url"], data=post["fields"], files={"file": b"x" * 100})
    stored = "Contents" in client.list_objects_v2(Bucket=bucket, Prefix="big")
    missing = f"{bucket}-missing"
    put = httpx.put(
        client.generate_presigned_url(
            "put_object", Params={"Bucket": missing, "Key": "k"}, ExpiresIn=60
        ),
        content=b"x",
    )
    for key in KEYS:
        client.put_object(Bucket=bucket, Key=key, Body=b"")
    listed = [o["Key"] for o in client.list_objects_v2(Bucket=bucket, Prefix="a")["Contents"]]
    return {
        "presigned GET, signature altered": str(httpx.get(altered).status_code),
        "presigned GET, expired": str(httpx.get(expired_url).status_code),
        "presigned POST over content-length-range": (
            f"{posted.status_code}, {'stored' if stored else 'not stored'}"
        ),
        "PUT to a bucket that does not exist": str(put.status_code),
        "ListObjectsV2 order": (
            "by UTF-8 bytes" if listed == sorted(KEYS, key=str.encode) else " ".join(listed)
        ),
    }


def _cell(found: str, behaviour: str) -> str:
    return found if found == S3[behaviour] else f"**{found}** (S3: {S3[behaviour]})"


def table(results: dict[str, dict[str, str]]) -> str:
    backends = list(results)
    lines = [
        "| behaviour | S3 | " + " | ".join(backends) + " |",
        "| --- | --- | " + " | ".join("---" for _ in backends) + " |",
    ]
    for behaviour in S3:
        cells = [_cell(results[b][behaviour], behaviour) for b in backends]
        lines.append(f"| {behaviour} | {S3[behaviour]} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


@pytest.fixture
def moto_server() -> Iterator[str]:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def test_the_fidelity_table_in_the_docs_is_what_the_backends_do(
    moto_server: str, seaweedfs_server: SeaweedFSServer
) -> None:
    clients: dict[str, Callable[[str], S3Client]] = {
        "moto server": lambda bucket: build_s3_client(
            S3Settings(
                bucket_name=bucket,
                region="eu-west-1",
                endpoint_url=moto_server,
                access_key_id="testing",
                secret_access_key="testing",
            )
        ),
        "SeaweedFS": lambda bucket: build_s3_client(seaweedfs_server.s3_settings(bucket)),
    }
    runs = []
    for name, make in clients.items():
        bucket = f"aivs-fidelity-{uuid.uuid4().hex[:12]}"
        client = make(bucket)
        create_bucket(client, bucket, client.meta.region_name)
        client.put_object(Bucket=bucket, Key="k", Body=b"OggS")
        expiring = client.generate_presigned_url(
            "get_object", Params={"Bucket": bucket, "Key": "k"}, ExpiresIn=1
        )
        runs.append((name, client, bucket, expiring))
    time.sleep(2.1)  # the one real wait: presigned expiry is checked against the server's clock
    results = {name: _probe(client, bucket, url) for name, client, bucket, url in runs}
    generated = table(results)

    text = DOCS.read_text()
    before, _, rest = text.partition(START + "\n")
    current, _, after = rest.partition(END)
    current = current.removesuffix("\n")
    if os.environ.get("AIVS_WRITE_FIDELITY") == "1":
        DOCS.write_text(f"{before}{START}\n{generated}\n{END}{after}")
        current = generated
    assert current == generated, (
        "docs/testing-s3.md's fidelity table is stale; rerun this test with "
        f"AIVS_WRITE_FIDELITY=1. Generated:\n{generated}"
    )
