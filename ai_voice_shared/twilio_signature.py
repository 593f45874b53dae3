"""Check that a webhook really comes from Twilio: the ``X-Twilio-Signature`` header.

Gives the same verdicts as the official SDK's ``twilio.request_validator.RequestValidator``
without depending on it: form webhooks (multi-valued parameters, with and without the default
port), JSON webhooks (``bodySHA256``), HMAC-SHA1 and HMAC-SHA256, compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable
from typing import Final
from urllib.parse import ParseResult, parse_qs, urlparse

from pydantic import SecretStr

from ai_voice_shared._form import FormSource, decode_body, form_pairs
from ai_voice_shared.errors import (
    ConfigurationError,
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
)

__all__ = ["SIGNATURE_HEADER", "TwilioRequestValidator"]

#: The request header that carries the signature.
SIGNATURE_HEADER: Final = "X-Twilio-Signature"

_ALGORITHMS: Final[dict[str, Callable[[], hashlib._Hash]]] = {
    "HMAC_SHA1": hashlib.sha1,
    "HMAC_SHA256": hashlib.sha256,
}

_MISMATCH_ADVICE = (
    "Check that: (1) the URL is the exact public URL Twilio called: https even when a proxy "
    "terminates TLS, the same host, path, trailing slash and query string; (2) every form "
    "parameter is passed as received, blank values and repeated names included; (3) the auth "
    "token is the current one of the account that owns the number."
)


class TwilioRequestValidator:
    """Validates Twilio's ``X-Twilio-Signature`` with the account's auth token.

    >>> validator = TwilioRequestValidator("12345")
    >>> validator.validate(url, request_body_bytes, request.headers["X-Twilio-Signature"])
    True

    The token is kept out of ``repr``, log lines and error messages.
    """

    __slots__ = ("_key",)

    def __init__(self, auth_token: str | SecretStr) -> None:
        token = auth_token.get_secret_value() if isinstance(auth_token, SecretStr) else auth_token
        if not isinstance(token, str) or not token:
            raise ConfigurationError(
                "TwilioRequestValidator needs the account's auth token as a non-empty str or "
                f"SecretStr (got {'an empty string' if token == '' else type(token).__name__}): "
                "read it from your secret store, e.g. os.environ['TWILIO_AUTH_TOKEN']."
            )
        self._key = token.encode("utf-8")

    def __repr__(self) -> str:
        return "TwilioRequestValidator(auth_token=SecretStr('**********'))"

    def compute_signature(
        self, url: str, params: FormSource | None = None, *, algorithm: str = "HMAC_SHA1"
    ) -> str:
        """Return the signature Twilio sends for a request to ``url`` with these parameters.

        ``params`` is a mapping, multi-dict, sequence of pairs or raw form body; each name in
        sorted order is followed by each of its distinct values, sorted (as the SDK does).
        """
        digest = _digest(algorithm)
        parts = [url]
        if params is not None:
            grouped: dict[str, set[str]] = {}
            for name, value in form_pairs(params):
                grouped.setdefault(name, set()).add(value)
            for name in sorted(grouped):
                parts.extend(name + value for value in sorted(grouped[name]))
        message = "".join(parts).encode("utf-8", "surrogatepass")
        mac = hmac.new(self._key, message, digest).digest()
        return base64.b64encode(mac).decode("ascii")

    def validate(
        self,
        url: str,
        params_or_body: FormSource | None,
        signature: str | bytes | None,
        *,
        algorithm: str = "HMAC_SHA1",
    ) -> bool:
        """Whether ``signature`` is Twilio's for this request.

        ``params_or_body`` is the parsed form (mapping, multi-dict or pairs) or the raw body
        (``bytes`` or ``str``). When the URL carries ``bodySHA256`` and the raw body is given,
        the request is a JSON webhook: the body must hash to that value and the signature
        covers the URL alone. ``url`` is the full URL Twilio called, query string included.

        Never raises for what a request carries: a body that is not a form, a URL built from a
        hostile ``Host`` header, a signature of the wrong type or an unknown algorithm are all
        ``False`` (an unauthenticated request gets a verdict, not a 500).
        """
        return self._failure(url, params_or_body, signature, algorithm) is None

    def verify(
        self,
        url: str,
        params_or_body: FormSource | None,
        signature: str | bytes | None,
        *,
        algorithm: str = "HMAC_SHA1",
    ) -> None:
        """Like :meth:`validate`, but raise :class:`InvalidTwilioSignatureError` saying why (the
        only error it raises, whatever the input)."""
        failure = self._failure(url, params_or_body, signature, algorithm)
        if failure is not None:
            raise InvalidTwilioSignatureError(failure)

    def _failure(
        self, url: object, params_or_body: object, signature: object, algorithm: object
    ) -> str | None:
        """Why the request is not Twilio's, or ``None``. Never raises: whatever a caller or a
        hostile request hands over (a bad URL from a forged Host header, a body that is not a
        form, a signature of the wrong type) gets a verdict and a reason."""
        if not isinstance(algorithm, str) or algorithm.upper() not in _ALGORITHMS:
            return (
                f"Unsupported signature algorithm {algorithm!r}: Twilio signs with one of "
                f"{', '.join(_ALGORITHMS)}; check the X-Twilio-Webhooks-Signature-Settings header."
            )
        if isinstance(signature, bytes | bytearray):
            try:
                signature = bytes(signature).decode("ascii")
            except UnicodeDecodeError:
                return f"{SIGNATURE_HEADER} is not ASCII: it is not a signature Twilio sent."
        if signature is not None and not isinstance(signature, str):
            return (
                f"{SIGNATURE_HEADER} must be passed as str, not {type(signature).__name__}: pass "
                "the header's value (request.headers.get('X-Twilio-Signature'))."
            )
        if not signature:
            return (
                f"The request has no {SIGNATURE_HEADER} header: it did not come from Twilio, or "
                "a proxy dropped the header. Reject it (403)."
            )
        if not isinstance(url, str):
            return f"The URL must be str, not {type(url).__name__}: pass the URL Twilio called."
        try:
            parsed = _parse_url(url)
        except ConfigurationError as exc:
            return str(exc)
        params = params_or_body
        body_ok = True
        try:
            body_hashes = parse_qs(parsed.query).get("bodySHA256")
            if body_hashes and isinstance(params, str | bytes | bytearray | memoryview):
                raw = (
                    params.encode("utf-8", "surrogatepass")
                    if isinstance(params, str)
                    else bytes(params)
                )
                body_ok = hmac.compare_digest(
                    hashlib.sha256(raw).hexdigest().encode(),
                    body_hashes[0].encode("utf-8", "replace"),
                )
                params = None
            elif isinstance(params, bytes | bytearray | memoryview):
                params = decode_body(params)
            pairs = None if params is None else form_pairs(params)
        except InvalidTwilioPayloadError as exc:
            return f"The body is not a Twilio form, so it cannot carry Twilio's signature: {exc}"
        given = signature.encode("utf-8", "replace")
        # Compute both URL variants every time, as the SDK does, so timing says nothing.
        matches = [
            hmac.compare_digest(
                self.compute_signature(variant, pairs, algorithm=algorithm).encode(), given
            )
            for variant in (_without_port(parsed), _with_port(parsed))
        ]
        if not body_ok:
            return (
                "The body's SHA-256 does not match bodySHA256 in the URL: the JSON body was "
                "changed or re-serialised after Twilio signed it. Validate the raw body bytes."
            )
        if not any(matches):
            return f"{SIGNATURE_HEADER} does not match the request to {url}. {_MISMATCH_ADVICE}"
        return None


def _digest(algorithm: str) -> Callable[[], hashlib._Hash]:
    try:
        return _ALGORITHMS[algorithm.upper()]
    except KeyError:
        raise ConfigurationError(
            f"Unsupported signature algorithm {algorithm!r}: use one of {', '.join(_ALGORITHMS)}."
        ) from None


def _parse_url(url: str) -> ParseResult:
    try:
        parsed = urlparse(url)
        parsed.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError as exc:
        raise ConfigurationError(
            f"The URL {url[:200]!r} is not a valid URL ({exc}): pass the full public URL "
            "Twilio called (a request's Host header can carry anything)."
        ) from None
    return parsed


# The two URL variants below mirror the official SDK (remove_port / add_port), which accepts a
# signature computed with or without the port because Twilio's own signing is inconsistent.
def _without_port(url: ParseResult) -> str:
    if not url.port:
        return url.geturl()
    # rpartition, not split: an IPv6 literal ("[2001:db8::1]:443") holds colons of its own.
    return url._replace(netloc=url.netloc.rpartition(":")[0]).geturl()


def _with_port(url: ParseResult) -> str:
    if url.port:
        return url.geturl()
    port = 443 if url.scheme == "https" else 80
    return url._replace(netloc=f"{url.netloc}:{port}").geturl()
