"""The fakes for ``requests`` (the official ``twilio`` SDK's transport).

**Why hand-written.** ``requests`` picks no transport per URL above its adapters, and a
``responses`` or ``requests-mock`` router would take over every request of the process and
refuse the ones it does not know; so the kit wraps ``HTTPAdapter.send`` (the method
``responses`` also wraps) while a fake intercepts: a request for a claimed origin is answered
by the fake's transport-free core, every other one goes to the method it replaced (a user's
``responses`` mock included, in either order). Real hosts are stopped lower down
(:mod:`.real_hosts`).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

from ai_voice_shared_testing._http.types import Answerer, FakeRequest

__all__ = ["patch"]

Finder = Callable[[str], "tuple[Answerer, str] | None"]


def patch(find: Finder) -> Callable[[], None]:
    """Answer claimed origins from their fakes; return the undo."""
    import requests
    from requests.adapters import HTTPAdapter
    from requests.structures import CaseInsensitiveDict
    from requests.utils import get_encoding_from_headers

    send_original: Any = HTTPAdapter.send

    def send(adapter: HTTPAdapter, request: Any, *args: Any, **kwargs: Any) -> Any:
        url = str(request.url)
        found = find(url)
        if found is None:
            return send_original(adapter, request, *args, **kwargs)
        fake, role = found
        parts = urlsplit(url)
        body = request.body or b""
        answer = fake.handle(
            FakeRequest(
                request.method,
                url,
                parts.hostname or "",
                parts.path or "/",
                parts.query,
                {k.lower(): v for k, v in request.headers.items()},
                body.encode() if isinstance(body, str) else bytes(body),
            ),
            role,
        )
        if answer.exception is not None:
            raise requests.ConnectionError(f"{answer.exception.__name__} (injected by the fake)")
        content = b"".join(answer.chunks())
        if answer.cut_after is not None:
            raise requests.exceptions.ChunkedEncodingError(
                f"connection cut after {answer.cut_after} bytes (injected by the fake)"
            )
        response = requests.Response()
        response.status_code = answer.status
        response.headers = CaseInsensitiveDict(answer.headers)
        response._content = content
        response.url = url
        response.request = request
        response.reason = _reason(answer.status)
        response.encoding = get_encoding_from_headers(response.headers)
        response.connection = adapter
        return response

    HTTPAdapter.send = send  # type: ignore[assignment, method-assign]

    def undo() -> None:
        HTTPAdapter.send = send_original  # type: ignore[method-assign]

    return undo


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
