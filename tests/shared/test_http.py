"""Bounded body reads (ai_voice_shared._http): an error body's prefix within the deadline."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest

from ai_voice_shared._http.bodies import aread_prefix, read_prefix
from ai_voice_shared_testing import VirtualTime


@pytest.fixture
def clock() -> Iterator[VirtualTime]:
    with VirtualTime() as virtual:
        yield virtual


def trickle(clock: VirtualTime, read: list[int], size: int = 400) -> Iterator[bytes]:
    for _ in range(size):  # one byte every 0.1 s
        clock.advance(0.1)
        read.append(1)
        yield b"x"


async def atrickle(clock: VirtualTime, read: list[int]) -> AsyncIterator[bytes]:
    for chunk in trickle(clock, read):
        yield chunk


def test_read_prefix_stops_with_a_read_timeout_once_the_deadline_passes_between_reads(
    clock: VirtualTime,
) -> None:
    read: list[int] = []
    response = httpx.Response(503, content=trickle(clock, read))

    with pytest.raises(httpx.ReadTimeout, match="total deadline passed while reading the body"):
        read_prefix(response, 4096, until=clock.monotonic() + 1.0)

    assert len(read) <= 11  # not the 400 bytes (40 s) it read before


def test_aread_prefix_stops_with_a_read_timeout_once_the_deadline_passes_between_reads(
    clock: VirtualTime,
) -> None:
    read: list[int] = []
    response = httpx.Response(503, content=atrickle(clock, read))

    with pytest.raises(httpx.ReadTimeout, match="total deadline passed while reading the body"):
        asyncio.run(aread_prefix(response, 4096, until=clock.monotonic() + 1.0))

    assert len(read) <= 11


def test_read_prefix_gives_what_arrived_when_the_body_is_cut_off_before_the_deadline(
    clock: VirtualTime,
) -> None:
    def cut() -> Iterator[bytes]:
        yield b"upstream "
        raise httpx.RemoteProtocolError("peer closed connection")

    response = httpx.Response(503, content=cut())

    assert read_prefix(response, 4096, until=clock.monotonic() + 1.0) == b"upstream "


def test_read_prefix_without_a_deadline_reads_up_to_its_size(clock: VirtualTime) -> None:
    response = httpx.Response(503, content=trickle(clock, [], size=100))

    assert read_prefix(response, 10) == b"x" * 10
