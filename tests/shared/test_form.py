"""form_pairs splits and unquotes a raw body exactly as parse_qsl does, fast path or not."""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ai_voice_shared.errors import InvalidTwilioPayloadError
from ai_voice_shared.hooks import form_pairs

#: The pieces that make the one-pass parse fall back: escaped "&" and "=", bad and cut UTF-8,
#: chunks with no "=" or two, empty chunks.
PIECES = st.sampled_from([*"ab=&+é", "%26", "%3D", "%C3%A9", "%C3", "%zz", "%", "%2B"])


@settings(max_examples=300)
@given(st.lists(PIECES, max_size=20).map("".join))
def test_any_body_parses_to_parse_qsls_pairs_or_fails_where_parse_qsl_fails(text: str) -> None:
    try:
        expected = parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        with pytest.raises(InvalidTwilioPayloadError, match="percent-escape does not decode"):
            form_pairs(text.encode())
        return
    assert form_pairs(text.encode()) == expected


def test_a_bad_escape_is_reported_with_its_own_parameter_after_a_clean_one() -> None:
    with pytest.raises(InvalidTwilioPayloadError) as error:
        form_pairs(b"Body=ok%20fine&ProfileName=%C3")

    assert error.value.fields == ("ProfileName",)
