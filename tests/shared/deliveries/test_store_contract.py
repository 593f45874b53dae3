"""One contract for every delivery store, sync and async: a webhook is handled once."""

from __future__ import annotations

import threading
from typing import Any

import pytest

from ai_voice_shared import (
    DeliveryClaim,
    DeliveryConflictError,
    DeliveryGuard,
    DeliveryInProgressError,
    DeliveryLeaseLostError,
    DeliveryStore,
)
from ai_voice_shared_testing.virtual_time import VirtualTime
from tests.shared.deliveries.conftest import Driver


class BoomError(Exception):
    pass


def test_the_first_delivery_is_handled_and_a_redelivery_is_not(guard: Driver) -> None:
    handled: list[str] = []

    def handle(first: bool) -> bool:
        if first:
            handled.append("MM1")
        return first

    first = guard.once("MM1", handle)
    again = guard.once("MM1", lambda first: first)

    assert (first, again, handled) == (True, False, ["MM1"])
    assert guard.call("seen", "MM1")
    assert not guard.call("seen", "MM2")


def test_a_failed_handling_lets_the_redelivery_through(guard: Driver) -> None:
    def fail(first: bool) -> None:
        raise BoomError

    with pytest.raises(BoomError):
        guard.once("MM1", fail)

    assert not guard.call("seen", "MM1")
    assert guard.once("MM1", lambda first: first) is True


def test_a_delivery_racing_an_unfinished_claim_is_told_to_come_back(guard: Driver) -> None:
    claim = guard.call("claim", "MM1")
    assert isinstance(claim, DeliveryClaim)

    with pytest.raises(DeliveryInProgressError, match=r"answer this delivery 503") as caught:
        guard.call("claim", "MM1")

    assert (caught.value.key, caught.value.http_status, caught.value.transient) == (
        "MM1",
        503,
        True,
    )
    guard.call("complete", claim)
    assert guard.call("claim", "MM1") is None


def test_of_deliveries_racing_each_other_exactly_one_claims(store: DeliveryStore) -> None:
    guard = DeliveryGuard(store, ttl_seconds=60, lease_seconds=15)
    start = threading.Barrier(12)
    outcomes: list[str] = []

    def deliver() -> None:
        start.wait()
        try:
            claim = guard.claim("MM1")
        except DeliveryInProgressError:
            outcomes.append("503")
        else:
            outcomes.append("claimed" if claim is not None else "done")

    threads = [threading.Thread(target=deliver) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert sorted(outcomes) == ["503"] * 11 + ["claimed"]


def test_a_claim_whose_lease_ran_out_is_taken_over_and_its_late_completion_is_an_error(
    guard: Driver, clock: VirtualTime
) -> None:
    stalled = guard.call("claim", "MM1")  # a replica that stopped mid-handling
    clock.advance(16)

    taken = guard.call("claim", "MM1")

    assert taken is not None
    assert taken.reclaimed
    with pytest.raises(DeliveryLeaseLostError, match=r"DELIVERY_LEASE_SECONDS") as caught:
        guard.call("complete", stalled)
    assert caught.value.http_status == 500
    guard.call("complete", taken)
    assert guard.call("claim", "MM1") is None


def test_of_deliveries_racing_for_an_expired_lease_exactly_one_takes_it_over(
    store: DeliveryStore, clock: VirtualTime
) -> None:
    guard = DeliveryGuard(store, ttl_seconds=60, lease_seconds=15)
    guard.claim("MM1")
    clock.advance(16)
    start = threading.Barrier(10)
    claims: list[Any] = []
    lock = threading.Lock()

    def deliver() -> None:
        start.wait()
        outcome: Any
        try:
            outcome = guard.claim("MM1")
        except DeliveryInProgressError:
            outcome = "503"
        with lock:
            claims.append(outcome)

    threads = [threading.Thread(target=deliver) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    taken = [claim for claim in claims if isinstance(claim, DeliveryClaim)]
    assert len(taken) == 1
    assert taken[0].reclaimed
    assert claims.count("503") == 9


def test_a_handled_webhook_is_forgotten_after_the_ttl(guard: Driver, clock: VirtualTime) -> None:
    guard.once("MM1", lambda first: first)
    clock.advance(59)
    assert guard.once("MM1", lambda first: first) is False

    clock.advance(2)

    assert not guard.call("seen", "MM1")
    assert guard.once("MM1", lambda first: first) is True


def test_a_released_claim_is_claimed_again_at_once(guard: Driver) -> None:
    claim = guard.call("claim", "MM1")
    guard.call("release", claim)

    again = guard.call("claim", "MM1")

    assert again is not None
    assert not again.reclaimed


def test_the_same_key_with_another_payload_is_refused_not_taken_for_handled(
    guard: Driver,
) -> None:
    guard.once("MM1", lambda first: first, fingerprint=b"Body=hello")
    with pytest.raises(DeliveryConflictError, match=r"was handled for another payload") as caught:
        guard.once("MM1", lambda first: first, fingerprint=b"Body=changed")
    assert (caught.value.http_status, caught.value.transient) == (409, False)

    guard.call("claim", "MM2", fingerprint=b"one")
    with pytest.raises(DeliveryConflictError, match=r"was claimed for another payload"):
        guard.call("claim", "MM2", fingerprint=b"two")
    assert guard.once("MM1", lambda first: first, fingerprint=b"Body=hello") is False


def test_keys_of_every_shape_a_service_uses_are_kept_apart(guard: Driver) -> None:
    keys = ["MM1", "MM1:delivered", "MM1:read", "tenant/a b/ü", "x" * 512]
    for key in keys:
        assert guard.once(key, lambda first: first) is True
    assert [guard.once(key, lambda first: first) for key in keys] == [False] * len(keys)


def test_clear_forgets_every_delivery(guard: Driver) -> None:
    guard.once("MM1", lambda first: first)

    guard.guard.clear()

    assert guard.once("MM1", lambda first: first) is True
