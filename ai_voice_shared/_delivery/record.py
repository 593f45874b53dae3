"""What a delivery store keeps per key: the state of one webhook's handling."""

from __future__ import annotations

import json
from typing import Final, Literal

from ai_voice_shared.errors import DeliveryStoreError

__all__ = ["COMPLETED", "IN_PROGRESS", "RELEASED", "Record", "State"]

State = Literal["in_progress", "completed", "released"]
IN_PROGRESS: Final = "in_progress"
COMPLETED: Final = "completed"
RELEASED: Final = "released"
_STATES = frozenset({IN_PROGRESS, COMPLETED, RELEASED})
#: How long a store keeps a record after it expires: a delivery that comes then sees the
#: expired claim it takes over (and says so), rather than finding nothing.
RETENTION: Final = 60.0


class Record:
    """One key's record: its ``state``, until when it holds (``expires_at``, epoch seconds:
    the lease while in progress, the TTL once completed), the ``fingerprint`` of the payload it
    was claimed for, and the ``token`` of the claim that wrote it (who may complete it)."""

    __slots__ = ("expires_at", "fingerprint", "state", "token")

    def __init__(self, state: State, expires_at: float, fingerprint: str, token: str) -> None:
        self.state: State = state
        self.expires_at = expires_at
        self.fingerprint = fingerprint
        self.token = token

    def __repr__(self) -> str:
        return (
            f"Record(state={self.state!r}, expires_at={self.expires_at!r}, "
            f"fingerprint={self.fingerprint!r}, token={self.token!r})"
        )

    def live(self, now: float) -> bool:
        """Whether the record still counts: not released, and not expired at ``now``."""
        return self.state != RELEASED and self.expires_at > now

    def dumps(self) -> bytes:
        """The record as the stores keep it (compact JSON)."""
        return json.dumps(
            {
                "v": 1,
                "state": self.state,
                "expires_at": round(self.expires_at, 3),
                "fingerprint": self.fingerprint,
                "token": self.token,
            },
            separators=(",", ":"),
        ).encode()

    @classmethod
    def loads(cls, data: bytes | str, *, key: str, where: str) -> Record:
        """A record read from a store; anything else is a :class:`DeliveryStoreError`."""
        try:
            value = json.loads(data)
            state, expires_at = value["state"], float(value["expires_at"])
            fingerprint, token = str(value["fingerprint"]), str(value["token"])
            if state not in _STATES:
                raise ValueError(f"unknown state {state!r}")
        except (ValueError, TypeError, KeyError) as exc:
            raise DeliveryStoreError(
                f"The delivery record of {key!r} at {where} is not one DeliveryGuard wrote "
                f"({type(exc).__name__}: {exc}): something else writes there. Give the "
                "delivery store a key space of its own (DELIVERY_S3_PREFIX, or a Redis "
                "database of its own).",
                key=key,
            ) from exc
        return cls(state, expires_at, fingerprint, token)
