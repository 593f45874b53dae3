"""What S3 reports about stored objects and object listings."""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    NonNegativeInt,
    StringConstraints,
    field_validator,
    model_validator,
)

__all__ = ["S3ListResponse", "S3ObjectMetadata", "S3PresignedPost", "S3WriteResult"]


def _strip_etag_quotes(value: Any) -> Any:
    """S3 returns the ETag quoted (``"9b2cf5..."``); keep the bare value."""
    if isinstance(value, str) and len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1]
    return value


class S3ObjectMetadata(BaseModel):
    """One stored object: key, size, modification time, ETag and, when known, its headers.

    ``content_type`` and ``metadata`` are ``None`` when the call that produced this did not
    return them (a listing does not; ``head_object`` does). ``metadata`` holds the user-defined
    ``x-amz-meta-*`` values, keys without the prefix.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    key: Annotated[str, StringConstraints(min_length=1)]
    size: NonNegativeInt
    last_modified: AwareDatetime
    etag: Annotated[str, StringConstraints(min_length=1)]
    storage_class: str = "STANDARD"
    content_type: str | None = None
    metadata: dict[str, str] | None = None

    _strip_quotes = field_validator("etag", mode="before")(_strip_etag_quotes)


class S3ObjectHead(S3ObjectMetadata):
    """One object as a HEAD or GET answers it: ``metadata`` always present (``{}`` when the
    object has none), where a listing's :class:`S3ObjectMetadata` may not know it."""

    metadata: dict[str, str] = {}


class S3WriteResult(BaseModel):
    """What one write stored, as the store's answer says it: no extra request was made.

    ``size`` is what was sent (``None`` after a copy: CopyObject does not say). ``checksums``
    maps each checksum algorithm the store answered with (``"CRC32"``) to its base64 value.
    ``already_stored`` is true when a conditional write (``overwrite=False``) found the very
    same bytes stored already, by an earlier delivery or by a retry of this one. For the
    object's modification time, content type or metadata, call ``head_object(key)``.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    key: Annotated[str, StringConstraints(min_length=1)]
    size: NonNegativeInt | None
    etag: Annotated[str, StringConstraints(min_length=1)]
    version_id: str | None = None
    checksums: dict[str, str] = {}
    already_stored: bool = False

    _strip_quotes = field_validator("etag", mode="before")(_strip_etag_quotes)

    @property
    def created(self) -> bool:
        """Whether this write created the object (not already stored)."""
        return not self.already_stored


class S3ListResponse(BaseModel):
    """One page of an object listing (``ListObjectsV2``).

    ``key_count`` counts objects and common prefixes, as S3 does; when omitted it is derived.
    Pass ``next_continuation_token`` back to get the next page while ``is_truncated``.
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    bucket: Annotated[str, StringConstraints(min_length=1)]
    prefix: str = ""
    objects: tuple[S3ObjectMetadata, ...] = ()
    common_prefixes: tuple[str, ...] = ()
    is_truncated: bool = False
    next_continuation_token: str | None = None
    key_count: NonNegativeInt = 0

    @model_validator(mode="before")
    @classmethod
    def _derive_key_count(cls, data: Any) -> Any:
        if isinstance(data, dict) and "key_count" not in data:
            objects, prefixes = data.get("objects", ()), data.get("common_prefixes", ())
            if hasattr(objects, "__len__") and hasattr(prefixes, "__len__"):
                return {**data, "key_count": len(objects) + len(prefixes)}
        return data

    @model_validator(mode="after")
    def _check_page(self) -> Self:
        if self.is_truncated and not self.next_continuation_token:
            raise ValueError(
                "is_truncated is true but next_continuation_token is missing: a truncated "
                "page must say where the next one starts"
            )
        return self


class S3PresignedPost(BaseModel):
    """A presigned POST: send a ``multipart/form-data`` POST to ``url`` with ``fields`` + file.

    The file part must come last and be named ``file``::

        httpx.post(post.url, data=post.fields, files={"file": ("note.ogg", data, "audio/ogg")})
    """

    model_config = ConfigDict(frozen=True, defer_build=True)

    url: Annotated[str, StringConstraints(min_length=1)]
    fields: dict[str, str]
