"""``DeliveryGuard``: claims in a delivery store, so that each webhook is handled once."""

from __future__ import annotations

import itertools
import math
import secrets
from types import TracebackType

from ai_voice_shared._clock import get_clock
from ai_voice_shared._delivery import core
from ai_voice_shared._delivery.base import DeliveryStore
from ai_voice_shared._delivery.core import DeliveryClaim
from ai_voice_shared._delivery.keys import Delivery, delivery_key, fingerprint_of
from ai_voice_shared._delivery.memory import MemoryDeliveryStore
from ai_voice_shared.errors import ConfigurationError
from ai_voice_shared.settings import DeliverySettings

__all__ = ["DeliveryGuard", "Once", "delivery_store"]

# A claim's token: random for this process, then counted (unique across replicas and claims,
# and a tenth of the cost of drawing 12 random bytes per claim).
_PROCESS = secrets.token_hex(8)
_CLAIMS = itertools.count(1)


def delivery_store(settings: DeliverySettings | None = None) -> DeliveryStore:
    """The store ``DELIVERY_STORE`` names, configured from ``DELIVERY_*`` (and ``S3_*`` for
    the S3 store). ``memory`` is this process's one shared store: every guard built from the
    environment in one process sees the same claims."""
    settings = settings if settings is not None else DeliverySettings()
    if settings.store == "s3":
        from ai_voice_shared._delivery.s3 import S3DeliveryStore

        return S3DeliveryStore(prefix=settings.s3_prefix)
    if settings.store == "redis":
        from ai_voice_shared._delivery.redis import RedisDeliveryStore

        assert settings.redis_url is not None  # DeliverySettings requires it for redis
        return RedisDeliveryStore(
            settings.redis_url.get_secret_value(), timeout=settings.timeout_seconds
        )
    return MemoryDeliveryStore.shared(settings.max_size)


