"""Settings of S3: ``S3Settings`` and the bucket naming rules."""

from __future__ import annotations

import ipaddress
import re
from typing import Annotated, ClassVar, Literal, Self

from pydantic import (
    Field,
    SecretStr,
    field_validator,
    model_validator,
)

from ai_voice_shared.settings._base import EnvSettings, MiB, env

__all__ = ["MAX_PRESIGNED_URL_EXPIRY_SECONDS", "S3Settings", "validate_bucket_name"]

#: SigV4 presigned URLs live at most 7 days.
MAX_PRESIGNED_URL_EXPIRY_SECONDS = 7 * 24 * 3600

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


class S3Settings(EnvSettings):
    """Where and how :class:`~ai_voice_shared.services.s3_service.S3Service` stores objects.

    Only ``S3_BUCKET_NAME`` is required. Credentials come from the standard AWS chain unless
    ``S3_ACCESS_KEY_ID`` and ``S3_SECRET_ACCESS_KEY`` are both set.
    """

    _what: ClassVar[str] = "S3 settings"

    # default=...: required, yet optional to a type checker (the environment may give it)
    bucket_name: str = Field(default=..., validation_alias=env("S3_BUCKET_NAME"))
    region: Annotated[str, Field(min_length=1)] | None = Field(
        default=None, validation_alias=env("S3_REGION", "AWS_REGION", "AWS_DEFAULT_REGION")
    )
    endpoint_url: str | None = Field(default=None, validation_alias=env("S3_ENDPOINT_URL"))
    key_prefix: str = Field(default="", validation_alias=env("S3_KEY_PREFIX"))
    presigned_url_expiry_seconds: int = Field(
        default=3600,
        ge=1,
        le=MAX_PRESIGNED_URL_EXPIRY_SECONDS,
        validation_alias=env("S3_PRESIGNED_URL_EXPIRY_SECONDS"),
    )
    access_key_id: SecretStr | None = Field(default=None, validation_alias=env("S3_ACCESS_KEY_ID"))
    secret_access_key: SecretStr | None = Field(
        default=None, validation_alias=env("S3_SECRET_ACCESS_KEY")
    )
    max_attempts: int = Field(default=5, ge=1, le=20, validation_alias=env("S3_MAX_ATTEMPTS"))
    connect_timeout_seconds: float = Field(
        default=5.0, gt=0, le=300, validation_alias=env("S3_CONNECT_TIMEOUT_SECONDS")
    )
    read_timeout_seconds: float = Field(
        default=60.0, gt=0, le=3600, validation_alias=env("S3_READ_TIMEOUT_SECONDS")
    )
    multipart_threshold_bytes: int = Field(
        default=8 * MiB, ge=5 * MiB, validation_alias=env("S3_MULTIPART_THRESHOLD_BYTES")
    )
    multipart_chunk_size_bytes: int = Field(
        default=8 * MiB,
        ge=5 * MiB,
        le=5 * 1024 * MiB,
        validation_alias=env("S3_MULTIPART_CHUNK_SIZE_BYTES"),
    )
    max_concurrency: int = Field(
        default=10, ge=1, le=64, validation_alias=env("S3_MAX_CONCURRENCY")
    )
    max_workers: int = Field(default=16, ge=1, le=256, validation_alias=env("S3_MAX_WORKERS"))
    checksums: Literal["when_supported", "when_required"] = Field(
        default="when_supported", validation_alias=env("S3_CHECKSUMS")
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
