"""What Twilio does with the answer to a webhook, sans-IO: the URL's connection overrides and
the retry decision after each attempt (the sender's sync and async twins share it).

Twilio reads *connection overrides* from the fragment of the webhook URL it is configured with
(``https://voice.example.com/hook#rc=3&rp=5xx,ct``) and never sends the fragment. As its page
"Webhooks (HTTP callbacks): Connection Overrides"
(https://www.twilio.com/docs/usage/webhooks/webhooks-connection-overrides) documents them:

====  ==================  ========  ==========  ================================================
key   name                range     default     meaning
====  ==================  ========  ==========  ================================================
ct    Connect Timeout     100-10000 5000 ms     to establish the TCP connection
rt    Read Timeout        100-15000 15000 ms    for the first response packet (and between
                                                packets)
tt    Total time          100-15000 15000 ms    for all attempts, retries included ("if not
                                                set, the maximum limit is enforced")
rc    Retry count         0-5       1           retries after the first attempt
rp    Retry policy        see below ``ct,rt``   which failures are retried, comma-separated:
                                                ``4xx``, ``5xx`` (an answer with such a
                                                status), ``ct`` (a TCP/TLS connection failure
                                                within the connect timeout), ``rt`` (no answer
                                                within the read timeout), ``all`` (every one)
e     Edge                                      the egress edge; ``sni`` SNI: accepted, no
                                                effect here
====  ==================  ========  ==========  ================================================

(The stored copies of Twilio's page this was checked against stop after ``rc``; the ``rp``
values, their meanings and the ``ct,rt`` default are as Twilio's error 11243 names the
parameter and as Plivo's page documents the same overrides, key for key:
https://docs.plivo.com/docs/voice/concepts/callback-configurations.)

So by default Twilio retries a refused connection once, and **never a 5xx**; nor, with the
defaults, an answer slower than ``rt``: waiting 15 s spends the whole ``tt`` of 15 s (a slow
answer is retried under a shorter ``rt``, such as ``#rt=5000``). "Answer 503 and Twilio
delivers again" holds only under ``rp=5xx`` (or
``all``). An invalid ``rp`` is Twilio's error 11243 ("HTTP retry policy is invalid"). Twilio
documents no wait between attempts; the sender waits none. Where the docs are silent the
model is the strict reading: an answer that comes after the read timeout (or after the total
time left) is a failure of class ``rt`` even though the app did the work, and a retry is made
only while the total time is not spent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import parse_qsl

__all__ = ["DEFAULT_OVERRIDES", "ConnectionOverrides", "DeliveryAttempt", "Failure", "retry_of"]

#: Why an attempt failed, as Twilio's retry policy names the classes.
Failure = Literal["4xx", "5xx", "ct", "rt"]
_POLICIES: tuple[Failure, ...] = ("4xx", "5xx", "ct", "rt")
_RANGES = {"ct": (100, 10000), "rt": (100, 15000), "tt": (100, 15000), "rc": (0, 5)}
_IGNORED = ("e", "sni")  # the egress edge and SNI: nothing a test client can honour
_DOCS = "See docs/testing-http.md#twilios-delivery-behaviour"


@dataclass(frozen=True)
class ConnectionOverrides:
    """The connection overrides of a webhook URL (Twilio's defaults when it has none).

    Times are in milliseconds, as Twilio takes them: ``connect_timeout_ms`` (``ct``),
    ``read_timeout_ms`` (``rt``), ``total_timeout_ms`` (``tt``), ``retry_count`` (``rc``),
    ``retry_policy`` (``rp``, the failure classes retried).
    """

    connect_timeout_ms: int = 5000
    read_timeout_ms: int = 15000
    total_timeout_ms: int = 15000
    retry_count: int = 1
    retry_policy: frozenset[Failure] = frozenset({"ct", "rt"})

    @classmethod
    def parse(cls, fragment: str) -> ConnectionOverrides:
        """The overrides of a URL fragment (``"rc=3&rp=5xx,ct"``, with or without ``#``), or a
        ``ValueError`` naming what Twilio would refuse."""
        values: dict[str, int] = {}
        policy: frozenset[Failure] | None = None
        for key, value in parse_qsl(fragment.removeprefix("#"), keep_blank_values=True):
            if key in _RANGES:
                low, high = _RANGES[key]
                if not value.isdigit() or not low <= int(value) <= high:
                    raise ValueError(
                        f"Twilio refuses the connection override {key}={value!r}: it takes a "
                        f"whole number from {low} to {high}. {_DOCS}."
                    )
                values[key] = int(value)
            elif key == "rp":
                policy = _policy(value)
            elif key not in _IGNORED:
                raise ValueError(
                    f"{key!r} is not one of Twilio's connection overrides (ct, rt, tt, rc, rp, "
                    f"e, sni): the URL fragment {fragment!r} would not do what it says. {_DOCS}."
                )
        defaults = cls()
        return cls(
            connect_timeout_ms=values.get("ct", defaults.connect_timeout_ms),
            read_timeout_ms=values.get("rt", defaults.read_timeout_ms),
            total_timeout_ms=values.get("tt", defaults.total_timeout_ms),
            retry_count=values.get("rc", defaults.retry_count),
            retry_policy=defaults.retry_policy if policy is None else policy,
        )

    @property
    def fragment(self) -> str:
        """The overrides as a URL fragment Twilio reads (``rp`` sorted)."""
        policy = ",".join(sorted(self.retry_policy))
        return (
            f"ct={self.connect_timeout_ms}&rt={self.read_timeout_ms}&tt={self.total_timeout_ms}"
            f"&rc={self.retry_count}&rp={policy}"
        )

    def retries(self, failure: Failure) -> bool:
        """Whether the retry policy retries an attempt that failed so."""
        return failure in self.retry_policy


def _policy(value: str) -> frozenset[Failure]:
    names = [name.strip() for name in value.split(",")]
    if "all" in names and len(names) == 1:
        return frozenset(_POLICIES)
    unknown = [name for name in names if name not in _POLICIES]
    if unknown or not names:
        raise ValueError(
            f"Twilio refuses the retry policy rp={value!r} (its error 11243, 'HTTP retry policy "
            "is invalid'): give 4xx, 5xx, ct, rt comma-separated, or all. " + _DOCS + "."
        )
    return frozenset(name for name in _POLICIES if name in names)


DEFAULT_OVERRIDES = ConnectionOverrides()


@dataclass(frozen=True)
class DeliveryAttempt:
    """One attempt of Twilio's delivery: the status the app answered (``None`` when the
    connection failed), how long Twilio waited for it on the test's clock (at most the
    timeout: past it Twilio stops waiting, though the app may go on), and how Twilio took it:
    ``failure`` is ``None`` when Twilio accepted the answer (a status below 400 in time)."""

    status: int | None
    elapsed_ms: float
    failure: Failure | None
    error: BaseException | None = field(default=None, compare=False)


def classify(
    status: int | None, elapsed_ms: float, *, budget_ms: float, overrides: ConnectionOverrides
) -> Failure | None:
    """How Twilio takes an answer of ``status`` (``None``: the connection failed) that took
    ``elapsed_ms``, with ``budget_ms`` of the total time left."""
    if status is None:
        return "ct"
    if elapsed_ms > min(overrides.read_timeout_ms, budget_ms):
        return "rt"
    if status >= 500:
        return "5xx"
    if status >= 400:
        return "4xx"
    return None


def retry_of(attempts: list[DeliveryAttempt], overrides: ConnectionOverrides) -> str | None:
    """Why Twilio would *not* make another attempt after ``attempts``, or ``None`` when it
    would (an accepted answer counts as one lost on the way back: a read timeout)."""
    last = attempts[-1]
    failure: Failure = last.failure or "rt"
    answered = "refused the connection" if last.status is None else f"answered {last.status}"
    if last.failure == "rt" and last.status is not None:
        answered = f"answered {last.status} after {last.elapsed_ms:.0f} ms"
    policy = ",".join(sorted(overrides.retry_policy)) or "none"
    if len(attempts) > overrides.retry_count:
        return (
            f"Twilio made {len(attempts)} attempt(s) and rc={overrides.retry_count} allows "
            f"{overrides.retry_count} retry(ies): it gives up (and calls the fallback URL, if "
            "any)"
        )
    if not overrides.retries(failure):
        if last.failure is None:
            return (
                f"the app {answered} in time, and a lost answer is retried only under an rp "
                f"with rt, not rp={policy}"
            )
        return (
            f"the app {answered}, a failure of class {failure}, and the retry policy "
            f"rp={policy} does not retry it: add #rp={failure} (or combine, #rp={policy},"
            f"{failure}) to the webhook URL configured in Twilio and to the path given here"
        )
    if sum(a.elapsed_ms for a in attempts) >= overrides.total_timeout_ms:
        return f"the total time tt={overrides.total_timeout_ms} ms is spent"
    return None