def _seconds(name: str, value: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(f"DeliveryGuard needs {name} in seconds, not {value!r}.")
    # NaN compares false with everything: such a TTL would silently remember nothing.
    if not (math.isfinite(value) and value > 0):
        raise ConfigurationError(f"DeliveryGuard needs a finite {name} > 0, not {name}={value!r}.")
    return float(value)


class DeliveryGuard:
    """Claims each webhook in ``store`` so that it is handled once; thread- and task-safe.

    ``store`` left out is :func:`delivery_store` (``DELIVERY_STORE``, in-memory by default);
    ``ttl_seconds`` (how long a handled webhook is remembered) and ``lease_seconds`` (how long
    a claim holds while it is handled) default to ``DELIVERY_TTL_SECONDS`` and
    ``DELIVERY_LEASE_SECONDS``. Every method has an async twin (``aonce``, ``aclaim``, ...)
    running the same steps without blocking the event loop.
    """

    def __init__(
        self,
        store: DeliveryStore | None = None,
        *,
        ttl_seconds: float | None = None,
        lease_seconds: float | None = None,
        settings: DeliverySettings | None = None,
    ) -> None:
        if store is not None and not isinstance(store, DeliveryStore):
            raise ConfigurationError(
                f"DeliveryGuard(store=...) takes a DeliveryStore (MemoryDeliveryStore, "
                f"S3DeliveryStore, RedisDeliveryStore), not {type(store).__name__}."
            )
        if settings is None and (store is None or ttl_seconds is None or lease_seconds is None):
            settings = DeliverySettings()
        self._owns_store = store is None
        self.store = store if store is not None else delivery_store(settings)
        if ttl_seconds is None:
            assert settings is not None
            ttl_seconds = settings.ttl_seconds
        if lease_seconds is None:
            assert settings is not None
            lease_seconds = settings.lease_seconds
        self.ttl_seconds = _seconds("ttl_seconds", ttl_seconds)
        self.lease_seconds = _seconds("lease_seconds", lease_seconds)

    def __repr__(self) -> str:
        return (
            f"DeliveryGuard(store={self.store!r}, ttl_seconds={self.ttl_seconds:g}, "
            f"lease_seconds={self.lease_seconds:g})"
        )

    # -- the steps ------------------------------------------------------------------------------

    def _claim_steps(
        self, delivery: Delivery, fingerprint: str | bytes | None
    ) -> core.Steps[DeliveryClaim | None]:
        return core.claim_steps(
            delivery_key(delivery),
            fingerprint_of(delivery, fingerprint),
            f"{_PROCESS}-{next(_CLAIMS)}",
            now=get_clock().time(),
            lease=self.lease_seconds,
            where=self.store.describe,
        )

    def _complete_steps(self, claim: DeliveryClaim) -> core.Steps[None]:
        return core.complete_steps(
            claim, now=get_clock().time(), ttl=self.ttl_seconds, lease=self.lease_seconds
        )

    # -- sync -----------------------------------------------------------------------------------

    def claim(
        self, delivery: Delivery, *, fingerprint: str | bytes | None = None
    ) -> DeliveryClaim | None:
        """Claim ``delivery`` (a verified webhook, its payload, or a key of your own): a
        :class:`DeliveryClaim` to handle it and then :meth:`complete` or :meth:`release`, or
        ``None`` when it was handled already. Raises :class:`DeliveryInProgressError` while
        another claim holds it, :class:`DeliveryConflictError` when it was claimed for another
        payload, :class:`DeliveryStoreError` when the store fails."""
        return core.run(self.store, self._claim_steps(delivery, fingerprint))

    def complete(self, claim: DeliveryClaim) -> None:
        """The claim's webhook was handled: remember it for ``ttl_seconds``."""
        core.run(self.store, self._complete_steps(claim))

    def release(self, claim: DeliveryClaim) -> None:
        """The claim's handling failed: let a redelivery handle it."""
        core.run(self.store, core.release_steps(claim))

    def once(self, delivery: Delivery, *, fingerprint: str | bytes | None = None) -> Once:
        """``with guard.once(webhook) as first``: ``True`` inside for the first delivery
        (remembered if the block ends without an exception, released if it raises), ``False``
        for a redelivery of a handled webhook; the errors of :meth:`claim` otherwise."""
        return Once(self, delivery, fingerprint)

    def seen(self, delivery: Delivery) -> bool:
        """Whether ``delivery`` was handled recently or is being handled."""
        steps = core.seen_steps(delivery_key(delivery), now=get_clock().time())
        return core.run(self.store, steps)

    def clear(self) -> None:
        """Forget every delivery of the store (tests and local runs)."""
        self.store.clear()

    def close(self) -> None:
        """Close the store if this guard built it."""
        if self._owns_store:
            self.store.close()

    # -- async ----------------------------------------------------------------------------------

    async def aclaim(
        self, delivery: Delivery, *, fingerprint: str | bytes | None = None
    ) -> DeliveryClaim | None:
        """The async twin of :meth:`claim`."""
        return await core.arun(self.store, self._claim_steps(delivery, fingerprint))

    async def acomplete(self, claim: DeliveryClaim) -> None:
        """The async twin of :meth:`complete`."""
        await core.arun(self.store, self._complete_steps(claim))

    async def arelease(self, claim: DeliveryClaim) -> None:
        """The async twin of :meth:`release`."""
        await core.arun(self.store, core.release_steps(claim))

    def aonce(self, delivery: Delivery, *, fingerprint: str | bytes | None = None) -> Once:
        """The async twin of :meth:`once`: ``async with guard.aonce(webhook) as first``."""
        return Once(self, delivery, fingerprint)

    async def aseen(self, delivery: Delivery) -> bool:
        """The async twin of :meth:`seen`."""
        steps = core.seen_steps(delivery_key(delivery), now=get_clock().time())
        return await core.arun(self.store, steps)

    async def aclose(self) -> None:
        """The async twin of :meth:`close`."""
        if self._owns_store:
            await self.store.aclose()


class Once:
    """What :meth:`DeliveryGuard.once` and :meth:`DeliveryGuard.aonce` return: a context
    manager, sync (``with``) or async (``async with``), whose value says whether to handle.

    A class rather than ``contextlib.contextmanager``: on the webhook path, the generator-based
    managers cost more than the claim itself (benchmarks/delivery_guard.py).
    """

    __slots__ = ("_claim", "_delivery", "_fingerprint", "_guard")

    def __init__(
        self, guard: DeliveryGuard, delivery: Delivery, fingerprint: str | bytes | None
    ) -> None:
        self._guard = guard
        self._delivery = delivery
        self._fingerprint = fingerprint
        self._claim: DeliveryClaim | None = None

    def __enter__(self) -> bool:
        self._claim = self._guard.claim(self._delivery, fingerprint=self._fingerprint)
        return self._claim is not None

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        claim, self._claim = self._claim, None
        if claim is None:
            return
        if exc_type is None:
            self._guard.complete(claim)
        else:
            self._guard.release(claim)

    async def __aenter__(self) -> bool:
        self._claim = await self._guard.aclaim(self._delivery, fingerprint=self._fingerprint)
        return self._claim is not None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        claim, self._claim = self._claim, None
        if claim is None:
            return
        if exc_type is None:
            await self._guard.acomplete(claim)
        else:
            await self._guard.arelease(claim)
