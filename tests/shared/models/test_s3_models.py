"""S3ObjectMetadata and S3ListResponse: what S3 says about objects and listings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from ai_voice_shared import S3ListResponse, S3ObjectMetadata

MODIFIED = datetime(2026, 11, 26, 7, 0, tzinfo=UTC)


def obj(**changes: object) -> S3ObjectMetadata:
    return S3ObjectMetadata.model_validate(
        {
            "key": "voice/AC1/MM1.ogg",
            "size": 10,
            "last_modified": MODIFIED,
            "etag": '"9b2cf535f27731c9"',
            **changes,
        }
    )


def test_the_etag_loses_the_quotes_s3_puts_around_it() -> None:
    assert obj().etag == "9b2cf535f27731c9"
    assert obj(etag="abc-3").etag == "abc-3"


def test_content_type_and_metadata_are_none_when_the_call_did_not_return_them() -> None:
    listed = obj()
    headed = obj(content_type="audio/ogg", metadata={"message-sid": "MM1"})

    assert (listed.content_type, listed.metadata, listed.storage_class) == (None, None, "STANDARD")
    assert (headed.content_type, headed.metadata) == ("audio/ogg", {"message-sid": "MM1"})


def test_a_naive_modification_time_is_rejected() -> None:
    with pytest.raises(ValidationError) as caught:
        obj(last_modified=datetime(2026, 11, 26, 7, 0))

    assert [(e["loc"], e["type"]) for e in caught.value.errors()] == [
        (("last_modified",), "timezone_aware")
    ]


@pytest.mark.parametrize(("field", "value"), [("size", -1), ("key", ""), ("etag", "")])
def test_impossible_values_are_rejected_naming_the_field(field: str, value: object) -> None:
    with pytest.raises(ValidationError) as caught:
        obj(**{field: value})

    assert [e["loc"] for e in caught.value.errors()] == [(field,)]


def test_key_count_is_derived_from_objects_and_common_prefixes_when_omitted() -> None:
    page = S3ListResponse(bucket="voice-notes", objects=(obj(),), common_prefixes=("voice/AC2/",))

    assert page.key_count == 2
    assert S3ListResponse(bucket="voice-notes", key_count=7).key_count == 7


def test_a_truncated_page_without_a_continuation_token_is_rejected() -> None:
    with pytest.raises(ValidationError, match="next_continuation_token is missing"):
        S3ListResponse(bucket="voice-notes", is_truncated=True)


def test_a_truncated_page_with_a_token_is_fine() -> None:
    page = S3ListResponse(bucket="b-1", is_truncated=True, next_continuation_token="t")

    assert (page.prefix, page.objects, page.common_prefixes) == ("", (), ())
