"""Settings as a service meets them: every missing setting of every group in one error, and
the settings classes callable with no arguments for a type checker without pydantic's plugin."""

from __future__ import annotations

from pathlib import Path

import pytest

from ai_voice_shared import AsyncMediaIngest, ConfigurationError, MediaIngest

SERVICE_VARIABLES = [
    "S3_BUCKET_NAME",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_API_KEY_SID",
    "TWILIO_API_KEY_SECRET",
]


@pytest.fixture(autouse=True)
def empty_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in SERVICE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no .env file


@pytest.mark.parametrize("ingest", [MediaIngest, AsyncMediaIngest])
def test_an_ingest_without_settings_names_every_missing_one_of_both_groups_at_once(
    ingest: type[MediaIngest] | type[AsyncMediaIngest],
) -> None:
    with pytest.raises(ConfigurationError) as missing:
        ingest()

    message = str(missing.value)
    assert message.startswith(
        f"{ingest.__name__} cannot be built from the environment: 2 groups of settings are "
        "missing or invalid (all of them listed here):\n\nS3Settings: "
    )
    assert "- S3_BUCKET_NAME: is required but not set" in message
    assert message.endswith(
        "Twilio media downloads need the account SID: set TWILIO_ACCOUNT_SID (or pass "
        "TwilioSettings(account_sid=...)); media URLs of other accounts are refused; and "
        "credentials: set TWILIO_AUTH_TOKEN, or TWILIO_API_KEY_SID and TWILIO_API_KEY_SECRET "
        "(an API key of the account)."
    )


def test_one_group_missing_is_that_groups_error_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("S3_BUCKET_NAME", "voice-notes")
    monkeypatch.setenv("S3_REGION", "us-east-1")

    with pytest.raises(ConfigurationError, match=r"^Twilio media downloads need the account SID"):
        MediaIngest()


def test_the_settings_take_no_arguments_for_mypy_without_the_pydantic_plugin(
    tmp_path: Path,
) -> None:
    from mypy import api

    module = tmp_path / "service_settings.py"
    module.write_text(
        "from ai_voice_shared import (\n"
        "    CustomerLookupSettings, DeliverySettings, S3Settings, TwilioSettings,\n"
        ")\n\n"
        "TwilioSettings()\nS3Settings()\nCustomerLookupSettings()\nDeliverySettings()\n"
        "TwilioSettings(account_sid='AC' + '0' * 32, webhook_base_url=None)\n"
    )
    config = tmp_path / "mypy.ini"
    config.write_text("[mypy]\nstrict = True\n")  # no plugins

    stdout, stderr, status = api.run(
        ["--config-file", str(config), "--cache-dir", str(tmp_path / "cache"), str(module)]
    )

    assert (status, stdout.strip()) == (0, "Success: no issues found in 1 source file"), stderr
