"""Run a real Redis-protocol server (Valkey or Redis) on a free 127.0.0.1 port, for tests.

    with RedisServer() as server:
        RedisDeliveryStore(server.url)

The public face; the server lives in :mod:`ai_voice_shared_testing._servers.redis`.
"""

from __future__ import annotations

from ai_voice_shared_testing._servers.redis import (
    INSTALL_HINT,
    RedisServer,
    RedisUnavailableError,
    find_redis_server,
)

__all__ = ["INSTALL_HINT", "RedisServer", "RedisUnavailableError", "find_redis_server"]
