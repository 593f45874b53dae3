"""Settings of the Twilio clients and webhooks: ``TwilioSettings``."""

from __future__ import annotations

import re
from typing import ClassVar, Self
from urllib.parse import urlsplit

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ai_voice_shared._hosts import is_local_host
from ai_voice_shared.settings._base import EnvSettings, MiB, env

__all__ = ["TwilioSettings"]

_TWILIO_SID = r"^{prefix}[0-9a-fA-F]{{32}}$"


class TwilioSettings(EnvSettings):
    """How the services talk to Twilio: the account, its credentials, and the media API.

    Media downloads need ``TWILIO_ACCOUNT_SID`` and either ``TWILIO_AUTH_TOKEN`` or an API key
    (``TWILIO_API_KEY_SID`` and ``TWILIO_API_KEY_SECRET``); the clients say so when one is
    missing. Secrets are ``SecretStr``: never in ``repr``, logs or messages.
    """

    _what: ClassVar[str] = "Twilio settings"

    account_sid: str | None = Field(default=None, validation_alias=env("TWILIO_ACCOUNT_SID"))
    auth_token: SecretStr | None = Field(default=None, validation_alias=env("TWILIO_AUTH_TOKEN"))
    api_key_sid: str | None = Field(default=None, validation_alias=env("TWILIO_API_KEY_SID"))
    api_key_secret: SecretStr | None = Field(
        default=None, validation_alias=env("TWILIO_API_KEY_SECRET")
    )
    api_base_url: str = Field(
        default="https://api.twilio.com", validation_alias=env("TWILIO_API_BASE_URL")
    )
    media_max_bytes: int = Field(
        default=16 * MiB, ge=1, le=1024 * MiB, validation_alias=env("TWILIO_MEDIA_MAX_BYTES")
    )
    timeout_seconds: float = Field(
        default=15.0, gt=0, le=300, validation_alias=env("TWILIO_TIMEOUT_SECONDS")
    )
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0, le=60, validation_alias=env("TWILIO_CONNECT_TIMEOUT_SECONDS")
    )
    total_timeout_seconds: float = Field(
        default=120.0, gt=0, le=3600, validation_alias=env("TWILIO_TOTAL_TIMEOUT_SECONDS")
    )
    max_retries: int = Field(default=2, ge=0, le=10, validation_alias=env("TWILIO_MAX_RETRIES"))
    webhook_base_url: str | None = Field(
        default=None, validation_alias=env("TWILIO_WEBHOOK_BASE_URL")
    )
    trust_forwarded_headers: bool = Field(
        default=False, validation_alias=env("TWILIO_TRUST_FORWARDED_HEADERS")
    )

    @field_validator("webhook_base_url")
    @classmethod
    def _check_webhook_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^https?://[^/\s?#@]+(/[^\s?#]*)?$", value):
            raise ValueError(
                f"{value!r} is not the public base URL Twilio calls, such as "
                "'https://voice.example.com' or 'https://example.com/voice' (no query or "
                "fragment: Twilio does not sign the #connection overrides)"
            )
        return value.rstrip("/")

    @field_validator("account_sid")
    @classmethod
    def _check_account_sid(cls, value: str | None) -> str | None:
        if value is not None and not re.match(_TWILIO_SID.format(prefix="AC"), value):
            raise ValueError(f"{value[:40]!r} is not an account SID ('AC' and 32 hex digits)")
        return value

    @field_validator("api_key_sid")
    @classmethod
    def _check_api_key_sid(cls, value: str | None) -> str | None:
        if value is not None and not re.match(_TWILIO_SID.format(prefix="SK"), value):
            raise ValueError(f"{value[:40]!r} is not an API key SID ('SK' and 32 hex digits)")
        return value

    @field_validator("api_base_url")
    @classmethod
    def _check_api_base_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s?#@]+$", value.rstrip("/")):
            raise ValueError(
                f"{value!r} is not a base URL such as 'https://api.twilio.com' (scheme and host, "
                "no path, query or credentials)"
            )
        host = urlsplit(value).hostname or ""
        if value.startswith("http://") and not is_local_host(host):
            # Basic credentials in clear text: only to a fake on this machine or network.
            raise ValueError(
                f"{value!r} would send the account's credentials over plain http: use https, "
                "or http only for a local fake API (localhost, a loopback or private address, "
                "a single-label name such as a container's, or a .test/.localhost/.internal/"
                ".local name)"
            )
        return value.rstrip("/")

    @model_validator(mode="after")
    def _check_api_key_pair(self) -> Self:
        if (self.api_key_sid is None) is not (self.api_key_secret is None):
            missing = "SECRET" if self.api_key_secret is None else "SID"
            raise ValueError(
                f"TWILIO_API_KEY_{missing} is not set but the other half of the API key is: set "
                "both TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET, or neither to use "
                "TWILIO_AUTH_TOKEN"
            )
        return self
