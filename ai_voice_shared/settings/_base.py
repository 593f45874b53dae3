"""The base of every settings class: read from the environment, errors naming the variables."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import (
    AliasChoices,
    ValidationError,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from ai_voice_shared.errors import ConfigurationError

__all__ = ["EnvSettings", "MiB", "env"]

MiB = 1024 * 1024


class EnvSettings(BaseSettings):
    """Settings whose validation errors name the environment variables and say what to do."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        env_ignore_empty=True,
        extra="ignore",
        frozen=True,
        validate_by_name=True,
        validate_by_alias=True,
        defer_build=True,
    )
    _what: ClassVar[str] = "settings"

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as exc:
            lines = []
            for error in exc.errors(include_url=False):
                message = error["msg"].removeprefix("Value error, ")
                if error["type"] == "missing":
                    message = "is required but not set"
                loc = error["loc"]
                lines.append(f"- {self._variable(loc[0])}: {message}" if loc else f"- {message}")
            raise ConfigurationError(
                f"{type(self).__name__}: the {self._what} are invalid:\n"
                + "\n".join(lines)
                + "\nSet the environment variables (or a .env file) as "
                f"docs/settings.md#{type(self).__name__.lower()} describes, or pass the values "
                "to the constructor."
            ) from exc

    @classmethod
    def _variable(cls, loc: int | str) -> str:
        """The environment variable behind an error location (a field name or an alias)."""
        field = cls.model_fields.get(str(loc))
        if field is None:
            return str(loc)
        alias = field.validation_alias
        if isinstance(alias, AliasChoices):
            return " / ".join(str(choice) for choice in alias.choices)
        return str(alias or loc)


def env(*names: str) -> Any:
    """The alias of a field read from the variable ``names[0]`` (or any of ``names``)."""
    return AliasChoices(*names) if len(names) > 1 else names[0]
