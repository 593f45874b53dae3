"""The services' contract suite: every test that takes ``s3`` runs once per S3 backend
(``backend``, in tests/shared/conftest.py) and once per twin (sync, async)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared_testing.virtual_time import VirtualTime
from tests.shared.services.s3_backends import (
    FaultInjector,
    S3Backend,
)

if TYPE_CHECKING:
    pass

MiB = 1024 * 1024
MOTO_REGION = "eu-west-1"


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
