"""The exit codes of ``ai-voice-shared``, and the usage error that means exit code 2.

0 success (a valid signature), 1 failure (an invalid signature, a failed demo), 2 usage (a bad
option, a missing file or token, a body that is not a form, a port in use).
"""

from __future__ import annotations

import argparse

__all__ = ["EXIT_FAILED", "EXIT_OK", "EXIT_USAGE", "UsageError", "http_url", "port_number"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class UsageError(Exception):
    """The command was used wrongly; the message says how to use it (exit code 2)."""


def port_number(text: str) -> int:
    """An option's TCP port: 0 (a free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0-65535)") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(
            f"{port} is not a port number: use 0-65535 (0: a free one)"
        )
    return port


def http_url(text: str) -> str:
    """An option's http(s) URL, checked whole (a malformed one would fail later, blaming
    something else): scheme, host and port."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - a port out of range or not a number raises here
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{text[:200]!r} is not a valid URL: {error}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(
            f"{text[:200]!r} is not an http(s) URL such as 'http://127.0.0.1:8000'"
        )
    return text
