"""TwilioRequestValidator: the official SDK's verdicts, without the SDK."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from urllib.parse import parse_qsl

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import SecretStr
from twilio.request_validator import RequestValidator as OfficialValidator
from werkzeug.datastructures import MultiDict

from ai_voice_shared import (
    ConfigurationError,
    InvalidTwilioSignatureError,
    TwilioRequestValidator,
)
from tests.shared.form_doubles import BrokenMapping, FormDataOf, QueryDictOf

TOKEN = "12345"
URL = "https://mycompany.com/myapp.php?foo=1&bar=2"
PARAMS = {
    "CallSid": "CA1234567890ABCDE",
    "Caller": "+14158675309",
    "Digits": "1234",
    "From": "+14158675309",
    "To": "+18005551212",
}
SIGNATURE = "RSOYDt4T1cUTdK1PDd93/VVr8B8="
JSON_BODY = '{"property": "value", "boolean": true}'
JSON_HASH = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"

validator = TwilioRequestValidator(TOKEN)


def test_the_published_form_vector_validates() -> None:
    assert validator.compute_signature(URL, PARAMS) == SIGNATURE
    assert validator.validate(URL, PARAMS, SIGNATURE)


def test_the_published_multi_value_vector_validates_with_repeats_collapsed() -> None:
    pairs = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ]

    assert validator.compute_signature(URL, pairs) == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert validator.validate(URL, MultiDict(pairs), "IK+Dwps556ElfBT0I3Rgjkr1wJU=")


def test_the_published_json_body_hash_and_signature_validate() -> None:
    url = f"{URL}&bodySHA256={JSON_HASH}"
    assert hashlib.sha256(JSON_BODY.encode()).hexdigest() == JSON_HASH
    signature = validator.compute_signature(url)

    assert validator.validate(url, JSON_BODY, signature)
    assert validator.validate(url, JSON_BODY.encode(), signature)


def test_a_json_body_changed_after_signing_fails_on_its_hash() -> None:
    url = f"{URL}&bodySHA256={JSON_HASH}"
    signature = validator.compute_signature(url)

    assert not validator.validate(url, JSON_BODY.replace("true", "false"), signature)
    with pytest.raises(InvalidTwilioSignatureError) as caught:
        validator.verify(url, JSON_BODY + " ", signature)
    assert str(caught.value) == (
        "The body's SHA-256 does not match bodySHA256 in the URL: the JSON body was changed or "
        "re-serialised after Twilio signed it. Validate the raw body bytes."
    )


def test_the_raw_form_body_validates_like_its_parsed_fields(
    twilio_sample: Callable[[str], bytes],
) -> None:
    body = twilio_sample("03_whatsapp_voice_note.form")
    url = "https://voice.example.com/twilio/webhook"
    signature = validator.compute_signature(url, body)

    assert signature == validator.compute_signature(url, dict(parse_qsl(body.decode(), True)))
    assert validator.validate(url, body, signature)
    assert validator.validate(url, body.decode(), signature)


def test_dropping_a_blank_value_breaks_the_signature(twilio_sample: Callable[[str], bytes]) -> None:
    body = twilio_sample("03_whatsapp_voice_note.form")
    url = "https://voice.example.com/twilio/webhook"
    signature = validator.compute_signature(url, body)

    assert not validator.validate(url, dict(parse_qsl(body.decode())), signature)


@pytest.mark.parametrize(
    ("signed_url", "request_url"),
    [
        pytest.param(
            "https://h.example.com/hook", "https://h.example.com:443/hook", id="443 added"
        ),
        pytest.param("https://h.example.com:443/hook", "https://h.example.com/hook", id="443 gone"),
        pytest.param("http://h.example.com:80/hook", "http://h.example.com/hook", id="80 gone"),
        pytest.param("http://h.example.com/hook", "http://h.example.com:80/hook", id="80 added"),
        pytest.param("https://h.example.com/hook", "https://h.example.com:8443/hook", id="8443"),
    ],
)
def test_the_signature_holds_with_and_without_the_port_as_in_the_sdk(
    signed_url: str, request_url: str
) -> None:
    signature = validator.compute_signature(signed_url, PARAMS)

    assert validator.validate(request_url, PARAMS, signature)
    assert OfficialValidator(TOKEN).validate(request_url, PARAMS, signature)


@pytest.mark.parametrize(
    ("request_url", "params"),
    [
        pytest.param(URL.replace("https", "http"), PARAMS, id="http behind a TLS proxy"),
        pytest.param(URL.replace(".php", ".php/"), PARAMS, id="a trailing slash added"),
        pytest.param(URL.split("?")[0], PARAMS, id="the query string missing"),
        pytest.param(URL, {**PARAMS, "Digits": "1235"}, id="a value changed"),
        pytest.param(URL, {**PARAMS, "Extra": ""}, id="a parameter added"),
    ],
)
def test_each_known_pitfall_fails_verification_with_advice(
    request_url: str, params: dict[str, str]
) -> None:
    assert not validator.validate(request_url, params, SIGNATURE)
    with pytest.raises(InvalidTwilioSignatureError) as caught:
        validator.verify(request_url, params, SIGNATURE)

    assert str(caught.value) == (
        f"X-Twilio-Signature does not match the request to {request_url}. Check that: (1) the "
        "URL is the exact public URL Twilio called: https even when a proxy terminates TLS, the "
        "same host, path, trailing slash and query string; (2) every form parameter is passed as"
        " received, blank values and repeated names included; (3) the auth token is the current "
        "one of the account that owns the number."
    )


@pytest.mark.parametrize("signature", [None, ""])
def test_a_missing_signature_fails_with_a_message_saying_so(signature: str | None) -> None:
    assert not validator.validate(URL, PARAMS, signature)
    with pytest.raises(InvalidTwilioSignatureError) as caught:
        validator.verify(URL, PARAMS, signature)

    assert str(caught.value) == (
        "The request has no X-Twilio-Signature header: it did not come from Twilio, or a proxy "
        "dropped the header. Reject it (403)."
    )


def test_a_signature_with_non_ascii_characters_is_just_invalid() -> None:
    assert not validator.validate(URL, PARAMS, "RSOYDt4T1cUTdK1PDd93/VVr8B8é")


def test_hmac_sha256_signatures_validate_like_the_sdk() -> None:
    official = OfficialValidator(TOKEN).compute_signature(URL, PARAMS, "HMAC_SHA256")

    assert validator.compute_signature(URL, PARAMS, algorithm="HMAC_SHA256") == official
    assert validator.validate(URL, PARAMS, official, algorithm="hmac_sha256")
    assert not validator.validate(URL, PARAMS, official)


def test_an_unsupported_algorithm_fails_validation_and_says_which() -> None:
    assert not validator.validate(URL, PARAMS, SIGNATURE, algorithm="HMAC_MD5")
    with pytest.raises(InvalidTwilioSignatureError, match="Unsupported signature algorithm"):
        validator.verify(URL, PARAMS, SIGNATURE, algorithm="HMAC_MD5")
    with pytest.raises(ConfigurationError, match="use one of HMAC_SHA1, HMAC_SHA256"):
        validator.compute_signature(URL, PARAMS, algorithm="HMAC_MD5")


def test_the_token_never_shows_in_repr_or_errors() -> None:
    secret = "s3cr3t-token-value"
    guarded = TwilioRequestValidator(SecretStr(secret))

    with pytest.raises(InvalidTwilioSignatureError) as caught:
        guarded.verify(URL, PARAMS, SIGNATURE)

    assert secret not in repr(guarded)
    assert secret not in str(caught.value)
    assert not hasattr(guarded, "__dict__")


@pytest.mark.parametrize("token", ["", SecretStr(""), None, 12345])
def test_an_empty_or_wrongly_typed_token_is_a_configuration_error(token: object) -> None:
    with pytest.raises(ConfigurationError, match="needs the account's auth token"):
        TwilioRequestValidator(token)  # type: ignore[arg-type]


JUNK = {
    "a percent-escape that is not UTF-8": ("https://h.example.com/hook", b"Body=%ff", SIGNATURE),
    "a body that is not UTF-8": ("https://h.example.com/hook", b"\xff", SIGNATURE),
    "1,001 parameters": ("https://h.example.com/hook", b"&".join([b"a=1"] * 1001), SIGNATURE),
    "a port out of range": ("https://h.example.com:99999/hook", PARAMS, SIGNATURE),
    "an unclosed IPv6 host": ("https://[/hook", PARAMS, SIGNATURE),
    "a URL that is not str": (b"https://h.example.com/hook", PARAMS, SIGNATURE),
    "a signature in a list": ("https://h.example.com/hook", PARAMS, [SIGNATURE]),
    "a signature of non-ASCII bytes": ("https://h.example.com/hook", PARAMS, b"\xff"),
    "form values that are not text": ("https://h.example.com/hook", {"Body": 3}, SIGNATURE),
    "a multi-dict whose multi_items gives non-pairs": (URL, FormDataOf([1, 2]), SIGNATURE),
    "a multi-dict whose multi_items gives triples": (URL, FormDataOf([(1, 2, 3)]), SIGNATURE),
    "a multi-dict whose multi_items gives no sequence": (URL, FormDataOf(5), SIGNATURE),
    "a multi-dict whose lists gives non-pairs": (URL, QueryDictOf(["ab"]), SIGNATURE),
    "a mapping that fails while being read": (URL, BrokenMapping(), SIGNATURE),
}


@pytest.mark.parametrize(("url", "body", "signature"), JUNK.values(), ids=JUNK)
def test_junk_gets_a_verdict_and_verify_only_the_signature_error(
    url: object, body: object, signature: object
) -> None:
    assert validator.validate(url, body, signature) is False  # type: ignore[arg-type]
    with pytest.raises(InvalidTwilioSignatureError) as caught:
        validator.verify(url, body, signature)  # type: ignore[arg-type]

    assert str(caught.value)


@pytest.mark.parametrize("algorithm", [None, 1, "MD5"])
def test_an_algorithm_that_is_not_one_of_twilios_is_a_verdict(algorithm: object) -> None:
    assert validator.validate(URL, PARAMS, SIGNATURE, algorithm=algorithm) is False  # type: ignore[arg-type]
    with pytest.raises(InvalidTwilioSignatureError, match="Unsupported signature algorithm"):
        validator.verify(URL, PARAMS, SIGNATURE, algorithm=algorithm)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("signed", "received"),
    [
        ("https://[2001:db8::1]/hook", "https://[2001:db8::1]:443/hook"),
        ("https://[2001:db8::1]:443/hook", "https://[2001:db8::1]/hook"),
        ("http://[::1]/hook?a=1", "http://[::1]:80/hook?a=1"),
    ],
)
def test_an_ipv6_host_with_or_without_its_default_port_is_the_same_url(
    signed: str, received: str
) -> None:
    # Found by an attack: the port was cut at the first ':', inside the IPv6 address.
    signature = validator.compute_signature(signed, PARAMS)

    assert validator.validate(received, PARAMS, signature)


def test_a_signature_passed_as_bytes_is_checked_like_the_str() -> None:
    assert validator.validate(URL, PARAMS, SIGNATURE.encode())
    assert not validator.validate(URL, PARAMS, b"AAAA" + SIGNATURE.encode())


def test_a_multi_dict_giving_non_pairs_fails_verification_naming_the_problem() -> None:
    with pytest.raises(InvalidTwilioSignatureError) as caught:
        validator.verify(URL, FormDataOf([1, 2]), SIGNATURE)

    assert str(caught.value) == (
        "The body is not a Twilio form, so it cannot carry Twilio's signature: FormDataOf gave "
        "form item #0 as int '1', not a (name, value) pair: pass the raw request body (bytes), "
        "or the form object the web framework built, unchanged."
    )


junk_items = st.lists(
    st.one_of(
        st.none(),
        st.integers(),
        st.text(max_size=3),
        st.tuples(st.text(max_size=3), st.text(max_size=3)),
        st.tuples(st.integers(), st.none()),
        st.lists(st.text(max_size=3), max_size=3),
        st.tuples(st.text(max_size=3), st.lists(st.one_of(st.text(max_size=3), st.integers()))),
    ),
    max_size=5,
)


@given(items=st.one_of(junk_items, st.integers(), st.none()), method=st.sampled_from("ml"))
def test_any_multi_dict_gets_a_verdict_and_verify_only_the_signature_error(
    items: object, method: str
) -> None:
    form = FormDataOf(items) if method == "m" else QueryDictOf(items)

    assert validator.validate(URL, form, SIGNATURE) is False
    with pytest.raises(InvalidTwilioSignatureError):
        validator.verify(URL, form, SIGNATURE)


def test_the_body_problem_is_named_in_the_signature_error() -> None:
    with pytest.raises(InvalidTwilioSignatureError, match=r"not a Twilio form.*UTF-8"):
        validator.verify(URL, b"Body=%ff", SIGNATURE)


# -- agreement with the official SDK on generated requests ------------------------------------

names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), max_size=12)
values = st.text(st.characters(codec="utf-8"), max_size=20)
urls = st.builds(
    "{}://{}{}/{}{}".format,
    st.sampled_from(["https", "http"]),
    st.sampled_from(["h.example.com", "localhost", "127.0.0.1"]),
    st.sampled_from(["", ":443", ":80", ":8080"]),
    st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E, exclude_characters="?#"), max_size=8
    ),
    st.sampled_from(["", "?a=1", "?a=1&b=", "?x=%20"]),
)
requests = st.tuples(urls, st.lists(st.tuples(names, values), max_size=8))


@given(request=requests, token=st.text(min_size=1, max_size=32))
def test_signatures_agree_with_the_official_sdk(
    request: tuple[str, list[tuple[str, str]]], token: str
) -> None:
    url, pairs = request
    ours, theirs = TwilioRequestValidator(token), OfficialValidator(token)
    params = MultiDict(pairs)

    signature = theirs.compute_signature(url, params)

    assert ours.compute_signature(url, pairs) == signature
    verdict = theirs.validate(url, params, signature)
    assert ours.validate(url, pairs, signature) is verdict
    # The SDK rebuilds the URL with urlparse().geturl(), which drops an empty ";" parameter
    # of the last path segment ("/hook;"): such URLs fail even with the right signature, in
    # the SDK and here alike.
    last_segment = url.split("?")[0].rsplit("/", 1)[1]
    dropped = last_segment.endswith(";") and last_segment.index(";") == len(last_segment) - 1
    assert verdict is not dropped
    tampered = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    assert ours.validate(url, pairs, tampered) is theirs.validate(url, params, tampered)


@given(url=urls, body=st.text(max_size=50), token=st.text(min_size=1, max_size=32))
def test_json_webhook_verdicts_agree_with_the_official_sdk(url: str, body: str, token: str) -> None:
    ours, theirs = TwilioRequestValidator(token), OfficialValidator(token)
    sep = "&" if "?" in url else "?"
    signed_url = f"{url}{sep}bodySHA256={hashlib.sha256(body.encode()).hexdigest()}"
    signature = theirs.compute_signature(signed_url, {})

    for candidate in (body, body + "x"):
        assert ours.validate(signed_url, candidate, signature) is theirs.validate(
            signed_url, candidate, signature
        )
