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
    """Register both profiles with Hypothesis (idempotent: a profile already registered is
    left alone, so importing the strategies inside a running ``@given`` test is safe; Hypothesis
    refuses a registration there)."""
    from hypothesis import HealthCheck, settings
    from hypothesis.errors import InvalidArgument

    profiles = {
        "aivs-dev": {"max_examples": 100, "deadline": None},
        "aivs-ci": {
            "max_examples": 1000,
            "deadline": None,
            "suppress_health_check": [HealthCheck.too_slow],
        },
    }
    for name, options in profiles.items():
        try:
            settings.get_profile(name)
        except InvalidArgument:
            settings.register_profile(name, **options)  # type: ignore[arg-type]
