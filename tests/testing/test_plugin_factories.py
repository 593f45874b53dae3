"""The factory fixtures and the seed, black-box: a failure replays with --aivs-seed."""

from __future__ import annotations

import re
import textwrap

import pytest

USER_TESTS = """
    def test_prints(twilio_payload_factory, customer_metadata_factory):
        note = twilio_payload_factory.voice_note()
        print("VALUES", note.message_sid, customer_metadata_factory.build().customer_id)
"""


def run(pytester: pytest.Pytester, *args: str) -> tuple[str, str]:
    pytester.makepyfile(test_user=textwrap.dedent(USER_TESTS))
    result = pytester.runpytest("-p", "no:cacheprovider", "-s", *args)
    result.assert_outcomes(passed=1)
    text = result.stdout.str()
    values = re.search(r"VALUES (\S+ \S+)", text)
    header = re.search(r"ai-voice-shared factory seed: (\d+) \(replay with --aivs-seed \1\)", text)
    assert values is not None
    assert header is not None
    return values.group(1), header.group(1)


def test_the_seed_is_printed_and_replays_the_same_values(pytester: pytest.Pytester) -> None:
    first, seed = run(pytester)
    again, same_seed = run(pytester, f"--aivs-seed={seed}")
    other, other_seed = run(pytester, f"--aivs-seed={int(seed) + 1}")

    assert (again, same_seed) == (first, seed)
    assert other != first
    assert other_seed == str(int(seed) + 1)


def test_each_factory_fixture_builds_valid_models(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            from ai_voice_shared import MessageStatus

            def test_all(twilio_payload_factory, twilio_status_callback_factory,
                         customer_metadata_factory, s3_object_metadata_factory):
                assert twilio_payload_factory.image().num_media == 1
                assert twilio_status_callback_factory.read().message_status is MessageStatus.READ
                assert customer_metadata_factory.build().company_name
                assert s3_object_metadata_factory.build().key.endswith(".ogg")
            """
        )
    )

    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_the_hypothesis_profiles_are_registered_not_loaded(pytester: pytest.Pytester) -> None:
    pytester.makeconftest("import hypothesis\n")
    pytester.makepyfile(
        test_user=textwrap.dedent(
            """
            from hypothesis import settings

            def test_profiles():
                assert settings.get_profile("aivs-ci").max_examples == 1000
                assert settings.get_profile("aivs-dev").max_examples == 100
                assert settings.get_current_profile_name() not in ("aivs-dev", "aivs-ci")
            """
        )
    )

    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)
