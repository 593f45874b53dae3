"""Turn botocore's errors into the typed :class:`S3ServiceError` family, saying what to check."""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    NoCredentialsError,
    PartialCredentialsError,
)
from botocore.exceptions import (
    ConnectionError as BotoConnectionError,
)

from ai_voice_shared.errors import (
    S3AccessDeniedError,
    S3BucketNotFoundError,
    S3IntegrityError,
    S3ObjectExistsError,
    S3ObjectNotFoundError,
    S3ServiceError,
)

__all__ = ["translate"]

_NOT_FOUND = {"NoSuchKey", "404", "NotFound"}
_DENIED = {
    "AccessDenied",
    "403",
    "Forbidden",
    "InvalidAccessKeyId",
    "SignatureDoesNotMatch",
    "AllAccessDisabled",
    "ExpiredToken",
    "InvalidToken",
    "AccountProblem",
}
_EXISTS = {"PreconditionFailed"}
# The writes whose 412 means "the key exists" (If-None-Match: *); on a read, a 412 answers an
# If-Match: the object changed while it was being read.
_CONDITIONAL_WRITES = {"PutObject", "CompleteMultipartUpload", "CopyObject"}
_CORRUPTED = {
    "BadDigest",
    "InvalidDigest",
    "XAmzContentSHA256Mismatch",
    "XAmzContentChecksumMismatch",
}


def translate(
    error: BotoCoreError | ClientError,
    *,
    operation: str,
    bucket: str,
    key: str | None,
    endpoint: str,
) -> S3ServiceError:
    """The typed error for a botocore failure of ``operation`` on ``bucket``/``key``."""
    where = f"s3://{bucket}/{key}" if key is not None else f"s3://{bucket}"
    if isinstance(error, ClientError):
        return _from_response(error, operation=operation, bucket=bucket, key=key, where=where)
    cls: type[S3ServiceError] = S3ServiceError
    if isinstance(error, NoCredentialsError | PartialCredentialsError):
        cls = S3AccessDeniedError
        message = (
            f"S3 {operation} on {where} failed: no usable AWS credentials ({error}). Set "
            "S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or configure the standard AWS chain "
            "(AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or an instance role)."
        )
    elif isinstance(error, BotoConnectionError):
        message = (
            f"S3 {operation} on {where} failed: could not talk to {endpoint} ({error}), after "
            "botocore's retries. Check S3_ENDPOINT_URL / S3_REGION and that the store is up; "
            "raise S3_CONNECT_TIMEOUT_SECONDS or S3_READ_TIMEOUT_SECONDS if it is just slow."
        )
    else:
        message = f"S3 {operation} on {where} failed: {error}"
    return cls(message, operation=operation, bucket=bucket, key=key)


def _from_response(
    error: ClientError, *, operation: str, bucket: str, key: str | None, where: str
) -> S3ServiceError:
    details = error.response.get("Error", {})
    meta = error.response.get("ResponseMetadata", {})
    status = meta.get("HTTPStatusCode")
    code = str(details.get("Code") or status or "Unknown")
    headers = meta.get("HTTPHeaders", {})
    request_id = (
        meta.get("RequestId") or headers.get("x-amz-request-id") or headers.get("x-amzn-requestid")
    ) or None
    tail = f" ({code}, HTTP {status}, request id {request_id or 'none'})"
    said = details.get("Message") or "no message"
    cls: type[S3ServiceError]
    if code == "NoSuchBucket":
        cls = S3BucketNotFoundError
        message = (
            f"S3 {operation} failed: the bucket of {where} does not exist{tail}. Check "
            "S3_BUCKET_NAME, and S3_REGION / S3_ENDPOINT_URL for where it lives."
        )
    elif code in _NOT_FOUND:
        cls = S3ObjectNotFoundError
        message = (
            f"S3 {operation} failed: {where} does not exist{tail}. Check the key; S3_KEY_PREFIX "
            "is prepended to every key. Use exists() to test without an exception."
        )
    elif code in _DENIED:
        cls = S3AccessDeniedError
        message = (
            f"S3 {operation} on {where} was refused{tail}: {said}. Check the credentials "
            "(S3_ACCESS_KEY_ID / the AWS chain) and that their policy allows "
            f"s3:{operation} on this bucket and key."
        )
    elif code in _CORRUPTED:
        cls = S3IntegrityError
        message = (
            f"S3 {operation} of {where} was refused: the bytes the store received do not match "
            f"the checksum sent with them{tail}. They were corrupted on the way; nothing was "
            "stored. Retry the write; if it keeps happening, check the network path to the "
            "store."
        )
    elif code == "ConditionalRequestConflict":
        cls = S3ServiceError
        message = (
            f"S3 {operation} did not write {where}: another conditional write of the same key "
            f"was in flight{tail}. Nothing was written by this call; try it again (the error "
            "is transient), and an identical write will then be reported as already stored."
        )
    elif code in _EXISTS and operation not in _CONDITIONAL_WRITES:
        cls = S3ServiceError
        message = (
            f"S3 {operation} of {where} stopped: the object changed while it was being read"
            f"{tail}. Read it again."
        )
    elif code in _EXISTS:
        cls = S3ObjectExistsError
        message = (
            f"S3 {operation} did not write {where}: it already exists and overwrite=False"
            f"{tail}. For idempotent ingest this means the object was stored before."
        )
    else:
        cls = S3ServiceError
        message = (
            f"S3 {operation} on {where} failed{tail}: {said}. Transient errors were retried "
            "up to S3_MAX_ATTEMPTS times before this."
        )
    return cls(
        message,
        operation=operation,
        bucket=bucket,
        key=key,
        code=code,
        status=status,
        request_id=request_id,
    )
