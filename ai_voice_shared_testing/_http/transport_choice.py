"""The kit's one patch of a private httpx method: ``Client._transport_for_url``.

**Why.** httpx picks the transport of each request, and of each redirect hop, in
``Client._transport_for_url`` (``AsyncClient._transport_for_url`` for async clients), above every
transport: the client's mounts, its default ``HTTPTransport``, and whatever a test patched into
them. A fake that answers for its hosts there composes with a user's mocks in any order, sync and
async, with clients built before the test. No public surface does:

- ``mounts=`` and ``transport=`` are public, but fixed when a client is built: a client the app
  built before the test would never reach the fake;
- pytest-httpx patches ``HTTPTransport.handle_request`` and ``AsyncHTTPTransport.
  handle_async_request`` and fails a test at teardown on any request it did not expect; a fake
  patched at the same place would see its requests, or be seen by it, by fixture order;
- respx patches httpcore's connection pools (below the transports) by default, and this very
  method with ``respx.mock(using="httpx")``; it asks its routers in the order they were opened,
  so a fake built as a respx router would shadow routers opened after it or be shadowed by them.

So the kit patches here, and nowhere else: :func:`patch` wraps whatever the method is (respx's
own patch included) while at least one fake intercepts; only the origins a fake claims get
another transport, every other URL goes to the method it replaced; the returned function
restores it.

**Pinned.** httpx ``>=0.27,<1`` (:data:`HTTPX_RANGE`; the pyproject pin, which a test holds to
this constant). :func:`incompatibility` says what changed if an httpx release moves or reshapes
the method; :func:`patch` refuses such a release with :class:`HttpxIncompatibleError` instead of
silently letting requests for a fake's hosts leave, and the kit's test of this module fails with
the same message.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import httpx

from ai_voice_shared.errors import AiVoiceSharedError

__all__ = ["HTTPX_RANGE", "HttpxIncompatibleError", "incompatibility", "patch"]

#: The httpx releases whose ``_transport_for_url(self, url)`` the patch is written for.
HTTPX_RANGE = ">=0.27,<1"
_METHOD = "_transport_for_url"

SyncChoice = Callable[[httpx.URL], httpx.BaseTransport | None]
AsyncChoice = Callable[[httpx.URL], httpx.AsyncBaseTransport | None]


class HttpxIncompatibleError(AiVoiceSharedError):
    """The installed httpx no longer picks transports where the kit's fakes intercept."""


def incompatibility() -> str | None:
    """Why the installed httpx cannot be patched, or ``None`` when it can."""
    for client in (httpx.Client, httpx.AsyncClient):
        method = getattr(client, _METHOD, None)
        if not callable(method):
            return _advice(f"httpx.{client.__name__} has no {_METHOD}() any more")
        signature = inspect.signature(method)
        try:
            signature.bind(client, httpx.URL("http://aivs.test/"))
        except TypeError:
            bare = signature.replace(
                parameters=[p.replace(annotation=p.empty) for p in signature.parameters.values()],
                return_annotation=signature.empty,
            )
            return _advice(
                f"httpx.{client.__name__}.{_METHOD}() is no longer called as (self, url): it is "
                f"{_METHOD}{bare}"
            )
    return None


def _advice(what: str) -> str:
    return (
        f"{what} (httpx {httpx.__version__}). The kit's HTTP fakes intercept there; install an "
        f"httpx release in the range they are written for: pip install 'httpx{HTTPX_RANGE}'."
    )


def patch(sync_choice: SyncChoice, async_choice: AsyncChoice) -> Callable[[], None]:
    """Let ``sync_choice``/``async_choice`` pick the transport of every request first (``None``:
    the transport httpx would have picked); return the function that undoes it."""
    problem = incompatibility()
    if problem is not None:
        raise HttpxIncompatibleError(problem)
    sync_original: Any = getattr(httpx.Client, _METHOD)
    async_original: Any = getattr(httpx.AsyncClient, _METHOD)

    def sync_transport_for_url(client: httpx.Client, url: httpx.URL) -> httpx.BaseTransport:
        chosen = sync_choice(url)
        return chosen if chosen is not None else sync_original(client, url)

    def async_transport_for_url(
        client: httpx.AsyncClient, url: httpx.URL
    ) -> httpx.AsyncBaseTransport:
        chosen = async_choice(url)
        return chosen if chosen is not None else async_original(client, url)

    setattr(httpx.Client, _METHOD, sync_transport_for_url)
    setattr(httpx.AsyncClient, _METHOD, async_transport_for_url)

    def undo() -> None:
        setattr(httpx.Client, _METHOD, sync_original)
        setattr(httpx.AsyncClient, _METHOD, async_original)

    return undo
