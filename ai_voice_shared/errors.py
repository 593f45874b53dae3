"""Every exception ``ai_voice_shared`` raises, under one root.

The hierarchy::

    AiVoiceSharedError
    ├── ConfigurationError (also ValueError)       a setting or argument is unusable
    ├── InvalidTwilioPayloadError (also ValueError) a webhook body is not a valid Twilio payload
    │   └── WebhookBodyTooLargeError               a webhook body over the endpoint's limit
    ├── InvalidTwilioSignatureError                X-Twilio-Signature does not match the request
    ├── InvalidS3KeyError (also ValueError)        an object key S3Service refuses to send
    ├── S3ServiceError                             an S3 call failed (operation, bucket, key, ...)
    │   ├── S3AccessDeniedError                    credentials missing, wrong or not allowed
    │   ├── S3BucketNotFoundError                  the configured bucket does not exist
    │   ├── S3DeleteError                          delete_objects could not delete some keys
    │   ├── S3IntegrityError                       bytes corrupted in transit (checksum mismatch)
    │   ├── S3ObjectExistsError                    overwrite=False and other content is there
    │   └── S3ObjectNotFoundError                  the key does not exist (NoSuchKey or 404)
    ├── S3ServiceClosedError (also RuntimeError)   a call on an AsyncS3Service after aclose()
    ├── DeliveryError                              DeliveryGuard could not decide (key, ...)
    │   ├── DeliveryInProgressError                the same webhook is being handled right now
    │   ├── DeliveryConflictError                  the same key came with another payload
    │   ├── DeliveryLeaseLostError                 a handling outlived its lease; another took over
    │   └── DeliveryStoreError                     the delivery store failed or did not answer
    ├── InvalidS3EventError (also ValueError)      an SQS message body is not an S3 event
    ├── VoiceNoteQueueError                        an SQS call of the voice-note queue failed
    ├── InvalidPhoneNumberError (also ValueError)  not a phone number in E.164 form
    ├── CustomerLookupError                        a customer lookup failed (masked number, ...)
    │   ├── CustomerNotFoundError                  no customer has that number (404)
    │   ├── CustomerLookupStatusError              the server answered an error status
    │   ├── CustomerLookupTimeoutError             no answer within the timeout or deadline
    │   ├── CustomerLookupConnectionError          the server could not be reached
    │   └── CustomerLookupResponseError            a 200 whose body is not CustomerMetadata
    └── TwilioMediaError                           a media download or ingest failed (url, ...)
        ├── UntrustedMediaUrlError (also ValueError) not a media URL of the account: no request
        ├── MediaTooLargeError                     over TWILIO_MEDIA_MAX_BYTES: nothing kept
        ├── MediaDownloadError                     Twilio or its CDN failed (status, timeout, cut)
        └── MediaConflictError                     the media's key holds other bytes in S3

Errors that report a bad value also subclass :class:`ValueError`, so code that already catches
``ValueError`` around parsing keeps working. Every message says what failed and what to do, and
ends by naming the docs page section that explains the error (``docs``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import ClassVar, Self

__all__ = [
    "AiVoiceSharedError",
    "ConfigurationError",
    "CustomerLookupConnectionError",
    "CustomerLookupError",
    "CustomerLookupResponseError",
    "CustomerLookupStatusError",
    "CustomerLookupTimeoutError",
    "CustomerNotFoundError",
    "DeliveryConflictError",
    "DeliveryError",
    "DeliveryInProgressError",
    "DeliveryLeaseLostError",
    "DeliveryStoreError",
    "InvalidPhoneNumberError",
    "InvalidS3EventError",
    "InvalidS3KeyError",
    "InvalidTwilioPayloadError",
    "InvalidTwilioSignatureError",
    "MediaConflictError",
    "MediaDownloadError",
    "MediaTooLargeError",
    "S3AccessDeniedError",
    "S3BucketNotFoundError",
    "S3DeleteError",
    "S3IntegrityError",
    "S3ObjectExistsError",
    "S3ObjectNotFoundError",
    "S3ServiceClosedError",
    "S3ServiceError",
    "TwilioMediaError",
    "UntrustedMediaUrlError",
    "VoiceNoteQueueError",
    "WebhookBodyTooLargeError",
]


class AiVoiceSharedError(Exception):
    """The root of every error raised by ``ai_voice_shared`` (and by its test kit).

    ``docs`` is the docs page and section that explains the error, ``errors.md#<class name in
    lower case>`` unless a class names another. Every instance carries it as a PEP 678 note
    (``See docs/errors.md#...``), which tracebacks, logged exceptions and pytest's reports print
    under the message, while ``str(error)`` stays the message alone (it is what an adapter
    answers over HTTP, and what code that matches on messages compares).
    """

    docs: ClassVar[str] = "errors.md#aivoicesharederror"

    def __init_subclass__(cls, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if "docs" not in cls.__dict__:
            cls.docs = f"errors.md#{cls.__name__.lower()}"

    def __new__(cls, *args: object, **kwargs: object) -> Self:
        error = super().__new__(cls, *args)
        error.add_note(f"See docs/{cls.docs} for what this error means and what to do.")
        return error

    def __reduce__(self) -> tuple[object, ...]:
        # Exception's own __reduce__ calls cls(*args), which fails for the errors whose
        # constructors take keyword-only details (S3ServiceError's operation and bucket): rebuild
        # without calling __init__ and restore the attributes (and the one docs note) instead, so
        # an error crosses a process boundary (multiprocessing, xdist, a task queue) intact.
        return (_rebuild, (type(self), self.args, self.__dict__))


def _rebuild(
    cls: type[AiVoiceSharedError], args: tuple[object, ...], state: dict[str, object]
) -> AiVoiceSharedError:
    error = cls.__new__(cls, *args)
    error.args = args
    error.__dict__.update(state)
    return error


class ConfigurationError(AiVoiceSharedError, ValueError):
    """A setting or constructor argument cannot be used as given."""


class InvalidTwilioPayloadError(AiVoiceSharedError, ValueError):
    """A webhook body is not a valid Twilio payload.

    ``fields`` names the offending wire parameters (``"NumMedia"``, ``"MediaUrl1"``, ...) in the
    order they were reported; ``"<body>"`` stands for a problem with the body as a whole.
    ``http_status`` is the answer a webhook endpoint gives (400).
    """

    http_status: int = 400

    def __init__(self, message: str, *, fields: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.fields: tuple[str, ...] = tuple(fields)


class InvalidTwilioSignatureError(AiVoiceSharedError):
    """The ``X-Twilio-Signature`` header does not match the request it came with.

    ``http_status`` is the answer a webhook endpoint gives (403).
    """

    http_status: int = 403


class WebhookBodyTooLargeError(InvalidTwilioPayloadError):
    """A webhook body larger than the endpoint accepts, refused before it is read whole
    (``http_status`` 413); ``limit`` is the accepted size in bytes."""

    http_status: int = 413

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, fields=["<body>"])
        self.limit = limit


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
    :attr:`transient` says whether the same call later may succeed.
    """

    #: Codes of failures that pass: throttling, a store that is busy or restarting, a
    #: response cut or corrupted on the way, a concurrent write of the same key
    #: (``ConditionalRequestConflict``, and ``ObjectChanged``, the library's code for an object
    #: replaced or deleted while a call was reading it or comparing it).
    TRANSIENT_CODES = frozenset(
        {
            "SlowDown",
            "Throttling",
            "ThrottlingException",
            "RequestTimeout",
            "RequestTimeTooSkewed",
            "InternalError",
            "ServiceUnavailable",
            "IncompleteResponse",
            "ChecksumMismatch",
            "BadDigest",
            "ConditionalRequestConflict",
            "ObjectChanged",
        }
    )

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

    @property
    def transient(self) -> bool:
        """Whether trying the same call again later may succeed: no answer at all (the
        connection failed), a 5xx, 408 or 429, or a code of :attr:`TRANSIENT_CODES`. A
        webhook handler answers such a failure 503, so that Twilio delivers the webhook again."""
        if self.code in self.TRANSIENT_CODES:
            return True
        if self.status is None:
            return self.code is None
        return self.status >= 500 or self.status in (408, 429)


class S3AccessDeniedError(S3ServiceError):
    """S3 refused the credentials, or they are missing, or they lack the permission."""


class S3BucketNotFoundError(S3ServiceError):
    """The bucket does not exist (or is not visible at that endpoint and region)."""


class S3ObjectNotFoundError(S3ServiceError):
    """The key does not exist: ``NoSuchKey`` from a GET, or a bare ``404`` from a HEAD."""


class S3ObjectExistsError(S3ServiceError):
    """A conditional write (``overwrite=False``) found the key holding other content."""


class S3IntegrityError(S3ServiceError):
    """Bytes did not match their checksum: corrupted between the store and this process.

    On a read, the bad bytes were not returned (or written under the destination's name); on
    a write, the store refused them (``BadDigest``) and stored nothing.
    """


class S3DeleteError(S3ServiceError):
    """``delete_objects`` could not delete some keys; ``failures`` maps each key to its error."""

    def __init__(
        self, message: str, *, failures: Mapping[str, str], operation: str, bucket: str
    ) -> None:
        super().__init__(message, operation=operation, bucket=bucket)
        self.failures = dict(failures)


class S3ServiceClosedError(AiVoiceSharedError, RuntimeError):
    """A call on an ``AsyncS3Service`` after its ``aclose()``: build a new one."""


class DeliveryError(AiVoiceSharedError):
    """``DeliveryGuard`` could not say whether to handle a webhook; ``key`` is its delivery key.

    ``http_status`` is what a webhook endpoint answers; ``transient`` whether a redelivery may
    succeed (then answer 503, so that Twilio delivers the webhook again).
    """

    http_status: int = 503
    transient: bool = True

    def __init__(self, message: str, *, key: str) -> None:
        super().__init__(message)
        self.key = key


class DeliveryInProgressError(DeliveryError):
    """The same webhook is being handled right now by another request (or replica).

    Answer it 503 (``http_status``; ``transient`` is true): if that handling fails, Twilio's
    next delivery is handled, and none is lost; if it succeeds, the next delivery is dropped.
    """


class DeliveryConflictError(DeliveryError):
    """A delivery key already handled (or being handled) came with another payload.

    Twilio's redeliveries carry the very same parameters: a different payload under one key is
    a key that does not identify the webhook (choose another), or a forgery that passed the
    signature check. Nothing was handled (``http_status`` 409, not transient).
    """

    http_status: int = 409
    transient: bool = False


class DeliveryLeaseLostError(DeliveryError):
    """A handling ran past its lease (``DELIVERY_LEASE_SECONDS``) and another delivery took the
    claim over, so the webhook may have been handled twice. Raise the lease above the longest
    handling (``http_status`` 500, not transient: retrying does not help)."""

    http_status: int = 500
    transient: bool = False


class DeliveryStoreError(DeliveryError):
    """The delivery store (S3 or Redis) failed or did not answer in time; the cause is chained.

    Answer it 503 (``http_status``; ``transient``): nothing was handled, and Twilio's next
    delivery is decided again once the store is back.
    """


class InvalidS3EventError(AiVoiceSharedError, ValueError):
    """An SQS message body that is not an S3 event notification (not JSON, no ``Records``, a
    field of the wrong type). The consumer leaves such a message to the queue's dead-letter
    queue (docs/voice-note-events.md#poison-messages)."""

    def __init__(self, message: str) -> None:
        super().__init__(
            f"{message}. A voice-note queue receives only S3 event notifications: see "
            "docs/voice-note-events.md#poison-messages."
        )


class VoiceNoteQueueError(AiVoiceSharedError):
    """An SQS call of the voice-note queue failed; ``operation`` is the SQS API name
    (``"ReceiveMessage"``), ``code`` what SQS answered; the botocore error is chained.
    ``VoiceNoteConsumer.run`` logs it and tries again after a pause; ``poll`` raises it."""

    def __init__(self, message: str, *, operation: str, code: str | None = None) -> None:
        super().__init__(message)
        self.operation = operation
        self.code = code


class InvalidPhoneNumberError(AiVoiceSharedError, ValueError):
    """A phone number that is not E.164 (``+`` and 7 to 15 digits); the message masks it."""


class CustomerLookupError(AiVoiceSharedError):
    """A lookup at customer-lookup-server failed.

    ``phone_number`` is masked (``+1555****100``); ``attempts`` counts the requests sent and
    ``request_id`` is the ``X-Request-ID`` they carried (or the one the server answered with).
    """

    def __init__(
        self,
        message: str,
        *,
        phone_number: str | None = None,
        attempts: int = 0,
        request_id: str | None = None,
    ) -> None:
        super().__init__(message)
        self.phone_number = phone_number
        self.attempts = attempts
        self.request_id = request_id


class CustomerNotFoundError(CustomerLookupError):
    """customer-lookup-server has no customer for the number (HTTP 404)."""


class CustomerLookupStatusError(CustomerLookupError):
    """The server answered an error status; ``status_code`` and ``body_excerpt`` tell which."""

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        body_excerpt: str,
        phone_number: str | None = None,
        attempts: int = 0,
        request_id: str | None = None,
    ) -> None:
        super().__init__(
            message, phone_number=phone_number, attempts=attempts, request_id=request_id
        )
        self.status_code = status_code
        self.body_excerpt = body_excerpt


