"""A Twilio webhook, verified and parsed, whatever the web framework: ``TwilioWebhookVerifier``.

Given what any framework has (the request's URL, its headers and its raw body), it rebuilds the
public URL Twilio signed, checks ``X-Twilio-Signature`` and parses the body, or raises the
library's typed errors (:class:`InvalidTwilioSignatureError`: answer 403;
:class:`InvalidTwilioPayloadError`: answer 400). The adapters in
:mod:`ai_voice_shared.adapters` wrap it for Starlette/FastAPI and for WSGI/Flask.

The public URL comes from, in order:

1. ``TWILIO_WEBHOOK_BASE_URL``, the base Twilio calls (``https://voice.example.com``, with a
   path prefix if a proxy strips one), followed by the request's path and query;
2. ``X-Forwarded-Proto``, ``X-Forwarded-Host`` and ``X-Forwarded-Port``, only when
   ``TWILIO_TRUST_FORWARDED_HEADERS`` is on (a proxy you run sets them; anyone else can too);
3. the request URL as the application sees it.

Twilio signs the URL without its ``#`` connection overrides (a client never sends a fragment);
the query string is signed as it was sent.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Generic
from urllib.parse import parse_qs, urlsplit

from pydantic import SecretStr
from typing_extensions import TypeVar  # PEP 696 defaults (typing has them from 3.13)

from ai_voice_shared._form import form_pairs
from ai_voice_shared.errors import (
    ConfigurationError,
    InvalidTwilioPayloadError,
    InvalidTwilioSignatureError,
    WebhookBodyTooLargeError,
)
from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.settings import TwilioSettings
from ai_voice_shared.twilio_signature import SIGNATURE_HEADER, TwilioRequestValidator

__all__ = [
    "DEFAULT_MAX_BODY_BYTES",
    "IDEMPOTENCY_HEADER",
    "TwilioWebhookVerifier",
    "VerifiedWebhook",
    "header",
]

#: The header Twilio repeats on every delivery of one webhook (its retries included).
IDEMPOTENCY_HEADER = "I-Twilio-Idempotency-Token"
#: The largest webhook body accepted by default. Twilio's largest form bodies (a 1,600-character
#: message percent-encoded, ten media URLs, channel metadata) stay far below 64 KiB.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
# The variables TwilioWebhookVerifier.from_env() reads; a change of any rebuilds the verifier.
_ENV_NAMES = ("TWILIO_AUTH_TOKEN", "TWILIO_WEBHOOK_BASE_URL", "TWILIO_TRUST_FORWARDED_HEADERS")
# A host name or an IP literal, with a port: what a Host (or X-Forwarded-Host) header may hold.
_HOST_AND_PORT = r"(?P<host>[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(?P<port>[0-9]{1,5}))?"
_HOST = re.compile(_HOST_AND_PORT)
# A request URL as a server hands it over: scheme, host, then the path and query and nothing
# else: no '#' (no client sends a fragment), no whitespace or control character.
_REQUEST_URL = re.compile(
    rf"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://{_HOST_AND_PORT}(?P<rest>[/?][^#\x00-\x20\x7f]*)?"
)

Headers = Mapping[str, str] | Iterable[tuple[str, str]]
P = TypeVar("P", TwilioWebhookPayload, TwilioStatusCallback)
#: The model a VerifiedWebhook's payload is: the one its verifier or dependency was given.
M = TypeVar(
    "M",
    bound=TwilioWebhookPayload | TwilioStatusCallback,
    default=TwilioWebhookPayload | TwilioStatusCallback,
    covariant=True,  # a VerifiedWebhook[TwilioWebhookPayload] is a VerifiedWebhook (frozen)
)


@dataclass(frozen=True)
class VerifiedWebhook(Generic[M]):
    """A webhook that Twilio signed: what it said, and how it was checked.

    ``payload`` is the parsed form, as the model the verification was given
    (``VerifiedWebhook[TwilioStatusCallback]`` from ``model=TwilioStatusCallback``), or
    ``None`` for a JSON webhook, whose parsed body is in ``json``; ``public_url`` the URL the
    signature was checked against.

    ``unsigned_idempotency_token`` is the ``I-Twilio-Idempotency-Token`` header, which Twilio
    repeats on every delivery of one webhook but which **no signature covers**: whoever replays
    a signed webhook can put any value there. Never key deduplication on it
    (:class:`~ai_voice_shared.DeliveryGuard` keys on the signed ``MessageSid``); log it, or
    use it where a forged value costs nothing.
    """

    payload: M | None
    unsigned_idempotency_token: str | None
    public_url: str
    body: bytes
    json: Any = None


def header(headers: Headers, name: str) -> str | None:
    """A header's value, whatever its case, from a mapping, a multi-dict or pairs."""
    if isinstance(headers, Mapping):
        # The frameworks' header mappings (Starlette, Werkzeug, httpx) ignore case: one lookup.
        found = headers.get(name)
        if isinstance(found, str):
            return found
    wanted = name.lower()
    items: Iterable[tuple[Any, Any]] = headers.items() if isinstance(headers, Mapping) else headers
    for key, value in items:
        key = key.decode("latin-1") if isinstance(key, bytes) else key
        if isinstance(key, str) and key.lower() == wanted:
            return value.decode("latin-1") if isinstance(value, bytes) else str(value)
    return None


