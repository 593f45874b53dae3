"""Settings of the customer-lookup clients: ``CustomerLookupSettings``."""

from __future__ import annotations

import re
from typing import ClassVar

from pydantic import (
    Field,
    SecretStr,
    field_validator,
)

from ai_voice_shared.settings._base import EnvSettings, env

__all__ = ["CustomerLookupSettings"]


class CustomerLookupSettings(EnvSettings):
    """How :class:`~ai_voice_shared.services.customer_lookup_client.CustomerLookupClient`
    reaches customer-lookup-server. Only ``CUSTOMER_LOOKUP_BASE_URL`` is required.
    """

    _what: ClassVar[str] = "customer lookup settings"

    # default=...: required, yet optional to a type checker (the environment may give it)
    base_url: str = Field(default=..., validation_alias=env("CUSTOMER_LOOKUP_BASE_URL"))
    api_key: SecretStr | None = Field(default=None, validation_alias=env("CUSTOMER_LOOKUP_API_KEY"))
    timeout_seconds: float = Field(
        default=5.0, gt=0, le=300, validation_alias=env("CUSTOMER_LOOKUP_TIMEOUT_SECONDS")
    )
    connect_timeout_seconds: float = Field(
        default=2.0, gt=0, le=60, validation_alias=env("CUSTOMER_LOOKUP_CONNECT_TIMEOUT_SECONDS")
    )
    total_timeout_seconds: float = Field(
        default=15.0, gt=0, le=600, validation_alias=env("CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS")
    )
    max_retries: int = Field(
        default=2, ge=0, le=10, validation_alias=env("CUSTOMER_LOOKUP_MAX_RETRIES")
    )
    cache_ttl_seconds: float = Field(
        default=300.0, ge=0, validation_alias=env("CUSTOMER_LOOKUP_CACHE_TTL_SECONDS")
    )
    negative_cache_ttl_seconds: float = Field(
        default=30.0, ge=0, validation_alias=env("CUSTOMER_LOOKUP_NEGATIVE_CACHE_TTL_SECONDS")
    )
    cache_max_size: int = Field(
        default=10_000, ge=1, validation_alias=env("CUSTOMER_LOOKUP_CACHE_MAX_SIZE")
    )

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(
                f"{value!r} is not an http(s) URL such as 'http://customer-lookup:8080' "
                "(no query string)"
            )
        return value.rstrip("/")
