"""The README stays true: every public name, setting variable and error is documented."""

from __future__ import annotations

from pathlib import Path

import pytest

import ai_voice_shared
import ai_voice_shared_testing
from ai_voice_shared.settings import CustomerLookupSettings, S3Settings, TwilioSettings

README = (Path(__file__).parents[1] / "README.md").read_text()


def variables(settings: type[S3Settings | CustomerLookupSettings | TwilioSettings]) -> list[str]:
    names: list[str] = []
    for field in settings.model_fields.values():
        alias = field.validation_alias
        names.extend(getattr(alias, "choices", [alias]))
    return [str(name) for name in names]


@pytest.mark.parametrize(
    "name",
    [n for n in ai_voice_shared.__all__ if n != "__version__"] + ai_voice_shared_testing.__all__,
)
def test_every_public_name_is_in_the_readme(name: str) -> None:
    assert f"`{name}" in README


@pytest.mark.parametrize(
    "variable",
    variables(S3Settings) + variables(CustomerLookupSettings) + variables(TwilioSettings),
)
def test_every_setting_variable_is_in_the_readme(variable: str) -> None:
    assert f"`{variable}`" in README


def test_the_readme_starts_with_the_two_fresh_machine_commands() -> None:
    commands = README.split("```sh\n", 1)[1].split("```", 1)[0].strip().splitlines()

    assert len(commands) == 2
    assert commands[0].endswith("ai-voice-shared demo")
    assert commands[1].endswith("-m pytest -n auto")
