"""Per-test cost of the plugin's fixtures against the hand-wired patterns they replace.

Each kind of test runs N times in its own pytest process; a conftest hook times each test's
whole protocol (setup + call + teardown) with ``perf_counter``, and the median is taken, minus
the median of a bare test.
- ``s3_bucket`` (a put_object and a get_object through ``s3_bucket.client``) versus the naive
  moto pattern (``mock_aws()``, a new client, ``create_bucket``, the same two calls): >= 15x.
- ``lookup_server`` (add a customer, one ``httpx.get``) versus a bare respx route answering the
  same request: <= 1.5x.
- A test whose S3 put is throttled twice (``fail("PutObject", code="SlowDown", times=2)``, so
  botocore retries with backoff) versus the same test without the fault: <= 1.5x. The backoff
  waits on the virtual clock; waited for real it costs ~1.9 s.
- The same for a lookup answered 503 twice with ``Retry-After: 1``: <= 1.5x.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

from benchmarks import Figure

KINDS = {
    "bare": (
        200,
        """
        def test_case():
            pass
        """,
    ),
    "s3_bucket": (
        200,
        """
        def test_case(s3_bucket):
            s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="k", Body=b"OggS")
            s3_bucket.client.get_object(Bucket=s3_bucket.name, Key="k")["Body"].read()
        """,
    ),
    "s3 retried fault": (
        200,
        """
        def test_case(s3_bucket):
            s3_bucket.fail("PutObject", code="SlowDown", status=503, times=2)
            s3_bucket.client.put_object(Bucket=s3_bucket.name, Key="k", Body=b"OggS")
            s3_bucket.client.get_object(Bucket=s3_bucket.name, Key="k")["Body"].read()
        """,
    ),
    "naive moto": (
        40,
        """
        import uuid
        import boto3
        from moto import mock_aws

        def test_case():
            with mock_aws():
                client = boto3.client("s3", region_name="eu-west-1")
                name = f"naive-{uuid.uuid4().hex[:12]}"
                client.create_bucket(
                    Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
                )
                client.put_object(Bucket=name, Key="k", Body=b"OggS")
                client.get_object(Bucket=name, Key="k")["Body"].read()
        """,
    ),
    "lookup_server": (
        200,
        """
        import httpx

        def test_case(lookup_server):
            lookup_server.add_customer("+15555550100", customer_id="c", company_id="co",
                                       company_name="n")
            httpx.get(f"{lookup_server.base_url}/customers/lookup",
                      params={"phone_number": "+15555550100"}).json()
        """,
    ),
    "lookup retried fault": (
        200,
        """
        import httpx

        def test_case(lookup_server, lookup_client):
            lookup_server.add_customer("+15555550100")
            lookup_server.fail(503, times=2, retry_after=1)
            lookup_client.lookup("+15555550100")
        """,
    ),
    "lookup plain": (
        200,
        """
        import httpx

        def test_case(lookup_server, lookup_client):
            lookup_server.add_customer("+15555550100")
            lookup_client.lookup("+15555550100")
        """,
    ),
    "bare respx": (
        200,
        """
        import httpx
        import respx

        def test_case():
            with respx.mock(base_url="http://customer-lookup.test") as router:
                router.get("/customers/lookup").respond(
                    json={"customer_id": "c", "company_id": "co", "company_name": "n"}
                )
                httpx.get("http://customer-lookup.test/customers/lookup",
                          params={"phone_number": "+15555550100"}).json()
        """,
    ),
}


TIMING_CONFTEST = """
import json, os, time
import pytest

TIMES = []

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item, nextitem):
    start = time.perf_counter()
    yield
    TIMES.append(time.perf_counter() - start)

def pytest_sessionfinish(session):
    with open(os.environ["AIVS_BENCH_REPORT"], "w") as report:
        json.dump(TIMES, report)
"""


def _median_ms(directory: Path, kind: str, count: int, body: str) -> float:
    source = textwrap.dedent(body)
    module = source.replace("def test_case", "def _case_template", 1)
    calls = "\n".join(
        f"def test_{i}({_params(source)}):\n    _case_template({_params(source)})"
        for i in range(count)
    )
    name = kind.replace(" ", "_")
    test_file = directory / f"test_{name}.py"
    test_file.write_text(module + "\n\n" + calls + "\n")
    report = directory / f"{name}.json"
    subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(test_file)],
        cwd=directory,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "AIVS_BENCH_REPORT": str(report)},
    )
    times: list[float] = json.loads(report.read_text())
    return statistics.median(times) * 1000


def _params(source: str) -> str:
    return source.split("def test_case(", 1)[1].split(")", 1)[0]


def run() -> list[Figure]:
    """Run each kind in its own pytest process and compare per-test medians."""
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        (directory / "pytest.ini").write_text("[pytest]\n")
        (directory / "conftest.py").write_text(TIMING_CONFTEST)
        median = {
            kind: _median_ms(directory, kind, count, body) for kind, (count, body) in KINDS.items()
        }
    bare = median["bare"]
    cost = {kind: max(value - bare, 1e-3) for kind, value in median.items()}
    return [
        Figure(
            name="s3_bucket per test, minus a bare test (vs naive mock_aws + client + bucket)",
            value=cost["naive moto"],
            baseline=cost["s3_bucket"],
            unit="ms",
            target=15,
            bound="min",
            extra_ok=True,
            extra=f"s3_bucket {cost['s3_bucket']:.2f} ms, naive {cost['naive moto']:.2f} ms",
        ),
        Figure(
            name="lookup_server per test, minus a bare test (vs a bare respx route)",
            value=cost["lookup_server"],
            baseline=cost["bare respx"],
            unit="ms",
            target=1.5,
            bound="max",
        ),
        Figure(
            name="S3 test with a put throttled twice (vs the same test without the fault)",
            value=cost["s3 retried fault"],
            baseline=cost["s3_bucket"],
            unit="ms",
            target=1.5,
            bound="max",
        ),
        Figure(
            name="lookup test answered 503 twice, Retry-After 1 s (vs the same without faults)",
            value=cost["lookup retried fault"],
            baseline=cost["lookup plain"],
            unit="ms",
            target=1.5,
            bound="max",
        ),
    ]
