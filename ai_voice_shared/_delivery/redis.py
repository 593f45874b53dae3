"""Claims kept in a Redis (or Valkey) server: the fastest shared store, one request per step.

Each record is one string key (``{key_prefix}{delivery key}``) that Redis expires itself
(``PX``: the lease while in progress, the TTL once handled), so a claim whose replica died
goes away on its own. Three small Lua scripts keep every step one atomic request: create if
absent (answering the existing record when there is one, so a redelivery of a handled webhook
costs one request), replace if unchanged, and delete if unchanged. They run on Redis 6.2 and
later and on Valkey.

Each request is bounded by ``DELIVERY_TIMEOUT_SECONDS`` (connect and socket timeouts) and
retried once after a connection error: a server that is down or silent is a
:class:`~ai_voice_shared.DeliveryStoreError` within about twice that.
"""

from __future__ import annotations

import asyncio
import math
from typing import TYPE_CHECKING, Any, ClassVar, Final
from urllib.parse import urlsplit, urlunsplit

from ai_voice_shared._delivery.base import Created, DeliveryStore, Exists, Stored
from ai_voice_shared._delivery.record import Record
from ai_voice_shared.errors import ConfigurationError, DeliveryStoreError

if TYPE_CHECKING:
    import redis as redis_sync
    import redis.asyncio as redis_async

__all__ = ["RedisDeliveryStore"]

INSTALL_HINT: Final = "pip install 'ai-voice-shared[redis]'"

_CREATE: Final = """
local old = redis.call('GET', KEYS[1])
if old then return {0, old} end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return {1, ARGV[1]}
"""
_REPLACE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
  return 1
end
return 0
"""
_REMOVE: Final = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('DEL', KEYS[1])
  return 1
end
return 0
"""


def _millis(seconds: float) -> int:
    return max(1, math.ceil(seconds * 1000))


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


