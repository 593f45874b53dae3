"""The exception hierarchy: one root, ValueError where a value is bad, drawn in the docstring."""

from __future__ import annotations

import inspect

import pytest

import ai_voice_shared
from ai_voice_shared import errors

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
