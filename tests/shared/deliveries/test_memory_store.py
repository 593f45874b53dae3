"""DeliveryGuard: a redelivered webhook is handled once per process, within the TTL."""

from __future__ import annotations

import contextlib
import threading

import pytest

from ai_voice_shared import (
    ConfigurationError,
    DeliveryGuard,
    DeliveryInProgressError,
    MemoryDeliveryStore,
)
from ai_voice_shared_testing import VirtualTime


def test_the_first_delivery_is_handled_and_a_redelivery_is_not() -> None:
    guard = DeliveryGuard()

    with guard.once("MM1") as first:
        assert first
    with guard.once("MM1") as again:
        assert not again

    assert guard.seen("MM1")
    assert not guard.seen("MM2")


def test_a_failed_handling_lets_the_redelivery_through() -> None:
    guard = DeliveryGuard()

    def handle() -> None:
        with guard.once("MM1") as first:
            assert first
            raise RuntimeError("S3 was down")

    with pytest.raises(RuntimeError):
        handle()

    with guard.once("MM1") as retried:
        assert retried


def test_a_key_is_forgotten_after_the_ttl_on_the_library_clock() -> None:
    with VirtualTime() as clock:
        guard = DeliveryGuard(ttl_seconds=60)
        with guard.once("MM1"):
            pass
        clock.advance(59)
        assert guard.seen("MM1")
        clock.advance(2)
        assert not guard.seen("MM1")


def test_the_oldest_keys_go_first_when_the_guard_is_full() -> None:
    guard = DeliveryGuard(MemoryDeliveryStore(max_size=2))
    for key in ("a", "b", "c"):
        with guard.once(key):
            pass

    assert [guard.seen(key) for key in ("a", "b", "c")] == [False, True, True]


@pytest.mark.parametrize("first_fails", [False, True], ids=["first succeeds", "first fails"])
def test_a_delivery_racing_the_first_is_told_to_come_back_and_none_is_lost(
    first_fails: bool,
) -> None:
    # Found by a new user's trial: the racer was told "already handled" (answered 200); when
    # the first handling then failed, nothing ran and Twilio had no reason to deliver again.
    guard = DeliveryGuard()
    inside = threading.Event()
    release = threading.Event()
    handled: list[str] = []

    def first() -> None:
        with contextlib.suppress(RuntimeError), guard.once("MM1") as new:
            assert new
            inside.set()
            release.wait(5)
            if first_fails:
                raise RuntimeError("S3 is down")
            handled.append("first")

    racer = threading.Thread(target=first)
    racer.start()
    assert inside.wait(5)
    with pytest.raises(DeliveryInProgressError) as caught:
        guard.claim("MM1")  # arrives while the first is still being handled
    release.set()
    racer.join()
    with guard.once("MM1") as new:  # Twilio's next delivery, after the 503
        if new:
            handled.append("redelivery")

    assert handled == (["redelivery"] if first_fails else ["first"])
    assert (caught.value.http_status, caught.value.transient, caught.value.key) == (
        503,
        True,
        "MM1",
    )
    assert "answer this delivery 503" in str(caught.value)


def test_claim_complete_and_release_give_the_same_promise_without_a_with_block() -> None:
    guard = DeliveryGuard()

    claim = guard.claim("k")
    assert claim is not None
    with pytest.raises(DeliveryInProgressError):
        guard.claim("k")
    guard.release(claim)
    again = guard.claim("k")
    assert again is not None
    guard.complete(again)
    assert guard.claim("k") is None
    guard.clear()
    assert guard.claim("k") is not None


@pytest.mark.parametrize("ttl", [0, -1, float("nan"), float("inf"), "10", True])
def test_a_guard_that_could_remember_nothing_is_refused_naming_the_value(ttl: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DeliveryGuard(ttl_seconds=ttl)  # type: ignore[arg-type]

    assert str(caught.value) in (
        f"DeliveryGuard needs a finite ttl_seconds > 0, not ttl_seconds={ttl!r}.",
        f"DeliveryGuard needs ttl_seconds in seconds, not {ttl!r}.",
    )


@pytest.mark.parametrize("size", [0, 1.5, True, "10"])
def test_a_memory_store_that_could_hold_nothing_is_refused_naming_the_value(size: object) -> None:
    with pytest.raises(ConfigurationError) as caught:
        MemoryDeliveryStore(max_size=size)  # type: ignore[arg-type]

    assert str(caught.value) == (
        f"MemoryDeliveryStore needs an integer max_size >= 1 (DELIVERY_MAX_SIZE), not {size!r}."
    )