class CustomerLookupTimeoutError(CustomerLookupError):
    """No answer within the per-request timeout (every attempt) or the total deadline."""


class CustomerLookupConnectionError(CustomerLookupError):
    """The server could not be reached (refused, reset, DNS) on every attempt."""


class CustomerLookupResponseError(CustomerLookupError):
    """A 200 whose body is not a valid ``CustomerMetadata`` (not JSON, or fields missing)."""


class TwilioMediaError(AiVoiceSharedError):
    """Downloading or storing a Twilio media item failed.

    ``url`` is the media URL (it carries no secret), ``media_sid`` its ``ME...`` SID when known,
    ``attempts`` how many requests were sent and ``status`` the last HTTP status, if any.
    ``retryable`` says whether downloading it again at once may succeed (a body cut off);
    ``transient`` whether a later attempt may (a webhook handler answers 503 so that Twilio
    delivers the webhook again): Twilio or its CDN failing, timing out or cutting the body.
    """

    retryable: bool = False
    transient: bool = False

    def __init__(
        self,
        message: str,
        *,
        url: str | None = None,
        media_sid: str | None = None,
        attempts: int = 0,
        status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.url = url
        self.media_sid = media_sid
        self.attempts = attempts
        self.status = status


class UntrustedMediaUrlError(TwilioMediaError, ValueError):
    """A media URL that is not a media URL of the configured account at ``TWILIO_API_BASE_URL``
    (a forged webhook, or a redirect to where credentials must not go). No request was made."""


class MediaTooLargeError(TwilioMediaError):
    """The media is larger than ``TWILIO_MEDIA_MAX_BYTES``; nothing of it was kept or stored."""


class MediaDownloadError(TwilioMediaError):
    """Twilio or its CDN answered an error, timed out, or cut the body off, after retries."""


class MediaConflictError(TwilioMediaError):
    """The media's S3 key already holds other bytes: nothing was overwritten."""
