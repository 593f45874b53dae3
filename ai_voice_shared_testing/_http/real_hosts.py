"""Which hosts are real Twilio or AWS hosts, and the guard that stops a request to one of them.

While any of the kit's fakes or the ``s3_bucket`` fixture is active, a request to such a host
that no fake answers is stopped before it leaves, with :class:`RealHostError` naming the fixture
to use instead. The guard sits at the bottom, where a connection would be made
(``socket.getaddrinfo``: httpx, requests, urllib3 and aiohttp all resolve the host name there;
botocore's ``URLLib3Session.send``, because botocore wraps and retries any error below it), so
every mock above it (respx, pytest-httpx, responses, botocore's Stubber, moto)
answers first, in any order: only a request that would really leave is stopped.

**Why hand-written.** No library guards a whole process against one family of host names
(``pytest-socket`` refuses every non-loopback connection, which is a test suite's choice, not a
fixture's). A proxy set in the environment (``HTTPS_PROXY``) is resolved instead of the host:
the guard cannot see through it.
"""

from __future__ import annotations

import importlib.util
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ai_voice_shared.errors import AiVoiceSharedError

__all__ = ["RealHostError", "fixture_for", "patch", "refuse"]

_TWILIO = ("twilio.com", "twiliocdn.com")
_AWS = ("amazonaws.com", "amazonaws.com.cn", "aws")


class RealHostError(AiVoiceSharedError):
    """A request under the kit's fakes was addressed to a real Twilio or AWS host."""


def fixture_for(host: str) -> str | None:
    """The fixture that fakes ``host``, when it is a real Twilio or AWS host."""
    name = host.lower().rstrip(".")
    if any(name == d or name.endswith("." + d) for d in _TWILIO):
        return "twilio_api"
    if any(name == d or name.endswith("." + d) for d in _AWS):
        return "s3_bucket"
    return None


def refuse(target: str, host: str) -> None:
    """Raise :class:`RealHostError` when ``host`` is a real Twilio or AWS host."""
    fixture = fixture_for(host)
    if fixture is None:
        return
    if fixture == "twilio_api":
        real, advice = (
            "Twilio",
            "request the twilio_api fixture (it answers https://api.twilio.com and the media "
            "CDN for httpx, requests, the twilio SDK and aiohttp)",
        )
    else:
        real, advice = (
            "AWS",
            "use the s3_bucket or s3_env fixture's settings or client (boto3 then reaches moto "
            "or SeaweedFS); a presigned URL is fetched over HTTP only on "
            "--aivs-s3-backend=seaweedfs",
        )
    raise RealHostError(
        f"Request to {target} stopped: {host} is a real {real} host and the kit's fakes let "
        f"nothing leave for one; {advice}. See docs/errors.md#realhosterror"
    )


def patch() -> Callable[[], None]:
    """Stop connections to real Twilio and AWS hosts; return the undo."""
    original = socket.getaddrinfo

    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
        refuse(f"{name}:{port}", name)
        return original(host, port, *args, **kwargs)

    socket.getaddrinfo = getaddrinfo
    undo_botocore = _patch_botocore()

    def undo() -> None:
        undo_botocore()
        socket.getaddrinfo = original

    return undo


def _patch_botocore() -> Callable[[], None]:
    """botocore wraps any error below it in its own (and retries it): refuse above urllib3,
    below its event hooks (moto and botocore's Stubber answer there, before this)."""
    if importlib.util.find_spec("botocore") is None:
        return lambda: None
    from botocore.httpsession import URLLib3Session

    original: Any = URLLib3Session.send

    def send(session: URLLib3Session, request: Any) -> Any:
        url = str(request.url)
        refuse(url.split("?", 1)[0], urlsplit(url).hostname or "")
        return original(session, request)

    URLLib3Session.send = send  # type: ignore[assignment, method-assign]

    def undo() -> None:
        URLLib3Session.send = original  # type: ignore[method-assign]

    return undo