class RedisDeliveryStore(DeliveryStore):
    """Records in the Redis or Valkey server at ``url`` (``DELIVERY_REDIS_URL``), each key under
    ``key_prefix``. ``client`` / ``async_client`` are redis-py clients to use as given (not
    closed); left out, the store builds them from ``url``, bounded by ``timeout`` seconds."""

    kind: ClassVar[str] = "redis"

    def __init__(
        self,
        url: str | None = None,
        *,
        client: redis_sync.Redis | None = None,
        async_client: redis_async.Redis | None = None,
        key_prefix: str = "aivs:delivery:",
        timeout: float = 2.0,
    ) -> None:
        try:
            import redis
        except ImportError:
            raise ConfigurationError(
                f"RedisDeliveryStore needs redis-py, which is not installed: {INSTALL_HINT}"
            ) from None
        if url is None and client is None:
            raise ConfigurationError(
                "RedisDeliveryStore needs a Redis URL (DELIVERY_REDIS_URL, for example "
                "'redis://redis:6379/0') or a redis-py client."
            )
        if not (isinstance(timeout, int | float) and math.isfinite(timeout) and timeout > 0):
            raise ConfigurationError(
                f"RedisDeliveryStore needs a timeout > 0 seconds (DELIVERY_TIMEOUT_SECONDS), "
                f"not {timeout!r}."
            )
        self.url = url
        self.key_prefix = key_prefix
        self.timeout = timeout
        self._redis = redis
        self._owns = client is None
        self._client: redis_sync.Redis = (
            client if client is not None else redis.Redis.from_url(url, **self._options())  # type: ignore[arg-type]
        )
        self._given_async = async_client
        self._async: dict[asyncio.AbstractEventLoop, redis_async.Redis] = {}
        self._scripts = [self._client.register_script(s) for s in (_CREATE, _REPLACE, _REMOVE)]

    def _options(self, *, asynchronous: bool = False) -> dict[str, Any]:
        """One retry after a dropped connection, none after a timeout: the bound is stated.

        redis-py 8 wants its asyncio Retry for the asyncio client (the sync one is converted
        with a warning), so each side gets its own.
        """
        from redis.backoff import NoBackoff

        retry: Any
        if asynchronous:
            from redis.asyncio.retry import Retry as AsyncRetry

            retry = AsyncRetry(NoBackoff(), 1)
        else:
            from redis.retry import Retry

            retry = Retry(NoBackoff(), 1)
        return {
            "socket_timeout": self.timeout,
            "socket_connect_timeout": self.timeout,
            "retry": retry,
            "retry_on_timeout": False,
        }

    def describe(self) -> str:
        if self.url is None:
            return f"Redis ({self._client!r}), keys {self.key_prefix}*"
        parts = urlsplit(self.url)
        host = parts.hostname or ""
        netloc = host + (f":{parts.port}" if parts.port else "")  # never the password
        return f"{urlunsplit((parts.scheme, netloc, parts.path, '', ''))} (keys {self.key_prefix}*)"

    def _failed(self, key: str, exc: Exception) -> DeliveryStoreError:
        return DeliveryStoreError(
            f"The delivery store {self.describe()} did not answer for {key!r} "
            f"({type(exc).__name__}: {exc}). Nothing was decided for this delivery: answer it "
            "503, so that Twilio delivers it again; check that the server is up and "
            "DELIVERY_REDIS_URL.",
            key=key,
        )

    # -- sync -----------------------------------------------------------------------------------

    def _run(self, index: int, key: str, *args: Any) -> Any:
        try:
            return self._scripts[index](keys=[self.key_prefix + key], args=list(args))
        except self._redis.RedisError as exc:
            raise self._failed(key, exc) from exc

    def _create(self, key: str, record: Record, ttl: float) -> Created | Exists:
        value = record.dumps().decode()
        created, stored = self._run(0, key, value, _millis(ttl))
        return self._created(key, created, stored)

    def _created(self, key: str, created: int, stored: bytes | str) -> Created | Exists:
        text = _text(stored)
        if created:
            return Created(text)
        return Exists(Stored(Record.loads(text, key=key, where=self.describe()), text))

    def _read(self, key: str) -> Stored | None:
        try:
            value = self._client.get(self.key_prefix + key)
        except self._redis.RedisError as exc:
            raise self._failed(key, exc) from exc
        return self._stored(key, value)

    def _stored(self, key: str, value: Any) -> Stored | None:
        if value is None:
            return None
        text = _text(value)
        return Stored(Record.loads(text, key=key, where=self.describe()), text)

    def _replace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        value = record.dumps().decode()
        return value if self._run(1, key, version, value, _millis(ttl)) else None

    def _remove(self, key: str, version: str) -> bool:
        return bool(self._run(2, key, version))

    # -- async ----------------------------------------------------------------------------------

    def _async_client(self) -> redis_async.Redis:
        if self._given_async is not None:
            return self._given_async
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:  # redis.asyncio connections belong to the loop that opened them
            import redis.asyncio

            if self.url is None:
                raise ConfigurationError(
                    "RedisDeliveryStore was given a sync client only: pass async_client= too "
                    "(or a url) to use the guard's async methods."
                )
            for old in [known for known in self._async if known.is_closed()]:
                del self._async[old]
            client = self._async[loop] = redis.asyncio.Redis.from_url(
                self.url, **self._options(asynchronous=True)
            )
        return client

    async def _arun(self, index: int, key: str, *args: Any) -> Any:
        script = (_CREATE, _REPLACE, _REMOVE)[index]
        try:
            return await self._async_client().eval(script, 1, self.key_prefix + key, *args)
        except self._redis.RedisError as exc:
            raise self._failed(key, exc) from exc

    async def _acreate(self, key: str, record: Record, ttl: float) -> Created | Exists:
        value = record.dumps().decode()
        created, stored = await self._arun(0, key, value, _millis(ttl))
        return self._created(key, created, stored)

    async def _aread(self, key: str) -> Stored | None:
        try:
            value = await self._async_client().get(self.key_prefix + key)
        except self._redis.RedisError as exc:
            raise self._failed(key, exc) from exc
        return self._stored(key, value)

    async def _areplace(self, key: str, record: Record, version: str, ttl: float) -> str | None:
        value = record.dumps().decode()
        return value if await self._arun(1, key, version, value, _millis(ttl)) else None

    async def _aremove(self, key: str, version: str) -> bool:
        return bool(await self._arun(2, key, version))

    # -- housekeeping ---------------------------------------------------------------------------

    def clear(self) -> None:
        try:
            keys = list(self._client.scan_iter(match=self.key_prefix + "*", count=500))
            if keys:
                self._client.delete(*keys)
        except self._redis.RedisError as exc:
            raise self._failed(self.key_prefix + "*", exc) from exc

    def close(self) -> None:
        if self._owns:
            self._client.close()

    async def aclose(self) -> None:
        clients, self._async = list(self._async.values()), {}
        for client in clients:
            await client.aclose()
        self.close()
