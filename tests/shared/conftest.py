"""S3 backends shared by the runtime's tests: moto in-process and a real SeaweedFS server.

Every test that takes ``backend`` (or ``bucket``) runs once per backend, on a fresh bucket of
its own. SeaweedFS is started once per session (per xdist worker) on free 127.0.0.1 ports;
without the ``weed`` binary its tests are skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.s3_faults import install
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer
from tests.shared.services.s3_backends import S3Backend, create_bucket, destroy_bucket

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MOTO_REGION = "eu-west-1"


@pytest.fixture(scope="session")
def moto_client() -> S3Client:
    """One client for every moto test: building one costs ~100 ms, entering mock_aws ~2 ms."""
    install()  # before any client exists, so that faults reach every client
    settings = S3Settings(
        bucket_name="placeholder",
        region=MOTO_REGION,
        access_key_id="testing",
        secret_access_key="testing",
    )
    return build_s3_client(settings)


@pytest.fixture(scope="session")
def seaweedfs_server(weed: Path) -> Iterator[SeaweedFSServer]:
    """A SeaweedFS server for the whole session, on free 127.0.0.1 ports."""
    with SeaweedFSServer(binary=weed) as server:
        yield server


@pytest.fixture(scope="session")
def seaweedfs_client(seaweedfs_server: SeaweedFSServer) -> S3Client:
    install()
    return build_s3_client(seaweedfs_server.s3_settings("placeholder"))


@pytest.fixture(params=["moto", "seaweedfs"])
def backend(request: pytest.FixtureRequest) -> Iterator[S3Backend]:
    """Each backend in turn; moto's state lives only for the test (a fresh mock_aws)."""
    if request.param == "moto":
        from moto import mock_aws

        with mock_aws():
            client = request.getfixturevalue("moto_client")
            yield S3Backend("moto", client, MOTO_REGION, None, "testing", "testing")
        return
    server: SeaweedFSServer = request.getfixturevalue("seaweedfs_server")
    yield S3Backend(
        "seaweedfs",
        request.getfixturevalue("seaweedfs_client"),
        server.region,
        server.endpoint_url,
        server.access_key_id,
        server.secret_access_key,
    )


@pytest.fixture
def bucket(backend: S3Backend) -> Iterator[str]:
    """A fresh, empty bucket for this test, removed with everything in it afterwards."""
    name = f"aivs-test-{uuid.uuid4().hex[:20]}"
    create_bucket(backend.client, name, backend.region)
    yield name
    destroy_bucket(backend.client, name)
