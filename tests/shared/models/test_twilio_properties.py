"""Property tests of Twilio parsing and signing, on the test kit's own strategies.

Example counts follow the Hypothesis profile (root conftest: ``dev`` locally, ``ci`` with
CI=true); the robustness test asks for 10,000 examples under ``ci``.
"""

from __future__ import annotations

import os
from urllib.parse import quote, urlencode, urlsplit, urlunsplit

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from twilio.request_validator import RequestValidator as OfficialValidator

from ai_voice_shared import InvalidTwilioPayloadError, TwilioRequestValidator, TwilioWebhookPayload
from ai_voice_shared_testing import strategies as aivs

CI = os.environ.get("CI") == "true"
URLS = st.sampled_from(
    [
        "https://voice.example.com/twilio/webhook",
        "https://voice.example.com:8443/hooks/twilio?tenant=a",
        "http://127.0.0.1:8000/webhook/",
    ]
)
TOKENS = st.text("0123456789abcdef", min_size=32, max_size=32)


@given(aivs.twilio_webhook_payloads())
def test_every_payload_round_trips_through_its_wire_form(payload: TwilioWebhookPayload) -> None:
    assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload


@given(aivs.twilio_webhook_payloads(), st.randoms(use_true_random=False))
def test_any_order_of_the_pairs_parses_to_the_same_payload(
    payload: TwilioWebhookPayload, rng: object
) -> None:
    pairs = payload.to_form()
    rng.shuffle(pairs)  # type: ignore[attr-defined]

    assert TwilioWebhookPayload.from_form(urlencode(pairs).encode()) == payload


@st.composite
def damaged_bodies(draw: st.DrawFn) -> bytes:
    """A real body, damaged the ways bodies get damaged (or garbage, or random pairs)."""
    kind = draw(st.sampled_from(["mutated", "garbage", "random pairs"]))
    if kind == "garbage":
        return draw(st.binary(max_size=2000))
    if kind == "random pairs":
        pairs = draw(st.lists(st.tuples(st.text(max_size=30), st.text(max_size=30)), max_size=30))
        return urlencode(pairs).encode()
    pairs = draw(aivs.twilio_webhook_payloads()).to_form()
    for _ in range(draw(st.integers(1, 4))):
        action = draw(
            st.sampled_from(
                ["drop", "duplicate", "garbage value", "huge NumMedia", "media gap", "long value"]
            )
        )
        index = draw(st.integers(0, len(pairs) - 1)) if pairs else 0
        if action == "drop" and pairs:
            pairs.pop(index)
        elif action == "duplicate" and pairs:
            pairs.append(pairs[index])
        elif action == "garbage value" and pairs:
            pairs[index] = (pairs[index][0], draw(st.text(max_size=50)))
        elif action == "huge NumMedia":
            pairs = [(k, v) for k, v in pairs if k != "NumMedia"]
            pairs.append(("NumMedia", str(draw(st.integers(11, 10**30)))))
        elif action == "media gap":
            pairs.append((f"MediaUrl{draw(st.integers(2, 10**6))}", "https://example.com/x"))
        elif action == "long value" and pairs:
            pairs[index] = (pairs[index][0], "x" * draw(st.integers(10_000, 200_000)))
    body = urlencode(pairs).encode()
    if draw(st.booleans()):
        body = body[: draw(st.integers(0, len(body)))]
    return body


# 10,000 examples under CI, in four shards of independent random examples, so that xdist
# spreads them over its workers instead of one worker holding the whole run for a minute.
@pytest.mark.parametrize("shard", range(4))
@settings(max_examples=2_500 if CI else 125)
@given(body=damaged_bodies())
def test_any_body_gives_a_payload_or_the_documented_value_error(shard: int, body: bytes) -> None:
    try:
        payload = TwilioWebhookPayload.from_form(body)
    except InvalidTwilioPayloadError as exc:
        error: InvalidTwilioPayloadError | None = exc
    else:
        error = None
        assert TwilioWebhookPayload.from_form(urlencode(payload.to_form())) == payload
    assert error is None or (error.fields and str(error))


@given(aivs.twilio_webhook_payloads(), URLS, TOKENS)
def test_a_signed_request_validates(payload: TwilioWebhookPayload, url: str, token: str) -> None:
    request = aivs.signed_twilio_request(payload, url=url, auth_token=token)

    assert TwilioRequestValidator(token).validate(url, request.body, request.signature)


@st.composite
def tampered(draw: st.DrawFn) -> tuple[str, list[tuple[str, str]], str, str, str]:
    """A signed request and one change to it: (url, pairs, token, signature, what changed)."""
    payload = draw(aivs.twilio_webhook_payloads())
    url, token = draw(URLS), draw(TOKENS)
    pairs = payload.to_form()
    signature = TwilioRequestValidator(token).compute_signature(url, pairs)
    change = draw(st.sampled_from(["value", "added", "scheme", "host", "path", "query", "token"]))
    parts = urlsplit(url)
    if change == "value":
        index = draw(st.integers(0, len(pairs) - 1))
        name, value = pairs[index]
        pairs[index] = (name, value + draw(st.text(min_size=1, max_size=5)))
    elif change == "added":
        pairs.append(("Extra" + draw(st.text("abc", max_size=3)), draw(st.text(max_size=5))))
    elif change == "scheme":
        url = urlunsplit(parts._replace(scheme="http" if parts.scheme == "https" else "https"))
    elif change == "host":
        url = urlunsplit(parts._replace(netloc="evil." + parts.netloc))
    elif change == "path":
        url = urlunsplit(
            parts._replace(path=parts.path + quote(draw(st.text("ab/", min_size=1, max_size=3))))
        )
    elif change == "query":
        url = urlunsplit(parts._replace(query=(parts.query + "&" if parts.query else "") + "x=1"))
    else:
        token = draw(TOKENS.filter(lambda other: other != token))
    return url, pairs, token, signature, change


@given(tampered())
def test_any_change_to_a_signed_request_breaks_the_signature_as_in_the_sdk(
    case: tuple[str, list[tuple[str, str]], str, str, str],
) -> None:
    url, pairs, token, signature, change = case
    ours = TwilioRequestValidator(token).validate(url, pairs, signature)
    theirs = OfficialValidator(token).validate(url, dict(pairs), signature)

    assert ours is theirs
    # A port-only change of scheme (https:443 <-> http:80) can still match in the SDK's rules;
    # every other change must fail.
    if change != "scheme":
        assert ours is False
