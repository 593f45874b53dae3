"""DeliveryGuard: a redelivered webhook is handled once per process, within the TTL."""

from __future__ import annotations

import threading

import pytest

from ai_voice_shared import ConfigurationError, DeliveryGuard
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
    guard = DeliveryGuard(max_size=2)
    for key in ("a", "b", "c"):
        with guard.once(key):
            pass

    assert [guard.seen(key) for key in ("a", "b", "c")] == [False, True, True]


def test_two_racing_deliveries_are_handled_once() -> None:
    guard = DeliveryGuard()
    inside = threading.Event()
    release = threading.Event()
    outcomes: list[bool] = []

    def deliver() -> None:
        with guard.once("MM1") as first:
            outcomes.append(first)
            if first:
                inside.set()
                release.wait(5)

    racer = threading.Thread(target=deliver)
    racer.start()
    assert inside.wait(5)
    deliver()  # arrives while the first is still being handled
    release.set()
    racer.join()

    assert sorted(outcomes) == [False, True]


def test_claim_and_release_give_the_same_promise_without_a_with_block() -> None:
    guard = DeliveryGuard()

    assert guard.claim("k")
    assert not guard.claim("k")
    guard.release("k", handled=False)
    assert guard.claim("k")
    guard.release("k", handled=True)
    assert not guard.claim("k")
    guard.clear()
    assert guard.claim("k")


@pytest.mark.parametrize(
    ("ttl", "size"),
    [
        (0, 10),
        (-1, 10),
        (10, 0),
        (float("nan"), 10),  # compares false with everything: it would remember nothing
        (float("inf"), 10),
        (10, 1.5),
        (10, True),
        ("10", 10),
    ],
)
def test_a_guard_that_could_hold_nothing_is_refused_naming_both_values(
    ttl: float, size: int
) -> None:
    with pytest.raises(ConfigurationError) as caught:
        DeliveryGuard(ttl, max_size=size)

    assert str(caught.value) == (
        "DeliveryGuard needs a finite ttl_seconds > 0 and an integer max_size >= 1, not "
        f"ttl_seconds={ttl!r} and max_size={size!r}."
    )
