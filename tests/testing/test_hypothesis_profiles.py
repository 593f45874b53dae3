"""The aivs-* Hypothesis profiles load from a service's conftest, with nothing of ours imported
first, and loading the pytest plugin still imports no Hypothesis."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest


def test_a_conftest_loads_the_ci_profile_without_importing_the_kit(
    pytester: pytest.Pytester,
) -> None:
    pytester.makeconftest(
        """
        import os
        from hypothesis import settings

        settings.load_profile("aivs-ci" if os.environ.get("CI") == "true" else "aivs-dev")
        """
    )
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            from hypothesis import settings

            def test_profile():
                assert settings.get_current_profile_name() in ("aivs-ci", "aivs-dev")
                assert settings().deadline is None
            """
        )
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_importing_hypothesis_registers_the_profiles_through_its_entry_point() -> None:
    probe = (
        "import sys\n"
        "from hypothesis import settings\n"
        "print(settings.get_profile('aivs-ci').max_examples,"
        " 'ai_voice_shared_testing.strategies' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )

    assert result.stdout.split() == ["1000", "False"]
