"""The fakes for aiohttp (the official ``twilio`` SDK's ``AsyncTwilioHttpClient``).

**Why hand-written.** aiohttp has no per-URL transport either, and ``aioresponses`` refuses
whatever it was not told about; so the kit wraps ``ClientSession._request`` (the method
``aioresponses`` wraps too) while a fake intercepts. A request for a claimed origin is sent,
by aiohttp itself, to the fake served on 127.0.0.1 (a loopback server that does not change the
fake's URLs), with the original ``Host``; redirects between claimed origins are followed here,
dropping credentials when the origin changes as aiohttp does. Every other request goes to the
method it replaced; real hosts are stopped lower
down (:mod:`.real_hosts`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ai_voice_shared_testing._http.types import Answerer

__all__ = ["patch"]

Finder = Callable[[str], "tuple[Answerer, str] | None"]
_REDIRECTS = (301, 302, 303, 307, 308)


def patch(find: Finder, loopback: Callable[[Answerer, str], str]) -> Callable[[], None]:
    """Send claimed origins to their fakes' loopback servers; return the undo.
    ``loopback(fake, role)`` is the base URL a fake's host is served at."""
    import aiohttp
    from yarl import URL

    original: Any = aiohttp.ClientSession._request

    async def request(session: Any, method: str, str_or_url: Any, **kwargs: Any) -> Any:
        url = URL(str(session._build_url(str_or_url)))
        found = find(str(url))
        if found is None:
            return await original(session, method, str_or_url, **kwargs)
        follow = kwargs.pop("allow_redirects", True)
        for _ in range(10):
            fake, role = found
            headers = {**dict(kwargs.pop("headers", None) or {}), "Host": url.raw_authority}
            target = URL(loopback(fake, role)).with_path(url.raw_path, encoded=True)
            target = target.with_query(url.raw_query_string) if url.raw_query_string else target
            response = await original(
                session, method, target, headers=headers, allow_redirects=False, **kwargs
            )
            if not follow or response.status not in _REDIRECTS:
                return response
            location = url.join(URL(response.headers["Location"]))
            response.release()
            if location.origin() != url.origin():
                kwargs.pop("auth", None)
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            if response.status not in (307, 308):
                method, kwargs = (
                    "GET",
                    {k: v for k, v in kwargs.items() if k not in ("data", "json")},
                )
            kwargs["headers"] = {k: v for k, v in headers.items() if k != "Host"}
            url, found = location, find(str(location))
            if found is None:
                return await original(session, method, url, **kwargs)
        raise aiohttp.TooManyRedirects(response.request_info, ())

    aiohttp.ClientSession._request = request  # type: ignore[assignment, method-assign]

    def undo() -> None:
        aiohttp.ClientSession._request = original  # type: ignore[method-assign]

    return undo
