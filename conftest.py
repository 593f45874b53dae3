"""Repository-wide pytest setup: pytester for plugin tests, Hypothesis profiles for this repo."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# "dev" keeps local runs quick; CI runs more examples with no deadline (a shared, noisy machine).
# 500 rather than 1,000: the whole of .ci/run must stay under 5 minutes on 2 cores, and the
# robustness property that guards hostile input sets its own 10,000 examples in CI.
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
