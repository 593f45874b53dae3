"""Every exception ``ai_voice_shared`` raises, under one root.

The hierarchy::

    AiVoiceSharedError
    ├── ConfigurationError (also ValueError)       a setting or argument is unusable
    ├── InvalidTwilioPayloadError (also ValueError) a webhook body is not a valid Twilio payload
    ├── InvalidTwilioSignatureError                X-Twilio-Signature does not match the request
    ├── InvalidS3KeyError (also ValueError)        an object key S3Service refuses to send
    └── S3ServiceError                             an S3 call failed (operation, bucket, key, ...)
        ├── S3AccessDeniedError                    credentials missing, wrong or not allowed
        ├── S3BucketNotFoundError                  the configured bucket does not exist
        ├── S3DeleteError                          delete_objects could not delete some keys
        ├── S3ObjectExistsError                    overwrite=False and the key already exists
        └── S3ObjectNotFoundError                  the key does not exist (NoSuchKey or 404)

Errors that report a bad value also subclass :class:`ValueError`, so code that already catches
``ValueError`` around parsing keeps working. Every message says what failed and what to do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

__all__ = [
    "AiVoiceSharedError",
    "ConfigurationError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3ObjectExistsError",
    "S3ObjectNotFoundError",
    "S3ServiceError",
]


class AiVoiceSharedError(Exception):
    """The root of every error raised by ``ai_voice_shared``."""


class ConfigurationError(AiVoiceSharedError, ValueError):
    """A setting or constructor argument cannot be used as given."""


class InvalidTwilioPayloadError(AiVoiceSharedError, ValueError):
    """A webhook body is not a valid Twilio payload.

    ``fields`` names the offending wire parameters (``"NumMedia"``, ``"MediaUrl1"``, ...) in the
    order they were reported; ``"<body>"`` stands for a problem with the body as a whole.
    """

    def __init__(self, message: str, *, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = tuple(fields)


class InvalidTwilioSignatureError(AiVoiceSharedError):
    """The ``X-Twilio-Signature`` header does not match the request it came with."""


class InvalidS3KeyError(AiVoiceSharedError, ValueError):
    """An object key that S3Service refuses before any request; ``key`` holds it."""

    def __init__(self, message: str, *, key: object) -> None:
        super().__init__(message)
        self.key = key


class S3ServiceError(AiVoiceSharedError):
    """An S3 call failed.

    ``operation`` is the S3 API name (``"PutObject"``), ``bucket`` and ``key`` what it was about
    (``key`` as the caller gave it, without ``S3_KEY_PREFIX``), ``code`` and ``status`` what S3
    answered, and ``request_id`` the id to quote to AWS support. The botocore error is chained.
    """

    def __init__(
        self,
        message: str,
        *,
        operation: str,
        bucket: str,
        key: str | None = None,
        code: str | None = None,
        status: int | None = None,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.operation = operation
        self.bucket = bucket
        self.key = key
        self.code = code
        self.status = status
        self.request_id = request_id


class S3AccessDeniedError(S3ServiceError):
    """S3 refused the credentials, or they are missing, or they lack the permission."""


class S3BucketNotFoundError(S3ServiceError):
    """The bucket does not exist (or is not visible at that endpoint and region)."""


class S3ObjectNotFoundError(S3ServiceError):
    """The key does not exist: ``NoSuchKey`` from a GET, or a bare ``404`` from a HEAD."""


class S3ObjectExistsError(S3ServiceError):
    """A conditional write (``overwrite=False``) found the key already there."""


class S3DeleteError(S3ServiceError):
    """``delete_objects`` could not delete some keys; ``failures`` maps each key to its error."""

    def __init__(
        self, message: str, *, failures: Mapping[str, str], operation: str, bucket: str
    ) -> None:
        super().__init__(message, operation=operation, bucket=bucket)
        self.failures = dict(failures)
