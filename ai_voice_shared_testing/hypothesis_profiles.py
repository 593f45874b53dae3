"""The Hypothesis settings profiles ai-voice-shared offers; registered, never loaded for you.

``aivs-dev`` (100 examples) for quick local runs and ``aivs-ci`` (1,000 examples, no deadline:
CI machines are shared and noisy). Opt in from your conftest::

    from hypothesis import settings
    settings.load_profile("aivs-ci" if os.environ.get("CI") == "true" else "aivs-dev")
"""

from __future__ import annotations

__all__ = ["PROFILES", "register_profiles"]

PROFILES = ("aivs-dev", "aivs-ci")


def register_profiles() -> None:
    """Register both profiles with Hypothesis (idempotent)."""
    from hypothesis import HealthCheck, settings

    settings.register_profile("aivs-dev", max_examples=100, deadline=None)
    settings.register_profile(
        "aivs-ci", max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow]
    )
