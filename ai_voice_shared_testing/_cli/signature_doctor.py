"""Why does X-Twilio-Signature not match? Try the known pitfalls and say which one it is.

    diagnosis = diagnose(url, raw_body, signature, auth_token)
    diagnosis.valid, diagnosis.variant, diagnosis.meaning

Each variant is a way the URL or the parameters commonly differ between what Twilio signed and
what an app validates: a proxy terminating TLS, a trailing slash, an internal port, blank
values dropped, a query string re-encoded or lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

from ai_voice_shared.hooks import form_pairs
from ai_voice_shared.twilio_signature import TwilioRequestValidator

__all__ = ["Diagnosis", "diagnose"]


@dataclass(frozen=True)
class Diagnosis:
    """The verdict, and for a mismatch the variant that would match and what it means."""

    valid: bool
    url: str
    variant: str | None = None
    matching_url: str | None = None
    meaning: str | None = None
    tried: list[str] = field(default_factory=list)


def _variants(
    url: str, pairs: list[tuple[str, str]]
) -> list[tuple[str, str, list[tuple[str, str]], str]]:
    parts = urlsplit(url)
    found: list[tuple[str, str, list[tuple[str, str]], str]] = []

    def add(name: str, new_url: str, new_pairs: list[tuple[str, str]], meaning: str) -> None:
        if (new_url, new_pairs) != (url, pairs) and all(
            v[1] != new_url or v[2] != new_pairs for v in found
        ):
            found.append((name, new_url, new_pairs, meaning))

    if parts.port is not None and parts.port not in (80, 443):
        add(
            f"without the port :{parts.port}",
            urlunsplit(parts._replace(netloc=parts.hostname or "")),
            pairs,
            f"Twilio called the public URL without :{parts.port}; your app sees its internal "
            "port behind a proxy. Validate against the public URL.",
        )
        add(
            f"https:// without the port :{parts.port}",
            urlunsplit(parts._replace(scheme="https", netloc=parts.hostname or "")),
            pairs,
            f"Twilio called the public https URL without :{parts.port}; your app sees its internal "
            "scheme and port behind a proxy. Validate against the public URL.",
        )
    other = "https" if parts.scheme == "http" else "http"
    swapped = urlunsplit(parts._replace(scheme=other))
    add(
        f"{other}:// instead of {parts.scheme}://",
        swapped,
        pairs,
        "Twilio called the https URL but your app sees http: a proxy or load balancer in front "
        "of it terminates TLS. Validate against the public URL (honour X-Forwarded-Proto, or "
        "configure the public base URL)."
        if other == "https"
        else "Twilio called an http URL: the webhook is configured with http://. Use https in "
        "the Twilio console, or validate against the URL as configured.",
    )
    path = parts.path
    toggled = path[:-1] if path.endswith("/") else path + "/"
    for name, candidate in (
        (
            "a trailing slash " + ("removed" if path.endswith("/") else "added"),
            parts._replace(path=toggled),
        ),
        (
            f"{other}:// and a trailing slash " + ("removed" if path.endswith("/") else "added"),
            parts._replace(scheme=other, path=toggled),
        ),
    ):
        add(
            name,
            urlunsplit(candidate),
            pairs,
            "The URL Twilio called and the one your app validates differ by a trailing slash: "
            "your framework adds or strips it (redirect_slashes, APPEND_SLASH). Validate against "
            "the URL exactly as configured in Twilio.",
        )
    if parts.query:
        add(
            "without the query string",
            urlunsplit(parts._replace(query="")),
            pairs,
            "Twilio called the URL without a query string: the one your app validates has one "
            "that Twilio did not send (added by a proxy or router?).",
        )
        for name, query in (
            ("the query string re-encoded", parts.query.replace("+", "%20")),
            ("the query string re-encoded", parts.query.replace("%20", "+")),
            ("the query string decoded", unquote(parts.query)),
            (
                "the query string re-encoded",
                urlencode(parse_qsl(parts.query, keep_blank_values=True)),
            ),
            ("the query string re-encoded", quote(unquote(parts.query), safe="=&")),
        ):
            add(
                name,
                urlunsplit(parts._replace(query=query)),
                pairs,
                "The query string was re-encoded between Twilio and your validation (percent-"
                "encoding differs). Use the raw URL of the request, not one rebuilt from parsed "
                "parameters.",
            )
    kept = [(k, v) for k, v in pairs if v != ""]
    if len(kept) != len(pairs):
        add(
            "blank values dropped",
            url,
            kept,
            "The signature covers the parameters without their blank values: whatever computed "
            "it dropped them (parse_qs without keep_blank_values). Twilio signs every parameter, "
            "Body= included.",
        )
    return found


def diagnose(url: str, body: bytes | str, signature: str, auth_token: str) -> Diagnosis:
    """Validate, and on a mismatch find the pitfall that explains it (if one does)."""
    validator = TwilioRequestValidator(auth_token)
    pairs = form_pairs(body)
    if validator.validate(url, pairs, signature):
        return Diagnosis(valid=True, url=url)
    tried: list[str] = []
    for name, candidate_url, candidate_pairs, meaning in _variants(url, pairs):
        tried.append(name)
        if validator.validate(candidate_url, candidate_pairs, signature):
            return Diagnosis(
                valid=False,
                url=url,
                variant=name,
                matching_url=candidate_url,
                meaning=meaning,
                tried=tried,
            )
    meaning = (
        "No common pitfall explains it. Check the auth token (the current one of the account "
        "that owns the number; a rotated token keeps the old one valid only as secondary), and "
        "that the body is the raw body of that very request."
    )
    if "Body" not in {k for k, _ in pairs} and any(k == "MessageSid" for k, _ in pairs):
        meaning += (
            " The body has no Body parameter, which Twilio always sends (blank for media): it was "
            "captured after blank values were dropped; capture the raw body."
        )
    return Diagnosis(valid=False, url=url, meaning=meaning, tried=tried)
