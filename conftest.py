"""Repository-wide pytest setup: pytester for plugin tests, Hypothesis profiles for this repo."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# "dev" keeps local runs quick; CI runs more examples with no deadline (a shared, noisy machine).
settings.register_profile("dev", max_examples=200, deadline=None)
settings.register_profile(
    "ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("ci" if os.environ.get("CI") == "true" else "dev")
