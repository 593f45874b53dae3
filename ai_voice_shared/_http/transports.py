"""httpx transports whose socket operations honour the current call's deadline."""

from __future__ import annotations

import httpx

__all__ = ["async_http_transport", "http_transport"]


def http_transport(limits: httpx.Limits) -> httpx.HTTPTransport:
    """An httpx transport whose socket operations honour :func:`.deadline.deadline`."""
    from ai_voice_shared._http.guard import Backend, guard  # httpcore: imported when needed

    transport = httpx.HTTPTransport(limits=limits)
    guard(getattr(transport, "_pool", None), Backend)
    return transport


def async_http_transport(limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """The async twin of :func:`http_transport`."""
    from ai_voice_shared._http.guard import AsyncBackend, guard

    transport = httpx.AsyncHTTPTransport(limits=limits)
    guard(getattr(transport, "_pool", None), AsyncBackend)
    return transport