class TwilioWebhookVerifier:
    """Verifies and parses Twilio webhooks for one account.

    ``settings`` (``TwilioSettings()`` from ``TWILIO_*`` when left out) gives the auth token,
    ``TWILIO_WEBHOOK_BASE_URL`` and ``TWILIO_TRUST_FORWARDED_HEADERS``; the keyword arguments
    override them. ``max_body_bytes`` bounds the body the adapters read (larger ones are
    refused with :class:`WebhookBodyTooLargeError`, HTTP 413, before they are read whole).
    """

    _from_env: tuple[tuple[str | None, ...], TwilioWebhookVerifier] | None = None
    _from_env_lock = threading.Lock()

    def __init__(
        self,
        settings: TwilioSettings | None = None,
        *,
        auth_token: str | SecretStr | None = None,
        webhook_base_url: str | None = None,
        trust_forwarded_headers: bool | None = None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
    ) -> None:
        if isinstance(max_body_bytes, bool) or not isinstance(max_body_bytes, int):
            raise ConfigurationError(
                f"max_body_bytes must be an int number of bytes, not {max_body_bytes!r}"
            )
        if max_body_bytes < 1:
            raise ConfigurationError(f"max_body_bytes must be at least 1, not {max_body_bytes}")
        self.max_body_bytes = max_body_bytes
        overrides: dict[str, Any] = {
            "auth_token": auth_token,
            "webhook_base_url": webhook_base_url,
            "trust_forwarded_headers": trust_forwarded_headers,
        }
        given = {name: value for name, value in overrides.items() if value is not None}
        if settings is None or given:
            base = settings.model_dump() if settings is not None else {}
            settings = TwilioSettings(**{**base, **given})
        self.settings = settings
        if settings.auth_token is None:
            raise ConfigurationError(
                "Verifying Twilio webhooks needs the account's auth token: set "
                "TWILIO_AUTH_TOKEN (or pass auth_token=...). Twilio signs webhooks with it."
            )
        self._validator = TwilioRequestValidator(settings.auth_token)
        self.webhook_base_url = settings.webhook_base_url
        self.trust_forwarded_headers = settings.trust_forwarded_headers

    def __repr__(self) -> str:
        return (
            f"TwilioWebhookVerifier(webhook_base_url={self.webhook_base_url!r}, "
            f"trust_forwarded_headers={self.trust_forwarded_headers})"
        )

    @classmethod
    def from_env(cls) -> TwilioWebhookVerifier:
        """The verifier for the current ``TWILIO_AUTH_TOKEN``, ``TWILIO_WEBHOOK_BASE_URL`` and
        ``TWILIO_TRUST_FORWARDED_HEADERS`` (and ``.env``): built once, and again only when one
        of those variables changes (a test's environment, a rotated token). The adapters use it
        when no verifier is given."""
        key = tuple(os.environ.get(name) for name in _ENV_NAMES)
        cached = cls._from_env
        if cached is not None and cached[0] == key:
            return cached[1]
        with cls._from_env_lock:
            verifier = TwilioWebhookVerifier()
            TwilioWebhookVerifier._from_env = (key, verifier)
        return verifier

    def too_large(self, size: int | None = None) -> WebhookBodyTooLargeError:
        """The error for a body over :attr:`max_body_bytes` (``size`` if known)."""
        seen = f"{size} bytes" if size is not None else "more than that"
        return WebhookBodyTooLargeError(
            f"A webhook body of {seen} exceeds the {self.max_body_bytes} bytes this endpoint "
            "accepts; Twilio's own bodies are a few KiB. If a larger one is genuine, raise "
            "max_body_bytes on the TwilioWebhookVerifier.",
            limit=self.max_body_bytes,
        )

    def public_url(self, request_url: str, headers: Headers = ()) -> str:
        """The URL Twilio called, rebuilt as the module docstring says (never a fragment).

        ``request_url`` is the URL as the server received it. One that no HTTP client sends
        (a ``#``, whitespace, or a ``Host`` header that smuggles in a path, a query, userinfo
        or brackets, such as ``voice.example.com/twilio/inbound#``) raises
        :class:`InvalidTwilioSignatureError`: a signature made for one endpoint must not be
        accepted at another.
        """
        match = _REQUEST_URL.fullmatch(request_url)
        if match is None:
            raise InvalidTwilioSignatureError(
                f"The request URL {request_url[:200]!r} is not one an HTTP client sends (its "
                "Host header or target holds a path, a query, a '#', userinfo or whitespace), "
                "so it cannot carry a Twilio signature; refusing it. If a proxy in front of "
                "the application rewrites Host, set TWILIO_WEBHOOK_BASE_URL."
            )
        rest = match["rest"] or ""
        if self.webhook_base_url is not None:
            # The base is validated (no query, fragment or trailing '/'): the request's path and
            # query follow it.
            return self.webhook_base_url + rest
        scheme = match["scheme"].lower()
        host, port = match["host"], match["port"]
        if self.trust_forwarded_headers:
            if not isinstance(headers, Mapping):
                headers = list(headers)
            proto = (_first(header(headers, "X-Forwarded-Proto")) or "").lower()
            forwarded_host = _first(header(headers, "X-Forwarded-Host"))
            forwarded_port = _first(header(headers, "X-Forwarded-Port"))
            if proto in ("http", "https"):
                scheme = proto
            if forwarded_host and (forwarded := _HOST.fullmatch(forwarded_host)):
                host, port = forwarded["host"], forwarded["port"]
            if forwarded_port and _is_port(forwarded_port):
                default = "443" if scheme == "https" else "80"
                port = None if forwarded_port == default else forwarded_port
        return f"{scheme}://{host}{f':{port}' if port else ''}{rest}"

    def verify(
        self,
        request_url: str,
        headers: Headers,
        body: bytes | bytearray | str,
        *,
        model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
    ) -> VerifiedWebhook[P]:
        """Check the signature, then parse the body as ``model`` (the inbound message by
        default, or :class:`TwilioStatusCallback`).

        Raises :class:`InvalidTwilioSignatureError` (answer 403) for a request Twilio did not
        sign, whatever else is wrong with it, :class:`InvalidTwilioPayloadError` (answer
        400) for a signed body that is not a valid ``model``, and
        :class:`WebhookBodyTooLargeError` (answer 413) for a body over ``max_body_bytes``.
        Each error's ``http_status`` is that answer.
        """
        if not isinstance(headers, Mapping):
            headers = list(headers)  # read more than once; a generator would be spent
        url = self.public_url(request_url, headers)
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
        if len(raw) > self.max_body_bytes:
            raise self.too_large(len(raw))
        signature = header(headers, SIGNATURE_HEADER)
        token = header(headers, IDEMPOTENCY_HEADER)
        if "bodySHA256" not in url or not parse_qs(urlsplit(url).query).get("bodySHA256"):
            # A form: parsed once, for the signature and the model (each would parse it).
            try:
                pairs = form_pairs(raw)
            except InvalidTwilioPayloadError:
                self._validator.verify(url, raw, signature)  # says why: not a form (403)
                raise
            self._check(url, pairs, signature, request_url, headers)
            return VerifiedWebhook(model.from_form(pairs), token, url, raw)
        self._check(url, raw, signature, request_url, headers)
        import json

        try:
            document = json.loads(raw)
        except (ValueError, RecursionError) as exc:
            raise InvalidTwilioPayloadError(
                f"A JSON webhook (bodySHA256 in its URL) whose body is not JSON ({exc}).",
                fields=["<body>"],
            ) from None
        return VerifiedWebhook(None, token, url, raw, document)

    def _check(
        self,
        url: str,
        signed: list[tuple[str, str]] | bytes,
        signature: str | None,
        request_url: str,
        headers: Headers,
    ) -> None:
        """Verify, and say in a mismatch how the public URL checked was derived."""
        try:
            self._validator.verify(url, signed, signature)
        except InvalidTwilioSignatureError as exc:
            mismatch = f"{SIGNATURE_HEADER} does not match the request to {url}. "
            message = str(exc)
            if not message.startswith(mismatch):
                raise
            how = self.derivation(request_url, headers)
            raise InvalidTwilioSignatureError(
                f"{mismatch[:-2]} ({how}). {message.removeprefix(mismatch)}"
            ) from None

    def derivation(self, request_url: str, headers: Headers = ()) -> str:
        """How :meth:`public_url` derived the URL for this request, in words (the 403 names
        it: behind a proxy, the cause of a mismatch is most often here)."""
        if self.webhook_base_url is not None:
            return (
                f"the public URL rebuilt from TWILIO_WEBHOOK_BASE_URL={self.webhook_base_url} "
                "and the request's path and query"
            )
        forwarded = [
            f"{name} {value!r}"
            for name in ("X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Port")
            if (value := header(headers, name)) is not None
        ]
        if self.trust_forwarded_headers and forwarded:
            return (
                f"the public URL rebuilt from {' and '.join(forwarded)} over the URL the server "
                f"received, {request_url[:200]} (TWILIO_TRUST_FORWARDED_HEADERS is on)"
            )
        if self.trust_forwarded_headers:
            return (
                "the URL the server received: TWILIO_TRUST_FORWARDED_HEADERS is on but the "
                "request carries no X-Forwarded-Proto, -Host or -Port header"
            )
        how = (
            "the URL the server received (no TWILIO_WEBHOOK_BASE_URL, "
            "TWILIO_TRUST_FORWARDED_HEADERS off"
        )
        if forwarded:
            how += (
                f"; the request carries {' and '.join(forwarded)}: behind a proxy that sets "
                "them, set TWILIO_TRUST_FORWARDED_HEADERS=true or TWILIO_WEBHOOK_BASE_URL"
            )
        return how + ")"


def request_url_of(scheme: str, host: str, path: str, query: str) -> str:
    """The request URL from what a server hands over, for the adapters. A ``Host`` header that
    is not a host name or IP literal with a port (``voice.example.com/twilio/inbound?``
    would move the path Twilio signed in front of another) raises
    :class:`InvalidTwilioSignatureError`: no request Twilio made carries one."""
    if not _HOST.fullmatch(host):
        raise InvalidTwilioSignatureError(
            f"The request's Host header {host[:100]!r} is not a host name (it holds a path, a "
            "query, a '#', userinfo or other characters no host has), so the request cannot "
            "carry a Twilio signature; refusing it. If a proxy in front of the application "
            "rewrites Host, set TWILIO_WEBHOOK_BASE_URL."
        )
    return f"{scheme}://{host}{path}" + (f"?{query}" if query else "")


def _is_port(value: str) -> bool:
    # ASCII digits only: '²' passes str.isdigit(), and int() refuses it.
    return value.isascii() and value.isdigit() and 0 < int(value) < 65536


def _first(value: str | None) -> str | None:
    """The first of comma-separated proxy values (the one the outermost proxy set)."""
    if value is None:
        return None
    return value.split(",", 1)[0].strip() or None
