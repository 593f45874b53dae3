"""Which fake answers which origin, process-wide, while fakes intercept.

:meth:`FakeHttpService.intercept` adds a fake's origins (``scheme://host:port``) here; while any
origin is claimed, httpx's transport choice is patched (:mod:`.transport_choice`, the one place
the kit touches httpx's insides) so that requests for a claimed origin get the fake's transport
and every other request goes where it would have gone; so are ``requests``
(:mod:`.requests_patch`) and aiohttp (:mod:`.aiohttp_patch`), and real Twilio and AWS hosts are
guarded (:mod:`.real_hosts`). Two fakes cannot claim one origin.

Importing this module imports no httpx: it loads when the first fake intercepts.
"""

from __future__ import annotations

import contextlib
import importlib.util
import threading
from collections.abc import Callable, Iterator, Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from ai_voice_shared_testing._http import real_hosts
from ai_voice_shared_testing._http.types import Answerer

if TYPE_CHECKING:
    import httpx

__all__ = [
    "INTERCEPTION",
    "Interception",
    "guard_real_hosts",
    "intercepted_origins",
    "origin_key",
]


def origin_key(url: str) -> str:
    """``scheme://host:port`` of ``url``, the default port written out."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    port = parts.port or (443 if scheme == "https" else 80)
    return f"{scheme}://{(parts.hostname or '').lower()}:{port}"


class Interception:
    """The table of claimed origins; patches the HTTP libraries while a fake or a guard holds
    it. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, tuple[Answerer, str]] = {}
        self._owners: dict[int, list[str]] = {}
        self._undo: Callable[[], None] | None = None

    def add(self, fake: Answerer, origins: Mapping[str, str]) -> None:
        """Route ``origins`` (origin key to the fake's role there) to ``fake``."""
        with self._lock:
            taken = [o for o in origins if o in self._routes and self._routes[o][0] is not fake]
            if taken:
                other = self._routes[taken[0]][0]
                raise RuntimeError(
                    f"{type(fake).__name__}: {taken[0]} is already intercepted by "
                    f"{other!r}; give each fake its own host."
                )
            if self._undo is None:
                self._undo = self._patch()
            for origin, role in origins.items():
                self._routes[origin] = (fake, role)
            self._owners.setdefault(id(fake), []).extend(origins)

    def hold(self) -> object:
        """Keep the patches (and the real-host guard) on without claiming an origin, until
        :meth:`remove` of the token returned."""
        token = object()
        with self._lock:
            if self._undo is None:
                self._undo = self._patch()
            self._owners[id(token)] = []
        return token

    def remove(self, fake: object) -> None:
        """Stop routing anything to ``fake``; unpatch when no fake (or guard) is left."""
        with self._lock:
            for origin in self._owners.pop(id(fake), []):
                self._routes.pop(origin, None)
            if not self._owners and self._undo is not None:
                self._undo()
                self._undo = None

    def find(self, url: httpx.URL) -> tuple[Answerer, str] | None:
        """The fake and role that answer ``url``, or ``None``."""
        if not self._routes:
            return None
        scheme = url.scheme
        port = url.port or (443 if scheme == "https" else 80)
        return self._routes.get(f"{scheme}://{url.host}:{port}")

    def find_url(self, url: str) -> tuple[Answerer, str] | None:
        """:meth:`find` for a URL given as text (requests, aiohttp)."""
        if not self._routes:
            return None
        return self._routes.get(origin_key(url))

    def origins(self) -> list[str]:
        """The claimed origins, sorted."""
        with self._lock:
            return sorted(self._routes)

    def _patch(self) -> Callable[[], None]:
        """Patch httpx, requests and aiohttp (when installed) and guard the real hosts; return
        the undo."""
        from ai_voice_shared_testing._http import transport_choice
        from ai_voice_shared_testing._http.transports import AsyncFakeTransport, FakeTransport

        def sync_choice(url: httpx.URL) -> httpx.BaseTransport | None:
            found = self.find(url)
            return FakeTransport(*found) if found is not None else None

        def async_choice(url: httpx.URL) -> httpx.AsyncBaseTransport | None:
            found = self.find(url)
            return AsyncFakeTransport(*found) if found is not None else None

        undos = [real_hosts.patch(), transport_choice.patch(sync_choice, async_choice)]
        if importlib.util.find_spec("requests") is not None:
            from ai_voice_shared_testing._http import requests_patch

            undos.append(requests_patch.patch(self.find_url))
        if importlib.util.find_spec("aiohttp") is not None:
            from ai_voice_shared_testing._http import aiohttp_patch

            undos.append(aiohttp_patch.patch(self.find_url, _loopback))

        def undo() -> None:
            for each in reversed(undos):
                each()

        return undo


def _loopback(fake: Answerer, role: str) -> str:
    """Where aiohttp reaches ``fake``'s host ``role``: its loopback server."""
    url: str = fake.loopback_url(role)  # type: ignore[attr-defined]
    return url


#: The process's one table: every fake intercepts through it.
INTERCEPTION = Interception()


@contextlib.contextmanager
def guard_real_hosts() -> Iterator[None]:
    """Stop requests to real Twilio and AWS hosts (:mod:`.real_hosts`) while inside, claiming
    no origin: what the ``s3_bucket`` fixture holds for its test."""
    token = INTERCEPTION.hold()
    try:
        yield
    finally:
        INTERCEPTION.remove(token)


def intercepted_origins() -> list[str]:
    """The origins (``scheme://host:port``) fakes intercept right now."""
    return INTERCEPTION.origins()
