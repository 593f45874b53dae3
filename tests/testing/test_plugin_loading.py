"""The pytest plugin loads in every run through the pytest11 entry point."""

from __future__ import annotations

import re

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


PLUGIN_FIXTURES = [
    "aivs_clock",
    "aivs_seed",
    "async_lookup_client",
    "async_s3_service",
    "customer_metadata_factory",
    "delivery_store",
    "live_lookup_server",
    "live_twilio_api",
    "lookup_client",
    "lookup_env",
    "lookup_server",
    "media_ingest",
    "redis_server",
    "s3_bucket",
    "s3_env",
    "s3_object_metadata_factory",
    "s3_service",
    "s3_settings",
    "sqs_queue",
    "twilio_api",
    "twilio_env",
    "twilio_media_client",
    "twilio_payload_factory",
    "twilio_status_callback_factory",
    "twilio_webhook",
]


def test_the_plugin_provides_exactly_the_locked_fixtures(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_nothing():\n    pass\n")

    result = pytester.runpytest("-p", "no:cacheprovider", "--fixtures")

    provided: list[str] = []
    ours = False
    for line in result.outlines:
        if line.startswith("-") and " fixtures defined from " in line:
            ours = " ai_voice_shared_testing." in line
        elif ours and (found := re.match(r"(\w+)(?: \[\w+ scope\])? -- ", line)):
            provided.append(found[1])
    assert sorted(provided) == PLUGIN_FIXTURES
