"""Lookups against a hostile server on 127.0.0.1: bounded memory, bounded time.

- Memory: peak RSS growth of one lookup whose server answers 200 with a 100 MB chunked body
  (no ``Content-Length`` to refuse up front), and with a ~500 KiB gzip body that inflates to
  500 MiB. Each runs in a fresh child process; the baseline is ``httpx.get`` of the same URL,
  which reads it all. Target: ours <= 8 MiB.
- Time: wall time of a lookup (``timeout=1``, ``total_timeout=3``) against a server that
  sends one byte every 0.5 s (through a FaultProxy), so that no read ever times out. Baseline:
  a lookup with a 3 s read timeout against a server that never answers, which that timeout
  alone stops after 3 s. Target: <= 3.5 s, ratio <= 1.17 (3.5 / 3).
"""

from __future__ import annotations

import contextlib
import gzip
import json
import socket
import sys
import threading
import time
from collections.abc import Iterator

from benchmarks import Figure, reset_peak_rss, rss_kib, run_child

MiB = 1024 * 1024
PHONE = "+15555550100"
RSS_LIMIT_MIB = 8.0


def child(mode: str, url: str) -> None:
    """One lookup (or ``httpx.get``) in this process; print the peak RSS growth in bytes."""
    import httpx

    from ai_voice_shared import CustomerLookupClient, CustomerLookupError

    client = CustomerLookupClient(url, cache_ttl=0, max_retries=0)
    warm = httpx.Client()
    reset_peak_rss()
    before = rss_kib("VmRSS")
    if mode == "ours":
        with contextlib.suppress(CustomerLookupError):
            client.lookup(PHONE)
    else:
        warm.get(f"{url}/customers/lookup", params={"phone_number": PHONE}, timeout=60).read()
    print(json.dumps({"rss_growth": max(0, (rss_kib("VmHWM") - before) * 1024)}))


def _growth(mode: str, url: str) -> float:
    return run_child("benchmarks.hostile_lookup", mode, url)["rss_growth"] / MiB


@contextlib.contextmanager
def _silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    held: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                held.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        listener.close()
        for sock in held:
            sock.close()


def _wall(url: str, timeout: float) -> float:
    from ai_voice_shared import CustomerLookupClient, CustomerLookupError

    with CustomerLookupClient(url, timeout=timeout, total_timeout=3, cache_ttl=0) as client:
        start = time.perf_counter()
        with contextlib.suppress(CustomerLookupError):
            client.lookup(PHONE)
        return time.perf_counter() - start


def run() -> list[Figure]:
    """Serve the hostile answers with the live fake lookup server and measure."""
    from ai_voice_shared_testing import FakeLookupServer
    from ai_voice_shared_testing.fault_proxy import FaultProxy

    figures = []
    bomb = gzip.compress(bytes(500 * MiB), compresslevel=9)
    cases = [
        ("a 100 MB chunked 200 body", {"oversize": 100 * MiB, "content_length": False}),
        (
            f"a {len(bomb) // 1024} KiB gzip body inflating to 500 MiB",
            {"status": 200, "headers": {"Content-Encoding": "gzip"}, "body": bomb},
        ),
    ]
    with FakeLookupServer().start() as server:
        server.add_customer(PHONE)
        for name, fault in cases:
            server.fail(times=2, **fault)  # type: ignore[arg-type]
            ours = _growth("ours", server.base_url)
            naive = _growth("naive", server.base_url)
            figures.append(
                Figure(
                    name=f"lookup peak RSS growth against {name} (vs httpx.get)",
                    value=ours,
                    baseline=naive,
                    unit="MiB",
                    target=0.05,
                    bound="max",
                    extra_ok=ours <= RSS_LIMIT_MIB,
                    extra=f"ours {ours:.1f} MiB <= {RSS_LIMIT_MIB:.0f} MiB",
                )
            )
        with FaultProxy(server.base_url) as proxy:
            proxy.trickle(chunk=1, every=0.5)
            trickled = _wall(proxy.url, 1.0)
    with _silent_server() as url:
        baseline = _wall(url, 3.0)
    figures.append(
        Figure(
            name="lookup wall time, total_timeout=3, 1 byte per 0.5 s (vs a silent server, 3 s)",
            value=trickled,
            baseline=baseline,
            unit="s",
            target=1.17,
            bound="max",
            extra_ok=trickled <= 3.5,
            extra=f"{trickled:.2f} s <= 3.5 s",
        )
    )
    return figures


if __name__ == "__main__":
    child(sys.argv[1], sys.argv[2])
