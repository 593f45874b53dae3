"""S3 backends for the contract suite: moto in-process and a real SeaweedFS server.

Every test that takes ``s3`` runs once per backend, on a fresh bucket of its own. SeaweedFS is
started once per session on free 127.0.0.1 ports; without the ``weed`` binary its tests are
skipped locally and fail under ``CI=true``.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from ai_voice_shared.services._s3.client import build_s3_client
from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared.settings import S3Settings
from ai_voice_shared_testing.s3_faults import install
from ai_voice_shared_testing.seaweedfs import SeaweedFSServer
from ai_voice_shared_testing.virtual_time import VirtualTime
from tests.shared.services.s3_backends import (
    FaultInjector,
    S3Backend,
    create_bucket,
    destroy_bucket,
)

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

MiB = 1024 * 1024
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


@pytest.fixture(params=["sync", "async"])
def s3(request: pytest.FixtureRequest, backend: S3Backend, bucket: str) -> Iterator[S3Service]:
    """An S3Service on the test's bucket, sharing the backend's client; and, in the "async"
    run of each test, an AsyncS3Service over such a service behind S3Service's interface."""
    service = S3Service(backend.settings(bucket), client=backend.client)
    if request.param == "sync":
        yield service
        return
    from ai_voice_shared import AsyncS3Service
    from tests.shared.services.async_facade import EventLoopThread, SyncFacade

    loop = EventLoopThread()
    facade = SyncFacade(AsyncS3Service(service=service, max_workers=4), loop)
    try:
        yield facade  # type: ignore[misc]
    finally:
        loop.run(facade.async_service.aclose())
        loop.stop()


@pytest.fixture(autouse=True)
def _virtual_time() -> Iterator[VirtualTime]:
    """Retries after injected faults wait on a virtual clock: counts are real, waits free."""
    with VirtualTime() as clock:
        yield clock


@pytest.fixture
def faults(bucket: str) -> Iterator[FaultInjector]:
    """Record the calls about this test's bucket and inject S3 error responses into them."""
    injector = FaultInjector(bucket)
    yield injector
    injector.close()


@pytest.fixture
def make_file(tmp_path: Any) -> Callable[[str, int], Any]:
    """Write ``size`` random bytes to ``tmp_path / name`` in 1 MiB steps; return the path."""

    def make(name: str, size: int) -> Any:
        path = tmp_path / name
        with path.open("wb") as out:
            remaining = size
            while remaining:
                step = min(remaining, MiB)
                out.write(os.urandom(step))
                remaining -= step
        return path

    return make


@pytest.fixture
def unused_port() -> int:
    """A 127.0.0.1 port nothing listens on (bound, then released)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
