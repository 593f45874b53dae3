"""The pytest plugin loads in every run through the pytest11 entry point."""

from __future__ import annotations

import pytest

import ai_voice_shared


def test_the_plugin_names_itself_in_the_report_header(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest_subprocess()

    result.assert_outcomes(passed=1)
    version = ai_voice_shared.__version__
    result.stdout.fnmatch_lines(
        [f"ai-voice-shared {version}: S3 backend moto, in-process, fake credentials"]
    )


def test_the_plugin_can_be_disabled_like_any_other(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest_subprocess("-p", "no:ai_voice_shared")

    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("ai-voice-shared *: S3 backend*")
