"""Sync and async twins keep one surface: the same methods, parameters and defaults."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

from ai_voice_shared import (
    AsyncCustomerLookupClient,
    AsyncMediaIngest,
    AsyncS3Service,
    AsyncTwilioMediaClient,
    AsyncVoiceNoteConsumer,
    CustomerLookupClient,
    MediaIngest,
    S3Service,
    TwilioMediaClient,
    VoiceNoteConsumer,
)

# The async twin closes with ``aclose`` (as httpx's clients do); AsyncS3Service also keeps a
# blocking ``close`` for code without an event loop, and takes its pool's size and the service
# it wraps.
TWINS = [
    pytest.param(S3Service, AsyncS3Service, {"service", "max_workers"}, id="S3Service"),
    pytest.param(CustomerLookupClient, AsyncCustomerLookupClient, set(), id="lookup client"),
    pytest.param(TwilioMediaClient, AsyncTwilioMediaClient, set(), id="media client"),
    pytest.param(MediaIngest, AsyncMediaIngest, set(), id="media ingest"),
    pytest.param(VoiceNoteConsumer, AsyncVoiceNoteConsumer, set(), id="voice-note consumer"),
]


def public_methods(cls: type) -> dict[str, Any]:
    """Public methods by name, the async twin's ``aclose`` under the sync name ``close``."""
    members = dict(inspect.getmembers(cls, callable))
    if "aclose" in members:
        members["close"] = members.pop("aclose")
    return {
        name: m for name, m in members.items() if not name.startswith("_") or name == "__init__"
    }


def shape(
    function: Any, *, leave_out: frozenset[str] | set[str] = frozenset()
) -> list[tuple[str, str, object]]:
    """Each parameter's name, kind and default (annotations differ between the twins)."""
    return [
        (p.name, p.kind.name, p.default)
        for p in inspect.signature(function).parameters.values()
        if p.name not in leave_out
    ]


@pytest.mark.parametrize(("sync", "async_", "async_init_only"), TWINS)
def test_the_async_twin_has_every_method_of_the_sync_one_and_no_other(
    sync: type, async_: type, async_init_only: set[str]
) -> None:
    assert set(public_methods(async_)) == set(public_methods(sync))


@pytest.mark.parametrize(("sync", "async_", "async_init_only"), TWINS)
def test_each_method_of_the_twins_takes_the_same_parameters_with_the_same_defaults(
    sync: type, async_: type, async_init_only: set[str]
) -> None:
    sync_methods, async_methods = public_methods(sync), public_methods(async_)

    for name, method in sync_methods.items():
        leave_out = async_init_only if name == "__init__" else set()
        assert shape(async_methods[name], leave_out=leave_out) == shape(method), name
