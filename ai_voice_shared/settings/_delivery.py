"""Settings of ``DeliveryGuard``: which store remembers the webhooks handled, and for how long."""

from __future__ import annotations

import re
from typing import ClassVar, Literal, Self

from pydantic import Field, SecretStr, field_validator, model_validator

from ai_voice_shared.settings._base import EnvSettings, env

__all__ = ["DeliverySettings"]


class DeliverySettings(EnvSettings):
    """Where :class:`~ai_voice_shared.DeliveryGuard` keeps its claims (``DELIVERY_*``).

    ``memory`` (the default) holds them in this process: right for one process, wrong for a
    fleet. ``s3`` keeps them as small objects under ``DELIVERY_S3_PREFIX`` in the bucket of
    ``S3_*`` (no new infrastructure: conditional writes make the claims atomic), ``redis`` in
    the Redis (or Valkey) server at ``DELIVERY_REDIS_URL`` (the ``[redis]`` extra).

    A claim is held for ``DELIVERY_LEASE_SECONDS`` while it is handled (15 s, Twilio's longest
    total timeout: a handling still running by then was given up by Twilio anyway); a replica
    that dies mid-handling blocks its webhook no longer. A handled webhook is remembered for
    ``DELIVERY_TTL_SECONDS``. ``DELIVERY_TIMEOUT_SECONDS`` bounds each Redis operation.
    """

    _what: ClassVar[str] = "delivery settings"

    store: Literal["memory", "s3", "redis"] = Field(
        default="memory", validation_alias=env("DELIVERY_STORE")
    )
    redis_url: SecretStr | None = Field(default=None, validation_alias=env("DELIVERY_REDIS_URL"))
    s3_prefix: str = Field(default="deliveries/", validation_alias=env("DELIVERY_S3_PREFIX"))
    lease_seconds: float = Field(
        default=15.0, gt=0, le=3600, validation_alias=env("DELIVERY_LEASE_SECONDS")
    )
    ttl_seconds: float = Field(
        default=3600.0, gt=0, le=30 * 24 * 3600, validation_alias=env("DELIVERY_TTL_SECONDS")
    )
    timeout_seconds: float = Field(
        default=2.0, gt=0, le=60, validation_alias=env("DELIVERY_TIMEOUT_SECONDS")
    )
    max_size: int = Field(default=100_000, ge=1, validation_alias=env("DELIVERY_MAX_SIZE"))

    @field_validator("store", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("redis_url")
    @classmethod
    def _check_redis_url(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not re.match(
            r"^(rediss?|unix|valkeys?)://", value.get_secret_value()
        ):
            raise ValueError(
                "is not a Redis URL such as 'redis://redis:6379/0' (rediss:// for TLS)"
            )
        return value

    @field_validator("s3_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if not value or value.startswith("/") or not value.endswith("/"):
            raise ValueError(
                f"{value!r} is not a key prefix such as 'deliveries/' (not empty, no leading "
                "'/', ending in '/')"
            )
        return value

    @model_validator(mode="after")
    def _redis_needs_url(self) -> Self:
        if self.store == "redis" and self.redis_url is None:
            raise ValueError(
                "DELIVERY_STORE=redis needs DELIVERY_REDIS_URL (for example 'redis://redis:6379/0')"
            )
        return self
