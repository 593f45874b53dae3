"""Twilio webhooks in any WSGI application, no framework needed: ``verify_environ``.

    from ai_voice_shared.adapters.wsgi import verify_environ

    def app(environ, start_response):
        try:
            webhook = verify_environ(environ)
        except (InvalidTwilioSignatureError, InvalidTwilioPayloadError) as exc:
            start_response(f"{exc.http_status} Refused", [("Content-Type", "text/plain")])
            return [str(exc).encode()]
        ...

Without ``RAW_URI`` or ``REQUEST_URI`` (gunicorn and Werkzeug set them, ``wsgiref`` does not),
the path is rebuilt from the decoded ``PATH_INFO``: a path whose encoding is not the usual one
(``%2F``, ``%2B``) cannot be recovered, and its signature will not match.

It consumes ``wsgi.input``; in Flask use :mod:`ai_voice_shared.adapters.flask`, which reads the
body through Flask so that the view can read it too.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from ai_voice_shared.models import TwilioStatusCallback, TwilioWebhookPayload
from ai_voice_shared.webhooks import TwilioWebhookVerifier, VerifiedWebhook, request_url_of

__all__ = ["environ_headers", "verify_environ", "wsgi_request_url"]

P = TypeVar("P", TwilioWebhookPayload, TwilioStatusCallback)


def wsgi_request_url(environ: Mapping[str, Any]) -> str:
    """The URL as the server received it: ``RAW_URI``/``REQUEST_URI`` when the server gives
    them (percent-encoding kept, as Twilio signed it), else ``SCRIPT_NAME`` + ``PATH_INFO``
    re-quoted; the raw ``QUERY_STRING``; the ``Host`` header (one that is not a host raises
    :class:`~ai_voice_shared.InvalidTwilioSignatureError`)."""
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        name, port = environ.get("SERVER_NAME", "localhost"), str(environ.get("SERVER_PORT", ""))
        host = (
            name if port in ("", {"http": "80", "https": "443"}.get(scheme)) else f"{name}:{port}"
        )
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        path = urlsplit(raw).path if "://" in raw.split("?", 1)[0] else raw.split("?", 1)[0]
    else:
        decoded = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
        path = quote(_path_bytes(decoded), safe="/:@!$&'()*+,;=~")
    query = environ.get("QUERY_STRING", "")
    return request_url_of(scheme, host, path or "/", query)


def _path_bytes(decoded: str) -> bytes:
    """The bytes of a decoded ``PATH_INFO``.

    PEP 3333 makes it a "WSGI string" (the bytes as latin-1), but some servers (httpx's
    ``WSGITransport``) hand over the path decoded as UTF-8. A latin-1 reading that is valid
    UTF-8 is the former; anything else is the latter (Twilio's URLs are UTF-8).
    """
    try:
        raw = decoded.encode("latin-1")
        raw.decode("utf-8")
    except UnicodeError:
        return decoded.encode("utf-8", "surrogatepass")
    return raw


def environ_headers(environ: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """The request headers of a WSGI environ, as ``(name, value)`` pairs."""
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            yield key[5:].replace("_", "-").title(), value
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            yield key.replace("_", "-").title(), value


def verify_environ(
    environ: dict[str, Any],
    verifier: TwilioWebhookVerifier | None = None,
    *,
    model: type[P] = TwilioWebhookPayload,  # type: ignore[assignment]
) -> VerifiedWebhook[P]:
    """Read the body from ``wsgi.input`` (up to the verifier's ``max_body_bytes``), verify and
    parse it, or raise the typed errors (each with its ``http_status``). ``verifier`` defaults
    to :meth:`TwilioWebhookVerifier.from_env`."""
    checker = verifier if verifier is not None else TwilioWebhookVerifier.from_env()
    limit = checker.max_body_bytes
    declared = str(environ.get("CONTENT_LENGTH") or "")
    stream = environ.get("wsgi.input")
    if declared.isascii() and declared.isdigit():  # not '²', which int() refuses
        if int(declared) > limit:
            raise checker.too_large(int(declared))
        body = stream.read(int(declared)) if stream is not None and int(declared) else b""
    elif environ.get("wsgi.input_terminated") and stream is not None:
        # chunked: the server ends the stream; read one byte past the limit to notice excess
        body = stream.read(limit + 1)
        if len(body) > limit:
            raise checker.too_large()
    else:
        body = b""  # PEP 3333: without a length, the input must not be read
    return checker.verify(wsgi_request_url(environ), environ_headers(environ), body, model=model)
