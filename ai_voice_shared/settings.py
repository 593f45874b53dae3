"""Settings read from the environment (and a ``.env`` file), one class per concern.

Every field is read from exactly the environment variable named in its alias (case-insensitive),
so the names documented in the README are the names that work. Invalid or missing values raise
:class:`~ai_voice_shared.errors.ConfigurationError` naming the variable. Secrets are
``SecretStr``: they never appear in ``repr`` or logs.
"""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, Any, ClassVar, Literal, Self
from urllib.parse import urlsplit

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai_voice_shared._hosts import is_local_host
from ai_voice_shared.errors import ConfigurationError

__all__ = [
    "MAX_PRESIGNED_URL_EXPIRY_SECONDS",
    "CustomerLookupSettings",
    "S3Settings",
    "TwilioSettings",
    "validate_bucket_name",
]

MiB = 1024 * 1024
#: SigV4 presigned URLs live at most 7 days.
MAX_PRESIGNED_URL_EXPIRY_SECONDS = 7 * 24 * 3600


class _EnvSettings(BaseSettings):
    """Settings whose validation errors name the environment variables and say what to do."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )
    _what: ClassVar[str] = "settings"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            lines = []
            for error in exc.errors(include_url=False):
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "missing":
                    message = "is required but not set"
                loc = error["loc"]
                lines.append(f"- {self._variable(loc[0])}: {message}" if loc else f"- {message}")
            raise ConfigurationError(
                f"{type(self).__name__}: the {self._what} are invalid:\n"
                + "\n".join(lines)
                + "\nSet the environment variables (or a .env file) as the ai-voice-shared "
                "README describes, or pass the values to the constructor."
            ) from exc

    @classmethod
    def _variable(cls, loc: int | str) -> str:
        """The environment variable behind an error location (a field name or an alias)."""
        field = cls.model_fields.get(str(loc))
        if field is None:
            return str(loc)
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            return " / ".join(str(choice) for choice in alias.choices)
        return str(alias or loc)


_BUCKET_RULES: list[tuple[str, re.Pattern[str] | None, bool]] = [
    ("be 3 to 63 characters long", re.compile(r"^.{3,63}$"), True),
    ("use only lowercase letters, digits, '.' and '-'", re.compile(r"^[a-z0-9.-]*$"), True),
    ("start and end with a letter or digit", re.compile(r"^[a-z0-9](.*[a-z0-9])?$"), True),
    ("not contain '..'", re.compile(r"\.\."), False),
    (
        "not start with 'xn--', 'sthree-' or 'amzn-s3-demo-'",
        re.compile(r"^(xn--|sthree-|amzn-s3-demo-)"),
        False,
    ),
    (
        "not end with '-s3alias', '--ol-s3', '.mrap' or '--x-s3'",
        re.compile(r"(-s3alias|--ol-s3|\.mrap|--x-s3)$"),
        False,
    ),
]


def validate_bucket_name(name: str) -> str:
    """Return ``name`` if it follows the S3 bucket naming rules, else raise ``ValueError``.

    moto accepts names that real S3 rejects, so the rules are checked here, not left to the
    server: a name that passes in tests then fails in production is the worst case.
    """
    for rule, pattern, must_match in _BUCKET_RULES:
        assert pattern is not None
        if bool(pattern.search(name)) is not must_match:
            raise ValueError(f"bucket name {name!r} breaks the S3 naming rules: it must {rule}")
    try:
        ipaddress.IPv4Address(name)
    except ValueError:
        return name
    raise ValueError(
        f"bucket name {name!r} breaks the S3 naming rules: it must not be an IP address"
    )


def _env(*names: str) -> Any:
    return AliasChoices(*names) if len(names) > 1 else names[0]


class S3Settings(_EnvSettings):
    """Where and how :class:`~ai_voice_shared.services.s3_service.S3Service` stores objects.

    Only ``S3_BUCKET_NAME`` is required. Credentials come from the standard AWS chain unless
    ``S3_ACCESS_KEY_ID`` and ``S3_SECRET_ACCESS_KEY`` are both set.
    """

    _what: ClassVar[str] = "S3 settings"

    bucket_name: str = Field(validation_alias=_env("S3_BUCKET_NAME"))
    region: Annotated[str, Field(min_length=1)] | None = Field(
        None, validation_alias=_env("S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
    )
    endpoint_url: str | None = Field(None, validation_alias=_env("S3_ENDPOINT_URL"))
    key_prefix: str = Field("", validation_alias=_env("S3_KEY_PREFIX"))
    presigned_url_expiry_seconds: int = Field(
        3600,
        ge=1,
        le=MAX_PRESIGNED_URL_EXPIRY_SECONDS,
        validation_alias=_env("S3_PRESIGNED_URL_EXPIRY_SECONDS"),
    )
    access_key_id: SecretStr | None = Field(None, validation_alias=_env("S3_ACCESS_KEY_ID"))
    secret_access_key: SecretStr | None = Field(None, validation_alias=_env("S3_SECRET_ACCESS_KEY"))
    max_attempts: int = Field(5, ge=1, le=20, validation_alias=_env("S3_MAX_ATTEMPTS"))
    connect_timeout_seconds: float = Field(
        5.0, gt=0, le=300, validation_alias=_env("S3_CONNECT_TIMEOUT_SECONDS")
    )
    read_timeout_seconds: float = Field(
        60.0, gt=0, le=3600, validation_alias=_env("S3_READ_TIMEOUT_SECONDS")
    )
    multipart_threshold_bytes: int = Field(
        8 * MiB, ge=5 * MiB, validation_alias=_env("S3_MULTIPART_THRESHOLD_BYTES")
    )
    multipart_chunk_size_bytes: int = Field(
        8 * MiB,
        ge=5 * MiB,
        le=5 * 1024 * MiB,
        validation_alias=_env("S3_MULTIPART_CHUNK_SIZE_BYTES"),
    )
    max_concurrency: int = Field(10, ge=1, le=64, validation_alias=_env("S3_MAX_CONCURRENCY"))
    max_workers: int = Field(16, ge=1, le=256, validation_alias=_env("S3_MAX_WORKERS"))
    checksums: Literal["when_supported", "when_required"] = Field(
        "when_supported", validation_alias=_env("S3_CHECKSUMS")
    )

    @field_validator("bucket_name")
    @classmethod
    def _check_bucket_name(cls, value: str) -> str:
        return validate_bucket_name(value)

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value in (None, ""):
            return None
        assert value is not None
        if not re.match(r"^https?://[^/\s?#]+(/[^\s?#]*)?$", value):
            raise ValueError(
                f"{value!r} is not an http(s) URL such as 'http://127.0.0.1:8333' (no query)"
            )
        return value.rstrip("/")

    @field_validator("key_prefix")
    @classmethod
    def _check_prefix(cls, value: str) -> str:
        if value.startswith("/"):
            raise ValueError(f"{value!r} must not start with '/': S3 keys are not paths")
        if re.search("[\x00-\x1f\x7f-\x9f\ud800-\udfff]", value):
            raise ValueError(
                f"{value.encode('utf-8', 'backslashreplace').decode()!r} contains a control "
                "character or a lone surrogate"
            )
        if value and any(part in (".", "..") for part in re.split(r"[/\\]", value.rstrip("/"))):
            raise ValueError(
                f"{value!r} has a '.' or '..' segment: every stored key would carry it, and "
                "tools that map keys to paths resolve it (use a plain prefix such as "
                "'tenant-a')"
            )
        if value and not value.endswith("/"):
            value += "/"  # a prefix is a folder: "voice" means "voice/", never "voicea.ogg"
        return value

    @model_validator(mode="after")
    def _check_key_pair(self) -> Self:
        if (self.access_key_id is None) is not (self.secret_access_key is None):
            missing = "SECRET_ACCESS_KEY" if self.secret_access_key is None else "ACCESS_KEY_ID"
            raise ValueError(
                f"S3_{missing} is not set but the other half of the key pair is: set both "
                "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither to use the standard AWS "
                "credential chain"
            )
        return self


class CustomerLookupSettings(_EnvSettings):
    """How :class:`~ai_voice_shared.services.customer_lookup_client.CustomerLookupClient`
    reaches customer-lookup-server. Only ``CUSTOMER_LOOKUP_BASE_URL`` is required.
    """

    _what: ClassVar[str] = "customer lookup settings"

    base_url: str = Field(validation_alias=_env("CUSTOMER_LOOKUP_BASE_URL"))
    api_key: SecretStr | None = Field(None, validation_alias=_env("CUSTOMER_LOOKUP_API_KEY"))
    timeout_seconds: float = Field(
        5.0, gt=0, le=300, validation_alias=_env("CUSTOMER_LOOKUP_TIMEOUT_SECONDS")
    )
    connect_timeout_seconds: float = Field(
        2.0, gt=0, le=60, validation_alias=_env("CUSTOMER_LOOKUP_CONNECT_TIMEOUT_SECONDS")
    )
    total_timeout_seconds: float = Field(
        15.0, gt=0, le=600, validation_alias=_env("CUSTOMER_LOOKUP_TOTAL_TIMEOUT_SECONDS")
    )
    max_retries: int = Field(2, ge=0, le=10, validation_alias=_env("CUSTOMER_LOOKUP_MAX_RETRIES"))
    cache_ttl_seconds: float = Field(
        300.0, ge=0, validation_alias=_env("CUSTOMER_LOOKUP_CACHE_TTL_SECONDS")
    )
    negative_cache_ttl_seconds: float = Field(
        30.0, ge=0, validation_alias=_env("CUSTOMER_LOOKUP_NEGATIVE_CACHE_TTL_SECONDS")
    )
    cache_max_size: int = Field(
        10_000, ge=1, validation_alias=_env("CUSTOMER_LOOKUP_CACHE_MAX_SIZE")
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


_TWILIO_SID = r"^{prefix}[0-9a-fA-F]{{32}}$"


class TwilioSettings(_EnvSettings):
    """How the services talk to Twilio: the account, its credentials, and the media API.

    Media downloads need ``TWILIO_ACCOUNT_SID`` and either ``TWILIO_AUTH_TOKEN`` or an API key
    (``TWILIO_API_KEY_SID`` and ``TWILIO_API_KEY_SECRET``); the clients say so when one is
    missing. Secrets are ``SecretStr``: never in ``repr``, logs or messages.
    """

    _what: ClassVar[str] = "Twilio settings"

    account_sid: str | None = Field(None, validation_alias=_env("TWILIO_ACCOUNT_SID"))
    auth_token: SecretStr | None = Field(None, validation_alias=_env("TWILIO_AUTH_TOKEN"))
    api_key_sid: str | None = Field(None, validation_alias=_env("TWILIO_API_KEY_SID"))
    api_key_secret: SecretStr | None = Field(None, validation_alias=_env("TWILIO_API_KEY_SECRET"))
    api_base_url: str = Field(
        "https://api.twilio.com", validation_alias=_env("TWILIO_API_BASE_URL")
    )
    media_max_bytes: int = Field(
        16 * MiB, ge=1, le=1024 * MiB, validation_alias=_env("TWILIO_MEDIA_MAX_BYTES")
    )
    timeout_seconds: float = Field(
        15.0, gt=0, le=300, validation_alias=_env("TWILIO_TIMEOUT_SECONDS")
    )
    connect_timeout_seconds: float = Field(
        5.0, gt=0, le=60, validation_alias=_env("TWILIO_CONNECT_TIMEOUT_SECONDS")
    )
    total_timeout_seconds: float = Field(
        120.0, gt=0, le=3600, validation_alias=_env("TWILIO_TOTAL_TIMEOUT_SECONDS")
    )
    max_retries: int = Field(2, ge=0, le=10, validation_alias=_env("TWILIO_MAX_RETRIES"))
    webhook_base_url: str | None = Field(None, validation_alias=_env("TWILIO_WEBHOOK_BASE_URL"))
    trust_forwarded_headers: bool = Field(
        False, validation_alias=_env("TWILIO_TRUST_FORWARDED_HEADERS")
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
