"""Customer lookups against a real HTTP server on 127.0.0.1 (FakeLookupServer, live).

Two figures, each against a baseline measured in the same run:
- cached lookups (the client's TTL cache) versus uncached ones (``cache_ttl=0``): >= 50x;
- the pooled client (keep-alive, cache off) versus ``httpx.get`` per call, which opens a new
  connection every time: >= 2x.
"""

from __future__ import annotations

import httpx

from ai_voice_shared import CustomerLookupClient, CustomerMetadata
from ai_voice_shared_testing import FakeLookupServer
from benchmarks import Figure, best_of

PHONE = "+15555550100"
NUMBER = 200
REPEAT = 5


def run() -> list[Figure]:
    """Time each way of looking up ``NUMBER`` times, best of ``REPEAT``."""
    with FakeLookupServer().start() as server:
        server.add_customer(PHONE, customer_id="cus_1", company_id="co_9", company_name="Acme Ltd")
        url = f"{server.base_url}/customers/lookup"
        cached = CustomerLookupClient(server.base_url)
        pooled = CustomerLookupClient(server.base_url, cache_ttl=0)

        def per_call_httpx() -> None:
            response = httpx.get(url, params={"phone_number": PHONE})
            CustomerMetadata.model_validate_json(response.content)

        with cached, pooled:
            cached.lookup(PHONE)  # warm up: fill the cache, open the pooled connection
            pooled.lookup(PHONE)
            per_call_httpx()
            timings: dict[str, list[float]] = {"cached": [], "pooled": [], "httpx.get": []}
            for _ in range(REPEAT):
                timings["cached"].append(
                    best_of(lambda: cached.lookup(PHONE), number=NUMBER, repeat=1)
                )
                timings["pooled"].append(
                    best_of(lambda: pooled.lookup(PHONE), number=NUMBER, repeat=1)
                )
                timings["httpx.get"].append(best_of(per_call_httpx, number=NUMBER, repeat=1))
    rate = {name: 1 / min(values) for name, values in timings.items()}
    return [
        Figure(
            name="lookup: cached vs uncached (real 127.0.0.1 server)",
            value=rate["cached"],
            baseline=rate["pooled"],
            unit="lookups/s",
            target=50,
            bound="min",
        ),
        Figure(
            name="lookup: pooled client vs httpx.get per call (cache off)",
            value=rate["pooled"],
            baseline=rate["httpx.get"],
            unit="lookups/s",
            target=2,
            bound="min",
        ),
    ]
