"""Any input at all gives a payload or InvalidTwilioPayloadError (a ValueError), nothing else."""

from __future__ import annotations

import contextlib
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from ai_voice_shared import InvalidTwilioPayloadError, TwilioStatusCallback, TwilioWebhookPayload

SAMPLES = Path(__file__).parents[2] / "data" / "twilio"
BASE = parse_qsl((SAMPLES / "03_whatsapp_voice_note.form").read_text(), keep_blank_values=True)
KEYS = [k for k, _ in BASE] + ["MediaUrl1", "MediaContentType1", "Latitude", "ChannelMetadata"]
nasty = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["", "0", "-1", "1e309", "NaN", "99999999999999999999", "true", "[", "{}"]),
    st.integers(0, 10**6).map(str),
)


def parse_or_error(cls: type[TwilioWebhookPayload | TwilioStatusCallback], body: object) -> None:
    try:
        payload = cls.from_form(body)  # type: ignore[arg-type]
    except InvalidTwilioPayloadError as exc:
        error: InvalidTwilioPayloadError | None = exc
    else:
        error = None
        assert cls.from_form(urlencode(payload.to_form())) == payload
        assert payload.model_dump_json()  # writable as JSON too (NaN becomes null, kept lenient)
    assert error is None or (str(error) and error.fields)


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_payload_or_a_payload_error(body: bytes) -> None:
    parse_or_error(TwilioWebhookPayload, body)
    parse_or_error(TwilioStatusCallback, body)


@given(st.lists(st.tuples(st.text(max_size=20), st.text(max_size=20)), max_size=20))
def test_arbitrary_pairs_give_a_payload_or_a_payload_error(pairs: list[tuple[str, str]]) -> None:
    parse_or_error(TwilioWebhookPayload, pairs)


@given(
    st.dictionaries(st.sampled_from(KEYS), nasty, max_size=6),
    st.integers(0, len(BASE)),
)
def test_a_real_body_with_values_replaced_or_truncated_never_crashes(
    changes: dict[str, str], cut: int
) -> None:
    pairs = [(k, changes.get(k, v)) for k, v in BASE]
    pairs += [(k, v) for k, v in changes.items() if k not in dict(BASE)]
    parse_or_error(TwilioWebhookPayload, pairs)
    parse_or_error(TwilioWebhookPayload, urlencode(pairs)[: cut * 20])


@given(st.dictionaries(st.text(max_size=15), st.one_of(nasty, st.none(), st.integers())))
def test_model_validate_on_any_mapping_gives_a_payload_or_a_validation_error(
    data: dict[str, object],
) -> None:
    with contextlib.suppress(ValidationError):
        TwilioWebhookPayload.model_validate({**dict(BASE), **data})


any_text = st.text(st.characters(codec=None, categories=None), max_size=20)  # surrogates too


@given(st.lists(st.tuples(any_text, any_text), max_size=10), st.sampled_from(BASE))
def test_pairs_with_lone_surrogates_give_a_payload_that_writes_back_or_an_error(
    pairs: list[tuple[str, str]], replaced: tuple[str, str]
) -> None:
    parse_or_error(TwilioWebhookPayload, [*BASE, *pairs])
    parse_or_error(
        TwilioWebhookPayload,
        [(k, pairs[0][1] if pairs and (k, v) == replaced else v) for k, v in BASE],
    )


def test_a_lone_surrogate_in_channel_metadata_is_refused_at_parse_time() -> None:
    body = urlencode([*BASE, ("ChannelMetadata", '{"context": "\\ud800"}')])

    with pytest.raises(InvalidTwilioPayloadError, match="lone surrogate") as caught:
        TwilioWebhookPayload.from_form(body)

    assert caught.value.fields == ("ChannelMetadata",)
