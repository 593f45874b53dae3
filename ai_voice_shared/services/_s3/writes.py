"""What a write stores and returns: one PutObject, the store's answer as
:class:`~ai_voice_shared.S3WriteResult`, and a refused conditional write compared with the
bytes (the same bytes already stored are a success, others are
:class:`~ai_voice_shared.S3ObjectExistsError`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from ai_voice_shared.errors import (
    ConfigurationError,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3ServiceError,
)
from ai_voice_shared.models import S3WriteResult
from ai_voice_shared.services._s3.integrity import Fingerprint, content_md5
from ai_voice_shared.services._s3.store import Store

__all__ = ["already_stored", "extra_args", "put", "written"]

_CHECKSUM_NAMES: Final = ("CRC32", "CRC32C", "CRC64NVME", "SHA1", "SHA256")


def extra_args(content_type: str | None, metadata: Mapping[str, str] | None) -> dict[str, Any]:
    """The ``ContentType`` and ``Metadata`` arguments of a write, checked."""
    extra: dict[str, Any] = {}
    if content_type is not None:
        extra["ContentType"] = content_type
    if metadata:
        for name, value in metadata.items():
            if not (isinstance(name, str) and isinstance(value, str) and name.isascii()):
                raise ConfigurationError(
                    f"S3 metadata {name!r}: {value!r} is not usable: names must be ASCII str "
                    "and values str (they travel as x-amz-meta-* HTTP headers)."
                )
        extra["Metadata"] = dict(metadata)
    return extra


def put(
    store: Store,
    key: str,
    data: bytes | bytearray | memoryview,
    *,
    content_type: str | None,
    metadata: Mapping[str, str] | None,
    overwrite: bool,
) -> S3WriteResult:
    """Store ``data`` at ``key`` in one PutObject (conditional unless ``overwrite``)."""
    full = store.full_key(key)
    body = data if isinstance(data, bytes | bytearray) else bytes(data)
    args: dict[str, Any] = {"Bucket": store.bucket, "Key": full, "Body": body}
    args.update(extra_args(content_type, metadata))
    if store.settings.checksums == "when_required":
        args["ContentMD5"] = content_md5(body)  # what a store verifies without CRCs
    if not overwrite:
        args["IfNoneMatch"] = "*"
    store.check_bucket()
    try:
        with store.errors("PutObject", key):
            answer = store.client.put_object(**args)
    except S3ObjectExistsError as exists:
        return already_stored(store, key, full, Fingerprint.of(body), exists)
    return written(key, len(body), answer)


def written(
    key: str, size: int | None, answer: Mapping[str, Any], *, already: bool = False
) -> S3WriteResult:
    """The result of a write from the store's answer (PutObject, CompleteMultipartUpload,
    CopyObject's result, or a HEAD after a refused conditional write)."""
    checksums = {
        name: str(answer[f"Checksum{name}"])
        for name in _CHECKSUM_NAMES
        if answer.get(f"Checksum{name}")
    }
    return S3WriteResult(
        key=key,
        size=size,
        etag=answer["ETag"],
        version_id=answer.get("VersionId"),
        checksums=checksums,
        already_stored=already,
    )


def already_stored(
    store: Store, key: str, full: str, fingerprint: Fingerprint, exists: S3ObjectExistsError
) -> S3WriteResult:
    """After a refused conditional write: success if the stored bytes are these."""
    try:
        with store.errors("HeadObject", key):
            head = store.client.head_object(Bucket=store.bucket, Key=full, ChecksumMode="ENABLED")
    except S3ObjectNotFoundError as gone:
        raise S3ServiceError(
            f"S3 PutObject did not write s3://{store.bucket}/{key}: the key existed "
            f"(HTTP 412, request id {exists.request_id or 'none'}) and was deleted before "
            "it could be compared with these bytes. Nothing was written by this call; try "
            "it again (the error is transient).",
            operation="PutObject",
            bucket=store.bucket,
            key=key,
            code="ObjectChanged",
            status=exists.status,
            request_id=exists.request_id,
        ) from gone
    same = fingerprint.same_as(head)
    if same:
        return written(key, fingerprint.size, head, already=True)
    why = (
        "holds other content"
        if same is False
        else "holds content that cannot be compared with these bytes (no full-object "
        "checksum, an ETag of another scheme), so it is treated as another write's"
    )
    raise S3ObjectExistsError(
        f"S3 PutObject did not write s3://{store.bucket}/{key}: the key {why}, and "
        f"overwrite=False (HTTP 412, request id {exists.request_id or 'none'}). Nothing was "
        "overwritten; write to another key, or pass overwrite=True to replace it.",
        operation="PutObject",
        bucket=store.bucket,
        key=key,
        code=exists.code,
        status=exists.status,
        request_id=exists.request_id,
    ) from exists
