"""The exception hierarchy: one root, ValueError where a value is bad, drawn in the docstring."""

from __future__ import annotations

import inspect

import pytest

import ai_voice_shared
from ai_voice_shared import errors
from ai_voice_shared.errors import (
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    S3ServiceError,
    WebhookBodyTooLargeError,
)

EXCEPTIONS = [
    obj
    for obj in vars(errors).values()
    if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == errors.__name__
]


def test_the_testing_kit_errors_share_the_root() -> None:
    from ai_voice_shared_testing import SeaweedFSUnavailableError

    assert issubclass(SeaweedFSUnavailableError, ai_voice_shared.AiVoiceSharedError)


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda e: e.__name__)
def test_every_error_descends_from_the_one_root_and_is_exported(error: type[Exception]) -> None:
    assert issubclass(error, ai_voice_shared.AiVoiceSharedError)
    assert getattr(ai_voice_shared, error.__name__) is error


@pytest.mark.parametrize("error", EXCEPTIONS, ids=lambda e: e.__name__)
def test_every_error_is_drawn_in_the_hierarchy_in_the_module_docstring(
    error: type[Exception],
) -> None:
    assert f" {error.__name__}" in (errors.__doc__ or "")


@pytest.mark.parametrize(
    ("error", "is_value_error"),
    [
        (errors.ConfigurationError, True),
        (errors.InvalidTwilioPayloadError, True),
        (errors.InvalidTwilioSignatureError, False),
        (errors.InvalidS3KeyError, True),
        (errors.S3ServiceError, False),
        (errors.S3ObjectNotFoundError, False),
        (errors.InvalidPhoneNumberError, True),
        (errors.CustomerLookupError, False),
        (errors.CustomerNotFoundError, False),
    ],
)
def test_errors_about_bad_values_are_value_errors(
    error: type[Exception], is_value_error: bool
) -> None:
    assert issubclass(error, ValueError) is is_value_error


def test_a_payload_error_carries_the_offending_fields() -> None:
    error = errors.InvalidTwilioPayloadError("bad", fields=["NumMedia", "MediaUrl0"])

    assert error.fields == ("NumMedia", "MediaUrl0")
    assert str(error) == "bad"


@pytest.mark.parametrize(
    ("code", "status", "transient"),
    [
        ("SlowDown", 503, True),
        ("InternalError", 500, True),
        (None, None, True),  # no answer at all: the connection failed
        ("IncompleteResponse", None, True),
        ("ChecksumMismatch", None, True),
        (None, 502, True),
        (None, 429, True),
        ("AccessDenied", 403, False),
        ("NoSuchBucket", 404, False),
        ("PreconditionFailed", 412, False),
        ("SomethingElse", None, False),
    ],
)
def test_an_s3_error_says_whether_a_later_attempt_may_succeed(
    code: str | None, status: int | None, transient: bool
) -> None:
    error = S3ServiceError("x", operation="PutObject", bucket="b", code=code, status=status)

    assert error.transient is transient


def test_an_http_status_says_how_a_webhook_endpoint_answers_each_refusal() -> None:
    assert InvalidTwilioSignatureError("x").http_status == 403
    assert InvalidTwilioPayloadError("x").http_status == 400
    assert WebhookBodyTooLargeError("x", limit=10).http_status == 413
    assert isinstance(WebhookBodyTooLargeError("x", limit=10), InvalidTwilioPayloadError)
